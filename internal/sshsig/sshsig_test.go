package sshsig_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/shepherd-release/shepherd/internal/sshsig"
)

// keygen finds OpenSSH's ssh-keygen; under CI a missing one fails the run.
func keygen(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ssh-keygen")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ssh-keygen (OpenSSH) is not installed; CI needs it (apt-get install openssh-client)")
		}
		t.Skip("ssh-keygen (OpenSSH) is not installed")
	}
	return p
}

// newKey makes a key pair with ssh-keygen and returns the private key file.
func newKey(t *testing.T, tool, keyType string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "id_"+keyType)
	args := []string{"-q", "-t", keyType, "-N", "", "-C", "test", "-f", path}
	if keyType == "rsa" {
		args = append(args, "-b", "2048")
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return path
}

func publicLine(t *testing.T, keyFile string) string {
	t.Helper()
	pub, err := os.ReadFile(keyFile + ".pub")
	require.NoError(t, err)
	return strings.TrimSpace(string(pub))
}

func TestOpenSSHVerifiesWhatShepherdSigns(t *testing.T) {
	tool := keygen(t)
	for _, keyType := range []string{"ed25519", "rsa"} {
		t.Run(keyType, func(t *testing.T) {
			keyFile := newKey(t, tool, keyType)
			pem, err := os.ReadFile(keyFile)
			require.NoError(t, err)
			signer, err := sshsig.ParsePrivateKey(pem)
			require.NoError(t, err)
			message := []byte("0123abcd  openmrs_concepts_2_v2026-11-22.sql.zip\n")
			sig, err := sshsig.Sign(signer, sshsig.Namespace, bytes.NewReader(message))
			require.NoError(t, err)
			again, err := sshsig.Sign(signer, sshsig.Namespace, bytes.NewReader(message))
			require.NoError(t, err)
			assert.Equal(t, sig, again, "the same key and message give the same signature (a rebuilt bundle is identical)")

			dir := t.TempDir()
			allowed := filepath.Join(dir, "allowed_signers")
			require.NoError(t, os.WriteFile(allowed, []byte(`releases@ciel valid-after="20200101Z" `+publicLine(t, keyFile)+"\n"), 0o644))
			sigFile := filepath.Join(dir, "SHA256SUMS.sig")
			require.NoError(t, os.WriteFile(sigFile, sig, 0o644))
			cmd := exec.Command(tool, "-Y", "verify", "-f", allowed, "-I", "releases@ciel", "-n", sshsig.Namespace, "-s", sigFile)
			cmd.Stdin = bytes.NewReader(message)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "ssh-keygen -Y verify: %s", out)
			assert.Contains(t, string(out), `Good "`+sshsig.Namespace+`" signature for releases@ciel`)

			cmd = exec.Command(tool, "-Y", "verify", "-f", allowed, "-I", "releases@ciel", "-n", sshsig.Namespace, "-s", sigFile)
			cmd.Stdin = bytes.NewReader(append(message, 'x'))
			out, err = cmd.CombinedOutput()
			assert.Error(t, err, "a changed message fails ssh-keygen too: %s", out)
		})
	}
}

func TestShepherdVerifiesWhatOpenSSHSigns(t *testing.T) {
	tool := keygen(t)
	for _, keyType := range []string{"ed25519", "ecdsa", "rsa"} {
		t.Run(keyType, func(t *testing.T) {
			keyFile := newKey(t, tool, keyType)
			dir := t.TempDir()
			msgFile := filepath.Join(dir, "SHA256SUMS")
			message := []byte("abc  file.zip\n")
			require.NoError(t, os.WriteFile(msgFile, message, 0o644))
			out, err := exec.Command(tool, "-Y", "sign", "-f", keyFile, "-n", sshsig.Namespace, msgFile).CombinedOutput()
			require.NoError(t, err, "%s", out)
			armored, err := os.ReadFile(msgFile + ".sig")
			require.NoError(t, err)

			sig, err := sshsig.Parse(armored)
			require.NoError(t, err)
			require.NoError(t, sig.Verify(sshsig.Namespace, bytes.NewReader(message)))
			assert.ErrorContains(t, sig.Verify(sshsig.Namespace, bytes.NewReader([]byte("abd  file.zip\n"))), "does not match")
			assert.ErrorContains(t, sig.Verify("git", bytes.NewReader(message)), `namespace "sha256sums@shepherd-release", not "git"`)

			allowed, err := sshsig.ParseAllowedSigners("allowed_signers", []byte("releases@ciel "+publicLine(t, keyFile)+"\n"))
			require.NoError(t, err)
			s, err := allowed.Check(sig.PublicKey, sshsig.Namespace, time.Now())
			require.NoError(t, err)
			assert.Equal(t, []string{"releases@ciel"}, s.Principals)
		})
	}
}

