package qa

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// Cases drawn from OCL as it really is (OCL.md, "What OCL's own source says, as of
// 2026"): retired names and descriptions, 2015-era data types, collections.

func retiredName(n ocl.Name) ocl.Name { n.Retired = true; return n }

func descriptions(ds ...ocl.Description) func(*ocl.Concept) {
	return func(c *ocl.Concept) { c.Descriptions = ds }
}

func nameWithExternalID(n ocl.Name, id string) ocl.Name { n.ExternalID = id; return n }

// retiredNameRules pairs each name rule with a name that breaks it: retired, the name
// must give no finding; active, the finding listed.
var retiredNameRules = []struct {
	rule string
	name ocl.Name
	want place
}{
	{"FR-01", synonym("Malaria fever", "en", true), at("FR-01", "1", "", "en", "")},
	{"FR-02", synonym("CONCEPT 1", "en", false), at("FR-02", "1", "", "en", "")},
	{"FR-04", short("MAL", "fr", true), at("FR-04", "1", "", "fr", "")},
	{"FR-05", fsn("Malaria fever", "en", false), at("FR-05", "1", "", "en", "")},
	{"FR-07", ocl.Name{Name: "Mal", Locale: "en", NameType: "Nickname"}, at("FR-07", "1", "", "en", "name_type")},
	{"FR-08", synonym("Malaria", "de", false), at("FR-08", "1", "", "de", "")},
	{"FR-15", synonym("Malaria &amp; fever", "en", false), at("FR-15", "1", "", "en", "names")},
	{"FR-19", synonym("Malaria or fever", "fr", true), at("FR-19", "1", "", "fr", "")},
}

func retiredNameCases() []ruleCase {
	var out []ruleCase
	version := withVersionLocales("en", "fr")
	for _, r := range retiredNameRules {
		out = append(out,
			ruleCase{name: r.rule + " ignores a retired name",
				data: dataset{version: version, concepts: cs(concept("1", addNames(retiredName(r.name))))}},
			ruleCase{name: r.rule + " close: the same name active",
				data: dataset{version: version, concepts: cs(concept("1", addNames(r.name)))},
				want: []place{r.want}})
	}
	return out
}

var retiredTextCases = []ruleCase{
	{name: "FR-06 and CE-01: a retired FSN is no FSN, a retired preferred name no preferred name",
		data: dataset{concepts: cs(concept("1", names(retiredName(fsn("Malaria", "en", true)), synonym("Palu", "fr", false))))},
		want: []place{at("FR-06", "1", "", "", ""), at("CE-01", "1", "", "en", "")}},
	{name: "FR-06 and CE-01 close: the same names active",
		data: dataset{concepts: cs(concept("1", names(fsn("Malaria", "en", true), synonym("Palu", "fr", false))))}},

	{name: "FR-09 and FR-10 index no retired name",
		data: dataset{concepts: cs(concept("1"), concept("2", names(retiredName(fsn("CONCEPT 1", "en", true)), fsn("Other", "en", true))))}},
	{name: "FR-09 and FR-10 close: the shared name active",
		data: dataset{concepts: cs(concept("1"), concept("2", names(fsn("CONCEPT 1", "en", true))))},
		want: []place{at("FR-09", "2", "", "en", ""), at("FR-10", "2", "", "en", "")}},
	{name: "FR-09: a later concept meets an active name even when an earlier one only had it retired",
		data: dataset{concepts: cs(concept("1", names(fsn("One", "en", true), retiredName(fsn("Shared", "fr", false)))),
			concept("2", addNames(fsn("Shared", "fr", false))), concept("3", addNames(fsn("Shared", "fr", false))))},
		want: []place{at("FR-09", "3", "", "fr", "")}},

	{name: "OM-04 still checks a retired name: OpenMRS stores it voided",
		data: dataset{concepts: cs(concept("1", addNames(retiredName(synonym("  ", "en", false)))))},
		want: []place{at("OM-04", "1", "", "en", "")}},
	{name: "OM-04 close: a retired name of 255 characters",
		data: dataset{concepts: cs(concept("1", addNames(retiredName(synonym(strings.Repeat("x", 255), "en", false)))))}},

	{name: "OM-03 checks a retired name's external_id, not a retired description's",
		data: dataset{concepts: cs(concept("1",
			addNames(retiredName(nameWithExternalID(synonym("Palu", "fr", false), strings.Repeat("n", 37)))),
			descriptions(ocl.Description{Description: "old", Locale: "en", ExternalID: strings.Repeat("d", 37), Retired: true})))},
		want: []place{at("OM-03", "1", "", "fr", "names.external_id")}},
	{name: "OM-03 close: the description active",
		data: dataset{concepts: cs(concept("1",
			descriptions(ocl.Description{Description: "new", Locale: "en", ExternalID: strings.Repeat("d", 37)})))},
		want: []place{at("OM-03", "1", "", "en", "descriptions.external_id")}},

	{name: "FR-15 skips a retired description",
		data: dataset{concepts: cs(concept("1", descriptions(ocl.Description{Description: "fever &amp; chills", Locale: "en", Retired: true})))}},
	{name: "FR-15 close: the description active",
		data: dataset{concepts: cs(concept("1", descriptions(ocl.Description{Description: "fever &amp; chills", Locale: "en"})))},
		want: []place{at("FR-15", "1", "", "en", "descriptions")}},

	{name: "FR-23: only an active FSN saying \"other\" excuses a residual code",
		data: dataset{concepts: cs(concept("1", addNames(retiredName(fsn("Other malaria", "fr", false))))),
			mappings: ms(mapping("101", "1", "SAME-AS", "ICD-10-WHO", "B53.8"))},
		want: []place{at("FR-23", "1", "101", "", "")}},
	{name: "FR-23 close: the FSN active",
		data: dataset{concepts: cs(concept("1", addNames(fsn("Other malaria", "fr", false)))),
			mappings: ms(mapping("101", "1", "SAME-AS", "ICD-10-WHO", "B53.8"))}},
}

