// Package ocl talks to the Open Concept Lab API and describes the data it serves:
// source versions, concepts and mappings as they appear in exports and listings.
package ocl

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// SourceVersion is the metadata at the top of an export and the answer of a version read.
type SourceVersion struct {
	Type             string  `json:"type,omitempty"`
	ID               string  `json:"id"`
	Version          string  `json:"version,omitempty"`
	Name             string  `json:"name,omitempty"`
	FullName         string  `json:"full_name,omitempty"`
	Description      string  `json:"description,omitempty"`
	DefaultLocale    string  `json:"default_locale,omitempty"`
	SupportedLocales Locales `json:"supported_locales,omitempty"`
	URL              string  `json:"url,omitempty"`
	Owner            string  `json:"owner,omitempty"`
	Released         bool    `json:"released"`
	Retired          bool    `json:"retired"`
	IsProcessing     bool    `json:"is_processing,omitempty"`
	ExternalID       string  `json:"external_id,omitempty"`
	Extras           Extras  `json:"extras,omitempty"`
	CreatedOn        string  `json:"created_on,omitempty"`
	CreatedAt        string  `json:"created_at,omitempty"` // exports before 2020
	ExportTime       string  `json:"-"`                    // filled from the trailing "export_time" key
	// WrongTypes: as for Concept.
	WrongTypes []WrongType `json:"-"`
}

// UnmarshalJSON decodes the metadata, keeping a supported_locales of the wrong shape
// (an array of numbers, an object) as a WrongType instead of an error: encoding/json
// would stop at it and leave the fields after it unread. Metadata is decoded once per
// export, so the second pass costs nothing that matters.
func (v *SourceVersion) UnmarshalJSON(b []byte) error {
	type plain SourceVersion // no UnmarshalJSON: no recursion
	var w struct {
		*plain
		SupportedLocales json.RawMessage `json:"supported_locales,omitempty"`
	}
	w.plain = (*plain)(v)
	err := json.Unmarshal(b, &w)
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		typ.Field = strings.TrimPrefix(typ.Field, "plain.") // the embedding is ours, not the document's
	}
	v.SupportedLocales = nil
	if len(w.SupportedLocales) > 0 {
		if lerr := v.SupportedLocales.UnmarshalJSON(w.SupportedLocales); lerr != nil {
			v.SupportedLocales = nil
			v.WrongTypes = append(v.WrongTypes, WrongType{Field: "supported_locales", Got: JSONKind(w.SupportedLocales), Want: "array"})
		}
	}
	return err
}

// Locales accepts both the array form and the older comma-separated string form.
type Locales []string

// UnmarshalJSON reads ["en","fr"], "en,fr" or null.
func (l *Locales) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*l = nil
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		var out []string
		for _, part := range strings.Split(s, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
		*l = out
		return nil
	}
	var arr []string
	if err := json.Unmarshal(b, &arr); err != nil {
		return err
	}
	*l = arr
	return nil
}

// Concept is one concept of a source, as exported or listed with verbose=true.
type Concept struct {
	Type         string `json:"type,omitempty"`
	ID           string `json:"id"`
	UUID         string `json:"uuid,omitempty"`
	ExternalID   string `json:"external_id,omitempty"`
	ConceptClass string `json:"concept_class"`
	Datatype     string `json:"datatype"`
	Retired      bool   `json:"retired"`
	// RetireReason is why the concept was retired (OCL since 2026-06; oclapi2
	// core/concepts/serializers.py). Empty on older servers.
	RetireReason string        `json:"retire_reason,omitempty"`
	Names        []Name        `json:"names"`
	Descriptions []Description `json:"descriptions,omitempty"`
	Extras       Extras        `json:"extras,omitempty"`
	URL          string        `json:"url,omitempty"`
	VersionURL   string        `json:"version_url,omitempty"`
	Source       string        `json:"source,omitempty"`
	Owner        string        `json:"owner,omitempty"`
	CreatedOn    string        `json:"created_on,omitempty"`
	UpdatedOn    string        `json:"updated_on,omitempty"`
	// Mappings is present only in API listings asked with includeMappings=true.
	Mappings []Mapping `json:"mappings,omitempty"`
	// WrongTypes are values of the wrong JSON type met while decoding the concept
	// leniently (see NoteWrongType); those fields were left at their zero value.
	WrongTypes []WrongType `json:"-"`
}

