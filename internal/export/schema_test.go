package export

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every index fits MySQL 5.6's 767-byte key limit with OpenMRS's utf8 (3 bytes a
// character); a utf8mb4 varchar(255) key (1,020 bytes) would not.
func TestIndexesFitMySQL56KeyLimit(t *testing.T) {
	assert.Contains(t, tableOptions, "CHARSET=utf8 COLLATE=utf8_general_ci")
	varchar := regexp.MustCompile(`^(?:varchar|char)\((\d+)\)`)
	checked := 0
	for _, td := range tables {
		types := map[string]string{}
		for _, c := range td.columns {
			types[c.name] = c.sqlType
		}
		var indexed []string
		for _, u := range td.uniques {
			indexed = append(indexed, u.column)
		}
		for _, ix := range td.indexes {
			indexed = append(indexed, ix.column)
		}
		for _, fk := range td.fks {
			indexed = append(indexed, fk.column)
		}
		for _, col := range indexed {
			typ, ok := types[col]
			if !assert.True(t, ok, "%s.%s is indexed but not declared", td.name, col) {
				continue
			}
			if m := varchar.FindStringSubmatch(typ); m != nil {
				n, _ := strconv.Atoi(m[1])
				assert.LessOrEqual(t, 3*n, 767, "%s.%s", td.name, col)
				checked++
			}
		}
	}
	assert.GreaterOrEqual(t, checked, 10, "the uuid, name and code keys were checked")
	for _, f := range Formats {
		ddl := tables[tName].liveDDL(f)
		assert.Contains(t, ddl, "KEY `name_of_concept` (`name`)", "OpenMRS's index on concept names")
		assert.True(t, strings.HasPrefix(ddl, "CREATE TABLE IF NOT EXISTS `concept_name`"))
		assert.Contains(t, tables[tTerm].liveDDL(f), "KEY `idx_code_concept_reference_term` (`code`)")
	}
}
