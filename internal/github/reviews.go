package github

import (
	"context"
	"fmt"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// Approved says whether a PR has an approval that still stands (Approvers).
func (c *Client) Approved(ctx context.Context, number int) (bool, error) {
	approvers, err := c.Approvers(ctx, number)
	return len(approvers) > 0, err
}

// Approvers are the reviewers of a PR whose approval still stands, in the order they
// first reviewed: each reviewer's latest approving, change-requesting or dismissed
// review decides what that reviewer says (a later comment-only review changes nothing).
func (c *Client) Approvers(ctx context.Context, number int) ([]string, error) {
	opts := &gh.ListOptions{PerPage: 100}
	latest := map[string]string{}
	var order []string
	for {
		var page []*gh.PullRequestReview
		var resp *gh.Response
		err := c.call(ctx, fmt.Sprintf("list reviews of #%d", number), func() (*gh.Response, error) {
			var err error
			page, resp, err = c.gh.PullRequests.ListReviews(ctx, c.owner, c.repo, number, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		// Reviews come oldest first, so a later one overwrites an earlier one.
		for _, r := range page {
			if s := r.GetState(); s == "APPROVED" || s == "CHANGES_REQUESTED" || s == "DISMISSED" {
				login := r.GetUser().GetLogin()
				if _, seen := latest[login]; !seen {
					order = append(order, login)
				}
				latest[login] = s
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	var out []string
	for _, login := range order {
		if latest[login] == "APPROVED" {
			out = append(out, login)
		}
	}
	return out, nil
}

// MergedPullRequest is the pull request merged as commit sha (its merge commit), or nil
// when no pull request was: a release whose manifest was pushed straight to the branch.
// https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit
func (c *Client) MergedPullRequest(ctx context.Context, sha string) (*PullRequest, error) {
	var prs []*gh.PullRequest
	err := c.call(ctx, "list the pull requests of commit "+sha, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		prs, resp, err = c.gh.PullRequests.ListPullRequestsWithCommit(ctx, c.owner, c.repo, sha, &gh.ListOptions{PerPage: 100})
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	for _, pr := range prs {
		// An open PR has a merge_commit_sha too (its test merge): only a merged one counts.
		if pr.MergedAt != nil && pr.GetMergeCommitSHA() == sha {
			return fromPR(pr), nil
		}
	}
	return nil, nil
}

// TeamAccess reports whether the team org/slug has access to the repository and whether
// that access includes push (write, maintain or admin). GitHub answers 404 for a team
// without access, or one the token may not see. Reading it needs the organization
// permission members:read (read:org for a personal token), which a GITHUB_TOKEN never
// has: the 403 is returned as an error matching ErrPermission.
// https://docs.github.com/rest/teams/teams#check-team-permissions-for-a-repository
func (c *Client) TeamAccess(ctx context.Context, org, slug string) (access, push bool, err error) {
	var repo *gh.Repository
	err = c.call(ctx, fmt.Sprintf("read the access of team %s/%s to %s", org, slug, c.Repo()), func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		repo, resp, err = c.gh.Teams.IsTeamRepoBySlug(ctx, org, slug, c.owner, c.repo)
		return resp, err
	})
	if isNotFound(err) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	p := repo.GetPermissions()
	return true, p["push"] || p["maintain"] || p["admin"], nil
}

// StatusSince reads the state of the commit status context_ on sha and since when it has
// held that state: the oldest of the newest unbroken run of statuses with that state (a
// status re-posted with a new description does not restart the wait). An absent status
// has state "".
func (c *Client) StatusSince(ctx context.Context, sha, context_ string) (state string, since time.Time, err error) {
	opts := &gh.ListOptions{PerPage: 100}
	for {
		var page []*gh.RepoStatus
		var resp *gh.Response
		err := c.call(ctx, "list commit statuses", func() (*gh.Response, error) {
			var err error
			page, resp, err = c.gh.Repositories.ListStatuses(ctx, c.owner, c.repo, sha, opts)
			return resp, err
		})
		if err != nil {
			return "", time.Time{}, err
		}
		// Statuses come newest first.
		for _, s := range page {
			if s.GetContext() != context_ {
				continue
			}
			if state == "" {
				state = s.GetState()
			} else if s.GetState() != state {
				return state, since, nil
			}
			since = s.GetCreatedAt().Time
		}
		if resp.NextPage == 0 {
			return state, since, nil
		}
		opts.Page = resp.NextPage
	}
}
