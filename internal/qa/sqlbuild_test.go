package qa_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/qa"
)

// sqlLimitsData is a small export the SQL writer accepts: a question with an answer, a
// Numeric test, a mapping to SNOMED CT. Each case below breaks it in one way.
type sqlLimitsData struct {
	concepts []ocl.Concept
	mappings []ocl.Mapping
}

func sqlLimitsBase() sqlLimitsData {
	c := func(code, class, datatype, name string) ocl.Concept {
		return ocl.Concept{ID: code, ExternalID: strings.Repeat(code, 36)[:36], ConceptClass: class, Datatype: datatype,
			URL: "/orgs/CIEL/sources/CIEL/concepts/" + code + "/", Source: "CIEL", Owner: "CIEL",
			Names: []ocl.Name{{Name: name, Locale: "en", LocalePreferred: true, NameType: "FULLY_SPECIFIED", ExternalID: strings.Repeat(code, 35)[:35] + "N"}}}
	}
	m := func(id, from, mapType, source, code string) ocl.Mapping {
		return ocl.Mapping{ID: id, ExternalID: "map-" + id, MapType: mapType, FromConceptCode: from, FromSourceName: "CIEL",
			ToSourceName: source, ToConceptCode: code}
	}
	numeric := c("3", "Test", "Numeric", "Haemoglobin")
	numeric.Extras = ocl.Extras{"units": json.RawMessage(`"g/dL"`), "hi_normal": json.RawMessage(`17`)}
	return sqlLimitsData{
		concepts: []ocl.Concept{c("1", "Question", "Coded", "Fever type"), c("2", "Misc", "N/A", "Intermittent"), numeric},
		mappings: []ocl.Mapping{
			m("101", "1", "Q-AND-A", "CIEL", "2"), m("102", "1", "SAME-AS", "CIEL", "1"), m("103", "2", "SAME-AS", "CIEL", "2"),
			m("104", "3", "SAME-AS", "CIEL", "3"), m("105", "1", "NARROWER-THAN", "SNOMED CT", "386661006")},
	}
}

