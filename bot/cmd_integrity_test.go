package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/bundle"
	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/sshsig"
)

// signedBundle assembles a small signed release and returns its folder, its bundle and
// the trusted allowed_signers file.
func signedBundle(t *testing.T) (dir, bundlePath, trusted string) {
	t.Helper()
	key, public, err := sshsig.NewKey("test")
	require.NoError(t, err)
	signer, err := sshsig.ParsePrivateKey(key)
	require.NoError(t, err)
	text := "releases@ciel " + public + "\n"
	allowed, err := sshsig.ParseAllowedSigners("allowed_signers", []byte(text))
	require.NoError(t, err)
	dir = t.TempDir()
	data := []byte("sql")
	sql := writeFile(t, dir, "openmrs_concepts_2_"+testVersion+".sql.zip", data)
	sum := sha256.Sum256(data)
	a, err := bundle.Assemble(bundle.Release{Source: "CIEL/CIEL", Version: testVersion, Created: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
		Dir: dir, Artifacts: []export.Artifact{{Name: filepath.Base(sql), Format: "openmrs-2", Path: sql, Size: 3, SHA256: hex.EncodeToString(sum[:])}},
		Signing: &bundle.Signing{Key: signer, Allowed: allowed, AllowedText: []byte(text)}})
	require.NoError(t, err)
	return dir, a.Bundle.Path, writeFile(t, t.TempDir(), "allowed_signers", []byte(text))
}

func TestVerifyCommandAcceptsAGoodBundle(t *testing.T) {
	dir, good, trusted := signedBundle(t)
	r := shepherd(t, nil, "verify", good, "--allowed-signers", trusted)
	require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "CIEL/CIEL "+testVersion+"\n  5 files match SHA256SUMS\n  SHA256SUMS signed by releases@ciel (")
	assert.Contains(t, r.stdout, "  good\n")

	r = shepherd(t, nil, "verify", "--json", "--trust-bundled-signers", good)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"signer": "releases@ciel (allowed_signers (inside the release):1)`)

	require.NoError(t, os.WriteFile(filepath.Join(dir, bundle.WithdrawnFile), []byte("Withdrawn: wrong units\n"), 0o644))
	r = shepherd(t, nil, "verify", good, "--allowed-signers", trusted)
	assert.Equal(t, exitFindings, r.code)
	assert.Contains(t, r.stdout, "WITHDRAWN Withdrawn: wrong units")
}

func TestVerifyCommandExitCodes(t *testing.T) {
	_, good, trusted := signedBundle(t)
	_, otherPublic, err := sshsig.NewKey("other")
	require.NoError(t, err)
	stranger := writeFile(t, t.TempDir(), "allowed_signers", []byte("releases@ciel "+otherPublic+"\n"))

	r := shepherd(t, nil, "verify", "--allowed-signers", stranger, good)
	assert.Equal(t, exitFindings, r.code)
	assert.Contains(t, r.stdout, "PROBLEM SHA256SUMS.sig: the signing key SHA256:")

	data, err := os.ReadFile(good)
	require.NoError(t, err)
	data[len(data)/2] ^= 1
	damaged := writeFile(t, t.TempDir(), filepath.Base(good), data)
	r = shepherd(t, nil, "verify", damaged, "--allowed-signers", trusted)
	assert.Equal(t, exitFindings, r.code)
	assert.Contains(t, r.stdout, "PROBLEM "+filepath.Base(good)+": damaged")

	r = shepherd(t, nil, "verify", good)
	assert.Equal(t, exitCannot, r.code)
	assert.Contains(t, r.stderr, "no trusted signers: give the allowed_signers file you trust (--allowed-signers FILE)")

	r = shepherd(t, nil, "verify", filepath.Join(t.TempDir(), "missing.tar.gz"), "--allowed-signers", trusted)
	assert.Equal(t, exitCannot, r.code)

	r = shepherd(t, nil, "verify", good, "--allowed-signers", filepath.Join(t.TempDir(), "none"))
	assert.Equal(t, exitCannot, r.code)
	assert.Contains(t, r.stderr, "--allowed-signers")
}

func TestWithdrawCommandNeedsAVersionAndAReason(t *testing.T) {
	r := shepherd(t, nil, "withdraw", testVersion)
	assert.Equal(t, exitCannot, r.code)
	assert.Contains(t, r.stderr, `give the version and the reason`)
	r = shepherd(t, nil, "withdraw", "2026-11-22", "why")
	assert.Equal(t, exitCannot, r.code)
}
