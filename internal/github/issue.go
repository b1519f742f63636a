package github

import (
	"context"
	"fmt"
	"sort"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// TrackingLabel is put on every tracking issue for people filtering the issue list. It is
// reconciled like the phase labels and never trusted: the bot finds its issues by what it
// wrote itself (see ListTracking).
const TrackingLabel = "shepherd"

// Issue is the part of a GitHub issue the bot works with.
type Issue struct {
	Number int
	Title  string
	Body   string
	URL    string
	Labels []string
	// Author is user.login of whoever opened the issue.
	Author string
	// State is "open" or "closed".
	State  string
	IsPull bool
	// Version is the release the bot tracks on the issue, from the marker it wrote.
	Version string
	// Status is the bot's own status comment on an issue a person opened (named by a
	// manifest's issue:): the bot's section lives there, never in a person's body.
	// Nil on an issue the bot opened, whose body holds the section.
	Status *Comment
	// comments is how many comments the issue has.
	comments int
}

// StatusText is the text that holds the bot's section: its status comment on an issue a
// person opened, the body of an issue the bot opened.
func (i *Issue) StatusText() string {
	if i.Status != nil {
		return i.Status.Body
	}
	return i.Body
}

func fromGH(i *gh.Issue) *Issue {
	out := &Issue{Number: i.GetNumber(), Title: i.GetTitle(), Body: i.GetBody(), URL: i.GetHTMLURL(),
		Author: i.GetUser().GetLogin(), State: i.GetState(), IsPull: i.IsPullRequest(), comments: i.GetComments()}
	for _, l := range i.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	sort.Strings(out.Labels)
	return out
}

func releaseMarker(version string) string { return Marker("release", version) }
func statusMarker(version string) string  { return Marker("status", version) }

// markerVersion is the id of the first marker of kind in text, "" when there is none.
func markerVersion(text, kind string) string {
	prefix := "<!-- shepherd:" + kind + " "
	i := strings.Index(text, prefix)
	if i < 0 {
		return ""
	}
	rest := text[i+len(prefix):]
	j := strings.Index(rest, " -->")
	if j <= 0 || j > 64 || strings.ContainsAny(rest[:j], " \n<>") {
		return ""
	}
	return rest[:j]
}

// ListTracking lists every tracking issue, open or closed, each with the version the bot
// tracks on it. Only what the bot wrote counts: an issue the bot opened whose body
// carries its release marker, or an issue carrying the tracking label on which the bot
// keeps its status comment. So a person who closes the issue or removes its label
// neither hides the release nor makes a second tracking issue, and a person who adds
// the label or a marker to an issue makes it nothing. A closed issue of a finished
// release costs nothing more than its line in the listing.
func (c *Client) ListTracking(ctx context.Context) ([]*Issue, error) {
	me, err := c.Login(ctx)
	if err != nil {
		return nil, err
	}
	mine, err := c.listIssues(ctx, &gh.IssueListByRepoOptions{State: "all", Creator: me})
	if err != nil {
		return nil, err
	}
	labelled, err := c.listIssues(ctx, &gh.IssueListByRepoOptions{State: "all", Labels: []string{TrackingLabel}})
	if err != nil {
		return nil, err
	}
	seen := map[int]bool{}
	var out []*Issue
	for _, i := range append(mine, labelled...) {
		if seen[i.Number] || i.IsPull {
			continue
		}
		seen[i.Number] = true
		if strings.EqualFold(i.Author, me) {
			if i.Version = markerVersion(i.Body, "release"); i.Version != "" {
				out = append(out, i)
			}
			continue
		}
		if i.comments == 0 {
			continue // no status comment of the bot's, and no request to find that out
		}
		status, err := c.statusComment(ctx, i.Number, "")
		if err != nil {
			return nil, err
		}
		if status != nil {
			i.Status, i.Version = status, markerVersion(status.Body, "status")
			out = append(out, i)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Number < out[b].Number })
	return out, nil
}

func (c *Client) listIssues(ctx context.Context, opts *gh.IssueListByRepoOptions) ([]*Issue, error) {
	opts.Sort, opts.Direction, opts.ListOptions = "created", "asc", gh.ListOptions{PerPage: 100}
	var out []*Issue
	for {
		var page []*gh.Issue
		var resp *gh.Response
		err := c.call(ctx, "list tracking issues", func() (*gh.Response, error) {
			var err error
			page, resp, err = c.gh.Issues.ListByRepo(ctx, c.owner, c.repo, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, i := range page {
			out = append(out, fromGH(i))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// statusComment is the bot's own status comment on an issue, for version ("" for any).
func (c *Client) statusComment(ctx context.Context, number int, version string) (*Comment, error) {
	marker := "<!-- shepherd:status "
	if version != "" {
		marker = statusMarker(version)
	}
	return c.findComment(ctx, number, marker)
}

// FindIssue looks for the tracking issue of a release by the marker the bot wrote.
// Several (two runs raced) resolve to the lowest number, so every run converges on the
// same one.
func (c *Client) FindIssue(ctx context.Context, version string) (*Issue, error) {
	all, err := c.ListTracking(ctx)
	if err != nil {
		return nil, err
	}
	for _, i := range all {
		if i.Version == version {
			return i, nil
		}
	}
	return nil, nil
}

// GetIssue reads one issue by number.
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

// CheckNamedIssue says whether issue number can track release version: it must be an
// issue (not a pull request) and not the tracking issue of another release. It returns
// the issue, with the bot's status comment for version when there is one.
func (c *Client) CheckNamedIssue(ctx context.Context, number int, version string) (*Issue, error) {
	i, err := c.GetIssue(ctx, number)
	if err != nil {
		return nil, err
	}
	if i.IsPull {
		return nil, fmt.Errorf("#%d is a pull request, not an issue", number)
	}
	mine, err := c.wroteIt(ctx, i.Author)
	if err != nil {
		return nil, err
	}
	if mine {
		if v := markerVersion(i.Body, "release"); v != "" && v != version {
			return nil, fmt.Errorf("#%d is the tracking issue of release %s", number, v)
		}
		i.Version = version
		return i, nil
	}
	status, err := c.statusComment(ctx, number, "")
	if err != nil {
		return nil, err
	}
	if status != nil {
		if v := markerVersion(status.Body, "status"); v != version {
			return nil, fmt.Errorf("#%d is the tracking issue of release %s", number, v)
		}
		i.Status = status
	}
	i.Version = version
	return i, nil
}

// EnsureIssue returns the release's tracking issue, creating it when there is none.
// When number is set (the manifest names an issue), that issue is adopted: the bot
// keeps its status in a comment of its own there (or, on an issue it opened itself, in
// the body), and never writes into the body of a person's issue.
func (c *Client) EnsureIssue(ctx context.Context, version, title string, number int) (*Issue, bool, error) {
	if number > 0 {
		i, err := c.CheckNamedIssue(ctx, number, version)
		if err != nil {
			return nil, false, err
		}
		mine, err := c.wroteIt(ctx, i.Author)
		if err != nil {
			return nil, false, err
		}
		switch {
		case i.Status != nil:
		case mine:
			if markerVersion(i.Body, "release") == "" {
				body := strings.TrimRight(i.Body, "\n") + "\n\n" + releaseMarker(version)
				if err := c.EditIssueBody(ctx, i.Number, body); err != nil {
					return nil, false, err
				}
				i.Body = body
			}
		default:
			cm, err := c.createComment(ctx, i.Number, fmt.Sprintf("Shepherd tracks release %s here.\n\n%s", version, statusMarker(version)))
			if err != nil {
				return nil, false, err
			}
			i.Status = cm
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
	out := fromGH(created)
	out.Version = version
	return out, true, nil
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
	err := c.call(ctx, "label tracking issue", func() (*gh.Response, error) {
		_, resp, err := c.gh.Issues.AddLabelsToIssue(ctx, c.owner, c.repo, i.Number, []string{TrackingLabel})
		return resp, err
	})
	if err == nil {
		i.Labels = append(i.Labels, TrackingLabel)
		sort.Strings(i.Labels)
	}
	return err
}

// EditIssueBody replaces an issue's body.
func (c *Client) EditIssueBody(ctx context.Context, number int, body string) error {
	return c.call(ctx, fmt.Sprintf("update issue #%d", number), func() (*gh.Response, error) {
		_, resp, err := c.gh.Issues.Edit(ctx, c.owner, c.repo, number, &gh.IssueRequest{Body: gh.String(body)})
		return resp, err
	})
}

// ReopenIssue opens a closed issue again.
func (c *Client) ReopenIssue(ctx context.Context, number int) error {
	return c.call(ctx, fmt.Sprintf("reopen issue #%d", number), func() (*gh.Response, error) {
		_, resp, err := c.gh.Issues.Edit(ctx, c.owner, c.repo, number, &gh.IssueRequest{State: gh.String("open")})
		return resp, err
	})
}