func (d sqlLimitsData) write(t *testing.T) string {
	t.Helper()
	version := ocl.SourceVersion{ID: "v2026-11-22", Name: "CIEL", URL: "/orgs/CIEL/sources/CIEL/v2026-11-22/",
		CreatedOn: "2026-11-22T07:30:36.123456Z", Released: true}
	path := filepath.Join(t.TempDir(), "CIEL_CIEL_v2026-11-22.zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, ocltest.WriteExport(f, version, &ocltest.SliceContent{Concepts: d.concepts, Mappings: d.mappings}))
	return path
}

// TestQAReportsWhatTheSQLBuildRefuses builds OpenMRS SQL from exports the writer refuses
// for each of its limits, and checks QA reports each with the matching rule; the close
// variant of each is built and gives no such finding.
func TestQAReportsWhatTheSQLBuildRefuses(t *testing.T) {
	desc := func(text, id string) ocl.Description {
		return ocl.Description{Description: text, Locale: "en", ExternalID: id}
	}
	cases := []struct {
		name       string
		rule       string
		buildSays  string // what the build's error says, so that it refused for this reason
		bad, close func(*sqlLimitsData)
	}{
		{"a NaN range", "OM-06", "extras.low_normal is NaN",
			func(d *sqlLimitsData) { d.concepts[2].Extras["low_normal"] = json.RawMessage(`"NaN"`) },
			func(d *sqlLimitsData) { d.concepts[2].Extras["low_normal"] = json.RawMessage(`12`) }},
		{"an infinite answer weight", "OM-06", "sort weight -Inf",
			func(d *sqlLimitsData) {
				d.mappings[0].Extras = ocl.Extras{"sort_weight": json.RawMessage(`"-Infinity"`)}
			},
			func(d *sqlLimitsData) { d.mappings[0].Extras = ocl.Extras{"sort_weight": json.RawMessage(`1e308`)} }},
		{"a description over 65,535 bytes", "OM-07", "longer than a MySQL TEXT column",
			func(d *sqlLimitsData) {
				d.concepts[1].Descriptions = []ocl.Description{desc(strings.Repeat("é", 32768), "")}
			},
			func(d *sqlLimitsData) {
				d.concepts[1].Descriptions = []ocl.Description{desc(strings.Repeat("é", 32767)+"x", "")}
			}},
		{"an emoji in a name", "OM-07", "U+1F912",
			func(d *sqlLimitsData) { d.concepts[0].Names[0].Name = "Fever type 🤒" },
			func(d *sqlLimitsData) { d.concepts[0].Names[0].Name = "Fever type €" }},
		{"an emoji in a reference code", "OM-07", "U+1F912",
			func(d *sqlLimitsData) { d.mappings[4].ToConceptCode = "38666🤒" },
			func(d *sqlLimitsData) { d.mappings[4].ToConceptCode = "38666€" }},
		{"two names with one uuid", "XR-06", "have the same uuid",
			func(d *sqlLimitsData) { d.concepts[1].Names[0].ExternalID = d.concepts[0].Names[0].ExternalID },
			// A name and a reference map may share a uuid: they are rows of different tables.
			func(d *sqlLimitsData) { d.mappings[4].ExternalID = d.concepts[0].Names[0].ExternalID }},
		{"two descriptions with one uuid", "XR-06", "have the same uuid",
			func(d *sqlLimitsData) {
				d.concepts[0].Descriptions = []ocl.Description{desc("A question", "d-1")}
				d.concepts[1].Descriptions = []ocl.Description{desc("An answer", "d-1")}
			},
			func(d *sqlLimitsData) {
				d.concepts[0].Descriptions = []ocl.Description{desc("A question", "d-1")}
				old := desc("An old answer", "d-1")
				old.Retired = true // never written
				d.concepts[1].Descriptions = []ocl.Description{old}
			}},
		{"two reference maps with one uuid", "XR-06", "have the same uuid",
			func(d *sqlLimitsData) { d.mappings[4].ExternalID = d.mappings[1].ExternalID },
			// An answer and a reference map may share a uuid: different tables.
			func(d *sqlLimitsData) { d.mappings[4].ExternalID = d.mappings[0].ExternalID }},
		{"the same name twice without a uuid", "XR-06", "have the same uuid",
			func(d *sqlLimitsData) {
				n := ocl.Name{Name: "Palu", Locale: "fr"}
				d.concepts[1].Names = append(d.concepts[1].Names, n, n)
			},
			func(d *sqlLimitsData) {
				d.concepts[1].Names = append(d.concepts[1].Names, ocl.Name{Name: "Palu", Locale: "fr"}, ocl.Name{Name: "Palu", Locale: "es"})
			}},
	}
	opts := qa.Options{Org: "CIEL", Source: "CIEL"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := sqlLimitsBase()
			tc.bad(&bad)
			path := bad.write(t)
			_, err := export.WriteSQL(context.Background(), path, export.FormatOpenMRS2, &bytes.Buffer{}, export.SQLOptions{})
			require.Error(t, err, "the SQL build refuses it")
			require.Contains(t, err.Error(), tc.buildSays)
			rep, err := qa.CheckExport(context.Background(), path, opts)
			require.NoError(t, err)
			assert.Contains(t, rulesOf(rep), tc.rule, "QA reports what the build refused: %v", err)

			closeData := sqlLimitsBase()
			tc.close(&closeData)
			path = closeData.write(t)
			_, err = export.WriteSQL(context.Background(), path, export.FormatOpenMRS2, &bytes.Buffer{}, export.SQLOptions{})
			require.NoError(t, err, "the close variant is built")
			rep, err = qa.CheckExport(context.Background(), path, opts)
			require.NoError(t, err)
			for _, rule := range []string{"OM-06", "OM-07", "XR-06"} {
				assert.NotContains(t, rulesOf(rep), rule)
			}
		})
	}
}

func rulesOf(rep *qa.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Rule)
	}
	return out
}
