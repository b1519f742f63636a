package githubtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openAPIReference is testdata/openapi.json: the operations the fake serves as GitHub's
// OpenAPI description has them.
type openAPIReference struct {
	Source     string                      `json:"source"`
	Operations map[string]openAPIOperation `json:"operations"`
	Schemas    map[string]schema           `json:"schemas"`
}

type openAPIOperation struct {
	OperationID string `json:"operationId"`
	Docs        string `json:"docs"`
	Responses   map[string]struct {
		Schema  schema   `json:"schema"`
		Headers []string `json:"headers"`
	} `json:"responses"`
}

// undocumentedStatuses are answers GitHub gives on any operation, whether or not its
// description lists them; their bodies must still be GitHub's error bodies
// (validation-error, of which basic-error is the part without "errors").
var undocumentedStatuses = map[int]string{
	http.StatusNotModified:  "a conditional GET whose ETag still matches (https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate)",
	http.StatusUnauthorized: "bad or missing credentials",
	http.StatusForbidden:    "a token lacking a permission (Resource not accessible by integration) or a rate limit",
	http.StatusNotFound:     "what the path names does not exist (issues/get-comment lists it, releases/get does not)",
	http.StatusUnprocessableEntity: "validation failed: e.g. a commit status's description over 140 characters, " +
		"which repos/create-commit-status does not list (https://docs.github.com/rest/commits/statuses)",
}

// exchange is one request and the fake's answer, as the client saw it.
type exchange struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

// recorder is a transport that keeps every exchange.
type recordingTransport struct {
	mu        sync.Mutex
	next      http.RoundTripper
	exchanges []exchange
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.exchanges = append(rt.exchanges, exchange{req.Method, req.URL.Path, resp.StatusCode, resp.Header.Clone(), body})
	return resp, nil
}

// TestAnswersMatchGitHubsOpenAPIDescription drives every route the fake serves, in
// success and in the errors it knows, and checks each answer's status and body against
// the operation in GitHub's OpenAPI description (testdata/openapi.json).
func TestAnswersMatchGitHubsOpenAPIDescription(t *testing.T) {
	var ref openAPIReference
	loadTestdata(t, "openapi.json", &ref)
	set := &schemaSet{schemas: ref.Schemas}

	s := NewServer(WithToken("ghp_owner", "openmrs"),
		WithTokenPermissions("ghs_readonly", "github-actions[bot]", Permissions{"issues": "read"}))
	t.Cleanup(s.Close)
	rec := &recordingTransport{next: s.srv.Client().Transport}
	client := func(token string) *github.Client {
		c, err := github.NewClient(&http.Client{Transport: rec}).WithAuthToken(token).WithEnterpriseURLs(s.URL(), s.URL())
		require.NoError(t, err)
		return c
	}
	d := &driver{t: t, s: s, gh: client("ghp_owner"), readOnly: client("ghs_readonly"), rec: rec}
	d.run()

	requests := s.Requests()
	require.Len(t, rec.exchanges, len(requests), "every request was recorded")
	served := map[string]bool{}
	for i, ex := range rec.exchanges {
		route := requests[i].Route
		require.NotEmpty(t, route, "%s %s matched no route", ex.method, ex.path)
		key := ex.method + " " + strings.ReplaceAll(route, "...}", "}")
		op, ok := ref.Operations[key]
		require.True(t, ok, "%s is not in testdata/openapi.json: run scripts/github-openapi.sh", key)
		where := fmt.Sprintf("%s (%s %s) answered %d", op.OperationID, ex.method, ex.path, ex.status)
		if ex.status < 300 {
			served[key] = true
		}

		response, documented := op.Responses[strconv.Itoa(ex.status)]
		if !documented {
			_, common := undocumentedStatuses[ex.status]
			if !assert.True(t, common, "%s: a status the operation does not document", where) {
				continue
			}
			response.Schema = schema{"$ref": "#/components/schemas/validation-error"}
		}
		// Location names what a 201 made; Link is there only when there is another page.
		for _, h := range response.Headers {
			if h == "Location" {
				assert.NotEmpty(t, ex.header.Get(h), "%s: no %s header", where, h)
			}
		}
		if ex.status == http.StatusNoContent || ex.status == http.StatusNotModified {
			assert.Empty(t, ex.body, "%s: a body", where)
			continue
		}
		if response.Schema == nil {
			continue
		}
		assert.Equal(t, "application/json; charset=utf-8", ex.header.Get("Content-Type"), where)
		var body any
		if !assert.NoError(t, decodeJSON(ex.body, &body), where) {
			continue
		}
		for _, msg := range set.validate(response.Schema, body, "$") {
			t.Errorf("%s: %s", where, msg)
		}
		// Every error body GitHub writes has a message and a documentation URL, and a
		// 422's errors name resource, field and code (validation-error), whatever the
		// operation's own schema (often basic-error, which requires nothing) says.
		if ex.status >= 400 {
			for _, msg := range set.validate(schema{"$ref": "#/components/schemas/validation-error"}, body, "$") {
				t.Errorf("%s: as an error body: %s", where, msg)
			}
		}
		if location := ex.header.Get("Location"); location != "" {
			assert.Equal(t, body.(map[string]any)["url"], location, "%s: Location names what was made", where)
		}
	}

	// Every route was driven to success, and documents itself as GitHub does.
	for _, rt := range s.routes {
		key := rt.method + " " + strings.ReplaceAll(rt.pattern, "...}", "}")
		assert.True(t, served[key], "%s was never answered with success", key)
		if op, ok := ref.Operations[key]; assert.True(t, ok, "%s is not in testdata/openapi.json", key) {
			assert.Equal(t, op.Docs, rt.docsURL(), "%s: documentation URL", key)
		}
	}
	assert.Len(t, ref.Operations, len(s.routes), "testdata/openapi.json holds the fake's operations and no others")
	statuses := map[string]bool{}
	for i, ex := range rec.exchanges {
		statuses[fmt.Sprintf("%s %s %d", ex.method, requests[i].Route, ex.status)] = true
	}
	t.Logf("%d answers (%d distinct route and status pairs) of %d operations checked against %s",
		len(rec.exchanges), len(statuses), len(ref.Operations), ref.Source)
}

