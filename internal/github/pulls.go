package github

import (
	"context"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// PullRequest is the part of a PR the bot works with.
type PullRequest struct {
	Number  int
	URL     string
	Title   string
	HeadSHA string
	Head    string
	// Base is the branch the PR merges into.
	Base   string
	Open   bool
	Draft  bool
	Merged bool
	// MergeCommitSHA is the commit the merge made on Base (merge, squash or the last
	// rebased commit), once Merged.
	MergeCommitSHA string
	Labels         []string
	// Author is the login of the person who opened the PR.
	Author string
	// RequestedReviewers are the logins whose review is still asked for, and
	// RequestedTeams the teams, as "org/team-slug" (GitHub asks only teams of the
	// repository's owner): GitHub's "requested_reviewers" and "requested_teams". A
	// reviewer who has reviewed is no longer requested.
	RequestedReviewers []string
	RequestedTeams     []string
}

// DefaultBranch names the repository's default branch and its head commit.
func (c *Client) DefaultBranch(ctx context.Context) (name, sha string, err error) {
	var repo *gh.Repository
	err = c.call(ctx, "read repository", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		repo, resp, err = c.gh.Repositories.Get(ctx, c.owner, c.repo)
		return resp, err
	})
	if err != nil {
		return "", "", err
	}
	name = repo.GetDefaultBranch()
	var ref *gh.Reference
	err = c.call(ctx, "read branch "+name, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		ref, resp, err = c.gh.Git.GetRef(ctx, c.owner, c.repo, "heads/"+name)
		return resp, err
	})
	if err != nil {
		return "", "", err
	}
	return name, ref.GetObject().GetSHA(), nil
}

// EnsureBranch creates branch at sha unless it exists.
func (c *Client) EnsureBranch(ctx context.Context, branch, sha string) error {
	err := c.call(ctx, "read branch "+branch, func() (*gh.Response, error) {
		_, resp, err := c.gh.Git.GetRef(ctx, c.owner, c.repo, "heads/"+branch)
		return resp, err
	})
	if err == nil || !isNotFound(err) {
		return err
	}
	err = c.call(ctx, "create branch "+branch, func() (*gh.Response, error) {
		_, resp, err := c.gh.Git.CreateRef(ctx, c.owner, c.repo, &gh.Reference{
			Ref: gh.String("refs/heads/" + branch), Object: &gh.GitObject{SHA: gh.String(sha)},
		})
		return resp, err
	})
	if isAlreadyExists(err) {
		return nil
	}
	return err
}

// EnsureFile makes path on branch hold content, committing only when it differs.
func (c *Client) EnsureFile(ctx context.Context, branch, path, content, message string) (bool, error) {
	var existing *gh.RepositoryContent
	err := c.call(ctx, "read "+path, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		existing, _, resp, err = c.gh.Repositories.GetContents(ctx, c.owner, c.repo, path, &gh.RepositoryContentGetOptions{Ref: branch})
		return resp, err
	})
	opts := &gh.RepositoryContentFileOptions{Message: gh.String(message), Content: []byte(content), Branch: gh.String(branch)}
	switch {
	case err == nil:
		old, derr := existing.GetContent()
		if derr == nil && old == content {
			return false, nil
		}
		opts.SHA = gh.String(existing.GetSHA())
	case !isNotFound(err):
		return false, err
	}
	err = c.call(ctx, "commit "+path, func() (*gh.Response, error) {
		_, resp, err := c.gh.Repositories.CreateFile(ctx, c.owner, c.repo, path, opts)
		return resp, err
	})
	return err == nil, err
}

// EnsurePullRequest opens a PR from head to base unless an open one exists for head.
func (c *Client) EnsurePullRequest(ctx context.Context, head, base, title, body string) (*PullRequest, bool, error) {
	return c.ensurePull(ctx, NewPull{Head: head, Base: base, Title: title, Body: body})
}

func (c *Client) ensurePull(ctx context.Context, p NewPull) (*PullRequest, bool, error) {
	head, base, title, body := p.Head, p.Base, p.Title, p.Body
	var open []*gh.PullRequest
	err := c.call(ctx, "list pull requests", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		open, resp, err = c.gh.PullRequests.List(ctx, c.owner, c.repo, &gh.PullRequestListOptions{
			State: "open", Head: c.owner + ":" + head, ListOptions: gh.ListOptions{PerPage: 100},
		})
		return resp, err
	})
	if err != nil {
		return nil, false, err
	}
	for _, pr := range open {
		if pr.GetHead().GetRef() == head {
			return fromPR(pr), false, nil
		}
	}
	var pr *gh.PullRequest
	err = c.call(ctx, "open pull request", func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		pr, resp, err = c.gh.PullRequests.Create(ctx, c.owner, c.repo, &gh.NewPullRequest{
			Title: gh.String(title), Head: gh.String(head), Base: gh.String(base), Body: gh.String(body), Draft: gh.Bool(p.Draft),
		})
		return resp, err
	})
	if err != nil {
		return nil, false, err
	}
	return fromPR(pr), true, nil
}

