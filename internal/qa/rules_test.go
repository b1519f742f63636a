package qa

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// at is a finding of rule id at its default severity.
func at(id, conceptID, mappingID, locale, field string) place {
	return place{id, catalogue[ruleByID[id]].DefaultSeverity, conceptID, mappingID, locale, field}
}

// ruleCase is a small data set and every finding it must give, no more.
type ruleCase struct {
	name string
	opts func(*Options)
	data dataset
	want []place
}

func cs(concepts ...ocl.Concept) []ocl.Concept { return concepts }

func ms(mappings ...ocl.Mapping) []ocl.Mapping { return mappings }

func withVersionLocales(locales ...string) *ocl.SourceVersion {
	return &ocl.SourceVersion{ID: "v2026-11-22", SupportedLocales: locales}
}

func retiredMapping(m ocl.Mapping) ocl.Mapping { m.Retired = true; return m }

func mappingExtras(m ocl.Mapping, js string) ocl.Mapping { m.Extras = mustExtras(js); return m }

func mappingExternalID(m ocl.Mapping, id string) ocl.Mapping { m.ExternalID = id; return m }

// conceptRuleCases cover the rules about one concept: each fires once, and a close
// case does not fire.
var conceptRuleCases = []ruleCase{
	{name: "clean source", data: dataset{concepts: cs(concept("1"), concept("2"))}},

	{name: "FR-01 two preferred names in a locale",
		data: dataset{concepts: cs(concept("1", addNames(fsn("Paludisme", "fr", true), synonym("Palu", "fr", true))))},
		want: []place{at("FR-01", "1", "", "fr", "")}},
	{name: "FR-01 close: one preferred name per locale",
		data: dataset{concepts: cs(concept("1", addNames(fsn("Paludisme", "fr", true), synonym("Palu", "fr", false))))}},

	{name: "FR-02 the same text twice in a locale, case aside",
		data: dataset{concepts: cs(concept("1", names(fsn("Malaria", "en", true), synonym(" malaria", "en", false))))},
		want: []place{at("FR-02", "1", "", "en", "")}},
	{name: "FR-02 close: a SHORT name may repeat, other locales may repeat",
		data: dataset{concepts: cs(concept("1", names(fsn("Malaria", "en", true), short("MALARIA", "en", false), synonym("Malaria", "fr", false))))}},

	{name: "FR-03 two SHORT names in a locale",
		data: dataset{concepts: cs(concept("1", addNames(short("MAL", "en", false), short("PAL", "en", false))))},
		want: []place{at("FR-03", "1", "", "en", "")}},
	{name: "FR-03 close: SHORT names in two locales",
		data: dataset{concepts: cs(concept("1", addNames(short("MAL", "en", false), short("PAL", "fr", false))))}},

	{name: "FR-04 a SHORT name is preferred",
		data: dataset{concepts: cs(concept("1", addNames(short("PAL", "fr", true))))},
		want: []place{at("FR-04", "1", "", "fr", "")}},
	{name: "FR-04 an INDEX_TERM name is preferred",
		data: dataset{concepts: cs(concept("1", addNames(ocl.Name{Name: "Palu", Locale: "fr", LocalePreferred: true, NameType: "Index Term"})))},
		want: []place{at("FR-04", "1", "", "fr", "")}},
	{name: "FR-04 close: SHORT name not preferred",
		data: dataset{concepts: cs(concept("1", addNames(short("PAL", "fr", false))))}},

	{name: "FR-05 two FULLY_SPECIFIED names in a locale",
		data: dataset{concepts: cs(concept("1", addNames(fsn("Malaria fever", "en", false))))},
		want: []place{at("FR-05", "1", "", "en", "")}},
	{name: "FR-05 close: one FULLY_SPECIFIED per locale",
		data: dataset{concepts: cs(concept("1", addNames(fsn("Paludisme", "fr", false))))}},

	{name: "FR-06 no FULLY_SPECIFIED name",
		data: dataset{concepts: cs(concept("1", names(synonym("Malaria", "en", true))))},
		want: []place{at("FR-06", "1", "", "", "")}},
	{name: "FR-06 close: a FULLY_SPECIFIED name in another locale, spelled freely",
		data: dataset{concepts: cs(concept("1", names(synonym("Malaria", "en", true), ocl.Name{Name: "Paludisme", Locale: "fr", NameType: "Fully Specified"})))}},

	{name: "FR-07 unknown name type",
		data: dataset{concepts: cs(concept("1", addNames(ocl.Name{Name: "Malaria B", Locale: "en", NameType: "Preferred Term"})))},
		want: []place{at("FR-07", "1", "", "en", "name_type")}},
	{name: "FR-07 close: the synonym spellings",
		data: dataset{concepts: cs(concept("1", addNames(ocl.Name{Name: "B", Locale: "en", NameType: "None"}, ocl.Name{Name: "C", Locale: "en", NameType: "SYNONYM"}, ocl.Name{Name: "D", Locale: "en", NameType: "synonym"})))}},

	{name: "FR-11 external_id missing",
		data: dataset{concepts: cs(concept("1", externalID("")))},
		want: []place{at("FR-11", "1", "", "", "external_id")}},
	{name: "FR-11 external_id too short",
		data: dataset{concepts: cs(concept("1", externalID("1234")))},
		want: []place{at("FR-11", "1", "", "", "external_id")}},
	{name: "FR-11 close: retired concepts are not checked",
		data: dataset{concepts: cs(concept("1"), concept("2", externalID(""), retired))}},

	{name: "FR-12 the same target and map type twice",
		data: dataset{concepts: cs(concept("1")), mappings: ms(
			mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "123"),
			mapping("102", "1", "Narrower than", "snomed-ct", "123"))},
		want: []place{at("FR-12", "1", "102", "", "")}},
	{name: "FR-12 close: other codes, empty codes, retired mappings",
		data: dataset{concepts: cs(concept("1")), mappings: ms(
			mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "123"),
			mapping("102", "1", "NARROWER-THAN", "SNOMED-CT", "124"),
			mapping("103", "1", "NARROWER-THAN", "SNOMED-CT", ""),
			mapping("104", "1", "NARROWER-THAN", "SNOMED-CT", ""),
			retiredMapping(mapping("105", "1", "NARROWER-THAN", "SNOMED-CT", "123")))}},

	{name: "FR-13 no SAME-AS to its own code",
		data: dataset{concepts: cs(concept("1"), concept("2")), noSelf: []string{"2"}},
		want: []place{at("FR-13", "2", "", "", "")}},
	{name: "FR-13 two SAME-AS to its own code (not also FR-12)",
		data: dataset{concepts: cs(concept("1")), mappings: ms(mapping("101", "1", "SAME-AS", testSource, "1"))},
		want: []place{at("FR-13", "1", "", "", "")}},
	{name: "FR-13 close: own source by name in any case, or by URL",
		data: dataset{concepts: cs(concept("1"), concept("2")), noSelf: []string{"1", "2"}, mappings: ms(
			mapping("101", "1", "SAME-AS", "ciel", "1"),
			ocl.Mapping{ID: "102", MapType: "Same As", FromConceptCode: "2", ToConceptURL: "/orgs/CIEL/sources/CIEL/concepts/2/"})}},

	{name: "FR-15 HTML entities in a name and a description",
		data: dataset{concepts: cs(concept("1", addNames(synonym("Crohn&#39;s disease", "en", false)), func(c *ocl.Concept) {
			c.Descriptions = []ocl.Description{{Description: "Salt &amp; pepper", Locale: "fr"}}
		}))},
		want: []place{at("FR-15", "1", "", "en", "names"), at("FR-15", "1", "", "fr", "descriptions")}},
	{name: "FR-15 close: a bare ampersand",
		data: dataset{concepts: cs(concept("1", addNames(synonym("Salt & pepper; mixed", "en", false), synonym("R&D", "en", false))))}},

	{name: "FR-19 preferred name with and/or",
		data: dataset{concepts: cs(concept("1", names(fsn("Nausea AND/OR vomiting", "en", true))))},
		want: []place{at("FR-19", "1", "", "en", "")}},
	{name: "FR-19 preferred name with or, in French too",
		data: dataset{concepts: cs(concept("1", addNames(fsn("Nausée or vomissement", "fr", true))))},
		want: []place{at("FR-19", "1", "", "fr", "")}},
	{name: "FR-19 close: a synonym, or and inside a word",
		data: dataset{concepts: cs(concept("1", names(fsn("Candor", "en", true), synonym("Nausea and vomiting", "en", false))))}},

	{name: "FR-23 SAME-AS to a residual ICD-10 code",
		data: dataset{concepts: cs(concept("1")), mappings: ms(mapping("101", "1", "SAME-AS", "ICD-10-WHO", "B54.8"))},
		want: []place{at("FR-23", "1", "101", "", "")}},
	{name: "FR-23 SAME-AS to a residual ICD-11 code",
		data: dataset{concepts: cs(concept("1")), mappings: ms(mapping("101", "1", "SAME-AS", "ICD11", "1F4Y"))},
		want: []place{at("FR-23", "1", "101", "", "")}},
	{name: "FR-23 close: the FSN says other, ICD-11 with & or /, not SAME-AS",
		data: dataset{concepts: cs(concept("1", names(fsn("Other malaria", "en", true))), concept("2")), mappings: ms(
			mapping("101", "1", "SAME-AS", "ICD-10-WHO", "B54.8"),
			mapping("102", "2", "SAME-AS", "ICD-11", "1F4Y&XN"),
			mapping("103", "2", "NARROWER-THAN", "ICD-10-WHO", "B54.8"))}},
	{name: "FR-23 close: another is not the word other",
		data: dataset{concepts: cs(concept("1", names(fsn("Mother's malaria", "en", true)))), mappings: ms(
			mapping("101", "1", "SAME-AS", "ICD-10-WHO", "B54.8"))},
		want: []place{at("FR-23", "1", "101", "", "")}},

	{name: "FR-24 the same target with two map types",
		data: dataset{concepts: cs(concept("1")), mappings: ms(
			mapping("101", "1", "SAME-AS", "SNOMED-CT", "123"),
			mapping("102", "1", "NARROWER-THAN", "SNOMED-CT", "123"))},
		want: []place{at("FR-24", "1", "102", "", "")}},
	{name: "FR-24 close: a repeated map type is FR-12 only",
		data: dataset{concepts: cs(concept("1")), mappings: ms(
			mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "123"),
			mapping("102", "1", "BROADER-THAN", "SNOMED-CT", "123"),
			mapping("103", "1", "NARROWER-THAN", "SNOMED-CT", "123"))},
		want: []place{at("FR-12", "1", "103", "", "")}},

	{name: "FR-25 two SAME-AS to one source",
		data: dataset{concepts: cs(concept("1")), mappings: ms(
			mapping("101", "1", "SAME-AS", "SNOMED-CT", "123"),
			mapping("102", "1", "SAME-AS", "SNOMED-CT", "456"))},
		want: []place{at("FR-25", "1", "102", "", "")}},
	{name: "FR-25 close: SAME-AS to two sources, the own one aside",
		data: dataset{concepts: cs(concept("1")), mappings: ms(
			mapping("101", "1", "SAME-AS", "SNOMED-CT", "123"),
			mapping("102", "1", "SAME-AS", "ICD-10-WHO", "B54"))}},

	{name: "CE-01 no English preferred name",
		data: dataset{concepts: cs(concept("1", names(fsn("Paludisme", "fr", true), synonym("Malaria", "en", false))))},
		want: []place{at("CE-01", "1", "", "en", "")}},
	{name: "CE-01 close: an English preferred synonym",
		data: dataset{concepts: cs(concept("1", names(fsn("Paludisme", "fr", true), synonym("Malaria", "en", true))))}},

	{name: "CE-02 a Numeric concept without numeric details",
		data: dataset{concepts: cs(concept("1", datatype("Numeric"), class("Finding"), extras(`{"units": " "}`)))},
		want: []place{at("CE-02", "1", "", "", "")}},
	{name: "CE-02 close: a range is enough",
		data: dataset{concepts: cs(concept("1", datatype("Numeric"), class("Finding"), extras(`{"hi_normal": 5}`)))}},

	{name: "CE-03 a Numeric test without units",
		data: dataset{concepts: cs(concept("1", datatype("Numeric"), class("Test"), extras(`{"hi_normal": 5, "allow_decimal": true}`)))},
		want: []place{at("CE-03", "1", "", "", "")}},
	{name: "CE-03 close: units given",
		data: dataset{concepts: cs(concept("1", datatype("Numeric"), class("Test"), extras(`{"units": "mg/dL"}`)))}},

	{name: "CE-04 a set class without members",
		data: dataset{concepts: cs(concept("1", class("ConvSet")))},
		want: []place{at("CE-04", "1", "", "", "")}},
	{name: "CE-04 is_set = 1 without members",
		data: dataset{concepts: cs(concept("1", class("Misc"), extras(`{"is_set": 1}`)))},
		want: []place{at("CE-04", "1", "", "", "")}},
	{name: "CE-04 close: is_set spelled otherwise is EX-03 or EX-04 only",
		data: dataset{concepts: cs(concept("1", extras(`{"is_set": "1"}`)), concept("2", extras(`{"is_set": true}`)), concept("3", extras(`{"is_set": "true"}`)))},
		want: []place{at("EX-03", "1", "", "", "extras.is_set"), at("EX-03", "2", "", "", "extras.is_set"), at("EX-04", "3", "", "", "extras.is_set")}},
	{name: "CE-04 close: a member, and is_set 0",
		data: dataset{concepts: cs(concept("1", class("LabSet")), concept("2", extras(`{"is_set": 0}`))), mappings: ms(
			mapping("101", "1", "CONCEPT-SET", testSource, "2"))}},
}

