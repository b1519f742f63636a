package steps_test

import (
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
)

// releaseVersion takes a release from its pull request to done and returns its tracking
// issue.
func releaseVersion(t *testing.T, sb *sandbox.Sandbox, v string) int {
	t.Helper()
	ctx := context.Background()
	pr, _, err := sb.Env.StartRelease(ctx, v)
	require.NoError(t, err)
	sha, err := sb.Env.GitHub.MergePullRequest(ctx, pr.Number, "Release "+v)
	require.NoError(t, err)
	content, err := sb.Env.GitHub.FileAt(ctx, manifest.ManifestPath(v), "main")
	require.NoError(t, err)
	m, err := manifest.ParseManifest(manifest.ManifestPath(v), []byte(content))
	require.NoError(t, err)
	_, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	pollUntilSettled(t, sb, 10)
	rec, err := sb.Env.Status(ctx, v)
	require.NoError(t, err)
	require.Equal(t, release.Done, rec.Release.Phase, "release %s", v)
	return rec.Issue
}

func readStoredMap(t *testing.T, sb *sandbox.Sandbox, v string) string {
	t.Helper()
	key := "idmaps/" + sb.Config.OCL.Org + "/" + sb.Config.OCL.Source + "/" + v + ".idmap.gz"
	r, err := sb.Env.Store.Get(context.Background(), key)
	require.NoError(t, err, key)
	defer r.Close()
	zr, err := gzip.NewReader(r)
	require.NoError(t, err)
	data, err := io.ReadAll(zr)
	require.NoError(t, err)
	return string(data)
}

// Each release keeps its id map in the bucket outside the expiring releases, and the next
// release builds on it: the map of the second lists both releases and keeps the rows of
// the first with the first release's ids.
func TestReleasesBuildOnThePreviousIDMap(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 11, Concepts: 80}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	releaseVersion(t, sb, "v2026-11-22")
	first := readStoredMap(t, sb, "v2026-11-22")
	assert.Contains(t, first, "@release 0 v2026-11-22 ")

	// The release's files expire; its id map does not.
	for day := 1; day <= 23; day++ {
		sb.Clock.Advance(24 * time.Hour)
		_, err := sb.Env.Janitor(context.Background())
		require.NoError(t, err)
	}
	left, err := sb.Env.Store.List(context.Background(), sb.Config.Storage.Prefix+"/v2026-11-22")
	require.NoError(t, err)
	require.Empty(t, left, "the release's files are gone")
	assert.Equal(t, first, readStoredMap(t, sb, "v2026-11-22"))

	releaseVersion(t, sb, "v2026-12-20")
	second := readStoredMap(t, sb, "v2026-12-20")
	assert.Contains(t, second, "@release 0 v2026-11-22 ")
	assert.Contains(t, second, "@release 1 v2026-12-20 ")
	rows := 0
	for _, line := range strings.Split(first, "\n") {
		if line == "" || strings.HasPrefix(line, "@") {
			continue
		}
		rows++
		assert.Contains(t, second, line+"\n", "a row of the first release keeps its id and date")
	}
	assert.Greater(t, rows, 100)
}