var oldDataTypeCases = []ruleCase{
	{name: "CE-02: precise 0/1 is a numeric detail (2015-era CIEL)",
		data: dataset{concepts: cs(concept("1", datatype("Numeric"), extras(`{"precise": 0}`)), concept("2", datatype("Numeric"), extras(`{"precise": 1}`)))}},
	{name: "CE-02 close: no numeric detail at all",
		data: dataset{concepts: cs(concept("1", datatype("Numeric"), extras(`{"display_precision": 1}`)))},
		want: []place{at("CE-02", "1", "", "", "")}},

	{name: "mapping extras: sort_weight is known there",
		data: dataset{concepts: cs(concept("1", datatype("Coded")), concept("2")), mappings: ms(
			mappingExtras(mapping("101", "1", "Q-AND-A", testSource, "2"), `{"sort_weight": 3}`))}},
	{name: "mapping extras close: sort_weight on a concept, a concept key on a mapping, a mapping sort_weight of the wrong type",
		data: dataset{concepts: cs(concept("1", datatype("Coded"), extras(`{"sort_weight": 3}`)), concept("2")), mappings: ms(
			mappingExtras(mapping("101", "1", "Q-AND-A", testSource, "2"), `{"is_set": 1}`),
			mappingExtras(mapping("102", "1", "NARROWER-THAN", "SNOMED-CT", "9"), `{"sort_weight": "first"}`))},
		want: []place{at("EX-05", "1", "", "", "extras.sort_weight"), at("EX-05", "1", "101", "", "extras.is_set"),
			at("EX-03", "1", "102", "", "extras.sort_weight")}},
	{name: "extras.is_set \"1\" is no set, and says why",
		data: dataset{concepts: cs(concept("1", extras(`{"is_set": "1"}`)))},
		want: []place{at("EX-03", "1", "", "", "extras.is_set")}},
}

// collection is a collection export: its concepts are CIEL's, and so are its
// mappings' sources (OCL.md, "Collections").
var collection = &ocl.SourceVersion{Type: "Collection Version", ID: "v1", URL: "/orgs/ACME/collections/Starter/v1/", Owner: "ACME"}

func cielConcept(code string, mods ...func(*ocl.Concept)) ocl.Concept {
	c := concept(code, mods...)
	c.Source, c.Owner = "CIEL", "CIEL"
	return c
}

func pihConcept(code string) ocl.Concept {
	c := concept(code)
	c.URL, c.Source, c.Owner, c.ExternalID = "/orgs/PIH/sources/PIH/concepts/"+code+"/", "PIH", "PIH", uuidFor("P"+code)
	c.Names = []ocl.Name{fsn("PIH concept "+code, "en", true)}
	return c
}

func pihSelf(code string) ocl.Mapping {
	m := mapping("p"+code, code, "SAME-AS", "PIH", code)
	m.FromSourceName, m.FromConceptURL = "PIH", "/orgs/PIH/sources/PIH/concepts/"+code+"/"
	m.ToConceptURL = "/orgs/PIH/sources/PIH/concepts/" + code + "/"
	return m
}

