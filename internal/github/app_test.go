package github

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

// As a GitHub App, the bot looks its installation up for the repository and acts as the
// App's bot user (whose pushes and PRs trigger workflows).
func TestAppAuthenticationFindsTheInstallation(t *testing.T) {
	srv := githubtest.NewServer(githubtest.WithToken("someone-else", "someone"), githubtest.WithInstallation(4242))
	t.Cleanup(srv.Close)
	srv.AddRepo(owner, repo, "main")
	ctx := context.Background()
	for _, installation := range []int64{0, 4242} {
		c, err := New(ctx, owner, repo, Options{BaseURL: srv.URL(), Auth: Auth{AppID: 7, AppPrivateKey: githubtest.AppKey(t), InstallationID: installation}})
		require.NoError(t, err)
		i, _, err := c.EnsureIssue(ctx, "v1", "Release v1", 0)
		require.NoError(t, err)
		got := srv.Issues(owner, repo)
		require.Len(t, got, 1)
		assert.Equal(t, githubtest.AppLogin, got[0].GetUser().GetLogin())
		assert.Equal(t, got[0].GetNumber(), i.Number)
	}
	assert.Equal(t, 1, srv.CountBy("GET", "/repos/{owner}/{repo}/installation"), "looked up only when not given")
	// The installation looked up names its App; only the installation given by id leaves
	// the bot to ask GET /app who it is.
	assert.Equal(t, 1, srv.CountBy("GET", "/app"))
}

func TestAppLoginComesWithTheInstallation(t *testing.T) {
	srv := githubtest.NewServer(githubtest.WithInstallation(4242))
	t.Cleanup(srv.Close)
	srv.AddRepo(owner, repo, "main")
	c, err := New(context.Background(), owner, repo, Options{BaseURL: srv.URL(), Auth: Auth{AppID: 7, AppPrivateKey: githubtest.AppKey(t)}})
	require.NoError(t, err)

	login, err := c.Login(context.Background())

	require.NoError(t, err)
	assert.Equal(t, githubtest.AppLogin, login)
	assert.Zero(t, srv.CountBy("GET", "/app"))
}

func TestAppAuthenticationErrors(t *testing.T) {
	ctx := context.Background()
	_, err := New(ctx, owner, repo, Options{Auth: Auth{AppID: 7}})
	assert.ErrorContains(t, err, "private key is empty")
	_, err = New(ctx, owner, repo, Options{Auth: Auth{AppID: 7, AppPrivateKey: []byte("not a key")}})
	assert.ErrorContains(t, err, "GitHub App private key")

	srv := githubtest.NewServer(githubtest.WithInstallation(4242))
	t.Cleanup(srv.Close)
	_, err = New(ctx, owner, "not-installed", Options{BaseURL: srv.URL(), Auth: Auth{AppID: 7, AppPrivateKey: githubtest.AppKey(t)}})
	assert.ErrorContains(t, err, "is the App installed there?")
}
