package githubtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

// releaseBranch prepares a branch "release" off main that adds, edits and removes files.
func releaseBranch(s *githubtest.Server) {
	s.SetFile(owner, name, "main", "README.md", "hello\n")
	s.SetFile(owner, name, "main", "old.txt", "old\n")
	s.SetFile(owner, name, "main", "kept.txt", "kept\n")
	s.SetFile(owner, name, "release", "releases/v2024-06-01.yaml", "version: v2024-06-01\nsource: CIEL\n")
	s.SetFile(owner, name, "release", "README.md", "hello\nworld\n")
	s.DeleteFile(owner, name, "release", "old.txt")
}

func TestPullRequestLifecycle(t *testing.T) {
	s, gh := newFake(t)
	releaseBranch(s)
	s.SetFile(owner, name, "main", "late.txt", "added on main after the branch\n")

	pr, resp, err := gh.PullRequests.Create(ctx, owner, name, &github.NewPullRequest{
		Title: github.String("Release v2024-06-01"), Head: github.String("release"), Base: github.String("main"),
		Body: github.String("ships CIEL"),
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, 1, pr.GetNumber())
	assert.Equal(t, "open", pr.GetState())
	assert.Equal(t, "release", pr.GetHead().GetRef())
	assert.Equal(t, s.BranchSHA(owner, name, "release"), pr.GetHead().GetSHA())
	assert.Equal(t, "main", pr.GetBase().GetRef())
	assert.Nil(t, pr.Mergeable, "not computed yet")
	assert.Equal(t, "unknown", pr.GetMergeableState())
	assert.Contains(t, pr.GetHTMLURL(), "/pull/1")

	_, _, err = gh.PullRequests.Create(ctx, owner, name, &github.NewPullRequest{
		Title: github.String("again"), Head: github.String(owner + ":release"), Base: github.String("main"),
	})
	requireValidation(t, err, "PullRequest", "", "custom")
	assert.Contains(t, err.(*github.ErrorResponse).Errors[0].Message, "A pull request already exists for openmrs:release.")

	files, _, err := gh.PullRequests.ListFiles(ctx, owner, name, 1, nil)
	require.NoError(t, err)
	var got []string
	for _, f := range files {
		got = append(got, fmt.Sprintf("%s %s +%d -%d", f.GetStatus(), f.GetFilename(), f.GetAdditions(), f.GetDeletions()))
	}
	assert.Equal(t, []string{"modified README.md +1 -0", "removed old.txt +0 -1", "added releases/v2024-06-01.yaml +2 -0"}, got)

	issue, _, err := gh.Issues.Get(ctx, owner, name, 1)
	require.NoError(t, err)
	assert.True(t, issue.IsPullRequest(), "pull requests are issues too")

	headSHA := pr.GetHead().GetSHA()
	_, _, err = gh.PullRequests.Merge(ctx, owner, name, 1, "", &github.PullRequestOptions{SHA: "0000"})
	er := errorResponse(t, err, http.StatusConflict)
	assert.Contains(t, er.Message, "Head branch was modified")

	merged, _, err := gh.PullRequests.Merge(ctx, owner, name, 1, "", &github.PullRequestOptions{SHA: headSHA})
	require.NoError(t, err)
	assert.True(t, merged.GetMerged())
	assert.Equal(t, s.BranchSHA(owner, name, "main"), merged.GetSHA(), "the base branch moved to the merge commit")
	readme, _ := s.File(owner, name, "main", "README.md")
	assert.Equal(t, "hello\nworld\n", readme)
	_, removed := s.File(owner, name, "main", "old.txt")
	assert.False(t, removed, "the branch's removal is merged")
	late, _ := s.File(owner, name, "main", "late.txt")
	assert.Equal(t, "added on main after the branch\n", late, "changes made on the base since are kept")

	commit, _, err := gh.Git.GetCommit(ctx, owner, name, merged.GetSHA())
	require.NoError(t, err)
	require.Len(t, commit.Parents, 2, "a merge commit")
	assert.Equal(t, headSHA, commit.Parents[1].GetSHA())

	after, _, err := gh.PullRequests.Get(ctx, owner, name, 1)
	require.NoError(t, err)
	assert.True(t, after.GetMerged())
	assert.Equal(t, "closed", after.GetState())
	assert.Equal(t, merged.GetSHA(), after.GetMergeCommitSHA())
	assert.NotNil(t, after.MergedAt)

	_, _, err = gh.PullRequests.Merge(ctx, owner, name, 1, "", nil)
	er = errorResponse(t, err, http.StatusMethodNotAllowed)
	assert.Equal(t, "Pull Request is not mergeable", er.Message)
}

func TestCreatePullRequestErrors(t *testing.T) {
	s, gh := newFake(t)
	s.SetFile(owner, name, "release", "a.txt", "a")
	tests := []struct {
		name     string
		pr       github.NewPullRequest
		field    string
		code     string
		contains string
	}{
		{"unknown base", github.NewPullRequest{Title: github.String("t"), Head: github.String("release"), Base: github.String("nope")}, "base", "invalid", ""},
		{"unknown head", github.NewPullRequest{Title: github.String("t"), Head: github.String("nope"), Base: github.String("main")}, "head", "invalid", ""},
		{"no title", github.NewPullRequest{Head: github.String("release"), Base: github.String("main")}, "title", "missing_field", ""},
		{"nothing to merge", github.NewPullRequest{Title: github.String("t"), Head: github.String("main"), Base: github.String("release")}, "", "custom", "No commits between release and main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := gh.PullRequests.Create(ctx, owner, name, &tt.pr)
			requireValidation(t, err, "PullRequest", tt.field, tt.code)
			assert.Contains(t, err.(*github.ErrorResponse).Errors[0].Message, tt.contains)
		})
	}
	assert.Empty(t, s.PullRequests(owner, name))
}