// driver calls every route of the fake; each call states the status it expects.
type driver struct {
	t        *testing.T
	s        *Server
	gh       *github.Client
	readOnly *github.Client
	rec      *recordingTransport
}

var bg = context.Background()

const (
	dOwner = "openmrs"
	dRepo  = "ciel-releases"
)

// want asserts the status of a go-github call.
func (d *driver) want(status int, resp *github.Response, err error) {
	d.t.Helper()
	var got int
	var er *github.ErrorResponse
	var arle *github.AbuseRateLimitError
	var rle *github.RateLimitError
	switch {
	case errors.As(err, &er):
		got = er.Response.StatusCode
	case errors.As(err, &arle):
		got = arle.Response.StatusCode
	case errors.As(err, &rle):
		got = rle.Response.StatusCode
	case err != nil:
		// go-github turns the 404 "Branch not protected" into ErrBranchNotProtected.
		if resp == nil {
			d.t.Fatalf("want %d, got %v", status, err)
		}
		got = resp.StatusCode
	default:
		got = resp.StatusCode
	}
	require.Equal(d.t, status, got, "%v", err)
}

// raw sends a request without go-github, for what it does not send.
func (d *driver) raw(status int, method, path, token string, body string, header ...string) *http.Response {
	d.t.Helper()
	req, err := http.NewRequest(method, d.s.URL()+path, strings.NewReader(body))
	require.NoError(d.t, err)
	req.Header.Set("Authorization", "token "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Transport: d.rec}).Do(req)
	require.NoError(d.t, err)
	resp.Body.Close()
	require.Equal(d.t, status, resp.StatusCode, "%s %s", method, path)
	return resp
}

func (d *driver) run() {
	d.s.AddRepo(dOwner, dRepo, "main")
	d.repos()
	d.git()
	d.contents()
	issue := d.issues()
	d.comments(issue)
	d.labels(issue)
	d.statuses()
	d.checks()
	d.pulls()
	d.releases()
	d.apps()
	d.settings()
	d.identity()
	d.teams()
	d.permissionsAndGone()
}

