package githubtest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"
)

// maxReleaseBodyChars is GitHub's limit on a release's notes.
const maxReleaseBodyChars = 125000

type release struct {
	id                 int64
	tag, target        string
	name, body         string
	draft, prerelease  bool
	author             string
	created, published time.Time
	updated            time.Time
}

func (s *Server) registerReleaseRoutes() {
	s.handle("GET", "/repos/{owner}/{repo}/releases", (*call).listReleases)
	s.handle("POST", "/repos/{owner}/{repo}/releases", (*call).createRelease)
	s.handle("GET", "/repos/{owner}/{repo}/releases/latest", (*call).latestRelease)
	s.handle("GET", "/repos/{owner}/{repo}/releases/tags/{tag}", (*call).getReleaseByTag)
	s.handle("GET", "/repos/{owner}/{repo}/releases/{release_id}", (*call).getRelease)
	s.handle("PATCH", "/repos/{owner}/{repo}/releases/{release_id}", (*call).updateRelease)
	s.handle("DELETE", "/repos/{owner}/{repo}/releases/{release_id}", (*call).deleteRelease)
}

// Releases returns the repository's releases, newest first, drafts included.
func (s *Server) Releases(owner, repo string) []*github.RepositoryRelease {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	var out []object
	for _, rel := range slices.Backward(rp.releases) {
		out = append(out, s.releaseJSON(rp, rel))
	}
	if out == nil {
		return nil
	}
	return asList[github.RepositoryRelease](out)
}

// releaseJSON is a "release". Until it is published, a draft's html_url names a
// placeholder tag "untagged-<hash>", not its tag_name (observed on github.com:
// esphome/workflows#170, semantic-release/github#214).
func (s *Server) releaseJSON(rp *repo, rel *release) object {
	url := s.apiURL("/repos/%s/releases/%d", rp.fullName(), rel.id)
	html := s.htmlURL("/%s/releases/tag/%s", rp.fullName(), rel.tag)
	if rel.draft {
		html = s.htmlURL("/%s/releases/tag/untagged-%020x", rp.fullName(), rel.id*0x9e3779b1)
	}
	return object{
		"url":              url,
		"html_url":         html,
		"assets_url":       url + "/assets",
		"upload_url":       s.srv.URL + "/api/uploads/repos/" + rp.fullName() + "/releases/" + strconv.FormatInt(rel.id, 10) + "/assets{?name,label}",
		"tarball_url":      s.apiURL("/repos/%s/tarball/%s", rp.fullName(), rel.tag),
		"zipball_url":      s.apiURL("/repos/%s/zipball/%s", rp.fullName(), rel.tag),
		"id":               rel.id,
		"node_id":          nodeID("RE", rel.id),
		"tag_name":         rel.tag,
		"target_commitish": rel.target,
		"name":             nullString(rel.name),
		"body":             nullString(rel.body),
		"draft":            rel.draft,
		"prerelease":       rel.prerelease,
		"immutable":        false,
		"created_at":       ts(rel.created),
		"updated_at":       ts(rel.updated),
		"published_at":     nullTime(rel.published),
		"author":           s.userJSON(rel.author),
		"assets":           []any{},
	}
}

func (rp *repo) releaseByTag(tag string) *release {
	i := slices.IndexFunc(rp.releases, func(r *release) bool { return r.tag == tag })
	if i < 0 {
		return nil
	}
	return rp.releases[i]
}

type releaseRequest struct {
	TagName         *string `json:"tag_name"`
	TargetCommitish *string `json:"target_commitish"`
	Name            *string `json:"name"`
	Body            *string `json:"body"`
	Draft           *bool   `json:"draft"`
	Prerelease      *bool   `json:"prerelease"`
}

// refuseRelease answers 422 for what GitHub refuses in a create or an update of rel
// (nil for a create).
func (c *call) refuseRelease(req releaseRequest, rel *release) bool {
	if req.TagName != nil {
		if other := c.repo.releaseByTag(*req.TagName); other != nil && other != rel {
			c.invalid(fieldError{Resource: "Release", Field: "tag_name", Code: "already_exists"})
			return true
		}
	}
	if req.Body != nil && utf8.RuneCountInString(*req.Body) > maxReleaseBodyChars {
		c.invalid(fieldError{Resource: "Release", Field: "body", Code: "custom",
			Message: "body is too long (maximum is 125000 characters)"})
		return true
	}
	return false
}

