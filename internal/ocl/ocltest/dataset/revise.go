package dataset

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// Edits are the changes a later release makes to a dataset, each counted. Every edit
// lands on a concept of its own, so a changelog of the two releases lists exactly them.
type Edits struct {
	Add           int // new concepts, after the last code
	Retire        int // active concepts retired
	Unretire      int // retired concepts made active again
	Datatype      int // a concept's datatype changed
	Class         int // a concept's class changed
	RemoveAnswer  int // one answer dropped from a question with several
	AddMember     int // one member added to a set
	ChangeMapping int // an external mapping's target code changed
	Rename        int // the preferred English fully specified name reworded
}

// Edit kinds, as Revision.Applied names them.
const (
	EditAdd           = "add"
	EditRetire        = "retire"
	EditUnretire      = "unretire"
	EditDatatype      = "datatype"
	EditClass         = "class"
	EditRemoveAnswer  = "remove-answer"
	EditAddMember     = "add-member"
	EditChangeMapping = "change-mapping"
	EditRename        = "rename"
)

// Revision is a later release of a dataset: the same concepts with Edits applied. It
// implements ocltest.RowContent and ocltest.Shaped, so the fake OCL serves it and
// ocltest.WriteExport writes it.
type Revision struct {
	base  *Dataset
	added int
	edits map[int]string // concept index → edit kind
	// Applied lists, per edit kind, the codes of the concepts it changed, in code order.
	Applied map[string][]string
}

var (
	_ ocltest.RowContent = (*Revision)(nil)
	_ ocltest.Shaped     = (*Revision)(nil)
)

// Revise picks a distinct concept for each edit, from the first code on, and returns
// the revised release. It fails when the dataset is too small for the edits asked.
func Revise(d *Dataset, e Edits) (*Revision, error) {
	r := &Revision{base: d, added: e.Add, edits: map[int]string{}, Applied: map[string][]string{}}
	wants := []struct {
		kind string
		n    int
		ok   func(c *ocltest.ConceptRow, maps []ocltest.MappingRow) bool
	}{
		{EditRetire, e.Retire, func(c *ocltest.ConceptRow, _ []ocltest.MappingRow) bool { return !c.Retired }},
		{EditUnretire, e.Unretire, func(c *ocltest.ConceptRow, _ []ocltest.MappingRow) bool { return c.Retired }},
		{EditDatatype, e.Datatype, func(c *ocltest.ConceptRow, _ []ocltest.MappingRow) bool {
			return !c.Retired && c.Datatype == "N/A"
		}},
		{EditClass, e.Class, func(c *ocltest.ConceptRow, _ []ocltest.MappingRow) bool {
			return !c.Retired && c.ConceptClass != "Finding"
		}},
		{EditRemoveAnswer, e.RemoveAnswer, func(c *ocltest.ConceptRow, maps []ocltest.MappingRow) bool {
			return !c.Retired && count(maps, ocl.MapTypeQAndA) >= 2
		}},
		{EditAddMember, e.AddMember, func(c *ocltest.ConceptRow, maps []ocltest.MappingRow) bool {
			return !c.Retired && count(maps, ocl.MapTypeConceptSet) >= 1
		}},
		{EditChangeMapping, e.ChangeMapping, func(c *ocltest.ConceptRow, maps []ocltest.MappingRow) bool {
			return !c.Retired && externalMapping(maps) >= 0
		}},
		{EditRename, e.Rename, func(c *ocltest.ConceptRow, _ []ocltest.MappingRow) bool {
			return !c.Retired && preferredEnglish(c) >= 0
		}},
	}
	for _, w := range wants {
		found := 0
		for i := 0; i < d.Len() && found < w.n; i++ {
			if _, taken := r.edits[i]; taken || d.plans[i] != nil {
				continue // injected concepts keep exactly their one finding
			}
			c, maps := d.Rows(i)
			if w.ok(&c, maps) {
				r.edits[i] = w.kind
				r.Applied[w.kind] = append(r.Applied[w.kind], d.Code(i))
				found++
			}
		}
		if found < w.n {
			return nil, fmt.Errorf("dataset: only %d concepts fit the edit %q, %d asked", found, w.kind, w.n)
		}
	}
	for k := range e.Add {
		r.Applied[EditAdd] = append(r.Applied[EditAdd], d.Code(d.Len()+k))
	}
	return r, nil
}

func count(maps []ocltest.MappingRow, mapType string) int {
	n := 0
	for _, m := range maps {
		if !m.Retired && m.MapType == mapType {
			n++
		}
	}
	return n
}

