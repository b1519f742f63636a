package export

import (
	"archive/zip"
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/export/openmrsdb"
	"github.com/shepherd-release/shepherd/internal/export/openmrsdb/openmrsdbtest"
)

func buildFixture(t *testing.T, formats ...Format) []Artifact {
	t.Helper()
	artifacts, err := Build(context.Background(), fixtureExport(t), t.TempDir(), formats, SQLOptions{})
	require.NoError(t, err)
	require.Len(t, artifacts, len(formats))
	return artifacts
}

func TestLoadTestBothFormats(t *testing.T) {
	mariaDB(t)
	for _, a := range buildFixture(t, Formats...) {
		t.Run(a.Format, func(t *testing.T) {
			res, err := LoadTest(context.Background(), LoadOptions{DSN: serverDSN, SQLZip: a.Path, Expected: *a.Counts})
			require.NoError(t, err)
			assert.Equal(t, fixtureRows, res.Rows)
			var schemas []string
			for _, l := range res.Loads {
				schemas = append(schemas, l.Schema)
				assertDatabaseGone(t, l.Database)
			}
			assert.Equal(t, TargetSchemas(Format(a.Format)), schemas, "the format, read from the file, picks the OpenMRS versions")
		})
	}
}

func assertDatabaseGone(t *testing.T, name string) {
	t.Helper()
	var n int
	require.NoError(t, mariaDB(t).QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n))
	assert.Zero(t, n, "database %s is dropped", name)
}

// targetDatabase makes a new OpenMRS database of the version on one connection, dropped
// when the test ends.
func targetDatabase(t *testing.T, schema string) (*sql.Conn, string) {
	t.Helper()
	db := mariaDB(t)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	name, err := createTargetDatabase(ctx, conn, schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		dropDatabase(conn, name)
		conn.Close()
	})
	return conn, name
}

// loadArtifact loads a zipped SQL artifact into a new database of the oldest OpenMRS
// version its format targets.
func loadArtifact(t *testing.T, a Artifact) (*sql.Conn, string) {
	t.Helper()
	conn, name := targetDatabase(t, TargetSchemas(Format(a.Format))[0])
	require.NoError(t, loadZip(context.Background(), conn, a.Path))
	return conn, name
}

