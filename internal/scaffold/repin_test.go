package scaffold

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Repinning rewrites the ref of every use of Shepherd's workflows in the written callers,
// touches nothing else, is idempotent, and refuses a ref that is not a release tag.
func TestRepinWorkflowsRewritesOnlyShepherdRefs(t *testing.T) {
	dir := t.TempDir()
	files, err := Files(Options{Org: "CIEL", Source: "CIEL", Version: "v1.2.3"})
	require.NoError(t, err)
	for _, f := range files {
		p := filepath.Join(dir, f.Path)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, f.Data, 0o644))
	}
	other := filepath.Join(dir, ".github/workflows/shepherd-janitor.yml")
	before, err := os.ReadFile(other)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(other, append(before, []byte("  extra:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n")...), 0o644))

	_, err = RepinWorkflows(dir, "main")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"main" is not a Shepherd release tag`)

	changed, err := RepinWorkflows(dir, "v1.4.0")
	require.NoError(t, err)
	assert.Len(t, changed, len(Workflows), "every caller")
	for _, name := range Workflows {
		text, err := os.ReadFile(filepath.Join(dir, ".github/workflows", name))
		require.NoError(t, err)
		assert.Contains(t, string(text), "@v1.4.0", name)
		assert.NotContains(t, string(text), "v1.2.3", name)
	}
	text, err := os.ReadFile(other)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(text), "- uses: actions/checkout@v4\n"), "other actions keep their refs")

	changed, err = RepinWorkflows(dir, "v1.4.0")
	require.NoError(t, err)
	assert.Empty(t, changed, "already pinned")

	_, err = RepinWorkflows(t.TempDir(), "v1.4.0")
	assert.ErrorContains(t, err, "no .github/workflows/shepherd-*.yml")
}