// sourceRuleCases cover the rules across concepts.
var sourceRuleCases = []ruleCase{
	{name: "FR-08 a locale the version does not support",
		data: dataset{version: withVersionLocales("en", "es"), concepts: cs(concept("1", addNames(fsn("Paludisme", "fr", false), synonym("Palu", "fr", false))))},
		want: []place{at("FR-08", "1", "", "fr", "")}},
	{name: "FR-08 close: supported in another case, or no list",
		data: dataset{version: withVersionLocales("EN", "fr"), concepts: cs(concept("1", addNames(fsn("Paludisme", "fr", false))))}},
	{name: "FR-08 close: the version lists no locales",
		data: dataset{version: withVersionLocales(), concepts: cs(concept("1", addNames(fsn("Paludisme", "fr", false))))}},

	{name: "FR-09 a later concept shares a fully specified name",
		data: dataset{concepts: cs(concept("1", names(fsn("Malaria", "en", true))), concept("2", names(fsn("MALARIA", "en", false), synonym("Malaria fever", "en", true))))},
		want: []place{at("FR-09", "2", "", "en", "")}},
	{name: "FR-09 close: another locale, a retired concept, a synonym",
		data: dataset{concepts: cs(
			concept("1", names(fsn("Malaria", "en", true))),
			concept("2", names(fsn("Malaria", "fr", false), fsn("Malaria fever", "en", true))),
			concept("3", retired, names(fsn("Malaria", "en", true))),
			concept("4", names(fsn("Malaria 4", "en", true), synonym("Malaria", "en", false))))}},

	{name: "FR-10 a later concept shares a preferred name",
		data: dataset{concepts: cs(concept("1", names(fsn("Malaria", "en", true))), concept("2", names(fsn("Malaria fever", "en", false), synonym("malaria", "en", true))))},
		want: []place{at("FR-10", "2", "", "en", "")}},
	{name: "FR-10 close: the earlier concept is retired",
		data: dataset{concepts: cs(concept("1", retired, names(fsn("Malaria", "en", true))), concept("2", names(fsn("Malaria fever", "en", false), synonym("Malaria", "en", true))))}},

	{name: "FR-22 a mapping to a retired concept",
		data: dataset{concepts: cs(concept("1"), concept("2", retired)), mappings: ms(mapping("101", "1", "NARROWER-THAN", testSource, "2"))},
		want: []place{at("FR-22", "1", "101", "", "")}},
	{name: "FR-22 close: a retired mapping, a mapping from a retired concept",
		data: dataset{concepts: cs(concept("1"), concept("2", retired), concept("3", retired)), mappings: ms(
			retiredMapping(mapping("101", "1", "NARROWER-THAN", testSource, "2")),
			mapping("102", "3", "NARROWER-THAN", testSource, "2"))}},

	{name: "FR-26 two concepts SAME-AS one external code",
		data: dataset{concepts: cs(concept("1"), concept("2"), concept("3")), mappings: ms(
			mapping("103", "3", "SAME-AS", "SNOMED-CT", "123"),
			mapping("101", "1", "SAME-AS", "snomed-ct", "123"),
			mapping("102", "2", "SAME-AS", "SNOMED-CT", "123"))},
		want: []place{at("FR-26", "2", "102", "", ""), at("FR-26", "3", "103", "", "")}},
	{name: "FR-26 mapping ids that are not numbers, the claim passing to an earlier concept",
		data: dataset{concepts: cs(concept("1"), concept("2"), concept("3")), mappings: ms(
			mapping("m-3", "3", "SAME-AS", "SNOMED-CT", "123"),
			mapping("0102", "2", "SAME-AS", "SNOMED-CT", "123"),
			mapping("m-1", "1", "SAME-AS", "snomed-ct", "123"))},
		want: []place{at("FR-26", "2", "0102", "", ""), at("FR-26", "3", "m-3", "", "")}},
	{name: "FR-26 close: a retired concept, other codes",
		data: dataset{concepts: cs(concept("1", retired), concept("2"), concept("3")), mappings: ms(
			mapping("101", "1", "SAME-AS", "SNOMED-CT", "123"),
			mapping("102", "2", "SAME-AS", "SNOMED-CT", "123"),
			mapping("103", "3", "SAME-AS", "SNOMED-CT", "124"))}},

	{name: "XR-01 an answer missing from the source",
		data: dataset{concepts: cs(concept("1", datatype("Coded"))), mappings: ms(mapping("101", "1", "Q-AND-A", testSource, "999"))},
		want: []place{at("XR-01", "1", "101", "", "")}},
	{name: "XR-01 a member in another source",
		data: dataset{concepts: cs(concept("1", class("ConvSet"))), mappings: ms(mapping("101", "1", "CONCEPT-SET", "PIH", "2"))},
		want: []place{at("XR-01", "1", "101", "", "")}},
	{name: "XR-01 close: a retired answer exists (FR-22 only)",
		data: dataset{concepts: cs(concept("1", datatype("Coded")), concept("2", retired)), mappings: ms(mapping("101", "1", "Q-AND-A", testSource, "2"))},
		want: []place{at("FR-22", "1", "101", "", "")}},

	{name: "XR-02 Q-AND-A from a concept that is not Coded",
		data: dataset{concepts: cs(concept("1", datatype("Text")), concept("2")), mappings: ms(mapping("101", "1", "Q-AND-A", testSource, "2"))},
		want: []place{at("XR-02", "1", "101", "", "")}},
	{name: "XR-02 close: Coded",
		data: dataset{concepts: cs(concept("1", datatype("coded")), concept("2")), mappings: ms(mapping("101", "1", "Q-AND-A", testSource, "2"))}},

	{name: "XR-03 a concept is its own answer",
		data: dataset{concepts: cs(concept("1", datatype("Coded"))), mappings: ms(mapping("101", "1", "Q-AND-A", testSource, "1"))},
		want: []place{at("XR-03", "1", "101", "", "")}},
	{name: "XR-03 close: NARROWER-THAN itself is no answer",
		data: dataset{concepts: cs(concept("1")), mappings: ms(mapping("101", "1", "NARROWER-THAN", testSource, "1"))}},

	{name: "XR-04 a later concept reuses an external_id, retired or not",
		data: dataset{concepts: cs(concept("1"), concept("2", externalID(uuidFor("1"))), concept("3", retired, externalID(strings.ToLower(uuidFor("1")))))},
		want: []place{at("XR-04", "2", "", "", "external_id"), at("XR-04", "3", "", "", "external_id")}},
	{name: "XR-04 close: distinct ids",
		data: dataset{concepts: cs(concept("1"), concept("2"), concept("3", retired))}},

	{name: "XR-05 a cycle of sets",
		data: dataset{concepts: cs(concept("3", class("ConvSet")), concept("10", class("ConvSet")), concept("2", class("ConvSet"))), mappings: ms(
			mapping("101", "3", "CONCEPT-SET", testSource, "10"),
			mapping("102", "10", "CONCEPT-SET", testSource, "2"),
			mapping("103", "2", "CONCEPT-SET", testSource, "3"))},
		want: []place{at("XR-05", "2", "", "", "")}},
	{name: "XR-05 close: a chain of sets, a self member is XR-03",
		data: dataset{concepts: cs(concept("1", class("ConvSet")), concept("2", class("ConvSet")), concept("3")), mappings: ms(
			mapping("101", "1", "CONCEPT-SET", testSource, "2"),
			mapping("102", "2", "CONCEPT-SET", testSource, "3"),
			mapping("103", "2", "CONCEPT-SET", testSource, "2"))},
		want: []place{at("XR-03", "2", "103", "", "")}},
}