func TestLoadedContent(t *testing.T) {
	mariaDB(t)
	for _, a := range buildFixture(t, Formats...) {
		t.Run(a.Format, func(t *testing.T) {
			conn, _ := loadArtifact(t, a)
			ctx := context.Background()
			queryString := func(q string, args ...any) string {
				var s sql.NullString
				require.NoError(t, conn.QueryRowContext(ctx, q, args...).Scan(&s), q)
				return s.String
			}
			queryInt := func(q string, args ...any) int64 {
				var n int64
				require.NoError(t, conn.QueryRowContext(ctx, q, args...).Scan(&n), q)
				return n
			}

			assert.Equal(t, trickyName, queryString("SELECT name FROM concept_name WHERE concept_id = 1002 AND concept_name_type = 'FULLY_SPECIFIED'"),
				"quotes, backslashes, newlines, NUL, non-ASCII and SQL load as data")
			assert.Equal(t, trickyName, queryString("SELECT description FROM concept_description WHERE concept_id = 1002"))
			assert.EqualValues(t, 10, queryInt("SELECT COUNT(*) FROM concept WHERE NOT (retired = 1 AND retire_reason LIKE ?)", keptPattern),
				"the injected DROP TABLE did not run")
			// OpenMRS's own two concepts were in the database before: kept, retired, not deleted.
			assert.EqualValues(t, 2, queryInt("SELECT COUNT(*) FROM concept WHERE retired = 1 AND retire_reason LIKE ?", keptPattern))

			assert.EqualValues(t, 1, queryInt("SELECT retired FROM concept WHERE concept_id = 1007"), "retired concept kept")
			assert.Zero(t, queryInt("SELECT COUNT(*) FROM concept_reference_map m JOIN concept_reference_term t USING (concept_reference_term_id) WHERE t.code = '999'"),
				"retired mapping left out")
			assert.Zero(t, queryInt("SELECT COUNT(*) FROM concept_answer WHERE uuid = 'ans-3'"), "dangling answer left out")
			assert.Zero(t, queryInt("SELECT COUNT(*) FROM concept_set WHERE uuid = 'set-3'"), "dangling member left out")

			assert.EqualValues(t, 2, queryInt("SELECT COUNT(*) FROM concept_answer WHERE concept_id = 1002 AND answer_concept = 1000"))
			assert.Equal(t, "1006", queryString("SELECT concept_set FROM concept_set WHERE uuid = 'set-1'"), "set = from, member = to")
			assert.EqualValues(t, 1, queryInt("SELECT is_set FROM concept WHERE concept_id = 1006"))
			assert.Equal(t, "Pharmacologic Drug Class", queryString("SELECT cc.name FROM concept c JOIN concept_class cc ON cc.concept_class_id = c.class_id WHERE c.concept_id = 1006"))
			assert.Equal(t, "Structured Numeric", queryString("SELECT d.name FROM concept c JOIN concept_datatype d ON d.concept_datatype_id = c.datatype_id WHERE c.concept_id = 1009"))
			assert.Equal(t, "N/A", queryString("SELECT d.name FROM concept c JOIN concept_datatype d ON d.concept_datatype_id = c.datatype_id WHERE c.concept_id = 1008"))
			assert.Equal(t, "6f1e5b2a-0c1d-4e2f-9a3b-4c5d6e7f8091", queryString("SELECT uuid FROM concept WHERE concept_id = 1008"))
			assert.EqualValues(t, 0, queryInt("SELECT COUNT(*) FROM concept_name WHERE concept_name_type IS NOT NULL AND concept_name_type NOT IN ('FULLY_SPECIFIED','SHORT','INDEX_TERM')"))
			assert.Equal(t, "Affirmative", queryString("SELECT name FROM concept_name WHERE concept_id = 1000 AND concept_name_type IS NULL"), "a synonym's type is NULL")
			assert.Equal(t, "INDEX_TERM", queryString("SELECT concept_name_type FROM concept_name WHERE name = 'yes answer'"))
			assert.Equal(t, "ImageHandler", queryString("SELECT handler FROM concept_complex WHERE concept_id = 1005"))
			assert.Equal(t, "DEG C", queryString("SELECT units FROM concept_numeric WHERE concept_id = 1003"))
			assert.Equal(t, "SAME-AS", queryString(`SELECT mt.name FROM concept_reference_map m JOIN concept_map_type mt USING (concept_map_type_id) WHERE m.uuid = 'ext-m13'`),
				"'Same As' is the core SAME-AS")
			assert.Equal(t, "SCT", queryString("SELECT hl7_code FROM concept_reference_source WHERE name = 'SNOMED CT'"))
			assert.Equal(t, "v2026-11-22", queryString("SELECT property_value FROM global_property WHERE property = 'ciel.conceptsVersion'"))

			allowDecimal := "allow_decimal"
			if a.Format == string(FormatOpenMRS111) {
				allowDecimal = "precise"
			}
			assert.EqualValues(t, 1, queryInt("SELECT "+allowDecimal+" FROM concept_numeric WHERE concept_id = 1003"))
			assert.EqualValues(t, 0, queryInt("SELECT "+allowDecimal+" FROM concept_numeric WHERE concept_id = 1004"), "older 'precise' extra is read")
		})
	}
}

func checksums(t *testing.T, conn *sql.Conn, database string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range TableNames() {
		var name string
		var sum sql.NullInt64
		require.NoError(t, conn.QueryRowContext(context.Background(), "CHECKSUM TABLE `"+database+"`.`"+table+"`").Scan(&name, &sum))
		require.True(t, sum.Valid, table)
		out[table] = sum.Int64
	}
	return out
}

