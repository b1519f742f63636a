package dataset

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// draft is a concept being built, with where an injection put its fault.
type draft struct {
	c    ocltest.ConceptRow
	maps []ocltest.MappingRow
	// Where the injected violation sits, for Expected.
	mark   int // position in maps of the mapping at fault, or -1
	locale string
	field  string
}

// maxMappingsPerConcept bounds the positions used to derive mapping ids.
const maxMappingsPerConcept = 64

// Code is the concept code of index i.
func (d *Dataset) Code(i int) string { return strconv.Itoa(i + 1) }

// Index is the index of a concept code, the inverse of Code.
func (d *Dataset) Index(code string) (int, bool) {
	n, err := strconv.Atoi(code)
	if err != nil || n < 1 || n > d.spec.Concepts || strconv.Itoa(n) != code {
		return 0, false
	}
	return n - 1, true
}

func (d *Dataset) conceptURL(code string) string {
	return d.sourceURL + "concepts/" + code + "/"
}

// roleOf is concept i's role: forced by an injection, or drawn from the mix.
func (d *Dataset) roleOf(i int) *role {
	if p := d.plans[i]; p != nil && p.role != nil {
		return p.role
	}
	return roleByMille[hash2(d.seed, saltRole, uint64(i))%1000]
}

func (d *Dataset) naturallyRetired(i int) bool {
	return unit(hash2(d.seed, saltRetired, uint64(i))) < d.spec.RetiredFraction
}

// retired tells whether concept i is retired. Concepts an injection uses are active,
// except the retired target FR-22 needs.
func (d *Dataset) retired(i int) bool {
	if p := d.plans[i]; p != nil {
		return p.retired
	}
	return d.naturallyRetired(i)
}

func (d *Dataset) isSet(i int) bool { return d.roleOf(i).kind == kindSet }

// Rows implements ocltest.RowContent: concept i and the mappings that start from it,
// as OCL stores them, computed from the seed and i alone.
func (d *Dataset) Rows(i int) (ocltest.ConceptRow, []ocltest.MappingRow) {
	dr := d.build(i)
	return dr.c, dr.maps
}

// Concept implements ocltest.Content: concept i and its mappings as the product's
// model reads them from the export.
func (d *Dataset) Concept(i int) (ocl.Concept, []ocl.Mapping) {
	c, maps := d.Rows(i)
	return ocltest.ModelOf(d.spec.Org, d.spec.Source, d.Shape(), c, maps)
}

func (d *Dataset) build(i int) draft {
	r := stream{state: hash2(d.seed, saltConcept, uint64(i))}
	ro := d.roleOf(i)
	p := d.plans[i]
	code := d.Code(i)
	dr := draft{mark: -1, c: ocltest.ConceptRow{
		ID:           code,
		UUID:         strconv.Itoa(100000 + i),
		ExternalID:   uuid(d.seed, uuidConcept, i, 0),
		ConceptClass: ro.class,
		Datatype:     ro.datatype,
		Retired:      d.retired(i),
		Version:      strconv.Itoa(700000 + i),
		Source:       d.spec.Source,
		Owner:        d.spec.Org,
	}}
	if p == nil && ro.datatype == "N/A" && r.chance(0.01) {
		dr.c.Datatype = "None" // older CIEL data; reads as N/A
	}
	dr.c.CreatedOn, dr.c.UpdatedOn = d.dates(i)
	d.addNames(&dr, i, &r)
	d.addDescriptions(&dr, i, &r)
	dr.c.Extras = extrasFor(ro.kind, &r)
	d.addMappings(&dr, i, ro, &r)
	if p != nil {
		d.inject(&dr, i, p)
	}
	d.addHistory(&dr, i, p)
	d.finish(&dr, i)
	d.age(&dr, p)
	return dr
}

