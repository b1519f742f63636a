package steps_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/store"
)

// countingStore counts the requests a run makes of the bucket: reads and writes.
type countingStore struct {
	store.Store
	reads, writes atomic.Int32
}

func (c *countingStore) Put(ctx context.Context, key string, r io.Reader, size int64, sha, ct string) (store.PutResult, error) {
	c.writes.Add(1)
	return c.Store.Put(ctx, key, r, size, sha, ct)
}
func (c *countingStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	c.reads.Add(1)
	return c.Store.Get(ctx, key)
}
func (c *countingStore) Stat(ctx context.Context, key string) (store.ObjectInfo, error) {
	c.reads.Add(1)
	return c.Store.Stat(ctx, key)
}
func (c *countingStore) List(ctx context.Context, prefix string) ([]store.ObjectInfo, error) {
	c.reads.Add(1)
	return c.Store.List(ctx, prefix)
}
func (c *countingStore) Delete(ctx context.Context, key string) error {
	c.writes.Add(1)
	return c.Store.Delete(ctx, key)
}
func (c *countingStore) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	c.writes.Add(1)
	return c.Store.DeletePrefix(ctx, prefix)
}
func (c *countingStore) Link(ctx context.Context, key string, d time.Duration) (string, time.Time, error) {
	c.reads.Add(1)
	return c.Store.Link(ctx, key, d)
}
func (c *countingStore) EnsureRetention(ctx context.Context, prefix string, days int) (store.Rule, error) {
	c.writes.Add(1)
	return c.Store.EnsureRetention(ctx, prefix, days)
}
func (c *countingStore) EnsurePublicRead(ctx context.Context, prefix string) error {
	c.writes.Add(1)
	return c.Store.EnsurePublicRead(ctx, prefix)
}
func (c *countingStore) ReadSmall(ctx context.Context, key string) ([]byte, string, error) {
	c.reads.Add(1)
	return c.Store.ReadSmall(ctx, key)
}
func (c *countingStore) Create(ctx context.Context, key string, data []byte) (string, error) {
	c.writes.Add(1)
	return c.Store.Create(ctx, key, data)
}
func (c *countingStore) Replace(ctx context.Context, key string, data []byte, etag string) (string, error) {
	c.writes.Add(1)
	return c.Store.Replace(ctx, key, data, etag)
}
func (c *countingStore) DeleteIf(ctx context.Context, key, etag string) error {
	c.writes.Add(1)
	return c.Store.DeleteIf(ctx, key, etag)
}

func (c *countingStore) take() (reads, writes int32) {
	return c.reads.Swap(0), c.writes.Swap(0)
}

// The poll stays cheap under leases: a tick with a release waiting for its export holds
// that release's lease for the poll count (one read of the lease, and its taking, its
// renewal at the save and its giving back); a tick with nothing waiting asks the bucket
// nothing at all.
func TestPollTickAsksTheBucketOnlyForAWaitingRelease(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 71, Concepts: 80}, ocltest.ExportPlan{NonePolls: 1, Ready: ocltest.ReadyRedirect302})
	ctx := context.Background()
	counted := &countingStore{}
	sb.SetFaults(nil, func(s store.Store) store.Store { counted.Store = s; return counted })
	require.NoError(t, sb.Restart(ctx))

	sb.GitHub.ResetRequests()
	out, err := sb.Env.Poll(ctx)
	require.NoError(t, err)
	assert.Empty(t, out)
	reads, writes := counted.take()
	assert.Zero(t, reads+writes, "no release: no bucket request")

	merged(t, sb)
	counted.take()
	sb.Clock.Advance(10 * time.Minute)
	out, err = sb.Env.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.NoError(t, out[0].Err)
	assert.Equal(t, release.Exporting, out[0].To, "not ready yet (204)")
	reads, writes = counted.take()
	assert.Equal(t, int32(1), reads, "the lease read once")
	assert.Equal(t, int32(3), writes, "the lease taken, renewed at the save of the poll count, given back")
	assert.Equal(t, steps.LeasePoll, readLease(t, sb).Holder)

	pollUntilSettled(t, sb, 3)
	require.Equal(t, release.Done, status(t, sb).Release.Phase)
	counted.take()
	sb.Clock.Advance(10 * time.Minute)
	out, err = sb.Env.Poll(ctx)
	require.NoError(t, err)
	assert.Empty(t, out)
	reads, writes = counted.take()
	assert.Zero(t, reads+writes, "a finished release waits for nothing: no bucket request")
}

// holdLease puts a fresh lease of a retry that is still working on the release.
func holdLease(t *testing.T, sb *sandbox.Sandbox) {
	t.Helper()
	leaveLease(t, sb, steps.LeaseRetry, "https://github.example.org/o/r/actions/runs/500", sb.Clock.Now())
}

