package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

func mustNew(t testing.TB, spec Spec) *Dataset {
	t.Helper()
	d, err := New(spec)
	require.NoError(t, err)
	return d
}

func sorted(es []Expected) []string {
	out := make([]string, len(es))
	for k, e := range es {
		out[k] = e.String()
	}
	slices.Sort(out)
	return out
}

func TestCleanByDefault(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
	}{
		{"tiny", Tiny},
		{"small", Small},
		{"other seed, many retired", Spec{Seed: 42, Concepts: 3000, RetiredFraction: 0.2}},
		{"english only, no retired", Spec{Seed: 7, Concepts: 500, Locales: []string{"en"}, RetiredFraction: -1}},
		{"own org and source", Spec{Seed: 3, Concepts: 800, Org: "PIH", Source: "PIH-Dict", Locales: []string{"fr", "en", "ht"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustNew(t, tt.spec)
			assert.Empty(t, sorted(referenceQA(d)))
			assert.Empty(t, d.Expected())
		})
	}
}

func TestEachInjectionGivesExactlyItsFinding(t *testing.T) {
	for _, rule := range Rules {
		for _, index := range []int{-1, 321} {
			spec := Spec{Seed: 9, Concepts: 400}
			spec.Inject = []Injection{{Rule: rule, Index: index}}
			d := mustNew(t, spec)
			expected := d.Expected()
			require.Len(t, expected, 1)
			assert.Equal(t, sorted(expected), sorted(referenceQA(d)), "rule %s at index %d", rule, index)
			if index >= 0 && rule != "XR-05" {
				assert.Equal(t, d.Code(index), expected[0].ConceptID, rule)
			}
		}
	}
}

func TestInjectionsDoNotInterfere(t *testing.T) {
	spec := Small
	for k, rule := range Rules {
		// Half at default places, half packed next to each other.
		index := -1
		if k%2 == 1 {
			index = 1000 + k
		}
		spec.Inject = append(spec.Inject, Injection{Rule: rule, Index: index})
	}
	d := mustNew(t, spec)
	require.Len(t, d.Expected(), len(Rules))
	assert.Equal(t, sorted(d.Expected()), sorted(referenceQA(d)))
}

