// Package ocl talks to the Open Concept Lab API and describes the data it serves:
// source versions, concepts and mappings as they appear in exports and listings.
package ocl

import (
	"bytes"
	"encoding/json"
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

// UnmarshalJSON accepts an object or null.
func (e *Extras) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*e = nil
		return nil
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*e = m
	return nil
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
