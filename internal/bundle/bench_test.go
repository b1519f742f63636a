package bundle_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/bundle"
	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/sshsig"
)

// cielLikeSQLZip is the size of one zipped CIEL-scale SQL file (`shepherd demo --scale
// ciel` writes 33.5 MB each); zipped SQL does not compress further, so random bytes stand
// in for it.
const cielLikeSQLZip = 32 << 20

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// BenchmarkAssembleAndVerifyCIELScale measures what signing, bundling and verifying add
// to a release of CIEL's size: two zipped SQL files of cielLikeSQLZip bytes.
func BenchmarkAssembleAndVerifyCIELScale(b *testing.B) {
	k := newKey(b)
	text := "releases@ciel " + k.line + "\n"
	dir := b.TempDir()
	var arts []export.Artifact
	for _, name := range []string{"openmrs_concepts_1.11_" + version + ".sql.zip", "openmrs_concepts_2_" + version + ".sql.zip"} {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		require.NoError(b, err)
		_, err = io.CopyN(f, rand.Reader, cielLikeSQLZip)
		require.NoError(b, err)
		require.NoError(b, f.Close())
		sum, err := fileSHA256(p)
		require.NoError(b, err)
		arts = append(arts, export.Artifact{Name: name, Format: "openmrs-2", Path: p, Size: cielLikeSQLZip, SHA256: sum})
	}
	r := bundle.Release{Source: "CIEL/CIEL", Version: version, Created: created, Dir: dir, Artifacts: arts,
		Signing: &bundle.Signing{Key: k.signer, Allowed: allowed(b, text), AllowedText: []byte(text)}}
	var res *bundle.Assembled
	b.Run("assemble", func(b *testing.B) {
		for b.Loop() {
			var err error
			res, err = bundle.Assemble(r)
			require.NoError(b, err)
		}
		b.ReportMetric(float64(res.Bundle.Size)/(1<<20), "MiB-bundle")
	})
	b.Run("sign", func(b *testing.B) {
		sums, err := os.ReadFile(filepath.Join(dir, bundle.SumsFile))
		require.NoError(b, err)
		for b.Loop() {
			_, err := sshsig.Sign(k.signer, sshsig.Namespace, bytes.NewReader(sums))
			require.NoError(b, err)
		}
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			rep, err := bundle.Verify(context.Background(), res.Bundle.Path, bundle.VerifyOptions{AllowedSigners: allowed(b, text)})
			require.NoError(b, err)
			require.True(b, rep.OK())
		}
	})
}
