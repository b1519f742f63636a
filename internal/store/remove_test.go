package store

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/store/miniotest"
)

// blindListing misses one key in every listing, as RustFS's listing bugs did
// (rustfs/rustfs #5051, #2905, #3217).
type blindListing struct {
	Store
	hidden string
}

func (b blindListing) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	all, err := b.Store.List(ctx, prefix)
	var seen []ObjectInfo
	for _, o := range all {
		if o.Key != b.hidden {
			seen = append(seen, o)
		}
	}
	return seen, err
}

func (b blindListing) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	objects, err := b.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	for _, o := range objects {
		if err := b.Store.Delete(ctx, o.Key); err != nil {
			return 0, err
		}
	}
	return len(objects), nil
}

// keepsOne answers every deletion of one key with success and keeps the object.
type keepsOne struct {
	blindListing
}

func (k keepsOne) Delete(ctx context.Context, key string) error {
	if key == k.hidden {
		return nil
	}
	return k.blindListing.Delete(ctx, key)
}

func TestRemoveFolderChecksTheKeysAreGone(t *testing.T) {
	stores := map[string]func(t *testing.T) Store{
		"local": func(t *testing.T) Store { s, err := NewLocal(t.TempDir()); require.NoError(t, err); return s },
		"s3":    func(t *testing.T) Store { return newS3(t, miniotest.Shared(t)) },
	}
	ctx := context.Background()
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			fill := func(t *testing.T) Store {
				s := open(t)
				for _, k := range []string{"ciel/v1/a.zip", "ciel/v1/b.zip", "ciel/v1/SHA256SUMS", "ciel/v2/a.zip", "qa/HEAD/latest.json"} {
					putBytes(t, s, k, []byte(k))
				}
				return s
			}
			known := []string{"ciel/v1/a.zip", "ciel/v1/b.zip", "ciel/v1/SHA256SUMS", "ciel/v2/a.zip", "qa/HEAD/latest.json"}

			t.Run("a listing that misses a known key", func(t *testing.T) {
				s := fill(t)
				_, err := RemoveFolder(ctx, blindListing{Store: s, hidden: "ciel/v1/b.zip"}, "ciel/v1", known)
				require.NoError(t, err)
				assert.Empty(t, list(t, s, "ciel/v1"), "the unlisted key was deleted by name")
				assert.Len(t, list(t, s, "ciel/v2"), 1, "known keys outside the folder are not touched")
				assert.Len(t, list(t, s, "qa"), 1)
			})
			t.Run("a deletion that does not delete", func(t *testing.T) {
				s := fill(t)
				_, err := RemoveFolder(ctx, keepsOne{blindListing{Store: s, hidden: "ciel/v1/b.zip"}}, "ciel/v1", known)
				require.ErrorIs(t, err, ErrNotGone)
				assert.Contains(t, err.Error(), "ciel/v1/b.zip")
			})
		})
	}
}

func TestRemoveFolderRefusesBadFolders(t *testing.T) {
	s, err := NewLocal(t.TempDir())
	require.NoError(t, err)
	_, err = RemoveFolder(context.Background(), s, "../x", nil)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "remove folder"))
}
