package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPinRewritesTheCallerWorkflows(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github/workflows/shepherd-janitor.yml")
	require.NoError(t, os.MkdirAll(filepath.Dir(wf), 0o755))
	require.NoError(t, os.WriteFile(wf, []byte("jobs:\n  janitor:\n    uses: shepherd-release/shepherd/.github/workflows/janitor.yml@v1.2.3\n"), 0o644))

	r := shepherd(t, nil, "pin", "v1.4.0", "--repo-dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, ".github/workflows/shepherd-janitor.yml: now uses Shepherd v1.4.0")
	text, err := os.ReadFile(wf)
	require.NoError(t, err)
	assert.Contains(t, string(text), "janitor.yml@v1.4.0")

	r = shepherd(t, nil, "pin", "v1.4.0", "--repo-dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "already use v1.4.0")

	r = shepherd(t, nil, "pin", "latest", "--repo-dir", dir)
	assert.NotEqual(t, exitOK, r.code)
	assert.Contains(t, r.stderr, `"latest" is not a Shepherd release tag`)
}
