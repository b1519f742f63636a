package steps_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// Anyone may open an issue on a public repository; a maintainer may name it in a manifest.
const mallory = "mallory"

// forgedSection is a status section a person wrote by hand, holding rec.
func forgedSection(t *testing.T, rec *steps.Record) string {
	t.Helper()
	sec, err := github.RenderSection("all fine", rec)
	require.NoError(t, err)
	return sec
}

// forgedRecord walks a record through events, as the bot would have recorded them.
func forgedRecord(t *testing.T, at time.Time, events ...release.Event) *steps.Record {
	t.Helper()
	st := release.New(version, at)
	for _, ev := range events {
		require.NoError(t, st.Apply(ev, at, "forged", 0))
	}
	return &steps.Record{Release: *st, Org: "CIEL", Source: "CIEL", Description: "FORGED description", Exports: []string{}}
}

// An issue a person wrote and a manifest named with issue: carries a record saying the
// release is at deploy. The bot does not believe it: QA on HEAD runs, and the bot's status
// goes into a comment of its own, not the person's body.
func TestRecordInAPersonsIssueIsNotBelieved(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 31, Concepts: 80}, ocltest.ExportPlan{})
	ctx := context.Background()
	m, sha, _ := openAndMerge(t, sb)
	body := "Release plan.\n\n" + forgedSection(t, forgedRecord(t, sb.Clock.Now(), release.ManifestValid, release.QAPassed))
	m.Issue = sb.GitHub.AddIssue(sandbox.Owner, sandbox.Repo, mallory, "Release "+version, body)

	rec, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	assert.Equal(t, release.Exporting, rec.Release.Phase)
	require.NotNil(t, rec.HeadQA, "QA on HEAD ran: the forged deploy phase was not believed")
	assert.NotEqual(t, "FORGED description", rec.Description)
	issue := sb.GitHub.Issues(sandbox.Owner, sandbox.Repo)
	var adopted *gh.Issue
	for _, i := range issue {
		if i.GetNumber() == m.Issue {
			adopted = i
		}
	}
	require.NotNil(t, adopted)
	assert.Equal(t, body, adopted.GetBody(), "the person's body is left as written")
	var botComments int
	for _, c := range sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, m.Issue) {
		if c.GetUser().GetLogin() == "shepherd-bot" && strings.Contains(c.GetBody(), "<!-- shepherd:status "+version+" -->") {
			botComments++
		}
	}
	assert.Equal(t, 1, botComments, "the status lives in the bot's own comment")
	got, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	assert.Equal(t, m.Issue, got.Issue)
	assert.Equal(t, release.Exporting, got.Release.Phase)
}

// mergedRelease is a release merged and past version creation, with its tracking issue.
func mergedRelease(t *testing.T, seed int64, plan ocltest.ExportPlan) (sb *sandbox.Sandbox, m *manifest.Manifest, sha string, number int) {
	t.Helper()
	sb = newSandbox(t, dataset.Spec{Seed: seed, Concepts: 80}, plan)
	m, sha, _ = openAndMerge(t, sb)
	_, err := sb.Env.Merged(context.Background(), m, sha)
	require.NoError(t, err)
	number, _, _ = onlyIssue(t, sb)
	return sb, m, sha, number
}

// publishedRelease runs a release to done and returns it.
func publishedRelease(t *testing.T, sb *sandbox.Sandbox) (*steps.Record, *manifest.Manifest) {
	t.Helper()
	m, sha, _ := openAndMerge(t, sb)
	_, err := sb.Env.Merged(context.Background(), m, sha)
	require.NoError(t, err)
	pollUntilSettled(t, sb, 5)
	rec, err := sb.Env.Status(context.Background(), version)
	require.NoError(t, err)
	require.Equal(t, release.Done, rec.Release.Phase)
	return rec, m
}

