package githubtest

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// pull is the pull-request side of an issue.
type pull struct {
	head, base string // branch names
	// headRepo holds the head branch: the repository itself, or a fork of it.
	headRepo       *repo
	mergeBase      string
	draft          bool
	merged         bool
	mergedAt       time.Time
	mergedBy       string
	mergeCommitSHA string
	// closedHeadSHA freezes the head once the pull request is closed or merged.
	closedHeadSHA string
	// mergeabilityOf is the "head base" pair whose mergeability GitHub has computed.
	mergeabilityOf string
	reviews        []*review
	// requestedUsers and requestedTeams (slugs of the owner's teams) are the reviews
	// still asked for.
	requestedUsers, requestedTeams []string
}

func (s *Server) registerPullRoutes() {
	s.handle("GET", "/repos/{owner}/{repo}/pulls", (*call).listPulls)
	s.handle("POST", "/repos/{owner}/{repo}/pulls", (*call).createPull)
	s.handle("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", (*call).getPull)
	s.handle("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", (*call).listPullFiles)
	s.handle("PUT", "/repos/{owner}/{repo}/pulls/{pull_number}/merge", (*call).mergePull)
	s.handle("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", (*call).listPullReviews)
	s.handle("GET", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls", (*call).listCommitPulls)
}

// AddPullRequest opens a pull request from head into base as login and returns its
// number. It panics when GitHub would refuse it.
func (s *Server) AddPullRequest(owner, repo, login, head, base, title, body string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	is, refused := s.openPull(rp, login, head, base, title, body, false, s.clock())
	if refused != nil {
		panic(fmt.Sprintf("githubtest: pull request %s -> %s refused: %+v", head, base, *refused))
	}
	return is.number
}

// MarkMerged closes an open pull request as merged by login into mergeCommitSHA, a commit
// of a git repository the test keeps beside the fake (the fake's own commits are trees,
// not git objects; see the backport tests).
func (s *Server) MarkMerged(owner, repo string, number int, login, mergeCommitSHA string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	if number < 1 || number > len(rp.issues) || rp.issues[number-1].pull == nil || rp.issues[number-1].state != "open" {
		panic(fmt.Sprintf("githubtest: no open pull request #%d in %s", number, rp.fullName()))
	}
	is := rp.issues[number-1]
	now := s.clock()
	p := is.pull
	p.merged, p.mergedAt, p.mergedBy, p.mergeCommitSHA, p.closedHeadSHA = true, now, login, mergeCommitSHA, rp.headSHA(is)
	is.state, is.closed, is.updated = "closed", now, now
}

// PullRequests returns the repository's pull requests, by number.
func (s *Server) PullRequests(owner, repo string) []*github.PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	var out []object
	for _, is := range rp.issues {
		if is.pull != nil {
			out = append(out, s.pullJSON(rp, is))
		}
	}
	if out == nil {
		return nil
	}
	return asList[github.PullRequest](out)
}

// openPull validates and opens a pull request, or says which field GitHub would refuse.
// A head "owner:branch" names a branch of the owner's fork.
func (s *Server) openPull(rp *repo, login, head, base, title, body string, draft bool, now time.Time) (*issue, *fieldError) {
	headRepo := rp
	if forkOwner, branch, ok := strings.Cut(head, ":"); ok {
		head = branch
		if fork := s.repos[repoKey(forkOwner, rp.name)]; fork != nil && fork.parent == rp {
			headRepo = fork
		} else if !strings.EqualFold(forkOwner, rp.owner) {
			return nil, &fieldError{Resource: "PullRequest", Field: "head", Code: "invalid"}
		}
	}
	headSHA, baseSHA := headRepo.refs[branchRef(head)], rp.refs[branchRef(base)]
	switch {
	case title == "":
		return nil, &fieldError{Resource: "PullRequest", Field: "title", Code: "missing_field"}
	case baseSHA == "":
		return nil, &fieldError{Resource: "PullRequest", Field: "base", Code: "invalid"}
	case headSHA == "":
		return nil, &fieldError{Resource: "PullRequest", Field: "head", Code: "invalid"}
	case rp.isAncestor(headSHA, baseSHA):
		return nil, &fieldError{Resource: "PullRequest", Code: "custom",
			Message: fmt.Sprintf("No commits between %s and %s", base, head)}
	case rp.openPullFor(headRepo, head, base) != nil:
		return nil, &fieldError{Resource: "PullRequest", Code: "custom",
			Message: fmt.Sprintf("A pull request already exists for %s:%s.", headRepo.owner, head)}
	}
	is := s.openIssue(rp, login, title, body, now)
	is.pull = &pull{head: head, headRepo: headRepo, base: base, mergeBase: rp.mergeBase(headSHA, baseSHA), draft: draft}
	return is, nil
}

