package command

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actiontest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/release"
)

const version = "v2026-11-22"

func run(t *testing.T, w *actiontest.World) error {
	t.Helper()
	_ = os.Remove(w.Vars["GITHUB_OUTPUT"])
	r, err := w.Start()
	require.NoError(t, err)
	return Run(context.Background(), r)
}

func TestCommandFromAnIssueComment(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	rec := w.Publish(version)
	w.GitHub.AddCollaborator(actiontest.Owner, actiontest.Repo, "alice", "write")
	id := w.GitHub.AddComment(actiontest.Owner, actiontest.Repo, rec.Issue, "alice", "/shepherd promote")
	w.Event("issue_comment", w.GitHub.IssueCommentEvent(actiontest.Owner, actiontest.Repo, id))

	require.NoError(t, run(t, w))
	assert.Equal(t, "true", w.Outputs()["acted"])
	assert.Equal(t, version, w.Outputs()["version"])
	assert.Contains(t, w.Summary(), "| Command | /shepherd promote |")
	st, err := w.Env().Status(context.Background(), version)
	require.NoError(t, err)
	assert.Equal(t, release.Staged, st.Release.Channel())

	// The same event again (a re-run of the workflow) acts once.
	require.NoError(t, run(t, w))
	assert.Equal(t, "false", w.Outputs()["acted"])
}

func TestLabelEventFromAPersonWithoutPermission(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	rec := w.Publish(version)
	w.GitHub.AddCollaborator(actiontest.Owner, actiontest.Repo, "bob", "triage")
	w.Event("issues", w.GitHub.IssueLabeledEvent(actiontest.Owner, actiontest.Repo, rec.Issue, "channel:staged", "bob"))

	require.NoError(t, run(t, w))
	assert.Equal(t, "false", w.Outputs()["acted"])
	assert.Contains(t, w.Summary(), "was taken back")
	issue := w.GitHub.Issues(actiontest.Owner, actiontest.Repo)[rec.Issue-1]
	for _, l := range issue.Labels {
		assert.NotEqual(t, "channel:staged", l.GetName())
	}
}

func TestEventsWithoutACommand(t *testing.T) {
	for name, event := range map[string]map[string]any{
		"conversation":     {"action": "created", "issue": map[string]any{"number": 1.0}, "comment": map[string]any{"id": 5.0, "body": "thanks!", "user": map[string]any{"login": "a"}}},
		"an edit":          {"action": "edited", "issue": map[string]any{"number": 1.0}, "comment": map[string]any{"id": 5.0, "body": "/shepherd promote", "user": map[string]any{"login": "a"}}},
		"a pull request's": {"action": "created", "issue": map[string]any{"number": 1.0, "pull_request": map[string]any{}}, "comment": map[string]any{"id": 5.0, "body": "/shepherd promote", "user": map[string]any{"login": "a"}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, ok, err := input("issue_comment", event)
			require.NoError(t, err)
			assert.False(t, ok)
		})
	}
	in, ok, err := input("issues", map[string]any{"action": "closed", "issue": map[string]any{"number": 3.0, "updated_at": "2026-12-01T10:00:00Z"},
		"sender": map[string]any{"login": "alice"}})
	require.NoError(t, err)
	assert.True(t, ok, "a closed issue is checked for its release's outcome")
	assert.True(t, in.Closed)
	assert.Equal(t, "alice", in.Author)
	_, _, err = input("push", map[string]any{"issue": map[string]any{"number": 1.0}})
	assert.ErrorContains(t, err, "not push")
}
