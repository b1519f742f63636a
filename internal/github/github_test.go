package github

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v62/github"
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

// An issue a person opened and named with issue: is adopted without a word written into
// the person's body: the bot's status lives in a comment of its own there.
func TestEnsureIssueAdoptsTheNamedIssue(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const plan = "Plan: fix malaria names first."
	n := f.srv.AddIssue(owner, repo, "maintainer", "November release", plan)
	i, created, err := f.c.EnsureIssue(ctx, "v2026-11-22", "ignored", n)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, n, i.Number)
	require.NotNil(t, i.Status, "the bot keeps its status in its own comment")
	assert.Equal(t, "shepherd-bot", i.Status.Author)
	assert.Equal(t, plan, f.srv.Issues(owner, repo)[0].GetBody(), "the person's body is not touched")

	sec, err := RenderSection("phase: qa", map[string]string{"phase": "qa"})
	require.NoError(t, err)
	_, err = f.c.SaveSection(ctx, i, sec, sec)
	require.NoError(t, err)
	assert.Equal(t, plan, f.srv.Issues(owner, repo)[0].GetBody())

	found, err := f.c.FindIssue(ctx, "v2026-11-22")
	require.NoError(t, err)
	require.NotNil(t, found)
	assert.Equal(t, n, found.Number)
	assert.Equal(t, "qa", stateOf(t, found.StatusText())["phase"])

	again, _, err := f.c.EnsureIssue(ctx, "v2026-11-22", "ignored", n)
	require.NoError(t, err)
	assert.Equal(t, i.Status.ID, again.Status.ID, "adopted once")
	assert.Len(t, f.srv.Comments(owner, repo, n), 1)
}

func stateOf(t *testing.T, text string) map[string]string {
	t.Helper()
	var st map[string]string
	require.NoError(t, ReadState(text, &st))
	return st
}

// issue: may not name a pull request or the tracking issue of another release: the new
// release would stall (a PR is no issue) or be swallowed by the old record.
func TestNamedIssueMustBeFreeForTheRelease(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.srv.SetFile(owner, repo, "main", "README.md", "x")
	f.srv.SetFile(owner, repo, "release/v2", "releases/v2.yaml", "version: v2")
	pr := f.srv.AddPullRequest(owner, repo, "maintainer", "release/v2", "main", "Release v2", "")
	_, _, err := f.c.EnsureIssue(ctx, "v2", "Release v2", pr)
	assert.ErrorContains(t, err, "is a pull request")

	old, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
	require.NoError(t, err)
	_, _, err = f.c.EnsureIssue(ctx, "v2", "Release v2", old.Number)
	assert.ErrorContains(t, err, "is the tracking issue of release v1")

	adopted := f.srv.AddIssue(owner, repo, "maintainer", "Plans", "")
	_, _, err = f.c.EnsureIssue(ctx, "v3", "Release v3", adopted)
	require.NoError(t, err)
	_, err = f.c.CheckNamedIssue(ctx, adopted, "v2")
	assert.ErrorContains(t, err, "is the tracking issue of release v3")
}

// Only what the bot wrote makes a tracking issue: a person's issue with the label and a
// copied marker and record is nothing, while the bot's own issue is found closed and
// without its label.
func TestListTrackingBelievesOnlyTheBot(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mine, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
	require.NoError(t, err)
	forged, err := RenderSection("done", map[string]string{"phase": "done"})
	require.NoError(t, err)
	f.srv.AddIssue(owner, repo, "mallory", "Release v2", releaseMarker("v2")+"\n"+forged, TrackingLabel)
	other := f.srv.AddIssue(owner, repo, "mallory", "Release v3", "", TrackingLabel)
	f.srv.AddComment(owner, repo, other, "mallory", statusMarker("v3")+"\n"+forged)

	gh := f.srv.Client(t)
	_, _, err = gh.Issues.Edit(ctx, owner, repo, mine.Number, &ghIssueRequestClosed)
	require.NoError(t, err)
	_, err = gh.Issues.RemoveLabelForIssue(ctx, owner, repo, mine.Number, TrackingLabel)
	require.NoError(t, err)

	f.srv.ResetRequests()
	all, err := f.c.ListTracking(ctx)
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, 1, f.srv.CountBy("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
		"only a labelled issue with comments is searched for the bot's status comment")
	assert.Equal(t, mine.Number, all[0].Number)
	assert.Equal(t, "v1", all[0].Version)
	assert.Equal(t, "closed", all[0].State)
	for _, v := range []string{"v2", "v3"} {
		found, err := f.c.FindIssue(ctx, v)
		require.NoError(t, err)
		assert.Nil(t, found, v)
	}
}

