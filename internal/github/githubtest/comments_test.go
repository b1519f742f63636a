package githubtest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

func TestCommentLifecycle(t *testing.T) {
	s, gh := newFake(t)
	n := s.AddIssue(owner, name, "alice", "Release", "")

	created, resp, err := gh.Issues.CreateComment(ctx, owner, name, n, &github.IssueComment{Body: github.String("QA passed")})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.NotZero(t, created.GetID())
	assert.NotEmpty(t, created.GetNodeID())
	assert.Equal(t, "shepherd-bot", created.GetUser().GetLogin())
	assert.Contains(t, created.GetHTMLURL(), "#issuecomment-")
	assert.True(t, strings.HasSuffix(created.GetIssueURL(), "/issues/1"))

	edited, _, err := gh.Issues.EditComment(ctx, owner, name, created.GetID(), &github.IssueComment{Body: github.String("QA passed (edited)")})
	require.NoError(t, err)
	assert.Equal(t, "QA passed (edited)", edited.GetBody())

	got, _, err := gh.Issues.GetComment(ctx, owner, name, created.GetID())
	require.NoError(t, err)
	assert.Equal(t, "QA passed (edited)", got.GetBody())

	issue, _, err := gh.Issues.Get(ctx, owner, name, n)
	require.NoError(t, err)
	assert.Equal(t, 1, issue.GetComments())

	_, err = gh.Issues.DeleteComment(ctx, owner, name, created.GetID())
	require.NoError(t, err)
	assert.Empty(t, s.Comments(owner, name, n))
	_, err = gh.Issues.DeleteComment(ctx, owner, name, created.GetID())
	errorResponse(t, err, http.StatusNotFound)
}

func TestCommentErrors(t *testing.T) {
	s, gh := newFake(t)
	n := s.AddIssue(owner, name, "alice", "Release", "")
	tests := []struct {
		name string
		call func() error
		want func(t *testing.T, err error)
	}{
		{"on a missing issue", func() error {
			_, _, err := gh.Issues.CreateComment(ctx, owner, name, 99, &github.IssueComment{Body: github.String("x")})
			return err
		}, func(t *testing.T, err error) { errorResponse(t, err, 404) }},
		{"empty body", func() error {
			_, _, err := gh.Issues.CreateComment(ctx, owner, name, n, &github.IssueComment{})
			return err
		}, func(t *testing.T, err error) { requireValidation(t, err, "IssueComment", "body", "missing_field") }},
		{"body over the limit", func() error {
			_, _, err := gh.Issues.CreateComment(ctx, owner, name, n, &github.IssueComment{Body: github.String(strings.Repeat("x", 65537))})
			return err
		}, func(t *testing.T, err error) { requireValidation(t, err, "IssueComment", "body", "custom") }},
		{"editing a missing comment", func() error {
			_, _, err := gh.Issues.EditComment(ctx, owner, name, 12345, &github.IssueComment{Body: github.String("x")})
			return err
		}, func(t *testing.T, err error) { errorResponse(t, err, 404) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.want(t, tt.call()) })
	}
}

func TestListCommentsPaginatesAndFiltersBySince(t *testing.T) {
	clock := newClock()
	s, gh := newFake(t, githubtest.WithClock(clock.Now))
	n := s.AddIssue(owner, name, "alice", "Release", "")
	for i := 0; i < 5; i++ {
		s.AddComment(owner, name, n, "alice", "old")
	}
	clock.Advance(time.Minute)
	later := s.AddComment(owner, name, n, "bob", "new")

	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 2}}
	var bodies []string
	for {
		comments, resp, err := gh.Issues.ListComments(ctx, owner, name, n, opts)
		require.NoError(t, err)
		for _, c := range comments {
			bodies = append(bodies, c.GetBody())
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	assert.Equal(t, []string{"old", "old", "old", "old", "old", "new"}, bodies, "oldest first")

	since := clock.Now()
	recent, _, err := gh.Issues.ListComments(ctx, owner, name, n, &github.IssueListCommentsOptions{Since: &since})
	require.NoError(t, err)
	require.Len(t, recent, 1)
	assert.Equal(t, later, recent[0].GetID())
	assert.Equal(t, "bob", recent[0].GetUser().GetLogin())
}

func TestCommentAuthorAssociation(t *testing.T) {
	s, gh := newFake(t)
	s.AddCollaborator(owner, name, "carol", "write")
	n := s.AddIssue(owner, name, "alice", "Release", "")
	s.AddComment(owner, name, n, owner, "by the owner")
	s.AddComment(owner, name, n, "carol", "by a collaborator")
	s.AddComment(owner, name, n, "dave", "by a stranger")

	comments, _, err := gh.Issues.ListComments(ctx, owner, name, n, nil)
	require.NoError(t, err)
	var got []string
	for _, c := range comments {
		got = append(got, c.GetAuthorAssociation())
	}
	assert.Equal(t, []string{"OWNER", "COLLABORATOR", "NONE"}, got)
}