func (d *driver) repos() {
	gh := d.gh
	_, resp, err := gh.Repositories.Get(bg, dOwner, dRepo)
	d.want(200, resp, err)
	_, resp, err = gh.Repositories.Get(bg, dOwner, "nothing-here")
	d.want(404, resp, err)
	_, resp, err = gh.Repositories.GetBranch(bg, dOwner, dRepo, "main", 1)
	d.want(200, resp, err)
	_, resp, err = gh.Repositories.GetBranch(bg, dOwner, dRepo, "nothing-here", 1)
	d.want(404, resp, err)
	d.s.AddCollaborator(dOwner, dRepo, "alice", "triage")
	_, resp, err = gh.Repositories.GetPermissionLevel(bg, dOwner, dRepo, "alice")
	d.want(200, resp, err)
	_, resp, err = gh.Repositories.GetPermissionLevel(bg, dOwner, dRepo, "stranger")
	d.want(200, resp, err)
	_, resp, err = gh.Repositories.IsCollaborator(bg, dOwner, dRepo, "alice")
	d.want(204, resp, err)
	_, resp, err = gh.Repositories.IsCollaborator(bg, dOwner, dRepo, "stranger")
	d.want(404, resp, err)
	d.s.AddFork(dOwner, dRepo, "mallory")
	_, resp, err = gh.Repositories.Get(bg, "mallory", dRepo)
	d.want(200, resp, err)
	// A conditional GET that hits.
	first := d.raw(200, "GET", "repos/"+dOwner+"/"+dRepo, "ghp_owner", "")
	d.raw(304, "GET", "repos/"+dOwner+"/"+dRepo, "ghp_owner", "", "If-None-Match", first.Header.Get("ETag"))
}

func (d *driver) git() {
	gh := d.gh
	mainSHA := d.s.BranchSHA(dOwner, dRepo, "main")
	_, resp, err := gh.Git.GetRef(bg, dOwner, dRepo, "heads/main")
	d.want(200, resp, err)
	_, resp, err = gh.Git.GetRef(bg, dOwner, dRepo, "heads/nothing-here")
	d.want(404, resp, err)
	newRef := &github.Reference{Ref: github.String("refs/heads/topic"), Object: &github.GitObject{SHA: github.String(mainSHA)}}
	_, resp, err = gh.Git.CreateRef(bg, dOwner, dRepo, newRef)
	d.want(201, resp, err)
	_, resp, err = gh.Git.CreateRef(bg, dOwner, dRepo, newRef)
	d.want(422, resp, err)
	_, resp, err = gh.Git.ListMatchingRefs(bg, dOwner, dRepo, &github.ReferenceListOptions{Ref: "heads/"})
	d.want(200, resp, err)
	ahead := d.s.SetFile(dOwner, dRepo, "ahead", "a.txt", "a\n")
	_, resp, err = gh.Git.UpdateRef(bg, dOwner, dRepo, &github.Reference{Ref: github.String("refs/heads/topic"), Object: &github.GitObject{SHA: github.String(ahead)}}, false)
	d.want(200, resp, err)
	_, resp, err = gh.Git.UpdateRef(bg, dOwner, dRepo, &github.Reference{Ref: github.String("refs/heads/topic"), Object: &github.GitObject{SHA: github.String(mainSHA)}}, false)
	d.want(422, resp, err)
	resp, err = gh.Git.DeleteRef(bg, dOwner, dRepo, "heads/topic")
	d.want(204, resp, err)
	resp, err = gh.Git.DeleteRef(bg, dOwner, dRepo, "heads/topic")
	d.want(422, resp, err)
	_, resp, err = gh.Git.GetCommit(bg, dOwner, dRepo, mainSHA)
	d.want(200, resp, err)
	_, resp, err = gh.Git.GetCommit(bg, dOwner, dRepo, strings.Repeat("0", 40))
	d.want(404, resp, err)
}

func (d *driver) contents() {
	gh := d.gh
	put := func(status int, content, sha string) *github.RepositoryContentResponse {
		opts := &github.RepositoryContentFileOptions{Message: github.String("m"), Content: []byte(content)}
		if sha != "" {
			opts.SHA = github.String(sha)
		}
		out, resp, err := gh.Repositories.UpdateFile(bg, dOwner, dRepo, "releases/v1.yaml", opts)
		d.want(status, resp, err)
		return out
	}
	created := put(201, "one\n", "")
	put(422, "two\n", "")
	put(409, "two\n", strings.Repeat("0", 40))
	updated := put(200, "two\n", created.Content.GetSHA())
	_, _, resp, err := gh.Repositories.GetContents(bg, dOwner, dRepo, "releases/v1.yaml", nil)
	d.want(200, resp, err)
	_, _, resp, err = gh.Repositories.GetContents(bg, dOwner, dRepo, "releases", nil)
	d.want(200, resp, err)
	_, _, resp, err = gh.Repositories.GetContents(bg, dOwner, dRepo, "nothing-here", nil)
	d.want(404, resp, err)
	d.s.SetFile(dOwner, dRepo, "main", "old.txt", "old\n")
	old, _, _, err := gh.Repositories.GetContents(bg, dOwner, dRepo, "old.txt", nil)
	require.NoError(d.t, err)
	_, resp, err = gh.Repositories.DeleteFile(bg, dOwner, dRepo, "old.txt", &github.RepositoryContentFileOptions{Message: github.String("m"), SHA: old.SHA})
	d.want(200, resp, err)
	_, resp, err = gh.Repositories.DeleteFile(bg, dOwner, dRepo, "old.txt", &github.RepositoryContentFileOptions{Message: github.String("m"), SHA: updated.Content.SHA})
	d.want(404, resp, err)
	_ = base64.StdEncoding
}

