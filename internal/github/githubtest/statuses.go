package githubtest

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/google/go-github/v62/github"
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
	var out []*github.RepoStatus
	for _, st := range rp.statusesFor(sha) {
		out = append(out, s.statusJSON(rp, st))
	}
	return out
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

func (s *Server) statusJSON(rp *repo, st *status) *github.RepoStatus {
	return &github.RepoStatus{
		ID:          ptr(st.id),
		NodeID:      ptr(nodeID("SC", st.id)),
		URL:         ptr(s.apiURL("/repos/%s/statuses/%s", rp.fullName(), st.sha)),
		State:       ptr(st.state),
		Context:     ptr(st.context),
		Description: ptr(st.description),
		TargetURL:   ptr(st.targetURL),
		Creator:     s.user(st.creator),
		CreatedAt:   timestamp(st.created),
		UpdatedAt:   timestamp(st.created),
	}
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
	}
	st := &status{
		id:          c.s.newID(),
		sha:         sha,
		state:       state,
		context:     cmp.Or(deref(req.Context), "default"),
		description: deref(req.Description),
		targetURL:   deref(req.TargetURL),
		creator:     c.login,
		created:     c.now,
	}
	c.repo.statuses = append(c.repo.statuses, st)
	c.json(http.StatusCreated, c.s.statusJSON(c.repo, st))
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
	out := []*github.RepoStatus{}
	for _, st := range page(c, c.repo.statusesFor(cm.sha)) {
		out = append(out, c.s.statusJSON(c.repo, st))
	}
	c.json(http.StatusOK, out)
}

// combinedStatus keeps the latest status per context: failure if any is an error or
// failure, pending if any is pending or there are none, success otherwise.
func (c *call) combinedStatus() {
	cm := c.commitFor()
	if cm == nil {
		return
	}
	latest := []*github.RepoStatus{}
	seen := map[string]bool{}
	state := "success"
	for _, st := range c.repo.statusesFor(cm.sha) {
		if seen[st.context] {
			continue
		}
		seen[st.context] = true
		latest = append(latest, c.s.statusJSON(c.repo, st))
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
	c.json(http.StatusOK, &github.CombinedStatus{
		State:         ptr(state),
		SHA:           ptr(cm.sha),
		TotalCount:    ptr(len(latest)),
		Statuses:      page(c, latest),
		CommitURL:     ptr(c.s.apiURL("/repos/%s/commits/%s", c.repo.fullName(), cm.sha)),
		RepositoryURL: ptr(c.s.apiURL("/repos/%s", c.repo.fullName())),
	})
}
