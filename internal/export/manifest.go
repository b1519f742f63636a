package export

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
)

// ChecksumsFile is the name of the checksum list written next to the artifacts.
const ChecksumsFile = "SHA256SUMS"

// ManifestFile is the name of the release manifest written next to the artifacts.
const ManifestFile = "manifest.json"

// WriteChecksums writes dir/SHA256SUMS for files, in the format `sha256sum -c` reads:
// one "<hex>  <name>" line per file, sorted by name. Names are relative to dir.
func WriteChecksums(dir string, files []Artifact) error {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b Artifact) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	for _, f := range sorted {
		if err := checkRelativeName(f.Name); err != nil {
			return fmt.Errorf("%s: %w", ChecksumsFile, err)
		}
		if len(f.SHA256) != 64 {
			return fmt.Errorf("%s: %s has no sha256", ChecksumsFile, f.Name)
		}
		b.WriteString(f.SHA256 + "  " + f.Name + "\n")
	}
	return atomicfile.Write(filepath.Join(dir, ChecksumsFile), 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, b.String())
		return err
	})
}

// checkRelativeName refuses names sha256sum would escape or that point outside dir.
func checkRelativeName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("a file has no name")
	case strings.ContainsAny(name, "\n\r\\"):
		return fmt.Errorf("file name %q has a newline or backslash", name)
	case strings.HasPrefix(name, "/"), name == "..", strings.HasPrefix(name, "../"), strings.Contains(name, "/../"):
		return fmt.Errorf("file name %q is not relative to the output folder", name)
	}
	return nil
}

// ReleaseManifest describes the files of a release: manifest.json.
type ReleaseManifest struct {
	Source  string    `json:"source"`
	Version string    `json:"version"`
	Created time.Time `json:"created"`
	// Expires is when the files stop being downloadable (the retention deadline).
	Expires time.Time `json:"expires,omitzero"`
	Counts  *Counts   `json:"counts,omitempty"`
	// QA is the QA summary, as the QA package reports it.
	QA    any        `json:"qa,omitempty"`
	Files []Artifact `json:"files"`
}

// WriteManifest writes dir/manifest.json, files sorted by name.
func WriteManifest(dir string, m ReleaseManifest) error {
	m.Files = slices.Clone(m.Files)
	slices.SortFunc(m.Files, func(a, b Artifact) int { return strings.Compare(a.Name, b.Name) })
	if m.Files == nil {
		m.Files = []Artifact{}
	}
	for _, f := range m.Files {
		if err := checkRelativeName(f.Name); err != nil {
			return fmt.Errorf("%s: %w", ManifestFile, err)
		}
	}
	m.Created = m.Created.UTC()
	if !m.Expires.IsZero() {
		m.Expires = m.Expires.UTC()
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", ManifestFile, err)
	}
	return atomicfile.Write(filepath.Join(dir, ManifestFile), 0o644, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}
