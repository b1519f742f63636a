package actions

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pinActions runs scripts/pin-actions.sh on a copy of the workflows.
func pinActions(t *testing.T, root string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join("..", "scripts", "pin-actions.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "SHEPHERD_ROOT="+root)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func copyWorkflows(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, ".github", "workflows")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	files, err := filepath.Glob(filepath.Join("..", ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644))
	}
	return root
}

// Main pins main; a release commit pins its tag, which the dist workflow checks; a fork
// points the actions at itself. Workflows that are not reusable are left alone.
func TestPinActions(t *testing.T) {
	root := copyWorkflows(t)
	out, err := pinActions(t, root, "--check", "main")
	require.NoError(t, err, out)

	out, err = pinActions(t, root, "--check", "v1.2.3")
	require.Error(t, err)
	assert.Contains(t, out, "are not at v1.2.3")

	out, err = pinActions(t, root, "v1.2.3")
	require.NoError(t, err, out)
	out, err = pinActions(t, root, "--check", "v1.2.3")
	require.NoError(t, err, out)
	out, err = pinActions(t, root, "--check", "v1x2.3")
	require.Error(t, err, "a dot in the ref is a dot")
	release, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "release.yml"))
	require.NoError(t, err)
	assert.Equal(t, 3, strings.Count(string(release), "uses: shepherd-release/shepherd/actions/create-version@v1.2.3"))

	out, err = pinActions(t, root, "main", "my-org/shepherd")
	require.NoError(t, err, out)
	poll, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "export-poll.yml"))
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(poll), "uses: my-org/shepherd/actions/poll-export@main"))

	ci, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "ci.yml"))
	require.NoError(t, err)
	original, err := os.ReadFile(filepath.Join("..", ".github", "workflows", "ci.yml"))
	require.NoError(t, err)
	assert.Equal(t, string(original), string(ci))

	_, err = pinActions(t, root, "v1;rm")
	assert.Error(t, err)
}
