package githubtest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

// limitedFake serves one repository holding an issue (#1) and a pull request (#2) to a
// token limited to perms.
func limitedFake(t *testing.T, perms githubtest.Permissions) (*githubtest.Server, *github.Client) {
	t.Helper()
	s := githubtest.NewServer(githubtest.WithTokenPermissions("ghs_job", "github-actions[bot]", perms))
	t.Cleanup(s.Close)
	s.AddRepo(owner, name, "main")
	s.AddIssue(owner, name, "alice", "an issue", "")
	s.SetFile(owner, name, "topic", "a.txt", "a\n")
	s.AddPullRequest(owner, name, "alice", "topic", "main", "a pull request", "")
	return s, s.Client(t)
}

// requireNotAccessible asserts GitHub's 403 for a token lacking a permission.
func requireNotAccessible(t *testing.T, err error, accepted, docs string) {
	t.Helper()
	er := errorResponse(t, err, http.StatusForbidden)
	assert.Equal(t, "Resource not accessible by integration", er.Message)
	assert.Equal(t, "https://docs.github.com/rest/"+docs, er.DocumentationURL)
	assert.Equal(t, accepted, er.Response.Header.Get("X-Accepted-GitHub-Permissions"))
	var rle *github.RateLimitError
	var arle *github.AbuseRateLimitError
	assert.False(t, errors.As(err, &rle) || errors.As(err, &arle), "not a rate limit")
}

func TestTokenPermissions(t *testing.T) {
	newIssue := &github.IssueRequest{Title: github.String("t")}
	status := &github.RepoStatus{State: github.String("success"), Context: github.String("shepherd/qa")}

	t.Run("read cannot write", func(t *testing.T) {
		s, gh := limitedFake(t, githubtest.Permissions{"issues": "read"})
		_, _, err := gh.Issues.Get(ctx, owner, name, 1)
		require.NoError(t, err, "issues: read reads issues")
		_, _, err = gh.Issues.Create(ctx, owner, name, newIssue)
		requireNotAccessible(t, err, "issues=write", "issues/issues#create-an-issue")
		assert.Len(t, s.Issues(owner, name), 1, "a refused request changes nothing")
	})
	t.Run("write implies read", func(t *testing.T) {
		_, gh := limitedFake(t, githubtest.Permissions{"issues": "write"})
		_, _, err := gh.Issues.Create(ctx, owner, name, newIssue)
		require.NoError(t, err)
		_, _, err = gh.Issues.ListByRepo(ctx, owner, name, nil)
		require.NoError(t, err)
	})
	t.Run("metadata is always granted", func(t *testing.T) {
		_, gh := limitedFake(t, githubtest.Permissions{})
		_, _, err := gh.Repositories.Get(ctx, owner, name)
		require.NoError(t, err)
		_, _, err = gh.Issues.Get(ctx, owner, name, 1)
		requireNotAccessible(t, err, "issues=read", "issues/issues#get-an-issue")
	})
	t.Run("statuses", func(t *testing.T) {
		s, gh := limitedFake(t, githubtest.Permissions{"contents": "write", "statuses": "read"})
		sha := s.BranchSHA(owner, name, "main")
		_, _, err := gh.Repositories.CreateStatus(ctx, owner, name, sha, status)
		requireNotAccessible(t, err, "statuses=write", "commits/statuses#create-a-commit-status")
		assert.Empty(t, s.Statuses(owner, name, sha))
	})
	t.Run("merging needs contents, not pull_requests", func(t *testing.T) {
		_, gh := limitedFake(t, githubtest.Permissions{"pull_requests": "write"})
		_, _, err := gh.PullRequests.Merge(ctx, owner, name, 2, "", nil)
		requireNotAccessible(t, err, "contents=write", "pulls/pulls#merge-a-pull-request")
	})
	t.Run("a pull request's conversation accepts pull_requests, an issue's does not", func(t *testing.T) {
		_, gh := limitedFake(t, githubtest.Permissions{"pull_requests": "write"})
		_, _, err := gh.Issues.CreateComment(ctx, owner, name, 2, &github.IssueComment{Body: github.String("on the PR")})
		require.NoError(t, err)
		_, _, err = gh.Issues.CreateComment(ctx, owner, name, 1, &github.IssueComment{Body: github.String("on the issue")})
		requireNotAccessible(t, err, "issues=write", "issues/comments#create-an-issue-comment")
		_, _, err = gh.Issues.AddLabelsToIssue(ctx, owner, name, 2, []string{"x"})
		require.NoError(t, err, "labels of a pull request")
	})
	t.Run("a token without limits", func(t *testing.T) {
		s := githubtest.NewServer(githubtest.WithToken("ghp_person", "alice"))
		t.Cleanup(s.Close)
		s.AddRepo(owner, name, "main")
		_, _, err := s.Client(t).Issues.Create(ctx, owner, name, newIssue)
		require.NoError(t, err)
	})
}

