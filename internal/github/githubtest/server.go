// Package githubtest is a stateful fake of GitHub's REST API for tests and the demo.
//
// It serves the routes the bot uses (issues, comments, labels, statuses, check runs,
// pulls, contents, git refs, releases, collaborators, the App token flow, and the settings
// `shepherd doctor` reads: Actions, workflows, branch protection and rulesets) under the
// path prefix GitHub Enterprise uses, /api/v3/, so that a client that ignores its
// configured base URL fails. Responses carry GitHub's shapes, errors, rate-limit headers
// and ETags, and faults can be injected. Tokens can be limited to permissions (403
// "Resource not accessible by integration") and a repository's Issues turned off (410). Every request is logged so that tests can
// assert how many calls, and how many writes, a piece of code made.
package githubtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

// apiPrefix is where the API lives, as on GitHub Enterprise Server.
const apiPrefix = "/api/v3"

// DefaultLogin is who requests act as when no token is configured (authentication off).
const DefaultLogin = "shepherd-bot"

// Server is a fake GitHub. It is safe for concurrent use: requests are served one at
// a time, in full, under a single lock.
type Server struct {
	srv    *httptest.Server
	routes []route
	now    func() time.Time

	mu     sync.Mutex
	nextID int64
	repos  map[string]*repo // by lower-case "owner/name"
	// teamMembers are memberships by lower-case "org/team-slug", then lower-case login:
	// "active" or "pending".
	teamMembers map[string]map[string]string
	// teamRepos are the repositories a team may access, by lower-case "org/team-slug",
	// then lower-case "owner/name": the team's permission (pull ... admin).
	teamRepos          map[string]map[string]string
	teamIDs            map[string]int64     // by lower-case "org/team-slug", given on first sight
	tokens             map[string]string    // configured token -> login
	installationTokens map[string]time.Time // App installation token -> expiry
	// tokenPermissions limits the tokens given with WithTokenPermissions.
	tokenPermissions map[string]Permissions
	// tokenScopes are the scopes of the classic personal access tokens given with
	// WithTokenScopes.
	tokenScopes             map[string]string
	installationPermissions Permissions
	rate                    rateLimit
	faults                  []*fault
	requests                []Request
	installationID          int64
	secondaryRetryAfter     time.Duration
}

// Option configures a Server.
type Option func(*Server)

// WithClock makes the server read time from now: timestamps, token expiry and the
// rate-limit window all follow it.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// WithToken accepts token as the credentials of login. Once any token is configured,
// every request must carry a known one ("token X" or "Bearer X"), or gets a 401.
func WithToken(token, login string) Option {
	return func(s *Server) { s.tokens[token] = login }
}

// WithTokenScopes accepts token as a classic personal access token of login with the given
// OAuth scopes ("repo, workflow"). Like GitHub, every answer to it carries the scopes in
// X-OAuth-Scopes (https://docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps);
// the fake reports them but does not limit the token by them.
func WithTokenScopes(token, login, scopes string) Option {
	return func(s *Server) {
		s.tokens[token] = login
		s.tokenScopes[token] = scopes
	}
}

// WithRateLimit sets the primary rate limit per hour (5000 by default, as for a token).
func WithRateLimit(limit int) Option {
	return func(s *Server) { s.rate.limit = limit }
}

// WithInstallation sets the id of the GitHub App installation that every repository
// belongs to (1 by default).
func WithInstallation(id int64) Option {
	return func(s *Server) { s.installationID = id }
}

// WithSecondaryRetryAfter sets the Retry-After of injected secondary rate limits
// (60s by default). go-github refuses to send anything until it has passed, so tests
// that go on after one usually want 0.
func WithSecondaryRetryAfter(d time.Duration) Option {
	return func(s *Server) { s.secondaryRetryAfter = d }
}

// NewServer starts a fake GitHub. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		now:                     time.Now,
		repos:                   map[string]*repo{},
		teamMembers:             map[string]map[string]string{},
		teamRepos:               map[string]map[string]string{},
		teamIDs:                 map[string]int64{},
		tokens:                  map[string]string{},
		installationTokens:      map[string]time.Time{},
		tokenPermissions:        map[string]Permissions{},
		tokenScopes:             map[string]string{},
		installationPermissions: checkPermissions(DefaultInstallationPermissions),
		rate:                    rateLimit{limit: 5000},
		installationID:          1,
		secondaryRetryAfter:     60 * time.Second,
	}
	for _, opt := range opts {
		opt(s)
	}
	s.registerRoutes()
	s.srv = httptest.NewServer(s)
	return s
}

