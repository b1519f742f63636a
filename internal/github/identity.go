package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	gh "github.com/google/go-github/v62/github"
)

// ActionsLogin is who writes with a workflow's GITHUB_TOKEN: an installation token of
// GitHub's own "github-actions" App, whose comments and issues show as github-actions[bot]
// (https://docs.github.com/en/actions/security-for-github-actions/security-guides/automatic-token-authentication).
const ActionsLogin = "github-actions[bot]"

// identity caches who the bot is on GitHub: asked once per client.
type identity struct {
	mu    sync.Mutex
	login string
}

// Login is the bot's own login: what GitHub shows as the author (user.login) of every
// issue and comment the bot writes. Nothing the bot reads back on GitHub is believed
// unless this login wrote it, because hidden markers prove nothing (anyone can comment
// on a public repository).
//
//   - A GitHub App writes as "<app-slug>[bot]"; the slug comes with the repository's
//     installation when the client looked it up (client.go), else from GET /app, asked
//     with the App's JWT (https://docs.github.com/en/rest/apps/apps#get-the-authenticated-app).
//   - A token of a user (a personal access token) writes as that user: GET /user.
//   - An installation token answers GET /user with 403 "Resource not accessible by
//     integration" (https://docs.github.com/en/rest/users/users#get-the-authenticated-user
//     is not available to GitHub Apps); given as a plain token, that is the workflow's
//     GITHUB_TOKEN, which writes as github-actions[bot].
func (c *Client) Login(ctx context.Context) (string, error) {
	c.me.mu.Lock()
	defer c.me.mu.Unlock()
	if c.me.login != "" {
		return c.me.login, nil
	}
	var login string
	var err error
	if c.opts.Auth.AppID != 0 {
		login, err = c.appLogin(ctx)
	} else {
		login, err = c.userLogin(ctx)
	}
	if err != nil {
		return "", fmt.Errorf("find out who Shepherd is on GitHub (it believes only what it wrote itself): %w", err)
	}
	c.me.login = login
	c.log.Debug("github: writing as", "login", login)
	return login, nil
}

func (c *Client) userLogin(ctx context.Context) (string, error) {
	var u *gh.User
	err := c.call(ctx, "read the authenticated user", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		u, resp, err = c.gh.Users.Get(ctx, "")
		return resp, err
	})
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden &&
		strings.Contains(er.Message, "Resource not accessible by integration") {
		return ActionsLogin, nil
	}
	if err != nil {
		return "", err
	}
	if u.GetLogin() == "" {
		return "", errors.New("GitHub named no login for the token")
	}
	return u.GetLogin(), nil
}

func (c *Client) appLogin(ctx context.Context) (string, error) {
	appGH, err := c.appJWTClient()
	if err != nil {
		return "", err
	}
	var app *gh.App
	err = c.call(ctx, "read the GitHub App", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		app, resp, err = appGH.Apps.Get(ctx, "")
		return resp, err
	})
	if err != nil {
		return "", err
	}
	if app.GetSlug() == "" {
		return "", errors.New("GitHub named no slug for the App")
	}
	return app.GetSlug() + "[bot]", nil
}

// wroteIt reports whether login is the bot itself. GitHub logins compare without case.
func (c *Client) wroteIt(ctx context.Context, login string) (bool, error) {
	me, err := c.Login(ctx)
	if err != nil {
		return false, err
	}
	return login != "" && strings.EqualFold(login, me), nil
}

// IsBot reports whether login is the bot itself (its user, or its App's <slug>[bot]).
func (c *Client) IsBot(ctx context.Context, login string) (bool, error) { return c.wroteIt(ctx, login) }
