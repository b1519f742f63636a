package actions

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// script runs actions/shepherd.sh as a composite action's step would, with the action
// at actionPath, and returns the outputs it wrote and what it printed.
func script(t *testing.T, actionPath string, vars map[string]string, arg string) (map[string]string, string, error) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("bash is needed to test actions/shepherd.sh: %v", err)
	}
	self, err := filepath.Abs("shepherd.sh")
	require.NoError(t, err)
	outFile := filepath.Join(t.TempDir(), "output")
	cmd := exec.Command("bash", self, arg)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GITHUB_ACTION_PATH=" + actionPath, "GITHUB_OUTPUT=" + outFile}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	log, err := cmd.CombinedOutput()
	data, _ := os.ReadFile(outFile)
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out, string(log), err
}

// remoteAction lays out an action as the runner downloads one: the whole repository at
// _actions/OWNER/REPO/REF/.
func remoteAction(t *testing.T, ref string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "_actions", "shepherd-release", "shepherd", ref, "actions", "qa")
	require.NoError(t, os.MkdirAll(p, 0o755))
	return p
}

func TestShepherdShPlan(t *testing.T) {
	tmp := t.TempDir()
	tests := []struct {
		name       string
		actionPath string
		vars       map[string]string
		want       map[string]string
	}{
		{"a version tag runs the published binary", remoteAction(t, "v1.2.3"),
			map[string]string{"SHEPHERD_ACTION_REF": "v1.2.3", "SHEPHERD_ACTION_REPOSITORY": "shepherd-release/shepherd", "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64"},
			map[string]string{"mode": "release", "version": "v1.2.3", "key": "shepherd-v1.2.3-linux-amd64", "dir": filepath.Join(tmp, "shepherd-v1.2.3-linux-amd64")}},
		{"arm64 and a pre-release", remoteAction(t, "v1.3.0-rc.1"),
			map[string]string{"SHEPHERD_ACTION_REF": "v1.3.0-rc.1", "SHEPHERD_ACTION_REPOSITORY": "shepherd-release/shepherd", "RUNNER_OS": "Linux", "RUNNER_ARCH": "ARM64"},
			map[string]string{"mode": "release", "key": "shepherd-v1.3.0-rc.1-linux-arm64"}},
		{"an empty context falls back to the runner's path", remoteAction(t, "v1.2.3"),
			map[string]string{"RUNNER_OS": "macOS", "RUNNER_ARCH": "ARM64"},
			map[string]string{"mode": "release", "version": "v1.2.3", "key": "shepherd-v1.2.3-darwin-arm64"}},
		{"a branch builds from source", remoteAction(t, "main"),
			map[string]string{"SHEPHERD_ACTION_REF": "main", "SHEPHERD_ACTION_REPOSITORY": "shepherd-release/shepherd"},
			map[string]string{"mode": "source", "version": "main"}},
		{"a local checkout builds from source", filepath.Join(tmp, "work", "repo", "actions", "qa"),
			nil,
			map[string]string{"mode": "source", "version": "local"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, os.MkdirAll(tt.actionPath, 0o755))
			vars := map[string]string{"RUNNER_TEMP": tmp}
			for k, v := range tt.vars {
				vars[k] = v
			}
			out, log, err := script(t, tt.actionPath, vars, "plan")
			require.NoError(t, err, log)
			for k, v := range tt.want {
				assert.Equal(t, v, out[k], k)
			}
			root, _ := filepath.Abs(filepath.Join(tt.actionPath, "..", ".."))
			assert.Equal(t, root, out["source"], "the source the action came with")
		})
	}
}

func TestShepherdShRefusesAnUnknownRunner(t *testing.T) {
	_, log, err := script(t, remoteAction(t, "v1.2.3"), map[string]string{"RUNNER_TEMP": t.TempDir(), "RUNNER_OS": "Windows"}, "plan")
	require.Error(t, err)
	assert.Contains(t, log, "::error::shepherd.sh: runner OS Windows has no Shepherd binary")
}

// release serves a GitHub Release's downloads as github.com does, at
// /OWNER/REPO/releases/download/TAG/FILE.
func release(t *testing.T, files map[string][]byte) (*httptest.Server, *int) {
	t.Helper()
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, "/shepherd-release/shepherd/releases/download/v1.2.3/")
		data, found := files[name]
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		hits++
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// archiveOf packs a stand-in binary as the release build does.
func archiveOf(t *testing.T, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "shepherd", Mode: 0o755, Size: int64(len(content))}))
	_, err := tw.Write([]byte(content))
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	return buf.Bytes()
}

