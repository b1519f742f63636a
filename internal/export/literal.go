package export

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// row holds the SQL literals of one row back to back, so that building a row allocates
// nothing and each format can pick the columns it has.
type row struct {
	buf  []byte
	ends []int
	// bad says why a value cannot be stored (the converter refuses the row).
	bad string
}

func (r *row) reset() {
	r.buf = r.buf[:0]
	r.ends = r.ends[:0]
	r.bad = ""
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

// maxTextBytes is what a MySQL TEXT column holds.
const maxTextBytes = 65535

// unstorableText says why an OpenMRS utf8 (utf8mb3) column cannot hold s, or "".
func unstorableText(s string) string {
	if len(s) > maxTextBytes {
		return fmt.Sprintf("text of %d bytes is longer than a MySQL TEXT column's %d bytes (%.40q…)", len(s), maxTextBytes, s)
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n <= 1 {
				return fmt.Sprintf("%.40q is not valid UTF-8", s)
			}
		}
		if r > 0xFFFF {
			return fmt.Sprintf("%.40q holds %U, which OpenMRS's utf8 (utf8mb3) columns cannot store", s, r)
		}
	}
	return ""
}

// strOrNull writes NULL for an empty string: OpenMRS treats missing values as NULL.
func (r *row) strOrNull(s string) {
	if s == "" {
		r.null()
		return
	}
	r.str(s)
}

func (r *row) float(v float64, ok bool) {
	if ok && (math.IsNaN(v) || math.IsInf(v, 0)) && r.bad == "" {
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
func appendQuoted(b []byte, s string) []byte {
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

// uuidNamespace seeds derived uuids so that they cannot collide with uuids made from
// the same text by other tools.
var uuidNamespace = []byte("shepherd-release/openmrs-export")

// derivedUUID makes a stable, version-5-style uuid from parts. Rows whose export data
// has no usable uuid get one this way, so that re-running gives the same value.
func derivedUUID(parts ...string) string {
	h := sha1.New()
	h.Write(uuidNamespace)
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	sum := h.Sum(nil)[:16]
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], sum[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], sum[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], sum[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], sum[8:10])
	out[23] = '-'
	hex.Encode(out[24:], sum[10:16])
	return string(out[:])
}

// looksLikeUUID accepts the 36-character hyphenated form.
func looksLikeUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// pickUUID returns the export's external id when it fits OpenMRS's char(38), else the
// OCL uuid when it is a real uuid, else a uuid derived from seed.
func pickUUID(externalID, oclUUID string, seed ...string) string {
	externalID = strings.TrimSpace(externalID)
	if externalID != "" && len(externalID) <= 38 {
		return externalID
	}
	if looksLikeUUID(oclUUID) {
		return oclUUID
	}
	return derivedUUID(seed...)
}
