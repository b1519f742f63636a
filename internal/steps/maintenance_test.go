package steps_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/steps"
)

func switchMaintenance(t *testing.T, dir, text string) {
	t.Helper()
	path := filepath.Join(dir, steps.MaintenanceFile)
	if text == "" {
		require.NoError(t, os.Remove(path))
		return
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
}

// A poll while maintenance is on stops at its start: OCL is not asked, the release stays
// where it was, and its status says why, since when and by whom. Once the file is gone
// the next tick carries the release on and the notice disappears.
func TestMaintenanceStopsThePollAndWorkResumesWhenItEnds(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 5, Concepts: 100}, ocltest.DefaultExportPlan)
	m, sha, _ := openAndMerge(t, sb)
	_, err := sb.Env.Merged(context.Background(), m, sha)
	require.NoError(t, err)

	since := sb.Clock.Now().Add(-3 * time.Hour).UTC()
	switchMaintenance(t, sb.Env.RepoDir, "by: alice\nsince: "+since.Format(time.RFC3339)+"\nreason: upgrading Shepherd\n")
	for range 3 {
		sb.Clock.Advance(sb.Config.Poll.Interval)
		before := len(sb.OCL.Requests())
		out, err := sb.Env.Poll(context.Background())
		var paused *steps.PausedError
		require.ErrorAs(t, err, &paused)
		assert.Empty(t, out)
		assert.Equal(t, "alice", paused.Maintenance.By)
		assert.Len(t, sb.OCL.Requests(), before, "a paused poll asks OCL nothing")
	}
	rec, err := sb.Env.Status(context.Background(), version)
	require.NoError(t, err)
	assert.Equal(t, release.Exporting, rec.Release.Phase)
	assert.Zero(t, rec.Release.Attempts)
	require.NotNil(t, rec.Paused)
	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, "Paused for maintenance since "+since.Format("2006-01-02 15:04 UTC")+" (3 h")
	assert.Contains(t, body, "by alice: upgrading Shepherd")

	switchMaintenance(t, sb.Env.RepoDir, "")
	pollUntilSettled(t, sb, 10)
	rec, err = sb.Env.Status(context.Background(), version)
	require.NoError(t, err)
	assert.Equal(t, release.Done, rec.Release.Phase)
	assert.Nil(t, rec.Paused)
	_, _, body = onlyIssue(t, sb)
	assert.NotContains(t, body, "maintenance")
}

// A paused tick writes each status once: the next paused ticks find the notice there
// and write nothing.
func TestMaintenanceNoticeIsWrittenOnce(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 5, Concepts: 100}, ocltest.ExportPlan{Ready: ocltest.NeverReady})
	m, sha, _ := openAndMerge(t, sb)
	_, err := sb.Env.Merged(context.Background(), m, sha)
	require.NoError(t, err)
	switchMaintenance(t, sb.Env.RepoDir, "by: bob\nsince: 2026-11-01T00:00:00Z\n")
	sb.GitHub.ResetRequests()
	_, err = sb.Env.Poll(context.Background())
	require.Error(t, err)
	assert.Equal(t, 1, sb.GitHub.Writes())
	sb.GitHub.ResetRequests()
	_, err = sb.Env.Janitor(context.Background())
	var paused *steps.PausedError
	require.ErrorAs(t, err, &paused)
	assert.Zero(t, sb.GitHub.Writes())
}

func TestParseMaintenance(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       steps.Maintenance
	}{
		{"empty file", "", steps.Maintenance{Reason: "no reason given"}},
		{"only a sentence", "Moving the bucket\nto RustFS\n", steps.Maintenance{Reason: "Moving the bucket to RustFS"}},
		{"fields", "by: carol\nsince: 2026-12-01T10:00:00+01:00\nreason: upgrade\n",
			steps.Maintenance{By: "carol", Since: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Reason: "upgrade"}},
		{"bad time is reported, the switch holds", "since: yesterday\n",
			steps.Maintenance{Reason: "no reason given", Problem: `since "yesterday" is not a time like 2026-01-02T15:04:05Z`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, steps.ParseMaintenance(c.text))
		})
	}
	m := steps.Maintenance{By: "dave", Since: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC), Reason: "upgrade"}
	assert.Equal(t, m, steps.ParseMaintenance(m.Text()), "what `maintenance on` writes reads back the same")
	assert.Equal(t, "paused for maintenance since 2026-12-07 12:00 UTC (3 h ago) by dave: upgrade", m.Line(m.Since.Add(3*time.Hour)))
}
