package export

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// idColumns is the id column of each keyed table.
var idColumns = map[string]string{
	"concept_class": "concept_class_id", "concept_map_type": "concept_map_type_id",
	"concept_reference_source": "concept_source_id", "concept_reference_term": "concept_reference_term_id",
	"concept": "concept_id", "concept_name": "concept_name_id", "concept_description": "concept_description_id",
	"concept_answer": "concept_answer_id", "concept_set": "concept_set_id", "concept_reference_map": "concept_map_id",
}

// carried pads an id with a CIEL marker to a 36-character uuid.
func carried(id int, marker string, fill string) string {
	s := strconv.Itoa(id) + marker
	return s + strings.Repeat(fill, 36-len(s))
}

func syn(name, ext string) ocl.Name { return ocl.Name{Name: name, Locale: "en", ExternalID: ext} }

// releaseA has rows of every kind of key: uuids that carry ids (a name, a reference map),
// uuids that do not, and rows without any uuid (2015-era answers, set members and
// descriptions, an OCL-made mapping, every reference term).
func releaseA() ([]ocl.Concept, []ocl.Mapping) {
	concepts := []ocl.Concept{
		{ID: "1", ExternalID: carried(1, "", "A"), ConceptClass: "Diagnosis", Datatype: "N/A",
			Names: []ocl.Name{
				{Name: "Fever", Locale: "en", LocalePreferred: true, NameType: "FULLY_SPECIFIED", ExternalID: "9f1c1d3e-3b8a-4a55-8e53-0a8f4f2f1a01"},
				syn("Pyrexia", ""),
				syn("Hot", carried(101, "", "B")),
			},
			Descriptions: []ocl.Description{{Description: "Raised body temperature", Locale: "en"}}},
		{ID: "2", ExternalID: carried(2, "", "A"), ConceptClass: "Misc", Datatype: "N/A", Names: []ocl.Name{fsn("Yes")}},
		{ID: "3", ExternalID: carried(3, "", "A"), ConceptClass: "Misc", Datatype: "N/A", Names: []ocl.Name{fsn("No")}},
		{ID: "4", ExternalID: carried(4, "", "A"), ConceptClass: "Question", Datatype: "Coded", Names: []ocl.Name{fsn("Has fever?")}},
		{ID: "5", ExternalID: carried(5, "", "A"), ConceptClass: "ConvSet", Datatype: "N/A", Names: []ocl.Name{fsn("Fever set")}},
	}
	mappings := []ocl.Mapping{
		{ID: "m1", ExternalID: "5c0f7a57-63c4-4e59-9e3a-1d1b8e6c2b11", MapType: "SAME-AS", FromConceptCode: "1", ToSourceName: "SNOMED-CT", ToConceptCode: "386661006"},
		{ID: "m2", ExternalID: carried(285967, "A", "B"), MapType: "NARROWER-THAN", FromConceptCode: "1", ToSourceName: "ICD-10-WHO", ToConceptCode: "R50.9"},
		{ID: "m3", MapType: "SAME-AS", FromConceptCode: "4", ToSourceName: "LOINC", ToConceptCode: "8310-5"},
		{ID: "m4", MapType: "Q-AND-A", FromConceptCode: "4", ToSourceName: "CIEL", ToConceptCode: "2"},
		{ID: "m5", MapType: "Q-AND-A", FromConceptCode: "4", ToSourceName: "CIEL", ToConceptCode: "3"},
		{ID: "m6", MapType: "CONCEPT-SET", FromConceptCode: "5", ToSourceName: "CIEL", ToConceptCode: "1"},
		{ID: "m7", MapType: "CONCEPT-SET", FromConceptCode: "5", ToSourceName: "CIEL", ToConceptCode: "4"},
	}
	return concepts, mappings
}

// releaseB is release A with a synonym and a mapping added, a synonym dropped and every
// list in another order.
func releaseB() ([]ocl.Concept, []ocl.Mapping) {
	concepts, mappings := releaseA()
	fever := &concepts[0]
	fever.Names = []ocl.Name{fever.Names[0], fever.Names[2], syn("Febrile", "")} // Pyrexia dropped, Febrile added
	mappings = append(mappings, ocl.Mapping{ID: "m8", ExternalID: "0d9e6c1a-8f0b-4c3e-9a57-7e2b5d4c3a21", MapType: "SAME-AS",
		FromConceptCode: "2", ToSourceName: "SNOMED CT", ToConceptCode: "373066001"})
	return reorder(concepts, mappings)
}

