package bundle_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/shepherd-release/shepherd/internal/bundle"
	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/sshsig"
)

var created = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

const version = "v2026-11-22"

type key struct {
	signer ssh.Signer
	line   string // the public key as allowed_signers writes it
}

func newKey(t testing.TB) key {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	return key{signer: s, line: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey())))}
}

func allowed(t testing.TB, text string) *sshsig.AllowedSigners {
	t.Helper()
	a, err := sshsig.ParseAllowedSigners("trusted_signers", []byte(text))
	require.NoError(t, err)
	return a
}

// release writes two artifacts into a new folder and returns the Release of them.
func release(t *testing.T, k key, allowedText string) bundle.Release {
	t.Helper()
	dir := t.TempDir()
	var arts []export.Artifact
	for name, body := range map[string]string{
		"openmrs_concepts_1.11_" + version + ".sql.zip": "sql for 1.11",
		"openmrs_concepts_2_" + version + ".sql.zip":    "sql for 2.x",
		"extra-csv/concepts.csv":                        "id,name\n", // a script's output: <export>/<path>
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		format := "openmrs-2"
		switch {
		case strings.Contains(name, "1.11"):
			format = "openmrs-1.11"
		case strings.HasSuffix(name, ".csv"):
			format = "script"
		}
		arts = append(arts, export.Artifact{Name: name, Format: format, Path: p, Size: int64(len(body)), SHA256: sha(body)})
	}
	r := bundle.Release{Source: "CIEL/CIEL", Version: version, Created: created, Expires: created.Add(21 * 24 * time.Hour),
		Dir: dir, Artifacts: arts,
		Counts: &export.Counts{Concepts: 2, Rows: map[string]int64{"concept": 2, "concept_name": 5}},
		Documents: []bundle.Entry{
			{Name: "qa-export.html", Data: []byte("<html>QA</html>")},
			{Name: "CHANGELOG.md", Data: []byte("# Changes\n")},
		}}
	if allowedText != "" {
		r.Signing = &bundle.Signing{Key: k.signer, Allowed: allowed(t, allowedText), AllowedText: []byte(allowedText)}
	}
	return r
}

func sha(s string) string { return sha256Hex([]byte(s)) }

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func TestAssembleIsByteIdenticalOnRebuild(t *testing.T) {
	k := newKey(t)
	text := `releases@ciel valid-after="20260101Z" ` + k.line + "\n"
	first, err := bundle.Assemble(release(t, k, text))
	require.NoError(t, err)
	again, err := bundle.Assemble(release(t, k, text)) // a new runner after a crash
	require.NoError(t, err)
	a, err := os.ReadFile(first.Bundle.Path)
	require.NoError(t, err)
	b, err := os.ReadFile(again.Bundle.Path)
	require.NoError(t, err)
	assert.Equal(t, a, b, "the bundle rebuilt from the same inputs has the same bytes")
	assert.Equal(t, first.Bundle.SHA256, again.Bundle.SHA256)
	assert.Equal(t, "releases@ciel", first.Signer.Principal)

	// Every entry is under the version's folder, in name order, dated the release's time,
	// owned by 0:0; gzip carries no name or time.
	zr, err := gzip.NewReader(bytes.NewReader(a))
	require.NoError(t, err)
	assert.Empty(t, zr.Name)
	assert.True(t, zr.ModTime.IsZero())
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		names = append(names, h.Name)
		assert.True(t, h.ModTime.Equal(created), h.Name)
		assert.Zero(t, h.Uid)
		assert.Zero(t, h.Gid)
	}
	assert.Equal(t, []string{version + "/", version + "/CHANGELOG.md", version + "/RUNBOOK.md", version + "/SHA256SUMS", version + "/SHA256SUMS.sig",
		version + "/allowed_signers", version + "/extra-csv/concepts.csv", version + "/index.html", version + "/manifest.json",
		version + "/openmrs_concepts_1.11_" + version + ".sql.zip", version + "/openmrs_concepts_2_" + version + ".sql.zip",
		version + "/qa-export.html"}, names)
}