// schemaRuleCases cover OM-01..OM-05, which also apply to retired concepts.
var schemaRuleCases = []ruleCase{
	{name: "OM-01 unknown datatype, retired too",
		data: dataset{concepts: cs(concept("1", datatype("Codedd")), concept("2", retired, datatype("")))},
		want: []place{at("OM-01", "1", "", "", "datatype"), at("OM-01", "2", "", "", "datatype")}},
	{name: "OM-01 close: None is N/A",
		data: dataset{concepts: cs(concept("1", datatype("None")), concept("2", datatype("Structured-Numeric")))}},

	{name: "OM-02 empty class",
		data: dataset{concepts: cs(concept("1", class(" ")))},
		want: []place{at("OM-02", "1", "", "", "concept_class")}},
	{name: "OM-02 close: any class",
		data: dataset{concepts: cs(concept("1", class("Misc")))}},

	{name: "OM-03 long external ids of a retired concept, a name, a description, a mapping",
		data: dataset{
			concepts: cs(concept("1", retired, externalID(strings.Repeat("a", 37))), concept("2", func(c *ocl.Concept) {
				c.Names = append(c.Names, ocl.Name{Name: "Deux", Locale: "fr", ExternalID: strings.Repeat("b", 40)})
				c.Descriptions = []ocl.Description{{Description: "Two", Locale: "en", ExternalID: strings.Repeat("c", 40)}}
			})),
			mappings: ms(mappingExternalID(mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "1"), strings.Repeat("d", 37)))},
		want: []place{
			at("OM-03", "1", "", "", "external_id"), at("OM-03", "2", "", "fr", "names.external_id"),
			at("OM-03", "2", "", "en", "descriptions.external_id"), at("OM-03", "1", "101", "", "external_id")}},
	{name: "OM-03 close: 36 characters",
		data: dataset{concepts: cs(concept("1", addNames(ocl.Name{Name: "Un", Locale: "fr", ExternalID: strings.Repeat("b", 36)})))}},

	{name: "OM-04 a blank name and a long one",
		data: dataset{concepts: cs(concept("1", addNames(synonym(" ", "fr", false))), concept("2", retired, addNames(synonym(strings.Repeat("é", 256), "es", false))))},
		want: []place{at("OM-04", "1", "", "fr", ""), at("OM-04", "2", "", "es", "")}},
	{name: "OM-04 close: 255 characters",
		data: dataset{concepts: cs(concept("1", addNames(synonym(strings.Repeat("é", 255), "es", false))))}},

	{name: "OM-05 a long target source name, from a retired concept too",
		data: dataset{concepts: cs(concept("1"), concept("2", retired)), mappings: ms(
			mapping("101", "1", "NARROWER-THAN", strings.Repeat("S", 51), "1"),
			mapping("102", "2", "NARROWER-THAN", strings.Repeat("S", 51), "1"))},
		want: []place{at("OM-05", "1", "101", "", ""), at("OM-05", "2", "102", "", "")}},
	{name: "OM-05 close: 50 characters",
		data: dataset{concepts: cs(concept("1")), mappings: ms(mapping("101", "1", "NARROWER-THAN", strings.Repeat("S", 50), "1"))}},

	{name: "JS-01 values of the wrong JSON type, as the decoder records them, on retired concepts too",
		data: dataset{concepts: cs(
			concept("1", func(c *ocl.Concept) {
				c.WrongTypes = []ocl.WrongType{{Field: "names.retired", Got: "string", Want: "bool"}}
			}),
			concept("2", retired, func(c *ocl.Concept) { c.Extras = ocl.Extras{ocl.ExtrasNotAnObject: []byte(`"mg"`)} })),
			mappings: ms(func() ocl.Mapping {
				m := mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "9")
				m.WrongTypes = []ocl.WrongType{{Field: "sort_weight", Got: "string", Want: "*float64"}}
				return m
			}())},
		want: []place{at("JS-01", "1", "", "", "names.retired"), at("JS-01", "2", "", "", "extras"), at("JS-01", "1", "101", "", "sort_weight")}},
	{name: "JS-01 on a retired mapping from a retired concept too",
		data: dataset{concepts: cs(concept("1", retired)), mappings: ms(func() ocl.Mapping {
			m := retiredMapping(mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "9"))
			m.WrongTypes = []ocl.WrongType{{Field: "sort_weight", Got: "string", Want: "number"}}
			return m
		}())},
		want: []place{at("JS-01", "1", "101", "", "sort_weight")}},
}

