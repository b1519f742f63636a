package openmrsdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Row is one of OpenMRS's standard rows, as a site's other tables see it.
type Row struct {
	ID   int64
	Name string
	UUID string
}

// StandardTables hold the rows every OpenMRS database starts with and that a site's own
// tables point at by id (drug_reference_map.concept_map_type_id,
// order_type_class_map.concept_class_id, …): the 12 datatypes, the concept classes and
// the 70 concept map types of liquibase-core-data-2.N.x.xml and the 1.11.0 clean dump.
var StandardTables = []struct{ Table, IDColumn string }{
	{"concept_datatype", "concept_datatype_id"},
	{"concept_class", "concept_class_id"},
	{"concept_map_type", "concept_map_type_id"},
}

// Standard is every row of StandardTables, by table, in id order.
type Standard map[string][]Row

// ReadStandard reads the rows of StandardTables in database.
func ReadStandard(ctx context.Context, conn *sql.Conn, database string) (Standard, error) {
	out := Standard{}
	for _, t := range StandardTables {
		rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT `%s`, `name`, `uuid` FROM `%s`.`%s` ORDER BY 1", t.IDColumn, database, t.Table))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", t.Table, err)
		}
		for rows.Next() {
			var r Row
			if err := rows.Scan(&r.ID, &r.Name, &r.UUID); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading %s: %w", t.Table, err)
			}
			out[t.Table] = append(out[t.Table], r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", t.Table, err)
		}
	}
	return out, nil
}

// Lost lists, per table, the rows of s that after does not hold with the same id, name
// and uuid: each changed row, and the gone ones as one line (a dictionary that drops
// OpenMRS's map types drops dozens).
func (s Standard) Lost(after Standard) []string {
	var problems []string
	for _, t := range StandardTables {
		now := map[int64]Row{}
		for _, r := range after[t.Table] {
			now[r.ID] = r
		}
		var gone []string
		for _, r := range s[t.Table] {
			got, ok := now[r.ID]
			switch {
			case !ok:
				gone = append(gone, fmt.Sprintf("%d %q", r.ID, r.Name))
			case got != r:
				problems = append(problems, fmt.Sprintf("OpenMRS's %s %d %q (%s) became %q (%s)", t.Table, r.ID, r.Name, r.UUID, got.Name, got.UUID))
			}
		}
		if len(gone) > 0 {
			problems = append(problems, fmt.Sprintf("%d of OpenMRS's %d %s rows are gone: %s", len(gone), len(s[t.Table]), t.Table, abbreviate(gone, 5)))
		}
	}
	return problems
}

// abbreviate joins the first n items and says how many more there are.
func abbreviate(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
