package github

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// WorkflowRun is a run of one of the repository's workflows.
type WorkflowRun struct {
	ID   int64
	Path string // ".github/workflows/shepherd-janitor.yml"
	URL  string
}

// RunsInProgress lists the runs in progress of the workflow files named (base names, like
// "shepherd-janitor.yml"). A run names its workflow by id, so the workflows are read first.
func (c *Client) RunsInProgress(ctx context.Context, files []string) ([]WorkflowRun, error) {
	workflows, err := c.Workflows(ctx)
	if err != nil {
		return nil, err
	}
	paths := map[int64]string{}
	for _, wf := range workflows {
		if slices.Contains(files, path.Base(wf.Path)) {
			paths[wf.ID] = wf.Path
		}
	}
	opts := &gh.ListWorkflowRunsOptions{Status: "in_progress", ListOptions: gh.ListOptions{PerPage: 100}}
	var out []WorkflowRun
	for {
		var runs *gh.WorkflowRuns
		var resp *gh.Response
		err := c.call(ctx, "list workflow runs in progress", func() (*gh.Response, error) {
			var err error
			runs, resp, err = c.gh.Actions.ListRepositoryWorkflowRuns(ctx, c.owner, c.repo, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, r := range runs.WorkflowRuns {
			if p, ok := paths[r.GetWorkflowID()]; ok {
				out = append(out, WorkflowRun{ID: r.GetID(), Path: p, URL: r.GetHTMLURL()})
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// WaitIdle waits until no run of the named workflow files is in progress except the run
// with id self (the one waiting), asking every interval, for at most timeout. It fails
// naming the runs still going when the time is up.
func (c *Client) WaitIdle(ctx context.Context, files []string, self int64, interval, timeout time.Duration) error {
	deadline := c.opts.Now().Add(timeout)
	for {
		runs, err := c.RunsInProgress(ctx, files)
		if err != nil {
			return err
		}
		runs = slices.DeleteFunc(runs, func(r WorkflowRun) bool { return r.ID == self })
		if len(runs) == 0 {
			return nil
		}
		if !c.opts.Now().Before(deadline) {
			var names []string
			for _, r := range runs {
				names = append(names, path.Base(r.Path)+" "+r.URL)
			}
			return fmt.Errorf("after %s, %d Shepherd workflow run(s) are still in progress: %s; wait for them to finish (or cancel them) and run again",
				timeout, len(runs), strings.Join(names, ", "))
		}
		if err := c.opts.Sleep(ctx, interval); err != nil {
			return err
		}
	}
}
