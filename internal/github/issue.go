package github

import (
	"context"
	"fmt"
	"sort"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// TrackingLabel marks every tracking issue so that finding one is a single filtered
// listing rather than a walk over all issues.
const TrackingLabel = "shepherd"

// Issue is the part of a GitHub issue the bot works with.
type Issue struct {
	Number int
	Title  string
	Body   string
	URL    string
	Labels []string
}

func fromGH(i *gh.Issue) *Issue {
	out := &Issue{Number: i.GetNumber(), Title: i.GetTitle(), Body: i.GetBody(), URL: i.GetHTMLURL()}
	for _, l := range i.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	sort.Strings(out.Labels)
	return out
}

func releaseMarker(version string) string { return Marker("release", version) }

// FindIssue looks for the tracking issue of a release by its hidden marker. Several
// issues with the marker (two runs raced) resolve to the lowest number, so every run
// converges on the same one.
func (c *Client) FindIssue(ctx context.Context, version string) (*Issue, error) {
	all, err := c.ListTracking(ctx, "all")
	if err != nil {
		return nil, err
	}
	var found *Issue
	for _, i := range all {
		if strings.Contains(i.Body, releaseMarker(version)) && (found == nil || i.Number < found.Number) {
			found = i
		}
	}
	return found, nil
}

// GetIssue reads one issue by number (a tracking issue named in the manifest).
func (c *Client) GetIssue(ctx context.Context, number int) (*Issue, error) {
	var i *gh.Issue
	err := c.call(ctx, fmt.Sprintf("read issue #%d", number), func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		i, resp, err = c.gh.Issues.Get(ctx, c.owner, c.repo, number)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	return fromGH(i), nil
}

// EnsureIssue returns the release's tracking issue, creating it when there is none.
// When number is set (the manifest names an issue) that issue is adopted: the marker
// is added to its body so later runs find it.
func (c *Client) EnsureIssue(ctx context.Context, version, title string, number int) (*Issue, bool, error) {
	if number > 0 {
		i, err := c.GetIssue(ctx, number)
		if err != nil {
			return nil, false, err
		}
		if !strings.Contains(i.Body, releaseMarker(version)) {
			body := strings.TrimRight(i.Body, "\n") + "\n\n" + releaseMarker(version)
			if err := c.EditIssueBody(ctx, i.Number, body); err != nil {
				return nil, false, err
			}
			i.Body = body
		}
		return i, false, c.ensureTrackingLabel(ctx, i)
	}
	if i, err := c.FindIssue(ctx, version); err != nil || i != nil {
		return i, false, err
	}
	if err := c.EnsureLabels(ctx, []string{TrackingLabel}); err != nil {
		return nil, false, err
	}
	var created *gh.Issue
	err := c.call(ctx, "create tracking issue", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		created, resp, err = c.gh.Issues.Create(ctx, c.owner, c.repo, &gh.IssueRequest{
			Title:  gh.String(title),
			Body:   gh.String(releaseMarker(version)),
			Labels: &[]string{TrackingLabel},
		})
		return resp, err
	})
	if err != nil {
		return nil, false, err
	}
	// Two runs that raced may both have created one: settle on the lowest number.
	winner, err := c.FindIssue(ctx, version)
	if err != nil {
		return nil, false, err
	}
	if winner != nil && winner.Number != created.GetNumber() {
		c.log.Warn("github: another run created the tracking issue first; closing ours", "ours", created.GetNumber(), "kept", winner.Number)
		err := c.call(ctx, "close duplicate tracking issue", func() (*gh.Response, error) {
			_, resp, err := c.gh.Issues.Edit(ctx, c.owner, c.repo, created.GetNumber(), &gh.IssueRequest{
				State: gh.String("closed"), StateReason: gh.String("not_planned"),
				Body: gh.String(fmt.Sprintf("Duplicate of #%d (two runs started at once).", winner.Number)),
			})
			return resp, err
		})
		return winner, false, err
	}
	return fromGH(created), true, nil
}

func (c *Client) ensureTrackingLabel(ctx context.Context, i *Issue) error {
	for _, l := range i.Labels {
		if l == TrackingLabel {
			return nil
		}
	}
	if err := c.EnsureLabels(ctx, []string{TrackingLabel}); err != nil {
		return err
	}
	return c.call(ctx, "label tracking issue", func() (*gh.Response, error) {
		_, resp, err := c.gh.Issues.AddLabelsToIssue(ctx, c.owner, c.repo, i.Number, []string{TrackingLabel})
		return resp, err
	})
}

// EditIssueBody replaces an issue's body.
func (c *Client) EditIssueBody(ctx context.Context, number int, body string) error {
	return c.call(ctx, fmt.Sprintf("update issue #%d", number), func() (*gh.Response, error) {
		_, resp, err := c.gh.Issues.Edit(ctx, c.owner, c.repo, number, &gh.IssueRequest{Body: gh.String(body)})
		return resp, err
	})
}

// UpdateSection writes the bot's section into the issue's body, keeping the rest, and
// makes no request when nothing would change.
func (c *Client) UpdateSection(ctx context.Context, i *Issue, section string) (bool, error) {
	body := ReplaceSection(i.Body, section)
	if body == i.Body {
		return false, nil
	}
	if err := c.EditIssueBody(ctx, i.Number, body); err != nil {
		return false, err
	}
	i.Body = body
	return true, nil
}