func (d *driver) issues() int {
	gh := d.gh
	issue, resp, err := gh.Issues.Create(bg, dOwner, dRepo, &github.IssueRequest{Title: github.String("Release v1"), Body: github.String("b"), Labels: &[]string{"release"}})
	d.want(201, resp, err)
	_, resp, err = gh.Issues.Create(bg, dOwner, dRepo, &github.IssueRequest{Title: github.String("t"), Body: github.String(strings.Repeat("x", maxBodyChars+1))})
	d.want(422, resp, err)
	_, resp, err = gh.Issues.Get(bg, dOwner, dRepo, issue.GetNumber())
	d.want(200, resp, err)
	_, resp, err = gh.Issues.Get(bg, dOwner, dRepo, 999)
	d.want(404, resp, err)
	_, resp, err = gh.Issues.Edit(bg, dOwner, dRepo, issue.GetNumber(), &github.IssueRequest{Body: github.String("b2")})
	d.want(200, resp, err)
	_, resp, err = gh.Issues.Edit(bg, dOwner, dRepo, issue.GetNumber(), &github.IssueRequest{Body: github.String(strings.Repeat("x", maxBodyChars+1))})
	d.want(422, resp, err)
	closed := d.s.AddIssue(dOwner, dRepo, "alice", "closed one", "")
	_, resp, err = gh.Issues.Edit(bg, dOwner, dRepo, closed, &github.IssueRequest{State: github.String("closed")})
	d.want(200, resp, err)
	_, resp, err = gh.Issues.ListByRepo(bg, dOwner, dRepo, &github.IssueListByRepoOptions{State: "all"})
	d.want(200, resp, err)
	_, resp, err = gh.Issues.ListByRepo(bg, dOwner, dRepo, &github.IssueListByRepoOptions{State: "sideways"})
	d.want(422, resp, err)
	return issue.GetNumber()
}

func (d *driver) comments(issue int) {
	gh := d.gh
	cm, resp, err := gh.Issues.CreateComment(bg, dOwner, dRepo, issue, &github.IssueComment{Body: github.String("c")})
	d.want(201, resp, err)
	_, resp, err = gh.Issues.CreateComment(bg, dOwner, dRepo, issue, &github.IssueComment{Body: github.String(strings.Repeat("x", maxBodyChars+1))})
	d.want(422, resp, err)
	_, resp, err = gh.Issues.CreateComment(bg, dOwner, dRepo, 999, &github.IssueComment{Body: github.String("c")})
	d.want(404, resp, err)
	_, resp, err = gh.Issues.ListComments(bg, dOwner, dRepo, issue, nil)
	d.want(200, resp, err)
	_, resp, err = gh.Issues.GetComment(bg, dOwner, dRepo, cm.GetID())
	d.want(200, resp, err)
	_, resp, err = gh.Issues.GetComment(bg, dOwner, dRepo, 999999)
	d.want(404, resp, err)
	_, resp, err = gh.Issues.EditComment(bg, dOwner, dRepo, cm.GetID(), &github.IssueComment{Body: github.String("c2")})
	d.want(200, resp, err)
	_, resp, err = gh.Reactions.CreateIssueCommentReaction(bg, dOwner, dRepo, cm.GetID(), "eyes")
	d.want(201, resp, err)
	_, resp, err = gh.Reactions.CreateIssueCommentReaction(bg, dOwner, dRepo, cm.GetID(), "eyes")
	d.want(200, resp, err)
	_, resp, err = gh.Reactions.CreateIssueCommentReaction(bg, dOwner, dRepo, cm.GetID(), "shrug")
	d.want(422, resp, err)
	_, resp, err = gh.Issues.GetComment(bg, dOwner, dRepo, cm.GetID())
	d.want(200, resp, err)
	_, resp, err = gh.Issues.EditComment(bg, dOwner, dRepo, cm.GetID(), &github.IssueComment{Body: github.String(strings.Repeat("x", maxBodyChars+1))})
	d.want(422, resp, err)
	resp, err = gh.Issues.DeleteComment(bg, dOwner, dRepo, cm.GetID())
	d.want(204, resp, err)
}

