package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

func TestRunScriptSuccess(t *testing.T) {
	t.Setenv("SHEPHERD_TEST_SECRET", "do-not-leak")
	outDir := t.TempDir()
	exportPath := filepath.Join(t.TempDir(), "export.zip")
	require.NoError(t, os.WriteFile(exportPath, []byte("zip"), 0o644))
	// A leftover from an earlier run must not survive: the folder is fresh.
	require.NoError(t, os.MkdirAll(filepath.Join(outDir, "liquibase"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(outDir, "liquibase", "stale.txt"), []byte("old"), 0o644))

	spec := ScriptSpec{
		Name:    "liquibase",
		Command: sh(`echo "export=$SHEPHERD_EXPORT version=$SHEPHERD_VERSION flavour=$FLAVOUR secret=$SHEPHERD_TEST_SECRET"; mkdir -p "$SHEPHERD_OUT/sub"; printf 'dump' > "$SHEPHERD_OUT/sub/openmrs_2.sql"; echo done >&2`),
		Env:     map[string]string{"FLAVOUR": "mariadb"},
	}
	res, err := RunScript(context.Background(), spec, exportPath, outDir, "v2026-11-22")
	require.NoError(t, err)
	assert.Equal(t, 0, res.ExitCode)
	assert.Equal(t, filepath.Join(outDir, "liquibase.log"), res.LogPath)

	log, err := os.ReadFile(res.LogPath)
	require.NoError(t, err)
	assert.Equal(t, "export="+exportPath+" version=v2026-11-22 flavour=mariadb secret=\ndone\n", string(log),
		"stdout and stderr are logged; Shepherd's own environment is not passed on")
	assert.Equal(t, strings.TrimSpace(string(log)), res.LogTail)

	require.Len(t, res.Files, 2)
	assert.Equal(t, "liquibase/sub/openmrs_2.sql", res.Files[0].Name)
	assert.EqualValues(t, 4, res.Files[0].Size)
	sum := sha256.Sum256([]byte("dump"))
	assert.Equal(t, hex.EncodeToString(sum[:]), res.Files[0].SHA256)
	assert.Equal(t, "liquibase.log", res.Files[1].Name)
	assert.NoFileExists(t, filepath.Join(outDir, "liquibase", "stale.txt"))
}

func TestRunScriptFailureKeepsTheLogTail(t *testing.T) {
	outDir := t.TempDir()
	spec := ScriptSpec{Name: "check", Command: sh(`for i in $(seq 1 100); do echo "line $i"; done; echo "boom" >&2; exit 3`)}
	res, err := RunScript(context.Background(), spec, "export.zip", outDir, "v1")
	var scriptErr *ScriptError
	require.True(t, errors.As(err, &scriptErr), "%v", err)
	assert.False(t, scriptErr.TimedOut)
	assert.Equal(t, 3, scriptErr.ExitCode)
	assert.Equal(t, 3, res.ExitCode)
	lines := strings.Split(scriptErr.LogTail, "\n")
	require.Len(t, lines, 40)
	assert.Equal(t, "line 62", lines[0])
	assert.Equal(t, "boom", lines[39])
	assert.Contains(t, err.Error(), "script check exited with status 3")
	assert.Contains(t, err.Error(), "boom")
	assert.FileExists(t, res.LogPath, "the log is kept")
}

func TestRunScriptTimeoutStopsTheProcessGroup(t *testing.T) {
	outDir := t.TempDir()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	spec := ScriptSpec{
		Name:    "slow",
		Command: sh(fmt.Sprintf(`sleep 300 & echo $! > %s; echo started; wait`, pidFile)),
		Timeout: 500 * time.Millisecond,
	}
	_, err := RunScript(context.Background(), spec, "export.zip", outDir, "v1")
	var scriptErr *ScriptError
	require.True(t, errors.As(err, &scriptErr), "%v", err)
	assert.True(t, scriptErr.TimedOut)
	assert.Equal(t, "started", scriptErr.LogTail)
	assert.Contains(t, err.Error(), "time limit of 500 ms; its log ends: started")

	data, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	require.NoError(t, err)
	// The background child was in the group: it is gone (or a zombie awaiting init).
	require.Eventually(t, func() bool { return !processRunning(pid) }, 10*time.Second, 20*time.Millisecond)
}

// processRunning reads /proc: a zombie has exited.
func processRunning(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func TestRunScriptRefusesBadSpecs(t *testing.T) {
	tests := []struct {
		name string
		spec ScriptSpec
		want string
	}{
		{"path in name", ScriptSpec{Name: "../x", Command: []string{"true"}}, "script name"},
		{"no command", ScriptSpec{Name: "x"}, "has no command"},
		{"missing program", ScriptSpec{Name: "x", Command: []string{"/nonexistent/program"}}, "cannot start /nonexistent/program"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RunScript(context.Background(), tt.spec, "export.zip", t.TempDir(), "v1")
			require.ErrorContains(t, err, tt.want)
		})
	}
}
