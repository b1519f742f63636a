package steps_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gh "github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/store"
)

var errCrash = errors.New("process killed")

// crashAfterWrites lets n GitHub writes through, then kills the "process" right after
// the n-th write landed: the server changed, the bot never heard back.
type crashAfterWrites struct {
	next  http.RoundTripper
	left  atomic.Int64
	fired atomic.Bool
	// afterWrite, when set, runs after each write landed: a person acting meanwhile.
	afterWrite func()
}

func (c *crashAfterWrites) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.fired.Load() {
		return nil, errCrash
	}
	resp, err := c.next.RoundTrip(r)
	if r.Method != http.MethodGet && c.afterWrite != nil {
		c.afterWrite()
	}
	if r.Method != http.MethodGet && c.left.Add(-1) == 0 {
		c.fired.Store(true)
		if resp != nil {
			resp.Body.Close()
		}
		return nil, errCrash
	}
	return resp, err
}

// driveToTheEnd runs the merge workflow and the scheduled ticks until the release ends
// or a run fails; it returns the first failure, as the workflow would show it.
func driveToTheEnd(ctx context.Context, sb *sandbox.Sandbox, m *manifest.Manifest, sha string) error {
	if _, err := sb.Env.Merged(ctx, m, sha); err != nil {
		return err
	}
	for tick := 0; tick < 20; tick++ {
		rec, err := sb.Env.Status(ctx, version)
		if err != nil {
			return err
		}
		if rec.Release.Phase.Terminal() {
			return nil
		}
		sb.Clock.Advance(sb.Config.Poll.Interval)
		out, err := sb.Env.Poll(ctx)
		if err != nil {
			return err
		}
		for _, o := range out {
			if o.Err != nil {
				return o.Err
			}
		}
	}
	return errors.New("the release did not end in 20 ticks")
}

func assertOneOfEverything(t *testing.T, sb *sandbox.Sandbox, sha string) {
	t.Helper()
	ctx := context.Background()
	rec, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	assert.Equal(t, release.Done, rec.Release.Phase)
	issue, labels, body := onlyIssue(t, sb)
	assert.ElementsMatch(t, []string{"release:done", "shepherd"}, labels)
	assert.Equal(t, 1, strings.Count(body, "<!-- shepherd:status:start -->"))
	assert.Equal(t, map[string]int{"export-ready": 1}, milestoneComments(t, sb, issue))
	created := 0
	for _, r := range sb.OCL.Requests() {
		if r.Method == "POST" && r.Route == ocltest.RouteVersions && r.Status == http.StatusCreated {
			created++
		}
	}
	assert.Equal(t, 1, created, "one version on OCL")
	assert.Equal(t, map[string]string{version: sha}, sb.GitHub.Tags(sandbox.Owner, sandbox.Repo))
	assert.Len(t, sb.GitHub.Releases(sandbox.Owner, sandbox.Repo), 1)
	objects, err := sb.Env.Store.List(ctx, sb.Config.Storage.Prefix+"/"+version)
	require.NoError(t, err)
	assert.Len(t, objects, 12, "2 SQL files, SHA256SUMS, manifest.json, 6 QA reports, the bundle and its checksum line, once each")
}