func (rp *repo) openPullFor(headRepo *repo, head, base string) *issue {
	for _, is := range rp.issues {
		if is.pull != nil && is.state == "open" && is.pull.headRepo == headRepo && is.pull.head == head && is.pull.base == base {
			return is
		}
	}
	return nil
}

// mergeBase is the nearest commit in both histories.
func (rp *repo) mergeBase(a, b string) string {
	queue := []string{a}
	seen := map[string]bool{}
	for len(queue) > 0 {
		sha := queue[0]
		queue = queue[1:]
		if seen[sha] || rp.commits[sha] == nil {
			continue
		}
		seen[sha] = true
		if rp.isAncestor(sha, b) {
			return sha
		}
		queue = append(queue, rp.commits[sha].parents...)
	}
	return ""
}

func (rp *repo) headSHA(is *issue) string {
	if is.pull.closedHeadSHA != "" {
		return is.pull.closedHeadSHA
	}
	return is.pull.headRepo.refs[branchRef(is.pull.head)]
}

// fileChange is one file of a pull request's diff; content is "" when removed.
type fileChange struct {
	path, status string
	old, new     string
}

// changes diffs the pull request's head against its merge base, by path.
func (rp *repo) changes(is *issue) []fileChange {
	before := rp.commits[is.pull.mergeBase].tree
	after := rp.commits[rp.headSHA(is)].tree
	var out []fileChange
	for _, path := range slices.Sorted(maps.Keys(after)) {
		old, existed := before[path]
		switch {
		case !existed:
			out = append(out, fileChange{path: path, status: "added", new: after[path]})
		case old != after[path]:
			out = append(out, fileChange{path: path, status: "modified", old: old, new: after[path]})
		}
	}
	for _, path := range slices.Sorted(maps.Keys(before)) {
		if _, kept := after[path]; !kept {
			out = append(out, fileChange{path: path, status: "removed", old: before[path]})
		}
	}
	slices.SortFunc(out, func(a, b fileChange) int { return strings.Compare(a.path, b.path) })
	return out
}

// conflicts reports whether the base branch changed a file the pull request also
// changed, differently.
func (rp *repo) conflicts(is *issue) bool {
	before := rp.commits[is.pull.mergeBase].tree
	base := rp.commits[rp.refs[branchRef(is.pull.base)]].tree
	for _, ch := range rp.changes(is) {
		atMergeBase, existedAtMergeBase := before[ch.path]
		onBase, existsOnBase := base[ch.path]
		existsOnHead := ch.status != "removed"
		baseChanged := existsOnBase != existedAtMergeBase || onBase != atMergeBase
		sameResult := existsOnBase == existsOnHead && onBase == ch.new
		if baseChanged && !sameResult {
			return true
		}
	}
	return false
}