// GetPullRequest reads one PR.
func (c *Client) GetPullRequest(ctx context.Context, number int) (*PullRequest, error) {
	var pr *gh.PullRequest
	err := c.call(ctx, fmt.Sprintf("read pull request #%d", number), func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		pr, resp, err = c.gh.PullRequests.Get(ctx, c.owner, c.repo, number)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	return fromPR(pr), nil
}

// ChangedFiles lists the paths a PR adds or modifies (removed files left out).
func (c *Client) ChangedFiles(ctx context.Context, number int) ([]string, error) {
	opts := &gh.ListOptions{PerPage: 100}
	var out []string
	for {
		var page []*gh.CommitFile
		var resp *gh.Response
		err := c.call(ctx, fmt.Sprintf("list files of #%d", number), func() (*gh.Response, error) {
			var err error
			page, resp, err = c.gh.PullRequests.ListFiles(ctx, c.owner, c.repo, number, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, f := range page {
			if f.GetStatus() != "removed" {
				out = append(out, f.GetFilename())
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// FileAt reads a file's content at a ref.
func (c *Client) FileAt(ctx context.Context, path, ref string) (string, error) {
	var fc *gh.RepositoryContent
	err := c.call(ctx, "read "+path, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		fc, _, resp, err = c.gh.Repositories.GetContents(ctx, c.owner, c.repo, path, &gh.RepositoryContentGetOptions{Ref: ref})
		return resp, err
	})
	if err != nil {
		return "", err
	}
	return fc.GetContent()
}

// MergePullRequest merges a PR (used by the demo in place of a person's click).
func (c *Client) MergePullRequest(ctx context.Context, number int, message string) (string, error) {
	var res *gh.PullRequestMergeResult
	err := c.call(ctx, fmt.Sprintf("merge #%d", number), func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		res, resp, err = c.gh.PullRequests.Merge(ctx, c.owner, c.repo, number, message, &gh.PullRequestOptions{MergeMethod: "merge"})
		return resp, err
	})
	if err != nil {
		return "", err
	}
	return res.GetSHA(), nil
}

func fromPR(pr *gh.PullRequest) *PullRequest {
	out := &PullRequest{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Title: pr.GetTitle(), HeadSHA: pr.GetHead().GetSHA(),
		Head: strings.TrimPrefix(pr.GetHead().GetRef(), "refs/heads/"), Base: pr.GetBase().GetRef(),
		Open: pr.GetState() == "open", Draft: pr.GetDraft(), Merged: pr.GetMerged(), MergeCommitSHA: pr.GetMergeCommitSHA(),
		Author: pr.GetUser().GetLogin()}
	for _, l := range pr.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	for _, u := range pr.RequestedReviewers {
		out.RequestedReviewers = append(out.RequestedReviewers, u.GetLogin())
	}
	for _, t := range pr.RequestedTeams {
		out.RequestedTeams = append(out.RequestedTeams, pr.GetBase().GetRepo().GetOwner().GetLogin()+"/"+t.GetSlug())
	}
	return out
}

// OpenPullRequests lists the open PRs into base, oldest first.
func (c *Client) OpenPullRequests(ctx context.Context, base string) ([]*PullRequest, error) {
	opts := &gh.PullRequestListOptions{State: "open", Base: base, Sort: "created", Direction: "asc", ListOptions: gh.ListOptions{PerPage: 100}}
	var out []*PullRequest
	for {
		var page []*gh.PullRequest
		var resp *gh.Response
		err := c.call(ctx, "list open pull requests into "+base, func() (*gh.Response, error) {
			var err error
			page, resp, err = c.gh.PullRequests.List(ctx, c.owner, c.repo, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, pr := range page {
			out = append(out, fromPR(pr))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// NewPull is a pull request to open.
type NewPull struct {
	Head, Base, Title, Body string
	// Draft opens it as a draft: it cannot be merged until someone marks it ready.
	Draft bool
}

// EnsurePull opens the PR unless an open one exists for its head; created says which.
func (c *Client) EnsurePull(ctx context.Context, p NewPull) (pr *PullRequest, created bool, err error) {
	return c.ensurePull(ctx, p)
}

// BranchExists reports whether the repository has the branch.
func (c *Client) BranchExists(ctx context.Context, branch string) (bool, error) {
	err := c.call(ctx, "read branch "+branch, func() (*gh.Response, error) {
		_, resp, err := c.gh.Git.GetRef(ctx, c.owner, c.repo, "heads/"+branch)
		return resp, err
	})
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