func TestParsePrivateKeyRefuses(t *testing.T) {
	tool := keygen(t)
	ecdsa, err := os.ReadFile(newKey(t, tool, "ecdsa"))
	require.NoError(t, err)
	_, err = sshsig.ParsePrivateKey(ecdsa)
	assert.ErrorContains(t, err, "ecdsa-sha2-nistp256 keys make a different signature each time")

	path := filepath.Join(t.TempDir(), "locked")
	out, err := exec.Command(tool, "-q", "-t", "ed25519", "-N", "secret words", "-f", path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	locked, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = sshsig.ParsePrivateKey(locked)
	assert.ErrorContains(t, err, "protected by a passphrase")

	_, err = sshsig.ParsePrivateKey([]byte("ssh-ed25519 AAAA not a private key"))
	assert.ErrorContains(t, err, "not an SSH private key")
}

func TestAllowedSignersCheck(t *testing.T) {
	tool := keygen(t)
	k1, k2 := newKey(t, tool, "ed25519"), newKey(t, tool, "ed25519")
	text := "# CIEL release keys\n" +
		`releases@ciel valid-after="20260101Z",valid-before="20261201Z" ` + publicLine(t, k1) + "\n" +
		`releases@ciel,backup@ciel namespaces="git" ` + publicLine(t, k2) + "\n"
	allowed, err := sshsig.ParseAllowedSigners("allowed_signers", []byte(text))
	require.NoError(t, err)
	require.Len(t, allowed.Signers, 2)
	pub := func(f string) ssh.PublicKey {
		k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(publicLine(t, f)))
		require.NoError(t, err)
		return k
	}

	s, err := allowed.Check(pub(k1), sshsig.Namespace, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Equal(t, 2, s.Line)

	_, err = allowed.Check(pub(k1), sshsig.Namespace, time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC))
	var outside *sshsig.OutsideValidityError
	require.ErrorAs(t, err, &outside)
	assert.EqualError(t, err, "the signing key of releases@ciel (allowed_signers:2) is valid from 2026-01-01T00:00:00Z until 2026-12-01T00:00:00Z, not at 2025-12-31T23:00:00Z")
	_, err = allowed.Check(pub(k1), sshsig.Namespace, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	require.ErrorAs(t, err, &outside)

	_, err = allowed.Check(pub(k2), sshsig.Namespace, time.Now())
	assert.ErrorContains(t, err, "may sign only in namespaces git")

	stranger := pub(newKey(t, tool, "ed25519"))
	_, err = allowed.Check(stranger, sshsig.Namespace, time.Now())
	var untrusted *sshsig.UntrustedKeyError
	require.ErrorAs(t, err, &untrusted)
	assert.Equal(t, ssh.FingerprintSHA256(stranger), untrusted.Fingerprint)
}

func TestParseAllowedSignersErrors(t *testing.T) {
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb1Qy8Q0p6M2b4PmVRpqlxKdXz4Zt0d1q5tqJcxIJ7b"
	for name, tc := range map[string]struct{ text, want string }{
		"empty":          {"# nobody\n", "no signer in it"},
		"cert authority": {"a@b cert-authority " + key, "cert-authority lines trust SSH certificates"},
		"unknown option": {"a@b no-touch-required " + key, `unknown option "no-touch-required"`},
		"bad time":       {`a@b valid-after="2026-01-01" ` + key, `allowed_signers:1: valid-after: "2026-01-01" is not a time`},
		"no key":         {"a@b", "no public key"},
		"window":         {`a@b valid-after="20260102Z",valid-before="20260101Z" ` + key, "valid-before is not after valid-after"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sshsig.ParseAllowedSigners("allowed_signers", []byte(tc.text))
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestParseRefusesBrokenSignatures(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"not armored": {"hello", "does not start with"},
		"no end":      {"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n", "does not end with"},
		"bad base64":  {"-----BEGIN SSH SIGNATURE-----\n!!!\n-----END SSH SIGNATURE-----\n", "not an SSH signature"},
		"short":       {"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n", "not an SSH signature"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sshsig.Parse([]byte(tc.text))
			assert.ErrorContains(t, err, tc.want)
		})
	}
}