// A person's labelled issue holding a record of a published release, "done" with an upload
// time 20 days old and a forged description: the janitor neither deletes the live files
// early nor rewrites the GitHub Release with the forged text.
func TestForgedDoneRecordMakesTheJanitorDoNothing(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 32, Concepts: 80}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	ctx := context.Background()
	real, _ := publishedRelease(t, sb)
	notes := sb.GitHub.Releases(sandbox.Owner, sandbox.Repo)[0].GetBody()

	for _, uploaded := range []time.Duration{20 * 24 * time.Hour, 6 * 24 * time.Hour} {
		forged := *real
		forged.Description = "FORGED description"
		forged.UploadedAt = sb.Clock.Now().Add(-uploaded)
		forged.Downloads = append([]steps.Download(nil), real.Downloads...)
		for i := range forged.Downloads {
			forged.Downloads[i].ValidUntil = sb.Clock.Now().Add(time.Hour) // due for a new link
			forged.Downloads[i].SHA256 = strings.Repeat("0", 64)
		}
		sb.GitHub.AddIssue(sandbox.Owner, sandbox.Repo, mallory, "Release "+version, forgedSection(t, &forged), github.TrackingLabel)
	}
	out, err := sb.Env.Janitor(ctx)
	require.NoError(t, err)
	for _, o := range out {
		assert.False(t, o.Removed, "%+v", o)
	}
	left, err := sb.Env.Store.List(ctx, sb.Config.Storage.Prefix+"/"+version)
	require.NoError(t, err)
	assert.Len(t, left, 12, "the live release's files are all there")
	assert.Equal(t, notes, sb.GitHub.Releases(sandbox.Owner, sandbox.Repo)[0].GetBody(), "the GitHub Release is not rewritten")
}

// A record whose timeline is empty (someone edited the section) neither panics the poll
// nor the janitor: it is refused, said so, and left alone.
func TestRecordWithAnEmptyTimelineIsRefusedNotPanicked(t *testing.T) {
	sb, _, _, number := mergedRelease(t, 33, ocltest.ExportPlan{Ready: ocltest.NeverReady})
	ctx := context.Background()
	_, _, body := onlyIssue(t, sb)
	start := strings.Index(body, `"transitions":[`)
	require.Positive(t, start)
	end := strings.Index(body[start:], "]}")
	broken := body[:start] + `"transitions":[]` + body[start+end+1:]
	_, _, err := sb.GitHub.Client(t).Issues.Edit(ctx, sandbox.Owner, sandbox.Repo, number, &gh.IssueRequest{Body: gh.String(broken)})
	require.NoError(t, err)

	require.NotPanics(t, func() {
		out, err := sb.Env.Poll(ctx)
		require.NoError(t, err)
		require.Len(t, out, 1)
		require.Error(t, out[0].Err)
		assert.Contains(t, out[0].Err.Error(), "the timeline is empty")
	})
	require.NotPanics(t, func() {
		_, err := sb.Env.Janitor(ctx)
		require.NoError(t, err)
	})
	_, _, after := onlyIssue(t, sb)
	assert.Equal(t, broken, after, "nothing was written over it")
}

// A commenter copies the bot's milestone marker onto the tracking issue before the export
// is ready: the bot still announces the release itself.
func TestMilestoneMarkerInAPersonsCommentDoesNotSilenceTheBot(t *testing.T) {
	sb, _, _, number := mergedRelease(t, 34, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	sb.GitHub.AddComment(sandbox.Owner, sandbox.Repo, number, mallory, "done already <!-- shepherd:milestone "+version+"/export-ready -->")
	pollUntilSettled(t, sb, 5)
	var bots int
	for _, c := range sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, number) {
		if c.GetUser().GetLogin() == "shepherd-bot" && strings.Contains(c.GetBody(), "/export-ready -->") {
			bots++
			assert.Contains(t, c.GetBody(), "is ready")
		}
	}
	assert.Equal(t, 1, bots)
}