func TestLoadingTwiceGivesIdenticalTables(t *testing.T) {
	mariaDB(t)
	a := buildFixture(t, FormatOpenMRS2)[0]
	conn, name := loadArtifact(t, a)
	first := checksums(t, conn, name)
	require.NoError(t, loadZip(context.Background(), conn, a.Path), "the file replaces the tables it made")
	assert.Equal(t, first, checksums(t, conn, name))
	var version string
	require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT property_value FROM global_property WHERE property = 'ciel.conceptsVersion'").Scan(&version))
	assert.Equal(t, "v2026-11-22", version, "the global property is updated in place")
}

// The mariadb client is how implementers load the file: it must read it the same way.
func TestLoadWithMariaDBClient(t *testing.T) {
	mariaDB(t)
	client, err := exec.LookPath("mariadb")
	if err != nil {
		t.Skip("the mariadb command-line client is not installed")
	}
	a := buildFixture(t, FormatOpenMRS111)[0]
	sqlFile := unzipSQL(t, a.Path)

	conn, name := targetDatabase(t, "1.11")
	in, err := os.Open(sqlFile)
	require.NoError(t, err)
	defer in.Close()
	cmd := exec.Command(client, "--host=127.0.0.1", "--port=3306", "--user=root", "--database="+name)
	cmd.Stdin = in
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "mariadb: %s", out)

	problems, err := checkForeignKeys(context.Background(), conn, name)
	require.NoError(t, err)
	assert.Empty(t, problems)
	rows, err := countRows(context.Background(), conn)
	require.NoError(t, err)
	assert.Equal(t, fixtureRows, rows)

	viaDriver, driverDB := loadArtifact(t, a)
	assert.Equal(t, checksums(t, viaDriver, driverDB), checksums(t, conn, name), "the client and the loader read the same data")
}

func unzipSQL(t *testing.T, zipPath string) string {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	require.NoError(t, err)
	defer zr.Close()
	require.Len(t, zr.File, 1)
	r, err := zr.File[0].Open()
	require.NoError(t, err)
	defer r.Close()
	out := filepath.Join(t.TempDir(), zr.File[0].Name)
	f, err := os.Create(out)
	require.NoError(t, err)
	defer f.Close()
	_, err = io.Copy(f, r)
	require.NoError(t, err)
	return out
}

// rezip writes an artifact whose SQL is changed by edit, to prove the checks can fail.
func rezip(t *testing.T, a Artifact, edit func(string) string) string {
	t.Helper()
	data, err := os.ReadFile(unzipSQL(t, a.Path))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "edited.sql.zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	zw := zip.NewWriter(f)
	w, err := zw.Create("edited.sql")
	require.NoError(t, err)
	_, err = io.WriteString(w, edit(string(data)))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return path
}

