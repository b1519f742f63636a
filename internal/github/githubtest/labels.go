package githubtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-github/v62/github"
)

type label struct {
	id          int64
	name, color string
	description string
}

// defaultLabelColor is the grey GitHub gives labels created by naming them on an issue.
const defaultLabelColor = "ededed"

var labelColor = regexp.MustCompile(`^[0-9a-fA-F]{6}$`)

func (s *Server) registerLabelRoutes() {
	s.handle("GET", "/repos/{owner}/{repo}/labels", (*call).listLabels)
	s.handle("POST", "/repos/{owner}/{repo}/labels", (*call).createLabel)
	s.handle("GET", "/repos/{owner}/{repo}/labels/{name}", (*call).getLabel)
	s.handle("PATCH", "/repos/{owner}/{repo}/labels/{name}", (*call).editLabel)
	s.handle("DELETE", "/repos/{owner}/{repo}/labels/{name}", (*call).deleteLabel)
	s.handle("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels", (*call).listIssueLabels)
	s.handle("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", (*call).addIssueLabels)
	s.handle("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels", (*call).replaceIssueLabels)
	s.handle("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels", (*call).clearIssueLabels)
	s.handle("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", (*call).removeIssueLabel)
}

// Labels returns the repository's labels, by name.
func (s *Server) Labels(owner, repo string) []*github.Label {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	return asList[github.Label](s.labelsJSON(rp, rp.labels))
}

// IssueLabels returns the names of the labels on an issue or pull request.
func (s *Server) IssueLabels(owner, repo string, number int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	if number < 1 || number > len(rp.issues) {
		return nil
	}
	var names []string
	for _, l := range rp.issues[number-1].labels {
		names = append(names, l.name)
	}
	return names
}

// LabelIssue adds labels to an issue or pull request, as a person (or the add-labels
// route) does; a name the repository lacks is created, as the add-labels route does
// (with a null description: github/docs issue #35718 on
// https://docs.github.com/rest/issues/labels#add-labels-to-an-issue).
func (s *Server) LabelIssue(owner, repo string, number int, names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	is := rp.mustIssue(number)
	for _, l := range s.labelsByName(rp, names) {
		if !slices.Contains(is.labels, l) {
			is.labels = append(is.labels, l)
		}
	}
}

// labelJSON is a "label"; its URL carries the name escaped, and a label without a
// description has null.
func (s *Server) labelJSON(rp *repo, l *label) object {
	return object{
		"id":          l.id,
		"node_id":     nodeID("LA", l.id),
		"url":         s.apiURL("/repos/%s/labels/%s", rp.fullName(), url.PathEscape(l.name)),
		"name":        l.name,
		"color":       l.color,
		"description": nullString(l.description),
		"default":     false,
	}
}

func (s *Server) labelsJSON(rp *repo, labels []*label) []object {
	out := []object{}
	for _, l := range labels {
		out = append(out, s.labelJSON(rp, l))
	}
	return out
}

// findLabel looks a label up as GitHub does, ignoring case.
func (rp *repo) findLabel(name string) *label {
	i := slices.IndexFunc(rp.labels, func(l *label) bool { return strings.EqualFold(l.name, name) })
	if i < 0 {
		return nil
	}
	return rp.labels[i]
}

func (s *Server) newLabel(rp *repo, name, color, description string) *label {
	l := &label{id: s.newID(), name: name, color: strings.ToLower(color), description: description}
	rp.labels = append(rp.labels, l)
	slices.SortFunc(rp.labels, func(a, b *label) int { return strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)) })
	return l
}

