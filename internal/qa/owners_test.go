package qa

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// uuidClashes holds uuids taken twice in every OpenMRS table XR-06 knows, by items of one
// concept and of two, by mappings with and without a numeric id, from a concept that
// appears twice, from codes that are no concept of the export and held by concepts.
func uuidClashes() dataset {
	return dataset{
		concepts: cs(
			concept("1", addNames(nameWithID(synonym("Un", "fr", false), "name-uuid-1"), nameWithID(synonym("Uno", "es", false), "name-uuid-2")),
				withDescription(ocl.Description{Description: "One", Locale: "en", ExternalID: "desc-uuid-1"})),
			concept("2", addNames(nameWithID(synonym("Deux", "fr", false), "name-uuid-1"), synonym("Dos", "es", false), synonym("Dos", "es", false)),
				withDescription(ocl.Description{Description: "Two", Locale: "en", ExternalID: "desc-uuid-1"})),
			concept("3", retired, addNames(nameWithID(synonym("Trois", "fr", false), "name-uuid-2"))),
			concept("2", addNames(nameWithID(synonym("Zwei", "de", false), "name-uuid-1"))),
			concept("4", datatype("Coded"), class("ConvSet")),
			// Mappings a concept holds, as API listings give them.
			concept("5", func(c *ocl.Concept) {
				c.Mappings = ms(mappingExternalID(mapping("201", "5", "NARROWER-THAN", "SNOMED-CT", "5"), "map-uuid-1"),
					mappingExternalID(mapping("202", "5", "NARROWER-THAN", "SNOMED-CT", "4"), "map-uuid-1"))
			}),
			concept("6", func(c *ocl.Concept) {
				c.Mappings = ms(mappingExternalID(mapping("e-x", "6", "NARROWER-THAN", "SNOMED-CT", "5"), "map-uuid-6"),
					mappingExternalID(mapping("203", "6", "NARROWER-THAN", "SNOMED-CT", "4"), "map-uuid-6"))
			}),
		),
		mappings: ms(
			mappingExternalID(mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "9"), "map-uuid-1"),
			mappingExternalID(mapping("102", "2", "BROADER-THAN", "SNOMED-CT", "8"), "map-uuid-1"),
			mappingExternalID(mapping("m-a", "4", "Q-AND-A", testSource, "2"), "map-uuid-2"),
			mappingExternalID(mapping("m-b", "4", "Q-AND-A", testSource, "3"), "map-uuid-2"),
			mappingExternalID(mapping("103", "4", "CONCEPT-SET", testSource, "1"), "map-uuid-3"),
			mappingExternalID(mapping("104", "1", "CONCEPT-SET", testSource, "3"), "map-uuid-3"),
			mappingExternalID(mapping("105", "77", "NARROWER-THAN", "SNOMED-CT", "7"), "map-uuid-4"),
			mappingExternalID(mapping("106", "3", "NARROWER-THAN", "SNOMED-CT", "7"), "map-uuid-4"),
			mappingExternalID(mapping("107", "2", "NARROWER-THAN", "SNOMED-CT", "7"), "map-uuid-4"),
			retiredMapping(mappingExternalID(mapping("108", "1", "NARROWER-THAN", "SNOMED-CT", "6"), "map-uuid-5")),
			mappingExternalID(mapping("109", "2", "NARROWER-THAN", "SNOMED-CT", "6"), "map-uuid-5"),
			mappingExternalID(mapping("110", "3", "NARROWER-THAN", "SNOMED-CT", "6"), "map-uuid-5"),
		),
	}
}

// keptOwnersReport is what an engine that keeps every owner reports, fed concepts and
// mappings in the order given.
func keptOwnersReport(opts Options, d dataset, mappingsFirst bool) *Report {
	e := NewEngine(opts)
	e.SetVersion(&ocl.SourceVersion{ID: "v2026-11-22", URL: "/orgs/CIEL/sources/CIEL/v2026-11-22/"})
	feedConcepts := func() {
		for i := range d.concepts {
			c := d.concepts[i]
			e.Concept(&c)
		}
	}
	if !mappingsFirst {
		feedConcepts()
	}
	for _, m := range d.allMappings() {
		e.Mapping(&m)
	}
	if mappingsFirst {
		feedConcepts()
	}
	return e.Finish()
}

