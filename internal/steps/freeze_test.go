package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
)

// publishRelease runs a whole release whose manifest says major, and returns when it
// was published.
func publishRelease(t *testing.T, sb *sandbox.Sandbox, major bool) time.Time {
	t.Helper()
	ctx := context.Background()
	pr, _, err := sb.Env.StartRelease(ctx, version)
	require.NoError(t, err)
	text := "version: " + version + "\n"
	if major {
		text += "major: true\n"
	}
	sb.GitHub.SetFile(sandbox.Owner, sandbox.Repo, pr.Head, manifest.ManifestPath(version), text)
	sha, err := sb.Env.GitHub.MergePullRequest(ctx, pr.Number, "Release "+version)
	require.NoError(t, err)
	m, err := manifest.ParseManifest(manifest.ManifestPath(version), []byte(text))
	require.NoError(t, err)
	_, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	pollUntilSettled(t, sb, 10)
	rec, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	require.Equal(t, release.Done, rec.Release.Phase)
	return rec.Release.Transitions[len(rec.Release.Transitions)-1].At
}

// openPR opens a person's pull request into main that changes one file.
func openPR(t *testing.T, sb *sandbox.Sandbox, branch string) (number int, headSHA string) {
	t.Helper()
	headSHA = sb.GitHub.SetFile(sandbox.Owner, sandbox.Repo, branch, "docs/"+branch+".md", branch+"\n")
	return sb.GitHub.AddPullRequest(sandbox.Owner, sandbox.Repo, "contributor", branch, "main", "Change "+branch, ""), headSHA
}

func freezeStatus(t *testing.T, sb *sandbox.Sandbox, sha string) (state, description string, count int) {
	t.Helper()
	for _, s := range sb.GitHub.Statuses(sandbox.Owner, sandbox.Repo, sha) { // newest first
		if s.GetContext() != github.FreezeContext {
			continue
		}
		if count == 0 {
			state, description = s.GetState(), s.GetDescription()
		}
		count++
	}
	return state, description, count
}

func freezeNotices(sb *sandbox.Sandbox, pr int) int {
	n := 0
	for _, c := range sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, pr) {
		if strings.Contains(c.GetBody(), "<!-- shepherd:freeze "+version+" -->") && c.GetUser().GetLogin() == "shepherd-bot" {
			n++
		}
	}
	return n
}

// During the freeze a PR without an allowed label fails with the date the freeze ends
// and gets one notice however often it is checked; a label lets it pass; the scheduled
// re-check turns every PR green once the window is over, with nobody doing anything.
func TestFreezeAfterAMajorReleaseEndsByItself(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 71, Concepts: 60}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	ctx := context.Background()
	published := publishRelease(t, sb, true)
	until := published.Add(7 * 24 * time.Hour).UTC().Format("2006-01-02 15:04 UTC")

	pr, head := openPR(t, sb, "feature")
	for range 3 { // the pull_request events of one PR, then the hourly re-check
		c, err := sb.Env.CheckFreeze(ctx, pr)
		require.NoError(t, err)
		assert.Equal(t, github.StatusFailure, c.State)
	}
	_, err := sb.Env.RecheckFreeze(ctx)
	require.NoError(t, err)
	state, desc, count := freezeStatus(t, sb, head)
	assert.Equal(t, github.StatusFailure, state)
	assert.Equal(t, "Code freeze after "+version+" until "+until+": needs a label bug, docs, hotfix or security", desc)
	assert.Equal(t, 1, count, "the same status is not posted again")
	assert.Equal(t, 1, freezeNotices(sb, pr), "exactly one notice across re-runs")
	notice := sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, pr)[0].GetBody()
	assert.Contains(t, notice, "### 🧊 Code freeze until "+until)
	assert.Contains(t, notice, "`bug`, `docs`, `hotfix`, `security`")

	// A fix passes: the label is compared without case, as GitHub compares labels.
	fix, fixHead := openPR(t, sb, "fix")
	sb.GitHub.LabelIssue(sandbox.Owner, sandbox.Repo, fix, "Bug")
	c, err := sb.Env.CheckFreeze(ctx, fix)
	require.NoError(t, err)
	assert.Equal(t, github.StatusSuccess, c.State)
	state, desc, _ = freezeStatus(t, sb, fixHead)
	assert.Equal(t, github.StatusSuccess, state)
	assert.Equal(t, "Code freeze until "+until+"; label Bug may merge", desc)
	assert.Zero(t, freezeNotices(sb, fix), "an allowed PR gets no notice")

	// One minute before the end the freeze still holds; at the end the re-check turns
	// the PR green by itself.
	sb.Clock.Advance(published.Add(7*24*time.Hour - time.Minute).Sub(sb.Clock.Now()))
	_, err = sb.Env.RecheckFreeze(ctx)
	require.NoError(t, err)
	state, _, _ = freezeStatus(t, sb, head)
	assert.Equal(t, github.StatusFailure, state)
	sb.Clock.Advance(time.Minute)
	checks, err := sb.Env.RecheckFreeze(ctx)
	require.NoError(t, err)
	require.Len(t, checks, 2, "both open PRs into main")
	state, desc, _ = freezeStatus(t, sb, head)
	assert.Equal(t, github.StatusSuccess, state)
	assert.Equal(t, "No code freeze", desc)
	assert.Equal(t, 1, freezeNotices(sb, pr))
}

// A release that is not major holds no freeze; freeze.days: 0 turns the freeze off.
func TestNoFreezeWithoutAMajorRelease(t *testing.T) {
	for _, tc := range []struct {
		name  string
		major bool
		days  int
	}{{"minor release", false, 7}, {"freeze turned off", true, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			sb := newSandbox(t, dataset.Spec{Seed: 72, Concepts: 60}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
			sb.Config.Freeze.Days = tc.days
			publishRelease(t, sb, tc.major)
			pr, head := openPR(t, sb, "feature")
			c, err := sb.Env.CheckFreeze(context.Background(), pr)
			require.NoError(t, err)
			assert.Equal(t, github.StatusSuccess, c.State)
			state, desc, _ := freezeStatus(t, sb, head)
			assert.Equal(t, github.StatusSuccess, state)
			assert.Equal(t, "No code freeze", desc)
			assert.Zero(t, freezeNotices(sb, pr))
		})
	}
}
