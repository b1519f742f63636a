package githubtest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
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
// ghinstallation asks for one. The answer's "permissions" are the token's own, which the
// fake then enforces on every route (permissions.go).
// https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app
func (c *call) createInstallationToken() {
	id, err := strconv.ParseInt(c.param("installation_id"), 10, 64)
	if err != nil || id != c.s.installationID {
		c.notFound()
		return
	}
	token := fmt.Sprintf("ghs_fake%028d", c.s.newID())
	expires := c.now.Add(installationTokenLifetime)
	c.s.installationTokens[token] = expires
	c.json(http.StatusCreated, object{
		"token":                token,
		"expires_at":           ts(expires),
		"permissions":          c.s.installationPermissions,
		"repository_selection": "all",
	})
}

// getRepoInstallation answers an "installation": Shepherd's App, installed on the
// repository's owner with every repository.
// https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app
func (c *call) getRepoInstallation() {
	account := c.s.userJSON(c.repo.owner)
	c.json(http.StatusOK, object{
		"id":                        c.s.installationID,
		"account":                   account,
		"repository_selection":      "all",
		"access_tokens_url":         c.s.apiURL("/app/installations/%d/access_tokens", c.s.installationID),
		"repositories_url":          c.s.apiURL("/installation/repositories"),
		"html_url":                  c.s.htmlURL("/organizations/%s/settings/installations/%d", c.repo.owner, c.s.installationID),
		"app_id":                    1,
		"app_slug":                  appSlug,
		"client_id":                 "Iv1.fake0000000001",
		"target_id":                 account["id"],
		"target_type":               "Organization",
		"permissions":               c.s.installationPermissions,
		"events":                    []string{},
		"created_at":                ts(c.repo.created),
		"updated_at":                ts(c.repo.created),
		"single_file_name":          nil,
		"has_multiple_single_files": false,
		"single_file_paths":         []string{},
		"suspended_by":              nil,
		"suspended_at":              nil,
	})
}

// appSlug is the App a request acts for: Shepherd's App with an installation token,
// GitHub Actions otherwise. Only GitHub Apps may write checks ("OAuth apps and
// authenticated users are not able to create a check run"), so in this fake a plain
// token that creates one stands for a workflow's GITHUB_TOKEN, which acts for the
// github-actions App. https://docs.github.com/rest/checks/runs#create-a-check-run
func (c *call) appSlug() string {
	if c.installation {
		return appSlug
	}
	return actionsAppSlug
}

const (
	appSlug        = "shepherd-release"
	actionsAppSlug = "github-actions"
)

// appJSON is an "integration": the App a check run belongs to (its "app" field,
// https://docs.github.com/rest/checks/runs#get-a-check-run). GitHub Actions is the
// github-actions App that GITHUB_TOKEN acts for; its id, name and owner are what the
// public GET https://api.github.com/apps/github-actions answers
// (https://docs.github.com/rest/apps/apps#get-an-app).
func (s *Server) appJSON(slug string) object {
	id, name, owner := int64(1), "Shepherd release", "openmrs"
	if slug == actionsAppSlug {
		id, name, owner = 15368, "GitHub Actions", "github"
	}
	created := ts(time.Date(2018, 7, 30, 9, 30, 17, 0, time.UTC))
	return object{
		"id":           id,
		"slug":         slug,
		"node_id":      nodeID("MDM6QXBw", id),
		"client_id":    fmt.Sprintf("Iv1.fake%010d", id),
		"owner":        s.userJSON(owner),
		"name":         name,
		"description":  "",
		"external_url": s.htmlURL("/apps/%s", slug),
		"html_url":     s.htmlURL("/apps/%s", slug),
		"created_at":   created,
		"updated_at":   created,
		"permissions":  DefaultInstallationPermissions,
		"events":       []string{},
	}
}
