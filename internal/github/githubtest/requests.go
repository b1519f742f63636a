package githubtest

import "net/http"

// Request is one request the server answered.
type Request struct {
	Method string
	// Path is relative to the API root: "/repos/o/r/issues".
	Path  string
	Query string
	// Route is the pattern that served it, as in GitHub's docs:
	// "/repos/{owner}/{repo}/issues"; "" when no route matched.
	Route  string
	Status int
}

// IsWrite reports whether the request asked GitHub to change something. Asking for
// an App installation token is a POST but changes nothing, so it is not a write.
func (r Request) IsWrite() bool {
	if r.Route == routeInstallationToken {
		return false
	}
	return r.Method != http.MethodGet && r.Method != http.MethodHead
}

// Requests returns every request answered so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// CountBy counts requests by method ("" for any) and route pattern.
func (s *Server) CountBy(method, route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if (method == "" || r.Method == method) && r.Route == route {
			n++
		}
	}
	return n
}

// Writes counts the requests that asked to change something, whatever the answer.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.IsWrite() {
			n++
		}
	}
	return n
}

// ResetRequests forgets the request log, so that a test can count from here.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}
