package github

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

// WaitIdle returns once the other Shepherd runs have finished, ignoring its own run and
// other workflows, and gives up after its timeout naming the runs still going.
func TestWaitIdleWaitsForOtherShepherdRunsOnly(t *testing.T) {
	srv := githubtest.NewServer(githubtest.WithToken("tok", "shepherd-bot"))
	t.Cleanup(srv.Close)
	srv.AddRepo(owner, repo, "main")
	for _, f := range []string{"shepherd-janitor.yml", "shepherd-maintenance-update.yml", "ci.yml"} {
		srv.AddWorkflow(owner, repo, ".github/workflows/"+f, f, githubtest.WorkflowActive)
	}
	janitor := srv.AddWorkflowRun(owner, repo, ".github/workflows/shepherd-janitor.yml", "in_progress")
	self := srv.AddWorkflowRun(owner, repo, ".github/workflows/shepherd-maintenance-update.yml", "in_progress")
	srv.AddWorkflowRun(owner, repo, ".github/workflows/ci.yml", "in_progress")
	srv.AddWorkflowRun(owner, repo, ".github/workflows/shepherd-janitor.yml", "completed")

	sleeps := 0
	c := sleepingClient(t, srv, func() {
		if sleeps++; sleeps == 3 {
			srv.SetWorkflowRunStatus(owner, repo, janitor, "completed")
		}
	})
	files := []string{"shepherd-janitor.yml", "shepherd-maintenance-update.yml"}
	ctx := context.Background()

	err := c.WaitIdle(ctx, files, self, time.Minute, time.Minute)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "after 1m0s, 1 Shepherd workflow run(s) have not finished: shepherd-janitor.yml (in_progress)")

	require.NoError(t, c.WaitIdle(ctx, files, self, time.Minute, time.Hour))
	assert.Equal(t, 3, sleeps, "returned once the janitor finished; ci.yml and its own run do not count")
}

// A run that has not started yet still runs the old version once it does: queued,
// requested, waiting (a concurrency group, an environment) and pending runs are waited
// for like one in progress, and each is named with its status.
func TestWaitIdleCountsEveryUnfinishedStatus(t *testing.T) {
	for _, status := range UnfinishedRunStatuses {
		t.Run(status, func(t *testing.T) {
			srv := githubtest.NewServer(githubtest.WithToken("tok", "shepherd-bot"))
			t.Cleanup(srv.Close)
			srv.AddRepo(owner, repo, "main")
			srv.AddWorkflow(owner, repo, ".github/workflows/shepherd-export-poll.yml", "poll", githubtest.WorkflowActive)
			run := srv.AddWorkflowRun(owner, repo, ".github/workflows/shepherd-export-poll.yml", status)
			sleeps := 0
			c := sleepingClient(t, srv, func() {
				sleeps++
				srv.SetWorkflowRunStatus(owner, repo, run, "completed")
			})
			files := []string{"shepherd-export-poll.yml"}
			err := c.WaitIdle(context.Background(), files, 0, time.Minute, 0)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "shepherd-export-poll.yml ("+status+")")
			require.NoError(t, c.WaitIdle(context.Background(), files, 0, time.Minute, time.Hour))
			assert.Equal(t, 1, sleeps, "waited until the run completed")
		})
	}
}

// sleepingClient is a client of srv on a simulated clock: each sleep moves the clock on
// and then calls slept, where a test changes what GitHub shows.
func sleepingClient(t *testing.T, srv *githubtest.Server, slept func()) *Client {
	t.Helper()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	c, err := New(context.Background(), owner, repo, Options{
		BaseURL: srv.URL(), Auth: Auth{Token: "tok"},
		Now: func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error {
			now = now.Add(d)
			slept()
			return nil
		},
	})
	require.NoError(t, err)
	return c
}

// DispatchWorkflow starts one run on the ref; GitHub's refusals come back as the errors a
// caller can tell apart: no such workflow, one GitHub will not start, a token without the
// actions write permission (whose hint names it).
func TestDispatchWorkflow(t *testing.T) {
	srv := githubtest.NewServer(githubtest.WithToken("tok", "shepherd-bot"),
		githubtest.WithTokenPermissions("ghs_nope", "github-actions[bot]", githubtest.Permissions{"contents": "write"}))
	t.Cleanup(srv.Close)
	srv.AddRepo(owner, repo, "main")
	srv.AddWorkflow(owner, repo, ".github/workflows/shepherd-site.yml", "site", githubtest.WorkflowActive)
	ctx := context.Background()
	c := sleepingClient(t, srv, func() {})

	require.NoError(t, c.DispatchWorkflow(ctx, "shepherd-site.yml", "main"))
	runs := srv.WorkflowRuns(owner, repo)
	require.Len(t, runs, 1)
	assert.Equal(t, "workflow_dispatch", runs[0].Event)
	assert.Equal(t, "main", runs[0].Branch)

	assert.ErrorIs(t, c.DispatchWorkflow(ctx, "shepherd-nothing.yml", "main"), ErrNotFound)
	assert.ErrorIs(t, c.DispatchWorkflow(ctx, "shepherd-site.yml", "gone"), ErrInvalid)
	limited, err := New(ctx, owner, repo, Options{BaseURL: srv.URL(), Auth: Auth{Token: "ghs_nope"}})
	require.NoError(t, err)
	err = limited.DispatchWorkflow(ctx, "shepherd-site.yml", "main")
	assert.ErrorIs(t, err, ErrPermission)
	assert.ErrorContains(t, err, `needs "actions" write permission`)
	assert.Len(t, srv.WorkflowRuns(owner, repo), 1)
}
