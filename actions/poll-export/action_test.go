package pollexport

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actiontest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

const version = "v2026-11-22"

// tick runs the action once, ten minutes after the previous run.
func tick(t *testing.T, w *actiontest.World) ([]result, error) {
	t.Helper()
	w.Now = w.Now.Add(10 * time.Minute)
	require.NoError(t, os.Remove(w.Vars["GITHUB_OUTPUT"]))
	r, err := w.Start()
	require.NoError(t, err)
	err = Run(context.Background(), r)
	var results []result
	require.NoError(t, json.Unmarshal([]byte(w.Outputs()["summary"]), &results))
	return results, err
}

func TestPollCarriesAReleaseToDone(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	require.NoError(t, os.WriteFile(w.Vars["GITHUB_OUTPUT"], nil, 0o644))
	w.Merge(version)

	// The fake answers "no export" once, then "building" once, then the export.
	results, err := tick(t, w)
	require.NoError(t, err)
	require.Len(t, results, 1)
	assert.Equal(t, result{Version: version, Issue: 1, From: "exporting", To: "exporting", Attempts: 1, Reason: "export not ready yet: 1 of 72 polls made"}, results[0])

	_, err = tick(t, w)
	require.NoError(t, err)
	results, err = tick(t, w)
	require.NoError(t, err)
	require.Len(t, results, 1)
	assert.Equal(t, "exporting", results[0].From)
	assert.Equal(t, "done", results[0].To)
	assert.Empty(t, results[0].Error)
	assert.Contains(t, w.GitHub.IssueLabels(actiontest.Owner, actiontest.Repo, 1), "release:done")
	assert.FileExists(t, filepath.Join(w.Workspace, "published", "releases", version, "SHA256SUMS"))
	assert.Contains(t, w.Summary(), "| `"+version+"` | exporting | done |")

	// Nothing is left to poll.
	results, err = tick(t, w)
	require.NoError(t, err)
	assert.Empty(t, results)
	assert.Contains(t, w.Summary(), "No release is waiting for its export.")
}

func TestPollIncompleteIsNotAStepError(t *testing.T) {
	w := actiontest.New(t, ocltest.ExportPlan{NonePolls: 1 << 30})
	w.WriteFile(".github/shepherd.yaml", "ocl:\n  base_url: "+w.OCL.URL()+"\nstorage:\n  type: local\npoll:\n  max_attempts: 2\nexports: []\n")
	require.NoError(t, os.WriteFile(w.Vars["GITHUB_OUTPUT"], nil, 0o644))
	w.Merge(version)

	_, err := tick(t, w)
	require.NoError(t, err)
	results, err := tick(t, w)

	require.NoError(t, err, "an incomplete release shows on its issue, not as a red run")
	require.Len(t, results, 1)
	assert.Equal(t, "incomplete", results[0].To)
	assert.Contains(t, w.GitHub.IssueLabels(actiontest.Owner, actiontest.Repo, 1), "release:incomplete")
}

func TestPollFailsOnAnOutage(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	require.NoError(t, os.WriteFile(w.Vars["GITHUB_OUTPUT"], nil, 0o644))
	w.Merge(version)
	w.OCL.Fail(ocltest.On("", ocltest.RouteExport), 100, 503, nil)

	results, err := tick(t, w)

	require.Error(t, err)
	assert.Contains(t, err.Error(), version)
	require.Len(t, results, 1)
	assert.Equal(t, "exporting", results[0].To)
	assert.NotEmpty(t, results[0].Error)
	assert.Contains(t, w.Summary(), "error (the next run tries again)")
}

func TestPollOneVersion(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	require.NoError(t, os.WriteFile(w.Vars["GITHUB_OUTPUT"], nil, 0o644))
	w.Merge(version)
	w.Input("version", version)

	results, err := tick(t, w)

	require.NoError(t, err)
	require.Len(t, results, 1)
	assert.Equal(t, result{Version: version, Issue: 1, From: "exporting", To: "exporting", Attempts: 1, Reason: "export not ready yet: 1 of 72 polls made"}, results[0])
}

func TestPollOneUnknownVersion(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.Input("version", "v2030-01-01")
	r, err := w.Start()
	require.NoError(t, err)

	err = Run(context.Background(), r)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "no tracking issue")
}

func TestPollOneRefusesAList(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.Input("version", "v2026-11-22 v2026-11-23")
	r, err := w.Start()
	require.NoError(t, err)

	assert.ErrorContains(t, Run(context.Background(), r), "give one")
}

// With the maintenance switch on, the poll's first job stops at its start, stays green and
// outputs no release to carry on, so the publish job starts nothing; the release's status
// says why. Once the switch is off, the next tick polls again.
func TestPollPausedForMaintenance(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	require.NoError(t, os.WriteFile(w.Vars["GITHUB_OUTPUT"], nil, 0o644))
	w.Merge(version)
	w.Input("exports_only", "true")
	w.WriteFile(".github/shepherd/MAINTENANCE", "moving the bucket\n")

	results, err := tick(t, w)
	require.NoError(t, err)
	assert.Empty(t, results)
	assert.Equal(t, "[]", w.Outputs()["ready"])
	assert.Equal(t, "false", w.Outputs()["changed"], "no site run: the switch's own push rebuilds the site")
	assert.Contains(t, w.Summary(), "paused for maintenance")
	assert.Contains(t, w.GitHub.Issues(actiontest.Owner, actiontest.Repo)[0].GetBody(), "Paused for maintenance: moving the bucket")

	require.NoError(t, os.Remove(filepath.Join(w.Workspace, ".github/shepherd/MAINTENANCE")))
	results, err = tick(t, w)
	require.NoError(t, err)
	require.Len(t, results, 1)
	assert.Equal(t, 1, results[0].Attempts)
}
