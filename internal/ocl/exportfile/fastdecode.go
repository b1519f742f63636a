package exportfile

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// The fast decoder reads concepts and mappings written the way OCL writes them and
// gives up (ok false) on anything else: a value of the wrong JSON type, a key that
// differs from a field's name only in case, a repeated field, a key with escapes or
// non-ASCII bytes, extras that are not an object, nesting deeper than fastMaxDepth.
// The caller then decodes that element with encoding/json, so every result is what
// encoding/json gives; the fast decoder only has to be right about the elements it
// accepts. It accepts only valid JSON: it checks every byte it skips.
//
// The rules it follows are encoding/json's (Go's src/encoding/json/decode.go): a key
// matches a field exactly or, failing that, ignoring case (bytes.EqualFold); null
// leaves a string, bool or struct field as it was and sets a slice, map or pointer to
// nil; an empty array gives an empty, non-nil slice; strings are unescaped by
// unquoteBytes, which turns invalid UTF-8 and lone surrogates into U+FFFD; a
// json.RawMessage holds the value's bytes from its first to its last byte.

// fastMaxDepth bounds the nesting the fast decoder follows (encoding/json allows
// 10000); deeper values are left to encoding/json.
const fastMaxDepth = 512

type fastParser struct {
	b []byte
	i int
	// depth of the value being read, for fastMaxDepth.
	depth int
	// interned short strings: the same locales, types and sources repeat in every
	// element, and one copy of each saves most of the allocations.
	strs map[string]string
}

func (p *fastParser) reset(b []byte) {
	p.b, p.i, p.depth = b, 0, 0
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\n', '\r', '\t':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (p *fastParser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// consume reads the next non-space byte, which must be c.
func (p *fastParser) consume(c byte) bool {
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// atEnd reports whether only white space is left.
func (p *fastParser) atEnd() bool {
	p.ws()
	return p.i == len(p.b)
}

// strPlain marks the bytes that stand for themselves inside a JSON string.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// rawString scans a string starting at its opening quote (after white space) and
// returns the bytes between the quotes; plain is true when they need no unescaping
// (no escapes, valid UTF-8).
func (p *fastParser) rawString() (raw []byte, plain, ok bool) {
	if p.peek() != '"' {
		return nil, false, false
	}
	p.i++
	start := p.i
	ascii := true
	escaped := false
	b := p.b
	for i := start; i < len(b); i++ {
		c := b[i]
		if strPlain[c] {
			if c >= utf8.RuneSelf {
				ascii = false
			}
			continue
		}
		switch c {
		case '"':
			p.i = i + 1
			raw = b[start:i]
			plain = !escaped && (ascii || utf8.Valid(raw))
			return raw, plain, true
		case '\\':
			escaped = true
			i++
			if i >= len(b) {
				return nil, false, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					return nil, false, false
				}
				i += 4
			default:
				return nil, false, false
			}
		default: // a control character
			return nil, false, false
		}
	}
	return nil, false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// str reads a string value.
func (p *fastParser) str() (string, bool) {
	raw, plain, ok := p.rawString()
	switch {
	case !ok:
		return "", false
	case !plain:
		return string(unquote(raw)), true
	}
	return string(raw), true
}

// common reads a string value that repeats across elements (a locale, a type, a
// source): one copy of each is kept.
func (p *fastParser) common() (string, bool) {
	raw, plain, ok := p.rawString()
	switch {
	case !ok:
		return "", false
	case !plain:
		return string(unquote(raw)), true
	}
	return p.intern(raw), true
}

// intern returns raw as a string, the same string each time for up to maxInterned
// distinct short values.
func (p *fastParser) intern(raw []byte) string {
	if len(raw) > 32 {
		return string(raw)
	}
	if s, ok := p.strs[string(raw)]; ok {
		return s
	}
	s := string(raw)
	if len(p.strs) < maxInterned {
		p.strs[s] = s
	}
	return s
}

const maxInterned = 1024

// unquote turns the inside of a valid JSON string into its value, as encoding/json's
// unquoteBytes does (Go's src/encoding/json/decode.go).
func unquote(s []byte) []byte {
	b := make([]byte, 0, len(s)+2*utf8.UTFMax)
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			r++
			switch s[r] {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := hex4(s[r+1 : r+5])
				r += 5
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' && isHex(s[r+2]) && isHex(s[r+3]) && isHex(s[r+4]) && isHex(s[r+5]) {
						if dec := utf16.DecodeRune(rr, hex4(s[r+2:r+6])); dec != unicode.ReplacementChar {
							r += 6
							b = utf8.AppendRune(b, dec)
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
				continue
			default: // '"', '\\', '/'
				b = append(b, s[r])
			}
			r++
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			b = utf8.AppendRune(b, rr)
		}
	}
	return b
}

func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r*16 + rune(c)
	}
	return r
}

