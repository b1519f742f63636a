// Package export turns an OCL export into the artifacts implementers download: SQL for
// the OpenMRS concept tables (one file per OpenMRS schema generation), a load test of
// that SQL against a real MariaDB, SHA256SUMS, manifest.json and the output of extra
// scripts a repository configures.
package export

import (
	"fmt"
	"regexp"
)

// Format is an OpenMRS schema generation that the SQL targets.
type Format string

// The formats Shepherd writes.
const (
	// FormatOpenMRS111 targets OpenMRS 1.11 (concept_numeric.precise).
	FormatOpenMRS111 Format = "openmrs-1.11"
	// FormatOpenMRS2 targets OpenMRS 2.2 and later (allow_decimal, display_precision and
	// the 2.1 columns on concept_class, concept_reference_source and concept_name).
	FormatOpenMRS2 Format = "openmrs-2"
)

// Formats lists every supported format, oldest schema first.
var Formats = []Format{FormatOpenMRS111, FormatOpenMRS2}

// ParseFormat checks a format name from configuration.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown export format %q (known: %s, %s)", s, FormatOpenMRS111, FormatOpenMRS2)
}

// schemaLabel is the OpenMRS version used in file names.
func (f Format) schemaLabel() string {
	if f == FormatOpenMRS2 {
		return "2"
	}
	return "1.11"
}

var safeVersion = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// SQLFileName is the name of the SQL file inside the artifact zip, e.g.
// openmrs_concepts_1.11_v2026-11-22.sql.
func (f Format) SQLFileName(version string) (string, error) {
	if !safeVersion.MatchString(version) {
		return "", fmt.Errorf("version %q cannot be used in a file name (letters, digits, '.', '_' and '-' only)", version)
	}
	return fmt.Sprintf("openmrs_concepts_%s_%s.sql", f.schemaLabel(), version), nil
}

// ArtifactName is the name of the zipped SQL artifact, e.g.
// openmrs_concepts_2_v2026-11-22.sql.zip.
func (f Format) ArtifactName(version string) (string, error) {
	name, err := f.SQLFileName(version)
	if err != nil {
		return "", err
	}
	return name + ".zip", nil
}
