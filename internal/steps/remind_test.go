package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
)

// An incomplete release left waiting gets one reminder a day once it has waited longer
// than its phase's limit, however often the janitor runs; the reminder mentions only the
// owners who may push to the repository, and the release stays as it was.
func TestRemindersOncePerDayAndOnlyPeopleInside(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 5, Concepts: 100}, ocltest.ExportPlan{Ready: ocltest.NeverReady})
	sb.Config.Poll.MaxAttempts = 1
	sb.Config.Reminders.After = map[string]time.Duration{"incomplete": 48 * time.Hour}
	sb.Config.Reminders.Owners = []string{"alice", "mallory", "trish"}
	sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, "alice", "maintain")
	sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, "trish", "triage")
	ctx := context.Background()
	m, sha, _ := openAndMerge(t, sb)
	_, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	pollUntilSettled(t, sb, 2)
	rec, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	require.Equal(t, release.Incomplete, rec.Release.Phase)
	issue, _, _ := onlyIssue(t, sb)

	reminders := func() []string { return reminderComments(sb, issue) }
	janitor := func() { runJanitor(t, sb) }

	sb.Clock.Advance(24 * time.Hour)
	janitor()
	assert.Empty(t, reminders(), "a day is within the limit")

	sb.Clock.Advance(25 * time.Hour)
	janitor()
	sb.Clock.Advance(6 * time.Hour)
	janitor()
	require.Len(t, reminders(), 1, "one reminder on the day the limit passed, however many runs")
	body := reminders()[0]
	assert.Contains(t, body, "has waited in incomplete since")
	assert.Contains(t, body, "@alice")
	assert.NotContains(t, body, "@mallory", "not a collaborator")
	assert.NotContains(t, body, "@trish", "may not push")
	assert.Contains(t, body, "never closes or retries")

	sb.Clock.Advance(24 * time.Hour)
	janitor()
	janitor()
	assert.Len(t, reminders(), 2, "the next day, one more")
	rec, err = sb.Env.Status(ctx, version)
	require.NoError(t, err)
	assert.Equal(t, release.Incomplete, rec.Release.Phase, "a reminder moves nothing")
	for _, i := range sb.GitHub.Issues(sandbox.Owner, sandbox.Repo) {
		if i.GetNumber() == issue {
			assert.Equal(t, "open", i.GetState(), "nothing is closed")
		}
	}
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

// runJanitor runs the janitor once and requires that nothing in it failed.
func runJanitor(t *testing.T, sb *sandbox.Sandbox) {
	t.Helper()
	out, err := sb.Env.Janitor(context.Background())
	require.NoError(t, err)
	for _, o := range out {
		require.NoError(t, o.Err)
	}
}
