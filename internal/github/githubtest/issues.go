package githubtest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"
)

// maxBodyChars is GitHub's limit on the body of an issue, pull request or comment.
const maxBodyChars = 65536

// issue is an issue or, when pull is set, the issue side of a pull request.
type issue struct {
	id                       int64
	number                   int
	title, body              string
	state, stateReason       string
	labels                   []*label
	user                     string
	created, updated, closed time.Time
	closedBy                 string
	comments                 int
	pull                     *pull
}

func (s *Server) registerIssueRoutes() {
	s.handle("GET", "/repos/{owner}/{repo}/issues", (*call).listIssues)
	s.handle("POST", "/repos/{owner}/{repo}/issues", (*call).createIssue)
	s.handle("GET", "/repos/{owner}/{repo}/issues/{issue_number}", (*call).getIssue)
	s.handle("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", (*call).editIssue)
}

// AddIssue opens an issue as login and returns its number.
func (s *Server) AddIssue(owner, repo, login, title, body string, labels ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	is := s.openIssue(rp, login, title, body, s.clock())
	is.labels = s.labelsByName(rp, labels)
	return is.number
}

// Issues returns the repository's issues (not pull requests), by number.
func (s *Server) Issues(owner, repo string) []*github.Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	var out []object
	for _, is := range rp.issues {
		if is.pull == nil {
			out = append(out, s.issueJSON(rp, is))
		}
	}
	if out == nil {
		return nil
	}
	return asList[github.Issue](out)
}

func (s *Server) openIssue(rp *repo, login, title, body string, now time.Time) *issue {
	is := &issue{
		id:      s.newID(),
		number:  len(rp.issues) + 1,
		title:   title,
		body:    body,
		state:   "open",
		user:    login,
		created: now,
		updated: now,
	}
	rp.issues = append(rp.issues, is)
	return is
}

// issueJSON is an "issue"; a pull request's issue side carries "pull_request" links.
// GitHub writes null for an empty body.
func (s *Server) issueJSON(rp *repo, is *issue) object {
	kind := "issues"
	if is.pull != nil {
		kind = "pull"
	}
	url := s.apiURL("/repos/%s/issues/%d", rp.fullName(), is.number)
	var closedBy any
	if is.closedBy != "" {
		closedBy = s.userJSON(is.closedBy)
	}
	out := object{
		"id":                       is.id,
		"node_id":                  nodeID("I", is.id),
		"url":                      url,
		"repository_url":           s.apiURL("/repos/%s", rp.fullName()),
		"labels_url":               url + "/labels{/name}",
		"comments_url":             url + "/comments",
		"events_url":               url + "/events",
		"timeline_url":             url + "/timeline",
		"html_url":                 s.htmlURL("/%s/%s/%d", rp.fullName(), kind, is.number),
		"number":                   is.number,
		"state":                    is.state,
		"state_reason":             nullString(is.stateReason),
		"title":                    is.title,
		"body":                     nullString(is.body),
		"user":                     s.userJSON(is.user),
		"labels":                   s.labelsJSON(rp, is.labels),
		"assignee":                 nil,
		"assignees":                []any{},
		"milestone":                nil,
		"locked":                   false,
		"active_lock_reason":       nil,
		"comments":                 is.comments,
		"closed_at":                nullTime(is.closed),
		"closed_by":                closedBy,
		"created_at":               ts(is.created),
		"updated_at":               ts(is.updated),
		"author_association":       rp.association(is.user),
		"performed_via_github_app": nil,
		"reactions":                reactionRollup(url, nil),
	}
	if is.pull != nil {
		out["draft"] = is.pull.draft
		out["pull_request"] = object{
			"url":       s.apiURL("/repos/%s/pulls/%d", rp.fullName(), is.number),
			"html_url":  s.htmlURL("/%s/pull/%d", rp.fullName(), is.number),
			"diff_url":  s.htmlURL("/%s/pull/%d.diff", rp.fullName(), is.number),
			"patch_url": s.htmlURL("/%s/pull/%d.patch", rp.fullName(), is.number),
			"merged_at": nullTime(is.pull.mergedAt),
		}
	}
	return out
}

// issue finds the issue (or pull request) the route's number names, answering 404
// when there is none.
func (c *call) issue() *issue {
	is := c.lookupIssue()
	if is == nil {
		c.notFound()
	}
	return is
}

// lookupIssue is the issue (or pull request) the route's number names, or nil.
func (c *call) lookupIssue() *issue {
	n, err := strconv.Atoi(c.param("issue_number"))
	if err != nil || n < 1 || n > len(c.repo.issues) {
		return nil
	}
	return c.repo.issues[n-1]
}

// SetIssuesEnabled turns the repository's Issues feature on or off, as its settings
// do; forks start with it off. https://docs.github.com/repositories/managing-your-repositorys-settings-and-features/enabling-features-for-your-repository/disabling-issues
func (s *Server) SetIssuesEnabled(owner, repo string, enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustRepo(owner, repo).issuesDisabled = !enabled
}

// goneWithoutIssues are the operations that answer 410 "Issues are disabled for this
// repo" when Issues are off: those whose OpenAPI description lists a 410 (issues/create,
// issues/get, issues/update, issues/list-comments, issues/create-comment and the labels
// of an issue). Pull requests keep their conversation and labels, which go through the
// same routes, so only a number that names an issue is gone. Listing issues has no 410
// (issues/list-for-repo; it answered 410 until about 2016, ingydotnet/git-hub#72) and
// lists the pull requests alone.
var goneWithoutIssues = map[string]bool{
	"POST /repos/{owner}/{repo}/issues":                                true,
	"GET /repos/{owner}/{repo}/issues/{issue_number}":                  true,
	"PATCH /repos/{owner}/{repo}/issues/{issue_number}":                true,
	"GET /repos/{owner}/{repo}/issues/{issue_number}/comments":         true,
	"POST /repos/{owner}/{repo}/issues/{issue_number}/comments":        true,
	"GET /repos/{owner}/{repo}/issues/{issue_number}/labels":           true,
	"POST /repos/{owner}/{repo}/issues/{issue_number}/labels":          true,
	"PUT /repos/{owner}/{repo}/issues/{issue_number}/labels":           true,
	"DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels":        true,
	"DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}": true,
}