// letGo removes the lease holdLease put, as its run would give it back.
func letGo(t *testing.T, sb *sandbox.Sandbox) {
	t.Helper()
	res, err := sb.Env.Unlock(context.Background(), version, true)
	require.NoError(t, err)
	require.True(t, res.Removed)
}

// The writes that once went without the lease now wait for it: while another run holds
// the release, the maintenance notice is neither written nor cleared, the reminder is not
// posted and a channel label is not put back; each happens once the lease is free.
func TestSavesWaitForTheLeaseAnotherRunHolds(t *testing.T) {
	ctx := context.Background()

	t.Run("maintenance notice", func(t *testing.T) {
		sb := newSandbox(t, dataset.Spec{Seed: 72, Concepts: 80}, ocltest.ExportPlan{Ready: ocltest.NeverReady})
		merged(t, sb)
		_, _, before := onlyIssue(t, sb)
		holdLease(t, sb)
		switchMaintenance(t, sb.Env.RepoDir, "by: alice\nsince: 2026-11-22T07:00:00Z\nreason: moving the bucket\n")
		sb.GitHub.ResetRequests()
		_, err := sb.Env.Poll(ctx)
		var paused *steps.PausedError
		require.ErrorAs(t, err, &paused)
		assert.Zero(t, sb.GitHub.Writes())
		_, _, body := onlyIssue(t, sb)
		assert.Equal(t, before, body, "the notice waits for the lease")

		letGo(t, sb)
		_, err = sb.Env.Poll(ctx)
		require.ErrorAs(t, err, &paused)
		_, _, body = onlyIssue(t, sb)
		assert.Contains(t, body, "Paused for maintenance")
		assert.Equal(t, steps.LeasePoll, readLease(t, sb).Holder, "written under the poll's lease")

		// Maintenance over while another run holds the release: the poll clears nothing
		// and polls nothing, then both once the lease is free.
		holdLease(t, sb)
		switchMaintenance(t, sb.Env.RepoDir, "")
		sb.Clock.Advance(10 * time.Minute)
		sb.GitHub.ResetRequests()
		out, err := sb.Env.Poll(ctx)
		require.NoError(t, err)
		assert.Empty(t, out)
		assert.Zero(t, sb.GitHub.Writes())
		require.NotNil(t, status(t, sb).Paused)
		letGo(t, sb)
		out, err = sb.Env.Poll(ctx)
		require.NoError(t, err)
		require.Len(t, out, 1)
		require.NoError(t, out[0].Err)
		rec := status(t, sb)
		assert.Nil(t, rec.Paused)
		assert.Equal(t, 1, rec.Release.Attempts)
	})

	t.Run("reminder", func(t *testing.T) {
		sb := newSandbox(t, dataset.Spec{Seed: 73, Concepts: 80}, ocltest.ExportPlan{Ready: ocltest.NeverReady})
		sb.Config.Reminders.After = map[string]time.Duration{"exporting": time.Hour}
		merged(t, sb)
		issue, _, before := onlyIssue(t, sb)
		sb.Clock.Advance(2 * time.Hour)
		holdLease(t, sb)
		sb.GitHub.ResetRequests()
		runJanitor(t, sb)
		assert.Empty(t, reminderComments(sb, issue))
		assert.Zero(t, sb.GitHub.Writes())
		_, _, body := onlyIssue(t, sb)
		assert.Equal(t, before, body)

		letGo(t, sb)
		runJanitor(t, sb)
		assert.Len(t, reminderComments(sb, issue), 1)
		assert.Equal(t, steps.LeaseJanitor, readLease(t, sb).Holder)
	})

	t.Run("channel label", func(t *testing.T) {
		sb, issue := rolledOutRelease(t)
		holdLease(t, sb)
		ev := sb.GitHub.IssueLabeledEvent(sandbox.Owner, sandbox.Repo, issue, steps.LabelStaged, "bob")
		at, _ := time.Parse(time.RFC3339, ev["issue"].(map[string]any)["updated_at"].(string))
		in := steps.CommandInput{Issue: issue, Label: steps.LabelStaged, Author: "bob", At: at}
		_, _, before := onlyIssue(t, sb)
		_, err := sb.Env.Command(ctx, in)
		require.ErrorIs(t, err, steps.ErrLeaseHeld, "it waited for the lease, then stopped")
		_, labels, body := onlyIssue(t, sb)
		assert.Contains(t, labels, steps.LabelStaged, "not taken back without the lease")
		assert.Equal(t, before, body)
		assert.Empty(t, replies(sb, issue))

		letGo(t, sb)
		out, err := sb.Env.Command(ctx, in)
		require.NoError(t, err)
		assert.Contains(t, out.Reply, "was taken back")
		_, labels, _ = onlyIssue(t, sb)
		assert.NotContains(t, labels, steps.LabelStaged)
	})
}