// The same for the PR preview comment: a person's comment with the marker is neither
// edited nor taken for the bot's.
func TestPreviewMarkerInAPersonsCommentIsNotTheBots(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 35, Concepts: 80}, ocltest.ExportPlan{})
	ctx := context.Background()
	pr, _, err := sb.Env.StartRelease(ctx, version)
	require.NoError(t, err)
	const theirs = "LGTM <!-- shepherd:preview release-pr -->"
	sb.GitHub.AddComment(sandbox.Owner, sandbox.Repo, pr.Number, mallory, theirs)
	_, err = sb.Env.Preview(ctx, pr.Number, false)
	require.NoError(t, err)
	cs := sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, pr.Number)
	require.Len(t, cs, 2)
	assert.Equal(t, theirs, cs[0].GetBody())
	assert.Equal(t, "shepherd-bot", cs[1].GetUser().GetLogin())
	assert.Contains(t, cs[1].GetBody(), "Shepherd release preview")
}

// A person closes the tracking issue while the export is being built: the release is
// carried on all the same.
func TestClosedTrackingIssueIsCarriedOn(t *testing.T) {
	sb, _, _, number := mergedRelease(t, 36, ocltest.ExportPlan{NonePolls: 1, Ready: ocltest.ReadyRedirect302})
	ctx := context.Background()
	_, _, err := sb.GitHub.Client(t).Issues.Edit(ctx, sandbox.Owner, sandbox.Repo, number, &gh.IssueRequest{State: gh.String("closed")})
	require.NoError(t, err)
	pollUntilSettled(t, sb, 5)
	rec, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	assert.Equal(t, release.Done, rec.Release.Phase)
}

// A person removes the shepherd label: the next merge run finds the issue all the same
// (by what the bot wrote), opens no second one, and puts the label back.
func TestRemovedTrackingLabelMakesNoSecondIssue(t *testing.T) {
	sb, m, sha, number := mergedRelease(t, 37, ocltest.ExportPlan{})
	ctx := context.Background()
	_, err := sb.GitHub.Client(t).Issues.RemoveLabelForIssue(ctx, sandbox.Owner, sandbox.Repo, number, github.TrackingLabel)
	require.NoError(t, err)
	require.NoError(t, sb.Restart(ctx))
	_, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	again, labels, _ := onlyIssue(t, sb)
	assert.Equal(t, number, again)
	assert.Contains(t, labels, github.TrackingLabel, "the label is reconciled like the phase labels")
}

// issue: naming the release PR, or the tracking issue of an earlier release, is refused
// by the preview (and the merge) instead of stalling or swallowing the new release.
func TestIssueNamingAPullRequestOrAnotherReleaseIsRefused(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 38, Concepts: 80}, ocltest.ExportPlan{})
	ctx := context.Background()
	earlier := "v2026-11-01"
	_, err := sb.Env.Merged(ctx, manifest.DefaultManifest(earlier, sb.Config), "")
	require.NoError(t, err)
	old, err := sb.Env.GitHub.FindIssue(ctx, earlier)
	require.NoError(t, err)
	require.NotNil(t, old)

	pr, _, err := sb.Env.StartRelease(ctx, version)
	require.NoError(t, err)
	for _, tc := range []struct {
		issue int
		want  string
	}{
		{pr.Number, "is a pull request"},
		{old.Number, "is the tracking issue of release " + earlier},
	} {
		m := manifest.DefaultManifest(version, sb.Config)
		m.Issue = tc.issue
		data, err := manifest.Marshal(m)
		require.NoError(t, err)
		sb.GitHub.SetFile(sandbox.Owner, sandbox.Repo, pr.Head, manifest.ManifestPath(version), string(data))
		res, err := sb.Env.Preview(ctx, pr.Number, false)
		require.NoError(t, err)
		require.False(t, res.Passed)
		assert.Contains(t, strings.Join(res.Problems, "\n"), tc.want)
		_, err = sb.Env.Merged(ctx, m, "")
		assert.ErrorContains(t, err, tc.want)
	}
	rec, err := sb.Env.Status(ctx, earlier)
	require.NoError(t, err)
	assert.Equal(t, earlier, rec.Release.Version, "the earlier release's record is untouched")
}

