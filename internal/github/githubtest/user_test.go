package githubtest

import (
	"encoding/base64"
	"net/http"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/require"
)

// identity drives the routes that tell a client who it is: GET /user for a user's token
// (403 for an App's installation token) and GET /app for the App's JWT.
func (d *driver) identity() {
	u, resp, err := d.gh.Users.Get(bg, "")
	d.want(200, resp, err)
	require.Equal(d.t, "openmrs", u.GetLogin())
	jwt := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`)) + ".e30.c2ln"
	jwtClient, err := github.NewClient(&http.Client{Transport: d.rec}).WithAuthToken(jwt).WithEnterpriseURLs(d.s.URL(), d.s.URL())
	require.NoError(d.t, err)
	app, resp, err := jwtClient.Apps.Get(bg, "")
	d.want(200, resp, err)
	require.Equal(d.t, AppLogin, app.GetSlug()+"[bot]")
	tok, resp, err := jwtClient.Apps.CreateInstallationToken(bg, d.s.InstallationID(), nil)
	d.want(201, resp, err)
	installation, err := github.NewClient(&http.Client{Transport: d.rec}).WithAuthToken(tok.GetToken()).WithEnterpriseURLs(d.s.URL(), d.s.URL())
	require.NoError(d.t, err)
	_, resp, err = installation.Users.Get(bg, "")
	d.want(403, resp, err)
}
