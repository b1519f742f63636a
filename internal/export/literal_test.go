package export

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unquoteMySQL reads back a literal written by appendQuoted, as MySQL does.
func unquoteMySQL(t testing.TB, lit string) string {
	require.True(t, len(lit) >= 2 && lit[0] == '\'' && lit[len(lit)-1] == '\'', "literal %q", lit)
	body := lit[1 : len(lit)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		require.NotEqual(t, byte('\''), c, "unescaped quote in %q", lit)
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		require.Less(t, i, len(body), "dangling backslash in %q", lit)
		switch body[i] {
		case '0':
			b.WriteByte(0)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'Z':
			b.WriteByte(0x1a)
		default:
			b.WriteByte(body[i])
		}
	}
	return b.String()
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `'plain'`},
		{"", `''`},
		{"O'Brien", `'O\'Brien'`},
		{`a\b`, `'a\\b'`},
		{"line\nbreak\r", `'line\nbreak\r'`},
		{"nul\x00sub\x1a", `'nul\0sub\Z'`},
		{`"q"`, `'\"q\"'`},
		{"😀 é", `'😀 é'`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, quote(tt.in))
		assert.Equal(t, tt.in, unquoteMySQL(t, quote(tt.in)))
	}
}

func FuzzQuote(f *testing.F) {
	f.Add(trickyName)
	f.Add("\\'")
	f.Fuzz(func(t *testing.T, s string) {
		lit := quote(s)
		require.NotContains(t, lit, "\n", "a literal must stay on its line")
		require.Equal(t, s, unquoteMySQL(t, lit))
	})
}

func TestDerivedUUID(t *testing.T) {
	a := derivedUUID("concept", "CIEL", "1")
	assert.True(t, looksLikeUUID(a), a)
	assert.Equal(t, a, derivedUUID("concept", "CIEL", "1"))
	assert.NotEqual(t, a, derivedUUID("concept", "CIEL1"), "parts are separated")
	assert.Equal(t, byte('5'), a[14], "version 5 style")
}

func TestPickUUID(t *testing.T) {
	tests := []struct {
		name, external, ocl, want string
	}{
		{"external id wins", " 1065AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ", "6f1e5b2a-0c1d-4e2f-9a3b-4c5d6e7f8091", "1065AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"OCL uuid next", "", "6f1e5b2a-0c1d-4e2f-9a3b-4c5d6e7f8091", "6f1e5b2a-0c1d-4e2f-9a3b-4c5d6e7f8091"},
		{"OCL numeric id is not a uuid", "", "65412", derivedUUID("seed")},
		{"too long for char(38)", strings.Repeat("x", 39), "", derivedUUID("seed")},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, pickUUID(tt.external, tt.ocl, "seed"), tt.name)
	}
}