// A retry that is carrying a release on holds its lease: the scheduled poll keeps off
// the release until the retry gives the lease back, or until the lease runs out if the
// retry's runner died holding it.
func TestPollKeepsOffAReleaseARetryHolds(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 39, Concepts: 80}, ocltest.ExportPlan{Ready: ocltest.NeverReady})
	ctx := context.Background()
	m, sha, _ := openAndMerge(t, sb)
	_, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	// The retry's runner died right after it took the lease (no give-back ran).
	leaveLease(t, sb, steps.LeaseRetry, "https://github.example.org/o/r/actions/runs/5", sb.Clock.Now())

	polls := sb.OCL.Count("GET", ocltest.RouteExport)
	sb.Clock.Advance(10 * time.Minute)
	out, err := sb.Env.Poll(ctx)
	require.NoError(t, err)
	assert.Empty(t, out, "nothing done for the release")
	assert.Equal(t, polls, sb.OCL.Count("GET", ocltest.RouteExport), "the poll left the retry's release alone")

	sb.Clock.Advance(time.Hour) // the lease ran out
	out, err = sb.Env.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.NoError(t, out[0].Err)
	assert.Equal(t, polls+1, sb.OCL.Count("GET", ocltest.RouteExport), "the poll carries the release on again")

	// A retry that ends gives its lease back: the object says so, and the poll goes on.
	_, err = sb.Env.Retry(ctx, m)
	require.NoError(t, err)
	l := readLease(t, sb)
	assert.Equal(t, steps.LeaseRetry, l.Holder)
	assert.False(t, l.Released.IsZero())
	sb.Clock.Advance(10 * time.Minute)
	out, err = sb.Env.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, out, 1)
}

// The manifest's notes, as merged, reach the GitHub Release (and stay when the janitor
// rewrites it with new links).
func TestManifestNotesReachTheGitHubRelease(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 40, Concepts: 80}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	ctx := context.Background()
	pr, _, err := sb.Env.StartRelease(ctx, version)
	require.NoError(t, err)
	m := manifest.DefaultManifest(version, sb.Config)
	m.Notes = "Malaria names fixed; 12 new drug concepts."
	data, err := manifest.Marshal(m)
	require.NoError(t, err)
	sb.GitHub.SetFile(sandbox.Owner, sandbox.Repo, pr.Head, manifest.ManifestPath(version), string(data))
	sha, err := sb.Env.GitHub.MergePullRequest(ctx, pr.Number, "Release "+version)
	require.NoError(t, err)
	_, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	pollUntilSettled(t, sb, 5)
	rels := sb.GitHub.Releases(sandbox.Owner, sandbox.Repo)
	require.Len(t, rels, 1)
	assert.Contains(t, rels[0].GetBody(), m.Notes)

	for day := 0; day < 8; day++ { // links renewed: the Release is rewritten
		sb.Clock.Advance(24 * time.Hour)
		_, err := sb.Env.Janitor(ctx)
		require.NoError(t, err)
	}
	require.Positive(t, sb.GitHub.CountBy("PATCH", "/repos/{owner}/{repo}/releases/{release_id}"), "the janitor rewrote the Release")
	rels = sb.GitHub.Releases(sandbox.Owner, sandbox.Repo)
	assert.Contains(t, rels[0].GetBody(), m.Notes)
}

