package manifest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarshalRoundTrip(t *testing.T) {
	full := DefaultManifest("v2026-11-22", nil)
	full.Description = `CIEL: "November" # release`
	full.Released = false
	full.Source = &SourceRef{Org: "CIEL", Source: "CIEL-TEST"}
	full.Exports = []string{"openmrs-2", "true"}
	full.QA = QAOverrides{Severity: map[string]string{"FR-19": "info", "XR-05": "error"}, Disabled: []string{"FR-23"}}
	full.Notes = "## Changes\n\n- New malaria concepts\n  - indented detail\n# not a comment\n"
	full.Issue = 17

	tests := []struct {
		name   string
		change func(m *Manifest)
	}{
		{"defaults", func(m *Manifest) {}},
		{"no description", func(m *Manifest) { m.Description = "" }},
		{"empty lists", func(m *Manifest) {
			m.Exports = []string{}
			m.QA = QAOverrides{Severity: map[string]string{}, Disabled: []string{}}
		}},
		{"every field", func(m *Manifest) { *m = *full }},
		{"notes without final newline", func(m *Manifest) { m.Notes = "one\ntwo" }},
		{"notes with trailing empty lines", func(m *Manifest) { m.Notes = "one\n\n\n" }},
		{"notes on one line", func(m *Manifest) { m.Notes = "yes" }},
		{"notes starting with spaces", func(m *Manifest) { m.Notes = "  indented\nnext\n" }},
		{"notes with trailing spaces and CR", func(m *Manifest) { m.Notes = "a  \r\nb\t\n \n" }},
		{"notes with controls and emoji", func(m *Manifest) { m.Notes = "bell\a \u00e9t\u00e9 \U0001F600 \u2028 \x7f\n" }},
		{"description that looks like a number", func(m *Manifest) { m.Description = "2026" }},
		{"description with leading dash", func(m *Manifest) { m.Description = "- list?" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := DefaultManifest("v2026-11-22", nil)
			tt.change(m)
			data, err := Marshal(m)
			require.NoError(t, err)
			back, err := ParseManifest(m.File, data)
			require.NoError(t, err, "written:\n%s", data)
			assert.Equal(t, plain(m), plain(back), "written:\n%s", data)
		})
	}
}

func TestMarshalReadable(t *testing.T) {
	m := DefaultManifest("v2026-11-22", nil)
	m.Notes = "First line.\nSecond line.\n"
	data, err := Marshal(m)
	require.NoError(t, err)
	text := string(data)
	assert.Contains(t, text, "\nversion: v2026-11-22\n")
	assert.Contains(t, text, "\ndescription: CIEL v2026-11-22\n")
	assert.Contains(t, text, "\nreleased: true\n")
	assert.Contains(t, text, "\nnotes: |\n  First line.\n  Second line.\n")
	assert.Contains(t, text, "\n# exports:\n#   - openmrs-2\n", "unset fields are shown as commented examples")
	assert.Contains(t, text, "\n# issue: 123\n")
	assert.True(t, strings.HasPrefix(text, "# Release manifest"))
}

func TestMarshalRefusesInvalidManifest(t *testing.T) {
	m := DefaultManifest("v2026-11-22", nil)
	m.Version = "v2026-11-32"
	_, err := Marshal(m)
	assert.EqualError(t, err, `releases/v2026-11-22.yaml: version "v2026-11-32" is not a real date`)
}
