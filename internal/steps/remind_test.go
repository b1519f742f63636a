package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// mergeReleasePR opens the release PR as author (a person, not Shepherd), adds the
// reviews (login: state, in order), merges it and returns the manifest and merge commit.
func mergeReleasePR(t *testing.T, sb *sandbox.Sandbox, author string, reviews [][2]string) (*manifest.Manifest, string) {
	t.Helper()
	ctx := context.Background()
	m := manifest.DefaultManifest(version, sb.Config)
	data, err := manifest.Marshal(m)
	require.NoError(t, err)
	branch := "release/" + version
	sb.GitHub.SetFile(sandbox.Owner, sandbox.Repo, branch, manifest.ManifestPath(version), string(data))
	n := sb.GitHub.AddPullRequest(sandbox.Owner, sandbox.Repo, author, branch, "main", "Release "+version, "")
	for _, r := range reviews {
		sb.GitHub.AddReview(sandbox.Owner, sandbox.Repo, n, r[0], r[1])
	}
	sha, err := sb.Env.GitHub.MergePullRequest(ctx, n, "Release "+version)
	require.NoError(t, err)
	merged, err := manifest.ParseManifest(manifest.ManifestPath(version), data)
	require.NoError(t, err)
	return merged, sha
}

// advanceTo moves the simulated clock forward to the next hh:mm UTC.
func advanceTo(sb *sandbox.Sandbox, hour, minute int) {
	now := sb.Clock.Now().UTC()
	next := time.Date(now.Year(), now.Month(), now.Day(), hour, minute, 0, 0, time.UTC)
	if !next.After(now) {
		next = next.Add(24 * time.Hour)
	}
	sb.Clock.Advance(next.Sub(now))
}

// An incomplete release left waiting gets one reminder per UTC day once it has waited
// longer than its phase's limit, however often the janitor runs and however close
// together two days' runs are; the reminder names who can act (the release PR's author
// and the reviewers whose approval stands, the owners, the rollout teams) and no one
// outside the repository, and the release stays as it was.
func TestRemindersNameWhoCanActOncePerUTCDay(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 5, Concepts: 100}, ocltest.ExportPlan{Ready: ocltest.NeverReady})
	sb.Config.Poll.MaxAttempts = 1
	sb.Config.Reminders.After = map[string]time.Duration{"incomplete": 48 * time.Hour}
	sb.Config.Reminders.Owners = []string{"alice", "mallory", "trish", "Carol"}
	sb.Config.Rollout.Teams = []string{sandbox.Owner + "/release-managers", sandbox.Owner + "/no-access", "elsewhere/leads"}
	for login, role := range map[string]string{"alice": "maintain", "trish": "triage", "carol": "write", "dave": "write", "erin": "read", "frank": "write"} {
		sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, login, role)
	}
	sb.GitHub.AddTeamRepo(sandbox.Owner, "release-managers", sandbox.Owner, sandbox.Repo, "triage")
	ctx := context.Background()
	// dave's approval stands; erin may not push; frank's approval was withdrawn.
	m, sha := mergeReleasePR(t, sb, "carol", [][2]string{{"dave", "APPROVED"}, {"erin", "APPROVED"}, {"frank", "APPROVED"}, {"frank", "CHANGES_REQUESTED"}})
	_, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	pollUntilSettled(t, sb, 2)
	require.Equal(t, release.Incomplete, status(t, sb).Release.Phase)
	issue, _, _ := onlyIssue(t, sb)

	reminders := func() []string { return reminderComments(sb, issue) }
	janitor := func() []steps.JanitorOutcome { return runJanitor(t, sb) }

	sb.Clock.Advance(24 * time.Hour)
	janitor()
	assert.Empty(t, reminders(), "a day is within the limit")

	// Past the limit, late in a UTC day: one reminder, however many runs.
	sb.Clock.Advance(24 * time.Hour)
	advanceTo(sb, 23, 0)
	out := janitor()
	advanceTo(sb, 23, 45)
	janitor()
	require.Len(t, reminders(), 1, "one reminder on the day the limit passed, however many runs")
	body := reminders()[0]
	assert.Contains(t, body, "has waited in phase incomplete since")
	assert.Contains(t, body, "Who can act: @carol @dave @alice @"+sandbox.Owner+"/release-managers\n",
		"the author, the standing approver, the owners who may push, the rollout team with access; each once")
	for _, outside := range []string{"@erin", "@frank", "@mallory", "@trish", "@shepherd-bot", "no-access", "elsewhere"} {
		assert.NotContains(t, body, outside)
	}
	assert.Contains(t, body, "never closes or retries")
	var digest *steps.Reminder
	for _, o := range out {
		if o.Reminded {
			digest = o.Reminder
		}
	}
	require.NotNil(t, digest, "the janitor's outcome lists the reminder")
	assert.Equal(t, version, digest.Item)
	assert.Equal(t, issue, digest.Number)
	assert.Equal(t, []string{"carol", "dave", "alice", sandbox.Owner + "/release-managers"}, digest.Mentioned)
	assert.Contains(t, digest.Waiting, "in phase incomplete since")

	// Half an hour later it is the next UTC day: a new reminder, then none that day.
	advanceTo(sb, 0, 15)
	janitor()
	advanceTo(sb, 12, 0)
	janitor()
	advanceTo(sb, 23, 59)
	janitor()
	assert.Len(t, reminders(), 2, "one per UTC day")

	// Days with no run get no reminder afterwards; the next run's day gets one.
	sb.Clock.Advance(3 * 24 * time.Hour)
	janitor()
	janitor()
	assert.Len(t, reminders(), 3)

	rec := status(t, sb)
	assert.Equal(t, release.Incomplete, rec.Release.Phase, "a reminder moves nothing")
	keys := 0
	for k := range rec.Milestones {
		if strings.HasPrefix(k, "reminder-") {
			keys++
		}
	}
	assert.Equal(t, 1, keys, "the record keeps today's reminder key only")
	for _, i := range sb.GitHub.Issues(sandbox.Owner, sandbox.Repo) {
		assert.Equal(t, "open", i.GetState(), "nothing is closed")
	}
}

