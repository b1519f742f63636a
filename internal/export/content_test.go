package export

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// contentRows builds one export and returns its rows.
func contentRows(t *testing.T, v ocl.SourceVersion, concepts []ocl.Concept, mappings []ocl.Mapping, opts SQLOptions) map[string][]sqlRow {
	t.Helper()
	var buf bytes.Buffer
	_, err := WriteSQL(context.Background(), writeExport(t, v, concepts, mappings), FormatOpenMRS2, &buf, opts)
	require.NoError(t, err)
	return parseRows(t, buf.String())
}

func rowWhere(rows []sqlRow, col, value string) sqlRow {
	for _, r := range rows {
		if r[col] == value {
			return r
		}
	}
	return nil
}

func TestRetiredNamesAreVoidedAndRetiredDescriptionsLeftOut(t *testing.T) {
	c := ocl.Concept{ID: "1", ConceptClass: "Misc", Datatype: "N/A",
		Names: []ocl.Name{fsn("Fever"), {Name: "Old fever", Locale: "en", Retired: true}, syn("Pyrexia", "")},
		Descriptions: []ocl.Description{
			{Description: "Raised temperature", Locale: "en"},
			{Description: "Outdated text", Locale: "en", Retired: true},
			{Description: "  ", Locale: "fr"},
		}}
	rows := contentRows(t, fixtureVersion, []ocl.Concept{c}, nil, SQLOptions{})
	old := rowWhere(rows["concept_name"], "name", "Old fever")
	require.NotNil(t, old)
	assert.Equal(t, "1", old["voided"])
	assert.Equal(t, "1", old["voided_by"])
	assert.Equal(t, "2026-11-22 07:30:36", old["date_voided"])
	assert.Equal(t, "Retired in OCL", old["void_reason"])
	active := rowWhere(rows["concept_name"], "name", "Pyrexia")
	assert.Equal(t, "0", active["voided"], "close case: an active name is not voided")
	assert.Equal(t, "NULL", active["void_reason"])

	require.Len(t, rows["concept_description"], 1, "the retired and the blank description are left out")
	assert.Equal(t, "Raised temperature", rows["concept_description"][0]["description"])
}

func TestRetireReasonFromTheExportElseTheOCLModulesFallback(t *testing.T) {
	concepts := []ocl.Concept{
		{ID: "1", ConceptClass: "Misc", Datatype: "N/A", Names: []ocl.Name{fsn("A")}, Retired: true, RetireReason: "Duplicate of 2"},
		{ID: "2", ConceptClass: "Misc", Datatype: "N/A", Names: []ocl.Name{fsn("B")}, Retired: true},
		{ID: "3", ConceptClass: "Misc", Datatype: "N/A", Names: []ocl.Name{fsn("C")}},
	}
	rows := byID(contentRows(t, fixtureVersion, concepts, nil, SQLOptions{})["concept"], "concept_id")
	assert.Equal(t, "Duplicate of 2", rows["1"]["retire_reason"])
	assert.Equal(t, "Retired in OCL", rows["2"]["retire_reason"])
	assert.Equal(t, "NULL", rows["3"]["retire_reason"], "close case: an active concept has none")
	assert.Equal(t, "NULL", rows["3"]["retired_by"])
}

func TestIsSetAndSortWeights(t *testing.T) {
	concepts := []ocl.Concept{
		{ID: "1", ConceptClass: "ConvSet", Datatype: "N/A", Names: []ocl.Name{fsn("Set with members")}},
		{ID: "2", ConceptClass: "Misc", Datatype: "N/A", Names: []ocl.Name{fsn("Member")}},
		{ID: "3", ConceptClass: "ConvSet", Datatype: "N/A", Names: []ocl.Name{fsn("Set whose only member is retired")}},
		{ID: "4", ConceptClass: "ConvSet", Datatype: "N/A", Names: []ocl.Name{fsn("Set by extras")}, Extras: extras("is_set", 1)},
		{ID: "5", ConceptClass: "Question", Datatype: "Coded", Names: []ocl.Name{fsn("Question")}},
	}
	mappings := []ocl.Mapping{
		{ID: "s1", MapType: "CONCEPT-SET", FromConceptCode: "1", ToSourceName: "CIEL", ToConceptCode: "2"},
		{ID: "s2", MapType: "CONCEPT-SET", FromConceptCode: "1", ToSourceName: "CIEL", ToConceptCode: "5", Extras: extras("sort_weight", 7.5)},
		{ID: "s3", MapType: "CONCEPT-SET", FromConceptCode: "3", ToSourceName: "CIEL", ToConceptCode: "2", Retired: true},
		{ID: "a1", MapType: "Q-AND-A", FromConceptCode: "5", ToSourceName: "CIEL", ToConceptCode: "2"},
		{ID: "a2", MapType: "Q-AND-A", FromConceptCode: "5", ToSourceName: "CIEL", ToConceptCode: "1", SortWeight: weight(3), Extras: extras("sort_weight", 9)},
	}
	rows := contentRows(t, fixtureVersion, concepts, mappings, SQLOptions{})
	c := byID(rows["concept"], "concept_id")
	assert.Equal(t, "1", c["1"]["is_set"], "active CONCEPT-SET members make a set")
	assert.Equal(t, "0", c["3"]["is_set"], "close case: a retired member does not")
	assert.Equal(t, "1", c["4"]["is_set"], "extras.is_set")
	assert.Equal(t, "0", c["2"]["is_set"])

	members := map[string]string{}
	for _, r := range rows["concept_set"] {
		members[r["concept_id"]] = r["sort_weight"]
	}
	assert.Equal(t, map[string]string{"2": "1", "5": "7.5"}, members, "a member without a weight gets 1.0; extras.sort_weight is read")
	answers := map[string]string{}
	for _, r := range rows["concept_answer"] {
		answers[r["answer_concept"]] = r["sort_weight"]
	}
	assert.Equal(t, map[string]string{"2": "NULL", "1": "3"}, answers, "an answer without a weight has none; the top-level weight wins over extras")
}

