package janitor

import (
	"bytes"
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

func runJanitor(t *testing.T, w *actiontest.World) ([]result, error) {
	t.Helper()
	_ = os.Remove(w.Vars["GITHUB_OUTPUT"])
	r, err := w.Start()
	require.NoError(t, err)
	err = Run(context.Background(), r)
	var results []result
	require.NoError(t, json.Unmarshal([]byte(w.Outputs()["summary"]), &results))
	return results, err
}

func TestJanitor(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.Publish(version)
	folder := filepath.Join(w.Workspace, "published", "releases", version)
	require.DirExists(t, folder)

	// A day later: links are valid for days still, nothing to do.
	w.Now = w.Now.Add(24 * time.Hour)
	results, err := runJanitor(t, w)
	require.NoError(t, err)
	assert.Equal(t, []result{{Version: version}}, results)

	// Past the 21 days of retention the files go, and the status says when.
	w.Now = w.Now.Add(21 * 24 * time.Hour)
	w.Input("dry_run", "true")
	_, err = runJanitor(t, w)
	require.NoError(t, err)
	assert.DirExists(t, folder, "a dry run deletes nothing")
	assert.Contains(t, w.Summary(), "Dry run")

	w.Input("dry_run", "false")
	results, err = runJanitor(t, w)
	require.NoError(t, err)
	assert.Equal(t, []result{{Version: version, Removed: true}}, results)
	assert.NoDirExists(t, folder)
	assert.Contains(t, w.Summary(), "| `"+version+"` | yes | 0 |")
	issue := w.GitHub.Issues(actiontest.Owner, actiontest.Repo)[0]
	assert.Contains(t, issue.GetBody(), "The files were removed on")
}

func TestJanitorWithNothingPublished(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)

	results, err := runJanitor(t, w)

	require.NoError(t, err)
	assert.Empty(t, results)
	assert.Contains(t, w.Summary(), "nothing expired")
}

// With the maintenance switch on, the janitor stops at its start and stays green; its
// log, summary and decision log (the JSON lines the workflow keeps as an artifact) say why.
func TestJanitorPausedForMaintenance(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.WriteFile(".github/shepherd/MAINTENANCE", "by: alice\nreason: moving the bucket\n")

	results, err := runJanitor(t, w)

	require.NoError(t, err)
	assert.Empty(t, results)
	assert.Contains(t, w.Summary(), "paused for maintenance")
	assert.Contains(t, w.Log(), "::warning::Shepherd is paused for maintenance by alice: moving the bucket")
	logs, err := filepath.Glob(filepath.Join(w.Vars["RUNNER_TEMP"], "shepherd-log", "decisions-*.jsonl"))
	require.NoError(t, err)
	require.Len(t, logs, 1)
	data, err := os.ReadFile(logs[0])
	require.NoError(t, err)
	var line struct{ Msg, Level, Reason string }
	require.NoError(t, json.Unmarshal(data[:bytes.IndexByte(data, '\n')], &line))
	assert.Equal(t, "WARN", line.Level)
	assert.Contains(t, line.Msg, "maintenance is on")
	assert.Equal(t, "moving the bucket", line.Reason)
}