// TestInjectionsSitWhereExpectedSays checks each violation on the data itself.
func TestInjectionsSitWhereExpectedSays(t *testing.T) {
	namesIn := func(c ocl.Concept, locale string, match func(ocl.Name) bool) int {
		count := 0
		for _, n := range c.Names {
			if n.Locale == locale && match(n) {
				count++
			}
		}
		return count
	}
	preferred := func(n ocl.Name) bool { return n.LocalePreferred }
	ofType := func(typ string) func(ocl.Name) bool {
		return func(n ocl.Name) bool { return ocl.NormalizeNameType(n.NameType) == typ }
	}
	checks := map[string]func(t *testing.T, d *Dataset, c ocl.Concept, m *ocl.Mapping, e Expected){
		"FR-01": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, e Expected) {
			assert.Equal(t, 2, namesIn(c, e.Locale, preferred))
		},
		"FR-03": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, e Expected) {
			assert.Equal(t, 2, namesIn(c, e.Locale, ofType(ocl.NameTypeShort)))
		},
		"FR-04": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, e Expected) {
			assert.NotEqual(t, "en", e.Locale)
			assert.Equal(t, 1, namesIn(c, e.Locale, func(n ocl.Name) bool {
				return n.LocalePreferred && ocl.NormalizeNameType(n.NameType) == ocl.NameTypeIndexTerm
			}))
		},
		"FR-05": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, e Expected) {
			assert.Equal(t, 2, namesIn(c, e.Locale, ofType(ocl.NameTypeFullySpecified)))
		},
		"FR-06": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, _ Expected) {
			for _, loc := range DefaultLocales {
				assert.Zero(t, namesIn(c, loc, ofType(ocl.NameTypeFullySpecified)))
			}
			assert.Equal(t, 1, namesIn(c, "en", preferred), "CE-01 must stay quiet")
		},
		"FR-08": func(t *testing.T, d *Dataset, c ocl.Concept, _ *ocl.Mapping, e Expected) {
			assert.NotContains(t, d.Version("HEAD").SupportedLocales, e.Locale)
			assert.Equal(t, 1, namesIn(c, e.Locale, func(ocl.Name) bool { return true }))
		},
		"FR-11": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, _ Expected) {
			assert.NotEqual(t, 36, len(c.ExternalID))
			assert.LessOrEqual(t, len(c.ExternalID), 36, "OM-03 must stay quiet")
		},
		"FR-12": func(t *testing.T, d *Dataset, c ocl.Concept, m *ocl.Mapping, _ Expected) {
			_, maps := d.Concept(mustIndex(t, d, c.ID))
			same := 0
			for _, o := range maps {
				if o.ToSourceName == m.ToSourceName && o.ToConceptCode == m.ToConceptCode && o.MapType == m.MapType {
					same++
				}
			}
			assert.Equal(t, 2, same)
		},
		"FR-13": func(t *testing.T, d *Dataset, c ocl.Concept, _ *ocl.Mapping, _ Expected) {
			_, maps := d.Concept(mustIndex(t, d, c.ID))
			for _, o := range maps {
				assert.False(t, o.MapType == ocl.MapTypeSameAs && o.ToConceptCode == c.ID && o.ToSourceName == "CIEL")
			}
		},
		"FR-15": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, e Expected) {
			assert.Equal(t, 1, namesIn(c, e.Locale, func(n ocl.Name) bool { return strings.Contains(n.Name, "&#39;") }))
		},
		"FR-19": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, e Expected) {
			assert.Equal(t, 1, namesIn(c, e.Locale, func(n ocl.Name) bool { return n.LocalePreferred && strings.Contains(n.Name, " and ") }))
		},
		"FR-22": func(t *testing.T, d *Dataset, _ ocl.Concept, m *ocl.Mapping, _ Expected) {
			target, _ := d.Concept(mustIndex(t, d, m.ToConceptCode))
			assert.True(t, target.Retired)
		},
		"FR-23": func(t *testing.T, _ *Dataset, _ ocl.Concept, m *ocl.Mapping, _ Expected) {
			assert.Equal(t, ocl.MapTypeSameAs, m.MapType)
			assert.True(t, strings.HasSuffix(m.ToConceptCode, "Y"), m.ToConceptCode)
		},
		"FR-24": func(t *testing.T, d *Dataset, c ocl.Concept, m *ocl.Mapping, _ Expected) {
			_, maps := d.Concept(mustIndex(t, d, c.ID))
			var types []string
			for _, o := range maps {
				if o.ToSourceName == m.ToSourceName && o.ToConceptCode == m.ToConceptCode {
					types = append(types, o.MapType)
				}
			}
			assert.Equal(t, []string{"NARROWER-THAN", "BROADER-THAN"}, types)
		},
		"FR-26": func(t *testing.T, d *Dataset, c ocl.Concept, m *ocl.Mapping, _ Expected) {
			claims := 0
			for i := range mustIndex(t, d, c.ID) {
				_, maps := d.Concept(i)
				for _, o := range maps {
					if o.MapType == ocl.MapTypeSameAs && o.ToSourceName == m.ToSourceName && o.ToConceptCode == m.ToConceptCode {
						claims++
					}
				}
			}
			assert.Equal(t, 1, claims, "exactly one earlier concept claims the code")
		},
		"CE-01": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, _ Expected) {
			assert.Zero(t, namesIn(c, "en", preferred))
		},
		"CE-02": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, _ Expected) {
			assert.Equal(t, "Numeric", c.Datatype)
			assert.NotEqual(t, "Test", c.ConceptClass)
			assert.Empty(t, c.Extras)
		},
		"CE-03": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, _ Expected) {
			assert.Equal(t, "Test", c.ConceptClass)
			assert.False(t, c.Extras.Has("units"))
			assert.True(t, c.Extras.Has("hi_normal"))
		},
		"XR-01": func(t *testing.T, d *Dataset, _ ocl.Concept, m *ocl.Mapping, _ Expected) {
			_, exists := d.Index(m.ToConceptCode)
			assert.False(t, exists)
		},
		"XR-02": func(t *testing.T, _ *Dataset, c ocl.Concept, m *ocl.Mapping, _ Expected) {
			assert.Equal(t, ocl.MapTypeQAndA, m.MapType)
			assert.NotEqual(t, "Coded", c.Datatype)
		},
		"XR-03": func(t *testing.T, _ *Dataset, c ocl.Concept, m *ocl.Mapping, _ Expected) {
			assert.Equal(t, c.ID, m.ToConceptCode)
			assert.Equal(t, c.URL, m.ToConceptURL)
		},
		"XR-04": func(t *testing.T, d *Dataset, c ocl.Concept, _ *ocl.Mapping, _ Expected) {
			earlier := 0
			for i := range mustIndex(t, d, c.ID) {
				if o, _ := d.Concept(i); o.ExternalID == c.ExternalID {
					earlier++
				}
			}
			assert.Equal(t, 1, earlier)
		},
		"XR-05": func(t *testing.T, d *Dataset, c ocl.Concept, _ *ocl.Mapping, _ Expected) {
			_, maps := d.Concept(mustIndex(t, d, c.ID))
			back := false
			for _, m := range maps {
				if m.MapType != ocl.MapTypeConceptSet {
					continue
				}
				_, memberMaps := d.Concept(mustIndex(t, d, m.ToConceptCode))
				for _, mm := range memberMaps {
					back = back || (mm.MapType == ocl.MapTypeConceptSet && mm.ToConceptCode == c.ID)
				}
			}
			assert.True(t, back, "a member of %s has %s as a member", c.ID, c.ID)
		},
		"OM-01": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, _ Expected) {
			assert.NotContains(t, knownDatatypes, c.Datatype)
		},
		"OM-02": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, _ Expected) {
			assert.Empty(t, c.ConceptClass)
		},
		"OM-03": func(t *testing.T, _ *Dataset, _ ocl.Concept, m *ocl.Mapping, _ Expected) {
			assert.Greater(t, len(m.ExternalID), 36)
		},
		"OM-04": func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, e Expected) {
			assert.Equal(t, 1, namesIn(c, e.Locale, func(n ocl.Name) bool { return len(n.Name) > 255 }))
		},
		"OM-05": func(t *testing.T, _ *Dataset, _ ocl.Concept, m *ocl.Mapping, _ Expected) {
			assert.Greater(t, len(m.ToSourceName), 50)
		},
	}
	extraCheck := func(t *testing.T, _ *Dataset, c ocl.Concept, _ *ocl.Mapping, e Expected) {
		key := strings.TrimPrefix(e.Field, "extras.")
		require.Contains(t, c.Extras, key)
		switch e.Rule {
		case "EX-02":
			assert.NotEqual(t, strings.TrimSpace(key), key)
		case "EX-03":
			assert.Equal(t, "string", c.Extras.JSONKind(key))
		case "EX-04":
			assert.JSONEq(t, `"true"`, string(c.Extras[key]))
		}
	}
	for _, rule := range []string{"EX-01", "EX-02", "EX-03", "EX-04", "EX-05"} {
		checks[rule] = extraCheck
	}

	spec := Small
	for _, rule := range Rules {
		spec.Inject = append(spec.Inject, Injection{Rule: rule, Index: -1})
	}
	d := mustNew(t, spec)
	for _, e := range d.Expected() {
		t.Run(e.Rule, func(t *testing.T) {
			c, maps := d.Concept(mustIndex(t, d, e.ConceptID))
			assert.False(t, c.Retired)
			var m *ocl.Mapping
			if e.MappingID != "" {
				k := slices.IndexFunc(maps, func(o ocl.Mapping) bool { return o.ID == e.MappingID })
				require.GreaterOrEqual(t, k, 0, "mapping %s is not concept %s's", e.MappingID, e.ConceptID)
				m = &maps[k]
			}
			if check := checks[e.Rule]; check != nil {
				check(t, d, c, m, e)
			}
		})
	}
}