// A comment anyone can post carrying the bot's milestone or preview marker does not stand
// for the bot's: the bot posts its own.
func TestMarkersInOthersCommentsAreNotTheBots(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	i, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
	require.NoError(t, err)
	f.srv.AddComment(owner, repo, i.Number, "mallory", "ready! "+Marker("milestone", "v1/export-ready"))
	_, posted, err := f.c.PostMilestone(ctx, i.Number, "v1", "export-ready", "The files are ready", 0)
	require.NoError(t, err)
	assert.True(t, posted)

	pr := f.srv.AddIssue(owner, repo, "contributor", "Release PR", "")
	f.srv.AddComment(owner, repo, pr, "mallory", "all good "+Marker("preview", "release-pr"))
	cm, created, err := f.c.UpsertComment(ctx, pr, "preview", "release-pr", "QA: 2 errors")
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, "shepherd-bot", cm.Author)
	cs := f.srv.Comments(owner, repo, pr)
	require.Len(t, cs, 2)
	assert.Contains(t, cs[0].GetBody(), "all good", "the person's comment is left as it was")
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

func TestSaveSectionWritesOnlyWhenChangedAndKeepsPeoplesText(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	i, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
	require.NoError(t, err)
	sec, err := RenderSection("phase: qa", map[string]string{"phase": "qa"})
	require.NoError(t, err)
	changed, err := f.c.SaveSection(ctx, i, sec, sec)
	require.NoError(t, err)
	assert.True(t, changed)

	// A person edits the issue after the bot read it: the next save keeps the edit.
	require.NoError(t, f.c.EditIssueBody(ctx, i.Number, "Reviewer note: check sets.\n\n"+i.Body))
	sec, err = RenderSection("phase: deploy", map[string]string{"phase": "deploy"})
	require.NoError(t, err)
	changed, err = f.c.SaveSection(ctx, i, sec, sec)
	require.NoError(t, err)
	assert.True(t, changed)

	writes := f.srv.Writes()
	changed, err = f.c.SaveSection(ctx, i, sec, sec)
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Equal(t, writes, f.srv.Writes(), "an unchanged section is not written")

	got, err := f.c.GetIssue(ctx, i.Number)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(got.Body, "Reviewer note: check sets.\n\n"))
	assert.Equal(t, "deploy", stateOf(t, got.Body)["phase"])

	// The marker the bot finds its issue by, deleted by someone, is put back.
	require.NoError(t, f.c.EditIssueBody(ctx, i.Number, strings.Replace(got.Body, releaseMarker("v1"), "", 1)))
	sec, err = RenderSection("phase: exporting", map[string]string{"phase": "exporting"})
	require.NoError(t, err)
	_, err = f.c.SaveSection(ctx, i, sec, sec)
	require.NoError(t, err)
	found, err := f.c.FindIssue(ctx, "v1")
	require.NoError(t, err)
	require.NotNil(t, found)
	assert.Equal(t, i.Number, found.Number)
}

// Another run saving meanwhile is noticed before anything is overwritten.
func TestSaveSectionRefusesToOverwriteAnotherRunsState(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	i, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
	require.NoError(t, err)
	other, err := f.c.GetIssue(ctx, i.Number)
	require.NoError(t, err)
	mine, err := RenderSection("a", map[string]string{"run": "a"})
	require.NoError(t, err)
	theirs, err := RenderSection("b", map[string]string{"run": "b"})
	require.NoError(t, err)
	_, err = f.c.SaveSection(ctx, other, theirs, theirs)
	require.NoError(t, err)
	_, err = f.c.SaveSection(ctx, i, mine, mine)
	assert.ErrorIs(t, err, ErrConflict)
	assert.ErrorIs(t, f.c.CheckUnchanged(ctx, i), ErrConflict)
	assert.NoError(t, f.c.CheckUnchanged(ctx, other))
	got, err := f.c.GetIssue(ctx, i.Number)
	require.NoError(t, err)
	assert.Equal(t, "b", stateOf(t, got.Body)["run"])
}

