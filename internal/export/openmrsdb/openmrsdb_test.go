package openmrsdb_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/export/openmrsdb"
	"github.com/shepherd-release/shepherd/internal/export/openmrsdb/openmrsdbtest"
)

const serverDSN = "root@tcp(127.0.0.1:3306)/"

// server returns a connection to the local MariaDB. Without a server the test is
// skipped, except under CI=true, where it fails.
func server(t *testing.T) (*mysql.Config, *sql.Conn) {
	t.Helper()
	cfg, err := mysql.ParseDSN(serverDSN)
	require.NoError(t, err)
	connector, err := mysql.NewConnector(cfg)
	require.NoError(t, err)
	db := sql.OpenDB(connector)
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		msg := "MariaDB is not reachable at 127.0.0.1:3306 as root without a password (" + err.Error() + "): the OpenMRS database tests need it"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return cfg, conn
}

// restored makes a fresh database holding OpenMRS of the version, dropped at the end.
func restored(t *testing.T, conn *sql.Conn, version string) string {
	t.Helper()
	ctx := context.Background()
	name, err := openmrsdb.CreateDatabase(ctx, conn, "shepherd_openmrsdb_")
	require.NoError(t, err)
	t.Cleanup(func() { openmrsdb.DropDatabase(conn, name) })
	_, err = conn.ExecContext(ctx, "USE `"+name+"`")
	require.NoError(t, err)
	require.NoError(t, openmrsdb.Restore(ctx, conn, version))
	return name
}

