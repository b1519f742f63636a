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
	ID     int64
	Path   string // ".github/workflows/shepherd-janitor.yml"
	URL    string
	Status string // one of UnfinishedRunStatuses
}

// UnfinishedRunStatuses are the statuses of a workflow run that has not finished: every
// value of the "status" filter of GET /repos/{owner}/{repo}/actions/runs that is a status
// rather than a conclusion, except "completed". A run waiting for a concurrency group or
// an environment's approval is "waiting" or "pending" (only GitHub Actions sets those and
// "requested"), one not yet picked up by a runner "queued". Source: @octokit/openapi
// 23.0.2, generated/api.github.com.json, components.parameters["workflow-run-status"]
// (https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-repository).
// "action_required" is a conclusion: such a run completed and waits for nobody.
var UnfinishedRunStatuses = []string{"in_progress", "queued", "requested", "waiting", "pending"}

// RunsUnfinished lists the runs of the workflow files named (base names, like
// "shepherd-janitor.yml") that have not finished, whatever unfinished status they have.
// GitHub filters runs on one status at a time, so each status is asked for; a run seen
// twice (it moved from queued to in_progress between two questions) is listed once.
func (c *Client) RunsUnfinished(ctx context.Context, files []string) ([]WorkflowRun, error) {
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
	var out []WorkflowRun
	seen := map[int64]bool{}
	for _, status := range UnfinishedRunStatuses {
		opts := &gh.ListWorkflowRunsOptions{Status: status, ListOptions: gh.ListOptions{PerPage: 100}}
		for {
			var runs *gh.WorkflowRuns
			var resp *gh.Response
			err := c.call(ctx, "list workflow runs "+status, func() (*gh.Response, error) {
				var err error
				runs, resp, err = c.gh.Actions.ListRepositoryWorkflowRuns(ctx, c.owner, c.repo, opts)
				return resp, err
			})
			if err != nil {
				return nil, err
			}
			for _, r := range runs.WorkflowRuns {
				if p, ok := paths[r.GetWorkflowID()]; ok && !seen[r.GetID()] {
					seen[r.GetID()] = true
					out = append(out, WorkflowRun{ID: r.GetID(), Path: p, URL: r.GetHTMLURL(), Status: r.GetStatus()})
				}
			}
			if resp.NextPage == 0 {
				break
			}
			opts.Page = resp.NextPage
		}
	}
	return out, nil
}

// WaitIdle waits until no run of the named workflow files is unfinished (in progress,
// queued, requested, waiting or pending) except the run with id self (the one waiting),
// asking every interval, for at most timeout. It fails naming the runs still unfinished,
// each with its status, when the time is up.
func (c *Client) WaitIdle(ctx context.Context, files []string, self int64, interval, timeout time.Duration) error {
	deadline := c.opts.Now().Add(timeout)
	for {
		runs, err := c.RunsUnfinished(ctx, files)
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
				names = append(names, fmt.Sprintf("%s (%s) %s", path.Base(r.Path), r.Status, r.URL))
			}
			return fmt.Errorf("after %s, %d Shepherd workflow run(s) have not finished: %s; wait for them to finish (or cancel them) and run again",
				timeout, len(runs), strings.Join(names, ", "))
		}
		if err := c.opts.Sleep(ctx, interval); err != nil {
			return err
		}
	}
}

// DispatchWorkflow starts a run of the workflow file (a base name, like
// "shepherd-site.yml") on ref, a branch or tag, as its "Run workflow" button does
// (https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event; an App
// or the workflow's GITHUB_TOKEN needs the "actions" write permission). Unlike most events
// the workflow's own GITHUB_TOKEN causes, this one does start a run
// (https://docs.github.com/actions/how-tos/write-workflows/choose-when-workflows-run/trigger-a-workflow#triggering-a-workflow-from-a-workflow).
// A file GitHub does not know fails with ErrNotFound; a disabled workflow, one without
// the workflow_dispatch trigger, or a ref that does not exist with ErrInvalid (422).
func (c *Client) DispatchWorkflow(ctx context.Context, file, ref string) error {
	return c.call(ctx, "start workflow "+file+" on "+ref, func() (*gh.Response, error) {
		return c.gh.Actions.CreateWorkflowDispatchEventByFileName(ctx, c.owner, c.repo, file, gh.CreateWorkflowDispatchEventRequest{Ref: ref})
	})
}
