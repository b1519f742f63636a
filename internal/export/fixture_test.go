package export

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// trickyName exercises every character the SQL must escape.
const trickyName = "O'Brien \"quoted\" back\\slash\nnew line\r\ttab \x00nul \x1asub € ü ';DROP TABLE concept;--"

var fixtureVersion = ocl.SourceVersion{
	ID:        "v2026-11-22",
	Name:      "CIEL",
	URL:       "/orgs/CIEL/sources/CIEL/v2026-11-22/",
	CreatedOn: "2026-11-22T07:30:36.123456Z",
	Released:  true,
}

func extras(kv ...any) ocl.Extras {
	e := ocl.Extras{}
	for i := 0; i < len(kv); i += 2 {
		raw, _ := json.Marshal(kv[i+1])
		e[kv[i].(string)] = raw
	}
	return e
}

func weight(w float64) *float64 { return &w }

func fsn(name string) ocl.Name {
	return ocl.Name{Name: name, Locale: "en", LocalePreferred: true, NameType: "FULLY_SPECIFIED"}
}

// fixtureConcepts cover every concept table: names of each type, descriptions, numeric
// (new and old style), complex, a set, new classes, a retired concept, odd datatypes.
func fixtureConcepts() []ocl.Concept {
	return []ocl.Concept{
		{ID: "1000", ExternalID: "1065AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ConceptClass: "Misc", Datatype: "N/A",
			Names: []ocl.Name{
				fsn("Yes"),
				{Name: "Y", Locale: "en", NameType: "SHORT", ExternalID: "n-1000-2"},
				{Name: "Affirmative", Locale: "en", NameType: "None"},
				{Name: "yes answer", Locale: "en", NameType: "Index Term"},
				{Name: "Oui", Locale: "fr", LocalePreferred: true, NameType: "Fully Specified"},
			},
			Descriptions: []ocl.Description{{Description: "Generic answer: yes", Locale: "en"}}},
		{ID: "1001", ExternalID: "1066AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ConceptClass: "misc", Datatype: "N/A",
			Names: []ocl.Name{fsn("No")}},
		{ID: "1002", ExternalID: "1002AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ConceptClass: "Question", Datatype: "Coded",
			Names:        []ocl.Name{fsn(trickyName), {Name: "Tricky", Locale: "en", NameType: "SYNONYM"}},
			Descriptions: []ocl.Description{{Description: trickyName, Locale: "en"}}},
		{ID: "1003", ExternalID: "1003AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ConceptClass: "Test", Datatype: "Numeric",
			Names: []ocl.Name{fsn("Temperature (C)")},
			Extras: extras("hi_absolute", 45.5, "hi_critical", 41, "hi_normal", 37.5, "low_absolute", 25,
				"low_critical", 35, "low_normal", 36.1, "units", "DEG C", "allow_decimal", true, "display_precision", 1)},
		{ID: "1004", ExternalID: "1004AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ConceptClass: "Test", Datatype: "Numeric",
			Names: []ocl.Name{fsn("Count of things")}, Extras: extras("precise", "false")},
		{ID: "1005", ExternalID: "1005AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ConceptClass: "Finding", Datatype: "Complex",
			Names: []ocl.Name{fsn("Chest X-ray image")}, Extras: extras("handler", "ImageHandler")},
		{ID: "1006", ExternalID: "1006AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ConceptClass: "Pharmacologic Drug Class", Datatype: "N/A",
			Names: []ocl.Name{fsn("Vital signs set")}, Extras: extras("is_set", 1)},
		{ID: "1007", ExternalID: "1007AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ConceptClass: "Diagnosis", Datatype: "Text", Retired: true,
			Names: []ocl.Name{fsn("Old diagnosis")}},
		// No external id: the OCL uuid is used.
		{ID: "1008", UUID: "6f1e5b2a-0c1d-4e2f-9a3b-4c5d6e7f8091", ConceptClass: "Program", Datatype: "None",
			Names: []ocl.Name{fsn("HIV program")}},
		// Neither: a uuid is derived.
		{ID: "1009", UUID: "65412", ConceptClass: "program", Datatype: "Structured-Numeric", Extras: nil,
			Names: []ocl.Name{fsn("Blood pressure range")}},
	}
}

