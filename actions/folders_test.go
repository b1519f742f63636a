package actions

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// actionFolders lists the folders under actions/ that hold an action.yml.
func actionFolders(t *testing.T) []string {
	t.Helper()
	matches, err := filepath.Glob("*/action.yml")
	require.NoError(t, err)
	var names []string
	for _, m := range matches {
		if _, err := os.Stat(m); err == nil {
			names = append(names, filepath.Dir(m))
		}
	}
	sort.Strings(names)
	return names
}