// A body that would pass GitHub's 65,536 characters gets the compact status; one that
// cannot fit at all is refused with what to do.
func TestSaveSectionKeepsTheBodyWithinGitHubsLimit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	i, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
	require.NoError(t, err)
	require.NoError(t, f.c.EditIssueBody(ctx, i.Number, strings.Repeat("é", 60000)+"\n\n"+i.Body))
	full, err := RenderSection(strings.Repeat("timeline line\n", 1000), map[string]string{"phase": "qa"})
	require.NoError(t, err)
	compact, err := RenderSection("short", map[string]string{"phase": "qa"})
	require.NoError(t, err)
	_, err = f.c.SaveSection(ctx, i, full, compact)
	require.NoError(t, err)
	got, err := f.c.GetIssue(ctx, i.Number)
	require.NoError(t, err)
	assert.LessOrEqual(t, utf8.RuneCountInString(got.Body), MaxBodyChars)
	assert.Contains(t, got.Body, "short")

	require.NoError(t, f.c.EditIssueBody(ctx, i.Number, strings.Repeat("é", 65400)+"\n\n"+got.Body[strings.Index(got.Body, sectionStart):]))
	i, err = f.c.GetIssue(ctx, i.Number)
	require.NoError(t, err)
	_, err = f.c.SaveSection(ctx, i, full, full)
	assert.ErrorContains(t, err, "over GitHub's 65536")
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

	// Withdrawing renames it, keeps it off "latest" and is written once.
	_, err = f.c.EnsureTag(ctx, "v2", sha)
	require.NoError(t, err)
	_, _, err = f.c.EnsureRelease(ctx, "v2", "v2", "notes")
	require.NoError(t, err)
	latest, _, err := f.srv.Client(t).Repositories.GetLatestRelease(ctx, owner, repo)
	require.NoError(t, err)
	assert.Equal(t, "v2", latest.GetTagName())
	_, changed, err = f.c.WithdrawRelease(ctx, "v2", "Withdrawn: wrong units — v2", "**Withdrawn: wrong units**\n\nnotes")
	require.NoError(t, err)
	assert.True(t, changed)
	_, changed, err = f.c.WithdrawRelease(ctx, "v2", "Withdrawn: wrong units — v2", "**Withdrawn: wrong units**\n\nnotes")
	require.NoError(t, err)
	assert.False(t, changed, "a second withdrawal writes nothing")
	latest, _, err = f.srv.Client(t).Repositories.GetLatestRelease(ctx, owner, repo)
	require.NoError(t, err)
	assert.Equal(t, "v1", latest.GetTagName(), "the withdrawn release is no longer the latest")
	_, _, err = f.c.WithdrawRelease(ctx, "v3", "x", "y")
	assert.ErrorIs(t, err, ErrNotFound)
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
		assert.Contains(t, err.Error(), "secondary rate limit asks to wait 1 h,")
		assert.Contains(t, err.Error(), "try again later")
		assert.Empty(t, f.sleeps)
	})
	t.Run("primary", func(t *testing.T) {
		f := newFixture(t)
		f.srv.FailNext(githubtest.Match{Method: "GET"}, 1, githubtest.PrimaryRateLimit)
		_, err := f.c.FindIssue(context.Background(), "v1")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "rate limit is used up until")
		assert.Contains(t, err.Error(), "try again later")
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
	// EnsureIssue read the listings last (the bot's issues, the labelled ones): nothing
	// changed since, so every read is a 304.
	assert.Equal(t, map[int]int{304: 6}, statuses)
	assert.Equal(t, remaining, f.srv.RateRemaining(), "304s do not count against the rate limit")

	// A change is seen at once: the ETag no longer matches.
	require.NoError(t, f.c.EditIssueBody(ctx, i.Number, i.Body+"\nedited"))
	got, err := f.c.FindIssue(ctx, "v1")
	require.NoError(t, err)
	assert.Contains(t, got.Body, "edited")
}

