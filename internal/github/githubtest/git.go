package githubtest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// commit is a minimal git commit: its whole tree is a path -> content map, which is
// all that branches, files, tags and merges need here.
type commit struct {
	sha     string
	parents []string
	tree    map[string]string
	message string
	time    time.Time
}

// addCommit stores a commit. Its sha hashes the content and the commit's position, so
// two commits with the same tree still differ, as real ones do by their timestamps.
func (rp *repo) addCommit(message string, parents []string, tree map[string]string, when time.Time) *commit {
	h := sha1.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s\x00", rp.fullName(), message, len(rp.commits), strings.Join(parents, ","))
	for _, path := range slices.Sorted(maps.Keys(tree)) {
		fmt.Fprintf(h, "%s\x00%s\x00", path, blobSHA(tree[path]))
	}
	c := &commit{sha: hex.EncodeToString(h.Sum(nil)), parents: parents, tree: tree, message: message, time: when}
	rp.commits[c.sha] = c
	if when.After(rp.pushed) {
		rp.pushed = when
	}
	return c
}

// blobSHA is git's object id for a file, as the contents API reports it.
func blobSHA(content string) string {
	sum := sha1.Sum([]byte(fmt.Sprintf("blob %d\x00%s", len(content), content)))
	return hex.EncodeToString(sum[:])
}