func TestListPullRequests(t *testing.T) {
	s, gh := newFake(t)
	for i := 1; i <= 3; i++ {
		branch := fmt.Sprintf("release-%d", i)
		s.SetFile(owner, name, branch, "f.txt", branch)
		s.AddPullRequest(owner, name, "alice", branch, "main", "Release "+branch, "")
	}
	_, _, err := gh.PullRequests.Merge(ctx, owner, name, 1, "", nil)
	require.NoError(t, err)

	tests := []struct {
		name string
		opts github.PullRequestListOptions
		want []int
	}{
		{"open by default", github.PullRequestListOptions{}, []int{3, 2}},
		{"all", github.PullRequestListOptions{State: "all"}, []int{3, 2, 1}},
		{"closed", github.PullRequestListOptions{State: "closed"}, []int{1}},
		{"by head", github.PullRequestListOptions{State: "all", Head: owner + ":release-2"}, []int{2}},
		{"by base", github.PullRequestListOptions{Base: "other"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prs, _, err := gh.PullRequests.List(ctx, owner, name, &tt.opts)
			require.NoError(t, err)
			var numbers []int
			for _, pr := range prs {
				numbers = append(numbers, pr.GetNumber())
			}
			assert.Equal(t, tt.want, numbers)
		})
	}
	assert.Len(t, s.PullRequests(owner, name), 3)
}

func TestMergeRefusesConflicts(t *testing.T) {
	s, gh := newFake(t)
	s.SetFile(owner, name, "main", "f.txt", "base\n")
	s.SetFile(owner, name, "release", "f.txt", "ours\n")
	n := s.AddPullRequest(owner, name, "alice", "release", "main", "Release", "")
	s.SetFile(owner, name, "main", "f.txt", "theirs\n")

	_, _, err := gh.PullRequests.Get(ctx, owner, name, n) // starts computing mergeability
	require.NoError(t, err)
	pr, _, err := gh.PullRequests.Get(ctx, owner, name, n)
	require.NoError(t, err)
	require.NotNil(t, pr.Mergeable)
	assert.False(t, pr.GetMergeable())
	assert.Equal(t, "dirty", pr.GetMergeableState())

	_, _, err = gh.PullRequests.Merge(ctx, owner, name, n, "", nil)
	errorResponse(t, err, http.StatusMethodNotAllowed)
}

func TestSquashMergeHasOneParent(t *testing.T) {
	s, gh := newFake(t)
	s.SetFile(owner, name, "release", "f.txt", "x")
	n := s.AddPullRequest(owner, name, "alice", "release", "main", "Release", "")
	base := s.BranchSHA(owner, name, "main")

	res, _, err := gh.PullRequests.Merge(ctx, owner, name, n, "details", &github.PullRequestOptions{MergeMethod: "squash"})
	require.NoError(t, err)
	commit, _, err := gh.Git.GetCommit(ctx, owner, name, res.GetSHA())
	require.NoError(t, err)
	require.Len(t, commit.Parents, 1)
	assert.Equal(t, base, commit.Parents[0].GetSHA())
	assert.Equal(t, "Release (#1)\n\ndetails", commit.GetMessage())
}