var ghIssueRequestClosed = gh.IssueRequest{State: gh.String("closed")}

// Label names go into URL paths: one with "/" or "?" must reach its own route.
func TestLabelNamesAreEscapedInPaths(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	i, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
	require.NoError(t, err)
	odd := []string{"release/qa", "release?done#1", "100% done"}
	require.NoError(t, f.c.ReconcileLabels(ctx, i, odd[:2], odd))
	require.NoError(t, f.c.ReconcileLabels(ctx, i, odd[2:], odd))
	assert.ElementsMatch(t, []string{TrackingLabel, "100% done"}, f.srv.IssueLabels(owner, repo, i.Number))
}

// Who the bot is: a user token's login; github-actions[bot] for the workflow's token (an
// installation token, which GET /user refuses); <slug>[bot] for an App.
func TestLoginIsWhoWritesForTheBot(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	login, err := f.c.Login(ctx)
	require.NoError(t, err)
	assert.Equal(t, "shepherd-bot", login)

	srv := githubtest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddRepo(owner, repo, "main")
	app, err := New(ctx, owner, repo, Options{BaseURL: srv.URL(), Auth: Auth{AppID: 7, AppPrivateKey: githubtest.AppKey(t), InstallationID: 1}})
	require.NoError(t, err)
	login, err = app.Login(ctx)
	require.NoError(t, err)
	assert.Equal(t, githubtest.AppLogin, login)

	// The App's installation token handed over as a plain token, as Actions hands over
	// GITHUB_TOKEN.
	jwt := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`)) + ".e30.signature"
	tok, _, err := srv.ClientWithToken(t, jwt).Apps.CreateInstallationToken(ctx, 1, nil)
	require.NoError(t, err)
	plain, err := New(ctx, owner, repo, Options{BaseURL: srv.URL(), Auth: Auth{Token: tok.GetToken()}})
	require.NoError(t, err)
	login, err = plain.Login(ctx)
	require.NoError(t, err)
	assert.Equal(t, ActionsLogin, login)
}

// An approval stands until the same reviewer requests changes; comment-only reviews do
// not count either way.
func TestApprovedFollowsEachReviewersLatestVerdict(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.srv.SetFile(owner, repo, "release", "releases/v2024-06-01.yaml", "version: v2024-06-01\n")
	n := f.srv.AddPullRequest(owner, repo, "bob", "release", "main", "Release", "")
	approved, err := f.c.Approved(ctx, n)
	require.NoError(t, err)
	assert.False(t, approved)
	f.srv.AddReview(owner, repo, n, "alice", "APPROVED")
	f.srv.AddReview(owner, repo, n, "alice", "COMMENTED")
	approved, err = f.c.Approved(ctx, n)
	require.NoError(t, err)
	assert.True(t, approved, "a comment does not withdraw an approval")
	f.srv.AddReview(owner, repo, n, "alice", "CHANGES_REQUESTED")
	approved, err = f.c.Approved(ctx, n)
	require.NoError(t, err)
	assert.False(t, approved)
}

// The wait is measured from the first status of the current unbroken run of one state.
func TestStatusSinceStartsAtTheRunOfTheCurrentState(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sha := f.srv.BranchSHA(owner, repo, "main")
	state, _, err := f.c.StatusSince(ctx, sha, QAContext)
	require.NoError(t, err)
	assert.Empty(t, state)
	_, err = f.c.SetStatus(ctx, sha, QAContext, StatusFailure, "QA: 1 error", "")
	require.NoError(t, err)
	_, err = f.c.SetStatus(ctx, sha, QAContext, StatusSuccess, "QA: no errors", "")
	require.NoError(t, err)
	_, err = f.c.SetStatus(ctx, sha, QAContext, StatusSuccess, "QA: no errors, 1 warning", "")
	require.NoError(t, err)
	statuses := f.srv.Statuses(owner, repo, sha) // newest first
	require.Len(t, statuses, 3)
	state, since, err := f.c.StatusSince(ctx, sha, QAContext)
	require.NoError(t, err)
	assert.Equal(t, StatusSuccess, state)
	assert.Equal(t, statuses[1].GetCreatedAt().Time, since, "the first green status, not the re-post")
}