// pullSimpleJSON is a "pull-request-simple", as listing answers: it has no merged,
// mergeable, mergeable_state or counts. https://docs.github.com/rest/pulls/pulls#list-pull-requests
func (s *Server) pullSimpleJSON(rp *repo, is *issue) object {
	p := is.pull
	url := s.apiURL("/repos/%s/pulls/%d", rp.fullName(), is.number)
	issueURL := s.apiURL("/repos/%s/issues/%d", rp.fullName(), is.number)
	html := s.htmlURL("/%s/pull/%d", rp.fullName(), is.number)
	headSHA := rp.headSHA(is)
	branch := func(in *repo, name, sha string) object {
		return object{"label": in.owner + ":" + name, "ref": name, "sha": sha,
			"user": s.userJSON(in.owner), "repo": s.repoJSON(in, false)}
	}
	var mergeCommit any
	if p.merged {
		mergeCommit = p.mergeCommitSHA
	}
	requestedUsers, requestedTeams := s.requestedJSON(rp, p)
	href := func(u string) object { return object{"href": u} }
	return object{
		"url":                 url,
		"id":                  is.id,
		"node_id":             nodeID("PR", is.id),
		"html_url":            html,
		"diff_url":            html + ".diff",
		"patch_url":           html + ".patch",
		"issue_url":           issueURL,
		"commits_url":         url + "/commits",
		"review_comments_url": url + "/comments",
		"review_comment_url":  s.apiURL("/repos/%s/pulls/comments{/number}", rp.fullName()),
		"comments_url":        issueURL + "/comments",
		"statuses_url":        s.apiURL("/repos/%s/statuses/%s", rp.fullName(), headSHA),
		"number":              is.number,
		"state":               is.state,
		"locked":              false,
		"title":               is.title,
		"user":                s.userJSON(is.user),
		"body":                nullString(is.body),
		"labels":              s.labelsJSON(rp, is.labels),
		"milestone":           nil,
		"active_lock_reason":  nil,
		"created_at":          ts(is.created),
		"updated_at":          ts(is.updated),
		"closed_at":           nullTime(is.closed),
		"merged_at":           nullTime(p.mergedAt),
		"merge_commit_sha":    mergeCommit,
		"assignee":            nil,
		"assignees":           []any{},
		"requested_reviewers": requestedUsers,
		"requested_teams":     requestedTeams,
		"head":                branch(p.headRepo, p.head, headSHA),
		"base":                branch(rp, p.base, rp.refs[branchRef(p.base)]),
		"_links": object{
			"self": href(url), "html": href(html), "issue": href(issueURL),
			"comments": href(issueURL + "/comments"), "review_comments": href(url + "/comments"),
			"review_comment": href(s.apiURL("/repos/%s/pulls/comments{/number}", rp.fullName())),
			"commits":        href(url + "/commits"), "statuses": href(s.apiURL("/repos/%s/statuses/%s", rp.fullName(), headSHA)),
		},
		"author_association": rp.association(is.user),
		"auto_merge":         nil,
		"draft":              p.draft,
	}
}

// pullJSON is a "pull-request", as getting, creating or updating one answers. An open
// pull request's mergeability is null ("mergeable_state": "unknown") until GitHub has
// computed it for its current head and base; getting the pull request starts that
// (getPull), so the next request sees it.
// https://docs.github.com/rest/guides/using-the-rest-api-to-interact-with-your-git-database#checking-mergeability-of-pull-requests
func (s *Server) pullJSON(rp *repo, is *issue) object {
	p := is.pull
	out := s.pullSimpleJSON(rp, is)
	var mergedBy any
	if p.merged {
		mergedBy = s.userJSON(p.mergedBy)
	}
	changes := rp.changes(is)
	added, removed := 0, 0
	for _, ch := range changes {
		a, r := lineDiff(ch.old, ch.new)
		added, removed = added+a, removed+r
	}
	out["merged"] = p.merged
	out["merged_by"] = mergedBy
	out["comments"] = is.comments
	out["review_comments"] = 0
	out["maintainer_can_modify"] = false
	out["commits"] = rp.commitsBetween(p.mergeBase, rp.headSHA(is))
	out["additions"] = added
	out["deletions"] = removed
	out["changed_files"] = len(changes)
	out["mergeable"], out["rebaseable"], out["mergeable_state"] = nil, nil, "unknown"
	switch {
	case is.state != "open" || p.mergeabilityOf != rp.mergeabilityKey(is):
		// Not computed yet, or no longer: a closed pull request is not merged again.
	case rp.conflicts(is):
		out["mergeable"], out["rebaseable"], out["mergeable_state"] = false, false, "dirty"
	default:
		out["mergeable"], out["rebaseable"], out["mergeable_state"] = true, true, "clean"
	}
	return out
}

// mergeabilityKey names what mergeability is computed for: the head and the base.
func (rp *repo) mergeabilityKey(is *issue) string {
	return rp.headSHA(is) + " " + rp.refs[branchRef(is.pull.base)]
}

// commitsBetween counts the commits reachable from head and not from base.
func (rp *repo) commitsBetween(base, head string) int {
	n := 0
	seen := map[string]bool{}
	queue := []string{head}
	for len(queue) > 0 {
		sha := queue[0]
		queue = queue[1:]
		if seen[sha] || rp.commits[sha] == nil || rp.isAncestor(sha, base) {
			continue
		}
		seen[sha] = true
		n++
		queue = append(queue, rp.commits[sha].parents...)
	}
	return n
}

