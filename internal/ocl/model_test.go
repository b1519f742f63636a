package ocl

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInternalTarget(t *testing.T) {
	// A collection export "Starter" holding CIEL 1 and 2 and PIH 5.
	concepts := []Concept{
		{ID: "1", URL: "/orgs/CIEL/sources/CIEL/concepts/1/"},
		{ID: "2", Source: "CIEL", URL: "/orgs/ACME/collections/Starter/concepts/2/"},
		{ID: "5", Source: "PIH"},
	}
	const exportSource = "Starter"
	index := map[ConceptKey]bool{}
	for i := range concepts {
		index[KeyOf(&concepts[i], exportSource).Canonical()] = true
	}
	has := func(k ConceptKey) bool { return index[k.Canonical()] }
	tests := []struct {
		name string
		m    Mapping
		want bool
	}{
		{"named source and code", Mapping{ToSourceName: "CIEL", ToConceptCode: "2"}, true},
		{"source case aside", Mapping{ToSourceName: "ciel", ToConceptCode: "1"}, true},
		{"read from the URL", Mapping{ToConceptURL: "/orgs/CIEL/sources/CIEL/concepts/1/"}, true},
		{"source from to_source_url", Mapping{ToSourceURL: "/orgs/PIH/sources/PIH/", ToConceptCode: "5"}, true},
		{"close: the same code in another source", Mapping{ToSourceName: "PIH", ToConceptCode: "1"}, false},
		{"close: a code the export lacks", Mapping{ToSourceName: "CIEL", ToConceptCode: "99"}, false},
		{"close: no source means the export's own, which holds no 1", Mapping{ToConceptCode: "1"}, false},
		{"close: no code", Mapping{ToSourceName: "CIEL"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, InternalTarget(&tt.m, exportSource, has))
		})
	}
}

func TestWeight(t *testing.T) {
	top := 2.0
	tests := []struct {
		name string
		m    Mapping
		want float64
		ok   bool
	}{
		{"top-level sort_weight (since 2022-12)", Mapping{SortWeight: &top, Extras: Extras{"sort_weight": json.RawMessage(`9`)}}, 2, true},
		{"extras.sort_weight, as real CIEL", Mapping{Extras: Extras{"sort_weight": json.RawMessage(`3.5`)}}, 3.5, true},
		{"close: neither", Mapping{Extras: Extras{"sort_weight": json.RawMessage(`null`)}}, 0, false},
	}
	for _, tt := range tests {
		w, ok := tt.m.Weight()
		assert.Equal(t, tt.ok, ok, tt.name)
		assert.Equal(t, tt.want, w, tt.name)
	}
}

func TestWrongTypesAreRecordedNotFatal(t *testing.T) {
	var c Concept
	err := json.Unmarshal([]byte(`{"id": "7", "names": [{"name": "A", "retired": "yes"}], "datatype": "Coded", "extras": "mg"}`), &c)
	require.Error(t, err)
	require.True(t, c.NoteWrongType(err))
	assert.Equal(t, []WrongType{{Field: "names.retired", Got: "string", Want: "bool"}}, c.WrongTypes)
	assert.Equal(t, "Coded", c.Datatype, "fields after the wrong one are still decoded")
	kind, ok := c.Extras.NotAnObject()
	assert.True(t, ok)
	assert.Equal(t, "string", kind)
	assert.False(t, c.Extras.Has("units"))

	var broken Concept
	err = json.Unmarshal([]byte(`{"id": "7", "retired": tru}`), &broken)
	require.Error(t, err)
	assert.False(t, broken.NoteWrongType(err), "broken JSON is no wrong type")
	assert.Empty(t, broken.WrongTypes)
}

func TestAPIPageWithAWrongTypeIsDecodedPerConcept(t *testing.T) {
	page := `[{"id": "1", "names": [{"name": "A", "locale": "en", "locale_preferred": true}]},
		{"id": "2", "retired": "no", "datatype": "Text"},
		{"id": "3", "mappings": [{"id": "m", "sort_weight": "x"}]}]`
	var concepts []Concept
	require.Error(t, json.Unmarshal([]byte(page), &concepts))
	handled, err := decodeListLeniently([]byte(page), &concepts)
	require.True(t, handled)
	require.NoError(t, err)
	require.Len(t, concepts, 3)
	assert.Empty(t, concepts[0].WrongTypes)
	assert.True(t, concepts[0].Names[0].LocalePreferred)
	assert.Equal(t, []WrongType{{Field: "retired", Got: "string", Want: "bool"}}, concepts[1].WrongTypes)
	assert.Equal(t, "Text", concepts[1].Datatype)
	require.Len(t, concepts[2].WrongTypes, 1)
	assert.Equal(t, "mappings.sort_weight", concepts[2].WrongTypes[0].Field)

	_, err = decodeListLeniently([]byte(strings.TrimSuffix(page, "]")+`, {"id": tru}]`), &concepts)
	assert.Error(t, err, "broken JSON still fails")
}

func TestVersionMetadataWithBadLocalesKeepsTheRest(t *testing.T) {
	var v SourceVersion
	err := json.Unmarshal([]byte(`{"id": "v1", "supported_locales": [1, 2], "url": "/orgs/CIEL/sources/CIEL/v1/", "owner": "CIEL"}`), &v)
	require.NoError(t, err)
	assert.Equal(t, "/orgs/CIEL/sources/CIEL/v1/", v.URL)
	assert.Equal(t, "CIEL", v.Owner)
	assert.Empty(t, v.SupportedLocales)
	assert.Equal(t, []WrongType{{Field: "supported_locales", Got: "array", Want: "array"}}, v.WrongTypes)

	for _, good := range []string{`["en", "fr"]`, `"en,fr"`} {
		var ok SourceVersion
		require.NoError(t, json.Unmarshal([]byte(`{"id": "v1", "supported_locales": `+good+`}`), &ok))
		assert.Equal(t, Locales{"en", "fr"}, ok.SupportedLocales, good)
		assert.Empty(t, ok.WrongTypes, good)
	}

	var wrong SourceVersion
	err = json.Unmarshal([]byte(`{"id": "v1", "released": "maybe", "url": "/orgs/CIEL/sources/CIEL/v1/"}`), &wrong)
	require.True(t, wrong.NoteWrongType(err))
	assert.Equal(t, "/orgs/CIEL/sources/CIEL/v1/", wrong.URL, "fields after the wrong one are read")
	assert.Equal(t, []WrongType{{Field: "released", Got: "string", Want: "bool"}}, wrong.WrongTypes)
}

func TestListConceptsKeepsAPageWithAWrongType(t *testing.T) {
	page := `[{"id": "1", "names": [{"name": "A", "locale": "en", "locale_preferred": 1}], "datatype": "Coded"},
		{"id": "2", "datatype": "Text"}]`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("num_found", "2")
		w.Header().Set("pages", "1")
		w.Header().Set("page_number", "1")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, "")
	require.NoError(t, err)
	var got []Concept
	err = c.ListConcepts(t.Context(), "CIEL", "CIEL", "HEAD", func(p []Concept) error {
		got = append(got, p...)
		return nil
	}, ListOptions{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []WrongType{{Field: "names.locale_preferred", Got: "number", Want: "bool"}}, got[0].WrongTypes)
	assert.Equal(t, "Coded", got[0].Datatype)
	assert.Empty(t, got[1].WrongTypes)
}