// URL is the API base URL to give go-github (BaseURL), ending in "/".
func (s *Server) URL() string { return s.srv.URL + apiPrefix + "/" }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Client returns a go-github client pointed at the server, authenticated with the
// first configured token (any token when authentication is off).
func (s *Server) Client(t testing.TB) *github.Client {
	t.Helper()
	return s.ClientWithToken(t, s.anyToken())
}

// ClientWithToken returns a go-github client pointed at the server that sends token.
func (s *Server) ClientWithToken(t testing.TB, token string) *github.Client {
	t.Helper()
	c, err := github.NewClient(s.srv.Client()).WithAuthToken(token).WithEnterpriseURLs(s.URL(), s.URL())
	if err != nil {
		t.Fatalf("githubtest: pointing a client at %s: %v", s.URL(), err)
	}
	return c
}

// clock is the current time as GitHub reports it: UTC, whole seconds.
func (s *Server) clock() time.Time { return s.now().UTC().Truncate(time.Second) }

func (s *Server) anyToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := ""
	for token := range s.tokens {
		if best == "" || token < best { // deterministic choice
			best = token
		}
	}
	if best == "" {
		return "ghp_githubtest"
	}
	return best
}

func (s *Server) registerRoutes() {
	s.registerSettingsRoutes() // before repos: /branches/{branch}/protection is not a branch name
	s.registerRepoRoutes()
	s.registerGitRoutes()
	s.registerContentRoutes()
	s.registerCommentRoutes() // before issues: /issues/comments/{id} is not an issue number
	s.registerIssueRoutes()
	s.registerLabelRoutes()
	s.registerStatusRoutes()
	s.registerCheckRoutes()
	s.registerPullRoutes()
	s.registerReleaseRoutes()
	s.registerAppRoutes()
	s.registerUserRoutes()
	s.registerTeamRoutes()
}

// ServeHTTP answers one API request: faults first (they come from GitHub's front end),
// then authentication and the primary rate limit, then the route, then conditional
// GETs. The whole response is buffered so that headers can be settled last.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()

	now := s.clock()
	s.rate.roll(now)
	rec := newRecorder()
	rt, params := s.match(r)
	routeName := rt.name()
	s.serve(rec, r, rt, params, now)
	rec.Header().Set("X-GitHub-Request-Id", requestID(len(s.requests)+1))
	rec.flush(w)
	s.requests = append(s.requests, Request{
		Method: r.Method,
		Path:   apiPath(r),
		Query:  r.URL.RawQuery,
		Route:  routeName,
		Status: rec.status,
	})
}

// serve fills rec. Like GitHub, a 304 does not count against the rate limit.
func (s *Server) serve(rec *recorder, r *http.Request, rt *route, params map[string]string, now time.Time) {
	c := &call{s: s, w: rec, r: r, rt: rt, params: params, now: now}
	if f := s.takeFault(r.Method, rt.name(), apiPath(r)); f != nil {
		s.writeFault(rec, c, f)
		return
	}
	if !s.authenticate(c, rt) {
		s.rate.writeHeaders(rec)
		return
	}
	if s.rate.exhausted() {
		s.writePrimaryLimit(rec, c)
		return
	}
	switch {
	case rt == nil:
		c.notFound()
	case rt.needsRepo && !c.resolveRepo():
		c.notFound()
	case !c.authorize(rt): // organization routes (teams) need permissions too
	case rt.needsRepo && c.issuesGone(rt):
	default:
		rt.handle(c)
	}
	if !applyETag(rec, r) {
		s.rate.used++
	}
	s.rate.writeHeaders(rec)
}

// apiPath is the request's path relative to the API root.
func apiPath(r *http.Request) string { return strings.TrimPrefix(r.URL.Path, apiPrefix) }

// call is one request as a handler sees it.
type call struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	rt     *route // nil when no route serves the path
	params map[string]string
	now    time.Time
	login  string
	// installation is set when the caller used an App installation token.
	installation bool
	// permissions limit what the caller's token may do; nil when it is not limited.
	permissions Permissions
	repo        *repo
}

func (c *call) param(name string) string { return c.params[name] }

func (c *call) resolveRepo() bool {
	c.repo = c.s.repos[repoKey(c.param("owner"), c.param("repo"))]
	return c.repo != nil
}
