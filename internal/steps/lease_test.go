package steps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/store"
)

// logBuffer collects the JSON log lines of every run of a sandbox.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func loggedSandbox(t *testing.T, plan ocltest.ExportPlan) (*sandbox.Sandbox, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	sb, err := sandbox.New(context.Background(), sandbox.Options{Dir: t.TempDir(), Head: dataset.Spec{Seed: 39, Concepts: 80}, Plan: plan,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	return sb, logs
}

// merged merges the release, which then waits for its export, and returns its manifest.
func merged(t *testing.T, sb *sandbox.Sandbox) *manifest.Manifest {
	t.Helper()
	m, _ := mergeRelease(t, sb)
	return m
}

func leaseKey(t *testing.T, sb *sandbox.Sandbox) string {
	t.Helper()
	key, err := steps.LeaseKey(sb.Config.OCL.Org, sb.Config.OCL.Source, version)
	require.NoError(t, err)
	return key
}

// leaveLease puts a lease in the bucket as a run that died holding it leaves it.
func leaveLease(t *testing.T, sb *sandbox.Sandbox, holder, run string, since time.Time) {
	t.Helper()
	data, err := json.Marshal(steps.Lease{Holder: holder, Run: run, Version: version, Token: "dead-run", Since: since, Heartbeat: since, Until: since.Add(70 * time.Minute)})
	require.NoError(t, err)
	placeLease(t, sb, data)
}

// placeLease writes data as the release's lease object, over the one the merge's run
// gave back.
func placeLease(t *testing.T, sb *sandbox.Sandbox, data []byte) {
	t.Helper()
	ctx, key := context.Background(), leaseKey(t, sb)
	_, etag, err := sb.Env.Store.ReadSmall(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		_, err = sb.Env.Store.Create(ctx, key, data)
	} else if err == nil {
		_, err = sb.Env.Store.Replace(ctx, key, data, etag)
	}
	require.NoError(t, err)
}

func readLease(t *testing.T, sb *sandbox.Sandbox) steps.Lease {
	t.Helper()
	data, _, err := sb.Env.Store.ReadSmall(context.Background(), leaseKey(t, sb))
	require.NoError(t, err)
	var l steps.Lease
	require.NoError(t, json.Unmarshal(data, &l))
	return l
}

// staleLeaseComments are the comments on the tracking issue warning of a stale lease.
func staleLeaseComments(t *testing.T, sb *sandbox.Sandbox, issue int) []string {
	t.Helper()
	var out []string
	for _, c := range sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, issue) {
		if strings.Contains(c.GetBody(), "<!-- shepherd:stale-lease ") {
			out = append(out, c.GetBody())
		}
	}
	return out
}

