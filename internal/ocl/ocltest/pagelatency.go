package ocltest

import (
	"math/rand/v2"
	"net/http"
	"time"
)

// PageLatency is how long each page of a concept or mapping listing takes to answer.
//
// OCL pages listings by offset: page and limit (at most 1000) in the query, and the
// headers num_found, num_returned, pages, page_number and next on every page
// (OpenConceptLab/oclapi2 core/common/mixins.py, CustomPaginator and
// ListWithHeadersMixin.list). Each page is a request of its own that the server answers
// after serialising its items, which with verbose=true&includeMappings=true costs several
// database queries per mapping: pages are slow, and a reader that waits for one before
// asking the next waits for their sum.
type PageLatency struct {
	// Base is what every page waits before it is served.
	Base time.Duration
	// Jitter adds a uniformly random extra in [0, Jitter) to each page.
	Jitter time.Duration
	// Seed seeds the jitter. The draws are taken in the order the pages arrive, so
	// concurrent readers get the same delays in a possibly different order.
	Seed uint64
}

// Max is the longest a page may wait.
func (p PageLatency) Max() time.Duration { return p.Base + p.Jitter }

// Mean is what a page waits on average.
func (p PageLatency) Mean() time.Duration { return p.Base + p.Jitter/2 }

// PageWaits is what the pages of listings waited so far.
type PageWaits struct {
	Pages   int           // listing pages delayed
	Total   time.Duration // the sum of their delays: what reading them one by one waits
	Slowest time.Duration // the longest single delay
}

// pageLatencyState is the server's page latency and what it has drawn. Server.mu guards it.
type pageLatencyState struct {
	latency PageLatency
	rng     *rand.Rand
	waits   PageWaits
}

// WithPageLatency delays every GET of a concept or mapping listing page (see PageLatency),
// on top of SetLatency's delay for every request.
func WithPageLatency(p PageLatency) Option {
	return func(s *Server) { s.setPageLatency(p) }
}

// SetPageLatency changes the delay of listing pages; the zero PageLatency turns it off.
// What pages waited so far is forgotten.
func (s *Server) SetPageLatency(p PageLatency) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPageLatency(p)
}

func (s *Server) setPageLatency(p PageLatency) {
	s.pages = pageLatencyState{latency: p, rng: rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15))}
}

// PageWaits reports what listing pages waited since the page latency was set.
func (s *Server) PageWaits() PageWaits {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pages.waits
}

// pageDelay draws the delay of a request: only GETs of listing pages wait (a HEAD of a
// listing only counts, OpenConceptLab/oclapi2 ListWithHeadersMixin.head). Server.mu held.
func (s *Server) pageDelay(req Request) time.Duration {
	p := &s.pages
	if p.latency == (PageLatency{}) || req.Method != http.MethodGet ||
		(req.Route != RouteConcepts && req.Route != RouteMappings) {
		return 0
	}
	d := p.latency.Base
	if p.latency.Jitter > 0 {
		d += time.Duration(p.rng.Int64N(int64(p.latency.Jitter)))
	}
	p.waits.Pages++
	p.waits.Total += d
	p.waits.Slowest = max(p.waits.Slowest, d)
	return d
}
