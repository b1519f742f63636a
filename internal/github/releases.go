package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v62/github"
)

// EnsureTag creates the lightweight tag refs/tags/<tag> at sha unless it exists.
// A tag that exists at another commit is an error: the bot never moves a release tag.
func (c *Client) EnsureTag(ctx context.Context, tag, sha string) (bool, error) {
	var ref *gh.Reference
	err := c.call(ctx, "read tag "+tag, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		ref, resp, err = c.gh.Git.GetRef(ctx, c.owner, c.repo, "tags/"+tag)
		return resp, err
	})
	switch {
	case err == nil:
		if got := ref.GetObject().GetSHA(); got != sha {
			return false, fmt.Errorf("tag %s already points at %s, not %s: refusing to move a release tag", tag, got, sha)
		}
		return false, nil
	case !isNotFound(err):
		return false, err
	}
	err = c.call(ctx, "create tag "+tag, func() (*gh.Response, error) {
		_, resp, err := c.gh.Git.CreateRef(ctx, c.owner, c.repo, &gh.Reference{
			Ref: gh.String("refs/tags/" + tag), Object: &gh.GitObject{SHA: gh.String(sha)},
		})
		return resp, err
	})
	if isAlreadyExists(err) {
		return false, nil
	}
	return err == nil, err
}

// maxReleaseNotes is GitHub's limit for a release body.
const maxReleaseNotes = 125000

// Release is a published GitHub Release.
type Release struct {
	ID  int64
	URL string
}

// EnsureRelease creates the GitHub Release for tag, or updates its notes when they
// changed (links re-issued), and makes no write when they are the same.
func (c *Client) EnsureRelease(ctx context.Context, tag, name, notes string) (*Release, bool, error) {
	return c.ensureRelease(ctx, tag, name, notes, false)
}

// WithdrawRelease gives the GitHub Release for tag the name and notes of a withdrawn
// release and marks it a pre-release, which GitHub never shows as the latest release
// ("the most recent non-prerelease, non-draft release": docs.github.com REST, Get the
// latest release). It writes nothing when the release already says so, and reports
// ErrNotFound when there is no release for tag.
func (c *Client) WithdrawRelease(ctx context.Context, tag, name, notes string) (*Release, bool, error) {
	return c.ensureRelease(ctx, tag, name, notes, true)
}

func (c *Client) ensureRelease(ctx context.Context, tag, name, notes string, withdraw bool) (*Release, bool, error) {
	notes = truncateUTF8(notes, maxReleaseNotes)
	var rel *gh.RepositoryRelease
	err := c.call(ctx, "read release "+tag, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		rel, resp, err = c.gh.Repositories.GetReleaseByTag(ctx, c.owner, c.repo, tag)
		return resp, err
	})
	switch {
	case err == nil:
		if rel.GetBody() == notes && rel.GetName() == name && (!withdraw || rel.GetPrerelease()) {
			return &Release{ID: rel.GetID(), URL: rel.GetHTMLURL()}, false, nil
		}
		edit := &gh.RepositoryRelease{Name: gh.String(name), Body: gh.String(notes)}
		if withdraw {
			edit.Prerelease = gh.Bool(true)
		}
		err = c.call(ctx, "update release "+tag, func() (*gh.Response, error) {
			var resp *gh.Response
			var err error
			rel, resp, err = c.gh.Repositories.EditRelease(ctx, c.owner, c.repo, rel.GetID(), edit)
			return resp, err
		})
		if err != nil {
			return nil, false, err
		}
		return &Release{ID: rel.GetID(), URL: rel.GetHTMLURL()}, true, nil
	case !isNotFound(err):
		return nil, false, err
	case withdraw:
		return nil, false, ErrNotFound
	}
	err = c.call(ctx, "create release "+tag, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		rel, resp, err = c.gh.Repositories.CreateRelease(ctx, c.owner, c.repo, &gh.RepositoryRelease{
			TagName: gh.String(tag), Name: gh.String(name), Body: gh.String(notes),
		})
		return resp, err
	})
	if err != nil {
		return nil, false, err
	}
	return &Release{ID: rel.GetID(), URL: rel.GetHTMLURL()}, true, nil
}