func reorder(concepts []ocl.Concept, mappings []ocl.Mapping) ([]ocl.Concept, []ocl.Mapping) {
	concepts, mappings = slices.Clone(concepts), slices.Clone(mappings)
	slices.Reverse(concepts)
	slices.Reverse(mappings)
	for i := range concepts {
		concepts[i].Names = slices.Clone(concepts[i].Names)
		slices.Reverse(concepts[i].Names)
	}
	return concepts, mappings
}

func version(id, created string) ocl.SourceVersion {
	v := fixtureVersion
	v.ID, v.URL, v.CreatedOn = id, "/orgs/CIEL/sources/CIEL/"+id+"/", created
	return v
}

// buildRelease writes the SQL of an export built on a previous id map ("" for none) and
// returns it with the path of the new id map.
func buildRelease(t *testing.T, v ocl.SourceVersion, concepts []ocl.Concept, mappings []ocl.Mapping, prevMap string) (string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "ids.idmap.gz")
	var buf bytes.Buffer
	_, err := WriteSQL(context.Background(), writeExport(t, v, concepts, mappings), FormatOpenMRS2, &buf,
		SQLOptions{PreviousIDMap: prevMap, IDMapOut: out})
	require.NoError(t, err)
	return buf.String(), out
}

func TestUpgradeKeepsEveryIDOnItsRow(t *testing.T) {
	sqlA, mapA := buildRelease(t, version("v2026-01-01", "2026-01-01T10:00:00Z"), concepts(releaseA), mappings(releaseA), "")
	sqlB, mapB := buildRelease(t, version("v2026-02-01", "2026-02-01T10:00:00Z"), concepts(releaseB), mappings(releaseB), mapA)
	rowsA, rowsB := parseRows(t, sqlA), parseRows(t, sqlB)

	shared := 0
	for table, idCol := range idColumns {
		a, b := byID(rowsA[table], idCol), byID(rowsB[table], idCol)
		for id, ra := range a {
			if rb, ok := b[id]; ok {
				shared++
				assert.Equal(t, ra["uuid"], rb["uuid"], "%s id %s names another row in release B", table, id)
				assert.Equal(t, ra["date_created"], rb["date_created"], "%s id %s: date_created is kept", table, id)
			}
		}
	}
	assert.Greater(t, shared, 90, "most rows are in both releases")

	names := func(rows map[string][]sqlRow) map[string]string {
		out := map[string]string{}
		for _, r := range rows["concept_name"] {
			out[r["name"]] = r["concept_name_id"]
		}
		return out
	}
	nA, nB := names(rowsA), names(rowsB)
	assert.Equal(t, "101", nA["Hot"], "a name uuid 101BBBB… is concept_name_id 101")
	assert.Equal(t, nA["Fever"], nB["Fever"])
	assert.Equal(t, nA["Hot"], nB["Hot"])
	assert.NotContains(t, nB, "Pyrexia")
	maxA := 0
	for _, id := range nA {
		n, _ := strconv.Atoi(id)
		maxA = max(maxA, n)
	}
	febrile, _ := strconv.Atoi(nB["Febrile"])
	assert.Greater(t, febrile, maxA, "a new name gets an id above every id release A used")
	assert.NotEqual(t, nA["Pyrexia"], nB["Febrile"], "the dropped synonym's id is not reused")

	refMaps := byID(rowsB["concept_reference_map"], "concept_map_id")
	assert.Contains(t, refMaps, "285967", "a reference map uuid 285967ABBB… is concept_map_id 285967")
	sources := byID(rowsB["concept_reference_source"], "concept_source_id")
	assert.Equal(t, "SNOMED CT", sources["1"]["name"], "OCL's SNOMED-CT is the site's SNOMED CT")
	assert.Equal(t, "SCT", sources["1"]["hl7_code"])
	assert.Equal(t, "3f65bd34-26fe-102b-80cb-0017a47871b2", sources["3"]["uuid"])
	assert.Equal(t, "LN", sources["6"]["hl7_code"])
	assertCoreMapTypes(t, rowsA)
	assertCoreMapTypes(t, rowsB)

	// The dropped synonym stays in the map, and comes back with its old id.
	assert.Contains(t, readMapText(t, mapB), "concept_name\t"+nA["Pyrexia"]+"\t0\t")
	sqlC, _ := buildRelease(t, version("v2026-03-01", "2026-03-01T10:00:00Z"), concepts(releaseA), mappings(releaseA), mapB)
	assert.Equal(t, nA["Pyrexia"], names(parseRows(t, sqlC))["Pyrexia"], "a row back after a release keeps its id")
}

