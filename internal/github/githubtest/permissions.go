package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Permissions are what a GitHub App installation token or a workflow's GITHUB_TOKEN may
// do: permission name ("contents", "issues", "pull_requests", "statuses", "checks",
// "metadata") -> level ("read" or "write"). Such tokens always hold metadata: read.
// https://docs.github.com/rest/authentication/permissions-required-for-github-apps
type Permissions map[string]string

// Permission names the fake's routes ask for.
const (
	permContents     = "contents"
	permIssues       = "issues"
	permPullRequests = "pull_requests"
	permStatuses     = "statuses"
	permChecks       = "checks"
	permMetadata     = "metadata"
	// Administration covers repository settings, branch protection among them; a workflow's
	// GITHUB_TOKEN can never hold it
	// (https://docs.github.com/actions/writing-workflows/choosing-what-your-workflow-does/controlling-permissions-for-github_token).
	permAdministration = "administration"
	permActions        = "actions"
	// Members is an organization permission (reading teams and their members); a
	// workflow's GITHUB_TOKEN can never hold it, as it has no organization permissions
	// (https://docs.github.com/actions/writing-workflows/choosing-what-your-workflow-does/controlling-permissions-for-github_token).
	permMembers = "members"
)

var knownPermissions = []string{permContents, permIssues, permPullRequests, permStatuses, permChecks, permMetadata,
	permAdministration, permActions, permMembers}

// DefaultInstallationPermissions are what the App's installation tokens carry unless
// WithInstallationPermissions says otherwise: what Shepherd's App asks for.
var DefaultInstallationPermissions = Permissions{
	permContents: "write", permIssues: "write", permPullRequests: "write",
	permStatuses: "write", permChecks: "write", permMetadata: "read",
}

// WithTokenPermissions accepts token as the credentials of login, limited to perms, as
// a workflow's GITHUB_TOKEN is limited by its job's "permissions:". A request its
// route needs a permission for that perms lacks answers 403 "Resource not accessible by
// integration". Tokens given with WithToken are not limited.
func WithTokenPermissions(token, login string, perms Permissions) Option {
	checked := checkPermissions(perms)
	return func(s *Server) {
		s.tokens[token] = login
		s.tokenPermissions[token] = checked
	}
}

// WithInstallationPermissions sets what the App's installation tokens may do
// (DefaultInstallationPermissions when not given).
func WithInstallationPermissions(perms Permissions) Option {
	checked := checkPermissions(perms)
	return func(s *Server) { s.installationPermissions = checked }
}

// checkPermissions copies perms with metadata: read added; an unknown name or level is
// a bug in the test.
func checkPermissions(perms Permissions) Permissions {
	out := Permissions{permMetadata: "read"}
	for name, level := range perms {
		if !slices.Contains(knownPermissions, name) || (level != "read" && level != "write") {
			panic(fmt.Sprintf("githubtest: unknown permission %s: %s", name, level))
		}
		out[name] = level
	}
	return out
}

// grants reports whether perms allow level of name; write implies read.
func (perms Permissions) grants(name, level string) bool {
	have := perms[name]
	return have == "write" || (have == level && have != "")
}

// need is one permission at one level.
type need struct{ name, level string }

func (n need) String() string { return n.name + "=" + n.level }

// endpoint is what the fake knows of one of GitHub's operations besides its handler:
// where it is documented (errors carry that URL as documentation_url) and which
// permissions allow it. Any one of anyOf suffices; an empty anyOf needs none (routes
// the App calls with its JWT).
type endpoint struct {
	docs  string
	anyOf []need
	// orPullRequests routes act on an issue number or issue comment: on a pull request
	// they are also allowed by pull_requests at the same level.
	orPullRequests bool
}

func read(name string) []need  { return []need{{name, "read"}} }
func write(name string) []need { return []need{{name, "write"}} }

