package qa

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// twoProblems has one FR-19 warning and one EX-05 info finding.
var twoProblems = dataset{concepts: cs(concept("1", names(fsn("Nausea or vomiting", "en", true)), extras(`{"colour": "red"}`)))}

func TestSeverityOverride(t *testing.T) {
	opts := testOptions()
	opts.Severity = map[string]Severity{"FR-19": SeverityError, "EX-05": SeverityInfo}
	rep := runExport(t, opts, twoProblems)

	assert.ElementsMatch(t, []place{
		{"FR-19", SeverityError, "1", "", "en", ""},
		{"EX-05", SeverityInfo, "1", "", "", "extras.colour"},
	}, placesOf(rep.Findings))
	assert.Equal(t, []Override{{Rule: "FR-19", Severity: SeverityError, Default: SeverityWarning}}, rep.Summary.Overrides,
		"an override equal to the default changes nothing and is not listed")
	assert.Equal(t, map[Severity]int{SeverityError: 1, SeverityWarning: 0, SeverityInfo: 1}, rep.Summary.BySeverity)
	assert.Equal(t, 1, rep.Errors())
}

func TestDisabledRule(t *testing.T) {
	opts := testOptions()
	opts.Disabled = []string{"EX-05"}
	opts.Severity = map[string]Severity{"EX-05": SeverityError}
	rep := runExport(t, opts, twoProblems)

	assert.Equal(t, []place{at("FR-19", "1", "", "en", "")}, placesOf(rep.Findings))
	assert.Equal(t, []Override{{Rule: "EX-05", Disabled: true, Default: SeverityInfo}}, rep.Summary.Overrides)
	assert.NotContains(t, rep.Summary.RulesRun, "EX-05")
	assert.NotContains(t, rep.Summary.ByRule, "EX-05")
	assert.Len(t, rep.Summary.RulesRun, len(Rules())-1)
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"defaults", Options{}, ""},
		{"overrides", Options{Input: InputAPI, Severity: map[string]Severity{"FR-19": SeverityError}, Disabled: []string{"EX-05"}}, ""},
		{"unknown rule in severity", Options{Severity: map[string]Severity{"FR-99": SeverityError}}, `unknown rule "FR-99"`},
		{"unknown severity", Options{Severity: map[string]Severity{"FR-19": "fatal"}}, `unknown severity "fatal" for rule FR-19`},
		{"empty severity", Options{Severity: map[string]Severity{"FR-19": ""}}, `unknown severity "" for rule FR-19`},
		{"unknown disabled rule", Options{Disabled: []string{"fr-19"}}, `cannot disable unknown rule "fr-19"`},
		{"unknown input", Options{Input: "zip"}, `unknown input "zip"`},
		{"negative cap", Options{MaxFindings: -1}, "must not be negative"},
		{"blank extra", Options{KnownExtras: []string{" "}}, "blank key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestSummary(t *testing.T) {
	clock := time.Date(2026, 11, 22, 7, 30, 0, 0, time.UTC)
	opts := testOptions()
	opts.Input = InputExport
	opts.Now = func() time.Time { t := clock; clock = clock.Add(1500 * time.Millisecond); return t }
	d := twoProblems
	d.concepts = append(d.concepts, concept("2", retired))
	rep := runExport(t, opts, d)

	s := rep.Summary
	assert.Equal(t, 1, rep.SchemaVersion)
	assert.Equal(t, "CIEL/CIEL", s.Source)
	assert.Equal(t, "v2026-11-22", s.Version)
	assert.Equal(t, InputExport, s.Input)
	assert.Equal(t, 2, s.ConceptsChecked)
	assert.Equal(t, 2, s.MappingsChecked)
	assert.Equal(t, time.Date(2026, 11, 22, 7, 30, 0, 0, time.UTC), s.StartedAt)
	assert.InDelta(t, 1.5, s.DurationSeconds, 1e-9)
	assert.Equal(t, map[Severity]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 1}, s.BySeverity)
	require.Len(t, s.ByRule, len(Rules()))
	assert.Equal(t, 1, s.ByRule["FR-19"])
	assert.Equal(t, 0, s.ByRule["XR-05"])
	assert.IsIncreasing(t, s.RulesRun)
	assert.Empty(t, s.Overrides)
	assert.NotNil(t, s.Overrides)
}

func TestSourceFallsBackToTheData(t *testing.T) {
	rep := runExport(t, Options{}, dataset{concepts: cs(concept("1"))})
	assert.Equal(t, "CIEL/CIEL", rep.Summary.Source)
	assert.Equal(t, "v2026-11-22", rep.Summary.Version, "from the version's id")
	assert.Empty(t, rep.Findings, "the own source comes from the version's URL")
}

func TestMaxFindings(t *testing.T) {
	opts := testOptions()
	opts.MaxFindings = 2
	var concepts []ocl.Concept
	for _, code := range []string{"1", "2", "3", "4", "5"} {
		concepts = append(concepts, concept(code, class("")))
	}
	rep := runExport(t, opts, dataset{concepts: concepts})
	assert.Len(t, rep.Findings, 2)
	assert.Equal(t, 3, rep.Summary.FindingsOmitted)
	assert.Equal(t, 5, rep.Summary.ByRule["OM-02"], "omitted findings are still counted")
	assert.Equal(t, 5, rep.Errors())
}

