package dataset

import (
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// Counts sums up a dataset, including what an OpenMRS load of it must hold.
type Counts struct {
	Concepts        int
	RetiredConcepts int
	Mappings        int // all, retired ones included
	RetiredMappings int
	Names           int // all, retired ones included
	Descriptions    int // all, retired ones included
	// Retired names and descriptions (Era2026): OpenMRS voids the names and drops the
	// descriptions.
	RetiredNames        int
	RetiredDescriptions int

	// Active mappings by the table they load into (retired mappings are left out;
	// mappings of retired concepts stay).
	Answers       int // Q-AND-A → concept_answer
	SetMembers    int // CONCEPT-SET → concept_set
	ReferenceMaps int // any other map type → concept_reference_map

	// Concepts by the extra rows or flags they carry.
	Numeric int // datatype Numeric → concept_numeric
	Complex int // datatype Complex → concept_complex
	Sets    int // extras.is_set = 1 → concept.is_set
}

// Counts walks the whole dataset once (the first call) and sums it up.
func (d *Dataset) Counts() Counts {
	d.countsOnce.Do(func() {
		for i := range d.Len() {
			c, maps := d.Rows(i)
			d.counts.add(&c, maps)
		}
	})
	return d.counts
}

func (n *Counts) add(c *ocltest.ConceptRow, maps []ocltest.MappingRow) {
	n.Concepts++
	if c.Retired {
		n.RetiredConcepts++
	}
	n.Names += len(c.Names)
	n.Descriptions += len(c.Descriptions)
	for k := range c.Names {
		if c.Names[k].Retired {
			n.RetiredNames++
		}
	}
	for k := range c.Descriptions {
		if c.Descriptions[k].Retired {
			n.RetiredDescriptions++
		}
	}
	switch c.Datatype {
	case "Numeric":
		n.Numeric++
	case "Complex":
		n.Complex++
	}
	if string(c.Extras["is_set"]) == "1" {
		n.Sets++
	}
	for k := range maps {
		m := &maps[k]
		n.Mappings++
		if m.Retired {
			n.RetiredMappings++
			continue
		}
		switch ocl.NormalizeMapType(m.MapType) {
		case ocl.MapTypeQAndA:
			n.Answers++
		case ocl.MapTypeConceptSet:
			n.SetMembers++
		default:
			n.ReferenceMaps++
		}
	}
}
