package github

import (
	"context"
	"fmt"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// Approved says whether a PR has an approval that still stands: each reviewer's latest
// approving, change-requesting or dismissed review decides what that reviewer says
// (a later comment-only review changes nothing).
func (c *Client) Approved(ctx context.Context, number int) (bool, error) {
	opts := &gh.ListOptions{PerPage: 100}
	latest := map[string]string{}
	for {
		var page []*gh.PullRequestReview
		var resp *gh.Response
		err := c.call(ctx, fmt.Sprintf("list reviews of #%d", number), func() (*gh.Response, error) {
			var err error
			page, resp, err = c.gh.PullRequests.ListReviews(ctx, c.owner, c.repo, number, opts)
			return resp, err
		})
		if err != nil {
			return false, err
		}
		// Reviews come oldest first, so a later one overwrites an earlier one.
		for _, r := range page {
			if s := r.GetState(); s == "APPROVED" || s == "CHANGES_REQUESTED" || s == "DISMISSED" {
				latest[r.GetUser().GetLogin()] = s
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	for _, s := range latest {
		if s == "APPROVED" {
			return true, nil
		}
	}
	return false, nil
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