// coreDataRows reads the rows of a table from OpenMRS's core-data changelog: each
// <insert tableName=…> with its <column name=… value…=…/> (Liquibase's XML format).
func coreDataRows(t *testing.T, version, table, idColumn string) []openmrsdb.Row {
	t.Helper()
	f, err := os.Open(filepath.Join("source", "liquibase-core-data-"+version+".x.xml.gz"))
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	var changelog struct {
		Inserts []struct {
			Table   string `xml:"tableName,attr"`
			Columns []struct {
				Name    string `xml:"name,attr"`
				Value   string `xml:"value,attr"`
				Numeric string `xml:"valueNumeric,attr"`
			} `xml:"column"`
		} `xml:"changeSet>insert"`
	}
	data, err := io.ReadAll(zr)
	require.NoError(t, err)
	// Some of OpenMRS's changelogs declare XML 1.1, which encoding/xml does not take;
	// they use nothing of 1.1.
	data = bytes.Replace(data, []byte(`<?xml version="1.1"`), []byte(`<?xml version="1.0"`), 1)
	require.NoError(t, xml.Unmarshal(data, &changelog))
	var rows []openmrsdb.Row
	for _, ins := range changelog.Inserts {
		if ins.Table != table {
			continue
		}
		var r openmrsdb.Row
		for _, c := range ins.Columns {
			switch c.Name {
			case idColumn:
				r.ID, err = strconv.ParseInt(c.Numeric, 10, 64)
				require.NoError(t, err)
			case "name":
				r.Name = c.Value
			case "uuid":
				r.UUID = c.Value
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// Each kept database restores, and holds OpenMRS's standard rows exactly as OpenMRS's
// own core-data changelog gives them (id, name, uuid).
func TestRestoreHoldsOpenMRSStandardRows(t *testing.T) {
	_, conn := server(t)
	wantCounts := map[string]map[string]int{
		"1.11": {"concept_datatype": 12, "concept_class": 15, "concept_map_type": 70},
		"2.2":  {"concept_datatype": 12, "concept_class": 16, "concept_map_type": 70},
		"2.7":  {"concept_datatype": 12, "concept_class": 16, "concept_map_type": 70},
		"2.9":  {"concept_datatype": 12, "concept_class": 16, "concept_map_type": 70},
	}
	for _, version := range openmrsdb.Versions {
		t.Run(version, func(t *testing.T) {
			name := restored(t, conn, version)
			got, err := openmrsdb.ReadStandard(context.Background(), conn, name)
			require.NoError(t, err)
			for _, tbl := range openmrsdb.StandardTables {
				assert.Len(t, got[tbl.Table], wantCounts[version][tbl.Table], tbl.Table)
				changelog := version
				if version == "1.11" {
					changelog = "2.2" // the 1.11 database has the same datatypes and map types
					if tbl.Table == "concept_class" {
						continue
					}
				}
				assert.Equal(t, coreDataRows(t, changelog, tbl.Table, tbl.IDColumn), got[tbl.Table], tbl.Table)
			}
			var admin string
			require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT system_id FROM users WHERE user_id = 1").Scan(&admin))
			assert.Equal(t, "admin", admin)
		})
	}
}

func TestDumpOfUnknownVersion(t *testing.T) {
	_, err := openmrsdb.Dump("3.0")
	require.ErrorContains(t, err, "no OpenMRS 3.0 database is kept")
}

func TestLostStandardRows(t *testing.T) {
	before := openmrsdb.Standard{"concept_map_type": {{1, "SAME-AS", "u1"}, {2, "NARROWER-THAN", "u2"}, {3, "BROADER-THAN", "u3"}},
		"concept_class": {{1, "Test", "c1"}}}
	after := openmrsdb.Standard{"concept_map_type": {{1, "SAME-AS", "u1"}, {2, "narrower-than", "u2"}, {4, "BROADER-THAN", "u3"}},
		"concept_class": {{1, "Test", "c1"}, {2, "Extra", "c2"}}}
	assert.Equal(t, []string{
		`OpenMRS's concept_map_type 2 "NARROWER-THAN" (u2) became "narrower-than" (u2)`,
		`1 of OpenMRS's 3 concept_map_type rows are gone: 3 "BROADER-THAN"`,
	}, before.Lost(after))
	assert.Empty(t, before.Lost(before))
}

// Liquibase splits a file written the way the artifacts are (one statement a line,
// MySQL escapes inside strings) at the right places and runs it on one connection.
func TestLiquibaseAppliesSQL(t *testing.T) {
	cfg, conn := server(t)
	lb := openmrsdbtest.Liquibase(t)
	ctx := context.Background()
	name, err := openmrsdb.CreateDatabase(ctx, conn, "shepherd_openmrsdb_")
	require.NoError(t, err)
	t.Cleanup(func() { openmrsdb.DropDatabase(conn, name) })
	tricky := `O\'Brien \"q\" back\\slash\nline ;DROP TABLE t;-- 😀`
	sqlText := "-- a comment line\n" +
		"SET FOREIGN_KEY_CHECKS=0;\n" +
		"CREATE TABLE `child` (`id` int PRIMARY KEY, `parent` int, CONSTRAINT `fk` FOREIGN KEY (`parent`) REFERENCES `parent` (`id`)) DEFAULT CHARSET=utf8mb4;\n" +
		"CREATE TABLE `parent` (`id` int PRIMARY KEY, `s` text) DEFAULT CHARSET=utf8mb4;\n" +
		"INSERT INTO `child` VALUES (1,7);\n" + // before its parent: checks are off for the whole file
		"INSERT INTO `parent` VALUES (7,'" + tricky + "'),(8,'two');\n" +
		"SET FOREIGN_KEY_CHECKS=1;\n"
	require.NoError(t, lb.ApplySQL(ctx, cfg, name, strings.NewReader(sqlText)))
	var s string
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT s FROM `"+name+"`.`parent` WHERE id = 7").Scan(&s))
	assert.Equal(t, "O'Brien \"q\" back\\slash\nline ;DROP TABLE t;-- 😀", s)
	var n int
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM `"+name+"`.`parent`").Scan(&n))
	assert.Equal(t, 2, n)

	err = lb.ApplySQL(ctx, cfg, name, strings.NewReader("INSERT INTO `nowhere` VALUES (1);\n"))
	var lbErr *openmrsdb.LiquibaseError
	require.ErrorAs(t, err, &lbErr, "another file is another change set, and this one fails")
	assert.Contains(t, lbErr.Output, "nowhere")

	require.NoError(t, lb.ApplySQL(ctx, cfg, name, strings.NewReader(sqlText)), "the same file again is a change set already run")
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM `"+name+"`.`parent`").Scan(&n))
	assert.Equal(t, 2, n, "and is not run twice")
}
