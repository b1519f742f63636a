// Package manifest reads, defaults and validates the two files a repository gives
// Shepherd: release manifests (releases/vYYYY-MM-DD.yaml), one per release, and the
// repository configuration (.github/shepherd.yaml).
//
// Every problem is reported with its file, line and column, and all problems of a
// file are reported at once (as Errors), so that one pull request review round is
// enough to fix them.
package manifest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
)

// ReleasesDir is the folder of release manifests in the repository.
const ReleasesDir = "releases"

// Manifest is one release manifest as written in the file. Fields left out keep their
// zero value (Released: true) and are filled from the configuration by Effective.
type Manifest struct {
	// File is the name the manifest was read from, as given to ParseManifest.
	File string
	// Version is "v" and the release date, like "v2026-11-22".
	Version string
	// Description is a one-line title; "" means "<SOURCE> <version>".
	Description string
	// Released marks the OCL version as released (default true).
	Released bool
	// Major marks a major release: its publication starts a code freeze (Config.Freeze).
	Major bool
	// Source names another OCL org and source than the configuration's; nil for those.
	Source *SourceRef
	// Exports lists the exports to produce by name; nil means all configured ones,
	// an empty list none.
	Exports []string
	// QA overrides the configuration's QA settings for this release.
	QA QAOverrides
	// Notes are the release notes (Markdown).
	Notes string
	// Issue is the tracking issue to use; 0 lets Shepherd open one.
	Issue int

	pos positions
}

// SourceRef names an OCL source by its owner org and its id.
type SourceRef struct {
	Org    string
	Source string
}

// ManifestPath is where the manifest of a version lives in the repository.
func ManifestPath(version string) string {
	return path.Join(ReleasesDir, version+".yaml")
}

// VersionForDate is the default version name for a day: "v" and the UTC date.
func VersionForDate(t time.Time) string {
	return "v" + t.UTC().Format(time.DateOnly)
}