func TestListPullRequestFilesPaginates(t *testing.T) {
	s, gh := newFake(t)
	for i := 0; i < 5; i++ {
		s.SetFile(owner, name, "release", fmt.Sprintf("f%d.txt", i), "x")
	}
	n := s.AddPullRequest(owner, name, "alice", "release", "main", "Release", "")

	opts := &github.ListOptions{PerPage: 2}
	var names []string
	for {
		files, resp, err := gh.PullRequests.ListFiles(ctx, owner, name, n, opts)
		require.NoError(t, err)
		for _, f := range files {
			names = append(names, f.GetFilename())
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	assert.Equal(t, []string{"f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt"}, names)
}

func TestClosingAPullRequestFreezesItsHead(t *testing.T) {
	s, gh := newFake(t)
	first := s.SetFile(owner, name, "release", "a", "1")
	n := s.AddPullRequest(owner, name, "alice", "release", "main", "Release", "")

	_, _, err := gh.Issues.Edit(ctx, owner, name, n, &github.IssueRequest{State: github.String("closed")})
	require.NoError(t, err)
	later := s.SetFile(owner, name, "release", "a", "2")

	pr, _, err := gh.PullRequests.Get(ctx, owner, name, n)
	require.NoError(t, err)
	assert.Equal(t, "closed", pr.GetState())
	assert.False(t, pr.GetMerged())
	assert.Equal(t, first, pr.GetHead().GetSHA())
	_, _, err = gh.PullRequests.Merge(ctx, owner, name, n, "", nil)
	errorResponse(t, err, http.StatusMethodNotAllowed)

	_, _, err = gh.Issues.Edit(ctx, owner, name, n, &github.IssueRequest{State: github.String("open")})
	require.NoError(t, err)
	pr, _, err = gh.PullRequests.Get(ctx, owner, name, n)
	require.NoError(t, err)
	assert.Equal(t, later, pr.GetHead().GetSHA(), "a reopened pull request follows its branch")

	_, _, err = gh.PullRequests.Get(ctx, owner, name, 99)
	errorResponse(t, err, http.StatusNotFound)
}

func TestMergeabilityIsNullUntilComputed(t *testing.T) {
	s, gh := newFake(t)
	s.SetFile(owner, name, "main", "f.txt", "base\n")
	s.SetFile(owner, name, "release", "f.txt", "ours\n")
	n := s.AddPullRequest(owner, name, "alice", "release", "main", "Release", "")
	get := func() *github.PullRequest {
		t.Helper()
		pr, _, err := gh.PullRequests.Get(ctx, owner, name, n)
		require.NoError(t, err)
		return pr
	}

	first := get()
	assert.Nil(t, first.Mergeable, "the first request starts the computation")
	assert.Nil(t, first.Rebaseable)
	assert.Equal(t, "unknown", first.GetMergeableState())
	second := get()
	require.NotNil(t, second.Mergeable)
	assert.True(t, second.GetMergeable())
	assert.Equal(t, "clean", second.GetMergeableState())

	s.SetFile(owner, name, "main", "f.txt", "theirs\n")
	assert.Nil(t, get().Mergeable, "a new base commit is computed afresh")
	assert.Equal(t, "dirty", get().GetMergeableState())

	_, _, err := gh.Issues.Edit(ctx, owner, name, n, &github.IssueRequest{State: github.String("closed")})
	require.NoError(t, err)
	closed := get()
	assert.Nil(t, closed.Mergeable, "not computed for a closed pull request")
	assert.Equal(t, "unknown", closed.GetMergeableState())
}

func TestListedPullRequestsAreSimple(t *testing.T) {
	s, _ := newFake(t)
	s.SetFile(owner, name, "release", "f.txt", "x\n")
	n := s.AddPullRequest(owner, name, "alice", "release", "main", "Release", "")

	listed := getJSON(t, s, "repos/"+owner+"/"+name+"/pulls")
	require.Len(t, listed, 1)
	single := getJSON(t, s, fmt.Sprintf("repos/%s/%s/pulls/%d", owner, name, n))
	require.Len(t, single, 1)
	for _, key := range []string{"merged", "mergeable", "mergeable_state", "rebaseable", "merged_by", "commits", "additions", "changed_files"} {
		assert.NotContains(t, listed[0], key, "pull-request-simple has no %s", key)
		assert.Contains(t, single[0], key, "pull-request has %s", key)
	}
	assert.Nil(t, single[0]["mergeable"], "null, not absent")
	assert.Contains(t, listed[0], "head")
}

// getJSON GETs path and decodes the answer as a list of objects (one object is a list
// of one).
func getJSON(t *testing.T, s *githubtest.Server, path string) []map[string]any {
	t.Helper()
	resp, err := http.Get(s.URL() + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var raw any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&raw))
	switch v := raw.(type) {
	case []any:
		var out []map[string]any
		for _, item := range v {
			out = append(out, item.(map[string]any))
		}
		return out
	case map[string]any:
		return []map[string]any{v}
	}
	t.Fatalf("%s: not JSON objects: %v", path, raw)
	return nil
}

func TestPullRequestReviewsListedOldestFirst(t *testing.T) {
	s, gh := newFake(t)
	releaseBranch(s)
	n := s.AddPullRequest(owner, name, "bob", "release", "main", "Release v2024-06-01", "")
	reviews, _, err := gh.PullRequests.ListReviews(ctx, owner, name, n, nil)
	require.NoError(t, err)
	assert.Empty(t, reviews)

	s.AddReview(owner, name, n, "alice", "CHANGES_REQUESTED")
	s.AddReview(owner, name, n, "alice", "APPROVED")
	reviews, _, err = gh.PullRequests.ListReviews(ctx, owner, name, n, nil)
	require.NoError(t, err)
	require.Len(t, reviews, 2)
	assert.Equal(t, "CHANGES_REQUESTED", reviews[0].GetState())
	assert.Equal(t, "APPROVED", reviews[1].GetState())
	assert.Equal(t, "alice", reviews[1].GetUser().GetLogin())
	assert.Equal(t, s.BranchSHA(owner, name, "release"), reviews[1].GetCommitID())

	_, _, err = gh.PullRequests.ListReviews(ctx, owner, name, 99, nil)
	assert.Error(t, err, "no such pull request")
}
