package steps_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/changelog"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/sandbox"
)

// Each release keeps its concept index outside the expiring releases; the next release's
// changelog is made against it after the first release's files are gone, lists the edits
// made between the two, and its summary reaches the GitHub Release and the status.
func TestReleaseChangelogBuildsOnThePreviousIndex(t *testing.T) {
	ctx := context.Background()
	spec := dataset.Spec{Seed: 11, Concepts: 120, RetiredFraction: 0.05}
	sb := newSandbox(t, spec, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	releaseVersion(t, sb, "v2026-11-22")
	rec, err := sb.Env.Status(ctx, "v2026-11-22")
	require.NoError(t, err)
	require.NotNil(t, rec.Changes)
	assert.True(t, rec.Changes.First)
	assert.Equal(t, 120, rec.Changes.Concepts)

	key := func(v string) string {
		return "indexes/" + sb.Config.OCL.Org + "/" + sb.Config.OCL.Source + "/" + v + ".index.gz"
	}
	get := func(k string) []byte {
		r, err := sb.Env.Store.Get(ctx, k)
		require.NoError(t, err, k)
		defer r.Close()
		data, err := io.ReadAll(r)
		require.NoError(t, err)
		return data
	}
	first := get(key("v2026-11-22"))

	// The release's files expire; its index does not.
	for day := 1; day <= 23; day++ {
		sb.Clock.Advance(24 * time.Hour)
		_, err := sb.Env.Janitor(ctx)
		require.NoError(t, err)
	}
	left, err := sb.Env.Store.List(ctx, sb.Config.Storage.Prefix+"/v2026-11-22")
	require.NoError(t, err)
	require.Empty(t, left, "the release's files are gone")
	assert.Equal(t, first, get(key("v2026-11-22")))

	edits := dataset.Edits{Add: 2, Retire: 1, Class: 1, ChangeMapping: 1, Rename: 1}
	rev, err := dataset.Revise(sb.Head, edits)
	require.NoError(t, err)
	sb.OCL.SetHead(sb.Config.OCL.Org, sb.Config.OCL.Source, rev)
	releaseVersion(t, sb, "v2026-12-20")

	rec, err = sb.Env.Status(ctx, "v2026-12-20")
	require.NoError(t, err)
	s := rec.Changes
	require.NotNil(t, s)
	assert.Equal(t, &changelog.Summary{From: "v2026-11-22", Concepts: 122, Added: 2, Retired: 1, Changed: 3, Breaking: 2,
		TopBreaking: s.TopBreaking}, s)
	require.Len(t, s.TopBreaking, 2)
	assert.True(t, strings.HasPrefix(s.TopBreaking[0], rev.Applied[dataset.EditRetire][0]+" "), s.TopBreaking[0])

	second, err := changelog.ReadIndex(bytes.NewReader(get(key("v2026-12-20"))))
	require.NoError(t, err)
	assert.Equal(t, "v2026-12-20", second.Version)
	assert.Len(t, second.Concepts, 122)

	for _, name := range []string{"CHANGELOG.md", "changelog.html", "changelog.json", "bom.cdx.json"} {
		assert.FileExists(t, filepath.Join(sb.Dir, "work", "v2026-12-20", "documents", name))
	}

	releases := sb.GitHub.Releases(sandbox.Owner, sandbox.Repo)
	require.Len(t, releases, 2)
	assert.Equal(t, "v2026-12-20", releases[0].GetTagName())
	assert.Contains(t, releases[0].GetBody(), "**Changes since v2026-11-22:** 2 added, 1 retired, 0 un-retired, 3 changed, 0 removed (122 concepts); **2 breaking for sites**")
	var status string
	for _, is := range sb.GitHub.Issues(sandbox.Owner, sandbox.Repo) {
		if is.GetNumber() == rec.Issue {
			status = is.GetBody()
		}
	}
	assert.Contains(t, status, "| Changes | since v2026-11-22: 2 added, 1 retired, 0 un-retired, 3 changed, 0 removed · **2 breaking for sites**: ")
}