func sumsOf(files map[string][]byte) []byte {
	var b strings.Builder
	for name, data := range files {
		sum := sha256.Sum256(data)
		b.WriteString(hex.EncodeToString(sum[:]) + "  " + name + "\n")
	}
	return []byte(b.String())
}

func TestShepherdShInstallsTheCheckedBinaryAndReusesTheCache(t *testing.T) {
	const archive = "shepherd_v1.2.3_linux_amd64.tar.gz"
	binary := "#!/bin/sh\necho shepherd v1.2.3\n"
	files := map[string][]byte{archive: archiveOf(t, binary), "shepherd_v1.2.3_linux_arm64.tar.gz": archiveOf(t, "other")}
	files["SHA256SUMS"] = sumsOf(files)
	srv, hits := release(t, files)
	vars := map[string]string{"SHEPHERD_ACTION_REF": "v1.2.3", "SHEPHERD_ACTION_REPOSITORY": "shepherd-release/shepherd",
		"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_TEMP": t.TempDir(), "GITHUB_SERVER_URL": srv.URL}
	action := remoteAction(t, "v1.2.3")

	out, log, err := script(t, action, vars, "install")
	require.NoError(t, err, log)
	got, err := os.ReadFile(out["path"])
	require.NoError(t, err)
	assert.Equal(t, binary, string(got))
	info, err := os.Stat(out["path"])
	require.NoError(t, err)
	assert.NotZero(t, info.Mode()&0o100, "executable")
	assert.Equal(t, 2, *hits, "the archive and SHA256SUMS")

	// What actions/cache restored: nothing is downloaded again, and it is checked again.
	_, log, err = script(t, action, vars, "install")
	require.NoError(t, err, log)
	assert.Equal(t, 2, *hits)
	assert.Contains(t, log, "Using the cached "+archive)
}

func TestShepherdShRefusesABinaryThatDoesNotMatchItsSum(t *testing.T) {
	const archive = "shepherd_v1.2.3_linux_amd64.tar.gz"
	files := map[string][]byte{archive: archiveOf(t, "#!/bin/sh\necho genuine\n")}
	files["SHA256SUMS"] = sumsOf(files)
	files[archive] = archiveOf(t, "#!/bin/sh\necho tampered\n")
	srv, _ := release(t, files)
	tmp := t.TempDir()
	vars := map[string]string{"SHEPHERD_ACTION_REF": "v1.2.3", "SHEPHERD_ACTION_REPOSITORY": "shepherd-release/shepherd",
		"RUNNER_TEMP": tmp, "GITHUB_SERVER_URL": srv.URL}

	out, log, err := script(t, remoteAction(t, "v1.2.3"), vars, "install")

	require.Error(t, err)
	assert.Contains(t, log, "::error::shepherd.sh: "+archive+" does not match its sha256 in SHA256SUMS")
	assert.Empty(t, out["path"])
	assert.NoFileExists(t, filepath.Join(tmp, "shepherd-v1.2.3-linux-amd64", archive), "nothing bad is left for the cache")
	assert.NoDirExists(t, filepath.Join(tmp, "shepherd-v1.2.3-linux-amd64", "bin"))
}

func TestShepherdShRefusesAReleaseWithoutItsArchive(t *testing.T) {
	files := map[string][]byte{"shepherd_v1.2.3_linux_arm64.tar.gz": archiveOf(t, "x")}
	files["SHA256SUMS"] = sumsOf(files)
	files["shepherd_v1.2.3_linux_amd64.tar.gz"] = archiveOf(t, "unlisted")
	srv, _ := release(t, files)
	vars := map[string]string{"SHEPHERD_ACTION_REF": "v1.2.3", "SHEPHERD_ACTION_REPOSITORY": "shepherd-release/shepherd",
		"RUNNER_TEMP": t.TempDir(), "GITHUB_SERVER_URL": srv.URL}

	_, log, err := script(t, remoteAction(t, "v1.2.3"), vars, "install")

	require.Error(t, err)
	assert.Contains(t, log, "SHA256SUMS of Shepherd v1.2.3 lists no shepherd_v1.2.3_linux_amd64.tar.gz")
}
