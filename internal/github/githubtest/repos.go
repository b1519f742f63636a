package githubtest

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"
)

// repo is one repository's whole state.
type repo struct {
	id            int64
	owner, name   string
	defaultBranch string
	// issuesDisabled is the repository's Issues feature turned off.
	issuesDisabled bool
	// private repositories are seen only by those with access; public is the default.
	private bool
	created time.Time
	// parent is the repository this one is a fork of.
	parent *repo
	// pushed is when a commit was last made.
	pushed time.Time

	commits map[string]*commit
	refs    map[string]string // full ref name ("refs/heads/main") -> commit sha

	issues        []*issue // issues and pull requests share numbers: issues[n-1]
	comments      []*comment
	labels        []*label
	statuses      []*status
	checkRuns     []*checkRun
	releases      []*release
	collaborators map[string]string // lower-case login -> role

	// Settings (settings.go).
	actionsDisabled bool
	workflows       []*workflow
	protection      map[string]*BranchRules // branch -> its classic protection rule
	rulesets        []ruleset
	runs            []*workflowRun
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
		created:       s.clock(),
	}
	root := rp.addCommit("Initial commit", nil, map[string]string{}, s.clock())
	rp.refs[branchRef(defaultBranch)] = root.sha
	s.repos[key] = rp
}

// AddFork forks owner/name into forkOwner/name, as a person's fork or a release
// repository made by forking. Like GitHub's forks it shares its parent's commits,
// copies its branches and tags, and starts with Issues turned off.
// https://docs.github.com/pull-requests/collaborating-with-pull-requests/working-with-forks/about-forks
func (s *Server) AddFork(owner, name, forkOwner string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent := s.mustRepo(owner, name)
	key := repoKey(forkOwner, name)
	if s.repos[key] != nil {
		panic(fmt.Sprintf("githubtest: repository %s/%s already exists", forkOwner, name))
	}
	s.repos[key] = &repo{
		id:             s.newID(),
		owner:          forkOwner,
		name:           name,
		defaultBranch:  parent.defaultBranch,
		commits:        parent.commits,
		refs:           maps.Clone(parent.refs),
		collaborators:  map[string]string{strings.ToLower(forkOwner): "admin"},
		created:        s.clock(),
		pushed:         parent.pushed,
		parent:         parent,
		issuesDisabled: true,
	}
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

func (c *call) getRepo() { c.json(http.StatusOK, c.s.repoJSON(c.repo, true)) }

// getBranch answers a "branch-with-protection"; "protected" says whether a classic
// protection rule covers it (settings.go), whose details only the protection route gives.
func (c *call) getBranch() {
	branch := c.param("branch")
	head := c.repo.commits[c.repo.refs[branchRef(branch)]]
	if head == nil {
		c.fail(http.StatusNotFound, "Branch not found")
		return
	}
	self := c.s.apiURL("/repos/%s/branches/%s", c.repo.fullName(), branch)
	c.json(http.StatusOK, object{
		"name":      branch,
		"commit":    c.commitJSON(head),
		"_links":    object{"self": self, "html": c.s.htmlURL("/%s/tree/%s", c.repo.fullName(), branch)},
		"protected": c.repo.protection[branch] != nil,
		"protection": object{
			"enabled":                false,
			"required_status_checks": object{"enforcement_level": "off", "contexts": []string{}, "checks": []any{}},
		},
		"protection_url": self + "/protection",
	})
}

// getPermission answers with the legacy "permission" (admin, write, read or none)
// and the finer "role_name", as GitHub does; the user carries their role too.
// https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user
func (c *call) getPermission() {
	login := c.param("username")
	role := c.repo.collaborators[strings.ToLower(login)]
	permission := map[string]string{"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}[role]
	if role == "" {
		role, permission = "none", "none"
	}
	rank := map[string]int{"read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}[role]
	user := c.s.userJSON(login)
	user["role_name"] = role
	user["permissions"] = object{"pull": rank >= 1, "triage": rank >= 2, "push": rank >= 3, "maintain": rank >= 4, "admin": rank >= 5}
	c.json(http.StatusOK, object{"permission": permission, "role_name": role, "user": user})
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