// Name is one name of a concept.
type Name struct {
	Name            string `json:"name"`
	Locale          string `json:"locale"`
	LocalePreferred bool   `json:"locale_preferred"`
	NameType        string `json:"name_type,omitempty"`
	ExternalID      string `json:"external_id,omitempty"`
	UUID            string `json:"uuid,omitempty"`
	// Retired names (OCL since 2026-05) are kept for history: OpenMRS gets them voided
	// and no name rule counts them.
	Retired bool `json:"retired,omitempty"`
}

// Active reports whether the name counts as a name of the concept today.
func (n *Name) Active() bool { return !n.Retired }

// Name types after NormalizeNameType.
const (
	NameTypeFullySpecified = "FULLY_SPECIFIED"
	NameTypeShort          = "SHORT"
	NameTypeIndexTerm      = "INDEX_TERM"
	NameTypeSynonym        = "" // null, "None" and "SYNONYM" all mean a synonym
)

// Built once: these run for every name and mapping of an export.
var (
	nameTypeSeparators = strings.NewReplacer(" ", "_", "-", "_")
	mapTypeSeparators  = strings.NewReplacer("_", "-", " ", "-")
)

// NormalizeNameType folds the free-text spellings OCL sources use ("Fully Specified",
// "fully-specified", "SYNONYM", "None", null) onto the OpenMRS constants. Unknown
// types come back upper-cased with underscores so rules can report them.
func NormalizeNameType(t string) string {
	t = strings.TrimSpace(t)
	if t == "" {
		return NameTypeSynonym
	}
	t = nameTypeSeparators.Replace(strings.ToUpper(t))
	switch t {
	case "NONE", "SYNONYM", "NULL":
		return NameTypeSynonym
	}
	return t
}

// Description is one description of a concept.
type Description struct {
	Description     string `json:"description"`
	Locale          string `json:"locale"`
	LocalePreferred bool   `json:"locale_preferred"`
	DescriptionType string `json:"description_type,omitempty"`
	ExternalID      string `json:"external_id,omitempty"`
	UUID            string `json:"uuid,omitempty"`
	// Retired descriptions (OCL since 2026-05) are left out of OpenMRS, as the
	// OpenMRS OCL module does (openmrs-module-openconceptlab, Saver.java).
	Retired bool `json:"retired,omitempty"`
}

// Active reports whether the description counts as a description of the concept today.
func (d *Description) Active() bool { return !d.Retired }

// Mapping links a concept to another concept, in this source or elsewhere.
type Mapping struct {
	Type            string   `json:"type,omitempty"`
	ID              string   `json:"id"`
	UUID            string   `json:"uuid,omitempty"`
	ExternalID      string   `json:"external_id,omitempty"`
	Retired         bool     `json:"retired"`
	MapType         string   `json:"map_type"`
	FromConceptCode string   `json:"from_concept_code"`
	FromConceptURL  string   `json:"from_concept_url,omitempty"`
	FromSourceName  string   `json:"from_source_name,omitempty"`
	FromSourceOwner string   `json:"from_source_owner,omitempty"`
	ToConceptCode   string   `json:"to_concept_code"`
	ToConceptURL    string   `json:"to_concept_url,omitempty"`
	ToConceptName   string   `json:"to_concept_name,omitempty"`
	ToSourceName    string   `json:"to_source_name,omitempty"`
	ToSourceOwner   string   `json:"to_source_owner,omitempty"`
	ToSourceURL     string   `json:"to_source_url,omitempty"`
	SortWeight      *float64 `json:"sort_weight,omitempty"`
	Extras          Extras   `json:"extras,omitempty"`
	// WrongTypes: as for Concept.
	WrongTypes []WrongType `json:"-"`
}

// Weight is the mapping's order among the answers or set members of its concept: the
// top-level sort_weight (OCL writes it since 2022-12), else extras.sort_weight, where
// older exports and real CIEL mappings still carry it.
func (m *Mapping) Weight() (float64, bool) {
	if m.SortWeight != nil {
		return *m.SortWeight, true
	}
	return m.Extras.Float("sort_weight")
}

// Map types after NormalizeMapType.
const (
	MapTypeSameAs     = "SAME-AS"
	MapTypeQAndA      = "Q-AND-A"
	MapTypeConceptSet = "CONCEPT-SET"
)

// NormalizeMapType upper-cases a map type and turns '_' and spaces into '-'
// ("Same as" → "SAME-AS").
func NormalizeMapType(t string) string {
	return mapTypeSeparators.Replace(strings.ToUpper(strings.TrimSpace(t)))
}

// Extras keeps each value as raw JSON so that rules can see its JSON type
// (a boolean written as a string, an integer written as a float).
type Extras map[string]json.RawMessage

