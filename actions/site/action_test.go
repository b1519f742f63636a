package site

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actiontest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
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
