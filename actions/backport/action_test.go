package backport

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actiontest"
	"github.com/shepherd-release/shepherd/internal/backport/backporttest"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// commentEvent is the part of an issue_comment payload the action reads.
// https://docs.github.com/webhooks/webhook-events-and-payloads#issue_comment
func commentEvent(number int, id int64, login, body string) map[string]any {
	return map[string]any{
		"action":  "created",
		"issue":   map[string]any{"number": number, "pull_request": map[string]any{"url": "https://api.example.org/pulls/" + strconv.Itoa(number)}},
		"comment": map[string]any{"id": id, "body": body, "user": map[string]any{"login": login}},
	}
}

// The action picks in the workspace's checkout and opens the pull request; a comment that
// is not a backport command costs nothing.
func TestBackportAction(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	remote := backporttest.NewTestRemote(t, map[string]string{"a.txt": "one\ntwo\n"})
	config, err := os.ReadFile(filepath.Join(w.Workspace, manifest.ConfigPath))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(remote.Clone, ".github"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(remote.Clone, manifest.ConfigPath), config, 0o644))
	w.Vars["GITHUB_WORKSPACE"] = remote.Clone

	w.GitHub.SetFile(actiontest.Owner, actiontest.Repo, "release-1", "a.txt", "one\ntwo\n")
	w.GitHub.SetFile(actiontest.Owner, actiontest.Repo, "feature", "a.txt", "one\nTWO\n")
	pr := w.GitHub.AddPullRequest(actiontest.Owner, actiontest.Repo, "contributor", "feature", "main", "Fix two", "")
	remote.Git("push", "--quiet", "origin", "main:release-1")
	remote.Git("checkout", "--quiet", "-b", "feature")
	remote.Commit("Fix two", map[string]string{"a.txt": "one\nTWO\n"})
	remote.Git("push", "--quiet", "origin", "feature:refs/pull/"+strconv.Itoa(pr)+"/head")
	remote.Git("checkout", "--quiet", "main")
	remote.Git("merge", "--quiet", "--no-ff", "-m", "Merge", "feature")
	remote.Git("push", "--quiet", "origin", "main")
	w.GitHub.MarkMerged(actiontest.Owner, actiontest.Repo, pr, actiontest.Owner, remote.Git("rev-parse", "HEAD"))
	branch := "shepherd/backport-" + strconv.Itoa(pr) + "-to-release-1"
	// GitHub sees the push the action makes; the fake, whose commits are not git's, is told.
	w.GitHub.PushCommit(actiontest.Owner, actiontest.Repo, branch, "release-1", "pushed", map[string]string{"a.txt": "one\nTWO\n"})

	id := w.GitHub.AddComment(actiontest.Owner, actiontest.Repo, pr, "someone", "Thanks!")
	w.Event("issue_comment", commentEvent(pr, id, "someone", "Thanks!"))
	r, err := w.Start()
	require.NoError(t, err)
	require.NoError(t, Run(context.Background(), r))
	assert.Equal(t, "ignored", w.Outputs()["outcome"])

	id = w.GitHub.AddComment(actiontest.Owner, actiontest.Repo, pr, actiontest.Owner, "/shepherd backport release-1")
	w.Event("issue_comment", commentEvent(pr, id, actiontest.Owner, "/shepherd backport release-1"))
	r, err = w.Start()
	require.NoError(t, err)
	require.NoError(t, Run(context.Background(), r))
	assert.Equal(t, "opened", w.Outputs()["outcome"])
	assert.NotEmpty(t, w.Outputs()["pull-request"])
	a, ok := remote.File(branch, "a.txt")
	require.True(t, ok, "pushed from the workspace's checkout")
	assert.Equal(t, "one\nTWO\n", a)
	assert.Contains(t, w.Summary(), "Backport of #"+strconv.Itoa(pr)+" to `release-1` opened")
}