func (d *driver) labels(issue int) {
	gh := d.gh
	_, resp, err := gh.Issues.CreateLabel(bg, dOwner, dRepo, &github.Label{Name: github.String("shepherd: needs review"), Color: github.String("ff0000"), Description: github.String("d")})
	d.want(201, resp, err)
	_, resp, err = gh.Issues.CreateLabel(bg, dOwner, dRepo, &github.Label{Name: github.String("Shepherd: Needs Review")})
	d.want(422, resp, err)
	_, resp, err = gh.Issues.ListLabels(bg, dOwner, dRepo, nil)
	d.want(200, resp, err)
	_, resp, err = gh.Issues.GetLabel(bg, dOwner, dRepo, "shepherd: needs review")
	d.want(200, resp, err)
	_, resp, err = gh.Issues.GetLabel(bg, dOwner, dRepo, "nothing here")
	d.want(404, resp, err)
	_, resp, err = gh.Issues.EditLabel(bg, dOwner, dRepo, "shepherd: needs review", &github.Label{Color: github.String("00ff00")})
	d.want(200, resp, err)
	_, resp, err = gh.Issues.AddLabelsToIssue(bg, dOwner, dRepo, issue, []string{"shepherd: needs review", "qa"})
	d.want(200, resp, err)
	_, resp, err = gh.Issues.ListLabelsByIssue(bg, dOwner, dRepo, issue, nil)
	d.want(200, resp, err)
	resp, err = gh.Issues.RemoveLabelForIssue(bg, dOwner, dRepo, issue, "qa")
	d.want(200, resp, err)
	resp, err = gh.Issues.RemoveLabelForIssue(bg, dOwner, dRepo, issue, "qa")
	d.want(404, resp, err)
	_, resp, err = gh.Issues.ReplaceLabelsForIssue(bg, dOwner, dRepo, issue, []string{"release"})
	d.want(200, resp, err)
	resp, err = gh.Issues.RemoveLabelsForIssue(bg, dOwner, dRepo, issue)
	d.want(204, resp, err)
	resp, err = gh.Issues.DeleteLabel(bg, dOwner, dRepo, "shepherd: needs review")
	d.want(204, resp, err)
}

func (d *driver) statuses() {
	gh := d.gh
	sha := d.s.BranchSHA(dOwner, dRepo, "main")
	_, resp, err := gh.Repositories.CreateStatus(bg, dOwner, dRepo, sha, &github.RepoStatus{State: github.String("pending"), Context: github.String("shepherd/qa"), Description: github.String("d")})
	d.want(201, resp, err)
	_, resp, err = gh.Repositories.CreateStatus(bg, dOwner, dRepo, sha, &github.RepoStatus{State: github.String("done")})
	d.want(422, resp, err)
	_, resp, err = gh.Repositories.ListStatuses(bg, dOwner, dRepo, "main", nil)
	d.want(200, resp, err)
	_, resp, err = gh.Repositories.GetCombinedStatus(bg, dOwner, dRepo, "main", nil)
	d.want(200, resp, err)
}

func (d *driver) checks() {
	gh := d.gh
	sha := d.s.BranchSHA(dOwner, dRepo, "main")
	run, resp, err := gh.Checks.CreateCheckRun(bg, dOwner, dRepo, github.CreateCheckRunOptions{Name: "shepherd/qa", HeadSHA: sha,
		Output: &github.CheckRunOutput{Title: github.String("t"), Summary: github.String("s")}})
	d.want(201, resp, err)
	_, resp, err = gh.Checks.GetCheckRun(bg, dOwner, dRepo, run.GetID())
	d.want(200, resp, err)
	_, resp, err = gh.Checks.GetCheckRun(bg, dOwner, dRepo, 999999)
	d.want(404, resp, err)
	_, resp, err = gh.Checks.UpdateCheckRun(bg, dOwner, dRepo, run.GetID(), github.UpdateCheckRunOptions{Name: "shepherd/qa", Conclusion: github.String("success")})
	d.want(200, resp, err)
	_, resp, err = gh.Checks.ListCheckRunsForRef(bg, dOwner, dRepo, "main", nil)
	d.want(200, resp, err)
}

