package steps_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/bundle"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/sshsig"
)

// signedSandbox is a sandbox whose configuration signs releases with allowed, and whose
// environment holds key (none when empty).
func signedSandbox(t *testing.T, allowed string, key []byte, extraEnv map[string]string) *sandbox.Sandbox {
	t.Helper()
	dir := t.TempDir()
	cfg := manifest.DefaultConfig()
	cfg.Signing.AllowedSigners = filepath.Join(dir, "allowed_signers")
	require.NoError(t, os.WriteFile(cfg.Signing.AllowedSigners, []byte(allowed), 0o644))
	env := map[string]string{}
	if key != nil {
		env["SHEPHERD_SIGNING_KEY"] = string(key)
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	sb, err := sandbox.New(context.Background(), sandbox.Options{Dir: dir, Config: cfg, Env: env,
		Plan: ocltest.ExportPlan{NonePolls: 1, Ready: ocltest.ReadyRedirect302}})
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	return sb
}

func runRelease(t *testing.T, sb *sandbox.Sandbox) {
	t.Helper()
	m, sha, _ := openAndMerge(t, sb)
	_, err := sb.Env.Merged(context.Background(), m, sha)
	require.NoError(t, err)
	pollUntilSettled(t, sb, 5)
}

func storedBundle(sb *sandbox.Sandbox) string {
	return filepath.Join(sb.Config.Storage.LocalDir, sb.Config.Storage.Prefix, version, bundle.FileName(version))
}

func TestSignedReleaseLeavesABundleVerifyAcceptsOffline(t *testing.T) {
	key, public, err := sshsig.NewKey("test release key")
	require.NoError(t, err)
	allowedText := `releases@ciel valid-after="20260101Z" ` + public + "\n"
	attest := filepath.Join(t.TempDir(), "attest.sha256")
	sb := signedSandbox(t, allowedText, key, map[string]string{"SHEPHERD_ATTEST_SUBJECTS": attest})
	sb.Config.Signing.Attest = true
	runRelease(t, sb)

	rec, err := sb.Env.Status(context.Background(), version)
	require.NoError(t, err)
	require.Equal(t, release.Done, rec.Release.Phase)
	require.NotNil(t, rec.Signature)
	assert.Equal(t, "releases@ciel", rec.Signature.Principal)
	require.NotNil(t, rec.Bundle)

	trusted, err := sshsig.ParseAllowedSigners("trusted", []byte(allowedText))
	require.NoError(t, err)
	report, err := bundle.Verify(context.Background(), storedBundle(sb), bundle.VerifyOptions{AllowedSigners: trusted})
	require.NoError(t, err)
	assert.Empty(t, report.Problems)
	assert.True(t, report.OK())
	assert.Contains(t, report.Signer, "releases@ciel")

	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, "| Signature | ✅ `SHA256SUMS` signed by releases@ciel")
	assert.Contains(t, body, "| Offline bundle | `"+bundle.FileName(version)+"`")
	notes := sb.GitHub.Releases(sandbox.Owner, sandbox.Repo)[0].GetBody()
	assert.Contains(t, notes, "ssh-keygen -Y verify -f allowed_signers -I releases@ciel -n sha256sums@shepherd-release -s SHA256SUMS.sig < SHA256SUMS")

	subjects, err := os.ReadFile(attest)
	require.NoError(t, err)
	assert.Contains(t, string(subjects), rec.Bundle.SHA256+"  "+bundle.FileName(version)+"\n")
	assert.Contains(t, string(subjects), "  SHA256SUMS.sig\n")
}