func TestDateCreatedComesFromTheExportOrTheFirstRelease(t *testing.T) {
	c, m := releaseA()
	c[1].CreatedOn = "2011-04-05T06:07:08Z"
	sqlA, mapA := buildRelease(t, version("v2026-01-01", "2026-01-01T10:00:00Z"), c, m, "")
	sqlB, _ := buildRelease(t, version("v2026-02-01", "2026-02-01T10:00:00Z"), c, m, mapA)
	for _, sql := range []string{sqlA, sqlB} {
		rows := parseRows(t, sql)
		concepts := byID(rows["concept"], "concept_id")
		assert.Equal(t, "2011-04-05 06:07:08", concepts["2"]["date_created"], "a concept's created_on")
		assert.Equal(t, "2026-01-01 10:00:00", concepts["1"]["date_created"], "the first release that had it")
		for _, r := range rows["concept_name"] {
			assert.Equal(t, "2026-01-01 10:00:00", r["date_created"], "name %s", r["name"])
		}
	}
	sqlFirst, _ := buildRelease(t, version("v2026-02-01", "2026-02-01T10:00:00Z"), c, m, "")
	fever := rowWhere(parseRows(t, sqlFirst)["concept_name"], "name", "Fever")
	assert.Equal(t, "2026-02-01 10:00:00", fever["date_created"], "close case: without the map, the release's own date")
}

func TestCollectionAnswersAreKept(t *testing.T) {
	v := version("v1", "2026-01-01T10:00:00Z")
	v.URL, v.Name = "/orgs/MyOrg/collections/Antenatal/v1/", "Antenatal"
	concepts := []ocl.Concept{
		{ID: "1", Source: "CIEL", ConceptClass: "Question", Datatype: "Coded", Names: []ocl.Name{fsn("Question")}},
		{ID: "2", Source: "CIEL", ConceptClass: "Misc", Datatype: "N/A", Names: []ocl.Name{fsn("Yes")}},
	}
	mappings := []ocl.Mapping{
		{ID: "a1", MapType: "Q-AND-A", FromConceptCode: "1", ToSourceName: "CIEL", ToConceptCode: "2"},
		{ID: "a2", MapType: "Q-AND-A", FromConceptCode: "1", ToSourceName: "PIH", ToConceptCode: "2"},
	}
	var buf bytes.Buffer
	counts, err := WriteSQL(context.Background(), writeExport(t, v, concepts, mappings), FormatOpenMRS2, &buf, SQLOptions{})
	require.NoError(t, err)
	rows := parseRows(t, buf.String())
	require.Len(t, rows["concept_answer"], 1, "the CIEL answer is kept; close case: PIH's concept 2 is not in the export")
	assert.Equal(t, "2", rows["concept_answer"][0]["answer_concept"])
	assert.EqualValues(t, 1, counts.Skipped[SkipAnswerNotExport])
	assert.Contains(t, buf.String(), "('antenatal.conceptsVersion','v1',", "the property is named after the collection")
}

func TestVersionPropertyIsConfigurable(t *testing.T) {
	var buf bytes.Buffer
	_, err := WriteSQL(context.Background(), fixtureExport(t), FormatOpenMRS2, &buf, SQLOptions{VersionProperty: "site.cielVersion"})
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "INSERT INTO `global_property` (`property`,`property_value`,`description`,`uuid`) VALUES ('site.cielVersion','v2026-11-22',")
	assert.NotContains(t, buf.String(), "ciel.conceptsVersion")
}