func concepts(f func() ([]ocl.Concept, []ocl.Mapping)) []ocl.Concept { c, _ := f(); return c }
func mappings(f func() ([]ocl.Concept, []ocl.Mapping)) []ocl.Mapping { _, m := f(); return m }

func assertCoreMapTypes(t *testing.T, rows map[string][]sqlRow) {
	t.Helper()
	got := byID(rows["concept_map_type"], "concept_map_type_id")
	require.Len(t, coreMapTypes, 70)
	for _, mt := range coreMapTypes {
		r, ok := got[strconv.FormatInt(mt.id, 10)]
		if assert.True(t, ok, "map type %d %s is missing", mt.id, mt.name) {
			assert.Equal(t, mt.name, r["name"])
			assert.Equal(t, mt.uuid, r["uuid"])
		}
	}
}

func readMapText(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	data, err := io.ReadAll(zr)
	require.NoError(t, err)
	return string(data)
}

// Two exports that differ only in the order of their items give the same bytes, with or
// without a previous id map.
func TestOrderDoesNotChangeTheSQL(t *testing.T) {
	v := version("v2026-02-01", "2026-02-01T10:00:00Z")
	c, m := releaseB()
	rc, rm := reorder(c, m)
	first, mapFirst := buildRelease(t, v, c, m, "")
	second, mapSecond := buildRelease(t, v, rc, rm, "")
	assert.Equal(t, first, second)
	assert.Equal(t, readMapText(t, mapFirst), readMapText(t, mapSecond))

	_, mapA := buildRelease(t, version("v2026-01-01", "2026-01-01T10:00:00Z"), concepts(releaseA), mappings(releaseA), "")
	withMap1, _ := buildRelease(t, v, c, m, mapA)
	withMap2, _ := buildRelease(t, v, rc, rm, mapA)
	assert.Equal(t, withMap1, withMap2)
	assert.NotEqual(t, first, withMap1, "the map changes the ids (close case: A's ids are kept, not renumbered)")
}