// A published release left in a channel past reminders.<channel> gets the daily reminder
// from when it entered that channel, with what helps; a held release and one whose
// outcome is recorded get none.
func TestChannelRemindersForAPublishedReleaseLeftWaiting(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	sb.Config.Reminders.After = map[string]time.Duration{"unverified": 5 * day, "staged": 14 * day}
	sb.Config.Reminders.Owners = []string{"maya"}
	reminders := func() []string { return reminderComments(sb, issue) }

	sb.Clock.Advance(4 * day)
	runJanitor(t, sb)
	assert.Empty(t, reminders(), "four days unverified are within the limit")
	sb.Clock.Advance(1 * day)
	runJanitor(t, sb)
	require.Len(t, reminders(), 1)
	assert.Contains(t, reminders()[0], "has waited in the unverified channel since")
	assert.Contains(t, reminders()[0], "`reminders.unverified`")
	assert.Contains(t, reminders()[0], "/shepherd promote")
	assert.Contains(t, reminders()[0], "@maya")

	// Promoted: the staged limit counts from the promotion.
	_, out := say(t, sb, issue, "alice", "/shepherd promote")
	require.True(t, out.Acted, out.Reply)
	sb.Clock.Advance(13 * day)
	runJanitor(t, sb)
	assert.Len(t, reminders(), 1, "thirteen days staged are within the limit")
	sb.Clock.Advance(1 * day)
	runJanitor(t, sb)
	runJanitor(t, sb)
	require.Len(t, reminders(), 2)
	assert.Contains(t, reminders()[1], "has waited in the staged channel since")

	// Held on purpose: no reminder while the hold lasts.
	_, out = say(t, sb, issue, "alice", "/shepherd hold \"waiting for the site\"")
	require.True(t, out.Acted, out.Reply)
	sb.Clock.Advance(1 * day)
	runJanitor(t, sb)
	assert.Len(t, reminders(), 2, "a held release is not reminded of")
	assert.Equal(t, release.Staged, status(t, sb).Release.Channel(), "reminders move nothing")

	// Rejected: its outcome is recorded, nothing waits any more.
	_, out = say(t, sb, issue, "alice", "/shepherd reject \"a broken mapping\"")
	require.True(t, out.Acted, out.Reply)
	sb.Clock.Advance(1 * day)
	runJanitor(t, sb)
	assert.Len(t, reminders(), 2, "a rejected release is not reminded of")
}

// reminderComments are the bodies of the reminders on an issue or PR, oldest first.
func reminderComments(sb *sandbox.Sandbox, number int) []string {
	var out []string
	for _, c := range sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, number) {
		if strings.Contains(c.GetBody(), "⏰") {
			out = append(out, c.GetBody())
		}
	}
	return out
}

// runJanitor runs the janitor once, requires that nothing in it failed and returns what
// it did.
func runJanitor(t *testing.T, sb *sandbox.Sandbox) []steps.JanitorOutcome {
	t.Helper()
	out, err := sb.Env.Janitor(context.Background())
	require.NoError(t, err)
	for _, o := range out {
		require.NoError(t, o.Err)
	}
	return out
}

// With a workflow's GITHUB_TOKEN, which may read nothing of the organization, no team's
// access can be checked: the rollout team is left out, and the reminder still goes to
// the people who may act.
func TestRemindersLeaveOutTeamsTheTokenCannotCheck(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	sb.Config.Reminders.After = map[string]time.Duration{"unverified": day}
	sb.Config.Reminders.Owners = []string{"alice"}
	sb.Config.Rollout.Teams = []string{sandbox.Owner + "/release-managers"}
	sb.GitHub.AddTeamRepo(sandbox.Owner, "release-managers", sandbox.Owner, sandbox.Repo, "push")
	sb.GitHub.LimitToken(sandbox.GitHubToken, githubtest.Permissions{"contents": "write", "issues": "write",
		"pull_requests": "read", "statuses": "read"})

	sb.Clock.Advance(day)
	runJanitor(t, sb)
	got := reminderComments(sb, issue)
	require.Len(t, got, 1)
	assert.Contains(t, got[0], "Who can act: @alice\n")
	assert.NotContains(t, got[0], "release-managers")
}
