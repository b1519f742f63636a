package steps_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/sandbox"
)

// A release PR whose preview is green and that nobody approved gets one reminder a day
// once it has waited longer than reminders.review_days, naming its author, the reviewers
// and teams whose review is requested and the owners, only those who may act; an
// approved PR, a red preview and a PR changing no release manifest get none, and no PR
// is ever closed.
func TestReviewRemindersOncePerDayOnlyForGreenUnapprovedReleasePRs(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 5, Concepts: 100}, ocltest.ExportPlan{})
	sb.Config.Reminders.ReviewDays = 3
	sb.Config.Reminders.Owners = []string{"alice", "mallory"}
	sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, "alice", "maintain")
	sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, "bob", "write")
	ctx := context.Background()

	open := func(branch, path, author, state string) int {
		t.Helper()
		sha := sb.GitHub.SetFile(sandbox.Owner, sandbox.Repo, branch, path, "version: "+branch+"\n")
		n := sb.GitHub.AddPullRequest(sandbox.Owner, sandbox.Repo, author, branch, "main", "Release "+branch, "")
		_, err := sb.Env.GitHub.SetStatus(ctx, sha, github.QAContext, state, "preview", "")
		require.NoError(t, err)
		return n
	}
	waiting := open("v2026-01-01", "releases/v2026-01-01.yaml", "bob", github.StatusSuccess)
	outsider := open("v2026-01-02", "releases/v2026-01-02.yaml", "contributor", github.StatusSuccess)
	approved := open("v2026-01-03", "releases/v2026-01-03.yaml", "bob", github.StatusSuccess)
	sb.GitHub.AddReview(sandbox.Owner, sandbox.Repo, approved, "alice", "APPROVED")
	red := open("v2026-01-04", "releases/v2026-01-04.yaml", "bob", github.StatusFailure)
	notRelease := open("docs-fix", "docs/fix.md", "bob", github.StatusSuccess)
	// A comment-only review is no approval.
	sb.GitHub.AddReview(sandbox.Owner, sandbox.Repo, waiting, "alice", "COMMENTED")
	// Reviews asked of people and teams: named if they may act, once each.
	sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, "rita", "write")
	sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, "reader", "read")
	sb.GitHub.AddTeamRepo(sandbox.Owner, "reviewers", sandbox.Owner, sandbox.Repo, "push")
	for _, r := range []string{"rita", "reader", "alice", sandbox.Owner + "/reviewers", sandbox.Owner + "/strangers"} {
		sb.GitHub.RequestReview(sandbox.Owner, sandbox.Repo, waiting, r)
	}

	reminders := func(pr int) []string { return reminderComments(sb, pr) }
	janitor := func() { runJanitor(t, sb) }

	sb.Clock.Advance(2 * 24 * time.Hour)
	janitor()
	assert.Empty(t, reminders(waiting), "two days are within review_days")

	sb.Clock.Advance(2 * 24 * time.Hour)
	janitor()
	janitor()
	require.Len(t, reminders(waiting), 1, "one reminder after four days, however many runs that day")
	body := reminders(waiting)[0]
	assert.Contains(t, body, "waited for a review since")
	assert.Contains(t, body, "Who can act: @bob @rita @alice @"+sandbox.Owner+"/reviewers\n",
		"the author, the requested reviewers and team who may act, the owners; each once")
	assert.NotContains(t, body, "@reader", "a requested reviewer who may not push")
	assert.NotContains(t, body, "strangers", "a requested team without access")
	assert.NotContains(t, body, "@mallory", "not a collaborator")
	require.Len(t, reminders(outsider), 1)
	assert.NotContains(t, reminders(outsider)[0], "@contributor", "an author without write permission is not mentioned")
	assert.Empty(t, reminders(approved), "approved")
	assert.Empty(t, reminders(red), "the preview is red")
	assert.Empty(t, reminders(notRelease), "no release manifest")

	sb.Clock.Advance(24 * time.Hour)
	janitor()
	assert.Len(t, reminders(waiting), 2, "the next day, one more")
	for _, pr := range sb.GitHub.PullRequests(sandbox.Owner, sandbox.Repo) {
		assert.Equal(t, "open", pr.GetState(), "nothing is closed")
	}
}