// ExtrasNotAnObject is the key under which Extras keeps an `extras` value that is not a
// JSON object (a string, a number, an array). No OCL key starts with a NUL character;
// rules report the value (see NotAnObject), and no other key is read from it.
const ExtrasNotAnObject = "\x00not an object"

// UnmarshalJSON accepts an object or null. Any other value is kept under
// ExtrasNotAnObject rather than refused: an error here would stop encoding/json from
// decoding the rest of the concept.
func (e *Extras) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*e = nil
		return nil
	}
	if len(b) > 0 && b[0] != '{' {
		*e = Extras{ExtrasNotAnObject: bytes.Clone(b)}
		return nil
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*e = m
	return nil
}

// NotAnObject returns the JSON type of an `extras` value that was not an object
// ("string", "number", "array", "bool").
func (e Extras) NotAnObject() (kind string, ok bool) {
	raw, ok := e[ExtrasNotAnObject]
	if !ok {
		return "", false
	}
	return JSONKind(raw), true
}

// Has reports whether key is present with a non-null value.
func (e Extras) Has(key string) bool {
	v, ok := e[key]
	return ok && string(bytes.TrimSpace(v)) != "null"
}

// String returns a string value, or the raw text of a non-string scalar.
func (e Extras) String(key string) (string, bool) {
	v, ok := e[key]
	if !ok {
		return "", false
	}
	v = bytes.TrimSpace(v)
	if string(v) == "null" {
		return "", false
	}
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", false
		}
		return s, true
	}
	return string(v), true
}