// An issue a person opened, named with issue:, loses its label while the release is
// incomplete: a retry finds it all the same and puts the label back.
func TestRetryFindsANamedIssueWithoutItsLabel(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 41, Concepts: 80}, ocltest.ExportPlan{Ready: ocltest.NeverReady})
	sb.Config.Poll.MaxAttempts = 1
	ctx := context.Background()
	m, sha, _ := openAndMerge(t, sb)
	m.Issue = sb.GitHub.AddIssue(sandbox.Owner, sandbox.Repo, "maintainer", "November release", "Our plan.")
	_, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	pollUntilSettled(t, sb, 2)
	_, err = sb.GitHub.Client(t).Issues.RemoveLabelForIssue(ctx, sandbox.Owner, sandbox.Repo, m.Issue, github.TrackingLabel)
	require.NoError(t, err)
	rec, err := sb.Env.Retry(ctx, m)
	require.NoError(t, err)
	assert.Equal(t, m.Issue, rec.Issue)
	assert.Contains(t, sb.GitHub.IssueLabels(sandbox.Owner, sandbox.Repo, m.Issue), github.TrackingLabel)
}

// beforeIssueRead runs once, just before the bot first reads one issue by number: the
// moment between a run's work and its save.
type beforeIssueRead struct {
	next http.RoundTripper
	once sync.Once
	do   func()
}

func (b *beforeIssueRead) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/issues/") && !strings.Contains(r.URL.Path, "/comments") {
		b.once.Do(b.do)
	}
	return b.next.RoundTrip(r)
}

// A retry takes a release over while a poll is working on it: the poll's save finds the
// record changed and stops, leaving the retry's record as it is.
func TestPollYieldsToARunThatSavedMeanwhile(t *testing.T) {
	sb, _, _, number := mergedRelease(t, 42, ocltest.ExportPlan{Ready: ocltest.NeverReady})
	ctx := context.Background()
	var theirs string
	hook := &beforeIssueRead{do: func() {
		_, _, body := onlyIssue(t, sb)
		theirs = strings.Replace(body, `"attempts":0`, `"attempts":0,"lease":{"holder":"retry","since":"2026-11-22T08:10:00Z","until":"2026-11-22T09:00:00Z"}`, 1)
		require.NotEqual(t, body, theirs)
		_, _, err := sb.GitHub.Client(t).Issues.Edit(ctx, sandbox.Owner, sandbox.Repo, number, &gh.IssueRequest{Body: &theirs})
		require.NoError(t, err)
	}}
	sb.SetFaults(func(next http.RoundTripper) http.RoundTripper { hook.next = next; return hook }, nil)
	require.NoError(t, sb.Restart(ctx))
	sb.Clock.Advance(10 * time.Minute)
	out, err := sb.Env.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.NoError(t, out[0].Err, "yielding is not a failure")
	_, _, after := onlyIssue(t, sb)
	assert.Equal(t, theirs, after, "the other run's record is not written over")
}

// People write so much on the tracking issue that the full status would take it past
// GitHub's 65,536 characters: the status shortens itself and the release goes on.
func TestStatusShortensItselfToKeepTheIssueWithinGitHubsLimit(t *testing.T) {
	sb, _, _, number := mergedRelease(t, 43, ocltest.ExportPlan{NonePolls: 1, Ready: ocltest.ReadyRedirect302})
	ctx := context.Background()
	_, _, body := onlyIssue(t, sb)
	long := strings.Repeat("Notes from the review meeting. ", 2000)[:58000] + "\n\n" + body
	_, _, err := sb.GitHub.Client(t).Issues.Edit(ctx, sandbox.Owner, sandbox.Repo, number, &gh.IssueRequest{Body: &long})
	require.NoError(t, err)
	pollUntilSettled(t, sb, 5)
	rec, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	assert.Equal(t, release.Done, rec.Release.Phase)
	_, _, after := onlyIssue(t, sb)
	assert.LessOrEqual(t, utf8.RuneCountInString(after), github.MaxBodyChars)
	assert.True(t, strings.HasPrefix(after, long[:58000]), "the people's text is kept")
	assert.Contains(t, after, "earlier changes are left out")
}
