package changelog

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Texts with every character JSON must escape survive writing and reading an index.
func TestIndexRoundTripKeepsAwkwardText(t *testing.T) {
	names := []Name{
		{Locale: "en", Type: "FULLY_SPECIFIED", Preferred: true, Text: "A \"quoted\" \\ name\twith\u2028breaks"},
		{Locale: "fr", Type: "", Retired: true, Text: "énoncé <b>"},
	}
	ix := &Index{Org: "O", Source: "S", Version: "v1", Home: "S", Locale: "en", Concepts: []Concept{
		NewConcept(Concept{Code: "1", Datatype: "Coded", Class: "Question"}, names, []string{"2", "X/9"}, []string{"2"},
			[]Mapping{{MapType: "SAME-AS", Source: "SNOMED-CT", Code: "12\"3"}}),
		NewConcept(Concept{Code: "2", Source: "Other", Retired: true, Datatype: "N/A", Class: "Misc"}, nil, nil, nil, nil),
	}}
	var buf bytes.Buffer
	require.NoError(t, ix.Write(&buf))
	back, err := ReadIndex(&buf)
	require.NoError(t, err)
	assert.Equal(t, ix, back)
	assert.Equal(t, names[0].Text, back.Concepts[0].Names()[0].Text)
}

// FuzzReadIndex: any bytes are either refused or read as an index that writes back to
// an index reading the same.
func FuzzReadIndex(f *testing.F) {
	ix := &Index{Org: "O", Source: "S", Version: "v1", Home: "S", Locale: "en", Concepts: []Concept{
		NewConcept(Concept{Code: "1", Datatype: "Coded", Class: "Question"},
			[]Name{{Locale: "en", Type: "FULLY_SPECIFIED", Preferred: true, Text: "Q"}}, []string{"2"}, nil,
			[]Mapping{{MapType: "SAME-AS", Source: "LOINC", Code: "1-8"}}),
		NewConcept(Concept{Code: "2", Datatype: "N/A", Class: "Misc", Retired: true}, nil, nil, nil, nil),
	}}
	var seed bytes.Buffer
	require.NoError(f, ix.Write(&seed))
	f.Add(seed.Bytes())
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadIndex(bytes.NewReader(data))
		if err != nil {
			return
		}
		var again bytes.Buffer
		require.NoError(t, got.Write(&again))
		back, err := ReadIndex(&again)
		require.NoError(t, err)
		assert.Equal(t, got, back)
	})
}