// publish creates the release's tag, at its target, if the tag does not exist yet: a
// published release always has one, a draft gets it when published.
func (c *call) publish(rel *release) bool {
	if _, ok := c.repo.refs[tagRef(rel.tag)]; ok {
		return true
	}
	target := c.repo.resolve(rel.target)
	if target == nil {
		c.invalid(fieldError{Resource: "Release", Field: "target_commitish", Code: "invalid"})
		return false
	}
	c.repo.refs[tagRef(rel.tag)] = target.sha
	return true
}

func (c *call) createRelease() {
	var req releaseRequest
	if !c.decode(&req) {
		return
	}
	if deref(req.TagName) == "" {
		c.invalid(fieldError{Resource: "Release", Field: "tag_name", Code: "missing_field"})
		return
	}
	if c.refuseRelease(req, nil) {
		return
	}
	rel := &release{
		id:         c.s.newID(),
		tag:        *req.TagName,
		target:     cmp.Or(deref(req.TargetCommitish), c.repo.defaultBranch),
		name:       deref(req.Name),
		body:       deref(req.Body),
		draft:      deref(req.Draft),
		prerelease: deref(req.Prerelease),
		author:     c.login,
		created:    c.now,
		updated:    c.now,
	}
	if !rel.draft {
		if !c.publish(rel) {
			return
		}
		rel.published = c.now
	}
	c.repo.releases = append(c.repo.releases, rel)
	c.created(c.s.releaseJSON(c.repo, rel))
}

func (c *call) release() (int, *release) {
	id, err := strconv.ParseInt(c.param("release_id"), 10, 64)
	if err == nil {
		if i := slices.IndexFunc(c.repo.releases, func(r *release) bool { return r.id == id }); i >= 0 {
			return i, c.repo.releases[i]
		}
	}
	c.notFound()
	return -1, nil
}

func (c *call) getRelease() {
	if _, rel := c.release(); rel != nil {
		c.json(http.StatusOK, c.s.releaseJSON(c.repo, rel))
	}
}

// getReleaseByTag finds published releases only, as GitHub does.
func (c *call) getReleaseByTag() {
	rel := c.repo.releaseByTag(c.param("tag"))
	if rel == nil || rel.draft {
		c.notFound()
		return
	}
	c.json(http.StatusOK, c.s.releaseJSON(c.repo, rel))
}

// latestRelease is the newest published release that is not a pre-release.
func (c *call) latestRelease() {
	for _, rel := range slices.Backward(c.repo.releases) {
		if !rel.draft && !rel.prerelease {
			c.json(http.StatusOK, c.s.releaseJSON(c.repo, rel))
			return
		}
	}
	c.notFound()
}

func (c *call) listReleases() {
	out := []object{}
	for _, rel := range slices.Backward(c.repo.releases) {
		out = append(out, c.s.releaseJSON(c.repo, rel))
	}
	c.json(http.StatusOK, page(c, out))
}

func (c *call) updateRelease() {
	_, rel := c.release()
	if rel == nil {
		return
	}
	var req releaseRequest
	if !c.decode(&req) || c.refuseRelease(req, rel) {
		return
	}
	updated := *rel
	if req.TagName != nil {
		updated.tag = *req.TagName
	}
	if req.TargetCommitish != nil {
		updated.target = *req.TargetCommitish
	}
	if req.Name != nil {
		updated.name = *req.Name
	}
	if req.Body != nil {
		updated.body = *req.Body
	}
	if req.Prerelease != nil {
		updated.prerelease = *req.Prerelease
	}
	if req.Draft != nil {
		updated.draft = *req.Draft
	}
	if !updated.draft {
		if !c.publish(&updated) {
			return
		}
		if updated.published.IsZero() {
			updated.published = c.now
		}
	}
	updated.updated = c.now
	*rel = updated
	c.json(http.StatusOK, c.s.releaseJSON(c.repo, rel))
}

func (c *call) deleteRelease() {
	i, rel := c.release()
	if rel == nil {
		return
	}
	c.repo.releases = slices.Delete(c.repo.releases, i, i+1)
	c.noContent()
}