// A run that died holding a release's lease: on the simulated clock, the poll keeps off
// the release and writes nothing of its record, shows nothing while the lease is fresh,
// warns in the log and in one comment on the tracking issue once the holder's heartbeat
// is older than lease.stale_after (then no more writes while nothing changes), and
// `unlock` refuses a fresh lease without --force but removes a stale one, saying whose it
// was; the poll then carries the release on.
func TestStaleLeaseIsReportedAndUnlockRemovesIt(t *testing.T) {
	sb, logs := loggedSandbox(t, ocltest.ExportPlan{Ready: ocltest.NeverReady})
	sb.Config.Lease.StaleAfter = 20 * time.Minute
	ctx := context.Background()
	merged(t, sb)
	const run = "https://github.example.org/o/r/actions/runs/42"
	leaveLease(t, sb, steps.LeaseRetry, run, sb.Clock.Now())
	issue, _, statusBefore := onlyIssue(t, sb)

	sb.Clock.Advance(10 * time.Minute)
	sb.GitHub.ResetRequests()
	out, err := sb.Env.Poll(ctx)
	require.NoError(t, err)
	assert.Empty(t, out, "the poll leaves a held release alone")
	assert.Zero(t, sb.GitHub.Writes(), "nothing written while another run holds the lease")
	assert.Empty(t, staleLeaseComments(t, sb, issue))
	assert.NotContains(t, logs.String(), "stale lease")
	assert.Contains(t, logs.String(), `"msg":"another run holds the release's lease; this run leaves the release alone"`)
	res, err := sb.Env.Unlock(ctx, version, false)
	require.ErrorIs(t, err, steps.ErrLeaseLive, "a fresh lease stays without --force")
	require.NotNil(t, res.Lease)
	assert.Equal(t, run, res.Lease.Run)
	assert.False(t, res.Removed)
	assert.Equal(t, 10*time.Minute, res.Age)

	sb.Clock.Advance(15 * time.Minute)
	sb.GitHub.ResetRequests()
	out, err = sb.Env.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, out, 1, "a stale lease still holds until it runs out or is removed; the tick says it reported it")
	assert.True(t, out[0].StaleLease)
	assert.Equal(t, out[0].From, out[0].To, "left where it was")
	assert.NoError(t, out[0].Err)
	assert.Equal(t, 1, sb.GitHub.Writes(), "one comment warns of it")
	warnings := staleLeaseComments(t, sb, issue)
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0], "Stale lease: held by retry (run "+run+") since")
	assert.Contains(t, warnings[0], "shepherd unlock --version "+version)
	_, _, status := onlyIssue(t, sb)
	assert.Equal(t, statusBefore, status, "the record is only the lease holder's to write")
	assert.Contains(t, logs.String(), `"level":"WARN","msg":"stale lease: held by retry (run `+run)
	sb.Clock.Advance(10 * time.Minute)
	sb.GitHub.ResetRequests()
	out, err = sb.Env.Poll(ctx)
	require.NoError(t, err)
	assert.Empty(t, out, "nothing new to say")
	assert.Zero(t, sb.GitHub.Writes(), "the warning is there already")
	assert.Len(t, staleLeaseComments(t, sb, issue), 1)

	res, err = sb.Env.Unlock(ctx, version, false)
	require.NoError(t, err, "a stale lease goes without --force")
	assert.True(t, res.Removed)
	assert.Equal(t, steps.LeaseRetry, res.Lease.Holder)
	assert.Equal(t, leaseKey(t, sb), res.Key)
	_, _, err = sb.Env.Store.ReadSmall(ctx, res.Key)
	assert.ErrorIs(t, err, store.ErrNotFound)
	res, err = sb.Env.Unlock(ctx, version, false)
	require.NoError(t, err)
	assert.Nil(t, res.Lease, "nothing left to remove")

	out, err = sb.Env.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, out, 1, "the poll carries the release on again")
	assert.Equal(t, release.Exporting, out[0].From)
	require.NoError(t, out[0].Err)
	assert.Equal(t, 1, out[0].Record.Release.Attempts, "the poll counted, under its own lease")
	assert.Equal(t, steps.LeasePoll, readLease(t, sb).Holder)
}

