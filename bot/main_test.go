package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/buildinfo"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// testVersion is the version of the exports the tests generate.
const testVersion = "v2026-11-22"

// result is what one run of the command left on its streams.
type result struct {
	code           int
	stdout, stderr string
}

// shepherd runs the command in-process with an environment holding only vars.
func shepherd(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &environment{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }}
	code := run(t.Context(), env, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// writeFile writes data to dir/name, making folders as needed, and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// tinyExport generates the tiny dataset's export zip with the given rule violations.
func tinyExport(t *testing.T, inject ...dataset.Injection) string {
	t.Helper()
	spec := dataset.Tiny
	spec.Inject = inject
	p := filepath.Join(t.TempDir(), "CIEL_"+testVersion+".zip")
	_, err := dataset.WriteExportFile(p, spec, testVersion)
	require.NoError(t, err)
	return p
}

// zipEntry is one file of a hand-made archive.
type zipEntry struct {
	name string
	data string
}

// zipBytes builds an archive in memory, entries deflated.
func zipBytes(t *testing.T, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		require.NoError(t, err)
		_, err = w.Write([]byte(e.data))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// filesIn lists the files under dir, relative and sorted; nil when dir does not exist.
func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	sort.Strings(names)
	return names
}

func TestRunWithoutCommandPrintsUsage(t *testing.T) {
	r := shepherd(t, nil)
	assert.Equal(t, exitCannot, r.code)
	for _, name := range []string{"validate", "new", "qa", "export", "demo"} {
		assert.Contains(t, r.stderr, "  "+name+" ", "usage lists %s", name)
	}
}

// Help people asked for goes to standard output with exit 0; a usage error goes to
// standard error with exit 2.
func TestRunHelpAndUnknownCommand(t *testing.T) {
	tests := []struct {
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{[]string{"help"}, exitOK, "usage: shepherd <command> [flags]", ""},
		{[]string{"--help"}, exitOK, "usage: shepherd <command> [flags]", ""},
		{[]string{"-h"}, exitOK, "usage: shepherd <command> [flags]", ""},
		{[]string{"qa", "-h"}, exitOK, "usage: shepherd qa (--export FILE | --version HEAD", ""},
		{[]string{"validate", "--help"}, exitOK, "usage: shepherd validate [--config FILE] [FILE ...]", ""},
		{[]string{"help", "demo"}, exitOK, "usage: shepherd demo", ""},
		{[]string{"release"}, exitCannot, "", `shepherd: unknown command "release"`},
		{[]string{"qa", "--no-such-flag"}, exitCannot, "", "flag provided but not defined: -no-such-flag"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := shepherd(t, nil, tt.args...)
			assert.Equal(t, tt.wantCode, r.code)
			if tt.wantCode == exitOK {
				assert.Contains(t, r.stdout, tt.wantStdout)
				assert.Empty(t, r.stderr)
			} else {
				assert.Contains(t, r.stderr, tt.wantStderr)
				assert.Contains(t, r.stderr, "usage: shepherd", "a usage error shows the usage")
				assert.Empty(t, r.stdout)
			}
		})
	}
}

func TestVersionNamesTheVersionAndTheCommit(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r := shepherd(t, nil, args...)
		assert.Equal(t, exitOK, r.code)
		assert.Equal(t, fmt.Sprintf("shepherd %s (commit %s, %s)\n", buildinfo.Version(), buildinfo.Commit(), runtime.Version()), r.stdout)
		assert.Empty(t, r.stderr)
	}
	r := shepherd(t, nil, "version", "extra")
	assert.Equal(t, exitCannot, r.code)
}
