package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/changelog"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// twoExports writes the tiny dataset's export and a later one with a few known edits.
func twoExports(t *testing.T) (old, new string) {
	t.Helper()
	d, err := dataset.New(dataset.Spec{Seed: 2, Concepts: 60, RetiredFraction: 0.05})
	require.NoError(t, err)
	rev, err := dataset.Revise(d, dataset.Edits{Add: 1, Retire: 1, Rename: 1})
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(version string, content ocltest.Content) string {
		p := filepath.Join(dir, "CIEL_"+version+".zip")
		f, err := os.Create(p)
		require.NoError(t, err)
		require.NoError(t, ocltest.WriteExport(f, d.Version(version), content))
		require.NoError(t, f.Close())
		return p
	}
	return write("v2026-11-22", d), write("v2026-12-20", rev)
}

func TestChangelogComparesTwoExports(t *testing.T) {
	old, new := twoExports(t)
	r := shepherd(t, nil, "changelog", old, new, "--format", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var cl changelog.Changelog
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &cl))
	assert.Equal(t, changelog.Counts{Before: 60, After: 61, Added: 1, Retired: 1, Changed: 1, Breaking: 1}, cl.Counts)

	r = shepherd(t, nil, "changelog", "--format", "md", old, new)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "# CIEL/CIEL v2026-12-20: changes since v2026-11-22\n")
	assert.Contains(t, r.stdout, "## Breaking for sites")
}

// A kept index stands for a release whose export is gone; --out writes the file whole.
func TestChangelogReadsKeptIndexesAndWritesAFile(t *testing.T) {
	old, new := twoExports(t)
	ix, err := changelog.Build(t.Context(), old, exportfile.DefaultLimits)
	require.NoError(t, err)
	kept := filepath.Join(t.TempDir(), "v2026-11-22.index.gz")
	require.NoError(t, ix.WriteFile(kept))
	out := filepath.Join(t.TempDir(), "changelog.html")

	r := shepherd(t, nil, "changelog", kept, new, "--format", "html", "--out", out)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "1 added, 1 retired, 0 un-retired, 1 changed, 0 removed; 1 breaking for sites.")
	page, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(page), "<h2 id=\"breaking\">Breaking for sites (1)</h2>")
}

// Bad input exits 2 and names the file at fault; nothing is written.
func TestChangelogBadInputNamesTheFile(t *testing.T) {
	old, _ := twoExports(t)
	dir := t.TempDir()
	notZip := writeFile(t, dir, "notes.txt", []byte("not an export"))
	brokenIndex := writeFile(t, dir, "v1.index.gz", []byte{0x1f, 0x8b, 0, 0})
	out := filepath.Join(dir, "out.md")
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"missing file":  {[]string{old, filepath.Join(dir, "nope.zip")}, "nope.zip"},
		"not an export": {[]string{notZip, old}, notZip},
		"broken index":  {[]string{old, brokenIndex}, brokenIndex},
		"one file":      {[]string{old}, "want two files"},
		"bad format":    {[]string{old, old, "--format", "pdf"}, `--format "pdf"`},
	} {
		t.Run(name, func(t *testing.T) {
			r := shepherd(t, nil, append([]string{"changelog", "--out", out}, tc.args...)...)
			assert.Equal(t, exitCannot, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.NoFileExists(t, out)
		})
	}
}
