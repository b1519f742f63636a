package githubtest

import "net/http"

// Fault is a failure the server can be told to answer with.
type Fault int

const (
	// BadGateway is a 502 with an HTML body, as GitHub's front end sends when the API
	// behind it fails: go-github gets an *ErrorResponse with no message.
	BadGateway Fault = iota + 1
	// ServerError is a 500 with GitHub's JSON error body.
	ServerError
	// PrimaryRateLimit is a 403 with X-RateLimit-Remaining: 0 (a *github.RateLimitError).
	PrimaryRateLimit
	// SecondaryRateLimit is a 403 with Retry-After (a *github.AbuseRateLimitError).
	SecondaryRateLimit
	// SecondaryRateLimitNoRetryAfter is a secondary limit's 403 without Retry-After,
	// X-RateLimit-Remaining not 0 and X-RateLimit-Reset as usual: GitHub asks to wait at
	// least a minute then, not until the reset.
	// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
	SecondaryRateLimitNoRetryAfter
	// SecondaryRateLimitTooManyRequests is the same without Retry-After, as a 429:
	// GitHub answers secondary limits with 403 or 429 (same page).
	SecondaryRateLimitTooManyRequests
)

// Match selects requests. Empty fields match anything; Route is a pattern as in
// Request.Route ("/repos/{owner}/{repo}/issues"), Path a concrete path ("/repos/o/r/issues").
type Match struct {
	Method string
	Route  string
	Path   string
}

func (m Match) matches(method, route, path string) bool {
	return (m.Method == "" || m.Method == method) &&
		(m.Route == "" || m.Route == route) &&
		(m.Path == "" || m.Path == path)
}

type fault struct {
	match Match
	left  int
	kind  Fault
}

// FailNext makes the next n requests that m selects fail with f. Faults are answered
// before authentication and routing, as GitHub's front end would, and do not count
// against the rate limit.
func (s *Server) FailNext(m Match, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{match: m, left: n, kind: f})
}

// takeFault returns the fault to answer this request with, if any, using it up.
func (s *Server) takeFault(method, route, path string) *fault {
	for i, f := range s.faults {
		if !f.match.matches(method, route, path) {
			continue
		}
		f.left--
		if f.left <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f
	}
	return nil
}

func (s *Server) writeFault(w http.ResponseWriter, c *call, f *fault) {
	switch f.kind {
	case BadGateway:
		s.rate.writeHeaders(w)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><head><title>502 Bad Gateway</title></head>" +
			"<body><h1>502 Bad Gateway</h1><p>Server Error</p></body></html>\n"))
	case ServerError:
		s.rate.writeHeaders(w)
		writeJSON(w, http.StatusInternalServerError, apiError{Message: "Server Error", DocumentationURL: docsURL, Status: "500"})
	case PrimaryRateLimit:
		s.writePrimaryLimit(w, c)
	case SecondaryRateLimit:
		s.writeSecondaryLimit(w, http.StatusForbidden, true)
	case SecondaryRateLimitNoRetryAfter:
		s.writeSecondaryLimit(w, http.StatusForbidden, false)
	case SecondaryRateLimitTooManyRequests:
		s.writeSecondaryLimit(w, http.StatusTooManyRequests, false)
	}
}