func TestAssembleRefusesAKeyItMayNotUse(t *testing.T) {
	k, other := newKey(t), newKey(t)
	_, err := bundle.Assemble(release(t, k, "releases@ciel "+other.line+"\n"))
	assert.ErrorContains(t, err, "the signing key may not sign this release: the signing key SHA256:")
	_, err = bundle.Assemble(release(t, k, `releases@ciel valid-after="20270101Z" `+k.line+"\n"))
	assert.ErrorContains(t, err, "is valid from 2027-01-01T00:00:00Z until no end, not at 2026-11-22T09:30:00Z")
}

func verify(t *testing.T, target string, o bundle.VerifyOptions) *bundle.Report {
	t.Helper()
	r, err := bundle.Verify(context.Background(), target, o)
	require.NoError(t, err)
	return r
}

func problems(r *bundle.Report) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.String())
	}
	return out
}

func TestVerifyAcceptsAGoodRelease(t *testing.T) {
	k := newKey(t)
	text := `releases@ciel valid-after="20260101Z" ` + k.line + "\n"
	res, err := bundle.Assemble(release(t, k, text))
	require.NoError(t, err)
	trusted := bundle.VerifyOptions{AllowedSigners: allowed(t, text)}

	r := verify(t, res.Bundle.Path, trusted)
	assert.Empty(t, problems(r))
	assert.True(t, r.OK())
	assert.Equal(t, 9, r.Files, "every file SHA256SUMS lists")
	assert.Contains(t, r.Signer, "releases@ciel (trusted_signers:1)")
	assert.Equal(t, version, r.Version)

	// The unpacked folder verifies the same way.
	dir := unpack(t, res.Bundle.Path)
	r = verify(t, dir, trusted)
	assert.Empty(t, problems(r))

	// So does the bundle from a web server, with its checksum line beside it.
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(res.Bundle.Path))))
	defer srv.Close()
	r = verify(t, srv.URL+"/"+bundle.FileName(version), trusted)
	assert.Empty(t, problems(r))
	assert.True(t, r.OK())
}

