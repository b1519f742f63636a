package site

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actiontest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// The action writes the site of what the repository's releases are, and its digest stays
// the same from run to run until a release changes.
func TestSiteAction(t *testing.T) {
	const version = "v2026-11-22"
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.Publish(version)
	run := func() map[string]string {
		t.Helper()
		_ = os.Remove(w.Vars["GITHUB_OUTPUT"])
		r, err := w.Start()
		require.NoError(t, err)
		require.NoError(t, Run(context.Background(), r))
		return w.Outputs()
	}

	w.Input("out", "public")
	first := run()
	dir := filepath.Join(w.Workspace, "public")
	assert.Equal(t, dir, first["path"])
	assert.Equal(t, version, first["latest-deployable"])
	assert.Len(t, first["digest"], 64)
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	require.NoError(t, err)
	assert.Contains(t, string(index), `id="latest-deployable" data-version="`+version+`"`)
	assert.FileExists(t, filepath.Join(dir, "qa", "bulk-validation", "index.html"))
	assert.FileExists(t, filepath.Join(dir, "feed.xml"))
	assert.Contains(t, w.Summary(), "the latest deployable release is `"+version+"`")

	w.Now = w.Now.Add(time.Hour)
	assert.Equal(t, first["digest"], run()["digest"], "an hour later the site says the same: nothing to publish")

	w.Now = w.Now.Add(8 * 24 * time.Hour)
	later := run()
	assert.NotEqual(t, first["digest"], later["digest"], "the links expired without the janitor: the site says so")
	assert.Empty(t, later["latest-deployable"])
}

// The maintenance switch in the checkout puts its banner on every page the action
// writes, the HEAD report's among them, and changes the digest, so that the workflow
// publishes the banner; switching it off takes it away again.
func TestSiteActionShowsMaintenanceOnEveryPage(t *testing.T) {
	const version = "v2026-11-22"
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.Publish(version)
	w.Input("out", "public")
	run := func() string {
		t.Helper()
		_ = os.Remove(w.Vars["GITHUB_OUTPUT"])
		r, err := w.Start()
		require.NoError(t, err)
		require.NoError(t, Run(context.Background(), r))
		return w.Outputs()["digest"]
	}
	quiet := run()
	switchFile := filepath.Join(w.Workspace, steps.MaintenanceFile)
	require.NoError(t, os.MkdirAll(filepath.Dir(switchFile), 0o755))
	m := steps.Maintenance{By: "alice", Since: w.Now.Add(-time.Hour), Reason: "moving the bucket"}
	require.NoError(t, os.WriteFile(switchFile, []byte(m.Text()), 0o644))
	banner := run()
	assert.NotEqual(t, quiet, banner, "the banner is news: the site is published again")

	dir := filepath.Join(w.Workspace, "public")
	pages := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".html") {
			return err
		}
		pages++
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Contains(t, string(data), "Shepherd is switched off for maintenance by alice", p)
		assert.Contains(t, string(data), "moving the bucket", p)
		return nil
	}))
	assert.Equal(t, 5, pages, "index, this year's releases, the release, exports and the HEAD report")
	head, err := os.ReadFile(filepath.Join(dir, "qa", "bulk-validation", "index.html"))
	require.NoError(t, err)
	assert.NotContains(t, string(head), "no-head-report", "the stored HEAD report, with the banner above it")

	require.NoError(t, os.Remove(switchFile))
	assert.Equal(t, quiet, run(), "switched off, the site says what it said before")
}
