// Package bom writes a release's data bill of materials: a CycloneDX 1.7 JSON document
// that says what the release is made of (the OCL export and its checksum), what checked
// it (the QA rule set in force and its version), what built it (Shepherd's version and
// commit), what it is for (the OpenMRS versions its SQL targets) and which external
// vocabularies it maps to, with counts. docs/bom.md describes every field.
package bom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/uuid"

	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/qa"
)

// Input is what the BOM says. The same Input gives the same bytes.
type Input struct {
	Org, Source, Version string
	// Created is the release's recorded time: the BOM's timestamp.
	Created time.Time
	// Export is the OCL export the release was built from.
	Export File
	// Concepts and Mappings count what the export holds (retired ones included).
	Concepts, Mappings int
	// Rules is the QA rule set in force (RuleSet).
	Rules []Rule
	// ShepherdVersion and ShepherdCommit name the build of Shepherd that made the release.
	ShepherdVersion, ShepherdCommit string
	// Formats are the OpenMRS SQL formats the release ships.
	Formats []export.Format
	// Vocabularies counts active mappings by target source (changelog.Index.Vocabularies).
	Vocabularies map[string]int
}

// File is a file by name, size and SHA-256.
type File struct {
	Name   string
	Size   int64
	SHA256 string
}

// Rule is one QA rule in force, at its severity.
type Rule struct {
	ID       string
	Severity qa.Severity
}