func TestVerifyNamesEachTampering(t *testing.T) {
	k, stranger := newKey(t), newKey(t)
	text := `releases@ciel valid-after="20260101Z" ` + k.line + "\n"
	sqlName := "openmrs_concepts_2_" + version + ".sql.zip"
	for name, tc := range map[string]struct {
		change  func(t *testing.T, dir string)
		trusted string
		want    []string
	}{
		"a changed byte": {
			change: func(t *testing.T, dir string) { flipByte(t, filepath.Join(dir, sqlName)) },
			want:   []string{sqlName + ": sha256 is ", ", SHA256SUMS says " + sha("sql for 2.x") + " (the file changed)", sqlName + ": sha256 is "},
		},
		"a missing file": {
			change: func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, "CHANGELOG.md"))) },
			want:   []string{"CHANGELOG.md: missing (SHA256SUMS lists it)"},
		},
		"a file not in the checksums": {
			change: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "extra.sql"), []byte("DROP TABLE concept;"), 0o644))
			},
			want: []string{"extra.sql: not in SHA256SUMS: nothing vouches for it"},
		},
		"checksums changed after signing": {
			change: func(t *testing.T, dir string) {
				p := filepath.Join(dir, "SHA256SUMS")
				data, err := os.ReadFile(p)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(p, append(data, []byte(sha("x")+"  extra.sql\n")...), 0o644))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "extra.sql"), []byte("x"), 0o644))
			},
			want: []string{"SHA256SUMS.sig: the signature does not match the signed file"},
		},
		"a missing signature": {
			change: func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, "SHA256SUMS.sig"))) },
			want:   []string{"SHA256SUMS.sig: missing: the release is not signed"},
		},
		"a key outside the allowed signers": {
			trusted: "releases@ciel " + stranger.line + "\n",
			want:    []string{"SHA256SUMS.sig: the signing key " + ssh.FingerprintSHA256(k.signer.PublicKey()) + " is not in trusted_signers"},
		},
		"a key before its validity": {
			trusted: `releases@ciel valid-after="20261201Z" ` + k.line + "\n",
			want:    []string{"SHA256SUMS.sig: the signing key of releases@ciel (trusted_signers:1) is valid from 2026-12-01T00:00:00Z until no end, not at 2026-11-22T09:30:00Z"},
		},
		"a key after its validity": {
			trusted: `releases@ciel valid-before="20261101Z" ` + k.line + "\n",
			want:    []string{"SHA256SUMS.sig: the signing key of releases@ciel (trusted_signers:1) is valid from any time until 2026-11-01T00:00:00Z, not at 2026-11-22T09:30:00Z"},
		},
		"a manifest that disagrees": {
			change: func(t *testing.T, dir string) {
				// manifest.json changed and SHA256SUMS rewritten to match: only the signature
				// and the manifest check can tell.
				p := filepath.Join(dir, "manifest.json")
				data, err := os.ReadFile(p)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(p, bytes.Replace(data, []byte(sha("sql for 2.x")), []byte(sha("other")), 1), 0o644))
				resum(t, dir)
			},
			want: []string{sqlName + ": sha256 is " + sha("sql for 2.x") + ", manifest.json says " + sha("other"), "SHA256SUMS.sig: the signature does not match"},
		},
		"a BOM that disagrees": {
			change: func(t *testing.T, dir string) {
				bom := `{"bomFormat":"CycloneDX","components":[{"name":"` + sqlName + `","hashes":[{"alg":"SHA-256","content":"` + sha("other") + `"}]}]}`
				require.NoError(t, os.WriteFile(filepath.Join(dir, "bom.cdx.json"), []byte(bom), 0o644))
				resum(t, dir)
			},
			want: []string{sqlName + ": sha256 is " + sha("sql for 2.x") + ", bom.cdx.json says " + sha("other")},
		},
		"a BOM of another release": {
			change: func(t *testing.T, dir string) {
				bom := `{"bomFormat":"CycloneDX","metadata":{"component":{"bom-ref":"release","group":"CIEL","name":"CIEL","version":"v2026-10-01"}}}`
				require.NoError(t, os.WriteFile(filepath.Join(dir, "bom.cdx.json"), []byte(bom), 0o644))
				resum(t, dir)
			},
			want: []string{"bom.cdx.json: describes release CIEL/CIEL v2026-10-01, manifest.json CIEL/CIEL v2026-11-22"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := bundle.Assemble(release(t, k, text))
			require.NoError(t, err)
			dir := unpack(t, res.Bundle.Path)
			if tc.change != nil {
				tc.change(t, dir)
			}
			trusted := text
			if tc.trusted != "" {
				trusted = tc.trusted
			}
			r := verify(t, dir, bundle.VerifyOptions{AllowedSigners: allowed(t, trusted)})
			assert.False(t, r.OK())
			got := strings.Join(problems(r), "\n")
			for _, w := range tc.want {
				assert.Contains(t, got, w)
			}
		})
	}
}

func TestVerifyNamesADamagedBundle(t *testing.T) {
	k := newKey(t)
	text := "releases@ciel " + k.line + "\n"
	res, err := bundle.Assemble(release(t, k, text))
	require.NoError(t, err)
	data, err := os.ReadFile(res.Bundle.Path)
	require.NoError(t, err)
	data[len(data)/2] ^= 0x40
	damaged := filepath.Join(t.TempDir(), bundle.FileName(version))
	require.NoError(t, os.WriteFile(damaged, data, 0o644))
	r := verify(t, damaged, bundle.VerifyOptions{AllowedSigners: allowed(t, text)})
	require.NotEmpty(t, r.Problems)
	assert.Equal(t, bundle.FileName(version), r.Problems[0].File)
	assert.Contains(t, r.Problems[0].Message, "damaged")

	// Beside the published checksum line, the same bundle is named by it too.
	require.NoError(t, os.WriteFile(damaged+".sha256", []byte(res.Bundle.SHA256+"  "+bundle.FileName(version)+"\n"), 0o644))
	r = verify(t, damaged, bundle.VerifyOptions{AllowedSigners: allowed(t, text)})
	assert.Contains(t, strings.Join(problems(r), "\n"), bundle.FileName(version)+".sha256 says "+res.Bundle.SHA256)
}

