package qa

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// The tests check the source CIEL of the organisation CIEL.
const testOrg, testSource = "CIEL", "CIEL"

func testOptions() Options { return Options{Org: testOrg, Source: testSource, Version: "v2026-11-22"} }

// uuidFor makes a distinct 36-character external id for a code.
func uuidFor(code string) string {
	s := strings.Repeat("A", 36-len(code)) + code
	return s[:36]
}

// concept builds a clean active concept: one English preferred FSN, a uuid, a class.
func concept(code string, mods ...func(*ocl.Concept)) ocl.Concept {
	c := ocl.Concept{
		Type: "Concept", ID: code, ExternalID: uuidFor(code), ConceptClass: "Diagnosis", Datatype: "N/A",
		Names:  []ocl.Name{fsn("Concept "+code, "en", true)},
		URL:    "/orgs/CIEL/sources/CIEL/concepts/" + code + "/",
		Source: testSource, Owner: testOrg,
	}
	for _, m := range mods {
		m(&c)
	}
	return c
}

func fsn(text, locale string, preferred bool) ocl.Name {
	return ocl.Name{Name: text, Locale: locale, LocalePreferred: preferred, NameType: "FULLY_SPECIFIED"}
}

func synonym(text, locale string, preferred bool) ocl.Name {
	return ocl.Name{Name: text, Locale: locale, LocalePreferred: preferred}
}

func short(text, locale string, preferred bool) ocl.Name {
	return ocl.Name{Name: text, Locale: locale, LocalePreferred: preferred, NameType: "SHORT"}
}

func names(ns ...ocl.Name) func(*ocl.Concept) { return func(c *ocl.Concept) { c.Names = ns } }

func addNames(ns ...ocl.Name) func(*ocl.Concept) {
	return func(c *ocl.Concept) { c.Names = append(c.Names, ns...) }
}

func datatype(dt string) func(*ocl.Concept) { return func(c *ocl.Concept) { c.Datatype = dt } }

func class(cl string) func(*ocl.Concept) { return func(c *ocl.Concept) { c.ConceptClass = cl } }

func retired(c *ocl.Concept) { c.Retired = true }

func externalID(id string) func(*ocl.Concept) { return func(c *ocl.Concept) { c.ExternalID = id } }

// extras sets the concept's extras from a JSON object.
func extras(js string) func(*ocl.Concept) {
	return func(c *ocl.Concept) { c.Extras = mustExtras(js) }
}

func mustExtras(js string) ocl.Extras {
	var x ocl.Extras
	if err := json.Unmarshal([]byte(js), &x); err != nil {
		panic(err)
	}
	return x
}

// mapping builds an active mapping; a target source of CIEL gets a concept URL.
func mapping(id, from, mapType, toSource, toCode string) ocl.Mapping {
	m := ocl.Mapping{
		Type: "Mapping", ID: id, MapType: mapType, FromConceptCode: from,
		FromConceptURL: "/orgs/CIEL/sources/CIEL/concepts/" + from + "/", FromSourceName: testSource,
		ToSourceName: toSource, ToConceptCode: toCode,
	}
	if toSource == testSource {
		m.ToConceptURL = "/orgs/CIEL/sources/CIEL/concepts/" + toCode + "/"
	}
	return m
}

// selfMapping is the SAME-AS every CIEL concept has to its own code (FR-13).
func selfMapping(code string) ocl.Mapping {
	return mapping("s"+code, code, "SAME-AS", testSource, code)
}

// dataset is a small source: its concepts, their extra mappings and the version.
type dataset struct {
	version  *ocl.SourceVersion
	concepts []ocl.Concept
	mappings []ocl.Mapping
	noSelf   []string // concepts without the usual self SAME-AS
}

// allMappings is every mapping of the data set: the self SAME-AS of each concept, then
// the extra ones.
func (d dataset) allMappings() []ocl.Mapping {
	var out []ocl.Mapping
	for _, c := range d.concepts {
		if !contains(d.noSelf, c.ID) {
			out = append(out, selfMapping(c.ID))
		}
	}
	return append(out, d.mappings...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// runExport feeds the data set to an engine in the export's order: concepts, then mappings.
func runExport(t testing.TB, opts Options, d dataset) *Report {
	t.Helper()
	require.NoError(t, opts.Validate())
	e := NewEngine(opts)
	e.deferUUIDOwners() // as CheckExport does
	version := d.version
	if version == nil {
		version = &ocl.SourceVersion{ID: "v2026-11-22", URL: "/orgs/CIEL/sources/CIEL/v2026-11-22/"}
	}
	e.SetVersion(version)
	for i := range d.concepts {
		c := d.concepts[i]
		e.Concept(&c)
	}
	for _, m := range d.allMappings() {
		e.Mapping(&m)
	}
	require.NoError(t, e.resolveUUIDOwners(func(concept func(*ocl.Concept) error, mapping func(*ocl.Mapping) error, mappings bool) error {
		for i := range d.concepts {
			c := d.concepts[i]
			if err := concept(&c); err != nil {
				return err
			}
		}
		if !mappings {
			return nil
		}
		for _, m := range d.allMappings() {
			if err := mapping(&m); err != nil {
				return err
			}
		}
		return nil
	}))
	return e.Finish()
}

// place is where a finding is, the part the rules' conventions fix.
type place struct {
	Rule     string
	Severity Severity
	Concept  string
	Mapping  string
	Locale   string
	Field    string
}

func (p place) String() string {
	return fmt.Sprintf("%s/%s concept=%s mapping=%s locale=%s field=%s", p.Rule, p.Severity, p.Concept, p.Mapping, p.Locale, p.Field)
}

func placesOf(fs []Finding) []place {
	out := []place{}
	for _, f := range fs {
		out = append(out, place{f.Rule, f.Severity, f.ConceptID, f.MappingID, f.Locale, f.Field})
	}
	return out
}
