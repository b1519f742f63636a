package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v62/github"
)

// Commit status states.
const (
	StatusPending = "pending"
	StatusSuccess = "success"
	StatusFailure = "failure"
	StatusError   = "error"
)

// QAContext is the commit status branch protection can require.
const QAContext = "shepherd/qa"

// FreezeContext is the commit status of the code freeze after a major release.
const FreezeContext = "shepherd/freeze"

// SetStatus sets a commit status on sha, unless the same state and description are
// already there (GitHub keeps every status posted: repeats are clutter).
func (c *Client) SetStatus(ctx context.Context, sha, context_, state, description, targetURL string) (bool, error) {
	var combined *gh.CombinedStatus
	err := c.call(ctx, "read commit statuses", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		combined, resp, err = c.gh.Repositories.GetCombinedStatus(ctx, c.owner, c.repo, sha, &gh.ListOptions{PerPage: 100})
		return resp, err
	})
	if err != nil {
		return false, err
	}
	// GitHub's description field holds at most 140 characters.
	description = truncateUTF8(description, 140)
	for _, s := range combined.Statuses {
		if s.GetContext() == context_ && s.GetState() == state && s.GetDescription() == description && s.GetTargetURL() == targetURL {
			return false, nil
		}
	}
	st := &gh.RepoStatus{State: gh.String(state), Context: gh.String(context_), Description: gh.String(description)}
	if targetURL != "" {
		st.TargetURL = gh.String(targetURL)
	}
	err = c.call(ctx, fmt.Sprintf("set status %s", context_), func() (*gh.Response, error) {
		_, resp, err := c.gh.Repositories.CreateStatus(ctx, c.owner, c.repo, sha, st)
		return resp, err
	})
	return err == nil, err
}