// externalMapping is the position of the first active mapping to a terminology outside
// the source, or -1.
func externalMapping(maps []ocltest.MappingRow) int {
	for k, m := range maps {
		if !m.Retired && m.ToConceptURL == "" {
			return k
		}
	}
	return -1
}

func preferredEnglish(c *ocltest.ConceptRow) int {
	for k, n := range c.Names {
		if n.Locale == "en" && n.LocalePreferred && !n.Retired && ocl.NormalizeNameType(n.NameType) == ocl.NameTypeFullySpecified {
			return k
		}
	}
	return -1
}

// Len implements ocltest.Content: the base's concepts and the added ones.
func (r *Revision) Len() int { return r.base.Len() + r.added }

// Shape implements ocltest.Shaped: the base's.
func (r *Revision) Shape() ocltest.Shape { return r.base.Shape() }

// Version is the metadata of version id of the revised source.
func (r *Revision) Version(id string) ocl.SourceVersion { return r.base.Version(id) }

// Concept implements ocltest.Content.
func (r *Revision) Concept(i int) (ocl.Concept, []ocl.Mapping) {
	c, maps := r.Rows(i)
	return ocltest.ModelOf(r.base.spec.Org, r.base.spec.Source, r.Shape(), c, maps)
}

// Rows implements ocltest.RowContent: concept i of the base with its edit applied; an
// added concept is a copy of an early active concept under a new code, with new names
// and only its SAME-AS mapping to itself.
func (r *Revision) Rows(i int) (ocltest.ConceptRow, []ocltest.MappingRow) {
	d := r.base
	if i >= d.Len() {
		return r.addedRows(i)
	}
	c, maps := d.Rows(i)
	switch r.edits[i] {
	case EditRetire:
		c.Retired, c.RetireReason = true, "Duplicate"
	case EditUnretire:
		c.Retired, c.RetireReason = false, ""
	case EditDatatype:
		c.Datatype = "Text"
	case EditClass:
		c.ConceptClass = "Finding"
	case EditRemoveAnswer:
		for k, m := range maps {
			if !m.Retired && m.MapType == ocl.MapTypeQAndA {
				maps = append(maps[:k:k], maps[k+1:]...)
				break
			}
		}
	case EditAddMember:
		members := map[string]bool{c.ID: true}
		var last *ocltest.MappingRow
		for k, m := range maps {
			if m.MapType == ocl.MapTypeConceptSet {
				members[m.ToConceptCode], last = true, &maps[k]
			}
		}
		for j := range d.Len() {
			if !members[d.Code(j)] && !d.retired(j) && !d.isSet(j) {
				m := d.ownMapping(i, ocl.MapTypeConceptSet, j)
				// After the last member, in whichever places the base keeps weights.
				if last.SortWeight != nil {
					w := *last.SortWeight + 1
					m.SortWeight = &w
				}
				if raw, ok := last.Extras["sort_weight"]; ok {
					if w, err := strconv.ParseFloat(strings.Trim(string(raw), `"`), 64); err == nil {
						m.Extras = ocltest.Extras{"sort_weight": jsonNumber(w + 1)}
					}
				}
				maps = append(maps, m)
				break
			}
		}
	case EditChangeMapping:
		k := externalMapping(maps)
		maps[k].ToConceptCode += "9"
	case EditRename:
		k := preferredEnglish(&c)
		c.Names[k].Name = "Revised " + c.Names[k].Name
	default:
		return c, maps
	}
	dr := draft{c: c, maps: maps, mark: -1}
	d.finish(&dr, i) // ids of the mappings follow their positions, as the base's do
	return dr.c, dr.maps
}

func (r *Revision) addedRows(i int) (ocltest.ConceptRow, []ocltest.MappingRow) {
	d := r.base
	from := 0
	for d.retired(from) || d.plans[from] != nil || r.edits[from] != "" {
		from++
	}
	c, _ := d.Rows(from)
	code := d.Code(i)
	c.ID, c.UUID, c.ExternalID, c.Version = code, strconv.Itoa(100000+i), uuid(d.seed, uuidConcept, i, 0), strconv.Itoa(700000+i)
	for k := range c.Names {
		c.Names[k].Name = fmt.Sprintf("Added concept %s %s", code, c.Names[k].Name)
		c.Names[k].ExternalID = ""
	}
	for k := range c.Descriptions {
		c.Descriptions[k].ExternalID = ""
	}
	dr := draft{c: c, maps: []ocltest.MappingRow{d.ownMappingToCode(i, ocl.MapTypeSameAs, code)}, mark: -1}
	d.finish(&dr, i)
	return dr.c, dr.maps
}
