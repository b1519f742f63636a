package githubtest

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"
)

func (s *Server) registerContentRoutes() {
	s.handle("GET", "/repos/{owner}/{repo}/contents/{path...}", (*call).getContents)
	s.handle("PUT", "/repos/{owner}/{repo}/contents/{path...}", (*call).putContents)
	s.handle("DELETE", "/repos/{owner}/{repo}/contents/{path...}", (*call).deleteContents)
}

// DeleteFile commits the removal of path on branch and returns the new commit's sha.
func (s *Server) DeleteFile(owner, repo, branch, path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	rp.ensureBranch(branch)
	c := rp.commitOnBranch(branch, "Delete "+path, func(tree map[string]string) { delete(tree, path) }, s.clock())
	return c.sha
}

// fileJSON describes one file ("content-file"); withContent adds its base64 content,
// wrapped at 60 characters as GitHub wraps it.
func (c *call) fileJSON(ref, filePath, content string, withContent bool) object {
	sha := blobSHA(content)
	url := c.s.apiURL("/repos/%s/contents/%s?ref=%s", c.repo.fullName(), filePath, ref)
	gitURL := c.s.apiURL("/repos/%s/git/blobs/%s", c.repo.fullName(), sha)
	htmlURL := c.s.htmlURL("/%s/blob/%s/%s", c.repo.fullName(), ref, filePath)
	out := object{
		"type":         "file",
		"name":         path.Base(filePath),
		"path":         filePath,
		"size":         len(content),
		"sha":          sha,
		"url":          url,
		"git_url":      gitURL,
		"html_url":     htmlURL,
		"download_url": c.s.htmlURL("/raw/%s/%s/%s", c.repo.fullName(), ref, filePath),
		"_links":       object{"self": url, "git": gitURL, "html": htmlURL},
	}
	if withContent {
		out["encoding"] = "base64"
		out["content"] = wrapLines(base64.StdEncoding.EncodeToString([]byte(content)), 60)
	}
	return out
}

func wrapLines(s string, width int) string {
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width])
		b.WriteByte('\n')
		s = s[width:]
	}
	b.WriteString(s)
	b.WriteByte('\n')
	return b.String()
}

func (c *call) getContents() {
	ref := c.r.URL.Query().Get("ref")
	if ref == "" {
		ref = c.repo.defaultBranch
	}
	head := c.repo.resolve(ref)
	if head == nil {
		c.fail(http.StatusNotFound, "No commit found for the ref "+ref)
		return
	}
	filePath := strings.Trim(c.param("path"), "/")
	if content, ok := head.tree[filePath]; ok {
		c.json(http.StatusOK, c.fileJSON(ref, filePath, content, true))
		return
	}
	entries := c.directory(head, ref, filePath)
	if len(entries) == 0 {
		c.notFound()
		return
	}
	c.json(http.StatusOK, entries)
}

// directory lists the files and folders directly under dir ("content-directory").
func (c *call) directory(head *commit, ref, dir string) []object {
	entries := []object{}
	seenDirs := map[string]bool{}
	for _, p := range slices.Sorted(maps.Keys(head.tree)) {
		rest, ok := strings.CutPrefix(p, dir+"/")
		if !ok {
			continue
		}
		sub, _, isDeeper := strings.Cut(rest, "/")
		if !isDeeper {
			entries = append(entries, c.fileJSON(ref, p, head.tree[p], false))
			continue
		}
		if seenDirs[sub] {
			continue
		}
		seenDirs[sub] = true
		subPath := dir + "/" + sub
		subTree := map[string]string{}
		for q, content := range head.tree {
			if strings.HasPrefix(q, subPath+"/") {
				subTree[q] = content
			}
		}
		sha := treeSHA(subTree)
		url := c.s.apiURL("/repos/%s/contents/%s?ref=%s", c.repo.fullName(), subPath, ref)
		gitURL := c.s.apiURL("/repos/%s/git/trees/%s", c.repo.fullName(), sha)
		htmlURL := c.s.htmlURL("/%s/tree/%s/%s", c.repo.fullName(), ref, subPath)
		entries = append(entries, object{
			"type": "dir", "name": sub, "path": subPath, "size": 0, "sha": sha,
			"url": url, "git_url": gitURL, "html_url": htmlURL, "download_url": nil,
			"_links": object{"self": url, "git": gitURL, "html": htmlURL},
		})
	}
	slices.SortStableFunc(entries, func(a, b object) int { return strings.Compare(a["path"].(string), b["path"].(string)) })
	return entries
}

type contentsRequest struct {
	Message *string `json:"message"`
	Content *string `json:"content"`
	SHA     *string `json:"sha"`
	Branch  *string `json:"branch"`
}

// branchHead finds the branch a write names (the default one when none), answering
// 404 when it does not exist.
func (c *call) branchHead(req contentsRequest) (string, *commit) {
	branch := c.repo.defaultBranch
	if req.Branch != nil && *req.Branch != "" {
		branch = *req.Branch
	}
	head := c.repo.commits[c.repo.refs[branchRef(branch)]]
	if head == nil {
		c.fail(http.StatusNotFound, fmt.Sprintf("Branch %s not found", branch))
	}
	return branch, head
}

// shaMismatch answers as GitHub does when a write of an existing file does not name
// the version it replaces.
func (c *call) shaMismatch(req contentsRequest, filePath, current string) bool {
	switch {
	case req.SHA == nil:
		c.fail(http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.")
	case *req.SHA != blobSHA(current):
		c.fail(http.StatusConflict, fmt.Sprintf("%s does not match %s", filePath, *req.SHA))
	default:
		return false
	}
	return true
}

func (c *call) putContents() {
	var req contentsRequest
	if !c.decode(&req) {
		return
	}
	if req.Message == nil || req.Content == nil {
		c.fail(http.StatusUnprocessableEntity, "Invalid request.\n\n\"message\" and \"content\" are required.")
		return
	}
	content, err := base64.StdEncoding.DecodeString(*req.Content)
	if err != nil {
		c.fail(http.StatusUnprocessableEntity, "content is not valid Base64")
		return
	}
	branch, head := c.branchHead(req)
	if head == nil {
		return
	}
	filePath := strings.Trim(c.param("path"), "/")
	current, exists := head.tree[filePath]
	if exists && c.shaMismatch(req, filePath, current) {
		return
	}
	cm := c.repo.commitOnBranch(branch, *req.Message, func(tree map[string]string) { tree[filePath] = string(content) }, c.now)
	status := http.StatusCreated
	if exists {
		status = http.StatusOK
	}
	c.json(status, object{
		"content": c.fileJSON(branch, filePath, string(content), false),
		"commit":  c.gitCommitJSON(cm),
	})
}

func (c *call) deleteContents() {
	var req contentsRequest
	if !c.decode(&req) {
		return
	}
	if req.Message == nil {
		c.fail(http.StatusUnprocessableEntity, "Invalid request.\n\n\"message\" wasn't supplied.")
		return
	}
	branch, head := c.branchHead(req)
	if head == nil {
		return
	}
	filePath := strings.Trim(c.param("path"), "/")
	current, exists := head.tree[filePath]
	if !exists {
		c.notFound()
		return
	}
	if c.shaMismatch(req, filePath, current) {
		return
	}
	cm := c.repo.commitOnBranch(branch, *req.Message, func(tree map[string]string) { delete(tree, filePath) }, c.now)
	c.json(http.StatusOK, object{"content": nil, "commit": c.gitCommitJSON(cm)})
}