func TestFindingsAreSorted(t *testing.T) {
	rep := runExport(t, testOptions(), dataset{concepts: cs(
		concept("10", class("")), concept("9", class("")), concept("A1", class("")), concept("100", class("")),
		concept("2", names(fsn("Nausea or vomiting", "en", true), fsn("Nausée ou vomissement", "fr", true), synonym("Mal or bien", "es", true))),
	)})
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Rule+" "+f.ConceptID+" "+f.Locale)
	}
	assert.Equal(t, []string{"FR-19 2 en", "FR-19 2 es", "OM-02 9 ", "OM-02 10 ", "OM-02 100 ", "OM-02 A1 "}, got)
}

func TestProgress(t *testing.T) {
	var calls [][2]int
	opts := testOptions()
	opts.Progress = func(c, m int) { calls = append(calls, [2]int{c, m}) }
	var concepts []ocl.Concept
	for i := range 5000 {
		concepts = append(concepts, concept(strconv.Itoa(i)))
	}
	runExport(t, opts, dataset{concepts: concepts})
	require.NotEmpty(t, calls)
	assert.Equal(t, [2]int{5000, 5000}, calls[len(calls)-1], "the last call has the totals")
	assert.Greater(t, len(calls), 1)
}

// The API form: each concept carries its own mappings, and targets may come later.
func TestInlineMappings(t *testing.T) {
	e := NewEngine(testOptions())
	set := concept("1", class("ConvSet"))
	set.Mappings = ms(selfMapping("1"), mapping("101", "1", "CONCEPT-SET", testSource, "2"),
		mapping("102", "1", "CONCEPT-SET", testSource, "3"), mapping("103", "1", "CONCEPT-SET", testSource, "404"))
	member := concept("2")
	member.Mappings = ms(selfMapping("2"))
	gone := concept("3", retired)
	e.Concept(&set)
	e.Concept(&member)
	e.Concept(&gone)
	rep := e.Finish()
	assert.ElementsMatch(t, []place{at("FR-22", "1", "102", "", ""), at("XR-01", "1", "103", "", "")}, placesOf(rep.Findings))
	assert.Equal(t, 5, rep.Summary.MappingsChecked)
	assert.Same(t, rep, e.Finish(), "Finish twice gives the same report")
}

func TestMappingFromAnUnknownConcept(t *testing.T) {
	rep := runExport(t, testOptions(), dataset{concepts: cs(concept("1")), mappings: ms(
		mapping("101", "77", "Q-AND-A", testSource, "1"),
		mapping("102", "77", "NARROWER-THAN", "SNOMED-CT", "5"),
		mapping("103", "77", "NARROWER-THAN", "SNOMED-CT", "5"))})
	assert.ElementsMatch(t, []place{at("FR-12", "77", "103", "", "")}, placesOf(rep.Findings),
		"its datatype is unknown (no XR-02), and it is no concept for FR-13")
}

func TestCycles(t *testing.T) {
	// 1 → 2 → 1 and 1 → 3 → 1 share node 1: two cycles; 4 → 5 → 6 → 4 is a third.
	edges := [][2]string{{"1", "2"}, {"2", "1"}, {"1", "3"}, {"3", "1"}, {"4", "5"}, {"5", "6"}, {"6", "4"}}
	d := dataset{}
	for _, code := range []string{"1", "2", "3", "4", "5", "6"} {
		d.concepts = append(d.concepts, concept(code, class("ConvSet")))
	}
	for i, ed := range edges {
		d.mappings = append(d.mappings, mapping(strconv.Itoa(200+i), ed[0], "CONCEPT-SET", testSource, ed[1]))
	}
	rep := runExport(t, testOptions(), d)
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.ConceptID+": "+f.Message)
	}
	assert.Equal(t, []string{
		"1: CONCEPT-SET membership forms a cycle: 1 → 2 → 1",
		"1: CONCEPT-SET membership forms a cycle: 1 → 3 → 1",
		"4: CONCEPT-SET membership forms a cycle: 4 → 5 → 6 → 4",
	}, got)
}

func TestCycleSearchIsBounded(t *testing.T) {
	// A complete graph of sets has a huge number of cycles; the report keeps the first.
	const n = 12
	d := dataset{}
	for i := range n {
		d.concepts = append(d.concepts, concept(strconv.Itoa(i+1), class("ConvSet")))
	}
	id := 1000
	for i := range n {
		for j := range n {
			if i != j {
				id++
				d.mappings = append(d.mappings, mapping(strconv.Itoa(id), strconv.Itoa(i+1), "CONCEPT-SET", testSource, strconv.Itoa(j+1)))
			}
		}
	}
	rep := runExport(t, testOptions(), d)
	assert.Equal(t, maxCyclesPerComponent, rep.Summary.ByRule["XR-05"])
}

// TestMappingsFindAConceptThatArrivesBetweenThem feeds mappings from a code before and
// after its concept: the later mappings belong to the concept, not to the code the
// earlier ones named (API listings and hand-made files can come in any order).
func TestMappingsFindAConceptThatArrivesBetweenThem(t *testing.T) {
	e := NewEngine(testOptions())
	e.SetVersion(&ocl.SourceVersion{ID: "v2026-11-22", URL: "/orgs/CIEL/sources/CIEL/v2026-11-22/"})
	one := concept("1")
	e.Concept(&one)
	for _, m := range []ocl.Mapping{selfMapping("1"), mapping("101", "5", "NARROWER-THAN", "ICD-10-WHO", "A00")} {
		e.Mapping(&m)
	}
	five := concept("5") // not Coded: its Q-AND-A mapping is XR-02
	e.Concept(&five)
	for _, m := range []ocl.Mapping{selfMapping("5"), mapping("102", "5", "Q-AND-A", testSource, "1")} {
		e.Mapping(&m)
	}
	assert.Equal(t, []place{at("XR-02", "5", "102", "", "")}, placesOf(e.Finish().Findings))
}
