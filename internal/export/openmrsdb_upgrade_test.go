package export

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/export/openmrsdb"
	"github.com/shepherd-release/shepherd/internal/export/openmrsdb/openmrsdbtest"
	"github.com/shepherd-release/shepherd/internal/ocl"
)

// siteReleaseB is release A a fortnight later: concept 1000 gains a synonym, 1002 loses its
// synonym "Tricky", 1004 gains a mapping to a new SNOMED CT term, and the export lists
// concepts, names and mappings in another order (OCL gives no order).
func siteReleaseB() ([]ocl.Concept, []ocl.Mapping) {
	concepts := fixtureConcepts()
	for i := range concepts {
		switch concepts[i].ID {
		case "1000":
			concepts[i].Names = append(concepts[i].Names, ocl.Name{Name: "Affirmative reply", Locale: "en", NameType: "None"})
			slices.Reverse(concepts[i].Names)
		case "1002":
			concepts[i].Names = concepts[i].Names[:1]
		}
	}
	slices.Reverse(concepts)
	mappings := append(fixtureMappings(), ocl.Mapping{ID: "m18", ExternalID: "ext-m18", MapType: "NARROWER-THAN",
		FromConceptCode: "1004", FromSourceName: "CIEL", ToConceptCode: "255555", ToSourceName: "SNOMED CT"})
	slices.Reverse(mappings)
	return concepts, mappings
}

// siteRows are a site's own rows that point into the concept tables by id, in real
// tables of OpenMRS: observations that record the coded answer's name, a drug with a
// reference-term mapping, a mapping between two terms and the classes an order type
// takes. Each is chosen by what it means in release A. Tables 1.11 lacks
// (drug_reference_map and order_type_class_map came with OpenMRS 2.0) are left out there.
var siteRows = []struct {
	table    string
	stmt     string
	resolves int // lines it adds to siteView
}{
	{"obs", "INSERT INTO obs (person_id, concept_id, value_coded, value_coded_name_id, obs_datetime, creator, date_created, uuid) " +
		"SELECT 1, 1002, 1000, concept_name_id, '2026-11-30 10:00:00', 1, '2026-11-30 10:00:00', 'site-obs-affirmative' FROM concept_name WHERE name = 'Affirmative'", 1},
	{"obs", "INSERT INTO obs (person_id, concept_id, value_coded, value_coded_name_id, obs_datetime, creator, date_created, uuid) " +
		"SELECT 1, 1002, 1000, concept_name_id, '2026-11-30 10:00:00', 1, '2026-11-30 10:00:00', 'site-obs-oui' FROM concept_name WHERE name = 'Oui'", 1},
	// A name release B drops: the observation must still name it (voided, not gone).
	{"obs", "INSERT INTO obs (person_id, concept_id, value_coded, value_coded_name_id, obs_datetime, creator, date_created, uuid) " +
		"SELECT 1, 1000, 1002, concept_name_id, '2026-11-30 10:00:00', 1, '2026-11-30 10:00:00', 'site-obs-tricky' FROM concept_name WHERE name = 'Tricky'", 1},
	{"drug", "INSERT INTO drug (drug_id, concept_id, name, combination, creator, date_created, retired, uuid) VALUES (1, 1003, 'Paracetamol', 0, 1, '2026-11-30 10:00:00', 0, 'site-drug')", 0},
	{"drug_reference_map", "INSERT INTO drug_reference_map (drug_id, term_id, concept_map_type, creator, date_created, uuid) " +
		"SELECT 1, t.concept_reference_term_id, mt.concept_map_type_id, 1, '2026-11-30 10:00:00', 'site-drug-map' FROM concept_reference_term t " +
		"JOIN concept_reference_source s ON s.concept_source_id = t.concept_source_id JOIN concept_reference_map crm ON crm.concept_id = 1007 " +
		"JOIN concept_map_type mt ON mt.concept_map_type_id = crm.concept_map_type_id WHERE s.name = 'ICD-10-WHO' AND t.code = 'R50.9'", 1}, // the map type of "Associated with"
	{"concept_reference_term_map", "INSERT INTO concept_reference_term_map (term_a_id, term_b_id, a_is_to_b_id, creator, date_created, uuid) " +
		"SELECT a.concept_reference_term_id, b.concept_reference_term_id, mt.concept_map_type_id, 1, '2026-11-30 10:00:00', 'site-term-map' " +
		"FROM concept_reference_term a JOIN concept_reference_term b JOIN concept_map_type mt " +
		"WHERE a.code = '373066001' AND b.code = '1003' AND mt.name = 'BROADER-THAN'", 1},
	{"order_type_class_map", "INSERT INTO order_type_class_map (order_type_id, concept_class_id) SELECT 2, concept_class_id FROM concept_class WHERE name IN ('Pharmacologic Drug Class', 'Drug')", 2},
	{"order_type_class_map", "INSERT INTO order_type_class_map (order_type_id, concept_class_id) SELECT 3, concept_class_id FROM concept_class WHERE name IN ('Program', 'Test')", 2},
}

