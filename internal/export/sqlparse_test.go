package export

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sqlRow is one inserted row: column → value ("NULL" for NULL, strings unescaped).
type sqlRow map[string]string

// parseRows reads the rows the SQL puts into the side tables, by table.
func parseRows(t *testing.T, sql string) map[string][]sqlRow {
	t.Helper()
	out := map[string][]sqlRow{}
	for _, line := range strings.Split(sql, "\n") {
		rest, ok := strings.CutPrefix(line, "INSERT INTO `"+stagePrefix)
		if !ok {
			continue
		}
		table, rest, _ := strings.Cut(rest, "` (")
		colList, rest, ok := strings.Cut(rest, ") VALUES ")
		require.True(t, ok, line)
		cols := strings.Split(strings.ReplaceAll(colList, "`", ""), ",")
		values := parseTuples(t, strings.TrimSuffix(rest, ";"))
		for _, v := range values {
			require.Len(t, v, len(cols), line)
			r := sqlRow{}
			for i, c := range cols {
				r[c] = v[i]
			}
			out[table] = append(out[table], r)
		}
	}
	return out
}

// parseTuples splits "(1,'a',NULL),(2,'b\'c',3.5)" into values.
func parseTuples(t *testing.T, s string) [][]string {
	t.Helper()
	var out [][]string
	var cur []string
	var field strings.Builder
	inString := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if inString {
			switch ch {
			case '\\':
				i++
				switch s[i] {
				case 'n':
					field.WriteByte('\n')
				case 'r':
					field.WriteByte('\r')
				case '0':
					field.WriteByte(0)
				case 'Z':
					field.WriteByte(0x1a)
				default:
					field.WriteByte(s[i])
				}
			case '\'':
				inString = false
			default:
				field.WriteByte(ch)
			}
			continue
		}
		switch ch {
		case '(':
			cur = nil
		case '\'':
			inString = true
		case ',', ')':
			cur = append(cur, field.String())
			field.Reset()
			if ch == ')' {
				out = append(out, cur)
				if i+1 < len(s) && s[i+1] == ',' {
					i++
				}
			}
		default:
			field.WriteByte(ch)
		}
	}
	require.False(t, inString, "unterminated string")
	return out
}

// byID indexes a table's rows by their id column.
func byID(rows []sqlRow, idColumn string) map[string]sqlRow {
	out := map[string]sqlRow{}
	for _, r := range rows {
		out[r[idColumn]] = r
	}
	return out
}