// RuleSet lists the rules a QA run with opts applies, sorted by id: each rule at its
// configured severity, else its default; disabled rules are left out.
func RuleSet(severity map[string]qa.Severity, disabled []string) []Rule {
	var out []Rule
	for _, r := range qa.Rules() {
		if slices.Contains(disabled, r.ID) {
			continue
		}
		s := r.DefaultSeverity
		if o, ok := severity[r.ID]; ok {
			s = o
		}
		out = append(out, Rule{ID: r.ID, Severity: s})
	}
	slices.SortFunc(out, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// RuleSetVersion names a rule set by its content: "qa-" and the first 12 hex digits of
// the SHA-256 of its lines "ID=severity\n", sorted by id. Two releases checked by the same
// rules at the same severities have the same version; changing any severity, disabling
// a rule or a Shepherd that adds one changes it.
func RuleSetVersion(rules []Rule) string {
	h := sha256.New()
	for _, r := range rules {
		fmt.Fprintf(h, "%s=%s\n", r.ID, r.Severity)
	}
	return "qa-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// serialNamespace is the namespace of the name-based (version 5) uuids that serial
// numbers are made of: fixed, so a release's serial depends on the release alone.
var serialNamespace = uuid.MustParse("6f1d0c4e-93a1-4b39-8c36-0b8f6e0d2a57")

// Properties are named "shepherd:…" as CycloneDX asks of names outside its taxonomy
// (https://github.com/CycloneDX/cyclonedx-property-taxonomy: a namespace of one's own).
const (
	propMappings    = "shepherd:mappings"
	propConcepts    = "shepherd:concepts"
	propSize        = "shepherd:size"
	propCommit      = "shepherd:commit"
	propFormat      = "shepherd:format"
	propRuleVersion = "shepherd:qa-rule-set-version"
	propRulePrefix  = "shepherd:qa-rule:"
)

// Build makes the BOM of a release.
func Build(in Input) (*cdx.BOM, error) {
	switch {
	case in.Org == "" || in.Source == "" || in.Version == "":
		return nil, fmt.Errorf("bom: the release has no organisation, source or version (%q/%q %q)", in.Org, in.Source, in.Version)
	case in.Created.IsZero():
		return nil, fmt.Errorf("bom: release %s has no recorded time", in.Version)
	case len(in.Export.SHA256) != 64:
		return nil, fmt.Errorf("bom: the export of %s has no SHA-256", in.Version)
	}
	b := cdx.NewBOM()
	b.SerialNumber = "urn:uuid:" + uuid.NewSHA1(serialNamespace,
		[]byte(in.Org+"/"+in.Source+"@"+in.Version+"#"+in.Export.SHA256)).String()
	b.Metadata = &cdx.Metadata{
		Timestamp: in.Created.UTC().Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, BOMRef: "shepherd", Name: "shepherd", Version: in.ShepherdVersion,
			Description: "the release bot that checked and built this release",
			Properties:  &[]cdx.Property{{Name: propCommit, Value: in.ShepherdCommit}},
		}}},
		Component: &cdx.Component{
			Type: cdx.ComponentTypeData, BOMRef: "release", Group: in.Org, Name: in.Source, Version: in.Version,
			Description: fmt.Sprintf("%s/%s %s: the dictionary release", in.Org, in.Source, in.Version),
			Properties: &[]cdx.Property{
				{Name: propConcepts, Value: strconv.Itoa(in.Concepts)},
				{Name: propMappings, Value: strconv.Itoa(in.Mappings)},
			},
		},
	}
	components := []cdx.Component{{
		Type: cdx.ComponentTypeData, BOMRef: "ocl-export", Name: in.Export.Name, Version: in.Version,
		Description: "the export OCL built of the version; everything in the release is made from it",
		Hashes:      &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: in.Export.SHA256}},
		Properties:  &[]cdx.Property{{Name: propSize, Value: strconv.FormatInt(in.Export.Size, 10)}},
	}}
	ruleProps := []cdx.Property{}
	for _, r := range in.Rules {
		ruleProps = append(ruleProps, cdx.Property{Name: propRulePrefix + r.ID, Value: string(r.Severity)})
	}
	components = append(components, cdx.Component{
		Type: cdx.ComponentTypeData, BOMRef: "qa-rules", Name: "shepherd-qa-rules", Version: RuleSetVersion(in.Rules),
		Description: fmt.Sprintf("the %d QA rules in force, each at its severity (docs/qa-rules.md)", len(in.Rules)),
		Properties:  &ruleProps,
	})
	for _, f := range in.Formats {
		c := cdx.Component{Type: cdx.ComponentTypePlatform, BOMRef: "target-" + string(f), Name: "OpenMRS",
			IsExternal: cdx.Bool(true), Properties: &[]cdx.Property{{Name: propFormat, Value: string(f)}}}
		switch f {
		case export.FormatOpenMRS111:
			c.Version, c.Description = "1.11", "the SQL in "+string(f)+" targets OpenMRS 1.11"
		case export.FormatOpenMRS2:
			c.VersionRange, c.Description = "vers:generic/>=2.2", "the SQL in "+string(f)+" targets OpenMRS 2.2 and later"
		default:
			return nil, fmt.Errorf("bom: unknown format %q", f)
		}
		components = append(components, c)
	}
	vocabs := make([]string, 0, len(in.Vocabularies))
	for v := range in.Vocabularies {
		vocabs = append(vocabs, v)
	}
	sort.Strings(vocabs)
	for _, v := range vocabs {
		components = append(components, cdx.Component{
			Type: cdx.ComponentTypeData, BOMRef: "vocabulary-" + v, Name: v, IsExternal: cdx.Bool(true),
			Description: fmt.Sprintf("an external vocabulary: %d active mappings of active concepts point to it", in.Vocabularies[v]),
			Properties:  &[]cdx.Property{{Name: propMappings, Value: strconv.Itoa(in.Vocabularies[v])}},
		})
	}
	b.Components = &components
	deps := []string{"ocl-export", "qa-rules"}
	for _, v := range vocabs {
		deps = append(deps, "vocabulary-"+v)
	}
	b.Dependencies = &[]cdx.Dependency{{Ref: "release", Dependencies: &deps}}
	return b, nil
}

// Encode writes the BOM as indented JSON.
func Encode(w io.Writer, b *cdx.BOM) error {
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("bom: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
