package startrelease

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actiontest"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

func start(t *testing.T, w *actiontest.World) error {
	t.Helper()
	r, err := w.Start()
	require.NoError(t, err)
	return Run(context.Background(), r)
}

func TestStartRelease(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.Input("version", "v2026-12-01")

	require.NoError(t, start(t, w))

	prs := w.GitHub.PullRequests(actiontest.Owner, actiontest.Repo)
	require.Len(t, prs, 1)
	out := w.Outputs()
	assert.Equal(t, "1", out["pr"])
	assert.Equal(t, prs[0].GetHTMLURL(), out["url"])
	assert.Equal(t, "token", out["opened_with"])
	assert.Equal(t, "v2026-12-01", out["version"])
	content, ok := w.GitHub.File(actiontest.Owner, actiontest.Repo, "release/v2026-12-01", "releases/v2026-12-01.yaml")
	require.True(t, ok)
	assert.Contains(t, content, "v2026-12-01")
	assert.Contains(t, w.Summary(), "Opened [#1]")

	// Again: the same PR, nothing new.
	require.NoError(t, start(t, w))
	assert.Len(t, w.GitHub.PullRequests(actiontest.Owner, actiontest.Repo), 1)
	assert.Contains(t, w.Summary(), "already open")
}

func TestStartReleaseDefaultsToToday(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	before := manifest.VersionForDate(time.Now())

	require.NoError(t, start(t, w))

	after := manifest.VersionForDate(time.Now())
	assert.Contains(t, []string{before, after}, w.Outputs()["version"])
}

func TestStartReleaseRefuses(t *testing.T) {
	tests := []struct {
		name, version, want string
	}{
		{"not a version", "2026-12-01", "input version"},
		{"not a date", "v2026-02-30", "not a real date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := actiontest.New(t, ocltest.DefaultExportPlan)
			w.Input("version", tt.version)

			err := start(t, w)

			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, w.GitHub.PullRequests(actiontest.Owner, actiontest.Repo))
		})
	}
}

func TestStartReleaseAlreadyMerged(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.GitHub.SetFile(actiontest.Owner, actiontest.Repo, "main", "releases/v2026-12-01.yaml", "version: v2026-12-01\n")
	w.Input("version", "v2026-12-01")

	err := start(t, w)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "already on main")
}

func TestStartReleaseDryRun(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.Input("version", "v2026-12-01")
	w.Input("dry_run", "true")

	require.NoError(t, start(t, w))

	assert.Empty(t, w.GitHub.PullRequests(actiontest.Owner, actiontest.Repo))
	assert.Equal(t, "", w.Outputs()["pr"])
	assert.Contains(t, w.Summary(), "Dry run")
}
