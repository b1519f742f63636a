package ocltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"
)

// Server is a fake OCL API server: stateful, safe for concurrent use, and faithful to the
// status codes, headers and bodies OCL sends (see the package's OCL.md facts). A second
// server plays the S3 storage that exports redirect to.
type Server struct {
	api     *httptest.Server
	storage *httptest.Server
	prefix  string
	dir     string // built export zips
	now     func() time.Time
	mux     *http.ServeMux
	routes  map[string]Route // mux pattern → route

	mu            sync.Mutex
	plan          ExportPlan
	sources       map[string]*source
	requiredToken string
	// upgradeURL, when set, plays REQUIRE_AUTHENTICATION: anonymous requests get 403.
	upgradeURL  string
	objects     map[string]string // storage key → zip path
	faults      []*fault
	latency     time.Duration
	pages       pageLatencyState
	inFlight    int
	maxInFlight int

	// logMu guards the request log alone: handlers answer while holding mu.
	logMu    sync.Mutex
	requests []Request

	// contentMu serialises every use of Content: implementations (SliceContent builds an
	// index on first use) need not be safe for concurrent use.
	contentMu sync.Mutex
}

// Option configures a Server.
type Option func(*Server)

// WithPathPrefix serves the API under a prefix (e.g. "/api"), so that clients building
// absolute paths instead of joining them onto the base URL fail.
func WithPathPrefix(prefix string) Option {
	return func(s *Server) { s.prefix = "/" + strings.Trim(prefix, "/") }
}

// WithClock sets the clock for creation times and time-based export plans.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithExportPlan sets how exports of new and existing versions become ready.
func WithExportPlan(p ExportPlan) Option { return func(s *Server) { s.plan = p } }

// NewServer starts a fake OCL server and its fake storage. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		now:     time.Now,
		plan:    DefaultExportPlan,
		sources: map[string]*source{},
		objects: map[string]string{},
		routes:  map[string]Route{},
	}
	for _, opt := range opts {
		opt(s)
	}
	if s.prefix == "/" {
		s.prefix = ""
	}
	dir, err := os.MkdirTemp("", "ocltest-exports-")
	if err != nil {
		panic(fmt.Sprintf("ocltest: temporary folder for exports: %v", err))
	}
	s.dir = dir
	s.mux = http.NewServeMux()
	s.registerRoutes()
	s.api = httptest.NewServer(s.handler(OriginAPI, s.serveAPI))
	s.storage = httptest.NewServer(s.handler(OriginStorage, s.serveStorage))
	return s
}

// URL is the API's base URL, path prefix included.
func (s *Server) URL() string { return s.api.URL + s.prefix }

// StorageURL is the base URL of the fake S3 that exports redirect to.
func (s *Server) StorageURL() string { return s.storage.URL }

// Close stops both servers and removes the built exports.
func (s *Server) Close() {
	s.api.Close()
	s.storage.Close()
	os.RemoveAll(s.dir)
}

// RequireToken makes every request need "Authorization: Token tok", as newer OCL servers
// do even for public sources (401 otherwise).
func (s *Server) RequireToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requiredToken = tok
}

// DefaultUpgradeURL is where OCL sends anonymous users to sign up.
const DefaultUpgradeURL = "https://app.openconceptlab.org/#/accounts/signup"

// RequireAuthentication plays a server run with REQUIRE_AUTHENTICATION (OCL, 2026):
// every API request without an Authorization header, whatever its route, is answered
// 403 with {"detail": ..., "upgrade_url": upgradeURL} before anything else is looked
// at (OCL.md, "Who may do what"; oclapi2 checks it for all routes ahead of the views).
// An empty upgradeURL turns the mode off.
func (s *Server) RequireAuthentication(upgradeURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upgradeURL = upgradeURL
}

// SetExportPlan changes the export plan; versions keep the polls already counted.
func (s *Server) SetExportPlan(p ExportPlan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plan = p
}

// Route names a group of endpoints in the request log and for fault matching.
type Route string

// The routes of the fake.
const (
	RouteSource   Route = "source"   // /orgs/{org}/sources/{source}/
	RouteVersions Route = "versions" // …/versions/ (list, create)
	RouteVersion  Route = "version"  // …/{version}/ (read, release flag); latest/ too
	RouteExport   Route = "export"   // …/{version}/export/
	RouteConcepts Route = "concepts" // …/{version}/concepts/ and …/concepts/ (HEAD)
	RouteMappings Route = "mappings" // …/{version}/mappings/ and …/mappings/ (HEAD)
	RouteStorage  Route = "storage"  // the fake S3
	RouteUnknown  Route = "unknown"
)

// Origins of requests in the log.
const (
	OriginAPI     = "api"
	OriginStorage = "storage"
)

// Request is one request as the fake saw it.
type Request struct {
	Origin  string // OriginAPI or OriginStorage
	Method  string
	Path    string
	Query   string
	Route   Route
	Status  int
	HadAuth bool // an Authorization header was sent
	Fault   string
}

// Requests returns the request log, oldest first.
func (s *Server) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count is the number of requests seen for a route with a method ("" for any method).
func (s *Server) Count(method string, route Route) int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Route == route && (method == "" || r.Method == method) {
			n++
		}
	}
	return n
}

// Counts is the number of requests by "METHOD route", e.g. "GET export".
func (s *Server) Counts() map[string]int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := map[string]int{}
	for _, r := range s.requests {
		out[r.Method+" "+string(r.Route)]++
	}
	return out
}

