package githubtest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCollaboratorPermission(t *testing.T) {
	s, gh := newFake(t)
	s.AddCollaborator(owner, name, "maintainer", "maintain")
	s.AddCollaborator(owner, name, "triager", "triage")
	tests := []struct {
		login, permission, role string
	}{
		{owner, "admin", "admin"},
		{"maintainer", "write", "maintain"},
		{"triager", "read", "triage"},
		{"stranger", "none", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.login, func(t *testing.T) {
			level, _, err := gh.Repositories.GetPermissionLevel(ctx, owner, name, tt.login)
			require.NoError(t, err)
			assert.Equal(t, tt.permission, level.GetPermission())
			assert.Equal(t, tt.login, level.GetUser().GetLogin())

			var raw map[string]any
			req, err := gh.NewRequest("GET", "repos/"+owner+"/"+name+"/collaborators/"+tt.login+"/permission", nil)
			require.NoError(t, err)
			_, err = gh.Do(ctx, req, &raw)
			require.NoError(t, err)
			assert.Equal(t, tt.role, raw["role_name"])
		})
	}

	isCollaborator, _, err := gh.Repositories.IsCollaborator(ctx, owner, name, "maintainer")
	require.NoError(t, err)
	assert.True(t, isCollaborator)
	isCollaborator, _, err = gh.Repositories.IsCollaborator(ctx, owner, name, "stranger")
	require.NoError(t, err)
	assert.False(t, isCollaborator)

	_, _, err = gh.Repositories.GetPermissionLevel(ctx, owner, "missing", "x")
	errorResponse(t, err, http.StatusNotFound)
}

func TestGetRepositoryAndBranch(t *testing.T) {
	s, gh := newFake(t)
	sha := s.SetFile(owner, name, "release/v1", "a", "a")

	repo, _, err := gh.Repositories.Get(ctx, owner, name)
	require.NoError(t, err)
	assert.Equal(t, "main", repo.GetDefaultBranch())
	assert.Equal(t, owner+"/"+name, repo.GetFullName())
	assert.NotZero(t, repo.GetID())

	branch, _, err := gh.Repositories.GetBranch(ctx, owner, name, "release/v1", 0)
	require.NoError(t, err)
	assert.Equal(t, "release/v1", branch.GetName())
	assert.Equal(t, sha, branch.GetCommit().GetSHA())

	// go-github's GetBranch reports a 404 as a plain error; the log has the status.
	_, _, err = gh.Repositories.GetBranch(ctx, owner, name, "nope", 0)
	require.Error(t, err)
	requests := s.Requests()
	assert.Equal(t, http.StatusNotFound, requests[len(requests)-1].Status)
}
