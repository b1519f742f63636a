package githubtest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/go-github/v62/github"
)

// AppLogin is who acts when a request carries an App installation token.
const AppLogin = "shepherd-release[bot]"

// installationTokenLifetime is how long GitHub's installation tokens live.
const installationTokenLifetime = time.Hour

const routeInstallationToken = "/app/installations/{installation_id}/access_tokens"

func (s *Server) registerAppRoutes() {
	s.handleApp("POST", routeInstallationToken, (*call).createInstallationToken)
	s.handleApp("GET", "/repos/{owner}/{repo}/installation", (*call).getRepoInstallation)
}

// createInstallationToken hands the App a token for its installation, as
// ghinstallation asks for one.
func (c *call) createInstallationToken() {
	id, err := strconv.ParseInt(c.param("installation_id"), 10, 64)
	if err != nil || id != c.s.installationID {
		c.notFound()
		return
	}
	token := fmt.Sprintf("ghs_fake%028d", c.s.newID())
	expires := c.now.Add(installationTokenLifetime)
	c.s.installationTokens[token] = expires
	c.json(http.StatusCreated, map[string]any{
		"token":                token,
		"expires_at":           timestamp(expires),
		"permissions":          c.s.installationPermissions,
		"repository_selection": "all",
	})
}

func (c *call) getRepoInstallation() {
	c.json(http.StatusOK, &github.Installation{
		ID:                  ptr(c.s.installationID),
		NodeID:              ptr(nodeID("MDI", c.s.installationID)),
		AppID:               ptr(int64(1)),
		AppSlug:             ptr("shepherd-release"),
		TargetType:          ptr("Organization"),
		Account:             c.s.user(c.repo.owner),
		RepositorySelection: ptr("all"),
		AccessTokensURL:     ptr(c.s.apiURL("/app/installations/%d/access_tokens", c.s.installationID)),
		HTMLURL:             ptr(c.s.htmlURL("/organizations/%s/settings/installations/%d", c.repo.owner, c.s.installationID)),
	})
}
