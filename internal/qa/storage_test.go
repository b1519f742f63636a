package qa

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/openmrslimits"
)

func withDescription(d ocl.Description) func(*ocl.Concept) {
	return func(c *ocl.Concept) { c.Descriptions = append(c.Descriptions, d) }
}

func nameWithID(n ocl.Name, id string) ocl.Name { n.ExternalID = id; return n }

func numeric(js string) func(*ocl.Concept) {
	return func(c *ocl.Concept) { c.Datatype = "Numeric"; c.Extras = mustExtras(js) }
}

// storageRuleCases cover OM-06, OM-07 and XR-06: what the SQL writer (internal/export)
// refuses to write into OpenMRS's columns.
var storageRuleCases = []ruleCase{
	{name: "OM-06 NaN and infinite ranges of Numeric concepts, retired too, and an infinite answer weight",
		data: dataset{concepts: cs(
			concept("1", numeric(`{"units": "mg", "hi_normal": "NaN", "low_absolute": "-Infinity"}`)),
			concept("2", retired, numeric(`{"units": "mg", "hi_critical": "+Inf"}`)),
			concept("3", datatype("Coded")), concept("4"), concept("5", class("ConvSet"))),
			mappings: ms(
				mappingExtras(mapping("101", "3", "Q-AND-A", testSource, "4"), `{"sort_weight": "Infinity"}`),
				func() ocl.Mapping {
					m := mapping("102", "5", "CONCEPT-SET", testSource, "4")
					w := math.Inf(-1) // JSON cannot spell it, but a decoded mapping can hold it
					m.SortWeight = &w
					return m
				}())},
		want: []place{
			at("OM-06", "1", "", "", "extras.hi_normal"), at("OM-06", "1", "", "", "extras.low_absolute"),
			at("OM-06", "2", "", "", "extras.hi_critical"),
			at("OM-06", "3", "101", "", "extras.sort_weight"), at("OM-06", "5", "102", "", "sort_weight"),
			// The strings are also numbers written as strings (EX-03), on active items.
			at("EX-03", "1", "", "", "extras.hi_normal"), at("EX-03", "1", "", "", "extras.low_absolute"),
			at("EX-03", "3", "101", "", "extras.sort_weight")}},
	{name: "OM-06 close: the largest doubles, and NaN where OpenMRS stores no number",
		data: dataset{concepts: cs(
			concept("1", numeric(`{"units": "mg", "hi_normal": 1e308, "low_absolute": -1.7976931348623157e308}`)),
			concept("2", extras(`{"hi_normal": "NaN"}`))), // N/A: the writer writes no concept_numeric row
			mappings: ms(mappingExtras(mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "9"), `{"sort_weight": "NaN"}`))}, // reference maps keep no weight
		want: []place{at("EX-03", "2", "", "", "extras.hi_normal"), at("EX-03", "1", "101", "", "extras.sort_weight")}},

	{name: "OM-07 characters outside the BMP and a description over 65,535 bytes",
		data: dataset{concepts: cs(
			concept("1", addNames(synonym("Fever 🤒", "en", false))),
			concept("2", withDescription(ocl.Description{Description: strings.Repeat("x", 65536), Locale: "en"})),
			concept("3", retired, addNames(synonym("Fièvre 🔥", "fr", false))), // a voided name is still written
			concept("4", class("Diagnosis 🩺")),
			concept("5", numeric(`{"units": "µg/m³ 🧪"}`))),
			mappings: ms(func() ocl.Mapping {
				m := mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "9")
				m.ToConceptName = "Pyrexia 🌡"
				return m
			}())},
		want: []place{
			at("OM-07", "1", "", "en", "names"), at("OM-07", "2", "", "en", "descriptions"),
			at("OM-07", "3", "", "fr", "names"), at("OM-07", "4", "", "", "concept_class"),
			at("OM-07", "5", "", "", "extras.units"), at("OM-07", "1", "101", "", "to_concept_name")}},
	{name: "OM-07 close: 3-byte characters, exactly 65,535 bytes, and text the writer leaves out",
		data: dataset{concepts: cs(
			concept("1", addNames(synonym("Fièvre € ∞ 中文", "fr", false))),
			concept("2", withDescription(ocl.Description{Description: strings.Repeat("€", 21845), Locale: "en"})),
			concept("3", withDescription(ocl.Description{Description: "retired 🤒", Locale: "en", Retired: true})),
			concept("4", extras(`{"handler": "🤒"}`))), // not Complex: no concept_complex row
			mappings: ms(retiredMapping(mapping("101", "1", "NARROWER-THAN", "SNOMED-🤒", "9")))}},

	{name: "XR-06 two names, two descriptions, two mappings of one table with one uuid; a name repeated without one",
		data: dataset{concepts: cs(
			concept("1", addNames(nameWithID(synonym("Un", "fr", false), "name-uuid-1")),
				withDescription(ocl.Description{Description: "One", Locale: "en", ExternalID: "desc-uuid-1"})),
			concept("2", retired, addNames(nameWithID(synonym("Deux", "fr", false), "name-uuid-1"))),
			concept("3", withDescription(ocl.Description{Description: "Three", Locale: "en", ExternalID: "desc-uuid-1"})),
			concept("4", addNames(synonym("Quatre", "fr", false), synonym("Quatre", "fr", false)))),
			mappings: ms(
				mappingExternalID(mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "9"), "map-uuid-1"),
				mappingExternalID(mapping("102", "3", "BROADER-THAN", "SNOMED-CT", "8"), "map-uuid-1"))},
		want: []place{
			at("XR-06", "2", "", "fr", "names.external_id"), at("XR-06", "3", "", "en", "descriptions.external_id"),
			at("XR-06", "3", "102", "", "external_id"), at("XR-06", "4", "", "fr", "names.external_id"),
			at("FR-02", "4", "", "fr", "")}},
	{name: "XR-06 close: one uuid in different OpenMRS tables, or on items the writer leaves out",
		data: dataset{concepts: cs(
			concept("1", datatype("Coded"), addNames(nameWithID(synonym("Un", "fr", false), "shared-uuid")),
				withDescription(ocl.Description{Description: "One", Locale: "en", ExternalID: "shared-uuid"})),
			concept("2", withDescription(ocl.Description{Description: "Two", Locale: "en", ExternalID: "shared-uuid", Retired: true})),
			concept("3", addNames(synonym("Trois", "fr", false), synonym("Trois", "es", false)))),
			mappings: ms(
				mappingExternalID(mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "9"), "shared-uuid"),
				mappingExternalID(mapping("102", "1", "Q-AND-A", testSource, "2"), "shared-uuid"),
				retiredMapping(mappingExternalID(mapping("103", "2", "NARROWER-THAN", "SNOMED-CT", "8"), "shared-uuid")))}},
}