// endpoints lists, per "METHOD pattern", each operation's documentation page
// (https://docs.github.com/rest/...; the operation's externalDocs in GitHub's OpenAPI
// description, checked in openapi_test.go) and the permissions GitHub asks of an App or
// GITHUB_TOKEN for it ("Fine-grained access tokens for …" on each operation's page, and
// https://docs.github.com/rest/authentication/permissions-required-for-github-apps).
var endpoints = map[string]endpoint{
	"GET /repos/{owner}/{repo}":                                     {"repos/repos#get-a-repository", read(permMetadata), false},
	"GET /repos/{owner}/{repo}/branches/{branch...}":                {"branches/branches#get-a-branch", read(permContents), false},
	"GET /repos/{owner}/{repo}/collaborators/{username}/permission": {"collaborators/collaborators#get-repository-permissions-for-a-user", read(permMetadata), false},
	"GET /repos/{owner}/{repo}/collaborators/{username}":            {"collaborators/collaborators#check-if-a-user-is-a-repository-collaborator", read(permMetadata), false},
	"GET /orgs/{org}/teams/{team_slug}/memberships/{username}":      {"teams/members#get-team-membership-for-a-user", read(permMembers), false},
	"GET /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}":        {"teams/teams#check-team-permissions-for-a-repository", read(permMembers), false},
	"GET /repos/{owner}/{repo}/tags":                                {"repos/repos#list-repository-tags", read(permMetadata), false},

	"GET /repos/{owner}/{repo}/actions/permissions":                         {"actions/permissions#get-github-actions-permissions-for-a-repository", read(permAdministration), false},
	"GET /repos/{owner}/{repo}/actions/workflows":                           {"actions/workflows#list-repository-workflows", read(permActions), false},
	"GET /repos/{owner}/{repo}/actions/runs":                                {"actions/workflow-runs#list-workflow-runs-for-a-repository", read(permActions), false},
	"POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches": {"actions/workflows#create-a-workflow-dispatch-event", write(permActions), false},
	"GET /repos/{owner}/{repo}/branches/{branch}/protection":                {"branches/branch-protection#get-branch-protection", read(permAdministration), false},
	"GET /repos/{owner}/{repo}/rules/branches/{branch...}":                  {"repos/rules#get-rules-for-a-branch", read(permMetadata), false},

	"GET /repos/{owner}/{repo}/git/ref/{ref...}":           {"git/refs#get-a-reference", read(permContents), false},
	"GET /repos/{owner}/{repo}/git/matching-refs/{ref...}": {"git/refs#list-matching-references", read(permContents), false},
	"POST /repos/{owner}/{repo}/git/refs":                  {"git/refs#create-a-reference", write(permContents), false},
	"PATCH /repos/{owner}/{repo}/git/refs/{ref...}":        {"git/refs#update-a-reference", write(permContents), false},
	"DELETE /repos/{owner}/{repo}/git/refs/{ref...}":       {"git/refs#delete-a-reference", write(permContents), false},
	"GET /repos/{owner}/{repo}/git/commits/{commit_sha}":   {"git/commits#get-a-commit-object", read(permContents), false},

	"GET /repos/{owner}/{repo}/contents/{path...}":    {"repos/contents#get-repository-content", read(permContents), false},
	"PUT /repos/{owner}/{repo}/contents/{path...}":    {"repos/contents#create-or-update-file-contents", write(permContents), false},
	"DELETE /repos/{owner}/{repo}/contents/{path...}": {"repos/contents#delete-a-file", write(permContents), false},

	"GET /repos/{owner}/{repo}/issues/comments/{comment_id}":            {"issues/comments#get-an-issue-comment", read(permIssues), true},
	"PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}":          {"issues/comments#update-an-issue-comment", write(permIssues), true},
	"DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}":         {"issues/comments#delete-an-issue-comment", write(permIssues), true},
	"POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": {"reactions/reactions#create-reaction-for-an-issue-comment", write(permIssues), true},
	"GET /repos/{owner}/{repo}/issues/{issue_number}/comments":          {"issues/comments#list-issue-comments", read(permIssues), true},
	"POST /repos/{owner}/{repo}/issues/{issue_number}/comments":         {"issues/comments#create-an-issue-comment", write(permIssues), true},
	"GET /repos/{owner}/{repo}/issues":                                  {"issues/issues#list-repository-issues", read(permIssues), false},
	"POST /repos/{owner}/{repo}/issues":                                 {"issues/issues#create-an-issue", write(permIssues), false},
	"GET /repos/{owner}/{repo}/issues/{issue_number}":                   {"issues/issues#get-an-issue", read(permIssues), true},
	"PATCH /repos/{owner}/{repo}/issues/{issue_number}":                 {"issues/issues#update-an-issue", write(permIssues), true},
	"GET /repos/{owner}/{repo}/issues/{issue_number}/labels":            {"issues/labels#list-labels-for-an-issue", read(permIssues), true},
	"POST /repos/{owner}/{repo}/issues/{issue_number}/labels":           {"issues/labels#add-labels-to-an-issue", write(permIssues), true},
	"PUT /repos/{owner}/{repo}/issues/{issue_number}/labels":            {"issues/labels#set-labels-for-an-issue", write(permIssues), true},
	"DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels":         {"issues/labels#remove-all-labels-from-an-issue", write(permIssues), true},
	"DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}":  {"issues/labels#remove-a-label-from-an-issue", write(permIssues), true},

	// Repository labels serve issues and pull requests alike.
	"GET /repos/{owner}/{repo}/labels":           {"issues/labels#list-labels-for-a-repository", []need{{permIssues, "read"}, {permPullRequests, "read"}}, false},
	"POST /repos/{owner}/{repo}/labels":          {"issues/labels#create-a-label", []need{{permIssues, "write"}, {permPullRequests, "write"}}, false},
	"GET /repos/{owner}/{repo}/labels/{name}":    {"issues/labels#get-a-label", []need{{permIssues, "read"}, {permPullRequests, "read"}}, false},
	"PATCH /repos/{owner}/{repo}/labels/{name}":  {"issues/labels#update-a-label", []need{{permIssues, "write"}, {permPullRequests, "write"}}, false},
	"DELETE /repos/{owner}/{repo}/labels/{name}": {"issues/labels#delete-a-label", []need{{permIssues, "write"}, {permPullRequests, "write"}}, false},

	"POST /repos/{owner}/{repo}/statuses/{sha}":        {"commits/statuses#create-a-commit-status", write(permStatuses), false},
	"GET /repos/{owner}/{repo}/commits/{ref}/statuses": {"commits/statuses#list-commit-statuses-for-a-reference", read(permStatuses), false},
	"GET /repos/{owner}/{repo}/commits/{ref}/status":   {"commits/statuses#get-the-combined-status-for-a-specific-reference", read(permStatuses), false},

	"POST /repos/{owner}/{repo}/check-runs":                 {"reference/checks#create-a-check-run", write(permChecks), false},
	"GET /repos/{owner}/{repo}/check-runs/{check_run_id}":   {"checks/runs#get-a-check-run", read(permChecks), false},
	"PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": {"checks/runs#update-a-check-run", write(permChecks), false},
	"GET /repos/{owner}/{repo}/commits/{ref}/check-runs":    {"checks/runs#list-check-runs-for-a-git-reference", read(permChecks), false},

	"GET /repos/{owner}/{repo}/pulls":                       {"pulls/pulls#list-pull-requests", read(permPullRequests), false},
	"POST /repos/{owner}/{repo}/pulls":                      {"pulls/pulls#create-a-pull-request", write(permPullRequests), false},
	"GET /repos/{owner}/{repo}/pulls/{pull_number}":         {"pulls/pulls#get-a-pull-request", read(permPullRequests), false},
	"GET /repos/{owner}/{repo}/pulls/{pull_number}/files":   {"pulls/pulls#list-pull-requests-files", read(permPullRequests), false},
	"GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews": {"pulls/reviews#list-reviews-for-a-pull-request", read(permPullRequests), false},
	"GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls":  {"commits/commits#list-pull-requests-associated-with-a-commit", read(permPullRequests), false},
	// Merging writes the base branch: https://docs.github.com/rest/pulls/pulls#merge-a-pull-request
	"PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge": {"pulls/pulls#merge-a-pull-request", write(permContents), false},

	"GET /repos/{owner}/{repo}/releases":                 {"releases/releases#list-releases", read(permContents), false},
	"POST /repos/{owner}/{repo}/releases":                {"releases/releases#create-a-release", write(permContents), false},
	"GET /repos/{owner}/{repo}/releases/latest":          {"releases/releases#get-the-latest-release", read(permContents), false},
	"GET /repos/{owner}/{repo}/releases/tags/{tag}":      {"releases/releases#get-a-release-by-tag-name", read(permContents), false},
	"GET /repos/{owner}/{repo}/releases/{release_id}":    {"releases/releases#get-a-release", read(permContents), false},
	"PATCH /repos/{owner}/{repo}/releases/{release_id}":  {"releases/releases#update-a-release", write(permContents), false},
	"DELETE /repos/{owner}/{repo}/releases/{release_id}": {"releases/releases#delete-a-release", write(permContents), false},

	"POST /app/installations/{installation_id}/access_tokens": {"apps/apps#create-an-installation-access-token-for-an-app", nil, false},
	"GET /repos/{owner}/{repo}/installation":                  {"apps/apps#get-a-repository-installation-for-the-authenticated-app", nil, false},
	"GET /app":                                                {"apps/apps#get-the-authenticated-app", nil, false},
	"GET /user":                                               {"users/users#get-the-authenticated-user", nil, false},
}