// key reads an object key and its colon. The key is returned only when it needs no
// unescaping and is ASCII; otherwise ok is false.
func (p *fastParser) key() ([]byte, bool) {
	raw, plain, ok := p.rawString()
	if !ok || !plain {
		return nil, false
	}
	for _, c := range raw {
		if c >= utf8.RuneSelf {
			return nil, false
		}
	}
	return raw, p.consume(':')
}

// fieldSet is the JSON names of a struct's fields, by length: an element of an export
// holds several keys its struct does not know (checksum, type, display_name, ...), and
// each is compared only with the names of its length.
type fieldSet [][]string

func newFieldSet(fields ...string) fieldSet {
	var s fieldSet
	for _, f := range fields {
		for len(s) <= len(f) {
			s = append(s, nil)
		}
		s[len(f)] = append(s[len(f)], f)
	}
	return s
}

// unknownKey is true when no field of fields matches key even ignoring case: its
// value is skipped. A key that matches a field only ignoring case is left to
// encoding/json. Keys and field names are ASCII here, so a match has their length.
func unknownKey(key []byte, fields fieldSet) bool {
	if len(key) >= len(fields) {
		return true
	}
	for _, f := range fields[len(key)] {
		if bytes.EqualFold(key, []byte(f)) {
			return false
		}
	}
	return true
}

// literal reads true, false or null.
func (p *fastParser) literal() (c byte, ok bool) {
	c = p.peek()
	var want string
	switch c {
	case 't':
		want = "true"
	case 'f':
		want = "false"
	case 'n':
		want = "null"
	default:
		return 0, false
	}
	if len(p.b)-p.i < len(want) || string(p.b[p.i:p.i+len(want)]) != want {
		return 0, false
	}
	p.i += len(want)
	return c, true
}

// null reads a null if one comes next.
func (p *fastParser) null() bool {
	if p.peek() == 'n' {
		_, ok := p.literal()
		return ok
	}
	return false
}

// boolean reads true, false or null (which leaves *v as it was).
func (p *fastParser) boolean(v *bool) bool {
	c, ok := p.literal()
	switch {
	case !ok:
		return false
	case c == 't':
		*v = true
	case c == 'f':
		*v = false
	}
	return true
}

// text reads a string or null (which leaves *v as it was).
func (p *fastParser) text(v *string) bool {
	if p.null() {
		return true
	}
	s, ok := p.str()
	*v = s
	return ok
}

// word is text for values that repeat across elements.
func (p *fastParser) word(v *string) bool {
	if p.null() {
		return true
	}
	s, ok := p.common()
	*v = s
	return ok
}

// number scans a JSON number and returns its text.
func (p *fastParser) number() ([]byte, bool) {
	p.ws()
	b, i := p.b, p.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false
		}
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false
		}
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	}
	p.i = i
	return b[start:i], true
}

// float reads a number or null into a *float64 field.
func (p *fastParser) float(v **float64) bool {
	if p.null() {
		*v = nil
		return true
	}
	num, ok := p.number()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		return false // out of range: encoding/json reports it
	}
	*v = &f
	return true
}

// skip reads any value, checking that it is valid JSON.
func (p *fastParser) skip() bool {
	switch p.peek() {
	case '"':
		_, _, ok := p.rawString()
		return ok
	case '{':
		if p.depth++; p.depth > fastMaxDepth {
			return false
		}
		p.i++
		if p.peek() == '}' {
			p.i++
			p.depth--
			return true
		}
		for {
			if _, _, ok := p.rawString(); !ok || !p.consume(':') || !p.skip() {
				return false
			}
			switch p.peek() {
			case ',':
				p.i++
			case '}':
				p.i++
				p.depth--
				return true
			default:
				return false
			}
		}
	case '[':
		if p.depth++; p.depth > fastMaxDepth {
			return false
		}
		p.i++
		if p.peek() == ']' {
			p.i++
			p.depth--
			return true
		}
		for {
			if !p.skip() {
				return false
			}
			switch p.peek() {
			case ',':
				p.i++
			case ']':
				p.i++
				p.depth--
				return true
			default:
				return false
			}
		}
	case 't', 'f', 'n':
		_, ok := p.literal()
		return ok
	default:
		_, ok := p.number()
		return ok
	}
}

