package github

import (
	"context"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// MaxCommentChars is GitHub's limit for an issue or PR comment body.
const MaxCommentChars = 65536

// Comment is a comment the bot found or wrote.
type Comment struct {
	ID   int64
	Body string
	URL  string
	// Author is user.login of whoever wrote it.
	Author string
}

func fromGHComment(cm *gh.IssueComment) *Comment {
	return &Comment{ID: cm.GetID(), Body: cm.GetBody(), URL: cm.GetHTMLURL(), Author: cm.GetUser().GetLogin()}
}

// findComment looks for the bot's own comment carrying the marker, oldest first. A
// comment anyone else wrote is passed over whatever it carries: anyone can comment, and
// a marker copied into a person's comment must not stand for the bot's.
func (c *Client) findComment(ctx context.Context, number int, marker string) (*Comment, error) {
	me, err := c.Login(ctx)
	if err != nil {
		return nil, err
	}
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		var page []*gh.IssueComment
		var resp *gh.Response
		err := c.call(ctx, fmt.Sprintf("list comments of #%d", number), func() (*gh.Response, error) {
			var err error
			page, resp, err = c.gh.Issues.ListComments(ctx, c.owner, c.repo, number, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, cm := range page {
			if strings.Contains(cm.GetBody(), marker) && strings.EqualFold(cm.GetUser().GetLogin(), me) {
				return fromGHComment(cm), nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// PostMilestone posts a milestone comment at most once per release and key. known is
// the comment id the caller's state already records (0 if none): then nothing is asked.
// Otherwise the comments are searched for the marker first, so a run that crashed
// between posting and recording its state does not post twice.
func (c *Client) PostMilestone(ctx context.Context, number int, version, key, body string, known int64) (int64, bool, error) {
	if known != 0 {
		return known, false, nil
	}
	marker := Marker("milestone", version+"/"+key)
	if found, err := c.findComment(ctx, number, marker); err != nil || found != nil {
		if found != nil {
			return found.ID, false, nil
		}
		return 0, false, err
	}
	cm, err := c.createComment(ctx, number, fitComment(body, marker))
	if err != nil {
		return 0, false, err
	}
	return cm.ID, true, nil
}

func (c *Client) createComment(ctx context.Context, number int, body string) (*Comment, error) {
	var cm *gh.IssueComment
	err := c.call(ctx, fmt.Sprintf("comment on #%d", number), func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		cm, resp, err = c.gh.Issues.CreateComment(ctx, c.owner, c.repo, number, &gh.IssueComment{Body: gh.String(body)})
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	return fromGHComment(cm), nil
}

func (c *Client) getComment(ctx context.Context, id int64) (*Comment, error) {
	var cm *gh.IssueComment
	err := c.call(ctx, fmt.Sprintf("read comment %d", id), func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		cm, resp, err = c.gh.Issues.GetComment(ctx, c.owner, c.repo, id)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	return fromGHComment(cm), nil
}

func (c *Client) editComment(ctx context.Context, id int64, body string) error {
	return c.call(ctx, fmt.Sprintf("edit comment %d", id), func() (*gh.Response, error) {
		_, resp, err := c.gh.Issues.EditComment(ctx, c.owner, c.repo, id, &gh.IssueComment{Body: gh.String(body)})
		return resp, err
	})
}

// UpsertComment keeps one comment with the marker up to date (the PR preview): it is
// created once, then edited in place, and not touched when its text is unchanged.
func (c *Client) UpsertComment(ctx context.Context, number int, kind, id, body string) (*Comment, bool, error) {
	marker := Marker(kind, id)
	full := fitComment(body, marker)
	found, err := c.findComment(ctx, number, marker)
	if err != nil {
		return nil, false, err
	}
	if found != nil {
		if found.Body == full {
			return found, false, nil
		}
		err := c.editComment(ctx, found.ID, full)
		found.Body = full
		return found, err == nil, err
	}
	cm, err := c.createComment(ctx, number, full)
	if err != nil {
		return nil, false, err
	}
	return cm, true, nil
}

// fitComment appends the marker and cuts the body to GitHub's limit, saying so.
func fitComment(body, marker string) string {
	const cut = "\n\n…(cut to fit GitHub's comment limit)"
	room := MaxCommentChars - len(marker) - 2
	if len(body) > room {
		body = truncateUTF8(body, room-len(cut)) + cut
	}
	return body + "\n\n" + marker
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