// dates spreads creation over 2004–2024 in code order, as CIEL grew, with updates later.
func (d *Dataset) dates(i int) (created, updated string) {
	const start, span = 1072915200, 20 * 365 * 24 * 3600 // 2004-01-01, 20 years
	h := hash2(d.seed, saltDate, uint64(i))
	c := int64(start) + int64(span)*int64(i)/int64(d.spec.Concepts) + int64(h%86400)
	u := c + int64(mix(h)%(3*365*24*3600))
	return time.Unix(c, 0).UTC().Format(time.RFC3339), time.Unix(u, 0).UTC().Format(time.RFC3339)
}

// finish numbers what the generator and injections produced: mapping ids follow
// positions, and every item without an external_id gets a unique one.
func (d *Dataset) finish(dr *draft, i int) {
	if len(dr.maps) > maxMappingsPerConcept {
		panic("dataset: too many mappings for concept " + dr.c.ID) // generator invariant
	}
	for k := range dr.c.Names {
		n := &dr.c.Names[k]
		if n.ExternalID == "" {
			n.ExternalID = uuid(d.seed, uuidName, i, k)
		}
		n.UUID = strconv.Itoa(3000000 + i*maxMappingsPerConcept + k)
	}
	for k := range dr.c.Descriptions {
		ds := &dr.c.Descriptions[k]
		if ds.ExternalID == "" {
			ds.ExternalID = uuid(d.seed, uuidDescription, i, k)
		}
		ds.UUID = strconv.Itoa(6000000 + i*maxMappingsPerConcept + k)
	}
	for k := range dr.maps {
		m := &dr.maps[k]
		m.ID = strconv.Itoa(i*maxMappingsPerConcept + k + 1)
		m.UUID = strconv.Itoa(9000000 + i*maxMappingsPerConcept + k)
		if m.ExternalID == "" {
			m.ExternalID = uuid(d.seed, uuidMapping, i, k)
		}
	}
}

var (
	units    = []string{"mg/dL", "mmol/L", "g/dL", "%", "mmHg", "kg", "cm", "/min", "IU/L", "DEG C", "cells/uL", "x10^3/uL"}
	handlers = []string{"ImageHandler", "BinaryDataHandler", "TextHandler", "BinaryStreamHandler"}
)

// extrasFor writes the extras a role implies, with the JSON types OpenMRS expects.
func extrasFor(k kind, r *stream) ocltest.Extras {
	switch k {
	case kindNumeric:
		return numericExtras(r)
	case kindSet:
		return ocltest.Extras{"is_set": json.RawMessage("1")}
	case kindComplex:
		return ocltest.Extras{"handler": jsonString(r.pick(handlers))}
	}
	return nil
}

// numericExtras always has units and the normal range; the other ranges sometimes. The
// ranges are in a sane order: low_absolute ≤ low_critical ≤ low_normal ≤ hi_normal ≤
// hi_critical ≤ hi_absolute.
func numericExtras(r *stream) ocltest.Extras {
	hiNormal := float64(r.between(5, 400))
	if r.chance(0.4) {
		hiNormal /= 10
	}
	e := ocltest.Extras{
		"units":      jsonString(r.pick(units)),
		"hi_normal":  jsonNumber(hiNormal),
		"low_normal": jsonNumber(round1(hiNormal * 0.5)),
	}
	if r.chance(0.6) {
		e["low_critical"] = jsonNumber(round1(hiNormal * 0.25))
		e["hi_critical"] = jsonNumber(round1(hiNormal * 2))
	}
	if r.chance(0.5) {
		e["low_absolute"] = jsonNumber(0)
		e["hi_absolute"] = jsonNumber(round1(hiNormal * 10))
	}
	decimal := r.chance(0.6)
	if r.chance(0.85) {
		e["allow_decimal"] = jsonBool(decimal)
	} else {
		e["precise"] = jsonBool(decimal) // the older spelling
	}
	if r.chance(0.7) {
		e["display_precision"] = jsonNumber(float64(pick(decimal, 1+r.intn(2), 0)))
	}
	return e
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

func jsonNumber(v float64) json.RawMessage {
	return json.RawMessage(strconv.FormatFloat(v, 'f', -1, 64))
}

func jsonBool(v bool) json.RawMessage { return json.RawMessage(strconv.FormatBool(v)) }