func TestMissingOrRefusedSigningKeyFailsBeforeAnythingIsPublished(t *testing.T) {
	key, public, err := sshsig.NewKey("release key")
	require.NoError(t, err)
	_, otherPublic, err := sshsig.NewKey("someone else")
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		allowed string
		key     []byte
		want    string
	}{
		"no key":                 {"releases@ciel " + public + "\n", nil, "no signing key: SHEPHERD_SIGNING_KEY (or SHEPHERD_SIGNING_KEY_FILE) is empty"},
		"not a key":              {"releases@ciel " + public + "\n", []byte("hunter2"), "the signing key in SHEPHERD_SIGNING_KEY: not an SSH private key"},
		"a key not listed":       {"releases@ciel " + otherPublic + "\n", key, "the signing key may not sign this release: the signing key SHA256:"},
		"a key not yet valid":    {`releases@ciel valid-after="20990101Z" ` + public + "\n", key, "is valid from 2099-01-01T00:00:00Z until no end"},
		"broken allowed signers": {"releases@ciel cert-authority " + public + "\n", key, "cert-authority lines trust SSH certificates"},
	} {
		t.Run(name, func(t *testing.T) {
			sb := signedSandbox(t, tc.allowed, tc.key, nil)
			runRelease(t, sb)
			rec, err := sb.Env.Status(context.Background(), version)
			require.NoError(t, err)
			assert.Equal(t, release.Failed, rec.Release.Phase)
			assert.Contains(t, rec.Release.Last().Reason, tc.want)
			assert.NotContains(t, rec.Release.Last().Reason, "hunter2", "the secret is never repeated")
			objects, err := sb.Env.Store.List(context.Background(), sb.Config.Storage.Prefix+"/"+version)
			require.NoError(t, err)
			for _, o := range objects {
				assert.Contains(t, o.Key, "/qa-", "only the QA reports are stored: %s", o.Key)
			}
			assert.Empty(t, sb.GitHub.Releases(sandbox.Owner, sandbox.Repo), "no GitHub Release")
		})
	}
}

func TestUnsignedByDefaultSaysSo(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{}, ocltest.ExportPlan{NonePolls: 1, Ready: ocltest.ReadyRedirect302})
	runRelease(t, sb)
	rec, err := sb.Env.Status(context.Background(), version)
	require.NoError(t, err)
	require.Equal(t, release.Done, rec.Release.Phase)
	require.NotNil(t, rec.Signature)
	assert.Contains(t, rec.Signature.Unsigned, "no signing configured")
	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, "| Signature | ⚠️ not signed: no signing configured (signing.allowed_signers in .github/shepherd.yaml) |")
	report, err := bundle.Verify(context.Background(), storedBundle(sb), bundle.VerifyOptions{AllowUnsigned: true})
	require.NoError(t, err)
	assert.True(t, report.OK(), "%v", report.Problems)
}

func TestWithdrawMarksTheReleaseEverywhereOnce(t *testing.T) {
	key, public, err := sshsig.NewKey("release key")
	require.NoError(t, err)
	allowedText := "releases@ciel " + public + "\n"
	sb := signedSandbox(t, allowedText, key, nil)
	ctx := context.Background()

	_, err = sb.Env.Withdraw(ctx, version, "too early")
	assert.Error(t, err, "nothing to withdraw before the release exists")
	runRelease(t, sb)
	_, err = sb.Env.Withdraw(ctx, version, "  ")
	assert.ErrorContains(t, err, "needs a reason")

	rec, err := sb.Env.Withdraw(ctx, version, "CD4 count has the wrong units")
	require.NoError(t, err)
	require.NotNil(t, rec.Withdrawn)
	rels := sb.GitHub.Releases(sandbox.Owner, sandbox.Repo)
	require.Len(t, rels, 1)
	assert.Equal(t, "Withdrawn: CD4 count has the wrong units — CIEL/CIEL "+version, rels[0].GetName())
	assert.True(t, strings.HasPrefix(rels[0].GetBody(), "**Withdrawn: CD4 count has the wrong units**"))
	assert.True(t, rels[0].GetPrerelease(), "kept off latest")
	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, "> **Withdrawn** on ")
	assert.Contains(t, body, "CD4 count has the wrong units. Do not load it.")

	trusted, err := sshsig.ParseAllowedSigners("trusted", []byte(allowedText))
	require.NoError(t, err)
	report, err := bundle.Verify(ctx, storedBundle(sb), bundle.VerifyOptions{AllowedSigners: trusted})
	require.NoError(t, err)
	assert.Empty(t, report.Problems, "the files are still authentic")
	assert.False(t, report.OK())
	assert.Contains(t, report.Withdrawn, "Withdrawn: CD4 count has the wrong units")

	sb.GitHub.ResetRequests()
	_, err = sb.Env.Withdraw(ctx, version, "CD4 count has the wrong units")
	require.NoError(t, err)
	assert.Zero(t, sb.GitHub.Writes(), "withdrawing again writes nothing on GitHub")
}
