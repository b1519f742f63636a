package githubtest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

type comment struct {
	id               int64
	issue            int
	body             string
	user             string
	created, updated time.Time
	reactions        []*reaction
}

// Comment routes by id come first: they would otherwise be read as issue numbers.
func (s *Server) registerCommentRoutes() {
	s.handle("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}", (*call).getComment)
	s.handle("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", (*call).editComment)
	s.handle("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}", (*call).deleteComment)
	s.registerReactionRoutes()
	s.handle("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments", (*call).listComments)
	s.handle("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", (*call).createComment)
}

// AddComment comments on an issue or pull request as login and returns the comment's id.
func (s *Server) AddComment(owner, repo string, number int, login, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	return s.addComment(rp, rp.mustIssue(number), login, body, s.clock()).id
}

// Comments returns the comments of an issue or pull request, oldest first.
func (s *Server) Comments(owner, repo string, number int) []*github.IssueComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	var out []object
	for _, cm := range rp.comments {
		if cm.issue == number {
			out = append(out, s.commentJSON(rp, cm))
		}
	}
	if out == nil {
		return nil
	}
	return asList[github.IssueComment](out)
}

func (s *Server) addComment(rp *repo, is *issue, login, body string, now time.Time) *comment {
	cm := &comment{id: s.newID(), issue: is.number, body: body, user: login, created: now, updated: now}
	rp.comments = append(rp.comments, cm)
	is.comments++
	is.updated = now
	return cm
}

// commentJSON is an "issue-comment".
func (s *Server) commentJSON(rp *repo, cm *comment) object {
	url := s.apiURL("/repos/%s/issues/comments/%d", rp.fullName(), cm.id)
	return object{
		"id":                 cm.id,
		"node_id":            nodeID("IC", cm.id),
		"url":                url,
		"html_url":           s.htmlURL("/%s/issues/%d#issuecomment-%d", rp.fullName(), cm.issue, cm.id),
		"issue_url":          s.apiURL("/repos/%s/issues/%d", rp.fullName(), cm.issue),
		"body":               cm.body,
		"user":               s.userJSON(cm.user),
		"author_association": rp.association(cm.user),
		"created_at":         ts(cm.created),
		"updated_at":         ts(cm.updated),
		// Not modelled: the fake does not record which App wrote a comment. Authorship is
		// read from "user" (an App writes as <slug>[bot]), as Shepherd does.
		"performed_via_github_app": nil,
		"reactions":                reactionRollup(url, cm.reactions),
	}
}

// reactionRollup is a "reaction-rollup" (the schema in GitHub's OpenAPI description, which
// TestAnswersMatchGitHubsOpenAPIDescription checks): the total and the count of each kind
// of reaction given, https://docs.github.com/rest/reactions/reactions#about-reactions.
func reactionRollup(url string, given []*reaction) object {
	out := object{"url": url + "/reactions", "total_count": len(given)}
	for _, content := range reactionContents {
		out[content] = 0
	}
	for _, r := range given {
		out[r.content] = out[r.content].(int) + 1
	}
	return out
}

// association is GitHub's author_association of login with the repository.
func (rp *repo) association(login string) string {
	switch {
	case strings.EqualFold(login, rp.owner):
		return "OWNER"
	case rp.collaborators[strings.ToLower(login)] != "":
		return "COLLABORATOR"
	}
	return "NONE"
}

// comment finds the comment the route's id names, answering 404 when there is none.
func (c *call) comment() (int, *comment) {
	id, err := strconv.ParseInt(c.param("comment_id"), 10, 64)
	if err == nil {
		if i := slices.IndexFunc(c.repo.comments, func(cm *comment) bool { return cm.id == id }); i >= 0 {
			return i, c.repo.comments[i]
		}
	}
	c.notFound()
	return -1, nil
}

func (c *call) getComment() {
	if _, cm := c.comment(); cm != nil {
		c.json(http.StatusOK, c.s.commentJSON(c.repo, cm))
	}
}

type commentRequest struct {
	Body *string `json:"body"`
}

// commentBody reads and checks the body of a create or edit.
func (c *call) commentBody() (string, bool) {
	var req commentRequest
	if !c.decode(&req) {
		return "", false
	}
	if req.Body == nil || *req.Body == "" {
		c.invalid(fieldError{Resource: "IssueComment", Field: "body", Code: "missing_field"})
		return "", false
	}
	if c.bodyTooLong("IssueComment", *req.Body) {
		return "", false
	}
	return *req.Body, true
}

func (c *call) createComment() {
	is := c.issue()
	if is == nil {
		return
	}
	body, ok := c.commentBody()
	if !ok {
		return
	}
	cm := c.s.addComment(c.repo, is, c.login, body, c.now)
	c.created(c.s.commentJSON(c.repo, cm))
}

func (c *call) editComment() {
	_, cm := c.comment()
	if cm == nil {
		return
	}
	body, ok := c.commentBody()
	if !ok {
		return
	}
	cm.body = body
	cm.updated = c.now
	c.json(http.StatusOK, c.s.commentJSON(c.repo, cm))
}

func (c *call) deleteComment() {
	i, cm := c.comment()
	if cm == nil {
		return
	}
	c.repo.comments = slices.Delete(c.repo.comments, i, i+1)
	c.repo.issues[cm.issue-1].comments--
	c.noContent()
}

// listComments lists an issue's comments oldest first; "since" keeps those updated
// at or after a time.
func (c *call) listComments() {
	is := c.issue()
	if is == nil {
		return
	}
	var since time.Time
	if v := c.r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			c.invalid(fieldError{Resource: "IssueComment", Field: "since", Code: "invalid"})
			return
		}
		since = t
	}
	var found []*comment
	for _, cm := range c.repo.comments {
		if cm.issue == is.number && !cm.updated.Before(since) {
			found = append(found, cm)
		}
	}
	out := []object{}
	for _, cm := range page(c, found) {
		out = append(out, c.s.commentJSON(c.repo, cm))
	}
	c.json(http.StatusOK, out)
}
