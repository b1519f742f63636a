package github

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

const owner, repo = "CIEL", "dictionary"

type fixture struct {
	srv    *githubtest.Server
	c      *Client
	sleeps []time.Duration
}

func newFixture(t *testing.T, opts ...githubtest.Option) *fixture {
	t.Helper()
	srv := githubtest.NewServer(append([]githubtest.Option{githubtest.WithToken("tok", "shepherd-bot")}, opts...)...)
	t.Cleanup(srv.Close)
	srv.AddRepo(owner, repo, "main")
	f := &fixture{srv: srv}
	var mu sync.Mutex
	c, err := New(context.Background(), owner, repo, Options{
		BaseURL: srv.URL(),
		Auth:    Auth{Token: "tok"},
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			f.sleeps = append(f.sleeps, d)
			return nil
		},
	})
	require.NoError(t, err)
	f.c = c
	return f
}

func TestNewNeedsCredentials(t *testing.T) {
	_, err := New(context.Background(), owner, repo, Options{})
	assert.ErrorContains(t, err, "no GitHub credentials")
	_, err = New(context.Background(), owner, repo, Options{Auth: Auth{Token: "x"}, BaseURL: "not a url"})
	assert.ErrorContains(t, err, "not an absolute URL")
}

func TestEnsureIssueCreatesOnceAndFindsItAgain(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	i, created, err := f.c.EnsureIssue(ctx, "v2026-11-22", "Release v2026-11-22", 0)
	require.NoError(t, err)
	assert.True(t, created)
	assert.Contains(t, i.Body, releaseMarker("v2026-11-22"))
	assert.Contains(t, i.Labels, TrackingLabel)

	again, created, err := f.c.EnsureIssue(ctx, "v2026-11-22", "Release v2026-11-22", 0)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, i.Number, again.Number)

	other, created, err := f.c.EnsureIssue(ctx, "v2026-12-01", "Release v2026-12-01", 0)
	require.NoError(t, err)
	assert.True(t, created)
	assert.NotEqual(t, i.Number, other.Number)
	assert.Len(t, f.srv.Issues(owner, repo), 2)
}

func TestEnsureIssueAdoptsTheNamedIssue(t *testing.T) {
	f := newFixture(t)
	n := f.srv.AddIssue(owner, repo, "maintainer", "November release", "Plan: fix malaria names first.")
	i, created, err := f.c.EnsureIssue(context.Background(), "v2026-11-22", "ignored", n)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, n, i.Number)
	assert.True(t, strings.HasPrefix(i.Body, "Plan: fix malaria names first."))
	found, err := f.c.FindIssue(context.Background(), "v2026-11-22")
	require.NoError(t, err)
	require.NotNil(t, found)
	assert.Equal(t, n, found.Number)
}

func TestConcurrentRunsConvergeOnOneOpenIssue(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	numbers := make([]int, 4)
	for k := range numbers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i, _, err := f.c.EnsureIssue(context.Background(), "v2026-11-22", "Release v2026-11-22", 0)
			assert.NoError(t, err)
			if i != nil {
				numbers[k] = i.Number
			}
		}()
	}
	wg.Wait()
	for _, n := range numbers {
		assert.Equal(t, numbers[0], n, "every run must settle on the same issue")
	}
	open := 0
	for _, i := range f.srv.Issues(owner, repo) {
		if i.GetState() == "open" {
			open++
			assert.Equal(t, numbers[0], i.GetNumber())
		}
	}
	assert.Equal(t, 1, open)
}

func TestUpdateSectionWritesOnlyWhenChangedAndKeepsPeoplesText(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	i, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
	require.NoError(t, err)
	// A person edits the issue.
	require.NoError(t, f.c.EditIssueBody(ctx, i.Number, "Reviewer note: check sets.\n\n"+i.Body))
	i, err = f.c.GetIssue(ctx, i.Number)
	require.NoError(t, err)

	sec, err := RenderSection("phase: qa", map[string]string{"phase": "qa"})
	require.NoError(t, err)
	changed, err := f.c.UpdateSection(ctx, i, sec)
	require.NoError(t, err)
	assert.True(t, changed)

	writes := f.srv.Writes()
	changed, err = f.c.UpdateSection(ctx, i, sec)
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Equal(t, writes, f.srv.Writes(), "an unchanged section makes no request at all")

	got, err := f.c.GetIssue(ctx, i.Number)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(got.Body, "Reviewer note: check sets.\n\n"))
	var st map[string]string
	require.NoError(t, ReadState(got.Body, &st))
	assert.Equal(t, "qa", st["phase"])
}

