package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v62/github"
)

// What `shepherd doctor` reads of the repository's settings. Nothing here writes.

// RepoSettings is what the repository itself says about the features Shepherd needs.
type RepoSettings struct {
	DefaultBranch string
	HasIssues     bool
	// Public is a public repository: only there does GitHub switch scheduled workflows off
	// after 60 days without activity.
	Public   bool
	Archived bool
	PushedAt time.Time
	// OAuthScopes is the X-OAuth-Scopes header: the scopes of a classic personal access token
	// (or an OAuth token), "" when it has none. HasOAuthScopes is false when GitHub sent no
	// such header, as for fine-grained tokens, App installation tokens and the workflow's
	// GITHUB_TOKEN (https://docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps).
	OAuthScopes    string
	HasOAuthScopes bool
}

// RepoSettings reads GET /repos/{owner}/{repo}
// (https://docs.github.com/rest/repos/repos#get-a-repository).
func (c *Client) RepoSettings(ctx context.Context) (*RepoSettings, error) {
	var repo *gh.Repository
	var header http.Header
	err := c.call(ctx, "read the repository", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		repo, resp, err = c.gh.Repositories.Get(ctx, c.owner, c.repo)
		if resp != nil {
			header = resp.Header
		}
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	scopes, has := header["X-Oauth-Scopes"]
	out := &RepoSettings{
		DefaultBranch:  repo.GetDefaultBranch(),
		HasIssues:      repo.GetHasIssues(),
		Public:         !repo.GetPrivate() && repo.GetVisibility() != "internal",
		Archived:       repo.GetArchived(),
		PushedAt:       repo.GetPushedAt().Time,
		HasOAuthScopes: has,
	}
	if has && len(scopes) > 0 {
		out.OAuthScopes = scopes[0]
	}
	return out, nil
}

// ActionsEnabled reports whether GitHub Actions may run in the repository
// (https://docs.github.com/rest/actions/permissions#get-github-actions-permissions-for-a-repository;
// needs the "administration" read permission).
func (c *Client) ActionsEnabled(ctx context.Context) (bool, error) {
	var perms *gh.ActionsPermissionsRepository
	err := c.call(ctx, "read the repository's Actions permissions", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		perms, resp, err = c.gh.Repositories.GetActionsPermissions(ctx, c.owner, c.repo)
		return resp, err
	})
	if err != nil {
		return false, err
	}
	return perms.GetEnabled(), nil
}

// Workflow is one workflow file and whether GitHub runs it: "active", or "disabled_inactivity",
// "disabled_manually", "disabled_fork"
// (https://docs.github.com/rest/actions/workflows#list-repository-workflows).
type Workflow struct {
	Name, Path, State string
	ID                int64
}

