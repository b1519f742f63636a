package qa

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// FuzzEngine feeds arbitrary concepts, with their mappings, to the engine in both the
// API form (inline) and the export form (afterwards): it must never panic, and the
// summary must account for every finding.
func FuzzEngine(f *testing.F) {
	seeds := []string{
		`[]`,
		`[{"id": "1", "names": [{"name": "A &amp; B", "locale": "en", "locale_preferred": true, "name_type": "FULLY_SPECIFIED"}]}]`,
		`[{"id": "1", "datatype": "Numeric", "concept_class": "Test", "extras": {"is_set": "true", " units": 3, "retired_reason": null}},
		  {"id": "2", "retired": true, "external_id": "x", "names": [{"name": "", "locale": ""}]}]`,
		`[{"id": "1", "concept_class": "ConvSet", "mappings": [
		    {"id": "a", "map_type": "CONCEPT-SET", "to_source_name": "CIEL", "to_concept_code": "2"},
		    {"id": "b", "map_type": "same as", "to_concept_url": "/orgs/CIEL/sources/CIEL/concepts/1/"}]},
		  {"id": "2", "concept_class": "ConvSet", "mappings": [
		    {"id": "c", "map_type": "CONCEPT-SET", "to_source_name": "ciel", "to_concept_code": "1"},
		    {"id": "d", "map_type": "SAME-AS", "to_source_name": "ICD-11", "to_concept_code": "1F4Y", "extras": {"precise": "False"}}]}]`,
		`[{"id": "", "names": [{"name": "Ǆ or ß", "locale": "fr", "locale_preferred": true, "name_type": "Index Term"},
		  {"name": "ǆ OR SS", "locale": "fr", "name_type": "weird"}]}]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var concepts []ocl.Concept
		if json.Unmarshal(data, &concepts) != nil {
			return
		}
		version := &ocl.SourceVersion{ID: "v1", URL: "/orgs/CIEL/sources/CIEL/v1/", SupportedLocales: ocl.Locales{"en", "fr"}}
		opts := Options{MaxFindings: 50}

		inline := NewEngine(opts)
		inline.SetVersion(version)
		for i := range concepts {
			inline.Concept(&concepts[i])
		}
		checkAccounting(t, inline.Finish())

		export := NewEngine(opts)
		export.SetVersion(version)
		var mappings []ocl.Mapping
		for i := range concepts {
			c := concepts[i]
			for _, m := range c.Mappings {
				m.FromConceptCode = c.ID
				mappings = append(mappings, m)
			}
			c.Mappings = nil
			export.Concept(&c)
		}
		for i := range mappings {
			export.Mapping(&mappings[i])
		}
		checkAccounting(t, export.Finish())
	})
}

func checkAccounting(t *testing.T, rep *Report) {
	total := 0
	for _, n := range rep.Summary.ByRule {
		total += n
	}
	require.Equal(t, total, len(rep.Findings)+rep.Summary.FindingsOmitted)
	bySeverity := 0
	for _, n := range rep.Summary.BySeverity {
		bySeverity += n
	}
	require.Equal(t, total, bySeverity)
}
