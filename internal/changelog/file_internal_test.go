package changelog

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The hand-written JSON strings of the index decode to what encoding/json's own do.
func TestAppendJSONStringDecodesAsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f",
		"accents é ü 中文 🙂", "line\u2028para\u2029", "bad \xff\xfe utf8", "<script>&amp;</script>"} {
		var got, want string
		require.NoError(t, json.Unmarshal(appendJSONString(nil, s), &got), "%q", s)
		std, err := json.Marshal(s)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(std, &want))
		assert.Equal(t, want, got, "%q", s)
	}
}

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
