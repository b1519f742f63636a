package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testManifestFile = "releases/v2026-11-22.yaml"

// plain drops the positions a parsed manifest remembers, for comparisons.
func plain(m *Manifest) Manifest {
	c := *m
	c.pos = positions{}
	return c
}

func TestParseManifestDefaults(t *testing.T) {
	m, err := ParseManifest(testManifestFile, []byte("version: v2026-11-22\n"))
	require.NoError(t, err)

	tests := []struct {
		field string
		got   any
		want  any
	}{
		{"version", m.Version, "v2026-11-22"},
		{"description", m.Description, ""},
		{"released", m.Released, true},
		{"source", m.Source, (*SourceRef)(nil)},
		{"exports", m.Exports, []string(nil)},
		{"qa.severity", m.QA.Severity, map[string]string(nil)},
		{"qa.disabled", m.QA.Disabled, []string(nil)},
		{"notes", m.Notes, ""},
		{"issue", m.Issue, 0},
		{"file", m.File, testManifestFile},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
}

func TestEffectiveDefaultsComeFromTheConfiguration(t *testing.T) {
	m, err := ParseManifest(testManifestFile, []byte("version: v2026-11-22\n"))
	require.NoError(t, err)
	cfg := DefaultConfig()
	cfg.OCL.Org, cfg.OCL.Source = "PIH", "PIH-TERMS"
	cfg.QA.Severity = map[string]string{"FR-19": "info"}

	e, err := m.Effective(cfg)
	require.NoError(t, err)

	assert.Equal(t, "PIH-TERMS v2026-11-22", e.Description)
	assert.True(t, e.Released)
	assert.Equal(t, "PIH", e.Org)
	assert.Equal(t, "PIH-TERMS", e.Source)
	assert.Equal(t, cfg.Exports, e.Exports)
	assert.Equal(t, QAConfig{QAOverrides: QAOverrides{Severity: map[string]string{"FR-19": "info"}, Disabled: []string{}}, MaxFindings: 100000}, e.QA)
}

func TestParseManifestEveryField(t *testing.T) {
	input := `version: v2026-11-22
description: CIEL November release
released: false
major: true
source:
  org: CIEL-TEST
  source: CIEL
exports: [openmrs-2]
qa:
  severity:
    FR-19: info
    XR-05: error
  disabled:
    - FR-23
notes: |
  New malaria concepts.

  Retired duplicates.
issue: 42
`
	m, err := ParseManifest(testManifestFile, []byte(input))
	require.NoError(t, err)
	assert.Equal(t, Manifest{
		File:        testManifestFile,
		Version:     "v2026-11-22",
		Description: "CIEL November release",
		Released:    false,
		Major:       true,
		Source:      &SourceRef{Org: "CIEL-TEST", Source: "CIEL"},
		Exports:     []string{"openmrs-2"},
		QA: QAOverrides{
			Severity: map[string]string{"FR-19": "info", "XR-05": "error"},
			Disabled: []string{"FR-23"},
		},
		Notes: "New malaria concepts.\n\nRetired duplicates.\n",
		Issue: 42,
	}, plain(m))

	e, err := m.Effective(nil)
	require.NoError(t, err)
	assert.Equal(t, "CIEL November release", e.Description)
	assert.Equal(t, "CIEL-TEST", e.Org)
	assert.True(t, e.Major)
	require.Len(t, e.Exports, 1)
	assert.Equal(t, FormatOpenMRS2, e.Exports[0].Format)
}

func TestParseManifestErrors(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		input string
		want  []string
	}{
		{
			name:  "unknown field",
			input: "version: v2026-11-22\n\nrelased: true\n",
			want: []string{`releases/v2026-11-22.yaml:3:1: unknown field "relased", did you mean "released"? ` +
				`(known fields: version, description, released, major, source, exports, qa, notes, issue)`},
		},
		{
			name:  "unknown nested field",
			input: "version: v2026-11-22\nsource:\n  org: CIEL\n  source: CIEL\n  owner: x\n",
			want:  []string{`releases/v2026-11-22.yaml:5:3: source: unknown field "owner" (known fields: org, source)`},
		},
		{
			name:  "date that does not exist",
			file:  "releases/v2026-11-31.yaml",
			input: "version: v2026-11-31\n",
			want:  []string{`releases/v2026-11-31.yaml:1:10: version "v2026-11-31" is not a real date`},
		},
		{
			name:  "february 30",
			file:  "releases/v2026-02-30.yaml",
			input: "version: v2026-02-30\n",
			want:  []string{`releases/v2026-02-30.yaml:1:10: version "v2026-02-30" is not a real date`},
		},
		{
			name:  "not a version",
			input: "version: 2026-11-22\n",
			want:  []string{`releases/v2026-11-22.yaml:1:10: version "2026-11-22" is not a version (expected v and a date, like v2026-11-22)`},
		},
		{
			name:  "version missing",
			input: "description: x\n",
			want:  []string{`releases/v2026-11-22.yaml:1:1: version: missing (expected the version to release, like version: v2026-11-22)`},
		},
		{
			name:  "version empty",
			input: "description: x\nversion:\n",
			want:  []string{`releases/v2026-11-22.yaml:2:1: version: missing (expected the version to release, like version: v2026-11-22)`},
		},
		{
			name:  "version does not match the file name",
			input: "version: v2026-11-21\n",
			want: []string{`releases/v2026-11-22.yaml:1:10: version: "v2026-11-21" does not match the file name "v2026-11-22.yaml" ` +
				`(expected v2026-11-22, or rename the file to v2026-11-21.yaml)`},
		},
		{
			name:  "file in releases not named after a version",
			file:  "releases/november.yaml",
			input: "version: v2026-11-22\n",
			want: []string{`releases/november.yaml:1:10: version: the file name "november.yaml" does not follow vYYYY-MM-DD.yaml, the only name the workflows pick up ` +
				`(expected "v2026-11-22.yaml" for version v2026-11-22)`},
		},
		{
			name:  "yml extension in releases",
			file:  "releases/v2026-11-22.yml",
			input: "version: v2026-11-22\n",
			want: []string{`releases/v2026-11-22.yml:1:10: version: the file name "v2026-11-22.yml" does not follow vYYYY-MM-DD.yaml, the only name the workflows pick up ` +
				`(expected "v2026-11-22.yaml" for version v2026-11-22)`},
		},
		{
			name:  "wrong types",
			input: "version: v2026-11-22\ndescription: 12\nreleased: yes\nissue: \"7\"\nexports: openmrs-2\nnotes: [a]\n",
			want: []string{
				`releases/v2026-11-22.yaml:2:14: description: expected text, got the number 12 (put it in quotes to make it text)`,
				`releases/v2026-11-22.yaml:3:11: released: expected true or false, got the text "yes"`,
				`releases/v2026-11-22.yaml:4:8: issue: expected a whole number, got the text "7"`,
				`releases/v2026-11-22.yaml:5:10: exports: expected a list, got the text "openmrs-2"`,
				`releases/v2026-11-22.yaml:6:8: notes: expected text, got a list`,
			},
		},
		{
			name:  "major not a boolean",
			input: "version: v2026-11-22\nmajor: \"yes\"\n",
			want:  []string{`releases/v2026-11-22.yaml:2:8: major: expected true or false, got the text "yes"`},
		},
		{
			name:  "issue not positive",
			input: "version: v2026-11-22\nissue: 0\n",
			want:  []string{`releases/v2026-11-22.yaml:2:8: issue: 0 is not an issue number (expected a whole number from 1)`},
		},
		{
			name:  "issue too large",
			input: "version: v2026-11-22\nissue: 99999999999999999999999\n",
			want:  []string{`releases/v2026-11-22.yaml:2:8: issue: the number 99999999999999999999999 is too large`},
		},
		{
			name:  "description on two lines",
			input: "version: v2026-11-22\ndescription: \"a\\nb\"\n",
			want:  []string{`releases/v2026-11-22.yaml:2:14: description: must be one line (put longer text in notes)`},
		},
		{
			name:  "source block incomplete",
			input: "version: v2026-11-22\nsource:\n  org: CIEL\n",
			want:  []string{`releases/v2026-11-22.yaml:3:3: source.source: required when source is given (the OCL source id, like CIEL)`},
		},
		{
			name:  "source ids",
			input: "version: v2026-11-22\nsource:\n  org: CIEL org\n  source: CIEL\n",
			want: []string{`releases/v2026-11-22.yaml:3:8: source.org: "CIEL org" is not an OCL id ` +
				`(expected letters, digits, '.', '_', '-' or '@', like CIEL)`},
		},
		{
			name:  "exports repeated or empty",
			input: "version: v2026-11-22\nexports: [openmrs-2, \"\", openmrs-2]\n",
			want: []string{
				`releases/v2026-11-22.yaml:2:22: exports[1]: is empty (expected the name of a configured export)`,
				`releases/v2026-11-22.yaml:2:26: exports[2]: "openmrs-2" is listed twice`,
			},
		},
		{
			name:  "qa overrides",
			input: "version: v2026-11-22\nqa:\n  severity:\n    fr-1: fatal\n    FR-02: info\n  disabled: [FR-02, XR-05, XR-05, R1]\n",
			want: []string{
				`releases/v2026-11-22.yaml:4:5: qa.severity.fr-1: "fr-1" is not a rule id (expected two capital letters, a dash and two digits, like FR-01)`,
				`releases/v2026-11-22.yaml:4:11: qa.severity.fr-1: "fatal" is not a severity (expected error, warning or info)`,
				`releases/v2026-11-22.yaml:6:14: qa.disabled[0]: FR-02 is disabled and also given a severity in qa.severity: keep one`,
				`releases/v2026-11-22.yaml:6:28: qa.disabled[2]: XR-05 is listed twice`,
				`releases/v2026-11-22.yaml:6:35: qa.disabled[3]: "R1" is not a rule id (expected two capital letters, a dash and two digits, like FR-01)`,
			},
		},
		{
			name:  "empty file",
			input: "",
			want:  []string{"releases/v2026-11-22.yaml:1:1: the file is empty: expected at least the version, like `version: v2026-11-22`"},
		},
		{
			name:  "only comments",
			input: "# nothing yet\n",
			want:  []string{"releases/v2026-11-22.yaml:1:1: the file is empty: expected at least the version, like `version: v2026-11-22`"},
		},
		{
			name:  "two documents",
			input: "version: v2026-11-22\n---\nversion: v2026-11-23\n",
			want:  []string{`releases/v2026-11-22.yaml:2:1: a second YAML document starts here: the file must hold exactly one`},
		},
		{
			name:  "not UTF-8",
			input: "version: v2026-11-22\nnotes: caf\xe9\n",
			want:  []string{`releases/v2026-11-22.yaml:2:11: invalid UTF-8 at byte 31 (0xe9): the file must be UTF-8 text`},
		},
		{
			name:  "malformed YAML",
			input: "version: v2026-11-22\nexports: [openmrs-2\n",
			want:  []string{`releases/v2026-11-22.yaml:2:10: invalid YAML: sequence end token ']' not found`},
		},
		{
			name:  "duplicate key",
			input: "version: v2026-11-22\nversion: v2026-11-22\n",
			want:  []string{`releases/v2026-11-22.yaml:2:1: invalid YAML: mapping key "version" already defined at [1:1]`},
		},
		{
			name:  "tab indentation",
			input: "version: v2026-11-22\nsource:\n\torg: CIEL\n",
			want:  []string{`releases/v2026-11-22.yaml:3:1: invalid YAML: found character '\t' that cannot start any token`},
		},
		{
			name:  "a list at the top",
			input: "- version: v2026-11-22\n",
			want:  []string{`releases/v2026-11-22.yaml:1:1: expected fields (key: value) at the top of the file, got a list`},
		},
		{
			name:  "anchors and aliases",
			input: "version: &v v2026-11-22\ndescription: *v\nnotes: !!str x\n",
			want: []string{
				`releases/v2026-11-22.yaml:1:10: version: YAML anchors (&name) are not supported: write the value out`,
				`releases/v2026-11-22.yaml:2:14: description: YAML aliases (*name) are not supported: write the value out`,
				`releases/v2026-11-22.yaml:3:8: notes: YAML tags (!tag) are not supported: write the plain value`,
			},
		},
		{
			// The parser would take minutes on this; the depth is refused first.
			name:  "deeply nested brackets",
			input: "version: v2026-11-22\nexports: " + strings.Repeat("[", 100000) + "\n",
			want:  []string{`releases/v2026-11-22.yaml:2:42: invalid YAML: [ ] and { } are nested more than 32 levels deep`},
		},
		{
			name:  "too large",
			input: "version: v2026-11-22\nnotes: " + strings.Repeat("x", MaxFileSize) + "\n",
			want:  []string{`releases/v2026-11-22.yaml:1:1: the file is 1048605 bytes, more than the limit of 1048576 bytes (1 MiB)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if file == "" {
				file = testManifestFile
			}
			m, err := ParseManifest(file, []byte(tt.input))
			require.Error(t, err)
			assert.Nil(t, m)
			assert.Equal(t, tt.want, strings.Split(err.Error(), "\n"))
		})
	}
}

func TestManifestErrorsAreTyped(t *testing.T) {
	_, err := ParseManifest(testManifestFile, []byte("version: v2026-11-22\nreleased: 1\nissue: -3\n"))
	var list Errors
	require.ErrorAs(t, err, &list)
	require.Len(t, list, 2)
	assert.Equal(t, Error{File: testManifestFile, Line: 2, Column: 11, Path: "released",
		Message: "released: expected true or false, got the number 1"}, *list[0])
	assert.Equal(t, "issue", list[1].Path)

	var one *Error
	require.ErrorAs(t, err, &one)
	assert.Equal(t, 2, one.Line)
}

func TestFilesOutsideReleasesMayHaveAnyName(t *testing.T) {
	for _, name := range []string{"", "-", "draft.yaml", "/tmp/x/next.yaml"} {
		m, err := ParseManifest(name, []byte("version: v2026-11-22\n"))
		require.NoError(t, err, name)
		assert.Equal(t, "v2026-11-22", m.Version)
	}
}

func TestByteOrderMarkIsAllowed(t *testing.T) {
	m, err := ParseManifest(testManifestFile, []byte("\uFEFFversion: v2026-11-22\n"))
	require.NoError(t, err)
	assert.Equal(t, "v2026-11-22", m.Version)

	_, err = ParseManifest(testManifestFile, []byte("\uFEFFversion: v2026-11-22\nx: \xff\n"))
	assert.EqualError(t, err, `releases/v2026-11-22.yaml:2:4: invalid UTF-8 at byte 27 (0xff): the file must be UTF-8 text`)
}

func TestManifestValidateAgainstConfiguration(t *testing.T) {
	m, err := ParseManifest(testManifestFile, []byte("version: v2026-11-22\nexports:\n  - openmrs-2\n  - csv\n"))
	require.NoError(t, err, "without a configuration any name is accepted")

	err = m.Validate(DefaultConfig())
	assert.EqualError(t, err, `releases/v2026-11-22.yaml:4:5: exports[1]: "csv" is not an export of the configuration (configured: openmrs-1.11, openmrs-2)`)

	_, err = m.Effective(nil)
	assert.EqualError(t, err, `releases/v2026-11-22.yaml:4:5: exports[1]: "csv" is not an export of the configuration (configured: openmrs-1.11, openmrs-2)`)

	cfg := DefaultConfig()
	cfg.Exports = append(cfg.Exports, ExportSpec{Name: "csv", Format: FormatScript, Command: []string{"make-csv"}, Timeout: time.Minute})
	e, err := m.Effective(cfg)
	require.NoError(t, err)
	require.Len(t, e.Exports, 2)
	assert.Equal(t, "openmrs-2", e.Exports[0].Name)
	assert.Equal(t, []string{"make-csv"}, e.Exports[1].Command)
}

func TestValidateManifestBuiltInCode(t *testing.T) {
	m := &Manifest{Version: "v2026-13-01", Issue: -1, Exports: []string{"x"}}
	err := m.Validate(DefaultConfig())
	assert.EqualError(t, err, strings.Join([]string{
		`version "v2026-13-01" is not a real date`,
		`exports[0]: "x" is not an export of the configuration (configured: openmrs-1.11, openmrs-2)`,
		`issue: -1 is not an issue number (expected a whole number from 1)`,
	}, "\n"))
}

func TestEmptyExportListProducesNone(t *testing.T) {
	m, err := ParseManifest(testManifestFile, []byte("version: v2026-11-22\nexports: []\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{}, m.Exports)
	e, err := m.Effective(nil)
	require.NoError(t, err)
	assert.Empty(t, e.Exports)
}

func TestEffectiveQAMergesReleaseOverRepository(t *testing.T) {
	cfg := DefaultConfig()
	cfg.QA.Severity = map[string]string{"FR-19": "info", "FR-23": "error"}
	cfg.QA.Disabled = []string{"FR-24", "XR-05"}
	cfg.QA.MaxFindings = 500
	m := DefaultManifest("v2026-11-22", cfg)
	m.QA = QAOverrides{
		Severity: map[string]string{"FR-19": "warning", "XR-05": "warning"},
		Disabled: []string{"FR-23", "FR-25"},
	}

	e, err := m.Effective(cfg)
	require.NoError(t, err)
	assert.Equal(t, QAConfig{
		QAOverrides: QAOverrides{
			// The release's severity wins, and enables XR-05 again.
			Severity: map[string]string{"FR-19": "warning", "XR-05": "warning"},
			// The release disables FR-23 although the repository raised it.
			Disabled: []string{"FR-23", "FR-24", "FR-25"},
		},
		MaxFindings: 500,
	}, e.QA)
}

func TestVersions(t *testing.T) {
	late := time.Date(2026, 11, 22, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600))
	assert.Equal(t, "v2026-11-23", VersionForDate(late), "the UTC date")
	assert.Equal(t, "releases/v2026-11-23.yaml", ManifestPath("v2026-11-23"))

	tests := []struct {
		in      string
		want    time.Time
		wantErr error
	}{
		{"v2026-11-22", time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), nil},
		{"v2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), nil},
		{"v2026-02-29", time.Time{}, ErrNotDate},
		{"v2026-00-10", time.Time{}, ErrNotDate},
		{"v2026-1-10", time.Time{}, ErrNotVersion},
		{"2026-11-22", time.Time{}, ErrNotVersion},
		{"v2026-11-22 ", time.Time{}, ErrNotVersion},
		{"V2026-11-22", time.Time{}, ErrNotVersion},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseVersion(tt.in)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.in, VersionForDate(got))
		})
	}
}

func TestDefaultManifest(t *testing.T) {
	cfg := DefaultConfig()
	cfg.OCL.Source = "PIH"
	m := DefaultManifest("v2026-11-22", cfg)
	assert.Equal(t, Manifest{File: "releases/v2026-11-22.yaml", Version: "v2026-11-22", Description: "PIH v2026-11-22", Released: true}, *m)
	assert.Equal(t, "CIEL v2026-11-22", DefaultManifest("v2026-11-22", nil).Description)
}

func TestLoadManifest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "releases")
	require.NoError(t, os.Mkdir(dir, 0o755))
	good := filepath.Join(dir, "v2026-11-22.yaml")
	require.NoError(t, os.WriteFile(good, []byte("version: v2026-11-22\n"), 0o644))
	m, err := LoadManifest(good)
	require.NoError(t, err)
	assert.Equal(t, good, m.File)

	bad := filepath.Join(dir, "v2026-11-23.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("version: v2026-11-22\n"), 0o644))
	_, err = LoadManifest(bad)
	assert.EqualError(t, err, bad+`:1:10: version: "v2026-11-22" does not match the file name "v2026-11-23.yaml" (expected v2026-11-23, or rename the file to v2026-11-22.yaml)`)

	huge := filepath.Join(dir, "v2026-11-24.yaml")
	require.NoError(t, os.WriteFile(huge, make([]byte, 3*MaxFileSize), 0o644))
	_, err = LoadManifest(huge)
	assert.EqualError(t, err, huge+`:1:1: the file is 1048577 bytes, more than the limit of 1048576 bytes (1 MiB)`)

	_, err = LoadManifest(filepath.Join(dir, "v2026-11-25.yaml"))
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

func TestErrorsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: v2026-11-22\n")
	for i := range 80 {
		b.WriteString("unknown" + strings.Repeat("x", i) + ": 1\n")
	}
	_, err := ParseManifest(testManifestFile, []byte(b.String()))
	var list Errors
	require.ErrorAs(t, err, &list)
	require.Len(t, list, maxReported+1)
	assert.Equal(t, "releases/v2026-11-22.yaml:52:1: and 30 more problems from here on", list[maxReported].Error())
}
