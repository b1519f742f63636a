package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v62/github"
	"golang.org/x/oauth2"
)

// Auth says how the bot authenticates: a token (the workflow's GITHUB_TOKEN) or a
// GitHub App installation, whose pushes and PRs trigger workflows where the
// workflow token's do not.
type Auth struct {
	Token string
	// App authentication, used when AppID is set.
	AppID          int64
	AppPrivateKey  []byte
	InstallationID int64 // looked up for the repository when zero
}

// Options configure a Client.
type Options struct {
	// BaseURL is a GitHub Enterprise API URL ("https://ghe.example.org/api/v3/");
	// empty means github.com.
	BaseURL string
	Auth    Auth
	// Transport under authentication; http.DefaultTransport when nil.
	Transport http.RoundTripper
	// WaitBudget is the time one run (one Client) may spend in total waiting out rate
	// limits (DefaultWaitBudget when zero); a wait that does not fit in what is left fails
	// the call with ErrRateLimited and the time to retry at.
	WaitBudget time.Duration
	// Retries bounds the attempts for one call on 5xx and rate limits.
	Retries int
	Sleep   func(ctx context.Context, d time.Duration) error
	Now     func() time.Time
	Logger  *slog.Logger
	// WorkflowToken says that Auth.Token is the workflow's own GITHUB_TOKEN, which writes
	// as ActionsLogin: the bot then knows who it is without asking GitHub (a read that
	// answers 403 for that token anyway).
	WorkflowToken bool
}

// Client is the bot's access to one repository.
type Client struct {
	gh          *gh.Client
	owner, repo string
	opts        Options
	log         *slog.Logger
	me          identity // who the bot is: identity.go
}

// New connects to owner/repo with the given authentication.
func New(ctx context.Context, owner, repo string, opts Options) (*Client, error) {
	if opts.WaitBudget == 0 {
		opts.WaitBudget = DefaultWaitBudget
	}
	if opts.Retries == 0 {
		opts.Retries = 4
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	base := opts.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c := &Client{owner: owner, repo: repo, opts: opts, log: opts.Logger}
	if opts.WorkflowToken && opts.Auth.AppID == 0 {
		c.me.login = ActionsLogin
	}
	base = &etagTransport{next: base}
	base = &rateLimitTransport{next: base, budget: opts.WaitBudget, attempts: opts.Retries, sleep: opts.Sleep, now: opts.Now,
		onWait: func(d time.Duration, why string) {
			c.log.Info("github: waiting out a rate limit", "wait", d, "reason", why)
		}}
	var err error
	switch {
	case opts.Auth.AppID != 0:
		var slug string
		c.gh, slug, err = appClient(ctx, base, owner, repo, opts)
		if slug != "" {
			// The installation names its App: no GET /app needed to know who writes.
			c.me.login = slug + "[bot]"
		}
	case opts.Auth.Token != "":
		tokens := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: opts.Auth.Token, TokenType: "Bearer"})
		c.gh, err = withBase(gh.NewClient(&http.Client{Transport: &oauth2.Transport{Source: tokens, Base: base}}), opts.BaseURL)
	default:
		return nil, errors.New("no GitHub credentials: set a token (GITHUB_TOKEN) or a GitHub App id and private key")
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// withBase points the client at a GitHub Enterprise (or test) API URL, used as given.
func withBase(c *gh.Client, baseURL string) (*gh.Client, error) {
	if baseURL == "" {
		return c, nil
	}
	if !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("GitHub base URL %q is not an absolute URL", baseURL)
	}
	c.BaseURL, c.UploadURL = u, u
	return c, nil
}

// appClient connects as the App's installation on owner/repo. When it had to look the
// installation up, it also returns the App's slug, which the installation names
// (https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app).
func appClient(ctx context.Context, base http.RoundTripper, owner, repo string, opts Options) (*gh.Client, string, error) {
	if len(opts.Auth.AppPrivateKey) == 0 {
		return nil, "", errors.New("GitHub App id is set but its private key is empty")
	}
	apps, err := ghinstallation.NewAppsTransport(base, opts.Auth.AppID, opts.Auth.AppPrivateKey)
	if err != nil {
		return nil, "", fmt.Errorf("GitHub App private key: %w", err)
	}
	if opts.BaseURL != "" {
		apps.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	}
	id := opts.Auth.InstallationID
	var slug string
	if id == 0 {
		appGH, err := withBase(gh.NewClient(&http.Client{Transport: apps}), opts.BaseURL)
		if err != nil {
			return nil, "", err
		}
		inst, _, err := appGH.Apps.FindRepositoryInstallation(ctx, owner, repo)
		if err != nil {
			return nil, "", fmt.Errorf("find the GitHub App's installation on %s/%s (is the App installed there?): %w", owner, repo, err)
		}
		id, slug = inst.GetID(), inst.GetAppSlug()
	}
	itr := ghinstallation.NewFromAppsTransport(apps, id)
	if opts.BaseURL != "" {
		itr.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	}
	client, err := withBase(gh.NewClient(&http.Client{Transport: itr}), opts.BaseURL)
	return client, slug, err
}

// GitHub gives access to the underlying client for calls this package does not wrap.
func (c *Client) GitHub() *gh.Client { return c.gh }

// Repo is "owner/name".
func (c *Client) Repo() string { return c.owner + "/" + c.repo }

// call runs one API call and retries GitHub's server errors with a growing pause.
// Short rate limits never reach here (the transport waits them out); a long one fails
// with a message saying when to re-run. Writes are retried too: GitHub answers 5xx before
// doing anything in practice, and every write the bot makes is guarded by a read that
// finds an earlier success. Every error is an *APIError that says whether it is permanent.
func (c *Client) call(ctx context.Context, what string, fn func() (*gh.Response, error)) error {
	for attempt := 1; ; attempt++ {
		resp, err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		apiErr := c.newAPIError(what, resp, err)
		if apiErr.Status < 500 {
			return apiErr
		}
		if attempt >= c.opts.Retries {
			apiErr.Attempts = attempt
			return apiErr
		}
		wait := time.Duration(attempt*attempt) * time.Second
		c.log.Info("github: server error, retrying", "call", what, "wait", wait, "attempt", attempt, "error", err.Error())
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// isNotFound reports a 404 from GitHub.
func isNotFound(err error) bool {
	var er *gh.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound
}

// isAlreadyExists reports GitHub's 422 for a resource that is already there.
func isAlreadyExists(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if e.Code == "already_exists" {
			return true
		}
	}
	return strings.Contains(strings.ToLower(er.Message), "already exists")
}