// extrasRuleCases cover EX-01..EX-05 on concepts and mappings.
var extrasRuleCases = []ruleCase{
	{name: "EX-01 a reserved key",
		data: dataset{concepts: cs(concept("1", extras(`{"retired_reason": "duplicate"}`)))},
		want: []place{at("EX-01", "1", "", "", "extras.retired_reason")}},
	{name: "EX-01 close: a retired concept is not checked",
		data: dataset{concepts: cs(concept("1", retired, extras(`{"retire_reason": "duplicate"}`)))}},

	{name: "EX-02 a padded key, reserved or known",
		data: dataset{concepts: cs(concept("1", extras(`{" units": "mg", "retired_reason ": "x"}`)))},
		want: []place{at("EX-02", "1", "", "", "extras. units"), at("EX-02", "1", "", "", "extras.retired_reason ")}},
	{name: "EX-02 close: a key with a space inside",
		opts: func(o *Options) { o.KnownExtras = []string{"display name"} },
		data: dataset{concepts: cs(concept("1", extras(`{"display name": "x"}`)))}},

	{name: "EX-03 known keys with wrong types",
		data: dataset{concepts: cs(concept("1", extras(`{"hi_normal": "5", "is_set": 2, "units": 3, "precise": 2}`)))},
		want: []place{
			at("EX-03", "1", "", "", "extras.hi_normal"), at("EX-03", "1", "", "", "extras.is_set"),
			at("EX-03", "1", "", "", "extras.units"), at("EX-03", "1", "", "", "extras.precise")}},
	{name: "EX-03 close: the right types, nulls, precise as 2015-era CIEL writes it",
		data: dataset{concepts: cs(concept("1", extras(`{"hi_normal": 5.5, "is_set": 0, "units": "mg", "allow_decimal": false, "display_precision": 1, "low_absolute": null, "precise": 1}`)))}},

	{name: "EX-04 a boolean as a string, on a concept and a mapping",
		data: dataset{concepts: cs(concept("1", extras(`{"allow_decimal": "true"}`))), mappings: ms(
			mappingExtras(mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "1"), `{"sort_weight": "False"}`))},
		want: []place{at("EX-04", "1", "", "", "extras.allow_decimal"), at("EX-04", "1", "101", "", "extras.sort_weight")}},
	{name: "EX-04 close: a string key may say true",
		data: dataset{concepts: cs(concept("1", extras(`{"units": "true", "allow_decimal": true}`)))}},

	{name: "EX-05 unknown keys on a concept and a mapping",
		data: dataset{concepts: cs(concept("1", extras(`{"colour": "red"}`))), mappings: ms(
			mappingExtras(mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "1"), `{"weight": 3}`))},
		want: []place{at("EX-05", "1", "", "", "extras.colour"), at("EX-05", "1", "101", "", "extras.weight")}},
	{name: "EX-05 close: keys the configuration knows, a retired mapping",
		opts: func(o *Options) { o.KnownExtras = []string{"colour"} },
		data: dataset{concepts: cs(concept("1", extras(`{"colour": "red"}`))), mappings: ms(
			retiredMapping(mappingExtras(mapping("101", "1", "NARROWER-THAN", "SNOMED-CT", "1"), `{"weight": 3}`)))}},
}

