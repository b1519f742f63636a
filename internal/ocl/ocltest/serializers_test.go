package ocltest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

func TestJSONStringsAsEachWriterSpellsThem(t *testing.T) {
	tests := []struct {
		in, export, api string
	}{
		{`plain`, `"plain"`, `"plain"`},
		{`say "hi"\`, `"say \"hi\"\\"`, `"say \"hi\"\\"`},
		{"tab\tnl\n\x01", `"tab\tnl\n\u0001"`, `"tab\tnl\n\u0001"`},
		{"Fièvre", `"Fi\u00e8vre"`, `"Fièvre"`},
		{"𝄞", `"\ud834\udd1e"`, `"𝄞"`},
		{"bad\xffbyte", `"bad\ufffdbyte"`, "\"bad\ufffdbyte\""},
		{"a<b>&c", `"a<b>&c"`, `"a<b>&c"`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.export, string(appendJSONString(nil, tt.in, exportStyle.asciiOnly)), tt.in)
		assert.Equal(t, tt.api, string(appendJSONString(nil, tt.in, apiStyle.asciiOnly)), tt.in)
		var back string
		require.NoError(t, json.Unmarshal(appendJSONString(nil, tt.in, true), &back))
		assert.Equal(t, strings.ToValidUTF8(tt.in, "\ufffd"), back)
	}
}

func TestExtrasInJSONBOrder(t *testing.T) {
	e := Extras{"units": json.RawMessage(`"mg"`), "hi_normal": json.RawMessage("5"), "is_set": json.RawMessage("1"), "abc": json.RawMessage("true")}
	assert.Equal(t, `{"abc":true,"units":"mg","is_set":1,"hi_normal":5}`, string(e.appendJSON(nil, &apiStyle)))
	assert.Equal(t, "null", string(Extras(nil).appendJSON(nil, &apiStyle)))
}

func TestPythonFloats(t *testing.T) {
	for in, want := range map[float64]string{1: "1.0", 2.5: "2.5", -3: "-3.0", 1e21: "1000000000000000000000.0"} {
		assert.Equal(t, want, string(appendPythonFloat(nil, in)))
	}
}

// listing fetches a concept listing's raw body.
func listing(t *testing.T, srv *Server, query string) []byte {
	t.Helper()
	resp, err := http.Get(srv.URL() + "/orgs/CIEL/sources/CIEL/concepts/?" + query)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return body
}

// TestListingsWriteOCLFieldsTheModelLacks: a verbose listing carries what
// ConceptDetailSerializer writes, names with "retired" and "checksum", in DRF's
// compact spelling; a plain listing leaves names, descriptions and extras out.
func TestListingsWriteOCLFieldsTheModelLacks(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	content := &SliceContent{
		Concepts: []ocl.Concept{{
			ID: "1", ConceptClass: "Misc", Datatype: "N/A", Retired: true, RetireReason: "Duplicate",
			Names: []ocl.Name{
				{Name: "One", Locale: "en", LocalePreferred: true, NameType: "FULLY_SPECIFIED"},
				{Name: "Old one", Locale: "en", Retired: true},
				{Name: "Fièvre d'un & <b>", Locale: "fr", LocalePreferred: true},
			},
		}},
		Mappings: []ocl.Mapping{{ID: "m1", MapType: "SAME-AS", FromConceptCode: "1", ToConceptCode: "1", ToSourceName: "CIEL"}},
	}
	srv.AddSource("CIEL", "CIEL", content, []string{"en"})

	body := listing(t, srv, "verbose=true&includeMappings=true&includeRetired=true")
	assert.True(t, strings.HasPrefix(string(body), `[{"uuid":"1","mappings":[{"extras":{},"checksums":{"standard":"`), "%.80s", body)
	var verbose []map[string]any
	require.NoError(t, json.Unmarshal(body, &verbose))
	require.Len(t, verbose, 1)
	c := verbose[0]
	for _, key := range []string{"versioned_object_id", "versions_url", "checksums", "display_name", "created_by", "updated_by", "public_can_view"} {
		assert.Contains(t, c, key)
	}
	assert.Equal(t, "One", c["display_name"], "a retired name is never the display name")
	assert.Equal(t, "Duplicate", c["retire_reason"])
	assert.Equal(t, "/orgs/CIEL/sources/CIEL/concepts/1/", c["url"])
	assert.Contains(t, string(body), `"name":"Fièvre d'un & <b>"`, "UTF-8 and HTML characters as DRF writes them")
	assert.NotContains(t, string(body), `\u0026`)
	names := c["names"].([]any)
	require.Len(t, names, 3)
	old := names[1].(map[string]any)
	assert.Equal(t, true, old["retired"])
	assert.Nil(t, old["name_type"])
	assert.Len(t, old["checksum"], 32)
	mappings := c["mappings"].([]any)
	require.Len(t, mappings, 1)
	assert.Nil(t, mappings[0].(map[string]any)["to_concept_url"], "a target outside OCL has no URL")

	var plain []map[string]any
	require.NoError(t, json.Unmarshal(listing(t, srv, "includeRetired=true"), &plain))
	require.Len(t, plain, 1)
	for _, key := range []string{"names", "descriptions", "extras", "mappings"} {
		assert.NotContains(t, plain[0], key)
	}
	assert.Contains(t, plain[0], "checksums")
	assert.Contains(t, plain[0], "version_created_on")
}