func mustIndex(t *testing.T, d *Dataset, code string) int {
	t.Helper()
	i, ok := d.Index(code)
	require.True(t, ok, "no concept %q", code)
	return i
}

func TestSameSpecSameBytes(t *testing.T) {
	spec := Tiny
	spec.Inject = []Injection{{Rule: "FR-09", Index: -1}, {Rule: "XR-05", Index: 20}}
	export := func(spec Spec) [32]byte {
		var buf bytes.Buffer
		require.NoError(t, mustNew(t, spec).WriteExport(&buf, "v2026-11-22"))
		return sha256.Sum256(buf.Bytes())
	}
	first := export(spec)
	assert.Equal(t, first, export(spec))
	other := spec
	other.Seed = 2
	assert.NotEqual(t, first, export(other))
}

// TestConceptEqualsExportedConcept checks, for every variant, that the model view of
// each concept (Dataset.Concept, built by ocltest.ModelOf) is exactly what the
// product's decoder reads from the export's bytes.
func TestConceptEqualsExportedConcept(t *testing.T) {
	injected := []Injection{{Rule: "FR-13", Index: -1}, {Rule: "CE-04", Index: -1}, {Rule: "FR-25", Index: 5}}
	tests := []struct {
		name string
		spec Spec
	}{
		{"2026", Spec{Seed: 1, Concepts: 2000, Inject: injected}},
		{"2015", Spec{Seed: 2, Concepts: 1500, Era: ocltest.Era2015, Inject: injected}},
		{"collection", Spec{Seed: 3, Concepts: 800, Collection: "Starter-Set"}},
		{"weights in both places", Spec{Seed: 4, Concepts: 800, Weights: WeightBoth}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "CIEL_CIEL_v2026-11-22.zip")
			counts, err := WriteExportFile(path, tt.spec, "v2026-11-22")
			require.NoError(t, err)
			entries, err := os.ReadDir(filepath.Dir(path))
			require.NoError(t, err)
			assert.Len(t, entries, 1, "no temporary file left behind")

			src, err := exportfile.Open(path, exportfile.Limits{})
			require.NoError(t, err)
			defer src.Close()
			r, err := src.Reader()
			require.NoError(t, err)
			defer r.Close()

			d := mustNew(t, tt.spec)
			var version *ocl.SourceVersion
			var concepts []ocl.Concept
			var mappings []ocl.Mapping
			stats, err := exportfile.Decode(context.Background(), r, path, exportfile.Handler{
				Version: func(v *ocl.SourceVersion) error { version = v; return nil },
				Concept: func(c *ocl.Concept) error { concepts = append(concepts, *c); return nil },
				Mapping: func(m *ocl.Mapping) error { mappings = append(mappings, *m); return nil },
			})
			require.NoError(t, err)

			want := d.Version("v2026-11-22")
			assert.Equal(t, want.Description, version.Description)
			assert.Equal(t, []string(want.SupportedLocales), []string(version.SupportedLocales))
			if tt.spec.Era == ocltest.Era2015 {
				assert.Equal(t, "Source", version.Type)
				assert.Equal(t, "CIEL", version.ID)
				assert.Equal(t, "2026-11-22T07:30:36Z", version.CreatedAt)
			} else {
				assert.Equal(t, "v2026-11-22", version.ID)
				assert.Equal(t, "2026-11-22T07:30:36Z", version.CreatedOn)
			}
			if tt.spec.Collection != "" {
				assert.Equal(t, d.Len(), stats.References)
			}

			require.Equal(t, d.Len(), stats.Concepts)
			require.Equal(t, counts.Mappings, stats.Mappings)
			at := 0
			for i := range d.Len() {
				c, maps := d.Concept(i)
				require.Equal(t, c, concepts[i], "concept %d", i)
				for _, m := range maps {
					require.Equal(t, m, mappings[at], "mapping %s of concept %d", m.ID, i)
					at++
				}
			}
			assert.Equal(t, len(mappings), at)
		})
	}
}