// runRuleCase runs a case and checks it gives exactly the findings it wants.
func runRuleCase(t *testing.T, tc ruleCase) *Report {
	t.Helper()
	opts := testOptions()
	if tc.opts != nil {
		tc.opts(&opts)
	}
	rep := runExport(t, opts, tc.data)
	want := tc.want
	if want == nil {
		want = []place{}
	}
	assert.ElementsMatch(t, want, placesOf(rep.Findings))
	return rep
}

func TestRules(t *testing.T) {
	groups := map[string][]ruleCase{"concept": conceptRuleCases, "source": sourceRuleCases, "schema": schemaRuleCases, "extras": extrasRuleCases, "storage": storageRuleCases}
	for group, cases := range groups {
		for _, tc := range cases {
			t.Run(group+"/"+tc.name, func(t *testing.T) {
				rep := runRuleCase(t, tc)
				for _, f := range rep.Findings {
					assert.NotEmpty(t, f.Message, f.Rule)
					assert.NotContains(t, f.Message, "\n", f.Rule)
					assert.Equal(t, "/orgs/CIEL/sources/CIEL/concepts/"+f.ConceptID+"/", f.ConceptURL)
				}
			})
		}
	}
}

// Every rule of the catalogue has a case that makes it fire.
func TestEveryRuleHasAFiringCase(t *testing.T) {
	fired := map[string]bool{}
	for _, cases := range [][]ruleCase{conceptRuleCases, sourceRuleCases, schemaRuleCases, extrasRuleCases, storageRuleCases} {
		for _, tc := range cases {
			for _, p := range tc.want {
				fired[p.Rule] = true
			}
		}
	}
	for _, r := range Rules() {
		assert.True(t, fired[r.ID], "no case fires %s", r.ID)
	}
}