// A lease object Shepherd could not have written is never trusted: it holds nothing, so
// the next run that needs the release (the poll's export poll here) takes it over,
// warning in its log; `unlock` removes one without --force.
func TestUntrustedLeaseIsReportedNotTrusted(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	good := steps.Lease{Holder: steps.LeaseRetry, Version: version, Token: "x", Since: now, Heartbeat: now, Until: now.Add(time.Hour)}
	lease := func(change func(*steps.Lease)) []byte {
		l := good
		change(&l)
		data, err := json.Marshal(l)
		require.NoError(t, err)
		return data
	}
	for why, data := range map[string][]byte{
		"is not JSON Shepherd writes":               []byte("{\"holder\": \"retry\", "),
		`lease holder \"someone\" is unknown`:       lease(func(l *steps.Lease) { l.Holder = "someone" }),
		"the lease's times are not ones":            lease(func(l *steps.Lease) { l.Until = l.Since.Add(-time.Minute) }),
		"the lease lacks a time":                    lease(func(l *steps.Lease) { l.Heartbeat = time.Time{} }),
		"the lease names release":                   lease(func(l *steps.Lease) { l.Version = "v2026-01-01" }),
		"the lease's run is not a link":             lease(func(l *steps.Lease) { l.Run = "javascript:alert(1)" }),
		"the lease's times are not ones Shepherd w": lease(func(l *steps.Lease) { l.Since, l.Heartbeat = now.Add(2*time.Hour), now.Add(2*time.Hour) }),
	} {
		t.Run(why, func(t *testing.T) {
			sb, logs := loggedSandbox(t, ocltest.ExportPlan{Ready: ocltest.NeverReady})
			merged(t, sb)
			placeLease(t, sb, data)
			res, err := sb.Env.Unlock(ctx, version, false)
			require.NoError(t, err, "one not trusted goes without --force")
			assert.True(t, res.Removed)
			assert.Contains(t, res.Lease.Problem, strings.ReplaceAll(why, `\"`, `"`))

			placeLease(t, sb, data)
			sb.Clock.Advance(10 * time.Minute)
			out, err := sb.Env.Poll(ctx)
			require.NoError(t, err)
			require.Len(t, out, 1, "a lease not trusted holds nothing")
			require.NoError(t, out[0].Err)
			assert.Equal(t, 1, out[0].Record.Release.Attempts)
			_, takeover, found := strings.Cut(logs.String(), `"level":"WARN","msg":"taking over a lease that holds nothing: `)
			require.True(t, found, "the take-over is logged as a warning")
			takeover, _, _ = strings.Cut(takeover, "\n")
			assert.Contains(t, takeover, why)
			l := readLease(t, sb)
			assert.Equal(t, steps.LeasePoll, l.Holder, "taken over by the poll")
			assert.False(t, l.Released.IsZero(), "and given back")
		})
	}

	t.Run("taken over by the run that needs it", func(t *testing.T) {
		sb, logs := loggedSandbox(t, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
		merged(t, sb)
		placeLease(t, sb, lease(func(l *steps.Lease) { l.Holder = "someone" }))
		const run = "https://github.example.org/o/r/actions/runs/77"
		sb.Env.RunURL = run
		sb.Clock.Advance(10 * time.Minute)
		out, err := sb.Env.Poll(ctx)
		require.NoError(t, err)
		require.Len(t, out, 1)
		require.NoError(t, out[0].Err)
		assert.Equal(t, release.Done, out[0].To)
		assert.Contains(t, logs.String(), `taking over a lease that holds nothing: lease holder \"someone\" is unknown`)
		l := readLease(t, sb)
		assert.Equal(t, steps.LeasePoll, l.Holder)
		assert.Equal(t, run, l.Run)
		assert.False(t, l.Released.IsZero(), "given back at the end")
		_, _, body := onlyIssue(t, sb)
		assert.NotContains(t, body, "not trusted", "the lease is the poll's now")
	})
}

// storeHooks stands between one run and the store, to stop that run at a chosen point of
// its use of the lease object.
type storeHooks struct {
	store.Store
	key string
	// afterFirstRead runs once, after the run's first read of the lease.
	afterFirstRead func()
	readOnce       sync.Once
	// beforeHeartbeat runs before each replace of the lease past the run's first.
	beforeHeartbeat func()
	replaces        atomic.Int32
	refused         *atomic.Int32
}

func (h *storeHooks) ReadSmall(ctx context.Context, key string) ([]byte, string, error) {
	data, etag, err := h.Store.ReadSmall(ctx, key)
	if key == h.key && h.afterFirstRead != nil {
		h.readOnce.Do(h.afterFirstRead)
	}
	return data, etag, err
}

func (h *storeHooks) Replace(ctx context.Context, key string, data []byte, etag string) (string, error) {
	if key == h.key && h.replaces.Add(1) > 1 && h.beforeHeartbeat != nil {
		h.beforeHeartbeat()
	}
	newETag, err := h.Store.Replace(ctx, key, data, etag)
	if key == h.key && errors.Is(err, store.ErrPreconditionFailed) && h.refused != nil {
		h.refused.Add(1)
	}
	return newETag, err
}

func (h *storeHooks) Create(ctx context.Context, key string, data []byte) (string, error) {
	newETag, err := h.Store.Create(ctx, key, data)
	if key == h.key && errors.Is(err, store.ErrPreconditionFailed) && h.refused != nil {
		h.refused.Add(1)
	}
	return newETag, err
}

// Two retries of one release at the same time, on real MinIO: the first takes the lease;
// the second waits for it (three minutes on the simulated clock), then stops with one
// line naming the run that holds it and how to remove its lease. The first carries the
// release to its end and gives the lease back.
func TestTwoRunsOneLease(t *testing.T) {
	sb, _ := minioSandbox(t, 41, nil)
	ctx := context.Background()
	m := merged(t, sb)
	key := leaseKey(t, sb)

	holding, proceed := make(chan struct{}), make(chan struct{})
	first, err := sb.NewRun(ctx, "first", func(s store.Store) store.Store {
		var once sync.Once
		return &storeHooks{Store: s, key: key, beforeHeartbeat: func() {
			once.Do(func() { close(holding); <-proceed })
		}}
	})
	require.NoError(t, err)
	const runA, runB = "https://github.example.org/o/r/actions/runs/100", "https://github.example.org/o/r/actions/runs/101"
	first.RunURL = runA
	second, err := sb.NewRun(ctx, "second", nil)
	require.NoError(t, err)
	second.RunURL = runB

	done := make(chan error, 1)
	go func() {
		_, err := first.Retry(ctx, m)
		done <- err
	}()
	select {
	case <-holding:
	case err := <-done:
		t.Fatalf("the first run ended before holding the lease: %v", err)
	}
	_, err = second.Retry(ctx, m)
	close(proceed)
	require.ErrorIs(t, err, steps.ErrLeaseHeld)
	var held *steps.LeaseHeldError
	require.ErrorAs(t, err, &held)
	assert.Equal(t, runA, held.Lease.Run)
	assert.Equal(t, 3*time.Minute, held.Waited, "it waited, on the simulated clock")
	assert.Contains(t, err.Error(), "release "+version+" is being changed by another run: lease "+key+", held by retry (run "+runA+")")
	assert.Contains(t, err.Error(), "this run stops after waiting 3 min")
	assert.Contains(t, err.Error(), "`shepherd unlock --version "+version+"`")

	require.NoError(t, <-done)
	rec, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	assert.Equal(t, release.Done, rec.Release.Phase)
	l := readLease(t, sb)
	assert.Equal(t, runA, l.Run)
	assert.False(t, l.Released.IsZero(), "the first run gave the lease back")
}

// A lease whose run died and that ran out is taken over by the next run, conditional on
// the ETag it read: two runs that read it at the same time both try, on real MinIO, and
// exactly one wins; the other finds the winner holding it and stops.
func TestTwoTakersOfAnExpiredLease(t *testing.T) {
	sb, _ := minioSandbox(t, 43, nil)
	ctx := context.Background()
	m := merged(t, sb)
	key := leaseKey(t, sb)
	const dead = "https://github.example.org/o/r/actions/runs/1"
	leaveLease(t, sb, steps.LeaseMerge, dead, sb.Clock.Now().Add(-2*time.Hour))

	var bothRead sync.WaitGroup
	bothRead.Add(2)
	var refused atomic.Int32
	loserDone := make(chan struct{})
	var heartbeatOnce, loserOnce sync.Once
	runs := make([]*steps.Env, 2)
	for i := range runs {
		var err error
		runs[i], err = sb.NewRun(ctx, string(rune('a'+i)), func(s store.Store) store.Store {
			return &storeHooks{Store: s, key: key, refused: &refused,
				afterFirstRead: func() { bothRead.Done(); bothRead.Wait() },
				beforeHeartbeat: func() {
					heartbeatOnce.Do(func() {
						select {
						case <-loserDone:
						case <-time.After(time.Minute): // the other run never stopped: the asserts below say so
						}
					})
				}}
		})
		require.NoError(t, err)
		runs[i].RunURL = "https://github.example.org/o/r/actions/runs/" + string(rune('7'+i))
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, run := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = run.Retry(ctx, m)
			if errs[i] != nil {
				loserOnce.Do(func() { close(loserDone) })
			}
		}()
	}
	wg.Wait()
	var winner, loser int
	switch {
	case errs[0] == nil && errs[1] != nil:
		winner, loser = 0, 1
	case errs[1] == nil && errs[0] != nil:
		winner, loser = 1, 0
	default:
		t.Fatalf("want one run to win and one to stop, got %v and %v", errs[0], errs[1])
	}
	require.ErrorIs(t, errs[loser], steps.ErrLeaseHeld)
	assert.Contains(t, errs[loser].Error(), "(run "+runs[winner].RunURL+")")
	assert.Equal(t, int32(1), refused.Load(), "one conditional take-over refused")
	l := readLease(t, sb)
	assert.Equal(t, runs[winner].RunURL, l.Run)
	assert.False(t, l.Released.IsZero())
}

// A dry run takes no lease and writes nothing to the bucket.
func TestDryRunTakesNoLease(t *testing.T) {
	sb, _ := loggedSandbox(t, ocltest.ExportPlan{Ready: ocltest.NeverReady})
	ctx := context.Background()
	m := merged(t, sb)
	// The merge's run gave its lease back: the object says so.
	l := readLease(t, sb)
	assert.Equal(t, steps.LeaseMerge, l.Holder)
	assert.False(t, l.Released.IsZero())
	_, before, err := sb.Env.Store.ReadSmall(ctx, leaseKey(t, sb))
	require.NoError(t, err)

	sb.Env.DryRun = true
	_, err = sb.Env.Retry(ctx, m)
	require.NoError(t, err)
	_, after, err := sb.Env.Store.ReadSmall(ctx, leaseKey(t, sb))
	require.NoError(t, err)
	assert.Equal(t, before, after)
	res, err := sb.Env.Unlock(ctx, version, false)
	require.NoError(t, err)
	assert.False(t, res.Removed, "a dry run removes nothing")
	assert.True(t, strings.HasPrefix(res.Lease.State(sb.Clock.Now(), time.Hour), "given back at "))
}
