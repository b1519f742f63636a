package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedNow is the clock the contract tests give stores, so link expiries are exact.
var fixedNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// runContract runs the behaviour every Store must share against stores made by open, each
// subtest on a fresh, empty store.
func runContract(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("put then stat and list", func(t *testing.T) {
		s := open(t)
		data := []byte("concept_id,name\n1,Malaria\n")
		res, err := s.Put(ctx, "ciel/v2025-03-01/concepts.csv", bytes.NewReader(data), int64(len(data)), SHA256Hex(data), "text/csv")
		require.NoError(t, err)
		assert.Equal(t, PutResult{Size: int64(len(data))}, res)

		info, err := s.Stat(ctx, "ciel/v2025-03-01/concepts.csv")
		require.NoError(t, err)
		assert.Equal(t, "ciel/v2025-03-01/concepts.csv", info.Key)
		assert.Equal(t, int64(len(data)), info.Size)
		assert.Equal(t, SHA256Hex(data), info.SHA256)
		assert.False(t, info.Modified.IsZero())

		assert.Equal(t, data, fetch(t, s, "ciel/v2025-03-01/concepts.csv"))
	})

	t.Run("unknown size", func(t *testing.T) {
		s := open(t)
		data := bytes.Repeat([]byte("x"), 1000)
		res, err := s.Put(ctx, "a/b", onlyReader{bytes.NewReader(data)}, -1, SHA256Hex(data), "")
		require.NoError(t, err)
		assert.Equal(t, int64(1000), res.Size)
		assert.Equal(t, data, fetch(t, s, "a/b"))
	})

	t.Run("same sha256 is skipped without reading", func(t *testing.T) {
		s := open(t)
		data := []byte("same")
		putBytes(t, s, "r/v1/f", data)
		res, err := s.Put(ctx, "r/v1/f", failingReader{}, int64(len(data)), SHA256Hex(data), "")
		require.NoError(t, err)
		assert.Equal(t, PutResult{Skipped: true, Size: int64(len(data))}, res)
	})

	t.Run("different sha256 is uploaded again", func(t *testing.T) {
		s := open(t)
		putBytes(t, s, "r/v1/f", []byte("first"))
		second := []byte("second, longer")
		res, err := s.Put(ctx, "r/v1/f", bytes.NewReader(second), int64(len(second)), SHA256Hex(second), "")
		require.NoError(t, err)
		assert.False(t, res.Skipped)
		info, err := s.Stat(ctx, "r/v1/f")
		require.NoError(t, err)
		assert.Equal(t, SHA256Hex(second), info.SHA256)
		assert.Equal(t, second, fetch(t, s, "r/v1/f"))
	})

	t.Run("sha256 mismatch stores nothing", func(t *testing.T) {
		s := open(t)
		data := []byte("the real content")
		announced := SHA256Hex([]byte("something else"))
		_, err := s.Put(ctx, "r/v1/f", bytes.NewReader(data), int64(len(data)), announced, "")
		var mismatch *ChecksumMismatchError
		require.ErrorAs(t, err, &mismatch)
		assert.ErrorIs(t, err, ErrChecksumMismatch)
		assert.Equal(t, SHA256Hex(data), mismatch.Got)
		assert.Equal(t, announced, mismatch.Want)
		assertEmpty(t, s)
	})

	t.Run("short stream stores nothing", func(t *testing.T) {
		s := open(t)
		data := []byte("12345")
		_, err := s.Put(ctx, "r/v1/f", bytes.NewReader(data), 10, SHA256Hex(data), "")
		require.Error(t, err)
		assertEmpty(t, s)
	})

	t.Run("stream error stores nothing", func(t *testing.T) {
		s := open(t)
		r := &cutReader{r: bytes.NewReader(make([]byte, 4096)), after: 1000}
		_, err := s.Put(ctx, "r/v1/f", r, -1, SHA256Hex(make([]byte, 4096)), "")
		require.ErrorIs(t, err, errCut)
		assertEmpty(t, s)
	})

	t.Run("bad sha256 refused", func(t *testing.T) {
		s := open(t)
		for _, sha := range []string{"", "abc", strings.Repeat("g", 64)} {
			_, err := s.Put(ctx, "r/v1/f", strings.NewReader("x"), 1, sha, "")
			assert.Error(t, err, sha)
		}
		assertEmpty(t, s)
	})

	t.Run("stat of a missing key is a typed not-found", func(t *testing.T) {
		s := open(t)
		putBytes(t, s, "r/v1/f", []byte("x"))
		for _, key := range []string{"r/v1/g", "r/v1", "r"} {
			_, err := s.Stat(ctx, key)
			var nf *NotFoundError
			require.ErrorAs(t, err, &nf, key)
			assert.Equal(t, key, nf.Key)
			assert.ErrorIs(t, err, ErrNotFound)
		}
	})

	t.Run("invalid keys refused", func(t *testing.T) {
		s := open(t)
		for _, key := range []string{"", "/abs", "a//b", "a/../b", "..", "a/", `a\b`} {
			_, err := s.Put(ctx, key, strings.NewReader("x"), 1, SHA256Hex([]byte("x")), "")
			assert.ErrorIs(t, err, ErrInvalidKey, "put %q", key)
			_, err = s.Stat(ctx, key)
			assert.ErrorIs(t, err, ErrInvalidKey, "stat %q", key)
			assert.ErrorIs(t, s.Delete(ctx, key), ErrInvalidKey, "delete %q", key)
		}
		assertEmpty(t, s)
	})

	t.Run("list is sorted and limited to the folder", func(t *testing.T) {
		s := open(t)
		for _, key := range []string{"ciel/v2/b", "ciel/v1/a", "ciel/v10/a", "ciel-old/v1/a", "qa/HEAD/latest.json"} {
			putBytes(t, s, key, []byte(key))
		}
		assert.Equal(t, []string{"ciel/v1/a", "ciel/v10/a", "ciel/v2/b"}, keysOf(list(t, s, "ciel")))
		assert.Equal(t, []string{"ciel/v1/a"}, keysOf(list(t, s, "ciel/v1/")))
		assert.Len(t, list(t, s, ""), 5)
		assert.Empty(t, list(t, s, "nothing"))
		_, err := s.List(ctx, "../x")
		assert.ErrorIs(t, err, ErrInvalidKey)
	})

	t.Run("delete", func(t *testing.T) {
		s := open(t)
		putBytes(t, s, "r/v1/f", []byte("x"))
		require.NoError(t, s.Delete(ctx, "r/v1/f"))
		require.NoError(t, s.Delete(ctx, "r/v1/f"), "deleting a missing key")
		assertEmpty(t, s)
	})

	t.Run("delete prefix removes exactly one release", func(t *testing.T) {
		s := open(t)
		for _, key := range []string{"ciel/v1/a", "ciel/v1/sub/b", "ciel/v10/a", "ciel/v2/a", "qa/HEAD/latest.json"} {
			putBytes(t, s, key, []byte(key))
		}
		n, err := s.DeletePrefix(ctx, "ciel/v1")
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		assert.Equal(t, []string{"ciel/v10/a", "ciel/v2/a", "qa/HEAD/latest.json"}, keysOf(list(t, s, "")))

		n, err = s.DeletePrefix(ctx, "ciel/v1")
		require.NoError(t, err)
		assert.Zero(t, n, "second time")

		for _, prefix := range []string{"", "/", "a/../b"} {
			_, err = s.DeletePrefix(ctx, prefix)
			assert.ErrorIs(t, err, ErrInvalidKey, "prefix %q", prefix)
		}
		assert.Len(t, list(t, s, ""), 3)
	})

	t.Run("link", func(t *testing.T) {
		s := open(t)
		data := []byte("download me")
		putBytes(t, s, "r/v1/f.zip", data)
		link, expires, err := s.Link(ctx, "r/v1/f.zip", 36*time.Hour)
		require.NoError(t, err)
		assert.Equal(t, fixedNow.Add(36*time.Hour), expires)
		assert.Equal(t, data, get(t, link))

		_, _, err = s.Link(ctx, "r/v1/missing", time.Hour)
		assert.ErrorIs(t, err, ErrNotFound)
		_, _, err = s.Link(ctx, "r/v1/f.zip", 0)
		assert.Error(t, err)
	})

	t.Run("retention rule is idempotent", func(t *testing.T) {
		s := open(t)
		rule, err := s.EnsureRetention(ctx, "ciel", 21)
		require.NoError(t, err)
		assert.Equal(t, Rule{ID: "shepherd-expire-ciel", Prefix: "ciel/", Days: 21}, rule)
		again, err := s.EnsureRetention(ctx, "ciel/", 21)
		require.NoError(t, err)
		assert.Equal(t, rule, again)
		changed, err := s.EnsureRetention(ctx, "ciel", 30)
		require.NoError(t, err)
		assert.Equal(t, 30, changed.Days)

		_, err = s.EnsureRetention(ctx, "ciel", 0)
		assert.Error(t, err)
		_, err = s.EnsureRetention(ctx, "", 21)
		assert.ErrorIs(t, err, ErrInvalidKey)
	})

	runConditionalContract(t, open)
}