func TestCountsAddUp(t *testing.T) {
	d := mustNew(t, Small)
	n := d.Counts()
	var names, descriptions, retired, retiredMaps, mappings, retiredNames, retiredDescriptions int
	ids := map[string]bool{}
	for i := range d.Len() {
		c, maps := d.Concept(i)
		names += len(c.Names)
		descriptions += len(c.Descriptions)
		for _, n := range c.Names {
			retiredNames += pick(n.Retired, 1, 0)
		}
		for _, ds := range c.Descriptions {
			retiredDescriptions += pick(ds.Retired, 1, 0)
		}
		if c.Retired {
			retired++
		}
		for _, m := range maps {
			mappings++
			if m.Retired {
				retiredMaps++
			}
			assert.False(t, ids[m.ID], "mapping id %s repeated", m.ID)
			ids[m.ID] = true
			assert.LessOrEqual(t, len(m.ExternalID), 36)
		}
	}
	assert.Equal(t, Counts{
		Concepts: 2000, RetiredConcepts: retired, Mappings: mappings, RetiredMappings: retiredMaps,
		Names: names, Descriptions: descriptions, RetiredNames: retiredNames, RetiredDescriptions: retiredDescriptions,
		Answers: n.Answers, SetMembers: n.SetMembers, ReferenceMaps: n.ReferenceMaps,
		Numeric: n.Numeric, Complex: n.Complex, Sets: n.Sets,
	}, n)
	assert.Equal(t, n.Mappings, n.RetiredMappings+n.Answers+n.SetMembers+n.ReferenceMaps)
	for name, v := range map[string]int{"answers": n.Answers, "members": n.SetMembers, "numeric": n.Numeric,
		"complex": n.Complex, "sets": n.Sets, "retired": n.RetiredConcepts, "retired mappings": n.RetiredMappings,
		"retired names": n.RetiredNames, "retired descriptions": n.RetiredDescriptions} {
		assert.Positive(t, v, name)
	}
}