var versionPattern = regexp.MustCompile(`^v[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// ErrNotVersion and ErrNotDate tell the two ways ParseVersion can fail apart.
var (
	ErrNotVersion = errors.New("is not a version (expected v and a date, like v2026-11-22)")
	ErrNotDate    = errors.New("is not a real date")
)

// ParseVersion returns the date a version name stands for, at midnight UTC.
func ParseVersion(s string) (time.Time, error) {
	if !versionPattern.MatchString(s) {
		return time.Time{}, fmt.Errorf("version %s %w", quote(s), ErrNotVersion)
	}
	t, err := time.Parse(time.DateOnly, s[1:])
	if err != nil {
		return time.Time{}, fmt.Errorf("version %s %w", quote(s), ErrNotDate)
	}
	return t, nil
}

// DefaultManifest is the manifest `shepherd new` writes for a version: everything
// else is left to the configuration (nil means the default configuration).
func DefaultManifest(version string, cfg *Config) *Manifest {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	return &Manifest{
		File:        ManifestPath(version),
		Version:     version,
		Description: defaultDescription(cfg.OCL.Source, version),
		Released:    true,
	}
}

func defaultDescription(source, version string) string {
	return source + " " + version
}

// LoadManifest reads and parses a manifest file.
func LoadManifest(filename string) (*Manifest, error) {
	data, err := readLimited(filename)
	if err != nil {
		return nil, err
	}
	return ParseManifest(filename, data)
}

// readLimited reads a file, refusing one larger than MaxFileSize before reading it all.
func readLimited(filename string) ([]byte, error) {
	f, err := os.Open(filename)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// One byte more than the limit is enough for the parser to report the size.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	return data, nil
}

// ParseManifest parses a manifest and checks everything that can be checked without
// the configuration. filename is used in messages and for the rule that the file is
// named after its version. The error, if any, is an Errors listing every problem.
func ParseManifest(filename string, data []byte) (*Manifest, error) {
	r := &reporter{file: filename, pos: newPositions()}
	root, ok := parseRoot(r, data, "expected at least the version, like `version: v2026-11-22`")
	if !ok {
		return nil, r.errs.err()
	}
	m := &Manifest{File: filename, Released: true, pos: r.pos}
	d := &decoder{r}
	r.pos.values[""] = nodePosition(root)
	d.object(root, "", m.fields(d))
	checks := &reporter{file: filename, pos: r.pos}
	m.check(checks, nil)
	errs := mergeChecks(r.errs, checks.errs)
	if len(errs) > 0 {
		return nil, errs.err()
	}
	return m, nil
}

// mergeChecks adds the errors of later checks to those of decoding, leaving out the
// ones about fields whose decoding already failed.
func mergeChecks(decoding, checks Errors) Errors {
	all := append(Errors(nil), decoding...)
	for _, e := range checks {
		if !decoding.covers(e.Path) {
			all = append(all, e)
		}
	}
	return all
}

func (m *Manifest) fields(d *decoder) []field {
	return []field{
		{"version", setText(d, &m.Version)},
		{"description", setText(d, &m.Description)},
		{"released", d.setBool(&m.Released)},
		{"major", d.setBool(&m.Major)},
		{"source", func(n ast.Node, path string) {
			m.Source = &SourceRef{}
			d.object(n, path, m.Source.fields(d))
		}},
		{"exports", d.setTextList(&m.Exports)},
		{"qa", func(n ast.Node, path string) { d.object(n, path, d.qaOverrideFields(&m.QA)) }},
		{"notes", setText(d, &m.Notes)},
		{"issue", d.setPositive(&m.Issue, "an issue number")},
	}
}

func (s *SourceRef) fields(d *decoder) []field {
	return []field{
		{"org", setText(d, &s.Org)},
		{"source", setText(d, &s.Source)},
	}
}

// Validate checks the manifest, and when cfg is not nil, that it fits the
// configuration (every export it names is configured). Problems carry the position
// of the field in the file the manifest was parsed from.
func (m *Manifest) Validate(cfg *Config) error {
	r := &reporter{file: m.File, pos: m.pos}
	m.check(r, cfg)
	return r.errs.err()
}

func (m *Manifest) check(r *reporter, cfg *Config) {
	m.checkVersion(r)
	if strings.ContainsAny(m.Description, "\r\n") {
		r.atValue("description", "must be one line (put longer text in notes)")
	} else if n := utf8.RuneCountInString(m.Description); n > maxDescription {
		r.atValue("description", "is %d characters long, more than %d (put longer text in notes)", n, maxDescription)
	}
	if m.Source != nil {
		m.Source.check(r, "source")
	}
	m.checkExports(r, cfg)
	m.QA.check(r, "qa")
	if m.Issue < 0 {
		r.atValue("issue", "%d is not an issue number (expected a whole number from 1)", m.Issue)
	}
}

const maxDescription = 200

func (m *Manifest) checkVersion(r *reporter) {
	if m.Version == "" {
		r.atKey("version", "missing (expected the version to release, like version: v2026-11-22)")
		return
	}
	if _, err := ParseVersion(m.Version); err != nil {
		// The message names the field itself: `version "v2026-02-30" is not a real date`.
		r.addMessage(r.pos.value("version"), "version", err.Error())
		return
	}
	m.checkFileName(r)
}

var versionFileName = regexp.MustCompile(`^v[0-9]{4}-[0-9]{2}-[0-9]{2}\.yaml$`)

// checkFileName applies the naming rule: a file named like a version must hold that
// version, and every file in the releases folder must be named like one.
func (m *Manifest) checkFileName(r *reporter) {
	if m.File == "" {
		return
	}
	name := filepath.ToSlash(m.File)
	base := path.Base(name)
	expected := m.Version + ".yaml"
	switch {
	case versionFileName.MatchString(base):
		if base != expected {
			r.atValue("version", "%s does not match the file name %s (expected %s, or rename the file to %s)",
				quote(m.Version), quote(base), strings.TrimSuffix(base, ".yaml"), expected)
		}
	case path.Base(path.Dir(name)) == ReleasesDir:
		r.atValue("version", "the file name %s does not follow vYYYY-MM-DD.yaml, the only name the workflows pick up (expected %s for version %s)",
			quote(base), quote(expected), m.Version)
	}
}

func (s *SourceRef) check(r *reporter, at string) {
	for _, f := range []struct{ name, value string }{{"org", s.Org}, {"source", s.Source}} {
		p := joinPath(at, f.name)
		switch {
		case f.value == "":
			r.atKey(p, "required when %s is given (the OCL %s id, like CIEL)", at, f.name)
		case !mnemonicPattern.MatchString(f.value):
			r.atValue(p, "%s is not an OCL id (expected letters, digits, '.', '_', '-' or '@', like CIEL)", quote(f.value))
		}
	}
}

func (m *Manifest) checkExports(r *reporter, cfg *Config) {
	seen := map[string]bool{}
	for i, name := range m.Exports {
		p := indexPath("exports", i)
		switch {
		case name == "":
			r.atValue(p, "is empty (expected the name of a configured export)")
		case seen[name]:
			r.atValue(p, "%s is listed twice", quote(name))
		case cfg != nil && !cfg.hasExport(name):
			r.atValue(p, "%s is not an export of the configuration (configured: %s)", quote(name), cfg.exportNames())
		}
		seen[name] = true
	}
}

// Effective is a release as it will run: the manifest with the configuration's
// values filled in.
type Effective struct {
	Version     string
	Description string
	Released    bool
	Major       bool
	Org         string
	Source      string
	// Exports are the configured exports the release produces, in manifest order
	// (configuration order when the manifest names none).
	Exports []ExportSpec
	// QA is the configuration's QA settings with the manifest's overrides on top.
	QA    QAConfig
	Notes string
	Issue int
}

// Effective validates the manifest against cfg (nil means the default configuration)
// and returns the release it describes.
func (m *Manifest) Effective(cfg *Config) (Effective, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	if err := m.Validate(cfg); err != nil {
		return Effective{}, err
	}
	e := Effective{
		Version:     m.Version,
		Description: m.Description,
		Released:    m.Released,
		Major:       m.Major,
		Org:         cfg.OCL.Org,
		Source:      cfg.OCL.Source,
		Notes:       m.Notes,
		Issue:       m.Issue,
		QA:          QAConfig{QAOverrides: cfg.QA.QAOverrides.over(m.QA), MaxFindings: cfg.QA.MaxFindings},
	}
	if m.Source != nil {
		e.Org, e.Source = m.Source.Org, m.Source.Source
	}
	if e.Description == "" {
		e.Description = defaultDescription(e.Source, m.Version)
	}
	if m.Exports == nil {
		e.Exports = append([]ExportSpec{}, cfg.Exports...)
	} else {
		e.Exports = make([]ExportSpec, 0, len(m.Exports))
		for _, name := range m.Exports {
			spec, _ := cfg.Export(name)
			e.Exports = append(e.Exports, spec)
		}
	}
	return e, nil
}
