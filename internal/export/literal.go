package export

import (
	"fmt"
	"strconv"
	"time"

	"github.com/shepherd-release/shepherd/internal/openmrslimits"
)

// row holds the SQL literals of one row back to back, so that building a row allocates
// nothing and each format can pick the columns it has.
type row struct {
	buf  []byte
	ends []int
	// lates are the fields known only once the whole export has been read (ids, is_set,
	// a term's name); they are empty in buf and filled when the SQL is written.
	lates []late
	// bad says why a value cannot be stored (the converter refuses the row).
	bad string
}

// lateKind says what fills a late field.
type lateKind uint8

const (
	lateSelf     lateKind = iota // the row's own id
	lateRef                      // the id of row arg (its position in the collect order) of table
	lateIsSet                    // is_set: arg is 1 when the export says so, else the concept's set members decide
	lateTermName                 // the name of reference term arg, or NULL
)

type late struct {
	field int32
	arg   int32
	kind  lateKind
	table tableID
}

func (r *row) reset() {
	r.buf = r.buf[:0]
	r.ends = r.ends[:0]
	r.lates = r.lates[:0]
	r.bad = ""
}

// late leaves a field to be filled when the SQL is written.
func (r *row) late(kind lateKind, table tableID, arg int32) {
	r.lates = append(r.lates, late{field: int32(len(r.ends)), arg: arg, kind: kind, table: table})
	r.end()
}

func (r *row) end() { r.ends = append(r.ends, len(r.buf)) }

func (r *row) field(i int) []byte {
	start := 0
	if i > 0 {
		start = r.ends[i-1]
	}
	return r.buf[start:r.ends[i]]
}

func (r *row) null() {
	r.buf = append(r.buf, "NULL"...)
	r.end()
}

func (r *row) int(v int64) {
	r.buf = strconv.AppendInt(r.buf, v, 10)
	r.end()
}

func (r *row) bool(v bool) {
	if v {
		r.buf = append(r.buf, '1')
	} else {
		r.buf = append(r.buf, '0')
	}
	r.end()
}

func (r *row) str(s string) {
	if r.bad == "" {
		r.bad = unstorableText(s)
	}
	r.buf = appendQuoted(r.buf, s)
	r.end()
}

// unstorableText says why an OpenMRS utf8 (utf8mb3) column cannot hold s, or "".
func unstorableText(s string) string { return openmrslimits.UnstorableText(s) }

// strOrNull writes NULL for an empty string: OpenMRS treats missing values as NULL.
func (r *row) strOrNull(s string) {
	if s == "" {
		r.null()
		return
	}
	r.str(s)
}

func (r *row) float(v float64, ok bool) {
	if ok && !openmrslimits.StorableNumber(v) && r.bad == "" {
		r.bad = fmt.Sprintf("%v cannot be stored in a MySQL double", v)
	}
	if !ok {
		r.null()
		return
	}
	r.buf = strconv.AppendFloat(r.buf, v, 'g', -1, 64)
	r.end()
}

// raw writes a literal that is already SQL (a pre-rendered date).
func (r *row) raw(lit string) {
	r.buf = append(r.buf, lit...)
	r.end()
}

// appendQuoted writes s as a MySQL string literal. Every byte that could end the
// literal, end the line or confuse a client is escaped, so that each statement stays on
// one line and a loader can split the file on newlines. It assumes the server does not
// run with NO_BACKSLASH_ESCAPES, as OpenMRS's databases don't.
func appendQuoted[S string | []byte](b []byte, s S) []byte {
	b = append(b, '\'')
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case 0:
			esc = `\0`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\\':
			esc = `\\`
		case '\'':
			esc = `\'`
		case '"':
			esc = `\"`
		case 0x1a:
			esc = `\Z`
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '\'')
}

// quote returns s as a MySQL string literal.
func quote(s string) string { return string(appendQuoted(nil, s)) }

// dateLiteral renders a DATETIME literal in UTC, to the second.
func dateLiteral(t time.Time) string {
	return "'" + t.UTC().Format("2006-01-02 15:04:05") + "'"
}

// derivedUUID makes a stable uuid from parts (openmrslimits.DerivedUUID).
func derivedUUID(parts ...string) string { return openmrslimits.DerivedUUID(parts...) }

// looksLikeUUID accepts the 36-character hyphenated form.
func looksLikeUUID(s string) bool { return openmrslimits.LooksLikeUUID(s) }

// pickUUID is the uuid a row gets (openmrslimits.RowUUID): QA predicts uuid collisions
// with the same function.
func pickUUID(externalID, oclUUID string, seed ...string) string {
	return openmrslimits.RowUUID(externalID, oclUUID, seed...)
}
