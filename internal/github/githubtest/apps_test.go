package githubtest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

func TestAppInstallationFlowWithGhinstallation(t *testing.T) {
	s := githubtest.NewServer(githubtest.WithToken("ghp_someone", "someone"), githubtest.WithInstallation(4242))
	t.Cleanup(s.Close)
	s.AddRepo(owner, name, "main")
	key := githubtest.AppKey(t)
	baseURL := strings.TrimSuffix(s.URL(), "/")

	apps, err := ghinstallation.NewAppsTransport(http.DefaultTransport, 7, key)
	require.NoError(t, err)
	apps.BaseURL = baseURL
	appClient, err := github.NewClient(&http.Client{Transport: apps}).WithEnterpriseURLs(s.URL(), s.URL())
	require.NoError(t, err)
	installation, _, err := appClient.Apps.FindRepositoryInstallation(ctx, owner, name)
	require.NoError(t, err)
	assert.Equal(t, int64(4242), installation.GetID())

	tr := ghinstallation.NewFromAppsTransport(apps, installation.GetID())
	tr.BaseURL = baseURL
	gh, err := github.NewClient(&http.Client{Transport: tr}).WithEnterpriseURLs(s.URL(), s.URL())
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		issue, _, err := gh.Issues.Create(ctx, owner, name, &github.IssueRequest{Title: github.String("t")})
		require.NoError(t, err)
		assert.Equal(t, githubtest.AppLogin, issue.GetUser().GetLogin())
		assert.Equal(t, "Bot", issue.GetUser().GetType())
	}

	assert.Equal(t, 1, s.CountBy("POST", "/app/installations/{installation_id}/access_tokens"), "the token is reused")
	assert.Equal(t, 2, s.Writes(), "asking for a token is not a write")
}

func TestAppRoutesWantAJWT(t *testing.T) {
	s := githubtest.NewServer(githubtest.WithClock(newClock().Now))
	t.Cleanup(s.Close)
	s.AddRepo(owner, name, "main")
	jwt := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + ".e30.c2ln"

	tests := []struct {
		name       string
		path       string
		credential string
		want       int
	}{
		{"token instead of JWT", "app/installations/1/access_tokens", "Bearer ghp_x", http.StatusUnauthorized},
		{"garbage JWT", "app/installations/1/access_tokens", "Bearer a.b.c", http.StatusUnauthorized},
		{"unknown installation", "app/installations/2/access_tokens", "Bearer " + jwt, http.StatusNotFound},
		{"token", "app/installations/1/access_tokens", "Bearer " + jwt, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, s.URL()+tt.path, tt.credential)
			assert.Equal(t, tt.want, resp.StatusCode)
		})
	}
}

func TestInstallationTokensExpire(t *testing.T) {
	clock := newClock()
	s := githubtest.NewServer(githubtest.WithToken("ghp_someone", "someone"), githubtest.WithClock(clock.Now))
	t.Cleanup(s.Close)
	s.AddRepo(owner, name, "main")

	token := installationToken(t, s)
	assert.Equal(t, clock.Now().Add(time.Hour), token.GetExpiresAt().Time)

	gh := s.ClientWithToken(t, token.GetToken())
	_, _, err := gh.Issues.ListByRepo(ctx, owner, name, nil)
	require.NoError(t, err)

	clock.Advance(time.Hour)
	_, _, err = gh.Issues.ListByRepo(ctx, owner, name, nil)
	er := errorResponse(t, err, http.StatusUnauthorized)
	assert.Equal(t, "Bad credentials", er.Message)
}

func post(t *testing.T, url, authorization string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", authorization)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// installationToken asks for a token of installation 1 as the App would, with a JWT.
func installationToken(t *testing.T, s *githubtest.Server) github.InstallationToken {
	t.Helper()
	jwt := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`)) + ".e30.c2ln"
	resp := post(t, s.URL()+"app/installations/1/access_tokens", "Bearer "+jwt)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var token github.InstallationToken
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&token))
	return token
}