func putBytes(t *testing.T, s Store, key string, data []byte) {
	t.Helper()
	_, err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), SHA256Hex(data), "application/octet-stream")
	require.NoError(t, err)
}

func list(t *testing.T, s Store, prefix string) []ObjectInfo {
	t.Helper()
	objects, err := s.List(context.Background(), prefix)
	require.NoError(t, err)
	return objects
}

func keysOf(objects []ObjectInfo) []string {
	keys := make([]string, 0, len(objects))
	for _, o := range objects {
		keys = append(keys, o.Key)
	}
	return keys
}

func assertEmpty(t *testing.T, s Store) {
	t.Helper()
	assert.Empty(t, keysOf(list(t, s, "")), "objects left in the store")
}

// fetch downloads key through a link.
func fetch(t *testing.T, s Store, key string) []byte {
	t.Helper()
	link, _, err := s.Link(context.Background(), key, time.Hour)
	require.NoError(t, err)
	return get(t, link)
}

// get reads an http:// or file:// URL.
func get(t *testing.T, link string) []byte {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	if u.Scheme == "file" {
		data, err := os.ReadFile(u.Path)
		require.NoError(t, err)
		return data
	}
	resp, err := http.Get(link)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", u.Redacted(), body)
	return body
}

// onlyReader hides every method but Read, as a pipe or network stream would.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// failingReader fails the test's expectation that nothing is read.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) {
	return 0, errors.New("read although the upload should be skipped")
}

var errCut = errors.New("connection to the export source lost")

// cutReader returns errCut once after bytes have been read.
type cutReader struct {
	r     io.Reader
	after int64
	read  int64
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.read >= c.after {
		return 0, errCut
	}
	if rest := c.after - c.read; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.r.Read(p)
	c.read += int64(n)
	return n, err
}