// pull finds the pull request the route's number names, answering 404 when there is none.
func (c *call) pull() *issue {
	n, err := strconv.Atoi(c.param("pull_number"))
	if err != nil || n < 1 || n > len(c.repo.issues) || c.repo.issues[n-1].pull == nil {
		c.notFound()
		return nil
	}
	return c.repo.issues[n-1]
}

func (c *call) getPull() {
	if is := c.pull(); is != nil {
		c.json(http.StatusOK, c.s.pullJSON(c.repo, is))
		is.pull.mergeabilityOf = c.repo.mergeabilityKey(is) // computed by the next request
	}
}

func (c *call) createPull() {
	var req github.NewPullRequest
	if !c.decode(&req) {
		return
	}
	if c.bodyTooLong("PullRequest", deref(req.Body)) {
		return
	}
	is, refused := c.s.openPull(c.repo, c.login, deref(req.Head), deref(req.Base), deref(req.Title), deref(req.Body), deref(req.Draft), c.now)
	if refused != nil {
		c.invalid(*refused)
		return
	}
	c.created(c.s.pullJSON(c.repo, is))
}

func (c *call) listPulls() {
	q := c.r.URL.Query()
	state := cmp.Or(q.Get("state"), "open")
	if state != "open" && state != "closed" && state != "all" {
		c.invalid(fieldError{Resource: "PullRequest", Field: "state", Code: "invalid"})
		return
	}
	head := q.Get("head")
	var found []*issue
	for _, is := range c.repo.issues {
		if is.pull == nil || (state != "all" && is.state != state) ||
			(head != "" && !strings.EqualFold(head, is.pull.headRepo.owner+":"+is.pull.head)) ||
			(q.Get("base") != "" && q.Get("base") != is.pull.base) {
			continue
		}
		found = append(found, is)
	}
	direction := q.Get("direction")
	if direction == "" && q.Get("sort") != "" && q.Get("sort") != "created" {
		direction = "asc"
	}
	sortIssues(found, q.Get("sort"), direction)
	out := []object{}
	for _, is := range page(c, found) {
		out = append(out, c.s.pullSimpleJSON(c.repo, is))
	}
	c.json(http.StatusOK, out)
}

func (c *call) listPullFiles() {
	is := c.pull()
	if is == nil {
		return
	}
	files := []object{}
	for _, ch := range page(c, c.repo.changes(is)) {
		added, removed := lineDiff(ch.old, ch.new)
		sha := blobSHA(ch.new)
		if ch.status == "removed" {
			sha = blobSHA(ch.old)
		}
		head := c.repo.headSHA(is)
		files = append(files, object{
			"sha":          sha,
			"filename":     ch.path,
			"status":       ch.status,
			"additions":    added,
			"deletions":    removed,
			"changes":      added + removed,
			"blob_url":     c.s.htmlURL("/%s/blob/%s/%s", c.repo.fullName(), head, ch.path),
			"raw_url":      c.s.htmlURL("/%s/raw/%s/%s", c.repo.fullName(), head, ch.path),
			"contents_url": c.s.apiURL("/repos/%s/contents/%s?ref=%s", c.repo.fullName(), ch.path, head),
		})
	}
	c.json(http.StatusOK, files)
}