var collectionCases = []ruleCase{
	{name: "collection: answers and members in the export are internal, the self SAME-AS is to CIEL",
		data: dataset{version: collection, concepts: cs(cielConcept("1", datatype("Coded")), cielConcept("2"), cielConcept("3", class("ConvSet"))),
			mappings: ms(mapping("101", "1", "Q-AND-A", "CIEL", "2"), mapping("102", "3", "CONCEPT-SET", "CIEL", "2"))}},
	{name: "collection close: an answer outside the export, a concept without its CIEL SAME-AS",
		data: dataset{version: collection, concepts: cs(cielConcept("1", datatype("Coded")), cielConcept("2")),
			mappings: ms(mapping("101", "1", "Q-AND-A", "CIEL", "99")), noSelf: []string{"2"}},
		want: []place{at("XR-01", "1", "101", "", ""), at("FR-13", "2", "", "", "")}},
	{name: "collection of two sources: a code is internal only in its own source",
		data: dataset{version: collection,
			concepts: cs(cielConcept("1", datatype("Coded")), cielConcept("5"), pihConcept("5"), pihConcept("7")),
			noSelf:   []string{"5", "7"},
			mappings: ms(selfMapping("5"), pihSelf("5"), pihSelf("7"),
				mapping("101", "1", "Q-AND-A", "PIH", "5"), mapping("102", "1", "Q-AND-A", "PIH", "7"))}},
	{name: "collection of two sources close: PIH has no concept 6, CIEL has no concept 7",
		data: dataset{version: collection,
			concepts: cs(cielConcept("1", datatype("Coded")), cielConcept("6"), pihConcept("7")),
			noSelf:   []string{"7"},
			mappings: ms(pihSelf("7"), mapping("101", "1", "Q-AND-A", "PIH", "6"), mapping("102", "1", "Q-AND-A", "CIEL", "7"))},
		want: []place{at("XR-01", "1", "101", "", ""), at("XR-01", "1", "102", "", "")}},
	{name: "FR-13 looks in the concept's own source, named by its source field when its URL says none",
		data: dataset{version: collection, concepts: cs(func() ocl.Concept {
			c := cielConcept("1")
			c.URL = "/orgs/ACME/collections/Starter/concepts/1/"
			return c
		}())}},
}

func collectionOptions(o *Options) { o.Org, o.Source = "", "" }

func init() {
	for i := range collectionCases {
		collectionCases[i].opts = collectionOptions
	}
}

func TestRealOCLData(t *testing.T) {
	groups := map[string][]ruleCase{"retired names": retiredNameCases(), "retired text": retiredTextCases,
		"old types": oldDataTypeCases, "collections": collectionCases}
	for group, cases := range groups {
		for _, tc := range cases {
			t.Run(group+"/"+tc.name, func(t *testing.T) { runRuleCase(t, tc) })
		}
	}
}

func TestCollectionReportNamesTheCollection(t *testing.T) {
	opts := testOptions()
	collectionOptions(&opts)
	opts.Version = ""
	rep := runExport(t, opts, dataset{version: collection, concepts: cs(cielConcept("1")), noSelf: []string{"1"}})
	assert.Equal(t, "ACME/Starter", rep.Summary.Source)
	assert.Equal(t, SourceFromMetadata, rep.Summary.SourceFrom)
	assert.Equal(t, "v1", rep.Summary.Version)
	assert.Equal(t, []place{at("FR-13", "1", "", "", "")}, placesOf(rep.Findings))
	assert.Equal(t, "no SAME-AS mapping to its own code CIEL:1", rep.Findings[0].Message)
	assert.Equal(t, "/orgs/ACME/collections/Starter/concepts/1/", rep.Findings[0].ConceptURL)
}

func TestIdentify(t *testing.T) {
	tests := []struct {
		name string
		v    ocl.SourceVersion
		want Identity
	}{
		{"2026 source version", ocl.SourceVersion{Type: "Source Version", ID: "v2026-11-22", Version: "v2026-11-22", Name: "CIEL",
			Owner: "CIEL", URL: "/orgs/CIEL/sources/CIEL/v2026-11-22/"}, Identity{Org: "CIEL", Source: "CIEL", Version: "v2026-11-22", repoKind: "sources"}},
		{"2015 whole source", ocl.SourceVersion{Type: "Source", ID: "CIEL", Owner: "CIEL", Name: "CIEL", URL: "/orgs/CIEL/sources/CIEL/"},
			Identity{Org: "CIEL", Source: "CIEL", repoKind: "sources"}},
		{"2015 whole source without url", ocl.SourceVersion{Type: "Source", ID: "PIH", Owner: "PIH"},
			Identity{Org: "PIH", Source: "PIH"}},
		{"collection version", *collection, Identity{Org: "ACME", Source: "Starter", Version: "v1", repoKind: "collections"}},
		{"no url: owner, name and id", ocl.SourceVersion{Type: "Source Version", ID: "v7", Name: "DRUGS", Owner: "ACME"},
			Identity{Org: "ACME", Source: "DRUGS", Version: "v7"}},
		{"user-owned source", ocl.SourceVersion{ID: "v1", URL: "/users/jo/sources/Mine/v1/"}, Identity{Org: "jo", Source: "Mine", Version: "v1", repoKind: "sources"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.v
			assert.Equal(t, tt.want, Identify(&v))
		})
	}
}
