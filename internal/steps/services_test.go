package steps_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/bundle"
	"github.com/shepherd-release/shepherd/internal/export/openmrsdb/openmrsdbtest"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/sshsig"
	"github.com/shepherd-release/shepherd/internal/store"
	"github.com/shepherd-release/shepherd/internal/store/miniotest"
)

func TestMain(m *testing.M) { miniotest.Main(m) }

const loadTestDSN = openmrsdbtest.ServerDSN

// The whole release with the real services a repository has: a MinIO bucket for the
// files (presigned links), a MariaDB for the load test of both SQL files.
func TestReleaseWithRealMinIOAndMariaDB(t *testing.T) {
	openmrsdbtest.NeedServer(t)
	s3 := miniotest.Shared(t)
	cfg := manifest.DefaultConfig()
	cfg.Storage.Type = manifest.StorageS3
	cfg.Storage.Endpoint = s3.Endpoint
	cfg.Storage.Insecure = true
	cfg.Storage.Bucket = "ciel-releases"
	cfg.Storage.PartSize = 5 << 20
	// Signed, as a production release is.
	key, public, err := sshsig.NewKey("release key")
	require.NoError(t, err)
	allowedText := "releases@ciel " + public + "\n"
	cfg.Signing.AllowedSigners = filepath.Join(t.TempDir(), "allowed_signers")
	require.NoError(t, os.WriteFile(cfg.Signing.AllowedSigners, []byte(allowedText), 0o644))
	sb, err := sandbox.New(context.Background(), sandbox.Options{
		Dir: t.TempDir(), Head: dataset.Spec{Seed: 21, Concepts: 250}, Config: cfg,
		Plan: ocltest.ExportPlan{NonePolls: 1, Ready: ocltest.ReadyRedirect302},
		// MinIO checks signatures against the real time: the sandbox starts now.
		Start: time.Now().UTC(),
		Env: map[string]string{
			cfg.Storage.AccessKeyEnv: s3.AccessKey, cfg.Storage.SecretKeyEnv: s3.SecretKey,
			"SHEPHERD_LOAD_TEST_DSN": loadTestDSN,
			"SHEPHERD_SIGNING_KEY":   string(key),
		},
	})
	require.NoError(t, err)
	defer sb.Close()
	ctx := context.Background()
	require.NoError(t, sb.Env.Store.(*store.S3).EnsureBucket(ctx))
	require.NotEmpty(t, sb.Env.LoadTestDSN)

	m, sha, _ := openAndMerge(t, sb)
	_, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)

	// MinIO goes away while the release waits for its export: no tick can take the
	// release's lease, so none asks OCL or writes the record (no poll is counted), and
	// nothing is lost.
	require.NoError(t, s3.Stop())
	for range 2 {
		sb.Clock.Advance(10 * time.Minute)
		out, err := sb.Env.Poll(ctx)
		require.NoError(t, err)
		require.Error(t, out[0].Err)
		assert.Contains(t, out[0].Err.Error(), "take the lease of release "+version)
		assert.Equal(t, release.Exporting, out[0].To)
	}
	rec, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	assert.Zero(t, rec.Release.Attempts, "no poll was made, so none counted")

	require.NoError(t, s3.Restart())
	sb.Clock.Advance(10 * time.Minute)
	out, err := sb.Env.Poll(ctx) // 204
	require.NoError(t, err)
	require.NoError(t, out[0].Err)
	assert.Equal(t, release.Exporting, out[0].To)
	sb.Clock.Advance(10 * time.Minute)
	out, err = sb.Env.Poll(ctx)
	require.NoError(t, err)
	require.NoError(t, out[0].Err)
	assert.Equal(t, release.Done, out[0].To)

	rec, err = sb.Env.Status(ctx, version)
	require.NoError(t, err)
	require.Len(t, rec.LoadTests, 2, "both SQL files load-tested")
	for _, l := range rec.LoadTests {
		assert.Empty(t, l.Skipped)
		assert.Positive(t, l.Rows)
	}
	require.Len(t, rec.Downloads, 6, "2 SQL files, SHA256SUMS, its signature, manifest.json and the bundle")
	for _, d := range rec.Downloads {
		resp, err := http.Get(d.URL)
		require.NoError(t, err)
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, d.File)
		sum := sha256.Sum256(data)
		assert.Equal(t, d.SHA256, hex.EncodeToString(sum[:]), d.File)
		assert.False(t, d.ValidUntil.After(d.DeleteAt))
	}
	objects, err := sb.Env.Store.List(ctx, sb.Config.Storage.Prefix+"/"+version)
	require.NoError(t, err)
	assert.Len(t, objects, 13, "2 SQL files, SHA256SUMS and its signature, manifest.json, 6 QA reports, the bundle and its checksum line, once each")

	// The bundle, read through its presigned link from MinIO, verifies.
	trusted, err := sshsig.ParseAllowedSigners("trusted", []byte(allowedText))
	require.NoError(t, err)
	for _, d := range rec.Downloads {
		if d.File != bundle.FileName(version) {
			continue
		}
		report, err := bundle.Verify(ctx, d.URL, bundle.VerifyOptions{AllowedSigners: trusted})
		require.NoError(t, err)
		assert.Empty(t, report.Problems)
		assert.Contains(t, report.Signer, "releases@ciel")
	}

	// A crash after publishing, then a re-run: nothing is uploaded again.
	require.NoError(t, sb.Restart(ctx))
	rec, err = sb.Env.Retry(ctx, m)
	require.NoError(t, err)
	assert.Equal(t, release.Done, rec.Release.Phase)
}