// labelsByName resolves names to labels, creating the missing ones as GitHub does when
// an issue is labelled with a name the repository lacks.
func (s *Server) labelsByName(rp *repo, names []string) []*label {
	var out []*label
	for _, name := range names {
		l := rp.findLabel(name)
		if l == nil {
			l = s.newLabel(rp, name, defaultLabelColor, "")
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func (c *call) listLabels() { c.json(http.StatusOK, page(c, c.s.labelsJSON(c.repo, c.repo.labels))) }

func (c *call) getLabel() {
	if l := c.repo.findLabel(c.param("name")); l != nil {
		c.json(http.StatusOK, c.s.labelJSON(c.repo, l))
		return
	}
	c.notFound()
}

type labelRequest struct {
	Name        *string `json:"name"`
	NewName     *string `json:"new_name"`
	Color       *string `json:"color"`
	Description *string `json:"description"`
}

func (c *call) createLabel() {
	var req labelRequest
	if !c.decode(&req) {
		return
	}
	color := defaultLabelColor
	if req.Color != nil {
		color = strings.TrimPrefix(*req.Color, "#")
	}
	switch {
	case req.Name == nil || *req.Name == "":
		c.invalid(fieldError{Resource: "Label", Field: "name", Code: "missing_field"})
	case c.repo.findLabel(*req.Name) != nil:
		c.invalid(fieldError{Resource: "Label", Field: "name", Code: "already_exists"})
	case !labelColor.MatchString(color):
		c.invalid(fieldError{Resource: "Label", Field: "color", Code: "invalid"})
	default:
		l := c.s.newLabel(c.repo, *req.Name, color, deref(req.Description))
		c.created(c.s.labelJSON(c.repo, l))
	}
}

func (c *call) editLabel() {
	l := c.repo.findLabel(c.param("name"))
	if l == nil {
		c.notFound()
		return
	}
	var req labelRequest
	if !c.decode(&req) {
		return
	}
	if req.NewName != nil {
		if other := c.repo.findLabel(*req.NewName); other != nil && other != l {
			c.invalid(fieldError{Resource: "Label", Field: "name", Code: "already_exists"})
			return
		}
	}
	if req.Color != nil {
		color := strings.TrimPrefix(*req.Color, "#")
		if !labelColor.MatchString(color) {
			c.invalid(fieldError{Resource: "Label", Field: "color", Code: "invalid"})
			return
		}
		l.color = strings.ToLower(color)
	}
	if req.NewName != nil {
		l.name = *req.NewName
	}
	if req.Description != nil {
		l.description = *req.Description
	}
	c.json(http.StatusOK, c.s.labelJSON(c.repo, l))
}

func (c *call) deleteLabel() {
	l := c.repo.findLabel(c.param("name"))
	if l == nil {
		c.notFound()
		return
	}
	c.repo.labels = slices.DeleteFunc(c.repo.labels, func(x *label) bool { return x == l })
	for _, is := range c.repo.issues {
		is.labels = slices.DeleteFunc(is.labels, func(x *label) bool { return x == l })
	}
	c.noContent()
}

func (c *call) listIssueLabels() {
	if is := c.issue(); is != nil {
		c.json(http.StatusOK, page(c, c.s.labelsJSON(c.repo, is.labels)))
	}
}

// labelNames reads the names to add or set: GitHub takes a bare array (what go-github
// sends) or {"labels": [...]}.
func (c *call) labelNames() ([]string, bool) {
	var raw json.RawMessage
	if !c.decode(&raw) {
		return nil, false
	}
	var names []string
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		var wrapped struct {
			Labels []string `json:"labels"`
		}
		if json.Unmarshal(raw, &wrapped) != nil {
			c.fail(http.StatusBadRequest, "Problems parsing JSON")
			return nil, false
		}
		names = wrapped.Labels
	} else if json.Unmarshal(raw, &names) != nil {
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return nil, false
	}
	return names, true
}

func (c *call) addIssueLabels() {
	is := c.issue()
	if is == nil {
		return
	}
	names, ok := c.labelNames()
	if !ok {
		return
	}
	for _, l := range c.s.labelsByName(c.repo, names) {
		if !slices.Contains(is.labels, l) {
			is.labels = append(is.labels, l)
		}
	}
	is.updated = c.now
	c.json(http.StatusOK, c.s.labelsJSON(c.repo, is.labels))
}

func (c *call) replaceIssueLabels() {
	is := c.issue()
	if is == nil {
		return
	}
	names, ok := c.labelNames()
	if !ok {
		return
	}
	is.labels = c.s.labelsByName(c.repo, names)
	is.updated = c.now
	c.json(http.StatusOK, c.s.labelsJSON(c.repo, is.labels))
}

func (c *call) clearIssueLabels() {
	if is := c.issue(); is != nil {
		is.labels = nil
		is.updated = c.now
		c.noContent()
	}
}

func (c *call) removeIssueLabel() {
	is := c.issue()
	if is == nil {
		return
	}
	name := c.param("name")
	i := slices.IndexFunc(is.labels, func(l *label) bool { return strings.EqualFold(l.name, name) })
	if i < 0 {
		c.fail(http.StatusNotFound, "Label does not exist")
		return
	}
	is.labels = slices.Delete(is.labels, i, i+1)
	is.updated = c.now
	c.json(http.StatusOK, c.s.labelsJSON(c.repo, is.labels))
}