func fixtureMappings() []ocl.Mapping {
	ciel := func(id, mapType, from, to string, ext string, w *float64) ocl.Mapping {
		return ocl.Mapping{ID: id, ExternalID: ext, MapType: mapType, FromConceptCode: from, FromSourceName: "CIEL",
			ToConceptCode: to, ToSourceName: "CIEL", SortWeight: w}
	}
	ext := func(id, mapType, from, source, code string) ocl.Mapping {
		return ocl.Mapping{ID: id, ExternalID: "ext-" + id, MapType: mapType, FromConceptCode: from, FromSourceName: "CIEL",
			ToConceptCode: code, ToSourceName: source}
	}
	retired := ext("m9", "SAME-AS", "1002", "SNOMED CT", "999")
	retired.Retired = true
	noExternal := ext("m12", "SAME-AS", "1004", "SNOMED CT", "111")
	noExternal.ExternalID, noExternal.UUID = "", "12345"
	return []ocl.Mapping{
		ciel("m1", "Q-AND-A", "1002", "1000", "ans-1", weight(1)),
		ciel("m2", "Q-AND-A", "1002", "1001", "ans-2", weight(2)),
		ciel("m3", "Q-AND-A", "1002", "9999", "ans-3", weight(3)), // dangling answer
		ciel("m4", "CONCEPT-SET", "1006", "1003", "set-1", weight(1)),
		ciel("m5", "CONCEPT-SET", "1006", "1004", "set-2", nil),
		ciel("m6", "CONCEPT-SET", "1006", "8888", "set-3", nil), // dangling member
		ext("m7", "SAME-AS", "1000", "SNOMED CT", "373066001"),
		ext("m8", "BROADER-THAN", "1000", "SNOMED CT", "373066001"), // same term again
		retired,
		ext("m10", "NARROWER-THAN", "1003", "ICD-10-WHO", "R50.9"),
		ext("m11", "Associated with", "1007", "CIEL", "1000"),
		noExternal,
		ext("m13", "Same As", "1001", "SNOMED CT", "373067005"), // another spelling of SAME-AS
		ext("m14", "associated-with", "1005", "CIEL", "1003"),
		ciel("m16", "Q-AND-A", "1002", "1000", "", weight(4)), // no external id
		{ID: "m17", MapType: "SAME-AS", FromConceptCode: "1003", ToConceptCode: "x"},
	}
}

// fixtureRows are the rows the fixture gives, counted by hand.
var fixtureRows = map[string]int64{
	"concept_datatype":         12,
	"concept_class":            18, // 16 core + Pharmacologic Drug Class + Program
	"concept_map_type":         70, // OpenMRS's 70 (Associated with is one of them)
	"concept_reference_source": 3,  // SNOMED CT, ICD-10-WHO, CIEL
	"concept_reference_term":   6,  // SNOMED CT 373066001, 373067005, 111; ICD-10-WHO R50.9; CIEL 1003, 1000
	"concept":                  10,
	"concept_name":             15,
	"concept_description":      2,
	"concept_numeric":          2,
	"concept_complex":          1,
	"concept_answer":           3,
	"concept_set":              2,
	"concept_reference_map":    7,
}

var fixtureSkipped = map[string]int64{
	SkipRetiredMapping:  1,
	SkipAnswerNotExport: 1,
	SkipMemberNotExport: 1,
	SkipFromNotInExport: 1,
	SkipNoTargetSource:  1,
}

// orphanContent adds, after the mappings of the last concept, mappings whose
// from-concept is not in the export (OCL exports have them when a concept moved).
type orphanContent struct {
	ocltest.SliceContent
	orphans []ocl.Mapping
}

func (o *orphanContent) Concept(i int) (ocl.Concept, []ocl.Mapping) {
	c, maps := o.SliceContent.Concept(i)
	if i == o.Len()-1 {
		maps = append(append([]ocl.Mapping(nil), maps...), o.orphans...)
	}
	return c, maps
}

// writeExport writes an OCL export zip and returns its path.
func writeExport(t testing.TB, version ocl.SourceVersion, concepts []ocl.Concept, mappings []ocl.Mapping) string {
	t.Helper()
	return writeContent(t, version, &ocltest.SliceContent{Concepts: concepts, Mappings: mappings})
}

func writeContent(t testing.TB, version ocl.SourceVersion, content ocltest.Content) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "CIEL_CIEL_"+version.ID+".zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, ocltest.WriteExport(f, version, content))
	return path
}

func fixtureExport(t testing.TB) string {
	orphan := ocl.Mapping{ID: "m15", ExternalID: "ext-m15", MapType: "SAME-AS", FromConceptCode: "7777",
		FromSourceName: "CIEL", ToSourceName: "SNOMED CT", ToConceptCode: "1"}
	return writeContent(t, fixtureVersion, &orphanContent{
		SliceContent: ocltest.SliceContent{Concepts: fixtureConcepts(), Mappings: fixtureMappings()},
		orphans:      []ocl.Mapping{orphan},
	})
}

const serverDSN = "root@tcp(127.0.0.1:3306)/"

// mariaDB returns a pool on the local server. Without a server the test is skipped,
// except under CI=true, where it fails: CI must not pass having skipped the load tests.
func mariaDB(t *testing.T) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(serverDSN)
	require.NoError(t, err)
	db, err := openServer(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		msg := "MariaDB is not reachable at 127.0.0.1:3306 as root without a password (" + err.Error() + "): the SQL load tests need it"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return db
}

// scratchDatabase makes a fresh database with OpenMRS's base tables on one connection,
// dropped when the test ends.
func scratchDatabase(t *testing.T) (*sql.Conn, string) {
	t.Helper()
	db := mariaDB(t)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	name, err := createScratchDatabase(ctx, conn)
	require.NoError(t, err)
	t.Cleanup(func() {
		dropDatabase(conn, name)
		conn.Close()
	})
	return conn, name
}