func TestCIELShape(t *testing.T) {
	d := mustNew(t, CIEL)
	n := d.Counts()
	assert.Equal(t, 55000, n.Concepts)
	assert.InDelta(t, 300000, n.Mappings, 20000)
	assert.InDelta(t, 5.5, float64(n.Mappings)/float64(n.Concepts), 0.3)
	assert.InDelta(t, 550, n.RetiredConcepts, 150)
	assert.Greater(t, n.Names, 4*n.Concepts)
	assert.Greater(t, n.Answers, 20000)
	assert.Greater(t, n.SetMembers, 15000)
	// Any concept comes alone, in any order, and always the same.
	last, lastMaps := d.Concept(54999)
	first, _ := d.Concept(0)
	again, againMaps := d.Concept(54999)
	assert.Equal(t, last, again)
	assert.Equal(t, lastMaps, againMaps)
	assert.Equal(t, "55000", last.ID)
	assert.Equal(t, "1", first.ID)
}

func TestNewRejectsBadSpecs(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"too few concepts", Spec{Concepts: 3}, "at least 10"},
		{"no english", Spec{Concepts: 50, Locales: []string{"fr"}}, `include "en"`},
		{"repeated locale", Spec{Concepts: 50, Locales: []string{"en", "en"}}, "repeated"},
		{"too many retired", Spec{Concepts: 50, RetiredFraction: 0.9}, "above 0.5"},
		{"unknown rule", Spec{Concepts: 50, Inject: []Injection{{Rule: "FR-99", Index: -1}}}, `unknown rule "FR-99"`},
		{"index out of range", Spec{Concepts: 50, Inject: []Injection{{Rule: "FR-01", Index: 50}}}, "outside 0..49"},
		{"two at one index", Spec{Concepts: 50, Inject: []Injection{{Rule: "FR-01", Index: 4}, {Rule: "FR-02", Index: 4}}}, "already has an injection"},
		{"nothing earlier", Spec{Concepts: 50, Inject: []Injection{{Rule: "FR-09", Index: 0}}}, "needs an earlier active concept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.spec)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestDefaultsAndVersion(t *testing.T) {
	d := mustNew(t, Spec{Concepts: 20, Locales: []string{"en", "fr"}})
	s := d.Spec()
	assert.Equal(t, "CIEL", s.Org)
	assert.Equal(t, DefaultRetiredFraction, s.RetiredFraction)
	v := d.Version("HEAD")
	assert.Equal(t, []string{"en", "fr"}, []string(v.SupportedLocales))
	assert.Equal(t, "/orgs/CIEL/sources/CIEL/HEAD/", v.URL)
	assert.False(t, v.Released)
	assert.Equal(t, v.CreatedOn, d.Version("HEAD").CreatedOn)
	c, maps := d.Concept(4)
	assert.Equal(t, "/orgs/CIEL/sources/CIEL/concepts/5/", c.URL)
	assert.Equal(t, c.ID, maps[0].ToConceptCode, "the own SAME-AS comes first")
}

func TestForcedRolesAreWhatTheirNamesSay(t *testing.T) {
	assert.Equal(t, role{"Diagnosis", "N/A", kindPlain, groupClinical, 270}, *rolePlain)
	assert.Equal(t, [2]string{"Finding", "Numeric"}, [2]string{roleNumericFinding.class, roleNumericFinding.datatype})
	assert.Equal(t, [2]string{"Test", "Numeric"}, [2]string{roleNumericTest.class, roleNumericTest.datatype})
	assert.Equal(t, [2]string{"Question", "Coded"}, [2]string{roleCodedQuestion.class, roleCodedQuestion.datatype})
	assert.Equal(t, kindSet, roleConvSet.kind)
}