func TestStorageMessagesNameTheItemsAtFault(t *testing.T) {
	rep := runExport(t, testOptions(), dataset{concepts: cs(
		concept("1", addNames(nameWithID(synonym("Un", "fr", false), "name-uuid-1"), synonym("Fever 🤒", "en", false))),
		concept("2", addNames(nameWithID(synonym("Deux", "fr", false), "name-uuid-1"))),
		concept("3", numeric(`{"units": "mg", "hi_normal": "NaN"}`))),
		mappings: ms(
			mappingExternalID(mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "9"), "map-uuid-1"),
			mappingExternalID(mapping("102", "2", "BROADER-THAN", "SNOMED-CT", "8"), "map-uuid-1"),
			// The index keeps a mapping's id only when it is a number, as OCL's are.
			mappingExternalID(mapping("m-a", "1", "Q-AND-A", testSource, "2"), "map-uuid-2"),
			mappingExternalID(mapping("m-b", "1", "Q-AND-A", testSource, "3"), "map-uuid-2")),
	})
	var got []string
	for _, f := range rep.Findings {
		if f.Rule == "XR-06" || f.Rule == "OM-06" || f.Rule == "OM-07" {
			got = append(got, f.Rule+" "+f.ConceptID+" "+f.MappingID+": "+f.Message)
		}
	}
	assert.ElementsMatch(t, []string{
		`XR-06 2 : name uuid name-uuid-1 is already the uuid of a name of concept 1: each name needs its own uuid in OpenMRS`,
		`XR-06 2 102: mapping uuid map-uuid-1 is already the uuid of mapping 101 (from concept 1): each mapping needs its own uuid in OpenMRS`,
		`XR-06 1 m-b: Q-AND-A mapping uuid map-uuid-2 is already the uuid of a mapping from concept 1: each Q-AND-A mapping needs its own uuid in OpenMRS`,
		`OM-07 1 : names: "Fever 🤒" holds U+1F912, which OpenMRS's utf8 (utf8mb3) columns cannot store`,
		`OM-06 3 : extras.hi_normal is NaN, which OpenMRS's concept_numeric (a MySQL DOUBLE) cannot store`,
	}, got)
}

// TestOwnUUIDAgreesWithTheWriter checks ownUUID against openmrslimits.RowUUID, which the
// SQL writer uses: the same uuid when the row has one, and false exactly when RowUUID
// derives it from the seed.
func TestOwnUUIDAgreesWithTheWriter(t *testing.T) {
	const oclUUID = "0f8fad5b-d9cb-469f-a165-70867728950e"
	for _, ext := range []string{"", "  ", " abc ", strings.Repeat("x", 38), strings.Repeat("x", 39), " " + strings.Repeat("y", 38) + " "} {
		for _, u := range []string{"", "not-a-uuid", oclUUID, strings.ToUpper(oclUUID)} {
			got, own := ownUUID(ext, u)
			want := openmrslimits.RowUUID(ext, u, "seed")
			if own {
				assert.Equal(t, want, got, "external_id %q, uuid %q", ext, u)
			} else {
				assert.Equal(t, openmrslimits.DerivedUUID("seed"), want, "external_id %q, uuid %q: RowUUID derives it", ext, u)
			}
		}
	}
}
