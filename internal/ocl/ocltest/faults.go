package ocltest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// Matcher selects requests for a fault. It sees the request's Origin, Method, Path,
// Query and Route (not its Status, which is not known yet).
type Matcher func(Request) bool

// On matches one route, for one method or for any ("").
func On(method string, route Route) Matcher {
	return func(r Request) bool {
		return r.Route == route && (method == "" || r.Method == method)
	}
}

// AnyRequest matches every request to the API (not to storage).
func AnyRequest(r Request) bool { return r.Origin == OriginAPI }

type fault struct {
	match  Matcher
	left   int
	status int
	header http.Header
	cut    bool
}

// Fail answers the next n matching requests with status (5xx, 429, …), the given headers
// (e.g. Retry-After) and {"detail": "Injected failure."}, without touching any state.
func (s *Server) Fail(m Matcher, n, status int, header http.Header) {
	s.addFault(&fault{match: m, left: n, status: status, header: header.Clone()})
}

// Cut serves the next n matching requests normally but closes the connection halfway
// through the body, after announcing its full length. State changes of the request stay.
func (s *Server) Cut(m Matcher, n int) {
	s.addFault(&fault{match: m, left: n, cut: true})
}

// SetLatency delays every request (API and storage) by d before it is handled.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

func (s *Server) addFault(f *fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// takeFault consumes the first fault that matches; s.mu must be held.
func (s *Server) takeFault(req Request) *fault {
	for i, f := range s.faults {
		if f.left > 0 && f.match(req) {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
			return f
		}
	}
	return nil
}

// cutConnection runs serve into a buffer, then writes the status, the headers (with the
// full Content-Length) and half of the body on the raw connection, and closes it.
func cutConnection(w http.ResponseWriter, r *http.Request, serve http.HandlerFunc, logStatus func(int)) {
	rec := httptest.NewRecorder()
	serve(rec, r)
	logStatus(rec.Code)
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(fmt.Sprintf("ocltest: cannot cut the connection: %v", err))
	}
	defer conn.Close()
	body := rec.Body.Bytes()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", rec.Code, http.StatusText(rec.Code))
	header := rec.Header().Clone()
	header.Set("Content-Length", strconv.Itoa(len(body)))
	header.Del("Transfer-Encoding")
	header.Write(buf)
	buf.WriteString("\r\n")
	buf.Write(body[:len(body)/2])
	_ = buf.Flush()
}

// crashPlan is how the next version's export fails.
type crashPlan struct{ seedingReads int }

// CrashNextExport makes the export of the next version created of a source fail the way
// OCL's fail: the version is seeded (GET of the version answers is_processing: true for
// its first seedingReads reads, then false), but its export task dies, and GET …/export/
// answers 204 forever. OCL starts the export task once, at the end of seeding, and
// nothing starts it again (OpenConceptLab/oclapi2 core/common/tasks.py,
// seed_children_to_new_version); the export view answers 204 whenever no export file
// exists and no export task runs (core/common/mixins.py, ConceptContainerExportMixin.get).
// Only POST …/export/ starts a new task; the fake then follows its export plan from the
// start.
func (s *Server) CrashNextExport(org, id string, seedingReads int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustSource(org, id).nextCrash = &crashPlan{seedingReads: seedingReads}
}

// applyCrash gives a new version the crash asked for, once; Server.mu held.
func (src *source) applyCrash(v *version) {
	if src.nextCrash == nil {
		return
	}
	v.crashed, v.seedingReads = true, src.nextCrash.seedingReads
	src.nextCrash = nil
}

// requeueCrashed is what a POST …/export/ does to a crashed export: a new export task
// starts, so the lifecycle begins again (none, building, ready). A POST while the version
// is still being seeded is remembered: OCL would export a half-copied version.
// Server.mu held.
func (s *Server) requeueCrashed(v *version) {
	if v.seedingReads > 0 {
		v.postedWhileProcessing = true
	}
	if v.crashed {
		v.crashed = false
		v.polls, v.created = 0, s.now()
	}
}

// ExportAskedWhileProcessing reports whether anyone POSTed the export of a version while
// it was still being seeded.
func (s *Server) ExportAskedWhileProcessing(org, id, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.mustSource(org, id).find(name)
	return v != nil && v.postedWhileProcessing
}
