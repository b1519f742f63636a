package githubtest

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// repo is one repository's whole state.
type repo struct {
	id            int64
	owner, name   string
	defaultBranch string
	// issuesDisabled is the repository's Issues feature turned off.
	issuesDisabled bool

	commits map[string]*commit
	refs    map[string]string // full ref name ("refs/heads/main") -> commit sha

	issues        []*issue // issues and pull requests share numbers: issues[n-1]
	comments      []*comment
	labels        []*label
	statuses      []*status
	checkRuns     []*checkRun
	releases      []*release
	collaborators map[string]string // lower-case login -> role
}

func repoKey(owner, name string) string { return strings.ToLower(owner + "/" + name) }

func (s *Server) newID() int64 {
	s.nextID++
	return s.nextID
}

// nodeID imitates GitHub's opaque global ids.
func nodeID(kind string, key any) string { return fmt.Sprintf("%s_kwFake%v", kind, key) }

// AddRepo creates a repository whose default branch holds one empty commit.
func (s *Server) AddRepo(owner, name, defaultBranch string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := repoKey(owner, name)
	if s.repos[key] != nil {
		panic(fmt.Sprintf("githubtest: repository %s/%s already exists", owner, name))
	}
	rp := &repo{
		id:            s.newID(),
		owner:         owner,
		name:          name,
		defaultBranch: defaultBranch,
		commits:       map[string]*commit{},
		refs:          map[string]string{},
		collaborators: map[string]string{strings.ToLower(owner): "admin"},
	}
	root := rp.addCommit("Initial commit", nil, map[string]string{}, s.clock())
	rp.refs[branchRef(defaultBranch)] = root.sha
	s.repos[key] = rp
}

// mustRepo is for the seeding methods: naming a repository that was never added is a bug in
// the test.
func (s *Server) mustRepo(owner, name string) *repo {
	rp := s.repos[repoKey(owner, name)]
	if rp == nil {
		panic(fmt.Sprintf("githubtest: no repository %s/%s (call AddRepo first)", owner, name))
	}
	return rp
}

// AddCollaborator gives login a role on the repository: admin, maintain, write,
// triage or read.
func (s *Server) AddCollaborator(owner, repo, login, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch role {
	case "admin", "maintain", "write", "triage", "read":
	default:
		panic(fmt.Sprintf("githubtest: unknown role %q for %s", role, login))
	}
	s.mustRepo(owner, repo).collaborators[strings.ToLower(login)] = role
}

// InstallationID is the id of the App installation every repository belongs to.
func (s *Server) InstallationID() int64 { return s.installationID }

func (s *Server) registerRepoRoutes() {
	s.handle("GET", "/repos/{owner}/{repo}", (*call).getRepo)
	s.handle("GET", "/repos/{owner}/{repo}/branches/{branch...}", (*call).getBranch)
	s.handle("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", (*call).getPermission)
	s.handle("GET", "/repos/{owner}/{repo}/collaborators/{username}", (*call).checkCollaborator)
}

func (c *call) getRepo() { c.json(http.StatusOK, c.s.repository(c.repo)) }

func (c *call) getBranch() {
	branch := c.param("branch")
	head := c.repo.commits[c.repo.refs[branchRef(branch)]]
	if head == nil {
		c.fail(http.StatusNotFound, "Branch not found")
		return
	}
	c.json(http.StatusOK, &github.Branch{
		Name:      ptr(branch),
		Commit:    &github.RepositoryCommit{SHA: ptr(head.sha), Commit: c.commitJSON(head)},
		Protected: ptr(false),
	})
}

// getPermission answers with the legacy "permission" (admin, write, read or none)
// and the finer "role_name", as GitHub does.
func (c *call) getPermission() {
	login := c.param("username")
	role := c.repo.collaborators[strings.ToLower(login)]
	permission := map[string]string{"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}[role]
	if role == "" {
		role, permission = "none", "none"
	}
	c.json(http.StatusOK, map[string]any{
		"permission": permission,
		"role_name":  role,
		"user":       c.s.user(login),
	})
}

func (c *call) checkCollaborator() {
	if c.repo.collaborators[strings.ToLower(c.param("username"))] == "" {
		c.notFound()
		return
	}
	c.noContent()
}

// Links as GitHub Enterprise builds them: the API under /api/v3, pages at the root.

func (s *Server) apiURL(format string, args ...any) string {
	return s.srv.URL + apiPrefix + fmt.Sprintf(format, args...)
}

func (s *Server) htmlURL(format string, args ...any) string {
	return s.srv.URL + fmt.Sprintf(format, args...)
}

func (rp *repo) fullName() string { return rp.owner + "/" + rp.name }

func (s *Server) user(login string) *github.User {
	kind := "User"
	if strings.HasSuffix(login, "[bot]") {
		kind = "Bot"
	}
	id := userID(login)
	return &github.User{
		Login:   ptr(login),
		ID:      ptr(id),
		NodeID:  ptr(nodeID("U", id)),
		Type:    ptr(kind),
		URL:     ptr(s.apiURL("/users/%s", login)),
		HTMLURL: ptr(s.htmlURL("/%s", login)),
	}
}

func (s *Server) repository(rp *repo) *github.Repository {
	return &github.Repository{
		ID:            ptr(rp.id),
		NodeID:        ptr(nodeID("R", rp.id)),
		Name:          ptr(rp.name),
		FullName:      ptr(rp.fullName()),
		Owner:         s.user(rp.owner),
		DefaultBranch: ptr(rp.defaultBranch),
		HasIssues:     ptr(!rp.issuesDisabled),
		URL:           ptr(s.apiURL("/repos/%s", rp.fullName())),
		HTMLURL:       ptr(s.htmlURL("/%s", rp.fullName())),
	}
}

// timestamp is a time as GitHub writes it: UTC, whole seconds.
func timestamp(t time.Time) *github.Timestamp {
	return &github.Timestamp{Time: t.UTC().Truncate(time.Second)}
}

// optionalTimestamp is nil for the zero time, so that "closed_at" of an open issue is absent.
func optionalTimestamp(t time.Time) *github.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamp(t)
}