// Workflows lists every workflow of the repository.
func (c *Client) Workflows(ctx context.Context) ([]Workflow, error) {
	var out []Workflow
	opts := &gh.ListOptions{PerPage: 100}
	for {
		var page *gh.Workflows
		var next int
		err := c.call(ctx, "list the repository's workflows", func() (*gh.Response, error) {
			var resp *gh.Response
			var err error
			page, resp, err = c.gh.Actions.ListWorkflows(ctx, c.owner, c.repo, opts)
			if resp != nil {
				next = resp.NextPage
			}
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, wf := range page.Workflows {
			out = append(out, Workflow{Name: wf.GetName(), Path: wf.GetPath(), State: wf.GetState(), ID: wf.GetID()})
		}
		if next == 0 {
			return out, nil
		}
		opts.Page = next
	}
}

// MergeRules is what merging into a branch requires: status check contexts that must pass
// and approving reviews.
type MergeRules struct {
	Contexts  []string
	Approvals int
}

// Requires reports whether context is among the required checks (contexts compare without
// case, as GitHub compares them).
func (r *MergeRules) Requires(context string) bool {
	return slices.ContainsFunc(r.Contexts, func(c string) bool { return strings.EqualFold(c, context) })
}

// BranchProtection reads the branch's classic protection rule
// (https://docs.github.com/rest/branches/branch-protection#get-branch-protection). An
// unprotected branch fails with ErrNotFound; a token without the "administration" read
// permission (which a workflow's GITHUB_TOKEN never has) with ErrPermission.
func (c *Client) BranchProtection(ctx context.Context, branch string) (*MergeRules, error) {
	var p *gh.Protection
	err := c.call(ctx, "read the protection of branch "+branch, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		p, resp, err = c.gh.Repositories.GetBranchProtection(ctx, c.owner, c.repo, branch)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	rules := &MergeRules{}
	if checks := p.GetRequiredStatusChecks(); checks != nil {
		rules.Contexts = append(rules.Contexts, checks.GetContexts()...)
		for _, ch := range checks.GetChecks() {
			if !slices.Contains(rules.Contexts, ch.Context) {
				rules.Contexts = append(rules.Contexts, ch.Context)
			}
		}
	}
	if reviews := p.GetRequiredPullRequestReviews(); reviews != nil {
		rules.Approvals = reviews.RequiredApprovingReviewCount
	}
	return rules, nil
}

// BranchRulesets gathers what the repository's and organisation's rulesets require of merges
// into the branch (https://docs.github.com/rest/repos/rules#get-rules-for-a-branch; anyone who
// can read the repository may ask). Approvals is the highest count of any pull_request rule.
func (c *Client) BranchRulesets(ctx context.Context, branch string) (*MergeRules, error) {
	var rules []*gh.RepositoryRule
	err := c.call(ctx, "read the rulesets of branch "+branch, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		rules, resp, err = c.gh.Repositories.GetRulesForBranch(ctx, c.owner, c.repo, branch)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	out := &MergeRules{}
	for _, r := range rules {
		switch r.Type {
		case "required_status_checks":
			var p gh.RequiredStatusChecksRuleParameters
			if err := json.Unmarshal(r.GetParameters(), &p); err != nil {
				return nil, fmt.Errorf("read the rulesets of branch %s: rule %s: %w", branch, r.Type, err)
			}
			for _, ch := range p.RequiredStatusChecks {
				out.Contexts = append(out.Contexts, ch.Context)
			}
		case "pull_request":
			var p gh.PullRequestRuleParameters
			if err := json.Unmarshal(r.GetParameters(), &p); err != nil {
				return nil, fmt.Errorf("read the rulesets of branch %s: rule %s: %w", branch, r.Type, err)
			}
			out.Approvals = max(out.Approvals, p.RequiredApprovingReviewCount)
		}
	}
	return out, nil
}

// UsesApp reports whether the client authenticates as a GitHub App installation.
func (c *Client) UsesApp() bool { return c.opts.Auth.AppID != 0 }

// InstallationPermissions reads what the App's installation on the repository may do,
// asked with the App's own JWT
// (https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app):
// permission name ("contents", "pull_requests", …) → "read" or "write".
func (c *Client) InstallationPermissions(ctx context.Context) (map[string]string, error) {
	if !c.UsesApp() {
		return nil, fmt.Errorf("installation permissions: %s authenticates with a token, not a GitHub App", c.Repo())
	}
	appGH, err := c.appJWTClient()
	if err != nil {
		return nil, err
	}
	var inst *gh.Installation
	err = c.call(ctx, "read the GitHub App's installation on "+c.Repo(), func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		inst, resp, err = appGH.Apps.FindRepositoryInstallation(ctx, c.owner, c.repo)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	// go-github's InstallationPermissions has one field per permission; its JSON form is the
	// name → level map GitHub sent.
	raw, err := json.Marshal(inst.GetPermissions())
	if err != nil {
		return nil, err
	}
	perms := map[string]string{}
	if err := json.Unmarshal(raw, &perms); err != nil {
		return nil, fmt.Errorf("read the GitHub App's installation permissions: %w", err)
	}
	return perms, nil
}

// appJWTClient is a client that authenticates as the App itself (a JWT signed with its key),
// for the few routes that want the App rather than an installation.
func (c *Client) appJWTClient() (*gh.Client, error) {
	base := c.opts.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	apps, err := ghinstallation.NewAppsTransport(base, c.opts.Auth.AppID, c.opts.Auth.AppPrivateKey)
	if err != nil {
		return nil, fmt.Errorf("GitHub App private key: %w", err)
	}
	if c.opts.BaseURL != "" {
		apps.BaseURL = strings.TrimSuffix(c.opts.BaseURL, "/")
	}
	return withBase(gh.NewClient(&http.Client{Transport: apps}), c.opts.BaseURL)
}
