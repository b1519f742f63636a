package qa

import (
	"encoding/json"
	"runtime"
	"strconv"
	"testing"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// syntheticSource builds n concepts shaped like CIEL's: names in three locales, a few
// numeric and set concepts, about six mappings each (self SAME-AS, external SAME-AS and
// NARROWER-THAN, answers and members inside the source).
func syntheticSource(n int) ([]ocl.Concept, []ocl.Mapping) {
	concepts := make([]ocl.Concept, 0, n)
	var mappings []ocl.Mapping
	id := 0
	add := func(from, mapType, source, code string) {
		id++
		m := ocl.Mapping{ID: strconv.Itoa(id), MapType: mapType, FromConceptCode: from, ToSourceName: source, ToConceptCode: code}
		if source == testSource {
			m.ToConceptURL = "/orgs/CIEL/sources/CIEL/concepts/" + code + "/"
		}
		mappings = append(mappings, m)
	}
	for i := range n {
		code := strconv.Itoa(i + 1)
		c := concept(code, names(
			fsn("Synthetic disorder number "+code, "en", true),
			synonym("Disorder "+code, "en", false),
			short("SD"+code, "en", false),
			fsn("Trouble synthétique numéro "+code, "fr", true),
			synonym("Trastorno sintético "+code, "es", true),
			ocl.Name{Name: "Index term " + code, Locale: "en", NameType: "INDEX_TERM"},
		))
		c.Descriptions = []ocl.Description{{Description: "A synthetic concept for benchmarks, number " + code, Locale: "en"}}
		add(code, "SAME-AS", testSource, code)
		add(code, "SAME-AS", "SNOMED-CT", strconv.Itoa(100000+i))
		add(code, "NARROWER-THAN", "ICD-10-WHO", "A"+strconv.Itoa(i%100)+".1")
		switch i % 10 {
		case 0:
			c.Datatype, c.ConceptClass = "Numeric", "Test"
			c.Extras = mustExtras(`{"units": "mg/dL", "hi_normal": 110, "low_normal": 70, "allow_decimal": true}`)
		case 1:
			c.ConceptClass = "ConvSet"
			c.Extras = mustExtras(`{"is_set": 1}`)
			for j := 2; j <= 4; j++ {
				add(code, "CONCEPT-SET", testSource, strconv.Itoa((i+j)%n+1))
			}
		case 2:
			c.Datatype, c.ConceptClass = "Coded", "Question"
			for j := 5; j <= 7; j++ {
				add(code, "Q-AND-A", testSource, strconv.Itoa((i+j)%n+1))
			}
		}
		concepts = append(concepts, c)
	}
	return concepts, mappings
}

// engineBytes is what an engine fed the source keeps when it finishes: the live heap
// after a collection, less the same before it started.
func engineBytes(opts Options, version *ocl.SourceVersion, concepts []ocl.Concept, mappings []ocl.Mapping) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e := fed(opts, version, concepts, mappings)
	e.Finish()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(e)
	return float64(after.HeapAlloc) - float64(before.HeapAlloc)
}

// fed is an engine fed the source in the export's order: concepts, then mappings.
func fed(opts Options, version *ocl.SourceVersion, concepts []ocl.Concept, mappings []ocl.Mapping) *Engine {
	e := NewEngine(opts)
	e.SetVersion(version)
	for i := range concepts {
		e.Concept(&concepts[i])
	}
	for i := range mappings {
		e.Mapping(&mappings[i])
	}
	return e
}

// BenchmarkEngine measures the rules alone (no decoding) in the export's order.
func BenchmarkEngine(b *testing.B) {
	const n = 5000
	concepts, mappings := syntheticSource(n)
	version := &ocl.SourceVersion{ID: "v1", SupportedLocales: ocl.Locales{"en", "fr", "es"}}
	opts := testOptions()
	live := engineBytes(opts, version, concepts, mappings) // before the runs leave garbage
	b.ReportAllocs()
	var rep *Report
	for b.Loop() {
		rep = fed(opts, version, concepts, mappings).Finish()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/concept")
	b.ReportMetric(float64(len(mappings))/n, "mappings/concept")
	b.ReportMetric(live/n, "live-B/concept")
	if len(rep.Findings) != 0 {
		first, _ := json.Marshal(rep.Findings[0])
		b.Fatalf("the synthetic source should be clean, got %d findings, first %s", len(rep.Findings), first)
	}
}