func TestLoadTestFindsProblems(t *testing.T) {
	mariaDB(t)
	a := buildFixture(t, FormatOpenMRS2)[0]
	// OpenMRS's drug table is not in the file: the check covers the whole database.
	siteDrug := "INSERT INTO `drug` (`concept_id`,`combination`,`creator`,`date_created`,`retired`,`uuid`) VALUES (434343,0,1,'2026-11-22 00:00:00',0,'site-drug');\n"
	danglingAnswer := "INSERT INTO `concept_answer` (`concept_answer_id`,`concept_id`,`answer_concept`,`creator`,`date_created`,`uuid`) VALUES (99,1002,424242,1,'2026-11-22 00:00:00','dangling');\n"
	tests := []struct {
		name     string
		edit     func(string) string
		expected func(Counts) Counts
		want     string
	}{
		{"broken foreign key", func(s string) string {
			return strings.Replace(s, "COMMIT;", danglingAnswer+"COMMIT;", 1)
		}, nil, "1 row of concept_answer.answer_concept points at no concept.concept_id (e.g. 424242)"},
		{"count mismatch", nil, func(c Counts) Counts {
			c.Rows = map[string]int64{"concept": 11}
			return c
		}, "concept has 10 rows, the export gives 11"},
		{"a site table left pointing at nothing", func(s string) string {
			return strings.Replace(s, "COMMIT;", siteDrug+"COMMIT;", 1)
		}, nil, "1 row of drug.concept_id points at no concept.concept_id (e.g. 434343)"},
		{"an OpenMRS map type renamed", func(s string) string {
			return strings.Replace(s, "COMMIT;", "UPDATE `concept_map_type` SET `name` = 'SAME AS' WHERE `concept_map_type_id` = 1;\nCOMMIT;", 1)
		}, nil, `OpenMRS's concept_map_type 1 "SAME-AS" (35543629-7d8c-11e1-909d-c80aa9edcf4e) became "SAME AS"`},
		{"statement split over lines", func(s string) string {
			return strings.Replace(s, "SET NAMES utf8;", "SET NAMES\nutf8;", 1)
		}, nil, "does not end with ';'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := a.Path
			if tt.edit != nil {
				path = rezip(t, a, tt.edit)
			}
			expected := *a.Counts
			if tt.expected != nil {
				expected = tt.expected(expected)
			}
			res, err := LoadTest(context.Background(), LoadOptions{DSN: serverDSN, SQLZip: path, Expected: expected, Schemas: []string{"2.2"}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assertDatabaseGone(t, res.Database)
		})
	}
}

func TestLoadTestIntegrityErrorType(t *testing.T) {
	mariaDB(t)
	a := buildFixture(t, FormatOpenMRS111)[0]
	_, err := LoadTest(context.Background(), LoadOptions{DSN: serverDSN, SQLZip: a.Path, Expected: Counts{Rows: map[string]int64{"concept_set": 3}}})
	var integrity *IntegrityError
	require.True(t, errors.As(err, &integrity), "%v", err)
	assert.Equal(t, []string{"OpenMRS 1.11: concept_set has 2 rows, the export gives 3"}, integrity.Problems)
}

func TestLoadTestBadDSN(t *testing.T) {
	_, err := LoadTest(context.Background(), LoadOptions{DSN: "not a dsn", SQLZip: "x.zip"})
	require.ErrorContains(t, err, "not a valid DSN")
}

// The artifacts go into OpenMRS's own databases through Liquibase, as CIEL's check does:
// 1.11, the oldest 2.x the openmrs-2 format targets and the newest kept.
func TestLoadTestThroughLiquibase(t *testing.T) {
	mariaDB(t)
	lb := openmrsdbtest.Liquibase(t)
	arts := buildFixture(t, Formats...)
	for _, tc := range []struct {
		art    Artifact
		schema string
	}{{arts[0], "1.11"}, {arts[1], "2.2"}, {arts[1], openmrsdb.Newest}} {
		t.Run(tc.schema, func(t *testing.T) {
			t.Parallel() // each in a database of its own; most of the time is the server's
			res, err := LoadTest(context.Background(), LoadOptions{DSN: serverDSN, SQLZip: tc.art.Path, Expected: *tc.art.Counts,
				Schemas: []string{tc.schema}, Liquibase: lb.Path})
			for _, l := range res.Loads {
				t.Logf("OpenMRS %s: restore %v, Liquibase load %v, checks %v", l.Schema, l.Restore, l.Apply, l.Check)
			}
			require.NoError(t, err)
			assert.Equal(t, fixtureRows, res.Rows)
			require.Len(t, res.Loads, 1)
			assertDatabaseGone(t, res.Database)
		})
	}
}

// Liquibase splits the file into the statements the driver runs: quotes, backslashes,
// NUL and ';' inside strings come out as the same rows either way.
func TestLiquibaseReadsTheFileAsTheDriverDoes(t *testing.T) {
	mariaDB(t)
	lb := openmrsdbtest.Liquibase(t)
	a := buildFixture(t, FormatOpenMRS2)[0]
	cfg, err := mysql.ParseDSN(serverDSN)
	require.NoError(t, err)
	conn, name := targetDatabase(t, "2.2")
	require.NoError(t, applyWithLiquibase(context.Background(), lb, cfg, name, a.Path))
	viaDriver, driverDB := loadArtifact(t, a)
	assert.Equal(t, checksums(t, viaDriver, driverDB), checksums(t, conn, name))
}