// MaxInFlight is the largest number of API requests handled at the same time.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

func (s *Server) registerRoutes() {
	src := s.prefix + "/orgs/{org}/sources/{source}/"
	routes := []struct {
		pattern string
		route   Route
		handle  http.HandlerFunc
	}{
		{src + "{$}", RouteSource, s.handleSource},
		{src + "versions/{$}", RouteVersions, s.handleVersions},
		{src + "{version}/{$}", RouteVersion, s.handleVersion},
		{src + "{version}/export/{$}", RouteExport, s.handleExport},
		{src + "{version}/concepts/{$}", RouteConcepts, s.handleConcepts},
		{src + "concepts/{$}", RouteConcepts, s.handleConcepts},
		{src + "{version}/mappings/{$}", RouteMappings, s.handleMappings},
		{src + "mappings/{$}", RouteMappings, s.handleMappings},
	}
	for _, r := range routes {
		s.mux.HandleFunc(r.pattern, r.handle)
		s.routes[r.pattern] = r.route
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	upgradeURL := s.upgradeURL
	s.mu.Unlock()
	if upgradeURL != "" && r.Header.Get("Authorization") == "" {
		writeJSON(w, http.StatusForbidden, map[string]string{
			"detail":      "Authentication credentials were not provided.",
			"upgrade_url": upgradeURL,
		})
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/") {
		// Django's APPEND_SLASH: a redirect that turns a POST into a GET without its body.
		target := r.URL.Path + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routeOf(origin string, r *http.Request) Route {
	if origin == OriginStorage {
		return RouteStorage
	}
	if _, pattern := s.mux.Handler(r); pattern != "" {
		if route, ok := s.routes[pattern]; ok {
			return route
		}
	}
	return RouteUnknown
}

// handler wraps an origin's handler with the request log, latency and faults. The delay
// is waited outside every lock, so that pages asked at the same time wait together.
func (s *Server) handler(origin string, serve http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := Request{
			Origin:  origin,
			Method:  r.Method,
			Path:    r.URL.Path,
			Query:   r.URL.RawQuery,
			Route:   s.routeOf(origin, r),
			HadAuth: r.Header.Get("Authorization") != "",
		}
		latency, f := s.begin(origin, req)
		defer s.end(origin)
		if latency > 0 {
			select {
			case <-time.After(latency):
			case <-r.Context().Done():
				return
			}
		}
		// The entry is logged as soon as the status is known: a client may read the whole
		// answer before the handler returns.
		rec := &statusRecorder{ResponseWriter: w, logged: func(status int) {
			req.Status = status
			s.logMu.Lock()
			s.requests = append(s.requests, req)
			s.logMu.Unlock()
		}}
		switch {
		case f == nil:
			serve(rec, r)
		case f.cut:
			req.Fault = "cut"
			cutConnection(w, r, serve, rec.log)
		default:
			req.Fault = "fail"
			for k, v := range f.header {
				w.Header()[k] = v
			}
			writeDetail(rec, f.status, "Injected failure.")
		}
		rec.log(http.StatusOK) // a handler that wrote nothing answered 200
	})
}

// begin counts the request in flight and picks the fault it should suffer, if any.
func (s *Server) begin(origin string, req Request) (time.Duration, *fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if origin == OriginAPI {
		s.inFlight++
		s.maxInFlight = max(s.maxInFlight, s.inFlight)
	}
	return s.latency + s.pageDelay(req), s.takeFault(req)
}

func (s *Server) end(origin string) {
	if origin != OriginAPI {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
}

// statusRecorder reports the status once, when the handler first writes.
type statusRecorder struct {
	http.ResponseWriter
	logged func(status int)
	done   bool
}

func (r *statusRecorder) log(status int) {
	if !r.done {
		r.done = true
		r.logged(status)
	}
}

func (r *statusRecorder) WriteHeader(status int) {
	r.log(status)
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.log(http.StatusOK)
	return r.ResponseWriter.Write(b)
}

// writeJSON answers with a JSON body.
// Like Django REST framework's JSONRenderer it leaves <, > and & as they are (no HTML
// escaping) and ends without a newline.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(bytes.TrimSuffix(body.Bytes(), []byte("\n")))
}

// writeDetail answers with OCL's error shape, {"detail": "..."}.
func writeDetail(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]string{"detail": detail})
}

// token checks the Authorization header and answers 401 itself (returning false) when
// the request may not go on.
func (s *Server) token(w http.ResponseWriter, r *http.Request, write bool) (string, bool) {
	s.mu.Lock()
	tok, status, detail := s.checkToken(r, write)
	s.mu.Unlock()
	if status != 0 {
		writeDetail(w, status, detail)
		return "", false
	}
	return tok, true
}

// checkToken refuses (401) a missing or wrong token when one is required, and a missing
// one for writes; status is 0 when the request may go on. s.mu must be held.
func (s *Server) checkToken(r *http.Request, write bool) (tok string, status int, detail string) {
	auth := r.Header.Get("Authorization")
	tok, hasToken := strings.CutPrefix(auth, "Token ")
	switch {
	case auth == "" && (s.requiredToken != "" || write):
		return "", http.StatusUnauthorized, "Authentication credentials were not provided."
	case auth != "" && (!hasToken || tok == "" || (s.requiredToken != "" && tok != s.requiredToken)):
		return "", http.StatusUnauthorized, "Invalid token."
	}
	return tok, 0, ""
}
