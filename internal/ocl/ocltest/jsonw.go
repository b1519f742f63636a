package ocltest

import (
	"strconv"
	"unicode/utf8"
)

// jsonStyle is how one of OCL's writers spells JSON.
type jsonStyle struct {
	comma, colon string
	// asciiOnly escapes every non-ASCII character as \uXXXX.
	asciiOnly bool
}

var (
	// exportStyle is Python's json.dumps with its defaults, which writes export.json:
	// ", " and ": " between items, non-ASCII escaped (ensure_ascii). OpenConceptLab/oclapi2
	// core/common/utils.py (write_export_file: json.dumps(data, cls=encoders.JSONEncoder)).
	exportStyle = jsonStyle{comma: ", ", colon: ": ", asciiOnly: true}
	// apiStyle is Django REST framework's JSONRenderer, which answers the API: compact,
	// UTF-8 kept (UNICODE_JSON and COMPACT_JSON default to true).
	apiStyle = jsonStyle{comma: ",", colon: ":"}
)

// object writes one JSON object key by key, in the order of the calls: the order of a
// serializer's Meta.fields in oclapi2. It appends to a caller's buffer, so writing a
// CIEL-size export allocates little.
type object struct {
	b     []byte
	style *jsonStyle
	n     int
}

func openObject(b []byte, style *jsonStyle) object {
	return object{b: append(b, '{'), style: style}
}

func (o *object) close() []byte { return append(o.b, '}') }

func (o *object) key(k string) {
	if o.n > 0 {
		o.b = append(o.b, o.style.comma...)
	}
	o.n++
	o.b = appendJSONString(o.b, k, false)
	o.b = append(o.b, o.style.colon...)
}

func (o *object) str(k, v string) {
	o.key(k)
	o.b = appendJSONString(o.b, v, o.style.asciiOnly)
}

// strOrNull writes "" as null: OCL's nullable text columns come out as null.
func (o *object) strOrNull(k, v string) {
	if v == "" {
		o.null(k)
		return
	}
	o.str(k, v)
}

func (o *object) null(k string) {
	o.key(k)
	o.b = append(o.b, "null"...)
}

func (o *object) boolean(k string, v bool) {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
}

func (o *object) number(k string, v float64) {
	o.key(k)
	o.b = appendPythonFloat(o.b, v)
}

func (o *object) integer(k string, v int) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, int64(v), 10)
}

// raw writes an already encoded JSON value.
func (o *object) raw(k string, v []byte) {
	o.key(k)
	o.b = append(o.b, v...)
}

func (o *object) strings(k string, vs []string) {
	o.key(k)
	o.b = append(o.b, '[')
	for i, v := range vs {
		if i > 0 {
			o.b = append(o.b, o.style.comma...)
		}
		o.b = appendJSONString(o.b, v, o.style.asciiOnly)
	}
	o.b = append(o.b, ']')
}

// emptyList writes [], for list fields OCL writes even when they hold nothing.
func (o *object) emptyList(k string) {
	o.key(k)
	o.b = append(o.b, "[]"...)
}

// list writes an array whose items write themselves.
func (o *object) list(k string, n int, item func(b []byte, i int) []byte) {
	o.key(k)
	o.b = append(o.b, '[')
	for i := range n {
		if i > 0 {
			o.b = append(o.b, o.style.comma...)
		}
		o.b = item(o.b, i)
	}
	o.b = append(o.b, ']')
}

// appendPythonFloat writes a float as Python's json does for a FloatField: always
// with a decimal point ("1.0", not "1").
func appendPythonFloat(b []byte, v float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	for _, c := range b[start:] {
		if c == '.' || c == 'e' || c == 'n' || c == 'I' {
			return b
		}
	}
	return append(b, ".0"...)
}

const hexLower = "0123456789abcdef"

// appendJSONString writes s as a JSON string. asciiOnly escapes non-ASCII characters
// as Python's ensure_ascii does (UTF-16 surrogate pairs above U+FFFF); invalid UTF-8
// becomes U+FFFD.
func appendJSONString(b []byte, s string, asciiOnly bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = appendUnicodeEscape(b, rune(c))
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !asciiOnly && r != utf8.RuneError {
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch {
		case !asciiOnly:
			b = append(b, "\ufffd"...)
		case r > 0xffff:
			r -= 0x10000
			b = appendUnicodeEscape(b, 0xd800+(r>>10))
			b = appendUnicodeEscape(b, 0xdc00+(r&0x3ff))
		default:
			b = appendUnicodeEscape(b, r)
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendUnicodeEscape(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexLower[r>>12&0xf], hexLower[r>>8&0xf], hexLower[r>>4&0xf], hexLower[r&0xf])
}
