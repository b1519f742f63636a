package ocltest

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// listingTarget resolves the version of a listing (HEAD when the route names none),
// answering 401/404/405 itself when it cannot.
func (s *Server) listingTarget(w http.ResponseWriter, r *http.Request) *version {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeDetail(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method \"%s\" not allowed.", r.Method))
		return nil
	}
	if _, ok := s.token(w, r, false); !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.lookup(w, r)
	if src == nil {
		return nil
	}
	name := r.PathValue("version")
	if name == "" {
		name = HeadVersion
	}
	v := src.find(name)
	if v == nil {
		writeDetail(w, http.StatusNotFound, "Not found.")
	}
	return v
}

func queryTrue(r *http.Request, key string) bool {
	return strings.EqualFold(r.URL.Query().Get(key), "true")
}

// handleConcepts lists concepts as OCL does: verbose=true adds names and descriptions,
// includeRetired=true keeps retired concepts, includeMappings=true adds each concept's
// mappings (retired ones only with includeRetired).
func (s *Server) handleConcepts(w http.ResponseWriter, r *http.Request) {
	v := s.listingTarget(w, r)
	if v == nil {
		return
	}
	verbose, withMappings, withRetired := queryTrue(r, "verbose"), queryTrue(r, "includeMappings"), queryTrue(r, "includeRetired")

	s.contentMu.Lock()
	total := v.content.Len()
	var active []int
	if !withRetired {
		active = v.activeConceptIndexes()
		total = len(active)
	}
	p := readPaging(r, total)
	page := make([]ocl.Concept, 0, p.end-p.start)
	for k := p.start; k < p.end; k++ {
		i := k
		if active != nil {
			i = active[k]
		}
		c, maps := v.content.Concept(i)
		page = append(page, listedConcept(c, maps, verbose, withMappings, withRetired))
	}
	s.contentMu.Unlock()
	writePage(w, r, p, page)
}

func listedConcept(c ocl.Concept, maps []ocl.Mapping, verbose, withMappings, withRetired bool) ocl.Concept {
	c.Type = "Concept"
	if !verbose {
		c.Names, c.Descriptions, c.Extras = nil, nil, nil
	}
	c.Mappings = nil
	if withMappings {
		for _, m := range maps {
			if m.Retired && !withRetired {
				continue
			}
			m.Type = "Mapping"
			c.Mappings = append(c.Mappings, m)
		}
	}
	return c
}

// activeConceptIndexes lists the concepts that are not retired, once; contentMu held.
func (v *version) activeConceptIndexes() []int {
	if v.activeConcepts == nil {
		v.activeConcepts = []int{}
		for i := range v.content.Len() {
			if c, _ := v.content.Concept(i); !c.Retired {
				v.activeConcepts = append(v.activeConcepts, i)
			}
		}
	}
	return v.activeConcepts
}

// handleMappings lists the mappings of a version; retired ones only with includeRetired.
func (s *Server) handleMappings(w http.ResponseWriter, r *http.Request) {
	v := s.listingTarget(w, r)
	if v == nil {
		return
	}
	withRetired := queryTrue(r, "includeRetired")
	s.contentMu.Lock()
	all := v.mappingIndexes(withRetired)
	p := readPaging(r, len(all))
	page := make([]ocl.Mapping, 0, p.end-p.start)
	for _, at := range all[p.start:p.end] {
		_, maps := v.content.Concept(at.concept)
		m := maps[at.index]
		m.Type = "Mapping"
		page = append(page, m)
	}
	s.contentMu.Unlock()
	writePage(w, r, p, page)
}

// mappingIndexes lists where each mapping is, once per retired filter; contentMu held.
func (v *version) mappingIndexes(withRetired bool) []mapping {
	k := 0
	if withRetired {
		k = 1
	}
	if !v.mappingsBuilt[k] {
		for i := range v.content.Len() {
			_, maps := v.content.Concept(i)
			for j, m := range maps {
				if withRetired || !m.Retired {
					v.mappings[k] = append(v.mappings[k], mapping{i, j})
				}
			}
		}
		v.mappingsBuilt[k] = true
	}
	return v.mappings[k]
}
