package github

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

func TestTeamMembershipStatesAndRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.srv.AddTeamMember(owner, "release-managers", "alice", "active")
	f.srv.AddTeamMember(owner, "release-managers", "bob", "pending")
	for login, want := range map[string]string{"alice": "active", "bob": "pending", "carol": ""} {
		state, err := f.c.TeamMembership(ctx, owner, "release-managers", login)
		require.NoError(t, err, login)
		assert.Equal(t, want, state, login)
	}

	// A workflow's GITHUB_TOKEN has no organization permissions: 403, never "not a member".
	f.srv.LimitToken("tok", githubtest.Permissions{"contents": "write", "issues": "write"})
	state, err := f.c.TeamMembership(ctx, owner, "release-managers", "alice")
	require.ErrorIs(t, err, ErrPermission)
	assert.Empty(t, state)
	assert.Equal(t, "CIEL", f.c.Owner())
}