// A release finished for good (done, its files removed at the end of their retention)
// loses its lease object, on real MinIO: the janitor that removes the files removes the
// lease too, a lease a later run left behind is removed on the next janitor run, one
// another run holds is left alone, and a janitor run again changes nothing. A dry run
// removes nothing.
func TestFinishedReleaseLosesItsLease(t *testing.T) {
	sb, _ := minioSandbox(t, 74, nil)
	ctx := context.Background()
	m, sha, _ := openAndMerge(t, sb)
	require.NoError(t, driveToTheEnd(ctx, sb, m, sha))
	key := leaseKey(t, sb)
	_, _, err := sb.Env.Store.ReadSmall(ctx, key)
	require.NoError(t, err, "a published release keeps its given-back lease")
	gone := func() bool {
		_, _, err := sb.Env.Store.ReadSmall(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return true
		}
		require.NoError(t, err)
		return false
	}

	sb.Clock.Advance(sb.Config.Retention + 24*time.Hour)
	sb.Env.DryRun = true
	_, err = sb.Env.Janitor(ctx)
	require.NoError(t, err)
	assert.False(t, gone(), "a dry run removes nothing")
	sb.Env.DryRun = false

	for _, o := range runJanitor(t, sb) {
		require.NoError(t, o.Err, o.Version)
	}
	require.False(t, status(t, sb).RemovedAt.IsZero(), "the files are removed")
	assert.True(t, gone(), "and the lease with them")
	for _, o := range runJanitor(t, sb) {
		require.NoError(t, o.Err, "a second run: %s", o.Version)
	}
	assert.True(t, gone())

	// A run on the finished release later (a command, an older Shepherd) left its
	// lease given back: the next janitor run removes it; a dry run does not.
	leaveLease(t, sb, steps.LeaseCommand, "", sb.Clock.Now().Add(-2*time.Hour))
	sb.Env.DryRun = true
	_, err = sb.Env.Janitor(ctx)
	require.NoError(t, err)
	assert.False(t, gone(), "a dry run removes nothing")
	sb.Env.DryRun = false
	runJanitor(t, sb)
	assert.True(t, gone())

	// One another run holds stays until that run is done with it.
	holdLease(t, sb)
	runJanitor(t, sb)
	assert.False(t, gone(), "a held lease is its run's")
	assert.Equal(t, steps.LeaseRetry, readLease(t, sb).Holder)
}

// deleteRefused refuses every delete of a lease, as a bucket whose key lacks
// s3:DeleteObject on leases/* does (a 403 AccessDenied).
type deleteRefused struct{ store.Store }

func (deleteRefused) DeleteIf(_ context.Context, key, _ string) error {
	return &store.RequestError{Op: "delete", Where: fmt.Sprintf("%q in s3 bucket \"releases\"", key), Code: "AccessDenied",
		Status: http.StatusForbidden, Kind: store.ErrDenied, Err: errors.New("Access Denied.")}
}

// A storage that refuses to delete the lease of a finished release does not fail the
// janitor: the lease is given back instead, with a warning, and a later janitor run with
// the permission removes it.
func TestALeaseTheStorageWillNotDeleteIsGivenBack(t *testing.T) {
	sb, logs := loggedSandbox(t, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	ctx := context.Background()
	m, sha, _ := openAndMerge(t, sb)
	require.NoError(t, driveToTheEnd(ctx, sb, m, sha))
	sb.Clock.Advance(sb.Config.Retention + 24*time.Hour)
	sb.SetFaults(nil, func(s store.Store) store.Store { return deleteRefused{s} })
	require.NoError(t, sb.Restart(ctx))

	for _, o := range runJanitor(t, sb) {
		require.NoError(t, o.Err, o.Version)
	}
	require.False(t, status(t, sb).RemovedAt.IsZero())
	l := readLease(t, sb)
	assert.Equal(t, steps.LeaseJanitor, l.Holder)
	assert.False(t, l.Released.IsZero(), "given back instead")
	assert.Contains(t, logs.String(), `"level":"WARN","msg":"the lease of a finished release could not be removed; it is given back and the janitor removes it later"`)

	sb.SetFaults(nil, nil)
	require.NoError(t, sb.Restart(ctx))
	runJanitor(t, sb)
	_, _, err := sb.Env.Store.ReadSmall(ctx, leaseKey(t, sb))
	assert.ErrorIs(t, err, store.ErrNotFound)
}