// lineDiff counts lines added and removed, comparing the two versions as multisets of
// lines: not a real diff, but right for additions, removals and edited lines.
func lineDiff(old, new string) (added, removed int) {
	count := map[string]int{}
	for _, line := range splitLines(old) {
		count[line]++
	}
	for _, line := range splitLines(new) {
		if count[line] > 0 {
			count[line]--
		} else {
			added++
		}
	}
	for _, n := range count {
		removed += n
	}
	return added, removed
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func (c *call) mergePull() {
	is := c.pull()
	if is == nil {
		return
	}
	var req struct {
		CommitTitle   *string `json:"commit_title"`
		CommitMessage *string `json:"commit_message"`
		SHA           *string `json:"sha"`
		MergeMethod   *string `json:"merge_method"`
	}
	if !c.decode(&req) {
		return
	}
	method := cmp.Or(deref(req.MergeMethod), "merge")
	switch {
	case method != "merge" && method != "squash" && method != "rebase":
		c.invalid(fieldError{Resource: "PullRequest", Field: "merge_method", Code: "invalid"})
	case is.state != "open" || c.repo.conflicts(is):
		c.fail(http.StatusMethodNotAllowed, "Pull Request is not mergeable")
	case req.SHA != nil && *req.SHA != c.repo.headSHA(is):
		c.fail(http.StatusConflict, "Head branch was modified. Review and try the merge again.")
	default:
		sha := c.merge(is, method, deref(req.CommitTitle), deref(req.CommitMessage))
		c.json(http.StatusOK, object{"sha": sha, "merged": true, "message": "Pull Request successfully merged"})
	}
}

// merge applies the pull request's changes on top of its base branch as one new
// commit (with the head as second parent for a merge), moves the base branch and
// closes the pull request.
func (c *call) merge(is *issue, method, title, message string) string {
	rp, p := c.repo, is.pull
	headSHA := rp.headSHA(is)
	baseHead := rp.refs[branchRef(p.base)]
	tree := maps.Clone(rp.commits[baseHead].tree)
	for _, ch := range rp.changes(is) {
		if ch.status == "removed" {
			delete(tree, ch.path)
		} else {
			tree[ch.path] = ch.new
		}
	}
	parents := []string{baseHead}
	defaultTitle := fmt.Sprintf("%s (#%d)", is.title, is.number)
	if method == "merge" {
		parents = append(parents, headSHA)
		defaultTitle = fmt.Sprintf("Merge pull request #%d from %s/%s", is.number, p.headRepo.owner, p.head)
	}
	text := cmp.Or(title, defaultTitle)
	if message != "" {
		text += "\n\n" + message
	}
	cm := rp.addCommit(text, parents, tree, c.now)
	rp.refs[branchRef(p.base)] = cm.sha

	p.merged, p.mergedAt, p.mergedBy, p.mergeCommitSHA, p.closedHeadSHA = true, c.now, c.login, cm.sha, headSHA
	is.state, is.closed, is.updated = "closed", c.now, c.now
	return cm.sha
}

// review is one submitted pull request review.
type review struct {
	id        int64
	user      string
	state     string // APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED
	commitID  string
	submitted time.Time
}

// AddReview submits a review on an open pull request as login, with state APPROVED,
// CHANGES_REQUESTED or COMMENTED, on the pull request's current head.
func (s *Server) AddReview(owner, repo string, number int, login, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	is := rp.mustPull(number)
	is.pull.reviews = append(is.pull.reviews, &review{id: s.newID(), user: login, state: state, commitID: rp.headSHA(is), submitted: s.clock()})
	// A requested reviewer who reviews is no longer requested (listRequestedReviewers).
	is.pull.requestedUsers = slices.DeleteFunc(is.pull.requestedUsers, func(u string) bool { return strings.EqualFold(u, login) })
}

// listPullReviews answers the reviews oldest first, as GitHub lists them
// ("The list of reviews returns in chronological order").
// https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request
func (c *call) listPullReviews() {
	is := c.pull()
	if is == nil {
		return
	}
	out := []object{}
	for _, rv := range page(c, is.pull.reviews) {
		html := c.s.htmlURL("/%s/pull/%d#pullrequestreview-%d", c.repo.fullName(), is.number, rv.id)
		out = append(out, object{
			"id":                 rv.id,
			"node_id":            nodeID("PRR", rv.id),
			"user":               c.s.userJSON(rv.user),
			"body":               "",
			"state":              rv.state,
			"html_url":           html,
			"pull_request_url":   c.s.apiURL("/repos/%s/pulls/%d", c.repo.fullName(), is.number),
			"_links":             object{"html": object{"href": html}, "pull_request": object{"href": c.s.apiURL("/repos/%s/pulls/%d", c.repo.fullName(), is.number)}},
			"submitted_at":       ts(rv.submitted),
			"commit_id":          rv.commitID,
			"author_association": c.repo.association(rv.user),
		})
	}
	c.json(http.StatusOK, out)
}

// mustIssue is issue (or pull request) number of the repository; a test naming one that
// does not exist is a mistake in the test.
func (rp *repo) mustIssue(number int) *issue {
	if number < 1 || number > len(rp.issues) {
		panic(fmt.Sprintf("githubtest: no issue #%d in %s", number, rp.fullName()))
	}
	return rp.issues[number-1]
}

// mustPull is pull request number of the repository; a test naming one that does not
// exist is a mistake in the test.
func (rp *repo) mustPull(number int) *issue {
	if number < 1 || number > len(rp.issues) || rp.issues[number-1].pull == nil {
		panic(fmt.Sprintf("githubtest: no pull request #%d in %s", number, rp.fullName()))
	}
	return rp.issues[number-1]
}