func TestReconcileLabels(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	i, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
	require.NoError(t, err)
	managed := []string{"release:qa", "release:exporting", "release:done"}
	require.NoError(t, f.c.ReconcileLabels(ctx, i, []string{"release:qa"}, managed))
	require.NoError(t, f.c.ReconcileLabels(ctx, i, []string{"release:exporting"}, managed))
	got, err := f.c.GetIssue(ctx, i.Number)
	require.NoError(t, err)
	assert.Equal(t, []string{"release:exporting", TrackingLabel}, got.Labels)
	assert.Equal(t, got.Labels, i.Labels, "the local copy follows")

	writes := f.srv.Writes()
	require.NoError(t, f.c.ReconcileLabels(ctx, got, []string{"release:exporting"}, managed))
	assert.Equal(t, writes, f.srv.Writes())
}

func TestMilestonePostedOnceEvenWhenStateWasLost(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	i, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
	require.NoError(t, err)
	id, posted, err := f.c.PostMilestone(ctx, i.Number, "v1", "qa-warnings", "QA passed with 3 warnings", 0)
	require.NoError(t, err)
	assert.True(t, posted)
	// The state write was lost (crash): the marker finds the comment.
	id2, posted, err := f.c.PostMilestone(ctx, i.Number, "v1", "qa-warnings", "QA passed with 3 warnings", 0)
	require.NoError(t, err)
	assert.False(t, posted)
	assert.Equal(t, id, id2)
	// With the id recorded, no request at all.
	before := len(f.srv.Requests())
	_, posted, err = f.c.PostMilestone(ctx, i.Number, "v1", "qa-warnings", "x", id)
	require.NoError(t, err)
	assert.False(t, posted)
	assert.Len(t, f.srv.Requests(), before)
	assert.Len(t, f.srv.Comments(owner, repo, i.Number), 1)
}

func TestLongCommentsAreCutToFit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	i, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
	require.NoError(t, err)
	long := strings.Repeat("é", MaxCommentChars)
	_, _, err = f.c.PostMilestone(ctx, i.Number, "v1", "failed", long, 0)
	require.NoError(t, err)
	cs := f.srv.Comments(owner, repo, i.Number)
	require.Len(t, cs, 1)
	assert.LessOrEqual(t, len(cs[0].GetBody()), MaxCommentChars)
	assert.Contains(t, cs[0].GetBody(), "cut to fit")
}

func TestUpsertCommentEditsInPlace(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n := f.srv.AddIssue(owner, repo, "maintainer", "PR", "")
	_, changed, err := f.c.UpsertComment(ctx, n, "preview", "pr", "QA: 2 errors")
	require.NoError(t, err)
	assert.True(t, changed)
	_, changed, err = f.c.UpsertComment(ctx, n, "preview", "pr", "QA: 2 errors")
	require.NoError(t, err)
	assert.False(t, changed)
	_, changed, err = f.c.UpsertComment(ctx, n, "preview", "pr", "QA: no errors")
	require.NoError(t, err)
	assert.True(t, changed)
	cs := f.srv.Comments(owner, repo, n)
	require.Len(t, cs, 1)
	assert.Contains(t, cs[0].GetBody(), "QA: no errors")
}

func TestCommitStatusNotRepeated(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sha := f.srv.BranchSHA(owner, repo, "main")
	set, err := f.c.SetStatus(ctx, sha, QAContext, StatusSuccess, "QA: no errors, 2 warnings", "")
	require.NoError(t, err)
	assert.True(t, set)
	set, err = f.c.SetStatus(ctx, sha, QAContext, StatusSuccess, "QA: no errors, 2 warnings", "")
	require.NoError(t, err)
	assert.False(t, set)
}

func TestTagAndReleaseAreIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sha := f.srv.BranchSHA(owner, repo, "main")
	created, err := f.c.EnsureTag(ctx, "v1", sha)
	require.NoError(t, err)
	assert.True(t, created)
	created, err = f.c.EnsureTag(ctx, "v1", sha)
	require.NoError(t, err)
	assert.False(t, created)
	_, err = f.c.EnsureTag(ctx, "v1", strings.Repeat("0", 40))
	assert.ErrorContains(t, err, "refusing to move a release tag")

	r1, changed, err := f.c.EnsureRelease(ctx, "v1", "v1", "notes")
	require.NoError(t, err)
	assert.True(t, changed)
	r2, changed, err := f.c.EnsureRelease(ctx, "v1", "v1", "notes")
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Equal(t, r1.ID, r2.ID)
	_, changed, err = f.c.EnsureRelease(ctx, "v1", "v1", "notes with new links")
	require.NoError(t, err)
	assert.True(t, changed)
}

func TestRetriesServerErrorsAndShortRateLimits(t *testing.T) {
	cases := []struct {
		name  string
		fault githubtest.Fault
	}{
		{"bad gateway", githubtest.BadGateway},
		{"server error", githubtest.ServerError},
		{"secondary rate limit", githubtest.SecondaryRateLimit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, githubtest.WithSecondaryRetryAfter(30*time.Second))
			f.srv.FailNext(githubtest.Match{Method: "POST"}, 2, tc.fault)
			i, _, err := f.c.EnsureIssue(context.Background(), "v1", "Release v1", 0)
			require.NoError(t, err)
			assert.NotZero(t, i.Number)
			assert.Len(t, f.sleeps, 2)
			if tc.fault == githubtest.SecondaryRateLimit {
				assert.Equal(t, []time.Duration{30 * time.Second, 30 * time.Second}, f.sleeps)
			} else {
				assert.Equal(t, []time.Duration{time.Second, 4 * time.Second}, f.sleeps)
			}
		})
	}
}

func TestLongRateLimitsFailClearly(t *testing.T) {
	t.Run("secondary", func(t *testing.T) {
		f := newFixture(t, githubtest.WithSecondaryRetryAfter(time.Hour))
		f.srv.FailNext(githubtest.Match{Method: "GET"}, 1, githubtest.SecondaryRateLimit)
		_, err := f.c.FindIssue(context.Background(), "v1")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "secondary rate limit asks to wait 1h0m0s")
		assert.Contains(t, err.Error(), "re-run later")
		assert.Empty(t, f.sleeps)
	})
	t.Run("primary", func(t *testing.T) {
		f := newFixture(t)
		f.srv.FailNext(githubtest.Match{Method: "GET"}, 1, githubtest.PrimaryRateLimit)
		_, err := f.c.FindIssue(context.Background(), "v1")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "rate limit is used up until")
		assert.Contains(t, err.Error(), "re-run later")
		assert.Empty(t, f.sleeps)
	})
}

func TestPrimaryRateLimitWaitsForAResetThatIsNear(t *testing.T) {
	// The fake resets its window an hour after its clock: put its clock so that the
	// reset comes 30 seconds from now.
	fakeNow := time.Now().Add(-time.Hour + 30*time.Second)
	f := newFixture(t, githubtest.WithClock(func() time.Time { return fakeNow }))
	f.srv.FailNext(githubtest.Match{Method: "GET"}, 1, githubtest.PrimaryRateLimit)
	_, err := f.c.FindIssue(context.Background(), "v1")
	require.NoError(t, err)
	require.Len(t, f.sleeps, 1)
	assert.InDelta(t, 31*time.Second, f.sleeps[0], float64(20*time.Second), "about the 30 s left before the reset, not an hour")
}

func TestRepeatedReadsAreConditional(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	i, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
	require.NoError(t, err)
	f.srv.ResetRequests()
	remaining := f.srv.RateRemaining()
	for k := 0; k < 3; k++ {
		got, err := f.c.FindIssue(ctx, "v1")
		require.NoError(t, err)
		require.NotNil(t, got)
		assert.Equal(t, i.Number, got.Number)
	}
	statuses := map[int]int{}
	for _, r := range f.srv.Requests() {
		statuses[r.Status]++
	}
	// EnsureIssue read the listing last: nothing changed since, so every read is a 304.
	assert.Equal(t, map[int]int{304: 3}, statuses)
	assert.Equal(t, remaining, f.srv.RateRemaining(), "304s do not count against the rate limit")

	// A change is seen at once: the ETag no longer matches.
	require.NoError(t, f.c.EditIssueBody(ctx, i.Number, i.Body+"\nedited"))
	got, err := f.c.FindIssue(ctx, "v1")
	require.NoError(t, err)
	assert.Contains(t, got.Body, "edited")
}
