package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteReplacesWholeFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "report.json")
	require.NoError(t, WriteBytes(p, 0o644, []byte("old")))
	require.NoError(t, WriteBytes(p, 0o600, []byte("new content")))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "new content", string(got))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestFailedWriteLeavesOldContentAndNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.json")
	require.NoError(t, WriteBytes(p, 0o644, []byte("old")))
	boom := errors.New("disk on fire")
	err := Write(p, 0o644, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "the temporary file must be removed")
}
