package githubtest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"
)

// Limits of commit statuses. https://docs.github.com/rest/commits/statuses#create-a-commit-status
// says a sha and context take at most 1000 statuses; the 140-character description is
// GitHub's validation (422 beyond).
const (
	maxStatusDescriptionChars = 140
	maxStatusesPerContext     = 1000
)

type status struct {
	id                     int64
	sha                    string
	state, context         string
	description, targetURL string
	creator                string
	created                time.Time
}

func (s *Server) registerStatusRoutes() {
	s.handle("POST", "/repos/{owner}/{repo}/statuses/{sha}", (*call).createStatus)
	s.handle("GET", "/repos/{owner}/{repo}/commits/{ref}/statuses", (*call).listStatuses)
	s.handle("GET", "/repos/{owner}/{repo}/commits/{ref}/status", (*call).combinedStatus)
}

// Statuses returns the commit statuses set on sha, newest first.
func (s *Server) Statuses(owner, repo, sha string) []*github.RepoStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	var out []object
	for _, st := range rp.statusesFor(sha) {
		out = append(out, s.statusJSON(rp, st))
	}
	if out == nil {
		return nil
	}
	return asList[github.RepoStatus](out)
}

// statusesFor returns a commit's statuses, newest first.
func (rp *repo) statusesFor(sha string) []*status {
	var found []*status
	for _, st := range slices.Backward(rp.statuses) {
		if st.sha == sha {
			found = append(found, st)
		}
	}
	return found
}

// simpleStatusJSON is a "simple-commit-status", as the combined status lists them.
func (s *Server) simpleStatusJSON(rp *repo, st *status) object {
	return object{
		"id":          st.id,
		"node_id":     nodeID("SC", st.id),
		"url":         s.apiURL("/repos/%s/statuses/%s", rp.fullName(), st.sha),
		"avatar_url":  s.userJSON(st.creator)["avatar_url"],
		"state":       st.state,
		"context":     st.context,
		"description": nullString(st.description),
		"target_url":  nullString(st.targetURL),
		"created_at":  ts(st.created),
		"updated_at":  ts(st.created),
	}
}

// statusJSON is a "status": the simple one and its creator.
func (s *Server) statusJSON(rp *repo, st *status) object {
	out := s.simpleStatusJSON(rp, st)
	out["creator"] = s.userJSON(st.creator)
	return out
}

func (c *call) createStatus() {
	var req github.RepoStatus
	if !c.decode(&req) {
		return
	}
	sha := c.param("sha")
	state := deref(req.State)
	switch {
	case c.repo.commits[sha] == nil:
		c.fail(http.StatusUnprocessableEntity, "No commit found for SHA: "+sha)
		return
	case state != "error" && state != "failure" && state != "pending" && state != "success":
		c.invalid(fieldError{Resource: "Status", Field: "state", Code: "custom",
			Message: "state is not included in the list"})
		return
	case utf8.RuneCountInString(deref(req.Description)) > maxStatusDescriptionChars:
		c.invalid(fieldError{Resource: "Status", Field: "description", Code: "custom",
			Message: fmt.Sprintf("description is too long (maximum is %d characters)", maxStatusDescriptionChars)})
		return
	}
	context := cmp.Or(deref(req.Context), "default")
	same := 0
	for _, st := range c.repo.statuses {
		if st.sha == sha && strings.EqualFold(st.context, context) {
			same++
		}
	}
	if same >= maxStatusesPerContext {
		c.invalid(fieldError{Resource: "Status", Field: "context", Code: "custom",
			Message: "This SHA and context has reached the maximum number of statuses."})
		return
	}
	st := &status{
		id:          c.s.newID(),
		sha:         sha,
		state:       state,
		context:     context,
		description: deref(req.Description),
		targetURL:   deref(req.TargetURL),
		creator:     c.login,
		created:     c.now,
	}
	c.repo.statuses = append(c.repo.statuses, st)
	c.created(c.s.statusJSON(c.repo, st))
}

// commitFor resolves the route's ref, answering 422 as GitHub does when it names nothing.
func (c *call) commitFor() *commit {
	cm := c.repo.resolve(c.param("ref"))
	if cm == nil {
		c.fail(http.StatusUnprocessableEntity, "No commit found for SHA: "+c.param("ref"))
	}
	return cm
}

func (c *call) listStatuses() {
	cm := c.commitFor()
	if cm == nil {
		return
	}
	out := []object{}
	for _, st := range page(c, c.repo.statusesFor(cm.sha)) {
		out = append(out, c.s.statusJSON(c.repo, st))
	}
	c.json(http.StatusOK, out)
}

// combinedStatus keeps the latest status per context, contexts compared without
// regard to case: failure if any is an error or failure, pending if any is pending or
// there are none, success otherwise.
// https://docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference
func (c *call) combinedStatus() {
	cm := c.commitFor()
	if cm == nil {
		return
	}
	latest := []object{}
	seen := map[string]bool{}
	state := "success"
	for _, st := range c.repo.statusesFor(cm.sha) {
		if seen[strings.ToLower(st.context)] {
			continue
		}
		seen[strings.ToLower(st.context)] = true
		latest = append(latest, c.s.simpleStatusJSON(c.repo, st))
		switch {
		case st.state == "error" || st.state == "failure":
			state = "failure"
		case st.state == "pending" && state != "failure":
			state = "pending"
		}
	}
	if len(latest) == 0 {
		state = "pending"
	}
	c.json(http.StatusOK, object{
		"state":       state,
		"sha":         cm.sha,
		"total_count": len(latest),
		"statuses":    page(c, latest),
		"repository":  c.s.repoJSON(c.repo, false),
		"commit_url":  c.s.apiURL("/repos/%s/commits/%s", c.repo.fullName(), cm.sha),
		"url":         c.s.apiURL("/repos/%s/commits/%s/status", c.repo.fullName(), cm.sha),
	})
}