func TestCoreRowsAndKnownClassesAndSources(t *testing.T) {
	concepts := []ocl.Concept{
		{ID: "1", ConceptClass: "radiology/imaging procedure", Datatype: "N/A", Names: []ocl.Name{fsn("Chest X-ray")}},
		{ID: "2", ConceptClass: "Program", Datatype: "N/A", Names: []ocl.Name{fsn("HIV program")}},
	}
	mappings := []ocl.Mapping{
		{ID: "m1", MapType: "SAME-AS", FromConceptCode: "1", ToSourceName: "snomed-ct", ToConceptCode: "399208008"},
		{ID: "m2", MapType: "SAME-AS", FromConceptCode: "1", ToSourceName: "IMO-ProblemIT", ToConceptCode: "123"},
		{ID: "m3", MapType: "SAME-AS", FromConceptCode: "2", ToSourceName: "My Local Codes", ToConceptCode: "HIV"},
		{ID: "m4", MapType: "Broader Than", FromConceptCode: "2", ToSourceName: "My Local Codes", ToConceptCode: "PROG"},
		{ID: "m5", MapType: "PART OF", FromConceptCode: "2", ToSourceName: "My Local Codes", ToConceptCode: "X"},
	}
	rows := contentRows(t, fixtureVersion, concepts, mappings, SQLOptions{})
	require.Len(t, rows["concept_datatype"], 12)
	for _, d := range coreDatatypes {
		r := byID(rows["concept_datatype"], "concept_datatype_id")[itoa(d.id)]
		assert.Equal(t, d.uuid, r["uuid"])
	}
	assertCoreMapTypes(t, rows)
	assert.Len(t, rows["concept_map_type"], 70, "Broader Than is BROADER-THAN (3), PART OF is Part of (37): nothing is added")

	classes := byID(rows["concept_class"], "concept_class_id")
	radiology := rowWhere(rows["concept_class"], "uuid", "8caa332c-efe4-4025-8b18-3398328e1323")
	require.NotNil(t, radiology, "CIEL's Radiology/Imaging Procedure keeps its uuid")
	assert.Equal(t, "Radiology/Imaging Procedure", radiology["name"])
	assert.Equal(t, "8d4907b2-c2cc-11de-8d13-0010c6dffd0f", classes["1"]["uuid"], "Test")
	assert.Len(t, rows["concept_class"], 18)

	sources := rows["concept_reference_source"]
	snomed := rowWhere(sources, "concept_source_id", "1")
	assert.Equal(t, "SNOMED CT", snomed["name"], "snomed-ct is the site's SNOMED CT")
	imo := rowWhere(sources, "concept_source_id", "24")
	assert.Equal(t, "IMO ProblemIT", imo["name"])
	assert.Equal(t, cielSourceUUID(24), imo["uuid"])
	assert.Equal(t, "NULL", imo["hl7_code"], "no HL7 code: NULL, never ''")
	local := rowWhere(sources, "name", "My Local Codes")
	require.NotNil(t, local)
	assert.Equal(t, "NULL", local["hl7_code"])
	assert.Greater(t, atoi(local["concept_source_id"]), 25, "a new source gets an id above the known ones")
}

func TestValuesTheColumnsCannotHoldAreRefused(t *testing.T) {
	base := func() ocl.Concept {
		return ocl.Concept{ID: "5", ConceptClass: "Test", Datatype: "Numeric", Names: []ocl.Name{fsn("Five")}}
	}
	tests := []struct {
		name     string
		concept  func() ocl.Concept
		mappings []ocl.Mapping
		want     string
	}{
		{"NaN range", func() ocl.Concept { c := base(); c.Extras = extras("hi_normal", "NaN"); return c }, nil, "extras.hi_normal is NaN"},
		{"infinite range", func() ocl.Concept { c := base(); c.Extras = extras("low_absolute", "-Infinity"); return c }, nil, "extras.low_absolute is -Inf"},
		{"infinite sort weight", base, []ocl.Mapping{{ID: "s1", MapType: "CONCEPT-SET", FromConceptCode: "5", ToSourceName: "CIEL", ToConceptCode: "5",
			Extras: ocl.Extras{"sort_weight": json.RawMessage(`"Infinity"`)}}}, `mapping "s1"`},
		{"description over 65,535 bytes", func() ocl.Concept {
			c := base()
			c.Descriptions = []ocl.Description{{Description: strings.Repeat("x", 65536), Locale: "en"}}
			return c
		}, nil, "longer than a MySQL TEXT column"},
		{"a character utf8 cannot store", func() ocl.Concept { c := base(); c.Names = append(c.Names, syn("Fever 🔥", "")); return c }, nil,
			"U+1F525, which OpenMRS's utf8 (utf8mb3) columns cannot store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := WriteSQL(context.Background(), writeExport(t, fixtureVersion, []ocl.Concept{tt.concept()}, tt.mappings), FormatOpenMRS2, &buf, SQLOptions{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.Contains(err.Error(), `concept "5"`) || strings.Contains(err.Error(), `mapping "s1"`), "the error names the item: %v", err)
			assert.Zero(t, buf.Len(), "nothing written")
		})
	}
	// Close case: the largest values the columns hold are written.
	c := base()
	c.Descriptions = []ocl.Description{{Description: strings.Repeat("x", 65535), Locale: "en"}}
	c.Names = append(c.Names, syn("Fièvre €", ""))
	c.Extras = extras("hi_normal", 1e308)
	_, err := WriteSQL(context.Background(), writeExport(t, fixtureVersion, []ocl.Concept{c}, nil), FormatOpenMRS2, &bytes.Buffer{}, SQLOptions{})
	require.NoError(t, err)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