// A crash right after each GitHub write of a release, then a fresh process: every run
// converges on the same single issue, comment, version, tag and release. It runs again
// with a person editing the issue's body after every write the bot makes: each edit
// outside the bot's section is still there at the end.
func TestCrashAfterEveryGitHubWriteConverges(t *testing.T) {
	plan := ocltest.ExportPlan{NonePolls: 1, BuildingPolls: 1, Ready: ocltest.ReadySeeOther303}
	head := dataset.Spec{Seed: 9, Concepts: 120}

	// Count the writes of an uninterrupted release.
	sb := newSandbox(t, head, plan)
	m, sha, _ := openAndMerge(t, sb)
	sb.GitHub.ResetRequests()
	require.NoError(t, driveToTheEnd(context.Background(), sb, m, sha))
	total := sb.GitHub.Writes()
	assertOneOfEverything(t, sb, sha)
	require.Greater(t, total, 10)

	for _, editing := range []bool{false, true} {
		name := map[bool]string{false: "alone", true: "with a person editing the issue"}[editing]
		t.Run(name, func(t *testing.T) {
			for n := 1; n <= total; n++ {
				sb := newSandbox(t, head, plan)
				m, sha, _ := openAndMerge(t, sb)
				crash := &crashAfterWrites{}
				crash.left.Store(int64(n))
				person := &editingPerson{t: t, sb: sb}
				if editing {
					crash.afterWrite = person.edit
				}
				uploads := &flakyStore{} // never down: it counts the uploads across both processes
				countUploads := func(s store.Store) store.Store { uploads.Store = s; return uploads }
				sb.SetFaults(func(next http.RoundTripper) http.RoundTripper { crash.next = next; return crash }, countUploads)
				require.NoError(t, sb.Restart(context.Background()))
				err := driveToTheEnd(context.Background(), sb, m, sha)
				require.Error(t, err, "write %d of %d: the crash must stop the run", n, total)
				assert.ErrorIs(t, err, errCrash)

				// The next process: the person goes on editing while it works.
				after := &crashAfterWrites{afterWrite: crash.afterWrite}
				sb.SetFaults(func(next http.RoundTripper) http.RoundTripper { after.next = next; return after }, countUploads)
				require.NoError(t, sb.Restart(context.Background()))
				require.NoError(t, driveToTheEnd(context.Background(), sb, m, sha), "after a crash at write %d", n)
				assertOneOfEverything(t, sb, sha)
				stored, err := sb.Env.Store.List(context.Background(), "")
				require.NoError(t, err)
				// The HEAD reports were stored before the fault was put in place.
				assert.LessOrEqual(t, uploads.puts.Load(), int64(len(stored)), "crash at write %d: no file uploaded twice", n)
				if editing {
					_, _, body := onlyIssue(t, sb)
					require.NotEmpty(t, person.notes, "crash at write %d: the person edited", n)
					for _, note := range person.notes {
						assert.Contains(t, body, note, "crash at write %d: the person's edit is kept", n)
					}
				}
			}
		})
	}
}

// editingPerson adds a line of their own to the tracking issue's body, outside the bot's
// section, as a maintainer might while a run works.
type editingPerson struct {
	t     *testing.T
	sb    *sandbox.Sandbox
	notes []string
}

func (p *editingPerson) edit() {
	for _, i := range p.sb.GitHub.Issues(sandbox.Owner, sandbox.Repo) {
		if !strings.Contains(i.GetBody(), "<!-- shepherd:release "+version+" -->") || i.GetState() != "open" {
			continue
		}
		note := fmt.Sprintf("Maintainer note %d.", len(p.notes)+1)
		body := note + "\n\n" + i.GetBody()
		_, _, err := p.sb.GitHub.Client(p.t).Issues.Edit(context.Background(), sandbox.Owner, sandbox.Repo, i.GetNumber(), &gh.IssueRequest{Body: &body})
		require.NoError(p.t, err)
		p.notes = append(p.notes, note)
		return
	}
}

// flakyStore fails uploads while down, like an S3 server that is unreachable for a while.
type flakyStore struct {
	store.Store
	down atomic.Bool
	puts atomic.Int64
}

func (f *flakyStore) Put(ctx context.Context, key string, r io.Reader, size int64, sha, ct string) (store.PutResult, error) {
	if f.down.Load() {
		return store.PutResult{}, errors.New("dial tcp 127.0.0.1:9000: connection refused")
	}
	res, err := f.Store.Put(ctx, key, r, size, sha, ct)
	if err == nil && !res.Skipped {
		f.puts.Add(1)
	}
	return res, err
}

