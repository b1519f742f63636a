package githubtest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIssueLifecycle(t *testing.T) {
	s, gh := newFake(t)

	created, resp, err := gh.Issues.Create(ctx, owner, name, &github.IssueRequest{
		Title:  github.String("Release v2024-06-01"),
		Body:   github.String("<!-- shepherd -->"),
		Labels: &[]string{"release:qa"},
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, 1, created.GetNumber())
	assert.NotZero(t, created.GetID())
	assert.NotEmpty(t, created.GetNodeID())
	assert.Equal(t, "open", created.GetState())
	assert.Equal(t, "shepherd-bot", created.GetUser().GetLogin())
	assert.Equal(t, []string{"release:qa"}, labelNames(created.Labels))
	assert.True(t, strings.HasPrefix(created.GetURL(), s.URL()+"repos/"+owner+"/"+name+"/issues/1"), created.GetURL())
	assert.Contains(t, created.GetHTMLURL(), "/"+owner+"/"+name+"/issues/1")
	assert.False(t, created.GetCreatedAt().IsZero())

	edited, _, err := gh.Issues.Edit(ctx, owner, name, 1, &github.IssueRequest{
		Body:   github.String("new body"),
		State:  github.String("closed"),
		Labels: &[]string{"release:done"},
	})
	require.NoError(t, err)
	assert.Equal(t, "Release v2024-06-01", edited.GetTitle(), "title kept when not sent")
	assert.Equal(t, "new body", edited.GetBody())
	assert.Equal(t, "closed", edited.GetState())
	assert.Equal(t, "completed", edited.GetStateReason())
	assert.False(t, edited.GetClosedAt().IsZero())
	assert.Equal(t, []string{"release:done"}, labelNames(edited.Labels))

	got, _, err := gh.Issues.Get(ctx, owner, name, 1)
	require.NoError(t, err)
	assert.Equal(t, edited.GetBody(), got.GetBody())

	reopened, _, err := gh.Issues.Edit(ctx, owner, name, 1, &github.IssueRequest{State: github.String("open")})
	require.NoError(t, err)
	assert.Equal(t, "reopened", reopened.GetStateReason())
	assert.Nil(t, reopened.ClosedAt)

	require.Len(t, s.Issues(owner, name), 1)
	assert.Equal(t, "new body", s.Issues(owner, name)[0].GetBody())
}

func TestIssueErrors(t *testing.T) {
	_, gh := newFake(t)
	tests := []struct {
		name                  string
		call                  func() error
		status                int
		resource, field, code string
	}{
		{"missing issue", func() error { _, _, err := gh.Issues.Get(ctx, owner, name, 7); return err }, 404, "", "", ""},
		{"missing repository", func() error { _, _, err := gh.Issues.Get(ctx, owner, "nope", 1); return err }, 404, "", "", ""},
		{"no title", func() error {
			_, _, err := gh.Issues.Create(ctx, owner, name, &github.IssueRequest{Body: github.String("x")})
			return err
		}, 422, "Issue", "title", "missing_field"},
		{"body over 65536 characters", func() error {
			_, _, err := gh.Issues.Create(ctx, owner, name, &github.IssueRequest{Title: github.String("t"), Body: github.String(strings.Repeat("é", 65537))})
			return err
		}, 422, "Issue", "body", "custom"},
		{"bad state", func() error {
			_, _, err := gh.Issues.ListByRepo(ctx, owner, name, &github.IssueListByRepoOptions{State: "shut"})
			return err
		}, 422, "Issue", "state", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.status == 422 {
				requireValidation(t, err, tt.resource, tt.field, tt.code)
				return
			}
			er := errorResponse(t, err, tt.status)
			assert.Equal(t, "Not Found", er.Message)
			assert.NotEmpty(t, er.DocumentationURL)
		})
	}
}

