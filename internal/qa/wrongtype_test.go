package qa

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exportDoc is an export.json of one clean CIEL concept "1" plus the concept and
// mapping given, in the 2026 shape.
func exportDoc(meta, concept, mapping string) string {
	if meta == "" {
		meta = `"type": "Source Version", "id": "v2026-11-22", "url": "/orgs/CIEL/sources/CIEL/v2026-11-22/", "owner": "CIEL"`
	}
	mappings := `{"type": "Mapping", "id": "s1", "map_type": "SAME-AS", "from_concept_code": "1", "to_source_name": "CIEL", "to_concept_code": "1"}`
	if mapping != "" {
		mappings += ", " + mapping
	}
	return fmt.Sprintf(`{%s, "concepts": [%s, %s], "mappings": [%s]}`, meta, cleanConceptJSON("1", ""), concept, mappings)
}

// cleanConceptJSON is a concept that breaks no rule, with extra fields spliced in.
func cleanConceptJSON(code, more string) string {
	if more != "" {
		more = ", " + more
	}
	return fmt.Sprintf(`{"type": "Concept", "id": %q, "external_id": %q, "concept_class": "Misc", "datatype": "N/A",
		"url": "/orgs/CIEL/sources/CIEL/concepts/%s/", "retired": false,
		"names": [{"name": "Concept %s", "locale": "en", "locale_preferred": true, "name_type": "FULLY_SPECIFIED"}]%s}`,
		code, uuidFor(code), code, code, more)
}

// conceptWithNames is concept "2" whose names are the JSON given.
func conceptWithNames(names string) string {
	return fmt.Sprintf(`{"type": "Concept", "id": "2", "external_id": %q, "concept_class": "Misc", "datatype": "N/A",
		"url": "/orgs/CIEL/sources/CIEL/concepts/2/", "names": %s}`, uuidFor("2"), names)
}

const selfMapping2 = `{"type": "Mapping", "id": "s2", "map_type": "SAME-AS", "from_concept_code": "2", "to_source_name": "CIEL", "to_concept_code": "2"}`

func TestWrongJSONTypesAreFindings(t *testing.T) {
	fsn2 := `{"name": "Concept 2", "locale": "en", "locale_preferred": true, "name_type": "FULLY_SPECIFIED"}`
	tests := []struct {
		name           string
		meta, concept  string
		mapping        string
		want           []place
		wantMessageFor string // a finding's message, checked when set
		wantMessage    string
	}{
		{name: "retired \"yes\" on a name",
			concept: conceptWithNames(`[` + fsn2 + `, {"name": "Old", "locale": "en", "retired": "yes"}]`), mapping: selfMapping2,
			want:           []place{at("JS-01", "2", "", "", "names.retired")},
			wantMessageFor: "JS-01", wantMessage: "names.retired is a string where OCL writes a boolean; it was read as absent"},
		{name: "locale_preferred 1",
			concept: conceptWithNames(`[{"name": "Concept 2", "locale": "en", "locale_preferred": 1, "name_type": "FULLY_SPECIFIED"}]`), mapping: selfMapping2,
			// read as not preferred: the concept has no English preferred name left
			want: []place{at("JS-01", "2", "", "", "names.locale_preferred"), at("CE-01", "2", "", "en", "")}},
		{name: "names null",
			concept: conceptWithNames(`null`), mapping: selfMapping2,
			want: []place{at("FR-06", "2", "", "", ""), at("CE-01", "2", "", "en", "")}},
		{name: "names a string",
			concept: conceptWithNames(`"Concept 2"`), mapping: selfMapping2,
			want: []place{at("JS-01", "2", "", "", "names"), at("FR-06", "2", "", "", ""), at("CE-01", "2", "", "en", "")}},
		{name: "extras.is_set \"1\" on a set class: no set, no members asked",
			concept: cleanConceptJSON("2", `"extras": {"is_set": "1"}`), mapping: selfMapping2,
			want: []place{at("EX-03", "2", "", "", "extras.is_set")}},
		{name: "extras a string",
			concept: cleanConceptJSON("2", `"extras": "units=mg"`), mapping: selfMapping2,
			want: []place{at("JS-01", "2", "", "", "extras")}},
		{name: "retired \"yes\" on a retired concept is still reported",
			concept: cleanConceptJSON("2", `"retired": true, "names": [{"name": "x", "locale": "en", "locale_preferred": "true"}]`), mapping: selfMapping2,
			want: []place{at("JS-01", "2", "", "", "names.locale_preferred")}},
		{name: "a mapping's sort_weight a word",
			concept: cleanConceptJSON("2", ""),
			mapping: `{"type": "Mapping", "id": "s2", "map_type": "SAME-AS", "from_concept_code": "2", "to_source_name": "CIEL", "to_concept_code": "2", "sort_weight": "heavy"}`,
			want:    []place{at("JS-01", "2", "s2", "", "sort_weight")}},
		{name: "version metadata released \"maybe\"",
			meta:    `"type": "Source Version", "id": "v2026-11-22", "released": "maybe", "url": "/orgs/CIEL/sources/CIEL/v2026-11-22/"`,
			concept: cleanConceptJSON("2", ""), mapping: selfMapping2,
			want: []place{at("JS-01", "", "", "", "released")}},
		{name: "close: unknown new fields anywhere are skipped",
			meta: `"type": "Source Version", "id": "v2026-11-22", "url": "/orgs/CIEL/sources/CIEL/v2026-11-22/", "checksums": {"standard": "x"}, "new_flag": [1, 2]`,
			concept: cleanConceptJSON("2", `"property": [{"code": "x"}], "retire_reason": null, "names": [{"name": "Concept 2", "locale": "en",
				"locale_preferred": true, "name_type": "FULLY_SPECIFIED", "checksum": "abc", "retired": false, "type": "ConceptName"}]`),
			mapping: `{"type": "Mapping", "id": "s2", "map_type": "SAME-AS", "from_concept_code": "2", "to_source_name": "CIEL", "to_concept_code": "2",
				"checksums": {"smart": "y"}, "sort_weight": null, "cascade_target_concept_name": "Concept 2"}`},
		{name: "close: the right types everywhere",
			concept: cleanConceptJSON("2", `"retired": false, "extras": {"is_set": 1, "units": "mg"}, "concept_class": "ConvSet"`),
			mapping: selfMapping2 + `, {"type": "Mapping", "id": "m9", "map_type": "CONCEPT-SET", "from_concept_code": "2", "to_source_name": "CIEL", "to_concept_code": "1", "sort_weight": 1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeRawZip(t, map[string]string{"export.json": exportDoc(tt.meta, tt.concept, tt.mapping)})
			rep, err := CheckExport(context.Background(), path, testOptions())
			require.NoError(t, err)
			want := tt.want
			if want == nil {
				want = []place{}
			}
			assert.ElementsMatch(t, want, placesOf(rep.Findings))
			assert.Equal(t, 2, rep.Summary.ConceptsChecked, "every concept is checked")
			for _, f := range rep.Findings {
				if f.Rule == tt.wantMessageFor {
					assert.Equal(t, tt.wantMessage, f.Message)
				}
			}
		})
	}
}