func TestStorageDownForAWhileThenBackConverges(t *testing.T) {
	flaky := &flakyStore{}
	sb := newSandbox(t, dataset.Spec{Seed: 11, Concepts: 120}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	m, sha, _ := openAndMerge(t, sb)
	sb.SetFaults(nil, func(s store.Store) store.Store { flaky.Store = s; return flaky })
	require.NoError(t, sb.Restart(context.Background()))
	ctx := context.Background()
	_, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)

	flaky.down.Store(true)
	for tick := 0; tick < 3; tick++ {
		sb.Clock.Advance(10 * time.Minute)
		out, err := sb.Env.Poll(ctx)
		require.NoError(t, err)
		require.Len(t, out, 1)
		assert.Error(t, out[0].Err, "uploads fail while the storage is down")
		assert.False(t, out[0].To.Terminal(), "an outage makes the release wait, not fail: %s", out[0].To)
	}
	flaky.down.Store(false)
	sb.Clock.Advance(10 * time.Minute)
	out, err := sb.Env.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.NoError(t, out[0].Err)
	assertOneOfEverything(t, sb, sha)
	all, err := sb.Env.Store.List(ctx, "")
	require.NoError(t, err)
	// The lease is written with conditional writes, never with Put.
	all = slices.DeleteFunc(all, func(o store.ObjectInfo) bool { return strings.HasPrefix(o.Key, "leases/") })
	assert.EqualValues(t, len(all), flaky.puts.Load(), "each stored file uploaded exactly once")
}

func TestOCLAndGitHubFaultsAreRiddenOut(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 12, Concepts: 150}, ocltest.ExportPlan{NonePolls: 1, Ready: ocltest.ReadyStream200})
	m, sha, _ := openAndMerge(t, sb)
	ctx := context.Background()
	// OCL: 503s and a 429 with Retry-After on the listing, a 502 on the export status.
	sb.OCL.Fail(ocltest.On("GET", ocltest.RouteConcepts), 2, http.StatusServiceUnavailable, nil)
	sb.OCL.Fail(ocltest.On("GET", ocltest.RouteConcepts), 1, http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}})
	sb.OCL.Fail(ocltest.On("GET", ocltest.RouteExport), 1, http.StatusBadGateway, nil)
	// OCL slow to answer all along.
	sb.OCL.SetLatency(20 * time.Millisecond)
	// GitHub: a 502 and a secondary rate limit on writes, a primary rate limit on a read.
	sb.GitHub.FailNext(githubMatchWrites, 1, githubBadGateway)
	sb.GitHub.FailNext(githubMatchWrites, 1, githubSecondary)
	require.NoError(t, driveToTheEnd(ctx, sb, m, sha))
	assertOneOfEverything(t, sb, sha)
	faults := map[int]int{}
	for _, r := range sb.GitHub.Requests() {
		if r.Status >= 400 {
			faults[r.Status]++
		}
	}
	assert.Equal(t, 1, faults[http.StatusBadGateway], "the injected 502 was met")
	assert.Equal(t, 1, faults[http.StatusForbidden], "the secondary rate limit was met")
}

// GitHub's primary rate limit resets within the hour: too long to wait inside a run. The
// run fails saying so, and a run after the reset carries on where it stopped.
func TestPrimaryRateLimitFailsTheRunAndTheNextRunConverges(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 13, Concepts: 120}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	m, sha, _ := openAndMerge(t, sb)
	ctx := context.Background()
	sb.GitHub.FailNext(githubtest.Match{Method: "GET"}, 1, githubtest.PrimaryRateLimit)
	err := driveToTheEnd(ctx, sb, m, sha)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rate limit is used up until")
	assert.Contains(t, err.Error(), "try again later")

	sb.Clock.Advance(time.Hour)
	require.NoError(t, sb.Restart(ctx))
	require.NoError(t, driveToTheEnd(ctx, sb, m, sha))
	assertOneOfEverything(t, sb, sha)
}

var (
	githubMatchWrites = githubtest.Match{Method: "PATCH"}
	githubBadGateway  = githubtest.BadGateway
	githubSecondary   = githubtest.SecondaryRateLimit
)