// object reads an object, calling field for each key with the parser placed at its
// value; field must read the value.
func (p *fastParser) object(field func(key []byte) bool) bool {
	if !p.consume('{') {
		return false
	}
	if p.depth++; p.depth > fastMaxDepth {
		return false
	}
	if p.peek() == '}' {
		p.i++
		p.depth--
		return true
	}
	for {
		key, ok := p.key()
		if !ok || !field(key) {
			return false
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			p.depth--
			return true
		default:
			return false
		}
	}
}

// array reads an array or null into a slice, elem decoding each element into the
// slot it is given.
func fastArray[T any](p *fastParser, v *[]T, elem func(*T) bool) bool {
	if p.null() {
		*v = nil
		return true
	}
	if !p.consume('[') {
		return false
	}
	if p.depth++; p.depth > fastMaxDepth {
		return false
	}
	out := make([]T, 0, 4)
	if p.peek() == ']' {
		p.i++
		p.depth--
		*v = out
		return true
	}
	for {
		var zero T
		out = append(out, zero)
		if !elem(&out[len(out)-1]) {
			return false
		}
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			p.depth--
			*v = out
			return true
		default:
			return false
		}
	}
}

// extras reads an object of raw values, or null.
func (p *fastParser) extras(v *ocl.Extras) bool {
	if p.null() {
		*v = nil
		return true
	}
	if p.peek() != '{' {
		return false // Extras keeps other values whole: encoding/json does it
	}
	m := ocl.Extras{}
	ok := p.object(func(key []byte) bool {
		p.ws()
		start := p.i
		if !p.skip() {
			return false
		}
		m[p.intern(key)] = bytes.Clone(p.b[start:p.i])
		return true
	})
	*v = m
	return ok
}

// fields seen in one object, to leave repeated fields to encoding/json.
type seen uint32

func (s *seen) first(bit uint) bool {
	if *s&(1<<bit) != 0 {
		return false
	}
	*s |= 1 << bit
	return true
}

var conceptFields = newFieldSet("type", "id", "uuid", "external_id", "concept_class", "datatype", "retired", "retire_reason",
	"names", "descriptions", "extras", "url", "version_url", "source", "owner", "created_on", "updated_on", "mappings")

func (p *fastParser) concept(c *ocl.Concept) bool {
	var s seen
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "type":
			return s.first(0) && p.word(&c.Type)
		case "id":
			return s.first(1) && p.text(&c.ID)
		case "uuid":
			return s.first(2) && p.text(&c.UUID)
		case "external_id":
			return s.first(3) && p.text(&c.ExternalID)
		case "concept_class":
			return s.first(4) && p.word(&c.ConceptClass)
		case "datatype":
			return s.first(5) && p.word(&c.Datatype)
		case "retired":
			return s.first(6) && p.boolean(&c.Retired)
		case "retire_reason":
			return s.first(7) && p.word(&c.RetireReason)
		case "names":
			return s.first(8) && fastArray(p, &c.Names, p.name)
		case "descriptions":
			return s.first(9) && fastArray(p, &c.Descriptions, p.description)
		case "extras":
			return s.first(10) && p.extras(&c.Extras)
		case "url":
			return s.first(11) && p.text(&c.URL)
		case "version_url":
			return s.first(12) && p.text(&c.VersionURL)
		case "source":
			return s.first(13) && p.word(&c.Source)
		case "owner":
			return s.first(14) && p.word(&c.Owner)
		case "created_on":
			return s.first(15) && p.text(&c.CreatedOn)
		case "updated_on":
			return s.first(16) && p.text(&c.UpdatedOn)
		case "mappings":
			return s.first(17) && fastArray(p, &c.Mappings, p.mapping)
		}
		return unknownKey(key, conceptFields) && p.skip()
	})
}

var nameFields = newFieldSet("name", "locale", "locale_preferred", "name_type", "external_id", "uuid", "retired")

func (p *fastParser) name(n *ocl.Name) bool {
	var s seen
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "name":
			return s.first(0) && p.text(&n.Name)
		case "locale":
			return s.first(1) && p.word(&n.Locale)
		case "locale_preferred":
			return s.first(2) && p.boolean(&n.LocalePreferred)
		case "name_type":
			return s.first(3) && p.word(&n.NameType)
		case "external_id":
			return s.first(4) && p.text(&n.ExternalID)
		case "uuid":
			return s.first(5) && p.text(&n.UUID)
		case "retired":
			return s.first(6) && p.boolean(&n.Retired)
		}
		return unknownKey(key, nameFields) && p.skip()
	})
}

