package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v62/github"
)

// CanWrite reports whether login may push to the repository: its permission is admin or
// write. GitHub answers "write" for the maintain role too, and "read" for triage.
// https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user
func (c *Client) CanWrite(ctx context.Context, login string) (permission string, ok bool, err error) {
	var level *gh.RepositoryPermissionLevel
	err = c.call(ctx, "read the permission of "+login, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		level, resp, err = c.gh.Repositories.GetPermissionLevel(ctx, c.owner, c.repo, login)
		return resp, err
	})
	if err != nil {
		return "", false, err
	}
	permission = level.GetPermission()
	return permission, permission == "admin" || permission == "write", nil
}

// ReactToComment adds a reaction ("+1", "eyes", "rocket", …) to an issue or PR comment.
// GitHub answers 200 with the existing reaction when the bot already gave this one, so
// a repeat adds nothing.
// https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment
func (c *Client) ReactToComment(ctx context.Context, commentID int64, content string) error {
	return c.call(ctx, fmt.Sprintf("react to comment %d", commentID), func() (*gh.Response, error) {
		_, resp, err := c.gh.Reactions.CreateIssueCommentReaction(ctx, c.owner, c.repo, commentID, content)
		return resp, err
	})
}

// FindMarked finds the bot's own comment on number carrying the marker of kind and id;
// nil when there is none. Comments by anyone else are passed over whatever they carry.
func (c *Client) FindMarked(ctx context.Context, number int, kind, id string) (*Comment, error) {
	return c.findComment(ctx, number, Marker(kind, id))
}

// PostMarked comments on number with the marker of kind and id, unless the bot's own
// comment with that marker is there already (then it is returned and created is false).
func (c *Client) PostMarked(ctx context.Context, number int, kind, id, body string) (cm *Comment, created bool, err error) {
	marker := Marker(kind, id)
	if found, err := c.findComment(ctx, number, marker); err != nil || found != nil {
		return found, false, err
	}
	cm, err = c.createComment(ctx, number, fitComment(body, marker))
	return cm, err == nil, err
}

// Owner is the login of the repository's owner: the organization whose teams count.
func (c *Client) Owner() string { return c.owner }

// TeamMembership reports login's membership of the team org/slug: "active", "pending"
// (invited, not accepted), or "" when login is not a member. GitHub also answers 404 when
// the token may not see the team, so "" means "not shown to be a member". Reading it needs
// the organization permission members:read (read:org for a personal token); a token
// without it gets a 403, returned as an error matching ErrPermission.
// https://docs.github.com/rest/teams/members#get-team-membership-for-a-user
func (c *Client) TeamMembership(ctx context.Context, org, slug, login string) (string, error) {
	var m *gh.Membership
	err := c.call(ctx, fmt.Sprintf("read the membership of %s in team %s/%s", login, org, slug), func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		m, resp, err = c.gh.Teams.GetTeamMembershipBySlug(ctx, org, slug, login)
		return resp, err
	})
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return m.GetState(), nil
}