// issuesGone answers 410 when the route reaches an issue of a repository whose Issues
// are off, as GitHub does.
func (c *call) issuesGone(rt *route) bool {
	if !c.repo.issuesDisabled || !goneWithoutIssues[rt.method+" "+rt.pattern] {
		return false
	}
	if is := c.lookupIssue(); is != nil && is.pull != nil {
		return false
	}
	c.fail(http.StatusGone, "Issues are disabled for this repo")
	return true
}

// bodyTooLong answers 422 when body is over GitHub's limit.
func (c *call) bodyTooLong(resource, body string) bool {
	if utf8.RuneCountInString(body) <= maxBodyChars {
		return false
	}
	c.invalid(fieldError{Resource: resource, Field: "body", Code: "custom",
		Message: "body is too long (maximum is 65536 characters)"})
	return true
}

func (c *call) createIssue() {
	var req github.IssueRequest
	if !c.decode(&req) {
		return
	}
	if req.Title == nil || *req.Title == "" {
		c.invalid(fieldError{Resource: "Issue", Field: "title", Code: "missing_field"})
		return
	}
	body := ""
	if req.Body != nil {
		body = *req.Body
	}
	if c.bodyTooLong("Issue", body) {
		return
	}
	is := c.s.openIssue(c.repo, c.login, *req.Title, body, c.now)
	if req.Labels != nil {
		is.labels = c.s.labelsByName(c.repo, *req.Labels)
	}
	c.created(c.s.issueJSON(c.repo, is))
}

func (c *call) getIssue() {
	if is := c.issue(); is != nil {
		c.json(http.StatusOK, c.s.issueJSON(c.repo, is))
	}
}

func (c *call) editIssue() {
	is := c.issue()
	if is == nil {
		return
	}
	var req github.IssueRequest
	if !c.decode(&req) {
		return
	}
	if req.State != nil && *req.State != "open" && *req.State != "closed" {
		c.invalid(fieldError{Resource: "Issue", Field: "state", Code: "invalid"})
		return
	}
	if req.Body != nil && c.bodyTooLong("Issue", *req.Body) {
		return
	}
	if req.Title != nil {
		is.title = *req.Title
	}
	if req.Body != nil {
		is.body = *req.Body
	}
	if req.Labels != nil {
		is.labels = c.s.labelsByName(c.repo, *req.Labels)
	}
	if req.State != nil {
		is.setState(*req.State, req.StateReason, c.login, c.now)
		if is.pull != nil && !is.pull.merged {
			// A closed pull request keeps the head it had; a reopened one follows its branch.
			is.pull.closedHeadSHA = ""
			if is.state == "closed" {
				is.pull.closedHeadSHA = is.pull.headRepo.refs[branchRef(is.pull.head)]
			}
		}
	}
	is.updated = c.now
	c.json(http.StatusOK, c.s.issueJSON(c.repo, is))
}

func (is *issue) setState(state string, reason *string, login string, now time.Time) {
	switch {
	case state == "closed" && is.state == "open":
		is.closed, is.closedBy = now, login
		is.stateReason = "completed"
	case state == "open" && is.state == "closed":
		is.closed, is.closedBy = time.Time{}, ""
		is.stateReason = "reopened"
	}
	if reason != nil {
		is.stateReason = *reason
	}
	is.state = state
}

func (c *call) listIssues() {
	q := c.r.URL.Query()
	state := cmp.Or(q.Get("state"), "open")
	if state != "open" && state != "closed" && state != "all" {
		c.invalid(fieldError{Resource: "Issue", Field: "state", Code: "invalid"})
		return
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			c.invalid(fieldError{Resource: "Issue", Field: "since", Code: "invalid"})
			return
		}
		since = t
	}
	wanted := splitList(q.Get("labels"))
	var found []*issue
	for _, is := range c.repo.issues {
		if c.repo.issuesDisabled && is.pull == nil {
			continue
		}
		if (state == "all" || is.state == state) && hasLabels(is, wanted) &&
			!is.updated.Before(since) && (q.Get("creator") == "" || strings.EqualFold(q.Get("creator"), is.user)) {
			found = append(found, is)
		}
	}
	sortIssues(found, q.Get("sort"), q.Get("direction"))
	out := []object{}
	for _, is := range page(c, found) {
		out = append(out, c.s.issueJSON(c.repo, is))
	}
	c.json(http.StatusOK, out)
}

// sortIssues orders as GitHub does: by created (default), updated or comments,
// newest first unless direction is "asc"; ties by number.
func sortIssues(issues []*issue, by, direction string) {
	slices.SortStableFunc(issues, func(a, b *issue) int {
		var order int
		switch by {
		case "updated":
			order = a.updated.Compare(b.updated)
		case "comments":
			order = cmp.Compare(a.comments, b.comments)
		default:
			order = a.created.Compare(b.created)
		}
		order = cmp.Or(order, cmp.Compare(a.number, b.number))
		if direction == "asc" {
			return order
		}
		return -order
	})
}

func hasLabels(is *issue, wanted []string) bool {
	for _, name := range wanted {
		if !slices.ContainsFunc(is.labels, func(l *label) bool { return strings.EqualFold(l.name, name) }) {
			return false
		}
	}
	return true
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
