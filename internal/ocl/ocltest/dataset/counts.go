package dataset

import "github.com/shepherd-release/shepherd/internal/ocl"

// Counts sums up a dataset, including what an OpenMRS load of it must hold.
type Counts struct {
	Concepts        int
	RetiredConcepts int
	Mappings        int // all, retired ones included
	RetiredMappings int
	Names           int
	Descriptions    int

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
			c, maps := d.Concept(i)
			d.counts.add(&c, maps)
		}
	})
	return d.counts
}

func (n *Counts) add(c *ocl.Concept, maps []ocl.Mapping) {
	n.Concepts++
	if c.Retired {
		n.RetiredConcepts++
	}
	n.Names += len(c.Names)
	n.Descriptions += len(c.Descriptions)
	switch c.Datatype {
	case "Numeric":
		n.Numeric++
	case "Complex":
		n.Complex++
	}
	if isSet, ok := c.Extras.Bool("is_set"); ok && isSet {
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