func TestIDConflictsAreRefusedNamingBothItems(t *testing.T) {
	_, mapA := buildRelease(t, version("v2026-01-01", "2026-01-01T10:00:00Z"), concepts(releaseA), mappings(releaseA), "")
	require.Contains(t, readMapText(t, mapA), "concept_name\t102\t0\t")
	tests := []struct {
		name string
		edit func([]ocl.Concept, []ocl.Mapping) ([]ocl.Concept, []ocl.Mapping)
		prev string
		want []string
	}{
		{"two names with one uuid", func(c []ocl.Concept, m []ocl.Mapping) ([]ocl.Concept, []ocl.Mapping) {
			c[1].Names = append(c[1].Names, syn("Affirmative", "9f1c1d3e-3b8a-4a55-8e53-0a8f4f2f1a01"))
			return c, m
		}, "", []string{`concept "1" name "Fever"`, `concept "2" name "Affirmative"`, "have the same uuid"}},
		{"two mappings with one uuid", func(c []ocl.Concept, m []ocl.Mapping) ([]ocl.Concept, []ocl.Mapping) {
			m[2].ExternalID = m[0].ExternalID
			return c, m
		}, "", []string{`mapping "m1"`, `mapping "m3"`, "have the same uuid"}},
		{"a carried id the map gives to another row", func(c []ocl.Concept, m []ocl.Mapping) ([]ocl.Concept, []ocl.Mapping) {
			// 102 is an id release A gave to a row without a carried id: a CIEL uuid
			// claiming it would move the site's references.
			c[1].Names = append(c[1].Names, syn("Affirmative", carried(102, "", "B")))
			return c, m
		}, mapA, []string{`concept "2" name "Affirmative"`, "carries concept_name id 102", "v2026-01-01 gives id 102 to"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, m := tt.edit(releaseA())
			out := filepath.Join(t.TempDir(), "next.idmap.gz")
			var buf bytes.Buffer
			_, err := WriteSQL(context.Background(), writeExport(t, version("v2026-02-01", "2026-02-01T10:00:00Z"), c, m),
				FormatOpenMRS2, &buf, SQLOptions{PreviousIDMap: tt.prev, IDMapOut: out})
			require.Error(t, err)
			t.Log(err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Zero(t, buf.Len(), "nothing written")
			assert.NoFileExists(t, out)
		})
	}
}

func TestReadIDMapRefusesDamage(t *testing.T) {
	write := func(text string) string {
		path := filepath.Join(t.TempDir(), "m.idmap.gz")
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(text))
		zw.Close()
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
		return path
	}
	head := "@idmap 1\n@source CIEL\n@release 0 v1 2026-01-01T00:00:00Z\n@max concept_name 10\n"
	tests := map[string]string{
		"not a map":         "hello\n",
		"id used twice":     head + "concept_name\t3\t0\ta\nconcept_name\t3\t0\tb\n",
		"key with two ids":  head + "concept_name\t3\t0\ta\nconcept_name\t4\t0\ta\n",
		"above max":         head + "concept_name\t11\t0\ta\n",
		"unknown release":   head + "concept_name\t3\t1\ta\n",
		"unsorted":          head + "concept_name\t4\t0\ta\nconcept_name\t3\t0\tb\n",
		"unknown table":     head + "obs\t3\t0\ta\n",
		"not an id":         head + "concept_name\tx\t0\ta\n",
		"missing key field": head + "concept_name\t3\t0\n",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ReadIDMap(write(text))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "id map")
		})
	}
	m, err := ReadIDMap(write(head + "concept_name\t3\t0\ta\nconcept_name\t4\t0\t\"b\\tc\"\n"))
	require.NoError(t, err, "close case: a sound map is read")
	e, ok := m.lookup(tName, hashKey("b\tc"))
	require.True(t, ok)
	assert.EqualValues(t, 4, e.id)
	assert.Equal(t, "b\tc", m.keyOf(tName, 4))
}

func TestWrongSourceMapIsRefused(t *testing.T) {
	_, mapA := buildRelease(t, version("v2026-01-01", "2026-01-01T10:00:00Z"), concepts(releaseA), mappings(releaseA), "")
	v := version("v2026-02-01", "2026-02-01T10:00:00Z")
	v.URL = "/orgs/PIH/sources/PIH/v2026-02-01/"
	_, err := WriteSQL(context.Background(), writeExport(t, v, concepts(releaseA), mappings(releaseA)), FormatOpenMRS2, io.Discard,
		SQLOptions{PreviousIDMap: mapA})
	require.ErrorContains(t, err, "belongs to CIEL, not to PIH")
}

// A configured source whose id is already another source's is refused, naming both.
func TestTwoSourcesWithOneIDAreRefused(t *testing.T) {
	c, m := releaseA()
	m = append(m, ocl.Mapping{ID: "m9", MapType: "SAME-AS", FromConceptCode: "2", ToSourceName: "Local terms", ToConceptCode: "Y"})
	_, err := WriteSQL(context.Background(), writeExport(t, version("v2026-01-01", "2026-01-01T10:00:00Z"), c, m), FormatOpenMRS2, io.Discard,
		SQLOptions{Sources: []ReferenceSource{{ID: 1, Name: "Local terms"}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `reference source "Local terms"`)
	assert.Contains(t, err.Error(), `reference source "SNOMED-CT"`)
	assert.Contains(t, err.Error(), "both carry concept_reference_source id 1")

	_, err = WriteSQL(context.Background(), writeExport(t, version("v2026-01-01", "2026-01-01T10:00:00Z"), c, m), FormatOpenMRS2, io.Discard,
		SQLOptions{Sources: []ReferenceSource{{ID: 40, Name: "Local terms"}}})
	require.NoError(t, err, "close case: a free id is accepted")
}
