package dataset

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// exportBytes is export.json of spec's export of v2026-11-22, as bytes.
func exportBytes(t *testing.T, spec Spec) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, mustNew(t, spec).WriteExport(&buf, "v2026-11-22"))
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	require.Len(t, zr.File, 1)
	require.Equal(t, "export.json", zr.File[0].Name)
	f, err := zr.File[0].Open()
	require.NoError(t, err)
	defer f.Close()
	data, err := io.ReadAll(f)
	require.NoError(t, err)
	return data
}

// exportDoc is export.json decoded generically, numbers kept as written.
type exportDoc map[string]any

func decodeExport(t *testing.T, data []byte) exportDoc {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc exportDoc
	require.NoError(t, dec.Decode(&doc))
	return doc
}

func (d exportDoc) objects(key string) []map[string]any {
	var out []map[string]any
	for _, v := range d[key].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func objectsIn(v any) []map[string]any {
	var out []map[string]any
	for _, o := range v.([]any) {
		out = append(out, o.(map[string]any))
	}
	return out
}

// header is the text of export.json before its "concepts".
func header(data []byte) string {
	at := bytes.Index(data, []byte(`"concepts": [`))
	if at < 0 {
		return ""
	}
	return string(data[:at])
}

// TestModelIgnoredFieldsReachTheBytes: fields the product's model (internal/ocl) has
// no place for are in the export all the same, because the fake writes OCL's
// serializers, not the model.
func TestModelIgnoredFieldsReachTheBytes(t *testing.T) {
	data := exportBytes(t, Spec{Seed: 5, Concepts: 300, RetiredFraction: 0.1})
	doc := decodeExport(t, data)
	concepts := doc.objects("concepts")
	for _, key := range []string{"checksums", "display_name", "version_created_on", "source_url", "is_latest_version", "parent_concept_urls"} {
		assert.Contains(t, concepts[0], key)
	}
	checksums := concepts[0]["checksums"].(map[string]any)
	assert.Len(t, checksums["standard"], 32)
	assert.Len(t, checksums["smart"], 32)
	mapping := doc.objects("mappings")[0]
	for _, key := range []string{"checksums", "versioned_object_id", "from_concept_name_resolved", "created_by", "updated_by", "public_can_view"} {
		assert.Contains(t, mapping, key)
	}
	assert.Equal(t, "View", doc["public_access"])
	assert.Contains(t, doc, "concepts_url")

	retired := 0
	for _, c := range concepts {
		if c["retired"] == true {
			retired++
			assert.NotEmpty(t, c["retire_reason"], "concept %v", c["id"])
		} else {
			assert.Nil(t, c["retire_reason"], "concept %v", c["id"])
			assert.Contains(t, c, "retire_reason")
		}
	}
	assert.Positive(t, retired)
	// Python's json.dumps spacing, as oclapi2 writes export.json.
	assert.True(t, bytes.HasPrefix(data, []byte(`{"type": "Source Version", "uuid": "`)), "%.60s", data)
}

func TestEra2026Shape(t *testing.T) {
	data := exportBytes(t, Spec{Seed: 6, Concepts: 600})
	doc := decodeExport(t, data)
	assert.Equal(t, "v2026-11-22", doc["version"])
	assert.Contains(t, doc, "export_time")
	assert.Contains(t, doc, "created_on")
	assert.NotContains(t, doc, "created_at")

	var retiredNames, retiredDescriptions, nullTypes, spelledSynonyms, allowDecimal int
	for _, c := range doc.objects("concepts") {
		assert.Contains(t, c, "created_on")
		assert.NotContains(t, c, "created_at")
		for _, n := range objectsIn(c["names"]) {
			require.Contains(t, n, "retired", "every name says whether it is retired")
			assert.Equal(t, "ConceptName", n["type"])
			retiredNames += pick(n["retired"] == true, 1, 0)
			nameType, present := n["name_type"]
			require.True(t, present, "name_type is written even when null")
			nullTypes += pick(nameType == nil, 1, 0)
			spelledSynonyms += pick(nameType == "SYNONYM", 1, 0)
		}
		for _, ds := range objectsIn(c["descriptions"]) {
			require.Contains(t, ds, "retired")
			retiredDescriptions += pick(ds["retired"] == true, 1, 0)
			assert.NotNil(t, ds["external_id"])
		}
		if e, ok := c["extras"].(map[string]any); ok {
			_, has := e["allow_decimal"]
			allowDecimal += pick(has, 1, 0)
		} else {
			t.Fatalf("concept %v: extras %v is not an object in a 2026 export", c["id"], c["extras"])
		}
	}
	assert.Positive(t, retiredNames)
	assert.Positive(t, retiredDescriptions)
	assert.Positive(t, nullTypes)
	assert.Positive(t, spelledSynonyms)
	assert.Positive(t, allowDecimal)
	for _, m := range doc.objects("mappings") {
		assert.Contains(t, m, "sort_weight")
		if e, ok := m["extras"].(map[string]any); ok {
			assert.NotContains(t, e, "sort_weight", "by default the weight is only at the top")
		}
	}
}

func TestEra2015Shape(t *testing.T) {
	data := exportBytes(t, Spec{Seed: 6, Concepts: 600, Era: ocltest.Era2015})
	doc := decodeExport(t, data)
	assert.Equal(t, "Source", doc["type"])
	assert.Equal(t, "CIEL", doc["id"])
	assert.NotContains(t, doc, "version")
	assert.NotContains(t, doc, "export_time")
	assert.NotContains(t, doc, "created_on")
	assert.Contains(t, doc, "created_at")
	assert.Equal(t, strings.Join(DefaultLocales, ","), doc["supported_locales"])
	assert.Nil(t, doc["extras"])
	assert.True(t, bytes.HasSuffix(data, []byte("]}")), "the file ends with the mappings")
	assert.NotContains(t, header(data), `"version"`)

	var precise, nullExtras int
	for _, c := range doc.objects("concepts") {
		assert.Contains(t, c, "created_at")
		assert.NotContains(t, c, "created_on")
		assert.NotContains(t, c, "checksums")
		assert.NotContains(t, c, "retire_reason")
		for _, n := range objectsIn(c["names"]) {
			assert.NotContains(t, n, "retired")
		}
		for _, ds := range objectsIn(c["descriptions"]) {
			assert.Nil(t, ds["external_id"], "2015 descriptions have no external_id")
		}
		switch e := c["extras"].(type) {
		case nil:
			nullExtras++
		case map[string]any:
			assert.NotContains(t, e, "allow_decimal")
			if p, ok := e["precise"]; ok {
				precise++
				assert.Contains(t, []any{json.Number("0"), json.Number("1")}, p, "precise is an integer 0 or 1")
			}
		}
	}
	assert.Positive(t, precise)
	assert.Positive(t, nullExtras)
	weighted := 0
	for _, m := range doc.objects("mappings") {
		assert.NotContains(t, m, "sort_weight")
		assert.NotContains(t, m, "checksums")
		switch m["map_type"] {
		case "Q-AND-A", "CONCEPT-SET":
			assert.Nil(t, m["external_id"])
			weighted++
			assert.Contains(t, m["extras"], "sort_weight")
		default:
			assert.NotNil(t, m["external_id"])
		}
	}
	assert.Positive(t, weighted)
}

func TestCollectionShape(t *testing.T) {
	data := exportBytes(t, Spec{Seed: 7, Concepts: 200, Collection: "Starter-Set"})
	doc := decodeExport(t, data)
	assert.Equal(t, "Collection Version", doc["type"])
	assert.Equal(t, "/orgs/CIEL/collections/Starter-Set/", doc["url"])
	concepts := doc.objects("concepts")
	refs := doc.objects("references")
	require.Len(t, refs, len(concepts))
	for k, c := range concepts {
		url := c["url"].(string)
		assert.True(t, strings.HasPrefix(url, "/orgs/CIEL/sources/CIEL/concepts/"), url)
		assert.Equal(t, "CIEL", c["source"])
		assert.Equal(t, url, refs[k]["expression"])
	}
	own := 0
	for _, m := range doc.objects("mappings") {
		assert.Equal(t, "CIEL", m["source"])
		if m["to_source_url"] == "/orgs/CIEL/sources/CIEL/" {
			own++
			assert.Equal(t, "CIEL", m["to_source_name"], "mappings name the source, not the collection")
		}
	}
	assert.Positive(t, own)
	assert.NotContains(t, string(data), "/collections/Starter-Set/concepts/")
	// The order oclapi2 writes: concepts, references, mappings.
	at := func(key string) int { return bytes.Index(data, []byte(`"`+key+`": [`)) }
	assert.Less(t, at("concepts"), at("references"))
	assert.Less(t, at("references"), at("mappings"))

	// A source export has no references.
	assert.NotContains(t, decodeExport(t, exportBytes(t, Spec{Seed: 7, Concepts: 200})), "references")
}

func TestWeightsPlacement(t *testing.T) {
	tests := []struct {
		weights          Weights
		top, inExtras    bool
		wantTopNullCount bool
	}{
		{WeightTop, true, false, false},
		{WeightExtras, false, true, true},
		{WeightBoth, true, true, false},
	}
	for _, tt := range tests {
		doc := decodeExport(t, exportBytes(t, Spec{Seed: 8, Concepts: 300, Weights: tt.weights}))
		weighted := 0
		for _, m := range doc.objects("mappings") {
			if m["map_type"] != "Q-AND-A" && m["map_type"] != "CONCEPT-SET" {
				assert.Nil(t, m["sort_weight"])
				continue
			}
			weighted++
			top := m["sort_weight"]
			extras, _ := m["extras"].(map[string]any)
			inExtras := extras["sort_weight"]
			assert.Equal(t, tt.top, top != nil, "weights %d: top-level sort_weight of %v", tt.weights, m["id"])
			assert.Equal(t, tt.inExtras, inExtras != nil, "weights %d: extras.sort_weight of %v", tt.weights, m["id"])
			if top != nil && inExtras != nil {
				a, _ := top.(json.Number).Float64()
				b, _ := inExtras.(json.Number).Float64()
				assert.Equal(t, a, b)
			}
		}
		assert.Positive(t, weighted)
	}
}

// TestVariantsAreCleanAndInjectable: every variant is clean under the reference QA,
// and an injection still gives exactly its finding.
func TestVariantsAreCleanAndInjectable(t *testing.T) {
	variants := []Spec{
		{Seed: 11, Concepts: 800, Era: ocltest.Era2015},
		{Seed: 12, Concepts: 800, Collection: "Starter-Set"},
		{Seed: 13, Concepts: 800, Weights: WeightBoth},
		{Seed: 14, Concepts: 800, Weights: WeightExtras, RetiredFraction: 0.2},
	}
	for _, spec := range variants {
		assert.Empty(t, sorted(referenceQA(mustNew(t, spec))), "%+v", spec)
		for _, rule := range []string{"FR-01", "FR-22", "XR-01", "EX-04", "OM-03"} {
			spec.Inject = []Injection{{Rule: rule, Index: -1}}
			d := mustNew(t, spec)
			assert.Equal(t, sorted(d.Expected()), sorted(referenceQA(d)), "%s in %+v", rule, spec)
		}
	}
}
