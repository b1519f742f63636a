package githubtest

import "net/http"

func (s *Server) registerUserRoutes() {
	s.handle("GET", "/user", (*call).getAuthenticatedUser)
	s.handleApp("GET", "/app", (*call).getAuthenticatedApp)
}

// getAuthenticatedUser answers GET /user. An App installation token (the workflow's
// GITHUB_TOKEN is one) is not a user: GitHub answers 403 "Resource not accessible by
// integration" (https://docs.github.com/en/rest/users/users#get-the-authenticated-user
// lists no GitHub App access; actions/create-github-app-token issue #258 shows the answer).
func (c *call) getAuthenticatedUser() {
	if c.installation {
		c.fail(http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	// A "private-user": the simple user and what only its owner sees.
	u := c.s.userJSON(c.login)
	private := object{
		"name": c.login, "company": "", "blog": "", "location": "", "email": nil, "hireable": false, "bio": "",
		"public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
		"created_at": ts(c.now), "updated_at": ts(c.now),
		"private_gists": 0, "total_private_repos": 0, "owned_private_repos": 0, "disk_usage": 0,
		"collaborators": 0, "two_factor_authentication": true,
	}
	for k, v := range private {
		u[k] = v
	}
	c.json(http.StatusOK, u)
}

// getAuthenticatedApp answers GET /app, which the App calls with its JWT
// (https://docs.github.com/en/rest/apps/apps#get-the-authenticated-app). The App's bot
// user is "<slug>[bot]": AppLogin.
func (c *call) getAuthenticatedApp() { c.json(http.StatusOK, c.s.appJSON(appSlug)) }