// siteView is what each site row means: the name, term, source, map type and class it
// resolves to through the ids it holds.
func siteView(t *testing.T, conn *sql.Conn, database string) []string {
	t.Helper()
	queries := []string{
		"SELECT CONCAT('obs ', o.uuid, ' → name ', n.concept_id, ' ', n.locale, ' ', n.name) FROM obs o JOIN concept_name n ON n.concept_name_id = o.value_coded_name_id",
		"SELECT CONCAT('drug_reference_map → ', s.name, ' ', t.code, ' ', mt.name) FROM drug_reference_map m " +
			"JOIN concept_reference_term t ON t.concept_reference_term_id = m.term_id JOIN concept_reference_source s ON s.concept_source_id = t.concept_source_id " +
			"JOIN concept_map_type mt ON mt.concept_map_type_id = m.concept_map_type",
		"SELECT CONCAT('concept_reference_term_map → ', sa.name, ' ', a.code, ' ', mt.name, ' ', sb.name, ' ', b.code) FROM concept_reference_term_map m " +
			"JOIN concept_reference_term a ON a.concept_reference_term_id = m.term_a_id JOIN concept_reference_source sa ON sa.concept_source_id = a.concept_source_id " +
			"JOIN concept_reference_term b ON b.concept_reference_term_id = m.term_b_id JOIN concept_reference_source sb ON sb.concept_source_id = b.concept_source_id " +
			"JOIN concept_map_type mt ON mt.concept_map_type_id = m.a_is_to_b_id",
		"SELECT CONCAT('order_type_class_map ', m.order_type_id, ' → ', c.name) FROM order_type_class_map m JOIN concept_class c ON c.concept_class_id = m.concept_class_id",
	}
	var view []string
	for _, q := range queries {
		var table string
		_, _ = fmt.Sscanf(q[strings.Index(q, " FROM ")+6:], "%s", &table)
		if !tableExists(t, conn, database, table) {
			continue
		}
		rows, err := conn.QueryContext(context.Background(), q)
		require.NoError(t, err, q)
		for rows.Next() {
			var s string
			require.NoError(t, rows.Scan(&s))
			view = append(view, s)
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	slices.Sort(view)
	return view
}

func tableExists(t *testing.T, conn *sql.Conn, database, table string) bool {
	t.Helper()
	var n int
	require.NoError(t, conn.QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", database, table).Scan(&n))
	return n > 0
}

// A site loads release A, records its own rows against it, then loads release B over
// it: every row of the site must still mean the same thing, nothing may dangle, and
// OpenMRS's own rows stay as they were. In 1.11, 2.2 and the newest 2.x; in the newest
// both releases go in through Liquibase.
func TestSiteUpgradeKeepsWhatSiteRowsPointAt(t *testing.T) {
	mariaDB(t)
	ctx := context.Background()
	mapA := filepath.Join(t.TempDir(), "a.idmap.gz")
	artsA, err := Build(ctx, fixtureExport(t), t.TempDir(), Formats, SQLOptions{IDMapOut: mapA})
	require.NoError(t, err)
	concepts, mappings := siteReleaseB()
	versionB := fixtureVersion
	versionB.ID, versionB.CreatedOn = "v2026-12-06", "2026-12-06T07:30:00Z"
	artsB, err := Build(ctx, writeExport(t, versionB, concepts, mappings), t.TempDir(), Formats, SQLOptions{PreviousIDMap: mapA})
	require.NoError(t, err)

	for _, tc := range []struct {
		schema    string
		format    int // index in Formats
		liquibase bool
	}{{"1.11", 0, false}, {"2.2", 1, false}, {openmrsdb.Newest, 1, true}} {
		t.Run(tc.schema, func(t *testing.T) {
			a, b := artsA[tc.format], artsB[tc.format]
			conn, name := targetDatabase(t, tc.schema)
			load := func(art Artifact) {
				t.Helper()
				if !tc.liquibase {
					require.NoError(t, loadZip(ctx, conn, art.Path))
					return
				}
				cfg, err := mysql.ParseDSN(serverDSN)
				require.NoError(t, err)
				require.NoError(t, applyWithLiquibase(ctx, openmrsdbtest.Liquibase(t), cfg, name, art.Path))
			}
			standard, err := openmrsdb.ReadStandard(ctx, conn, name)
			require.NoError(t, err)
			load(a)
			resolves := 0
			for _, row := range siteRows {
				if !tableExists(t, conn, name, row.table) {
					require.Equal(t, "1.11", tc.schema, "OpenMRS %s has %s", tc.schema, row.table)
					continue
				}
				res, err := conn.ExecContext(ctx, row.stmt)
				require.NoError(t, err, row.stmt)
				affected, err := res.RowsAffected()
				require.NoError(t, err)
				require.NotZero(t, affected, "release A has what the site row points at: %s", row.stmt)
				resolves += row.resolves
			}
			before := siteView(t, conn, name)
			require.Len(t, before, resolves, "every site row resolves in release A")
			require.GreaterOrEqual(t, resolves, 3, "names, terms and map types are pointed at")

			load(b)
			problems, err := checkForeignKeys(ctx, conn, name)
			require.NoError(t, err)
			assert.Empty(t, problems, "no site row points at a row release B does not have")
			assert.Equal(t, before, siteView(t, conn, name), "every site row means what it meant under release A")
			after, err := openmrsdb.ReadStandard(ctx, conn, name)
			require.NoError(t, err)
			assert.Empty(t, standard.Lost(after), "OpenMRS's datatypes, classes and map types are untouched")

			var voided int
			var reason string
			require.NoError(t, conn.QueryRowContext(ctx, "SELECT voided, void_reason FROM concept_name WHERE name = 'Tricky'").Scan(&voided, &reason))
			assert.Equal(t, 1, voided, "the name release B dropped is kept voided")
			assert.Contains(t, reason, "not in")

			var added string
			require.NoError(t, conn.QueryRowContext(ctx, "SELECT name FROM concept_name WHERE concept_id = 1000 AND name = 'Affirmative reply'").Scan(&added))
			assert.Equal(t, "Affirmative reply", added, fmt.Sprintf("release B (%s) is what the database holds", b.Name))
		})
	}
}