func (d *driver) pulls() {
	gh := d.gh
	d.s.SetFile(dOwner, dRepo, "release", "releases/v2.yaml", "v2\n")
	pr, resp, err := gh.PullRequests.Create(bg, dOwner, dRepo, &github.NewPullRequest{Title: github.String("Release v2"), Head: github.String("release"), Base: github.String("main"), Body: github.String("b")})
	d.want(201, resp, err)
	_, resp, err = gh.PullRequests.Create(bg, dOwner, dRepo, &github.NewPullRequest{Title: github.String("again"), Head: github.String("release"), Base: github.String("main")})
	d.want(422, resp, err)
	d.s.SetFile("mallory", dRepo, "evil", "releases/v9.yaml", "x\n")
	_, resp, err = gh.PullRequests.Create(bg, dOwner, dRepo, &github.NewPullRequest{Title: github.String("from a fork"), Head: github.String("mallory:evil"), Base: github.String("main")})
	d.want(201, resp, err)
	d.s.SetFile(dOwner, dRepo, "draft", "notes.md", "draft\n")
	_, resp, err = gh.PullRequests.Create(bg, dOwner, dRepo, &github.NewPullRequest{Title: github.String("a draft"), Head: github.String("draft"), Base: github.String("main"), Draft: github.Bool(true)})
	d.want(201, resp, err)
	_, resp, err = gh.PullRequests.Create(bg, dOwner, dRepo, &github.NewPullRequest{Title: github.String("nobody's"), Head: github.String("nobody:evil"), Base: github.String("main")})
	d.want(422, resp, err)
	_, resp, err = gh.PullRequests.Create(bg, dOwner, dRepo, &github.NewPullRequest{Title: github.String("long"), Head: github.String("mallory:evil"), Base: github.String("main"), Body: github.String(strings.Repeat("x", maxBodyChars+1))})
	d.want(422, resp, err)
	_, resp, err = gh.PullRequests.List(bg, dOwner, dRepo, &github.PullRequestListOptions{State: "all"})
	d.want(200, resp, err)
	_, resp, err = gh.PullRequests.Get(bg, dOwner, dRepo, pr.GetNumber())
	d.want(200, resp, err)
	_, resp, err = gh.PullRequests.Get(bg, dOwner, dRepo, 999)
	d.want(404, resp, err)
	_, resp, err = gh.PullRequests.ListFiles(bg, dOwner, dRepo, pr.GetNumber(), nil)
	d.want(200, resp, err)
	d.s.RequestReview(dOwner, dRepo, pr.GetNumber(), "alice")
	d.s.RequestReview(dOwner, dRepo, pr.GetNumber(), "bob")
	d.s.RequestReview(dOwner, dRepo, pr.GetNumber(), dOwner+"/release-managers")
	d.s.AddReview(dOwner, dRepo, pr.GetNumber(), "alice", "APPROVED")
	open, resp, err := gh.PullRequests.List(bg, dOwner, dRepo, &github.PullRequestListOptions{Head: dOwner + ":release"})
	d.want(200, resp, err)
	require.Len(d.t, open, 1)
	require.Len(d.t, open[0].RequestedReviewers, 1, "alice reviewed: only bob is still requested")
	require.Equal(d.t, "bob", open[0].RequestedReviewers[0].GetLogin())
	require.Len(d.t, open[0].RequestedTeams, 1)
	_, resp, err = gh.PullRequests.ListReviews(bg, dOwner, dRepo, pr.GetNumber(), nil)
	d.want(200, resp, err)
	_, resp, err = gh.PullRequests.ListReviews(bg, dOwner, dRepo, 999, nil)
	d.want(404, resp, err)
	_, resp, err = gh.PullRequests.Merge(bg, dOwner, dRepo, pr.GetNumber(), "", &github.PullRequestOptions{SHA: strings.Repeat("0", 40)})
	d.want(409, resp, err)
	merged, resp, err := gh.PullRequests.Merge(bg, dOwner, dRepo, pr.GetNumber(), "", nil)
	d.want(200, resp, err)
	prs, resp, err := gh.PullRequests.ListPullRequestsWithCommit(bg, dOwner, dRepo, merged.GetSHA(), nil)
	d.want(200, resp, err)
	require.Len(d.t, prs, 1, "the merge commit's pull request")
	require.Equal(d.t, pr.GetNumber(), prs[0].GetNumber())
	_, resp, err = gh.PullRequests.Merge(bg, dOwner, dRepo, pr.GetNumber(), "", nil)
	d.want(405, resp, err)
	_, resp, err = gh.PullRequests.Get(bg, dOwner, dRepo, pr.GetNumber())
	d.want(200, resp, err)
}