func TestMessagesNameTheValueAtFault(t *testing.T) {
	rep := runExport(t, testOptions(), dataset{concepts: cs(
		concept("1", addNames(fsn("Paludisme", "fr", true), synonym("Malaria", "fr", true))),
		concept("2", names(fsn("CONCEPT 1", "en", true))),
		concept("3", class("ConvSet")), concept("4", class("ConvSet"))),
		mappings: ms(mapping("101", "3", "CONCEPT-SET", testSource, "4"), mapping("102", "4", "CONCEPT-SET", testSource, "3")),
	})
	byRule := map[string]string{}
	for _, f := range rep.Findings {
		byRule[f.Rule] = f.Message
	}
	assert.Equal(t, `two preferred names in locale "fr": "Paludisme", "Malaria"`, byRule["FR-01"])
	assert.Equal(t, `fully specified name "CONCEPT 1" in locale "en" is also the fully specified name of concept 1`, byRule["FR-09"])
	assert.Equal(t, "CONCEPT-SET membership forms a cycle: 3 → 4 → 3", byRule["XR-05"])
}

func TestRulesCatalogue(t *testing.T) {
	rules := Rules()
	require.Len(t, rules, 43)
	seen := map[string]bool{}
	for _, r := range rules {
		assert.False(t, seen[r.ID], "duplicate %s", r.ID)
		seen[r.ID] = true
		assert.Contains(t, []string{ScopeConcept, ScopeSource, ScopeSchema, ScopeExtras}, r.Scope, r.ID)
		assert.NotEmpty(t, r.Title, r.ID)
	}
	want := map[string]Severity{
		"FR-01": SeverityError, "FR-02": SeverityError, "FR-03": SeverityError, "FR-04": SeverityError,
		"FR-05": SeverityError, "FR-06": SeverityError, "FR-07": SeverityError, "FR-08": SeverityWarning,
		"FR-09": SeverityError, "FR-10": SeverityWarning, "FR-11": SeverityError, "FR-12": SeverityError,
		"FR-13": SeverityError, "FR-15": SeverityError, "FR-19": SeverityWarning, "FR-22": SeverityWarning,
		"FR-23": SeverityWarning, "FR-24": SeverityWarning, "FR-25": SeverityWarning, "FR-26": SeverityError,
		"CE-01": SeverityError, "CE-02": SeverityError, "CE-03": SeverityError, "CE-04": SeverityError,
		"XR-01": SeverityError, "XR-02": SeverityError, "XR-03": SeverityError, "XR-04": SeverityError,
		"XR-05": SeverityWarning, "OM-01": SeverityError, "OM-02": SeverityError, "OM-03": SeverityError,
		"OM-04": SeverityError, "OM-05": SeverityError, "EX-01": SeverityError, "EX-02": SeverityError,
		"EX-03": SeverityWarning, "EX-04": SeverityWarning, "EX-05": SeverityInfo, "JS-01": SeverityError,
		"OM-06": SeverityError, "OM-07": SeverityError, "XR-06": SeverityError,
	}
	for _, r := range rules {
		assert.Equal(t, want[r.ID], r.DefaultSeverity, r.ID)
	}
	rules[0].ID = "changed"
	assert.Equal(t, "FR-01", Rules()[0].ID, "Rules returns a copy")
}