func TestVerifyTrustsTheBundledSignersOnlyWhenAsked(t *testing.T) {
	k := newKey(t)
	text := "releases@ciel " + k.line + "\n"
	res, err := bundle.Assemble(release(t, k, text))
	require.NoError(t, err)
	_, err = bundle.Verify(context.Background(), res.Bundle.Path, bundle.VerifyOptions{})
	assert.ErrorContains(t, err, "no trusted signers")
	r := verify(t, res.Bundle.Path, bundle.VerifyOptions{TrustBundledSigners: true})
	assert.True(t, r.OK())
	assert.Contains(t, strings.Join(r.Notes, "\n"), "not who made them")
}

func TestVerifyReportsAWithdrawnRelease(t *testing.T) {
	k := newKey(t)
	text := "releases@ciel " + k.line + "\n"
	res, err := bundle.Assemble(release(t, k, text))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(res.Bundle.Path), bundle.WithdrawnFile), []byte("Withdrawn: wrong units on CD4\n"), 0o644))
	r := verify(t, res.Bundle.Path, bundle.VerifyOptions{AllowedSigners: allowed(t, text)})
	assert.Empty(t, r.Problems)
	assert.False(t, r.OK())
	assert.Equal(t, "Withdrawn: wrong units on CD4", r.Withdrawn)
}

// TestStockToolsVerifyTheBundle unpacks a bundle and checks it with OpenSSH and
// coreutils alone, as the runbook tells people to.
func TestStockToolsVerifyTheBundle(t *testing.T) {
	tool, err := exec.LookPath("ssh-keygen")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ssh-keygen (OpenSSH) is not installed; CI needs it")
		}
		t.Skip("ssh-keygen is not installed")
	}
	k := newKey(t)
	text := `releases@ciel valid-after="20260101Z" ` + k.line + "\n"
	res, err := bundle.Assemble(release(t, k, text))
	require.NoError(t, err)
	dir := unpack(t, res.Bundle.Path)
	trusted := filepath.Join(t.TempDir(), "allowed_signers")
	require.NoError(t, os.WriteFile(trusted, []byte(text), 0o644))
	runbook, err := os.ReadFile(filepath.Join(dir, "RUNBOOK.md"))
	require.NoError(t, err)
	command := "ssh-keygen -Y verify -f /path/to/trusted/allowed_signers -I releases@ciel -n sha256sums@shepherd-release -s SHA256SUMS.sig < SHA256SUMS"
	require.Contains(t, string(runbook), command)
	cmd := exec.Command("sh", "-c", strings.Replace(strings.Replace(command, "ssh-keygen", tool, 1), "/path/to/trusted/allowed_signers", trusted, 1))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), `Good "sha256sums@shepherd-release" signature for releases@ciel`)
	if sum, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sum, "-c", "--strict", "SHA256SUMS")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
}

func unpack(t *testing.T, bundlePath string) string {
	t.Helper()
	dest := t.TempDir()
	f, err := os.Open(bundlePath)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		p := filepath.Join(dest, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			require.NoError(t, os.MkdirAll(p, 0o755))
			continue
		}
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
	return filepath.Join(dest, version)
}

func flipByte(t *testing.T, p string) {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[0] ^= 1
	require.NoError(t, os.WriteFile(p, data, 0o644))
}

// resum rewrites SHA256SUMS to match the folder, as someone covering their tracks would.
func resum(t *testing.T, dir string) {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || e.Name() == "SHA256SUMS" || e.Name() == "SHA256SUMS.sig" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		b.WriteString(sha256Hex(data) + "  " + filepath.ToSlash(rel) + "\n")
		return err
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(b.String()), 0o644))
}
