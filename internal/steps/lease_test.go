package steps_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// A retry whose runner died leaves its lease: on the simulated clock, the poll keeps off
// the release, shows nothing while the lease is fresh, warns on the status once the lease
// is older than lease.stale_after (one write, then none while nothing changes), and
// `unlock` refuses a fresh lease without --force but removes a stale one, saying whose.
func TestStaleLeaseIsReportedAndUnlockRemovesIt(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 39, Concepts: 80}, ocltest.ExportPlan{Ready: ocltest.NeverReady})
	sb.Config.Poll.MaxAttempts = 2
	sb.Config.Lease.StaleAfter = 20 * time.Minute
	ctx := context.Background()
	m, sha, _ := openAndMerge(t, sb)
	_, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	pollUntilSettled(t, sb, 3)

	crash := &crashAfterWrites{}
	crash.left.Store(1)
	sb.SetFaults(func(next http.RoundTripper) http.RoundTripper { crash.next = next; return crash }, nil)
	require.NoError(t, sb.Restart(ctx))
	const run = "https://github.example.org/o/r/actions/runs/42"
	sb.Env.RunURL = run
	_, err = sb.Env.Retry(ctx, m)
	require.ErrorIs(t, err, errCrash)
	sb.SetFaults(nil, nil)
	require.NoError(t, sb.Restart(ctx))

	sb.Clock.Advance(10 * time.Minute)
	out, err := sb.Env.Poll(ctx)
	require.NoError(t, err)
	assert.Empty(t, out)
	_, _, body := onlyIssue(t, sb)
	assert.NotContains(t, body, "Stale lease")
	lease, err := sb.Env.Unlock(ctx, version, false)
	require.ErrorIs(t, err, steps.ErrLeaseLive, "a fresh lease stays without --force")
	assert.Equal(t, run, lease.Run)

	sb.Clock.Advance(15 * time.Minute)
	sb.GitHub.ResetRequests()
	out, err = sb.Env.Poll(ctx)
	require.NoError(t, err)
	assert.Empty(t, out, "a stale lease still holds until it runs out or is removed")
	assert.Equal(t, 1, sb.GitHub.Writes(), "the warning is written on the status")
	_, _, body = onlyIssue(t, sb)
	assert.Contains(t, body, "Stale lease: held by retry (run "+run+") since")
	assert.Contains(t, body, "shepherd unlock --version "+version)
	sb.Clock.Advance(10 * time.Minute)
	sb.GitHub.ResetRequests()
	_, err = sb.Env.Poll(ctx)
	require.NoError(t, err)
	assert.Zero(t, sb.GitHub.Writes(), "the warning is there already")

	lease, err = sb.Env.Unlock(ctx, version, false)
	require.NoError(t, err)
	require.NotNil(t, lease)
	assert.Equal(t, steps.LeaseRetry, lease.Holder)
	rec, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	assert.Nil(t, rec.Lease)
	_, _, body = onlyIssue(t, sb)
	assert.NotContains(t, body, "Stale lease")
	lease, err = sb.Env.Unlock(ctx, version, false)
	require.NoError(t, err)
	assert.Nil(t, lease, "nothing left to remove")

	out, err = sb.Env.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, out, 1, "the poll carries the release on again")
	assert.Equal(t, release.Exporting, out[0].From)
}

// Each transition names the workflow run that made it, and the status's timeline links
// that run (whose artifacts hold its decision log); transitions from before the run, or
// from a terminal, link nothing.
func TestTransitionsLinkTheRunThatMadeThem(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 5, Concepts: 100}, ocltest.ExportPlan{Ready: ocltest.NeverReady})
	ctx := context.Background()
	m, sha, _ := openAndMerge(t, sb)
	_, err := sb.Env.Merged(ctx, m, sha) // from a terminal: no run
	require.NoError(t, err)
	sb.Config.Poll.MaxAttempts = 1
	sb.Clock.Advance(time.Minute)
	require.NoError(t, sb.Restart(ctx))
	const run = "https://github.example.org/o/r/actions/runs/7"
	sb.Env.RunURL = run
	_, err = sb.Env.Poll(ctx)
	require.NoError(t, err)
	rec, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	require.Equal(t, release.Incomplete, rec.Release.Phase)
	ts := rec.Release.Transitions
	assert.Equal(t, run, ts[len(ts)-1].Run)
	assert.Empty(t, ts[0].Run)
	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, "· [run and decision log]("+run+") |")
}