func TestInstallationTokenPermissions(t *testing.T) {
	s := githubtest.NewServer(githubtest.WithToken("ghp_someone", "someone"),
		githubtest.WithInstallationPermissions(githubtest.Permissions{"contents": "write"}))
	t.Cleanup(s.Close)
	s.AddRepo(owner, name, "main")

	token := installationToken(t, s)
	assert.Equal(t, "write", token.GetPermissions().GetContents())
	assert.Equal(t, "read", token.GetPermissions().GetMetadata())
	assert.Empty(t, token.GetPermissions().GetIssues())

	gh := s.ClientWithToken(t, token.GetToken())
	_, _, err := gh.Git.CreateRef(ctx, owner, name, &github.Reference{
		Ref: github.String("refs/heads/b"), Object: &github.GitObject{SHA: github.String(s.BranchSHA(owner, name, "main"))}})
	require.NoError(t, err)
	_, _, err = gh.Issues.Create(ctx, owner, name, &github.IssueRequest{Title: github.String("t")})
	requireNotAccessible(t, err, "issues=write", "issues/issues#create-an-issue")
}

func TestIssuesDisabled(t *testing.T) {
	s, gh := limitedFake(t, githubtest.Permissions{"issues": "write", "pull_requests": "read"})
	s.SetIssuesEnabled(owner, name, false)

	requireGone := func(t *testing.T, err error) {
		t.Helper()
		er := errorResponse(t, err, http.StatusGone)
		assert.Equal(t, "Issues are disabled for this repo", er.Message)
	}
	_, _, err := gh.Issues.Create(ctx, owner, name, &github.IssueRequest{Title: github.String("t")})
	requireGone(t, err)
	_, _, err = gh.Issues.Get(ctx, owner, name, 1)
	requireGone(t, err)
	_, _, err = gh.Issues.CreateComment(ctx, owner, name, 1, &github.IssueComment{Body: github.String("x")})
	requireGone(t, err)
	_, _, err = gh.Issues.AddLabelsToIssue(ctx, owner, name, 1, []string{"x"})
	requireGone(t, err)
	assert.Len(t, s.Issues(owner, name), 1, "nothing was created")
	assert.Empty(t, s.Comments(owner, name, 1))

	// A pull request keeps its conversation and labels.
	_, _, err = gh.Issues.CreateComment(ctx, owner, name, 2, &github.IssueComment{Body: github.String("x")})
	require.NoError(t, err)
	_, _, err = gh.Issues.AddLabelsToIssue(ctx, owner, name, 2, []string{"x"})
	require.NoError(t, err)
	// Listing answers, with the pull requests alone.
	listed, _, err := gh.Issues.ListByRepo(ctx, owner, name, nil)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	assert.True(t, listed[0].IsPullRequest())
	repo, _, err := gh.Repositories.Get(ctx, owner, name)
	require.NoError(t, err)
	assert.False(t, repo.GetHasIssues())

	s.SetIssuesEnabled(owner, name, true)
	_, _, err = gh.Issues.Get(ctx, owner, name, 1)
	require.NoError(t, err)
	repo, _, err = gh.Repositories.Get(ctx, owner, name)
	require.NoError(t, err)
	assert.True(t, repo.GetHasIssues())
}

func TestSecondaryRateLimitWithoutRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		fault  githubtest.Fault
		status int
	}{
		{githubtest.SecondaryRateLimitNoRetryAfter, http.StatusForbidden},
		{githubtest.SecondaryRateLimitTooManyRequests, http.StatusTooManyRequests},
	} {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			s, _ := newFake(t)
			s.FailNext(githubtest.Match{Method: "GET"}, 1, tt.fault)
			resp, err := http.Get(s.URL() + "repos/" + owner + "/" + name)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
			_, hasRetryAfter := resp.Header["Retry-After"]
			assert.False(t, hasRetryAfter)
			assert.NotEqual(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
			assert.NotEmpty(t, resp.Header.Get("X-RateLimit-Reset"))
			var body struct{ Message, DocumentationURL string }
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			assert.Contains(t, body.Message, "secondary rate limit")

			again, err := http.Get(s.URL() + "repos/" + owner + "/" + name)
			require.NoError(t, err)
			defer again.Body.Close()
			assert.Equal(t, http.StatusOK, again.StatusCode, "the fault is used up")
		})
	}
}

func TestSecondaryRateLimitWithoutRetryAfterInGoGitHub(t *testing.T) {
	s, gh := newFake(t)
	s.FailNext(githubtest.Match{Method: "GET"}, 1, githubtest.SecondaryRateLimitNoRetryAfter)
	_, _, err := gh.Repositories.Get(ctx, owner, name)
	var arle *github.AbuseRateLimitError
	require.True(t, errors.As(err, &arle), "go-github sees a secondary limit: %T %v", err, err)
	var rle *github.RateLimitError
	assert.False(t, errors.As(err, &rle), "not the primary limit")
}
