package steps_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/store"
	"github.com/shepherd-release/shepherd/internal/store/miniotest"
)

var bucketSeq atomic.Int64

// minioConfig is a configuration on the shared MinIO with a bucket of its own.
func minioConfig(t *testing.T) (*miniotest.Server, *manifest.Config) {
	t.Helper()
	s3 := miniotest.Shared(t)
	cfg := manifest.DefaultConfig()
	cfg.Storage.Type = manifest.StorageS3
	cfg.Storage.Endpoint = s3.Endpoint
	cfg.Storage.Insecure = true
	cfg.Storage.Bucket = fmt.Sprintf("shepherd-steps-%d-%d", time.Now().UnixNano()%1e6, bucketSeq.Add(1))
	cfg.Storage.PartSize = 5 << 20
	return s3, cfg
}

func minioSandbox(t *testing.T, seed int64, adjust func(*manifest.Config)) (*sandbox.Sandbox, *miniotest.Server) {
	t.Helper()
	ctx := context.Background()
	s3, cfg := minioConfig(t)
	if adjust != nil {
		adjust(cfg)
	}
	sb, err := sandbox.New(ctx, sandbox.Options{
		Dir: t.TempDir(), Head: dataset.Spec{Seed: seed, Concepts: 120}, Config: cfg,
		Plan: ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302},
		// MinIO checks signatures against the real time: the sandbox starts now.
		Start: time.Now().UTC(),
		Env:   map[string]string{cfg.Storage.AccessKeyEnv: s3.AccessKey, cfg.Storage.SecretKeyEnv: s3.SecretKey},
	})
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	require.NoError(t, sb.Env.Store.(*store.S3).EnsureBucket(ctx))
	return sb, s3
}

func anonymousGet(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// link_mode public: the bot grants anonymous read on the export prefix itself, so the plain
// links work for anyone, and nothing else in the bucket is readable or listable.
func TestPublicModeSetsTheBucketPolicyItself(t *testing.T) {
	ctx := context.Background()
	sb, s3 := minioSandbox(t, 61, func(c *manifest.Config) { c.Storage.LinkMode = manifest.LinkPublic })
	m, sha, _ := openAndMerge(t, sb)
	require.NoError(t, driveToTheEnd(ctx, sb, m, sha))
	rec, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	require.Equal(t, release.Done, rec.Release.Phase)
	require.Len(t, rec.Downloads, 5, "2 SQL files, SHA256SUMS, manifest.json and the bundle")
	for _, d := range rec.Downloads {
		assert.NotContains(t, d.URL, "X-Amz-Signature", "a plain URL")
		assert.True(t, d.ValidUntil.IsZero())
		assert.Equal(t, http.StatusOK, anonymousGet(t, d.URL), d.File)
	}
	base := s3.URL() + "/" + sb.Config.Storage.Bucket
	assert.Equal(t, http.StatusForbidden, anonymousGet(t, base+"/qa/HEAD/latest.json"), "outside the export prefix")
	assert.Equal(t, http.StatusForbidden, anonymousGet(t, base+"/?list-type=2&prefix="+sb.Config.Storage.Prefix+"/"), "no listing")
}

// The janitor renews the QA reports' links as it renews the downloads': a report stays
// reachable from the status for the whole retention, never past it.
func TestJanitorReissuesQAReportLinks(t *testing.T) {
	ctx := context.Background()
	sb := newSandbox(t, dataset.Spec{Seed: 62, Concepts: 120}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	m, sha, _ := openAndMerge(t, sb)
	require.NoError(t, driveToTheEnd(ctx, sb, m, sha))
	rec, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	require.NotNil(t, rec.HeadQA)
	require.NotNil(t, rec.ExportQA)
	deleteAt := rec.UploadedAt.Add(sb.Config.Retention)
	for day := 1; day < 21; day++ {
		sb.Clock.Advance(24 * time.Hour)
		out, err := sb.Env.Janitor(ctx)
		require.NoError(t, err)
		for _, o := range out {
			require.NoError(t, o.Err)
		}
		rec, err = sb.Env.Status(ctx, version)
		require.NoError(t, err)
		for _, q := range []*steps.QAResult{rec.HeadQA, rec.ExportQA} {
			assert.True(t, q.ReportLinkUntil.After(sb.Clock.Now()), "day %d: the link of %s still works", day, q.ReportKey)
			assert.False(t, q.ReportLinkUntil.After(deleteAt), "day %d: no link outlives the files", day)
		}
	}
	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, rec.ExportQA.ReportURL, "the status links the renewed report")
}

// listingMisses leaves one key out of every listing (RustFS had such bugs:
// rustfs/rustfs #5051, #2905, #3217), and optionally answers its deletion without deleting.
type listingMisses struct {
	store.Store
	hidden   string
	keepIt   bool
	stillGot atomic.Int64
}

func (l *listingMisses) List(ctx context.Context, prefix string) ([]store.ObjectInfo, error) {
	all, err := l.Store.List(ctx, prefix)
	var seen []store.ObjectInfo
	for _, o := range all {
		if o.Key != l.hidden {
			seen = append(seen, o)
		}
	}
	return seen, err
}

func (l *listingMisses) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	objects, err := l.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	for _, o := range objects {
		if err := l.Store.Delete(ctx, o.Key); err != nil {
			return 0, err
		}
	}
	return len(objects), nil
}

func (l *listingMisses) Delete(ctx context.Context, key string) error {
	if l.keepIt && key == l.hidden {
		return nil
	}
	return l.Store.Delete(ctx, key)
}

// The janitor records a release as removed only once its files are checked gone: a key the
// listing misses is deleted by name, and a key that survives its deletion keeps the release
// from being recorded as removed.
func TestJanitorRecordsRemovalOnlyWhenTheFilesAreGone(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(map[bool]string{false: "the listing misses a file", true: "a deletion does not delete"}[keep], func(t *testing.T) {
			ctx := context.Background()
			sb := newSandbox(t, dataset.Spec{Seed: 63, Concepts: 120}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
			m, sha, _ := openAndMerge(t, sb)
			require.NoError(t, driveToTheEnd(ctx, sb, m, sha))
			rec, err := sb.Env.Status(ctx, version)
			require.NoError(t, err)
			var sqlKey string
			for _, d := range rec.Downloads {
				if strings.HasSuffix(d.File, ".sql.zip") {
					sqlKey = d.Key
				}
			}
			require.NotEmpty(t, sqlKey)
			faulty := &listingMisses{hidden: sqlKey, keepIt: keep}
			sb.SetFaults(nil, func(s store.Store) store.Store { faulty.Store = s; return faulty })
			require.NoError(t, sb.Restart(ctx))

			sb.Clock.Advance(sb.Config.Retention + time.Hour)
			out, err := sb.Env.Janitor(ctx)
			require.NoError(t, err)
			require.Len(t, out, 1)
			rec, err = sb.Env.Status(ctx, version)
			require.NoError(t, err)
			_, statErr := faulty.Store.Stat(ctx, sqlKey)
			if keep {
				require.ErrorIs(t, out[0].Err, store.ErrNotGone)
				assert.Contains(t, out[0].Err.Error(), sqlKey)
				assert.False(t, out[0].Removed)
				assert.True(t, rec.RemovedAt.IsZero(), "not recorded as removed while a file is there")
				assert.NoError(t, statErr, "the file is indeed still there")
				return
			}
			require.NoError(t, out[0].Err)
			assert.True(t, out[0].Removed)
			assert.False(t, rec.RemovedAt.IsZero())
			assert.ErrorIs(t, statErr, store.ErrNotFound, "the file the listing missed is gone too")
		})
	}
}
