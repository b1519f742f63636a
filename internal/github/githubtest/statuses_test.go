package githubtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommitStatuses(t *testing.T) {
	s, gh := newFake(t)
	sha := s.BranchSHA(owner, name, "main")

	set := func(context, state string) {
		t.Helper()
		st, resp, err := gh.Repositories.CreateStatus(ctx, owner, name, sha, &github.RepoStatus{
			State: github.String(state), Context: github.String(context),
			Description: github.String("d"), TargetURL: github.String("https://ci.example/1"),
		})
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		assert.Equal(t, state, st.GetState())
		assert.NotZero(t, st.GetID())
	}
	set("shepherd/qa", "pending")
	set("shepherd/export", "success")
	set("shepherd/qa", "success")

	listed, _, err := gh.Repositories.ListStatuses(ctx, owner, name, "main", nil)
	require.NoError(t, err)
	require.Len(t, listed, 3, "every status, by branch name")
	assert.Equal(t, "success", listed[0].GetState(), "newest first")
	assert.Equal(t, "shepherd/qa", listed[0].GetContext())

	combined, _, err := gh.Repositories.GetCombinedStatus(ctx, owner, name, sha, nil)
	require.NoError(t, err)
	assert.Equal(t, "success", combined.GetState())
	assert.Equal(t, 2, combined.GetTotalCount(), "latest per context")
	assert.Equal(t, sha, combined.GetSHA())

	set("shepherd/export", "failure")
	combined, _, err = gh.Repositories.GetCombinedStatus(ctx, owner, name, sha, nil)
	require.NoError(t, err)
	assert.Equal(t, "failure", combined.GetState())
	assert.Len(t, s.Statuses(owner, name, sha), 4)
}

func TestCommitStatusErrors(t *testing.T) {
	s, gh := newFake(t)
	sha := s.BranchSHA(owner, name, "main")

	_, _, err := gh.Repositories.CreateStatus(ctx, owner, name, sha, &github.RepoStatus{State: github.String("green")})
	requireValidation(t, err, "Status", "state", "custom")

	_, _, err = gh.Repositories.CreateStatus(ctx, owner, name, "0000000000000000000000000000000000000000", &github.RepoStatus{State: github.String("success")})
	er := errorResponse(t, err, http.StatusUnprocessableEntity)
	assert.Contains(t, er.Message, "No commit found for SHA")

	combined, _, err := gh.Repositories.GetCombinedStatus(ctx, owner, name, sha, nil)
	require.NoError(t, err)
	assert.Equal(t, "pending", combined.GetState(), "no status yet is pending")
}

func TestCommitStatusLimits(t *testing.T) {
	s, gh := newFake(t)
	sha := s.BranchSHA(owner, name, "main")
	create := func(context, description string) error {
		_, _, err := gh.Repositories.CreateStatus(ctx, owner, name, sha, &github.RepoStatus{
			State: github.String("pending"), Context: github.String(context), Description: github.String(description)})
		return err
	}

	require.NoError(t, create("shepherd/qa", strings.Repeat("é", 140)), "140 characters, not bytes")
	requireValidation(t, create("shepherd/qa", strings.Repeat("d", 141)), "Status", "description", "custom")

	for i := 2; i <= 1000; i++ {
		context := "shepherd/qa"
		if i%2 == 0 {
			context = "Shepherd/QA" // the same context: they compare without case
		}
		require.NoError(t, create(context, "d"), "status %d", i)
	}
	requireValidation(t, create("SHEPHERD/qa", "d"), "Status", "context", "custom")
	require.NoError(t, create("shepherd/export", "d"), "another context has its own 1000")
	assert.Len(t, s.Statuses(owner, name, sha), 1001)

	combined, _, err := gh.Repositories.GetCombinedStatus(ctx, owner, name, sha, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, combined.GetTotalCount(), "one per context, whatever its case")
}