func TestIssueBodyAtTheLimitIsAccepted(t *testing.T) {
	_, gh := newFake(t)
	_, _, err := gh.Issues.Create(ctx, owner, name, &github.IssueRequest{Title: github.String("t"), Body: github.String(strings.Repeat("é", 65536))})
	require.NoError(t, err)
}

func TestListIssuesFiltersAndSorts(t *testing.T) {
	s, gh := newFake(t)
	s.AddIssue(owner, name, "alice", "first", "", "release:qa", "bug")
	s.AddIssue(owner, name, "bob", "second", "", "release:qa")
	s.AddIssue(owner, name, "alice", "third", "")
	_, _, err := gh.Issues.Edit(ctx, owner, name, 3, &github.IssueRequest{State: github.String("closed")})
	require.NoError(t, err)

	tests := []struct {
		name string
		opts github.IssueListByRepoOptions
		want []int
	}{
		{"open by default, newest first", github.IssueListByRepoOptions{}, []int{2, 1}},
		{"all", github.IssueListByRepoOptions{State: "all"}, []int{3, 2, 1}},
		{"closed", github.IssueListByRepoOptions{State: "closed"}, []int{3}},
		{"every label must match, any case", github.IssueListByRepoOptions{Labels: []string{"Release:QA", "bug"}}, []int{1}},
		{"one label", github.IssueListByRepoOptions{Labels: []string{"release:qa"}}, []int{2, 1}},
		{"ascending", github.IssueListByRepoOptions{State: "all", Direction: "asc"}, []int{1, 2, 3}},
		{"by creator", github.IssueListByRepoOptions{State: "all", Creator: "alice"}, []int{3, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issues, _, err := gh.Issues.ListByRepo(ctx, owner, name, &tt.opts)
			require.NoError(t, err)
			var numbers []int
			for _, is := range issues {
				numbers = append(numbers, is.GetNumber())
			}
			assert.Equal(t, tt.want, numbers)
		})
	}
}

func TestListIssuesPaginates(t *testing.T) {
	s, gh := newFake(t)
	for i := 0; i < 7; i++ {
		s.AddIssue(owner, name, "alice", "issue", "")
	}
	opts := &github.IssueListByRepoOptions{ListOptions: github.ListOptions{PerPage: 3}}
	var numbers []int
	pages := 0
	for {
		issues, resp, err := gh.Issues.ListByRepo(ctx, owner, name, opts)
		require.NoError(t, err)
		pages++
		for _, is := range issues {
			numbers = append(numbers, is.GetNumber())
		}
		if pages == 1 {
			assert.Equal(t, 3, resp.LastPage)
			assert.Contains(t, resp.Header.Get("Link"), s.URL(), "Link URLs are absolute, under the base URL")
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	assert.Equal(t, 3, pages)
	assert.Equal(t, []int{7, 6, 5, 4, 3, 2, 1}, numbers)
}

func labelNames(labels []*github.Label) []string {
	var names []string
	for _, l := range labels {
		names = append(names, l.GetName())
	}
	return names
}

// GitHub has no conditional update of an issue: If-Match is not honoured, so two
// writers overwrite each other and the last one wins. Conditional requests are for
// reads (https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
func TestIssueUpdatesIgnoreIfMatch(t *testing.T) {
	s, gh := newFake(t)
	n := s.AddIssue(owner, name, "alice", "t", "first")
	_, resp, err := gh.Issues.Get(ctx, owner, name, n)
	require.NoError(t, err)
	stale := resp.Header.Get("ETag")
	require.NotEmpty(t, stale)

	for _, body := range []string{"writer one", "writer two"} {
		req, err := gh.NewRequest("PATCH", fmt.Sprintf("repos/%s/%s/issues/%d", owner, name, n), &github.IssueRequest{Body: github.String(body)})
		require.NoError(t, err)
		req.Header.Set("If-Match", stale)
		_, err = gh.Do(ctx, req, nil)
		require.NoError(t, err, "no 412 Precondition Failed")
	}
	assert.Equal(t, "writer two", s.Issues(owner, name)[0].GetBody())
}