func (d *driver) releases() {
	gh := d.gh
	_, resp, err := gh.Repositories.GetLatestRelease(bg, dOwner, dRepo)
	d.want(404, resp, err)
	rel, resp, err := gh.Repositories.CreateRelease(bg, dOwner, dRepo, &github.RepositoryRelease{TagName: github.String("v1"), Name: github.String("v1"), Body: github.String("notes")})
	d.want(201, resp, err)
	_, resp, err = gh.Repositories.CreateRelease(bg, dOwner, dRepo, &github.RepositoryRelease{TagName: github.String("v1")})
	d.want(422, resp, err)
	draft, resp, err := gh.Repositories.CreateRelease(bg, dOwner, dRepo, &github.RepositoryRelease{TagName: github.String("v2"), Draft: github.Bool(true)})
	d.want(201, resp, err)
	_, resp, err = gh.Repositories.ListReleases(bg, dOwner, dRepo, nil)
	d.want(200, resp, err)
	_, resp, err = gh.Repositories.GetLatestRelease(bg, dOwner, dRepo)
	d.want(200, resp, err)
	_, resp, err = gh.Repositories.GetReleaseByTag(bg, dOwner, dRepo, "v1")
	d.want(200, resp, err)
	_, resp, err = gh.Repositories.GetReleaseByTag(bg, dOwner, dRepo, "v2")
	d.want(404, resp, err)
	_, resp, err = gh.Repositories.GetRelease(bg, dOwner, dRepo, rel.GetID())
	d.want(200, resp, err)
	_, resp, err = gh.Repositories.GetRelease(bg, dOwner, dRepo, 999999)
	d.want(404, resp, err)
	_, resp, err = gh.Repositories.EditRelease(bg, dOwner, dRepo, draft.GetID(), &github.RepositoryRelease{Draft: github.Bool(false)})
	d.want(200, resp, err)
	_, resp, err = gh.Repositories.ListTags(bg, dOwner, dRepo, nil)
	d.want(200, resp, err)
	resp, err = gh.Repositories.DeleteRelease(bg, dOwner, dRepo, draft.GetID())
	d.want(204, resp, err)
	resp, err = gh.Repositories.DeleteRelease(bg, dOwner, dRepo, draft.GetID())
	d.want(404, resp, err)
}

