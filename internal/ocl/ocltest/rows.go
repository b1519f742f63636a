package ocltest

import (
	"encoding/json"
	"slices"
	"strings"
)

// The fake keeps a source's content as OCL's database does (OpenConceptLab/oclapi2
// core/concepts/models.py, core/mappings/models.py): one row per concept version with
// its names and descriptions, one per mapping version. Exports and listings are
// written from these rows by the serializers in serializers.go, field by field as
// oclapi2's serializers write them, so fields the product's model (internal/ocl)
// ignores still reach the bytes.

// ConceptRow is one concept version.
type ConceptRow struct {
	ID           string // the concept code (mnemonic)
	UUID         string // the database id, written as "uuid"
	ExternalID   string // "" is null
	ConceptClass string
	Datatype     string
	Retired      bool
	// RetireReason says why the concept was retired ("" is null); written since 2026-06
	// (oclapi2 core/concepts/migrations/0082_concept_retire_reason_and_more.py).
	RetireReason string
	Names        []NameRow
	Descriptions []DescriptionRow
	Extras       Extras
	// Owner and Source are the concept's own organisation and source. A collection
	// holds concepts of other sources: their URLs keep naming those. Empty means the
	// source the content is served as.
	Owner, Source string
	Version       string // id of this concept version, in version_url
	CreatedOn     string // RFC 3339
	UpdatedOn     string
	CreatedBy     string // username; "" is "ocladmin"
	UpdatedBy     string
}

// NameRow is one name of a concept.
type NameRow struct {
	UUID            string
	Name            string
	ExternalID      string // "" is null
	NameType        string // "" is null: a synonym
	Locale          string
	LocalePreferred bool
	// Retired names are kept for history; written since 2026-05 (oclapi2
	// core/concepts/migrations/0080_conceptdescription_retired_conceptname_retired.py).
	Retired bool
}

// DescriptionRow is one description of a concept.
type DescriptionRow struct {
	UUID            string
	Description     string
	ExternalID      string // "" is null
	DescriptionType string // "" is null
	Locale          string
	LocalePreferred bool
	Retired         bool // since 2026-05, as NameRow.Retired
}

// MappingRow is one mapping version.
type MappingRow struct {
	ID              string
	UUID            string
	ExternalID      string // "" is null
	Retired         bool
	MapType         string
	FromConceptCode string
	FromConceptURL  string
	FromSourceName  string
	FromSourceOwner string
	FromSourceURL   string
	ToConceptCode   string
	ToConceptURL    string // "" is null: the target is outside OCL
	ToConceptName   string // "" is null
	ToSourceName    string
	ToSourceOwner   string
	ToSourceURL     string
	// SortWeight is the top-level sort_weight (OCL since 2022-12); nil is null.
	SortWeight *float64
	Extras     Extras
	// Owner and Source are the mapping's own source; empty means the served source.
	Owner, Source string
	Version       string
	CreatedOn     string
	UpdatedOn     string
	CreatedBy     string
	UpdatedBy     string
}

// Extras is a JSON object of raw values. OCL keeps extras in a PostgreSQL jsonb
// column, which orders keys by length, then bytewise
// (https://www.postgresql.org/docs/current/datatype-json.html: jsonb "does not
// preserve the order of object keys"): the serializers write them in that order.
type Extras map[string]json.RawMessage

// appendJSON writes the extras; nil writes null.
func (e Extras) appendJSON(b []byte, style *jsonStyle) []byte {
	if e == nil {
		return append(b, "null"...)
	}
	var small [16]string
	keys := small[:0]
	for k := range e {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	o := openObject(b, style)
	for _, k := range keys {
		o.raw(k, e[k])
	}
	return o.close()
}

// Era is the generation of OCL server that wrote an export, which decides its fields.
type Era int

const (
	// Era2026 is today's oclapi2: checksums, retired names and descriptions,
	// retire_reason, top-level sort_weight, export_time.
	Era2026 Era = iota
	// Era2015 is the OCL API of CIEL's first exports: the version header is the
	// source itself ("type": "Source", no "version"), dates are created_at and
	// updated_at, supported_locales is one comma-separated string, no checksums, no
	// sort_weight at the top of a mapping, no export_time.
	Era2015
)

// Shape is how a content's export is written.
type Shape struct {
	Era Era
	// Collection, when set, exports the content as a version of this collection (of
	// the served organisation) instead of the source: the header describes the
	// collection, "references" lists one reference per concept, and the concepts and
	// mappings keep naming the source they come from.
	Collection string
}

// Shaped is Content that says how its exports look. Other content is written in
// Era2026's source shape.
type Shaped interface {
	Shape() Shape
}