// Float reads a number, also when it was written as a numeric string.
func (e Extras) Float(key string) (float64, bool) {
	s, ok := e.String(key)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// Bool reads true/false, also "true"/"false" strings and 1/0.
func (e Extras) Bool(key string) (value, ok bool) {
	s, ok := e.String(key)
	if !ok {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no":
		return false, true
	}
	return false, false
}

// JSONKind names the JSON type of a value: "string", "number", "bool", "null", "object", "array".
func (e Extras) JSONKind(key string) string {
	return JSONKind(e[key])
}

// JSONKind names the JSON type of a raw value.
func JSONKind(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return ""
	}
	switch v[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// SourceFromURL returns SOURCE in ".../sources/SOURCE/..." (an OCL source, owned by an
// organisation or a user), or "" when the URL names no source. It does not allocate.
func SourceFromURL(u string) string { return segmentAfter(u, "/sources/") }

// CodeFromURL returns CODE in ".../concepts/CODE/...", or "".
func CodeFromURL(u string) string { return segmentAfter(u, "/concepts/") }

func segmentAfter(u, marker string) string {
	i := strings.Index(u, marker)
	if i < 0 {
		return ""
	}
	rest := u[i+len(marker):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// SourceName is the source the concept belongs to: read from its url, else its
// `source` field; "" when neither says. In a collection export the concepts keep the
// url of their own source (OCL.md, "Collections").
func (c *Concept) SourceName() string {
	if s := SourceFromURL(c.URL); s != "" {
		return s
	}
	return strings.TrimSpace(c.Source)
}

// Target is where the mapping points: to_source_name and to_concept_code, each read
// from to_concept_url (the source also from to_source_url) when empty. Either may be ""
// (a target outside OCL has no URL; a broken mapping may lack both).
func (m *Mapping) Target() (source, code string) {
	source, code = strings.TrimSpace(m.ToSourceName), strings.TrimSpace(m.ToConceptCode)
	if source == "" {
		if source = SourceFromURL(m.ToConceptURL); source == "" {
			source = SourceFromURL(m.ToSourceURL)
		}
	}
	if code == "" {
		code = CodeFromURL(m.ToConceptURL)
	}
	return source, code
}

// From is the concept the mapping starts from: from_source_name (else read from
// from_concept_url) and from_concept_code (else read from from_concept_url).
func (m *Mapping) From() (source, code string) {
	source, code = strings.TrimSpace(m.FromSourceName), strings.TrimSpace(m.FromConceptCode)
	if source == "" {
		source = SourceFromURL(m.FromConceptURL)
	}
	if code == "" {
		code = CodeFromURL(m.FromConceptURL)
	}
	return source, code
}

// ConceptKey names a concept inside an export: its source and its code. Two keys are
// the same concept when their sources are equal ignoring case and their codes exactly
// equal; Canonical gives the form to use as a map key.
type ConceptKey struct {
	Source, Code string
}

// Canonical lower-cases the source, so that equal concepts have equal keys.
func (k ConceptKey) Canonical() ConceptKey {
	return ConceptKey{Source: strings.ToLower(k.Source), Code: k.Code}
}

// KeyOf is the key of a concept of an export. A concept that names no source (no url,
// no `source` field) belongs to exportSource, the source or collection being exported.
func KeyOf(c *Concept, exportSource string) ConceptKey {
	source := c.SourceName()
	if source == "" {
		source = exportSource
	}
	return ConceptKey{Source: source, Code: strings.TrimSpace(c.ID)}
}

// TargetKey is the key of the concept a mapping points to. A target that names no
// source is read as one of exportSource. ok is false when the target has no code.
func TargetKey(m *Mapping, exportSource string) (k ConceptKey, ok bool) {
	source, code := m.Target()
	if source == "" {
		source = exportSource
	}
	return ConceptKey{Source: source, Code: code}, code != ""
}

// InternalTarget reports whether a mapping points to a concept the export itself holds:
// the only targets a Q-AND-A answer or a CONCEPT-SET member can be loaded from. The
// export's own name does not matter: a collection export holds CIEL concepts, and their
// mappings say to_source_name CIEL (OCL.md, "Collections"). has answers whether the
// export holds a concept with that key (see KeyOf; compare sources ignoring case, for
// instance through Canonical). The QA rules (XR-01, FR-22, XR-05) decide with it; any
// writer that must know which answers and members it can load should too.
func InternalTarget(m *Mapping, exportSource string, has func(ConceptKey) bool) bool {
	k, ok := TargetKey(m, exportSource)
	return ok && has(k)
}

// WrongType is a field whose JSON value had another type than OCL writes, such as
// `"retired": "yes"` on a name or `"locale_preferred": 1`. encoding/json leaves such a
// field at its zero value and still decodes every other field, so the item stays usable
// and QA can report the field instead of refusing the whole export.
type WrongType struct {
	Field string // the path of JSON keys, e.g. "names.retired"
	Got   string // the JSON value's type, e.g. "string", "number"
	Want  string // the type the field has in the model, e.g. "bool"
}

// wrongTypeOf turns err into a WrongType when it is encoding/json's report of a value
// of the wrong type; other errors (broken JSON, a truncated file) are not.
func wrongTypeOf(err error) (WrongType, bool) {
	var typ *json.UnmarshalTypeError
	if !errors.As(err, &typ) {
		return WrongType{}, false
	}
	w := WrongType{Field: typ.Field, Got: typ.Value}
	if typ.Type != nil {
		w.Want = typ.Type.String()
		switch typ.Type.Kind() {
		case reflect.Bool, reflect.String:
			w.Want = typ.Type.Kind().String()
		case reflect.Slice, reflect.Array:
			w.Want = "array"
		case reflect.Map, reflect.Struct:
			w.Want = "object"
		case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int64, reflect.Int32:
			w.Want = "number"
		}
	}
	if i := strings.IndexByte(w.Got, ' '); i > 0 { // "number 1.5" → "number"
		w.Got = w.Got[:i]
	}
	return w, true
}

// NoteWrongType records err on the concept and reports true when err only says that a
// value had the wrong JSON type: the concept is then decoded as far as it can be.
// encoding/json reports the first such value of a concept; later ones are left at
// their zero value unreported.
func (c *Concept) NoteWrongType(err error) bool {
	w, ok := wrongTypeOf(err)
	if ok {
		c.WrongTypes = append(c.WrongTypes, w)
	}
	return ok
}

// NoteWrongType: as for Concept.
func (m *Mapping) NoteWrongType(err error) bool {
	w, ok := wrongTypeOf(err)
	if ok {
		m.WrongTypes = append(m.WrongTypes, w)
	}
	return ok
}

// NoteWrongType: as for Concept.
func (v *SourceVersion) NoteWrongType(err error) bool {
	w, ok := wrongTypeOf(err)
	if ok {
		v.WrongTypes = append(v.WrongTypes, w)
	}
	return ok
}

// decodeListLeniently decodes a JSON array of concepts or mappings (an API listing page)
// one element at a time, recording on each element the value of the wrong type it
// held. It is the slow path, taken only when decoding the page whole met such a value.
func decodeListLeniently(data []byte, out any) (handled bool, err error) {
	switch list := out.(type) {
	case *[]Concept:
		return true, decodeElements(data, list, (*Concept).NoteWrongType)
	case *[]Mapping:
		return true, decodeElements(data, list, (*Mapping).NoteWrongType)
	}
	return false, nil
}

func decodeElements[T any](data []byte, out *[]T, note func(*T, error) bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // '['
		return err
	}
	items := (*out)[:0]
	for dec.More() {
		var item T
		if err := dec.Decode(&item); err != nil && !note(&item, err) {
			return err
		}
		items = append(items, item)
	}
	*out = items
	return nil
}