func (d *driver) apps() {
	jwt := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`)) + ".e30.c2ln"
	jwtClient, err := github.NewClient(&http.Client{Transport: d.rec}).WithAuthToken(jwt).WithEnterpriseURLs(d.s.URL(), d.s.URL())
	require.NoError(d.t, err)
	_, resp, err := jwtClient.Apps.FindRepositoryInstallation(bg, dOwner, dRepo)
	d.want(200, resp, err)
	_, resp, err = jwtClient.Apps.CreateInstallationToken(bg, d.s.InstallationID(), nil)
	d.want(201, resp, err)
	_, resp, err = jwtClient.Apps.CreateInstallationToken(bg, 999, nil)
	d.want(404, resp, err)
}

func (d *driver) settings() {
	d.s.AddWorkflow(dOwner, dRepo, ".github/workflows/shepherd-janitor.yml", "janitor", WorkflowActive)
	d.s.AddWorkflowRun(dOwner, dRepo, ".github/workflows/shepherd-janitor.yml", "in_progress")
	d.s.AddWorkflowRun(dOwner, dRepo, ".github/workflows/shepherd-janitor.yml", "completed")
	runs, resp, err := d.gh.Actions.ListRepositoryWorkflowRuns(bg, dOwner, dRepo, &github.ListWorkflowRunsOptions{Status: "in_progress"})
	d.want(200, resp, err)
	if assert.NotNil(d.t, runs) {
		assert.Len(d.t, runs.WorkflowRuns, 1, "only the run in progress")
	}
	d.s.AddWorkflowRun(dOwner, dRepo, ".github/workflows/shepherd-janitor.yml", "waiting")
	runs, resp, err = d.gh.Actions.ListRepositoryWorkflowRuns(bg, dOwner, dRepo, &github.ListWorkflowRunsOptions{Status: "waiting"})
	d.want(200, resp, err)
	if assert.NotNil(d.t, runs) && assert.Len(d.t, runs.WorkflowRuns, 1, "only the waiting run") {
		assert.Equal(d.t, "waiting", runs.WorkflowRuns[0].GetStatus())
	}
	// A workflow started by hand: 204, or 200 with the run when asked for it; then the
	// refusals: no such file, no such ref, and a workflow switched off.
	resp, err = d.gh.Actions.CreateWorkflowDispatchEventByFileName(bg, dOwner, dRepo, "shepherd-janitor.yml", github.CreateWorkflowDispatchEventRequest{Ref: "main"})
	d.want(204, resp, err)
	dispatches := "repos/" + dOwner + "/" + dRepo + "/actions/workflows/shepherd-janitor.yml/dispatches"
	d.raw(200, "POST", dispatches, "ghp_owner", `{"ref":"main","return_run_details":true}`)
	resp, err = d.gh.Actions.CreateWorkflowDispatchEventByFileName(bg, dOwner, dRepo, "shepherd-site.yml", github.CreateWorkflowDispatchEventRequest{Ref: "main"})
	d.want(404, resp, err)
	resp, err = d.gh.Actions.CreateWorkflowDispatchEventByFileName(bg, dOwner, dRepo, "shepherd-janitor.yml", github.CreateWorkflowDispatchEventRequest{Ref: "no-such-branch"})
	d.want(422, resp, err)
	gh := d.gh
	_, resp, err = gh.Repositories.GetActionsPermissions(bg, dOwner, dRepo)
	d.want(200, resp, err)
	d.s.SetActionsEnabled(dOwner, dRepo, false)
	_, resp, err = gh.Repositories.GetActionsPermissions(bg, dOwner, dRepo)
	d.want(200, resp, err)
	d.s.SetActionsEnabled(dOwner, dRepo, true)
	d.s.AddWorkflow(dOwner, dRepo, ".github/workflows/export-poll.yml", "export-poll", WorkflowDisabledInactivity)
	_, resp, err = gh.Actions.ListWorkflows(bg, dOwner, dRepo, nil)
	d.want(200, resp, err)
	_, resp, err = gh.Repositories.GetBranchProtection(bg, dOwner, dRepo, "main")
	d.want(404, resp, err)
	d.s.SetBranchProtection(dOwner, dRepo, "main", &BranchRules{Contexts: []string{"shepherd/qa"}, Approvals: 1})
	_, resp, err = gh.Repositories.GetBranchProtection(bg, dOwner, dRepo, "main")
	d.want(200, resp, err)
	d.s.SetBranchProtection(dOwner, dRepo, "main", &BranchRules{})
	_, resp, err = gh.Repositories.GetBranchProtection(bg, dOwner, dRepo, "main")
	d.want(200, resp, err)
	_, resp, err = d.readOnly.Repositories.GetBranchProtection(bg, dOwner, dRepo, "main")
	d.want(403, resp, err)
	_, resp, err = gh.Repositories.GetRulesForBranch(bg, dOwner, dRepo, "main")
	d.want(200, resp, err)
	d.s.AddRuleset(dOwner, dRepo, "main", BranchRules{Contexts: []string{"shepherd/qa"}, Approvals: 1})
	_, resp, err = gh.Repositories.GetRulesForBranch(bg, dOwner, dRepo, "main")
	d.want(200, resp, err)
}

func (d *driver) permissionsAndGone() {
	_, resp, err := d.readOnly.Issues.Create(bg, dOwner, dRepo, &github.IssueRequest{Title: github.String("t")})
	d.want(403, resp, err)
	issue := d.s.AddIssue(dOwner, dRepo, "alice", "an issue", "")
	d.s.SetIssuesEnabled(dOwner, dRepo, false)
	defer d.s.SetIssuesEnabled(dOwner, dRepo, true)
	_, resp, err = d.gh.Issues.Create(bg, dOwner, dRepo, &github.IssueRequest{Title: github.String("t")})
	d.want(410, resp, err)
	_, resp, err = d.gh.Issues.Get(bg, dOwner, dRepo, issue)
	d.want(410, resp, err)
	_, resp, err = d.gh.Issues.CreateComment(bg, dOwner, dRepo, issue, &github.IssueComment{Body: github.String("c")})
	d.want(410, resp, err)
	_, resp, err = d.gh.Issues.ListByRepo(bg, dOwner, dRepo, nil)
	d.want(200, resp, err)
	require.True(d.t, slices.ContainsFunc(d.rec.exchanges, func(ex exchange) bool { return ex.status == 410 }))
}
