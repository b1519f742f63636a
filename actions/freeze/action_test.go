package freeze

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actiontest"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

const version = "v2026-11-22"

func run(t *testing.T, w *actiontest.World) []result {
	t.Helper()
	_ = os.Remove(w.Vars["GITHUB_OUTPUT"])
	r, err := w.Start()
	require.NoError(t, err)
	require.NoError(t, Run(context.Background(), r), "a frozen PR does not fail the run")
	var results []result
	require.NoError(t, json.Unmarshal([]byte(w.Outputs()["summary"]), &results))
	return results
}

// The pull_request event checks its PR; a run without one (the schedule) checks every
// open PR into the default branch.
func TestFreezeActionOnAnEventAndOnTheSchedule(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	m := manifest.DefaultManifest(version, nil)
	m.Major = true
	data, err := manifest.Marshal(m)
	require.NoError(t, err)
	require.True(t, strings.Contains(string(data), "\nmajor: true\n"))
	w.WriteFile(manifest.ManifestPath(version), string(data))
	env := w.Env()
	loaded, err := manifest.LoadManifest(w.Workspace + "/" + manifest.ManifestPath(version))
	require.NoError(t, err)
	_, err = env.Merged(context.Background(), loaded, w.GitHub.BranchSHA(actiontest.Owner, actiontest.Repo, "main"))
	require.NoError(t, err)
	for range 10 {
		w.Now = w.Now.Add(10 * time.Minute)
		rec, err := env.PollOne(context.Background(), version)
		require.NoError(t, err)
		if rec.Release.Phase == "done" {
			break
		}
	}

	w.GitHub.SetFile(actiontest.Owner, actiontest.Repo, "feature", "docs/x.md", "x\n")
	pr := w.GitHub.AddPullRequest(actiontest.Owner, actiontest.Repo, "contributor", "feature", "main", "Add x", "")
	w.GitHub.LabelIssue(actiontest.Owner, actiontest.Repo, pr, "enhancement")
	w.Event("pull_request_target", w.GitHub.PullRequestLabelEvent(actiontest.Owner, actiontest.Repo, pr, "labeled", "enhancement", "contributor"))
	results := run(t, w)
	require.Len(t, results, 1)
	assert.Equal(t, pr, results[0].PR)
	assert.Equal(t, "failure", results[0].State)
	assert.True(t, results[0].Noticed)
	assert.Contains(t, w.Summary(), "| #2 | failure | Code freeze after "+version)

	w.Now = w.Now.Add(8 * 24 * time.Hour)
	w.Event("schedule", map[string]any{"schedule": "23 * * * *"})
	results = run(t, w)
	assert.Equal(t, []result{{PR: pr, State: "success", Description: "No code freeze"}}, results)
}
