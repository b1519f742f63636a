package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newLocal(t *testing.T) *Local {
	t.Helper()
	l, err := NewLocal(t.TempDir(), WithClock(func() time.Time { return fixedNow }))
	require.NoError(t, err)
	return l
}

func TestLocalContract(t *testing.T) {
	runContract(t, func(t *testing.T) Store { return newLocal(t) })
}

func TestLocalLeavesNoTemporaryFiles(t *testing.T) {
	l := newLocal(t)
	data := []byte("abc")
	_, err := l.Put(context.Background(), "r/v1/f", &cutReader{r: bytes.NewReader(data), after: 1}, -1, SHA256Hex(data), "")
	require.ErrorIs(t, err, errCut)
	_, err = l.Put(context.Background(), "r/v1/f", bytes.NewReader(data), 3, SHA256Hex([]byte("other")), "")
	require.ErrorIs(t, err, ErrChecksumMismatch)
	putBytes(t, l, "r/v1/g", data)

	entries, err := os.ReadDir(l.tmpDir())
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestLocalFilesAreReadableByOthers(t *testing.T) {
	l := newLocal(t)
	putBytes(t, l, "r/v1/f", []byte("x"))
	fi, err := os.Stat(filepath.Join(l.Dir(), "r", "v1", "f"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
}

func TestLocalRecomputesStaleDigest(t *testing.T) {
	l := newLocal(t)
	putBytes(t, l, "r/v1/f", []byte("original"))
	edited := []byte("edited by hand")
	require.NoError(t, os.WriteFile(filepath.Join(l.Dir(), "r", "v1", "f"), edited, 0o644))

	info, err := l.Stat(context.Background(), "r/v1/f")
	require.NoError(t, err)
	assert.Equal(t, SHA256Hex(edited), info.SHA256)
}

func TestLocalReservesItsOwnFolder(t *testing.T) {
	l := newLocal(t)
	for _, key := range []string{".shepherd/retention.json", ".shepherd"} {
		_, err := l.Stat(context.Background(), key)
		assert.ErrorIs(t, err, ErrInvalidKey, key)
	}
	_, err := l.DeletePrefix(context.Background(), ".shepherd")
	assert.ErrorIs(t, err, ErrInvalidKey)
	_, err = l.EnsureRetention(context.Background(), "ciel", 21)
	require.NoError(t, err)
	assert.Empty(t, list(t, l, ""), "internal files are not objects")
}

func TestLocalLinkIsAFileURL(t *testing.T) {
	l := newLocal(t)
	putBytes(t, l, "r/v1/with space.txt", []byte("x"))
	link, _, err := l.Link(context.Background(), "r/v1/with space.txt", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, "file://"+filepath.ToSlash(l.Dir())+"/r/v1/with%20space.txt", link)
}

func TestLocalApplyRetention(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	uploaded := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, key := range []string{"ciel/v1/a", "ciel/v1/b", "other/v1/a"} {
		putBytes(t, l, key, []byte(key))
		path := filepath.Join(l.Dir(), filepath.FromSlash(key))
		require.NoError(t, os.Chtimes(path, uploaded, uploaded))
	}
	_, err := l.EnsureRetention(ctx, "ciel", 21)
	require.NoError(t, err)

	deleted, err := l.ApplyRetention(ctx, uploaded.Add(21*24*time.Hour-time.Second))
	require.NoError(t, err)
	assert.Empty(t, deleted, "one second before the deadline")

	deleted, err = l.ApplyRetention(ctx, uploaded.Add(21*24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []string{"ciel/v1/a", "ciel/v1/b"}, deleted)
	assert.Equal(t, []string{"other/v1/a"}, keysOf(list(t, l, "")))

	rules, err := l.Rules()
	require.NoError(t, err)
	assert.Equal(t, []Rule{{ID: "shepherd-expire-ciel", Prefix: "ciel/", Days: 21}}, rules)
}