// writeExportJSON writes d as an export document, its mappings before its concepts when
// mappingsFirst (a document may put them in either order).
func writeExportJSON(t *testing.T, d dataset, mappingsFirst bool) string {
	t.Helper()
	concepts, err := json.Marshal(d.concepts)
	require.NoError(t, err)
	mappings, err := json.Marshal(d.allMappings())
	require.NoError(t, err)
	parts := []string{`"concepts":` + string(concepts), `"mappings":` + string(mappings)}
	if mappingsFirst {
		parts[0], parts[1] = parts[1], parts[0]
	}
	doc := `{"id":"v2026-11-22","url":"/orgs/CIEL/sources/CIEL/v2026-11-22/",` + parts[0] + `,` + parts[1] + `}`
	path := filepath.Join(t.TempDir(), "export.json")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
	return path
}

// CheckExport keeps only the hashes of uuids and finds the owners of those taken twice by
// reading the file again: its findings must be those of an engine keeping every owner.
func TestCheckExportNamesUUIDOwnersAsAnEngineKeepingThem(t *testing.T) {
	for _, mappingsFirst := range []bool{false, true} {
		for _, max := range []int{0, 1, 3} {
			opts := testOptions()
			opts.MaxFindings = max
			want := keptOwnersReport(opts, uuidClashes(), mappingsFirst)
			got, err := CheckExport(context.Background(), writeExportJSON(t, uuidClashes(), mappingsFirst), opts)
			require.NoError(t, err)
			assert.Equal(t, want.Findings, got.Findings, "mappings first %v, at most %d findings", mappingsFirst, max)
			assert.Equal(t, want.Summary.ByRule, got.Summary.ByRule)
			assert.Equal(t, want.Summary.FindingsOmitted, got.Summary.FindingsOmitted)
		}
	}
	// The data set does take uuids twice, in every table, in both orders.
	for _, mappingsFirst := range []bool{false, true} {
		rep := keptOwnersReport(testOptions(), uuidClashes(), mappingsFirst)
		var messages []string
		for _, f := range rep.Findings {
			if f.Rule == "XR-06" {
				messages = append(messages, f.ConceptID+" "+f.MappingID+": "+f.Message)
			}
		}
		assert.Contains(t, messages, "2 : name uuid name-uuid-1 is already the uuid of a name of concept 1: each name needs its own uuid in OpenMRS")
		assert.Contains(t, messages, "5 202: mapping uuid map-uuid-1 is already the uuid of mapping 201 (from concept 5): each mapping needs its own uuid in OpenMRS")
		assert.Contains(t, messages, "6 203: mapping uuid map-uuid-6 is already the uuid of a mapping from concept 6: each mapping needs its own uuid in OpenMRS")
		if mappingsFirst {
			assert.Len(t, messages, 8, "%q", messages) // mappings before their concepts take no uuid
			continue
		}
		assert.Len(t, messages, 15, "%q", messages)
		assert.Contains(t, messages, "2 102: mapping uuid map-uuid-1 is already the uuid of mapping 201 (from concept 5): each mapping needs its own uuid in OpenMRS")
		assert.Contains(t, messages, "4 m-b: Q-AND-A mapping uuid map-uuid-2 is already the uuid of a mapping from concept 4: each Q-AND-A mapping needs its own uuid in OpenMRS")
		assert.Contains(t, messages, "1 104: CONCEPT-SET mapping uuid map-uuid-3 is already the uuid of mapping 103 (from concept 4): each CONCEPT-SET mapping needs its own uuid in OpenMRS")
	}
}

// A file that reads differently the second time cannot name the owners: an error, not
// a report with made-up ones.
func TestResolveUUIDOwnersFailsWhenTheReplayDiffers(t *testing.T) {
	d := uuidClashes()
	e := NewEngine(testOptions())
	e.deferUUIDOwners()
	for i := range d.concepts {
		c := d.concepts[i]
		e.Concept(&c)
	}
	err := e.resolveUUIDOwners(func(func(*ocl.Concept) error, func(*ocl.Mapping) error, bool) error { return nil })
	assert.ErrorContains(t, err, "read differently the second time")
}
