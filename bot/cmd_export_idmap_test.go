package main

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readGzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	data, err := io.ReadAll(zr)
	require.NoError(t, err)
	return string(data)
}

// The next release builds on the id map the previous one wrote.
func TestExportKeepsIDsThroughTheIDMap(t *testing.T) {
	export := tinyExport(t)
	dir := t.TempDir()
	first := filepath.Join(dir, "first.idmap.gz")
	r := shepherd(t, nil, "export", "--export", export, "--out", filepath.Join(dir, "a"), "--format", "openmrs-2", "--idmap-out", first)
	require.Equal(t, exitOK, r.code, r.stderr)
	firstMap := readGzip(t, first)
	require.True(t, strings.HasPrefix(firstMap, "@idmap 1\n"), firstMap)

	second := filepath.Join(dir, "second.idmap.gz")
	r = shepherd(t, nil, "export", "--export", export, "--out", filepath.Join(dir, "b"), "--format", "openmrs-2",
		"--version", "v2099-01-01", "--previous-idmap", first, "--idmap-out", second)
	require.Equal(t, exitOK, r.code, r.stderr)
	secondMap := readGzip(t, second)
	assert.Contains(t, secondMap, "@release 1 v2099-01-01 ")
	for _, line := range strings.Split(firstMap, "\n") {
		if line != "" && !strings.HasPrefix(line, "@") {
			assert.Contains(t, secondMap, line+"\n")
		}
	}
}

func TestExportReadsTheSourceAndClassTables(t *testing.T) {
	export := tinyExport(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "sources.json")
	require.NoError(t, os.WriteFile(good, []byte(`[{"id":40,"name":"My Codes","uuid":"40DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"}]`), 0o644))
	r := shepherd(t, nil, "export", "--export", export, "--out", filepath.Join(dir, "a"), "--format", "openmrs-2", "--reference-sources", good)
	require.Equal(t, exitOK, r.code, r.stderr)

	bad := filepath.Join(dir, "classes.json")
	require.NoError(t, os.WriteFile(bad, []byte(`[{"name":"Radiology","uid":"x"}]`), 0o644))
	out := filepath.Join(dir, "b")
	r = shepherd(t, nil, "export", "--export", export, "--out", out, "--concept-classes", bad)
	assert.Equal(t, exitCannot, r.code)
	assert.Contains(t, r.stderr, `--concept-classes:`)
	assert.Contains(t, r.stderr, `unknown field "uid"`)
	assert.NoDirExists(t, out)
}