// endpointFor is the table's entry for a route; a route missing from it is a bug.
func endpointFor(method, pattern string) endpoint {
	ep, ok := endpoints[method+" "+pattern]
	if !ok {
		panic(fmt.Sprintf("githubtest: no endpoint entry for %s %s", method, pattern))
	}
	return ep
}

// docsURL is where GitHub documents the route; error bodies carry it.
func (rt *route) docsURL() string {
	if rt == nil {
		return docsURL
	}
	return docsURL + "/" + rt.endpoint.docs
}

// acceptedPermissions is the X-Accepted-GitHub-Permissions header: the permission sets
// any one of which allows the route, separated by "; ".
// https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api#resource-not-accessible
func (c *call) acceptedPermissions(rt *route) string {
	var sets []string
	for _, n := range c.needs(rt) {
		sets = append(sets, n.String())
	}
	return strings.Join(sets, "; ")
}

// needs lists the permissions any one of which allows this request.
func (c *call) needs(rt *route) []need {
	needs := rt.endpoint.anyOf
	if rt.endpoint.orPullRequests && c.targetsPullRequest() && len(needs) == 1 {
		needs = append(needs[:1:1], need{permPullRequests, needs[0].level})
	}
	return needs
}

// targetsPullRequest reports whether the route's issue number or comment id is that of
// a pull request.
func (c *call) targetsPullRequest() bool {
	if is := c.lookupIssue(); is != nil {
		return is.pull != nil
	}
	if id, err := strconv.ParseInt(c.param("comment_id"), 10, 64); err == nil {
		for _, cm := range c.repo.comments {
			if cm.id == id {
				return c.repo.issues[cm.issue-1].pull != nil
			}
		}
	}
	return false
}

// authorize answers 403 "Resource not accessible by integration" when the caller's
// token is limited and lacks every permission the route accepts, as GitHub does for
// App installation tokens and GITHUB_TOKEN.
// https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api#resource-not-accessible
func (c *call) authorize(rt *route) bool {
	if c.permissions == nil || len(rt.endpoint.anyOf) == 0 {
		return true
	}
	c.w.Header().Set("X-Accepted-GitHub-Permissions", c.acceptedPermissions(rt))
	for _, n := range c.needs(rt) {
		if c.permissions.grants(n.name, n.level) {
			return true
		}
	}
	c.fail(http.StatusForbidden, "Resource not accessible by integration")
	return false
}

// LimitToken limits token, given with WithToken, to perms from now on, as
// WithTokenPermissions would have: tests use it to turn a token into a workflow's
// GITHUB_TOKEN part way.
func (s *Server) LimitToken(token string, perms Permissions) {
	checked := checkPermissions(perms)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tokens[token]; !ok {
		panic("githubtest: LimitToken of a token never given")
	}
	s.tokenPermissions[token] = checked
}