var descriptionFields = newFieldSet("description", "locale", "locale_preferred", "description_type", "external_id", "uuid", "retired")

func (p *fastParser) description(d *ocl.Description) bool {
	var s seen
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "description":
			return s.first(0) && p.text(&d.Description)
		case "locale":
			return s.first(1) && p.word(&d.Locale)
		case "locale_preferred":
			return s.first(2) && p.boolean(&d.LocalePreferred)
		case "description_type":
			return s.first(3) && p.word(&d.DescriptionType)
		case "external_id":
			return s.first(4) && p.text(&d.ExternalID)
		case "uuid":
			return s.first(5) && p.text(&d.UUID)
		case "retired":
			return s.first(6) && p.boolean(&d.Retired)
		}
		return unknownKey(key, descriptionFields) && p.skip()
	})
}

var mappingFields = newFieldSet("type", "id", "uuid", "external_id", "retired", "map_type", "from_concept_code",
	"from_concept_url", "from_source_name", "from_source_owner", "to_concept_code", "to_concept_url", "to_concept_name",
	"to_source_name", "to_source_owner", "to_source_url", "sort_weight", "extras")

func (p *fastParser) mapping(m *ocl.Mapping) bool {
	var s seen
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "type":
			return s.first(0) && p.word(&m.Type)
		case "id":
			return s.first(1) && p.text(&m.ID)
		case "uuid":
			return s.first(2) && p.text(&m.UUID)
		case "external_id":
			return s.first(3) && p.text(&m.ExternalID)
		case "retired":
			return s.first(4) && p.boolean(&m.Retired)
		case "map_type":
			return s.first(5) && p.word(&m.MapType)
		case "from_concept_code":
			return s.first(6) && p.text(&m.FromConceptCode)
		case "from_concept_url":
			return s.first(7) && p.text(&m.FromConceptURL)
		case "from_source_name":
			return s.first(8) && p.word(&m.FromSourceName)
		case "from_source_owner":
			return s.first(9) && p.word(&m.FromSourceOwner)
		case "to_concept_code":
			return s.first(10) && p.text(&m.ToConceptCode)
		case "to_concept_url":
			return s.first(11) && p.text(&m.ToConceptURL)
		case "to_concept_name":
			return s.first(12) && p.text(&m.ToConceptName)
		case "to_source_name":
			return s.first(13) && p.word(&m.ToSourceName)
		case "to_source_owner":
			return s.first(14) && p.word(&m.ToSourceOwner)
		case "to_source_url":
			return s.first(15) && p.word(&m.ToSourceURL)
		case "sort_weight":
			return s.first(16) && p.float(&m.SortWeight)
		case "extras":
			return s.first(17) && p.extras(&m.Extras)
		}
		return unknownKey(key, mappingFields) && p.skip()
	})
}

// decodeConcept decodes one element of the concepts array (its bytes as encoding/json's
// Decoder would see them: any white space after the separating comma, then the value)
// into c, a zero Concept. It returns encoding/json's error when the fast decoder gives
// up and encoding/json fails; keepWrongTypes records a value of the wrong type on c
// instead, as Handler.KeepWrongTypes asks.
func (p *fastParser) decodeConcept(b []byte, c *ocl.Concept, keepWrongTypes bool) error {
	p.reset(b)
	if p.concept(c) && p.atEnd() {
		return nil
	}
	*c = ocl.Concept{}
	if err := json.Unmarshal(b, c); err != nil && !(keepWrongTypes && c.NoteWrongType(err)) {
		return err
	}
	return nil
}

// decodeMapping is decodeConcept for the mappings array.
func (p *fastParser) decodeMapping(b []byte, m *ocl.Mapping, keepWrongTypes bool) error {
	p.reset(b)
	if p.mapping(m) && p.atEnd() {
		return nil
	}
	*m = ocl.Mapping{}
	if err := json.Unmarshal(b, m); err != nil && !(keepWrongTypes && m.NoteWrongType(err)) {
		return err
	}
	return nil
}

// valid checks an element that is skipped, as encoding/json would.
func (p *fastParser) valid(b []byte) bool {
	p.reset(b)
	if p.skip() && p.atEnd() {
		return true
	}
	return json.Valid(b)
}
