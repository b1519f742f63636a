package ocltest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
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

	s.mu.Lock()
	moved := v.takeMoves()
	s.mu.Unlock()

	s.contentMu.Lock()
	total := v.content.Len()
	var active []int
	if !withRetired {
		active = v.activeConceptIndexes()
		total = len(active)
	}
	if len(moved) > 0 {
		active = listingOrder(moved, active, v.content.Len())
	}
	p := readPaging(r, total)
	page := make([]json.RawMessage, 0, p.end-p.start)
	for k := p.start; k < p.end; k++ {
		i := k
		if active != nil {
			i = active[k]
		}
		page = append(page, listedConcept(v.content, servedOf(r), i, verbose, withMappings, withRetired))
	}
	s.contentMu.Unlock()
	writePage(w, r, p, page)
}

// activeConceptIndexes lists the concepts that are not retired, once; contentMu held.
func (v *version) activeConceptIndexes() []int {
	if v.activeConcepts == nil {
		v.activeConcepts = []int{}
		for i := range v.content.Len() {
			if c, _ := rowsOf(v.content, i); !c.Retired {
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
	page := make([]json.RawMessage, 0, p.end-p.start)
	for _, at := range all[p.start:p.end] {
		page = append(page, listedMapping(v.content, servedOf(r), at.concept, at.index))
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
			_, maps := rowsOf(v.content, i)
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

// pendingMove is an edit that happens after some more pages of the listing were served.
type pendingMove struct {
	afterPages int // pages served (since the edit was planned) before it happens
	concept    int // content index of the concept edited
}

// EditDuringListing plans an edit of the concept with id conceptID in HEAD once
// afterPages more pages of HEAD's concept listing have been served. The edit moves the
// concept to the front of the listing, as OCL lists by last edit first with offset paging
// (OpenConceptLab/oclapi2 core/common/views.py: default_qs_sort_attr = '-updated_at'):
// a client reading page by page then gets one concept twice and misses the edited one,
// while num_found still matches. Content is unchanged; only the order moves. SetHead
// drops edits still planned.
func (s *Server) EditDuringListing(org, id, conceptID string, afterPages int) {
	s.mu.Lock()
	head := s.mustSource(org, id).versions[0]
	s.mu.Unlock()
	s.contentMu.Lock()
	index := -1
	for i := range head.content.Len() {
		if c, _ := head.content.Concept(i); c.ID == conceptID {
			index = i
			break
		}
	}
	s.contentMu.Unlock()
	if index < 0 {
		panic(fmt.Sprintf("ocltest: HEAD of %s/%s has no concept %q", org, id, conceptID))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	head.pendingMoves = append(head.pendingMoves, pendingMove{afterPages: head.pagesServed + afterPages, concept: index})
}

// takeMoves counts a page served and applies the edits due before it; it returns the
// concepts moved to the front so far, the latest first. Server.mu held.
func (v *version) takeMoves() []int {
	kept := v.pendingMoves[:0]
	for _, m := range v.pendingMoves {
		if m.afterPages <= v.pagesServed {
			v.movedToFront = append([]int{m.concept}, slices.DeleteFunc(v.movedToFront, func(i int) bool { return i == m.concept })...)
			continue
		}
		kept = append(kept, m)
	}
	v.pendingMoves = kept
	v.pagesServed++
	return slices.Clone(v.movedToFront)
}

// listingOrder is the listing's content indexes with the moved concepts first: base (nil
// for every concept, 0 to n-1) without them, after them. Moved concepts that base leaves
// out (retired ones in a listing without them) stay out.
func listingOrder(moved, base []int, n int) []int {
	if base == nil {
		base = make([]int, n)
		for i := range base {
			base[i] = i
		}
	}
	in := make(map[int]bool, len(base))
	for _, i := range base {
		in[i] = true
	}
	front := map[int]bool{}
	order := make([]int, 0, len(base))
	for _, i := range moved {
		if in[i] {
			front[i] = true
			order = append(order, i)
		}
	}
	for _, i := range base {
		if !front[i] {
			order = append(order, i)
		}
	}
	return order
}
