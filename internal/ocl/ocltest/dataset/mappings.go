package dataset

import (
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// addMappings writes concept i's mappings: the SAME-AS to its own code, answers or set
// members, external mappings (at most one per terminology, so no target repeats), and
// now and then a retired mapping.
func (d *Dataset) addMappings(dr *draft, i int, ro *role, r *stream) {
	dr.maps = append(dr.maps, d.ownMapping(i, ocl.MapTypeSameAs, i))
	switch ro.kind {
	case kindAnswered:
		count := pick(ro.class == "Test", r.between(2, 4), r.between(2, 10))
		for _, j := range d.ownTargets(i, count, r, func(int) bool { return true }) {
			d.appendWeighted(dr, d.ownMapping(i, ocl.MapTypeQAndA, j))
		}
	case kindSet:
		flat := d.plans[i] != nil && d.plans[i].rule == "XR-05"
		member := func(j int) bool {
			// Members that are sets come before their set, so membership has no cycle.
			return !d.isSet(j) || (j < i && !flat)
		}
		for _, j := range d.ownTargets(i, r.between(2, 12), r, member) {
			d.appendWeighted(dr, d.ownMapping(i, ocl.MapTypeConceptSet, j))
		}
	}
	group := sourceGroups[ro.group]
	var order [8]int
	shuffled := r.permutation(order[:len(group.sources)])
	count := r.between(group.min, group.max)
	for _, s := range shuffled[:count] {
		src := extSources[group.sources[s]]
		mapType, v := r.pick(otherMapTypes), r.next()%50000
		if r.chance(src.sameAs) {
			mapType, v = ocl.MapTypeSameAs, uint64(i) // injective: claimed by i alone
		}
		dr.maps = append(dr.maps, d.extMapping(i, src.name, src.owner, mapType, src.code(v)))
	}
	if count < len(shuffled) && r.chance(0.03) {
		// A mapping replaced long ago, to a terminology this concept has no other mapping to.
		src := extSources[group.sources[shuffled[count]]]
		m := d.extMapping(i, src.name, src.owner, "NARROWER-THAN", src.code(r.next()%50000))
		m.Retired = true
		dr.maps = append(dr.maps, m)
	}
}

// ownTargets returns up to count distinct active concepts other than i, accepted by
// ok, walking from a random start: answers and members of a concept sit together.
func (d *Dataset) ownTargets(i, count int, r *stream, ok func(j int) bool) []int {
	n := d.spec.Concepts
	out := make([]int, 0, count)
	j := r.intn(n)
	for steps := 0; steps < n && len(out) < count; steps++ {
		j = (j + 1) % n
		if j != i && !d.retired(j) && ok(j) {
			out = append(out, j)
		}
	}
	return out
}

// appendWeighted appends an answer or member with the next sort_weight.
func (d *Dataset) appendWeighted(dr *draft, m ocltest.MappingRow) {
	w := 1.0
	for k := range dr.maps {
		if dr.maps[k].SortWeight != nil {
			w++
		}
	}
	m.SortWeight = &w
	dr.maps = append(dr.maps, m)
}

// permutation fills dst with a random permutation of 0..len(dst)-1.
func (s *stream) permutation(dst []int) []int {
	for k := range dst {
		dst[k] = k
	}
	for k := len(dst) - 1; k > 0; k-- {
		j := s.intn(k + 1)
		dst[k], dst[j] = dst[j], dst[k]
	}
	return dst
}

func (d *Dataset) fromFields(i int) ocltest.MappingRow {
	code := d.Code(i)
	return ocltest.MappingRow{
		FromConceptCode: code,
		FromConceptURL:  d.conceptURL(code),
		FromSourceName:  d.spec.Source,
		FromSourceOwner: d.spec.Org,
	}
}

// ownMapping maps concept i to concept j of the same source.
func (d *Dataset) ownMapping(i int, mapType string, j int) ocltest.MappingRow {
	return d.ownMappingToCode(i, mapType, d.Code(j))
}

func (d *Dataset) ownMappingToCode(i int, mapType, code string) ocltest.MappingRow {
	m := d.fromFields(i)
	m.MapType = mapType
	m.ToConceptCode = code
	m.ToConceptURL = d.conceptURL(code)
	m.ToSourceName = d.spec.Source
	m.ToSourceOwner = d.spec.Org
	m.ToSourceURL = d.sourceURL
	return m
}

// extMapping maps concept i to a code of a terminology outside OCL (to_concept_url null).
func (d *Dataset) extMapping(i int, source, owner, mapType, code string) ocltest.MappingRow {
	m := d.fromFields(i)
	m.MapType = mapType
	m.ToConceptCode = code
	m.ToSourceName = source
	m.ToSourceOwner = owner
	m.ToSourceURL = "/orgs/" + owner + "/sources/" + strings.ReplaceAll(source, " ", "-") + "/"
	return m
}

// Mapping edits used by injections.

// dropSource removes every mapping to a terminology, so an injection can add its own
// without creating a second, unintended violation.
func (dr *draft) dropSource(source string) {
	kept := dr.maps[:0]
	for _, m := range dr.maps {
		if m.ToSourceName != source {
			kept = append(kept, m)
		}
	}
	dr.maps = kept
}

// dropMapType removes every mapping of a map type.
func (dr *draft) dropMapType(mapType string) {
	kept := dr.maps[:0]
	for _, m := range dr.maps {
		if m.MapType != mapType {
			kept = append(kept, m)
		}
	}
	dr.maps = kept
}

// appendMarked appends the mapping an injection put at fault.
func (dr *draft) appendMarked(m ocltest.MappingRow) {
	dr.maps = append(dr.maps, m)
	dr.mark = len(dr.maps) - 1
}