// treeSHA stands for the id of a commit's tree: a hash of its paths and blobs.
func treeSHA(tree map[string]string) string {
	h := sha1.New()
	for _, path := range slices.Sorted(maps.Keys(tree)) {
		fmt.Fprintf(h, "%s\x00%s\x00", path, blobSHA(tree[path]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func branchRef(branch string) string { return "refs/heads/" + branch }
func tagRef(tag string) string       { return "refs/tags/" + tag }

// resolve finds the commit a ref names: a sha, a full ref, "heads/x" or "tags/x",
// a branch or a tag.
func (rp *repo) resolve(ref string) *commit {
	if c := rp.commits[ref]; c != nil {
		return c
	}
	for _, full := range []string{ref, "refs/" + ref, branchRef(ref), tagRef(ref)} {
		if sha, ok := rp.refs[full]; ok {
			return rp.commits[sha]
		}
	}
	return nil
}

// commitOnBranch records a change of the branch's tree as a new commit and moves the
// branch to it.
func (rp *repo) commitOnBranch(branch, message string, change func(tree map[string]string), when time.Time) *commit {
	head := rp.commits[rp.refs[branchRef(branch)]]
	tree := maps.Clone(head.tree)
	change(tree)
	c := rp.addCommit(message, []string{head.sha}, tree, when)
	rp.refs[branchRef(branch)] = c.sha
	return c
}

// ensureBranch creates branch at the default branch's head when it does not exist.
func (rp *repo) ensureBranch(branch string) {
	if _, ok := rp.refs[branchRef(branch)]; !ok {
		rp.refs[branchRef(branch)] = rp.refs[branchRef(rp.defaultBranch)]
	}
}

// isAncestor reports whether ancestor is descendant or one of its parents' history.
func (rp *repo) isAncestor(ancestor, descendant string) bool {
	seen := map[string]bool{}
	queue := []string{descendant}
	for len(queue) > 0 {
		sha := queue[0]
		queue = queue[1:]
		if sha == ancestor {
			return true
		}
		if seen[sha] || rp.commits[sha] == nil {
			continue
		}
		seen[sha] = true
		queue = append(queue, rp.commits[sha].parents...)
	}
	return false
}

// SetFile commits content at path on branch (created from the default branch when
// missing) and returns the new commit's sha.
func (s *Server) SetFile(owner, repo, branch, path, content string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	rp.ensureBranch(branch)
	c := rp.commitOnBranch(branch, "Update "+path, func(tree map[string]string) { tree[path] = content }, s.clock())
	return c.sha
}

// File reads path at ref (a branch, tag or sha).
func (s *Server) File(owner, repo, ref, path string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustRepo(owner, repo).resolve(ref)
	if c == nil {
		return "", false
	}
	content, ok := c.tree[path]
	return content, ok
}

// Refs returns every ref of the repository: full name -> commit sha.
func (s *Server) Refs(owner, repo string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.mustRepo(owner, repo).refs)
}

// Tags returns the repository's tags: name -> commit sha.
func (s *Server) Tags(owner, repo string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tags := map[string]string{}
	for ref, sha := range s.mustRepo(owner, repo).refs {
		if name, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
			tags[name] = sha
		}
	}
	return tags
}

// BranchSHA is the commit branch points at, or "" when there is no such branch.
func (s *Server) BranchSHA(owner, repo, branch string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustRepo(owner, repo).refs[branchRef(branch)]
}

func (s *Server) registerGitRoutes() {
	s.handle("GET", "/repos/{owner}/{repo}/git/ref/{ref...}", (*call).getRef)
	s.handle("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref...}", (*call).listMatchingRefs)
	s.handle("POST", "/repos/{owner}/{repo}/git/refs", (*call).createRef)
	s.handle("PATCH", "/repos/{owner}/{repo}/git/refs/{ref...}", (*call).updateRef)
	s.handle("DELETE", "/repos/{owner}/{repo}/git/refs/{ref...}", (*call).deleteRef)
	s.handle("GET", "/repos/{owner}/{repo}/git/commits/{commit_sha}", (*call).getCommit)
	s.handle("GET", "/repos/{owner}/{repo}/tags", (*call).listTags)
}

// refJSON is a "git-ref".
func (c *call) refJSON(full string) object {
	sha := c.repo.refs[full]
	return object{
		"ref":     full,
		"node_id": nodeID("REF", c.repo.fullName()+":"+full),
		"url":     c.s.apiURL("/repos/%s/git/%s", c.repo.fullName(), full),
		"object": object{
			"type": "commit",
			"sha":  sha,
			"url":  c.s.apiURL("/repos/%s/git/commits/%s", c.repo.fullName(), sha),
		},
	}
}

func (c *call) getRef() {
	full := "refs/" + c.param("ref")
	if _, ok := c.repo.refs[full]; !ok {
		c.notFound()
		return
	}
	c.json(http.StatusOK, c.refJSON(full))
}

func (c *call) listMatchingRefs() {
	prefix := "refs/" + c.param("ref")
	refs := []object{}
	for _, full := range slices.Sorted(maps.Keys(c.repo.refs)) {
		if strings.HasPrefix(full, prefix) {
			refs = append(refs, c.refJSON(full))
		}
	}
	c.json(http.StatusOK, page(c, refs))
}

func (c *call) createRef() {
	var req struct {
		Ref *string `json:"ref"`
		SHA *string `json:"sha"`
	}
	if !c.decode(&req) {
		return
	}
	switch {
	case req.Ref == nil || req.SHA == nil:
		c.fail(http.StatusUnprocessableEntity, "Invalid request.\n\n\"ref\" and \"sha\" are required.")
	case !validRefName(*req.Ref):
		c.fail(http.StatusUnprocessableEntity, "Reference name is invalid")
	case c.repo.commits[*req.SHA] == nil:
		c.fail(http.StatusUnprocessableEntity, "Object does not exist")
	case c.repo.refs[*req.Ref] != "":
		c.fail(http.StatusUnprocessableEntity, "Reference already exists")
	default:
		c.repo.refs[*req.Ref] = *req.SHA
		c.created(c.refJSON(*req.Ref))
	}
}

// validRefName wants "refs/<kind>/<name>", as GitHub does.
func validRefName(ref string) bool {
	parts := strings.Split(ref, "/")
	return len(parts) >= 3 && parts[0] == "refs" && !slices.Contains(parts, "") && !strings.Contains(ref, "..")
}

func (c *call) updateRef() {
	var req struct {
		SHA   *string `json:"sha"`
		Force *bool   `json:"force"`
	}
	if !c.decode(&req) {
		return
	}
	full := "refs/" + c.param("ref")
	current, exists := c.repo.refs[full]
	switch {
	case !exists:
		c.fail(http.StatusUnprocessableEntity, "Reference does not exist")
	case req.SHA == nil:
		c.fail(http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.")
	case c.repo.commits[*req.SHA] == nil:
		c.fail(http.StatusUnprocessableEntity, "Object does not exist")
	case !(req.Force != nil && *req.Force) && !c.repo.isAncestor(current, *req.SHA):
		c.fail(http.StatusUnprocessableEntity, "Update is not a fast forward")
	default:
		c.repo.refs[full] = *req.SHA
		c.json(http.StatusOK, c.refJSON(full))
	}
}

func (c *call) deleteRef() {
	full := "refs/" + c.param("ref")
	if _, ok := c.repo.refs[full]; !ok {
		c.fail(http.StatusUnprocessableEntity, "Reference does not exist")
		return
	}
	delete(c.repo.refs, full)
	c.noContent()
}

// gitAuthor is who the fake's commits are by.
func gitAuthor(when time.Time) object {
	return object{"name": DefaultLogin, "email": DefaultLogin + "@users.noreply.github.com", "date": ts(when)}
}

// unverified is the "verification" of an unsigned commit.
var unverified = object{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil}

func (c *call) parentsJSON(cm *commit) []object {
	parents := []object{}
	for _, p := range cm.parents {
		parents = append(parents, object{
			"sha":      p,
			"url":      c.s.apiURL("/repos/%s/git/commits/%s", c.repo.fullName(), p),
			"html_url": c.s.htmlURL("/%s/commit/%s", c.repo.fullName(), p),
		})
	}
	return parents
}

// gitCommitJSON is a "git-commit", as the Git database API describes a commit.
func (c *call) gitCommitJSON(cm *commit) object {
	tree := treeSHA(cm.tree)
	return object{
		"sha":          cm.sha,
		"node_id":      nodeID("C", cm.sha),
		"url":          c.s.apiURL("/repos/%s/git/commits/%s", c.repo.fullName(), cm.sha),
		"html_url":     c.s.htmlURL("/%s/commit/%s", c.repo.fullName(), cm.sha),
		"author":       gitAuthor(cm.time),
		"committer":    gitAuthor(cm.time),
		"message":      cm.message,
		"tree":         object{"sha": tree, "url": c.s.apiURL("/repos/%s/git/trees/%s", c.repo.fullName(), tree)},
		"parents":      c.parentsJSON(cm),
		"verification": unverified,
	}
}

// commitJSON is a "commit", as the commits and branches APIs describe one: the git
// commit nested, with the GitHub users who wrote it.
func (c *call) commitJSON(cm *commit) object {
	git := c.gitCommitJSON(cm)
	return object{
		"sha":          cm.sha,
		"node_id":      git["node_id"],
		"url":          c.s.apiURL("/repos/%s/commits/%s", c.repo.fullName(), cm.sha),
		"html_url":     git["html_url"],
		"comments_url": c.s.apiURL("/repos/%s/commits/%s/comments", c.repo.fullName(), cm.sha),
		"commit": object{
			"url": git["url"], "author": git["author"], "committer": git["committer"], "message": git["message"],
			"comment_count": 0, "tree": git["tree"], "verification": git["verification"],
		},
		"author":    c.s.userJSON(DefaultLogin),
		"committer": c.s.userJSON(DefaultLogin),
		"parents":   git["parents"],
	}
}

func (c *call) getCommit() {
	cm := c.repo.commits[c.param("commit_sha")]
	if cm == nil {
		c.notFound()
		return
	}
	c.json(http.StatusOK, c.gitCommitJSON(cm))
}

func (c *call) listTags() {
	tags := []object{}
	names := []string{}
	for full := range c.repo.refs {
		if name, ok := strings.CutPrefix(full, "refs/tags/"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	slices.Reverse(names) // newest version names first, as GitHub tends to list them
	for _, name := range names {
		sha := c.repo.refs[tagRef(name)]
		tags = append(tags, object{
			"name":        name,
			"commit":      object{"sha": sha, "url": c.s.apiURL("/repos/%s/commits/%s", c.repo.fullName(), sha)},
			"zipball_url": c.s.apiURL("/repos/%s/zipball/refs/tags/%s", c.repo.fullName(), name),
			"tarball_url": c.s.apiURL("/repos/%s/tarball/refs/tags/%s", c.repo.fullName(), name),
			"node_id":     nodeID("REF", c.repo.fullName()+":"+tagRef(name)),
		})
	}
	c.json(http.StatusOK, page(c, tags))
}

// PushCommit stands for a push made with git (a test's seeding, not a REST route): one
// commit holding files (none for an empty commit) on branch, which is created at from's
// head when it does not exist. It returns the new commit's sha.
func (s *Server) PushCommit(owner, repo, branch, from, message string, files map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	if _, ok := rp.refs[branchRef(branch)]; !ok {
		start, ok := rp.refs[branchRef(from)]
		if !ok {
			panic(fmt.Sprintf("githubtest: no branch %s in %s", from, rp.fullName()))
		}
		rp.refs[branchRef(branch)] = start
	}
	c := rp.commitOnBranch(branch, message, func(tree map[string]string) { maps.Copy(tree, files) }, s.clock())
	return c.sha
}
