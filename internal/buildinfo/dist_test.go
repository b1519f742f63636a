package buildinfo_test

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dist runs scripts/dist.sh for the machine's own platform into a new folder.
func dist(t *testing.T, version string) string {
	t.Helper()
	for _, tool := range []string{"bash", "git", "tar", "gzip", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("scripts/dist.sh needs %s: %v", tool, err)
		}
	}
	out := filepath.Join(t.TempDir(), "dist")
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "dist.sh"), version, out)
	cmd.Env = append(os.Environ(), "DIST_PLATFORMS="+runtime.GOOS+"/"+runtime.GOARCH)
	log, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", log)
	return out
}

// The release build for one platform: an archive holding only the binary, SHA256SUMS
// that `sha256sum --check` accepts, the version stamped in (the binary pins it in the
// workflows `shepherd init` writes), and the same bytes when built again.
func TestDistBuildsCheckedStampedArchives(t *testing.T) {
	const version = "v9.8.7"
	out := dist(t, version)
	archive := "shepherd_" + version + "_" + runtime.GOOS + "_" + runtime.GOARCH + ".tar.gz"

	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"SHA256SUMS", archive}, names)

	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{64}  `+regexp.QuoteMeta(archive)+`\n$`), string(sums),
		"one line per archive: the sha256 in hex, two spaces, the file name")
	check := exec.Command("sha256sum", "--check", "--strict", "SHA256SUMS")
	check.Dir = out
	checked, err := check.CombinedOutput()
	require.NoError(t, err, "%s", checked)
	assert.Equal(t, archive+": OK\n", string(checked))

	f, err := os.Open(filepath.Join(out, archive))
	require.NoError(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	require.NoError(t, err)
	assert.Equal(t, "shepherd", hdr.Name)
	assert.Equal(t, int64(0o755), hdr.Mode&0o777)
	assert.Zero(t, hdr.Uid)
	binary := filepath.Join(t.TempDir(), "shepherd")
	data, err := io.ReadAll(tr)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(binary, data, 0o755))
	_, err = tr.Next()
	assert.ErrorIs(t, err, io.EOF, "the binary only")

	// The stamped version is the one the binary reports: init pins its workflows to it.
	repo := t.TempDir()
	initOut, err := exec.Command(binary, "init", repo).CombinedOutput()
	require.NoError(t, err, "%s", initOut)
	wf, err := os.ReadFile(filepath.Join(repo, ".github", "workflows", "shepherd-release.yml"))
	require.NoError(t, err)
	assert.Contains(t, string(wf), "uses: shepherd-release/shepherd/.github/workflows/release.yml@"+version)
	buildInfo, err := exec.Command("go", "version", "-m", binary).CombinedOutput()
	require.NoError(t, err, "%s", buildInfo)
	assert.Contains(t, string(buildInfo), "-trimpath=true", "no build folder in the binary")
	assert.Contains(t, string(buildInfo), "CGO_ENABLED=0", "no C library needed on the runner")

	again := dist(t, version)
	sums2, err := os.ReadFile(filepath.Join(again, "SHA256SUMS"))
	require.NoError(t, err)
	assert.Equal(t, string(sums), string(sums2), "the same commit builds the same bytes")
}

func TestDistRefusesAVersionThatIsNoName(t *testing.T) {
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "dist.sh"), "../v1", t.TempDir())
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.True(t, strings.Contains(string(out), "not a tag-like name"), "%s", out)
}
