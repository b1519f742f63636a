package bench_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/bench"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

func TestCachedExportIsMadeOnceAndRenewedWithTheGenerator(t *testing.T) {
	dir := t.TempDir()
	first, generated, err := bench.CachedExport(dir, dataset.Tiny, benchVersion, "generator-1")
	require.NoError(t, err)
	assert.True(t, generated)
	assert.FileExists(t, first)

	again, generated, err := bench.CachedExport(dir, dataset.Tiny, benchVersion, "generator-1")
	require.NoError(t, err)
	assert.False(t, generated)
	assert.Equal(t, first, again)

	renewed, generated, err := bench.CachedExport(dir, dataset.Tiny, benchVersion, "generator-2")
	require.NoError(t, err)
	assert.True(t, generated)
	assert.NotEqual(t, first, renewed)
	assert.NoFileExists(t, first, "the stale export is removed")

	other := dataset.Tiny
	other.Seed = 2
	otherPath, _, err := bench.CachedExport(dir, other, benchVersion, "generator-2")
	require.NoError(t, err)
	assert.NotEqual(t, renewed, otherPath)
	assert.FileExists(t, renewed, "another seed keeps its own file")
}

func TestGeneratorFingerprintFollowsTheSources(t *testing.T) {
	root := t.TempDir()
	for _, dir := range bench.GeneratorDirs {
		require.NoError(t, os.MkdirAll(filepath.Join(root, dir), 0o755))
	}
	gen := filepath.Join(root, bench.GeneratorDirs[1], "gen.go")
	require.NoError(t, os.WriteFile(gen, []byte("package dataset\n"), 0o644))
	before, err := bench.GeneratorFingerprint(root)
	require.NoError(t, err)

	test := filepath.Join(root, bench.GeneratorDirs[1], "gen_test.go")
	require.NoError(t, os.WriteFile(test, []byte("package dataset\n// a test\n"), 0o644))
	withTest, err := bench.GeneratorFingerprint(root)
	require.NoError(t, err)
	assert.Equal(t, before, withTest, "tests do not change the exports")

	require.NoError(t, os.WriteFile(gen, []byte("package dataset\n// changed\n"), 0o644))
	after, err := bench.GeneratorFingerprint(root)
	require.NoError(t, err)
	assert.NotEqual(t, before, after)
}

func TestRepoRootHoldsGoMod(t *testing.T) {
	root, err := bench.RepoRoot()
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(root, "go.mod"))
	assert.DirExists(t, filepath.Join(root, "internal", "bench"))
}
