package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/scaffold/linttest"
)

// init writes a repository that `shepherd validate` and actionlint accept; a second init
// writes nothing and exits 2, naming every file in the way.
func TestInitWritesARepositoryThatValidates(t *testing.T) {
	dir := t.TempDir()

	res := shepherd(t, nil, "init", "--org", "MyOrg", "--source", "MyDict", dir)

	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "wrote "+filepath.Join(dir, ".github", "shepherd.yaml"))
	assert.Contains(t, res.stdout, "development build", "a test binary carries no release version")
	config, err := os.ReadFile(filepath.Join(dir, ".github", "shepherd.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(config), "base_url: https://api.staging.openconceptlab.org")
	assert.Contains(t, string(config), "org: MyOrg")
	readme, err := os.ReadFile(filepath.Join(dir, "releases", "README.md"))
	require.NoError(t, err)
	assert.Contains(t, string(readme), "MyOrg/MyDict")

	t.Chdir(dir)
	res = shepherd(t, nil, "validate")
	assert.Equal(t, exitOK, res.code, res.stdout+res.stderr)
	workflows, err := filepath.Glob(filepath.Join(".github", "workflows", "*.yml"))
	require.NoError(t, err)
	require.Len(t, workflows, 10)
	linttest.Run(t, ".", workflows...)

	// A second run: everything exists, nothing is written, exit 2.
	require.NoError(t, os.WriteFile(filepath.Join(".github", "shepherd.yaml"), []byte("ocl:\n  org: Edited\n"), 0o644))
	require.NoError(t, os.Remove(filepath.Join("releases", "README.md")))
	res = shepherd(t, nil, "init", ".")
	assert.Equal(t, exitCannot, res.code)
	assert.Contains(t, res.stderr, "12 of the files exist already")
	assert.Contains(t, res.stderr, ".github/workflows/shepherd-export-poll.yml")
	assert.Contains(t, res.stderr, "--force")
	assert.NoFileExists(t, filepath.Join("releases", "README.md"), "nothing written, not even the missing file")
	edited, _ := os.ReadFile(filepath.Join(".github", "shepherd.yaml"))
	assert.Equal(t, "ocl:\n  org: Edited\n", string(edited))

	res = shepherd(t, nil, "init", "--force", ".")
	assert.Equal(t, exitOK, res.code, res.stderr)
	edited, _ = os.ReadFile(filepath.Join(".github", "shepherd.yaml"))
	assert.True(t, strings.Contains(string(edited), "org: CIEL"), "--force overwrites")
	assert.FileExists(t, filepath.Join("releases", "README.md"))
}

func TestInitRefusesTwoFolders(t *testing.T) {
	res := shepherd(t, nil, "init", t.TempDir(), t.TempDir())
	assert.Equal(t, exitCannot, res.code)
	assert.Contains(t, res.stderr, "at most one folder")
}
