package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every demo scenario ends in the phase it promises and leaves its outputs behind.
func TestDemoScenarios(t *testing.T) {
	for _, name := range scenarioNames() {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "demo")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), &environment{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }},
				[]string{"demo", "--scenario", name, "--scale", "tiny", "--out", out})
			require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			assert.Contains(t, stdout.String(), "Final phase: "+string(demoScenarios[name].end))

			status, err := os.ReadFile(filepath.Join(out, "status.md"))
			require.NoError(t, err)
			assert.Contains(t, string(status), "Release v")
			assert.NotContains(t, string(status), "shepherd:state", "the hidden state is not part of what people see")
			comments, err := os.ReadDir(filepath.Join(out, "comments"))
			require.NoError(t, err)
			assert.NotEmpty(t, comments, "at least the PR preview")
			log, err := os.ReadFile(filepath.Join(out, "requests.log"))
			require.NoError(t, err)
			assert.Contains(t, string(log), "github POST")
			_, err = os.Stat(filepath.Join(out, "reports", "qa-head.html"))
			assert.NoError(t, err)
			index, err := os.ReadFile(filepath.Join(out, "site", "index.html"))
			require.NoError(t, err, "the demo leaves the release site")
			if demoScenarios[name].end == "done" {
				assert.Contains(t, string(index), `id="latest-deployable" data-version="v`)
				assert.NotContains(t, string(index), "ZgotmplZ", "the local store's file links are kept")
			} else {
				assert.Contains(t, string(index), "No release is deployable now")
			}
			_, err = os.Stat(filepath.Join(out, "artifacts", "SHA256SUMS"))
			if demoScenarios[name].end == "done" {
				assert.NoError(t, err)
			} else {
				assert.True(t, os.IsNotExist(err), "no artifacts for a release that did not finish")
			}
			if name == "script-fails" {
				assert.True(t, anyFileContains(t, filepath.Join(out, "comments"), "changeset 2.2-42 failed"), "the failure comment quotes the script's log")
			}
		})
	}
}

func anyFileContains(t *testing.T, dir, text string) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		if strings.Contains(string(data), text) {
			return true
		}
	}
	return false
}

func TestDemoRefusesUnknownScenario(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), &environment{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }},
		[]string{"demo", "--scenario", "sunny"})
	assert.Equal(t, exitCannot, code)
	assert.Contains(t, stderr.String(), `--scenario "sunny": expected one of`)
}

// The demo replaces only a folder it wrote; anything else needs --force.
func TestDemoNeverDeletesAFolderItDidNotWrite(t *testing.T) {
	demo := func(args ...string) result {
		return shepherd(t, nil, append([]string{"demo", "--scale", "tiny"}, args...)...)
	}
	mine := filepath.Join(t.TempDir(), "mine")
	keep := writeFile(t, mine, "thesis.tex", []byte("years of work"))
	r := demo("--out", mine)
	assert.Equal(t, exitCannot, r.code)
	assert.Contains(t, r.stderr, "--out "+mine+" already exists and no demo wrote it (it has no .shepherd-demo file)")
	data, err := os.ReadFile(keep)
	require.NoError(t, err, "the folder is left alone")
	assert.Equal(t, "years of work", string(data))

	file := writeFile(t, t.TempDir(), "a-file", nil)
	assert.Equal(t, exitCannot, demo("--out", file).code)

	// An empty folder, and then the demo's own folder, are (re)used.
	empty := t.TempDir()
	require.Equal(t, exitOK, demo("--out", empty).code)
	stale := writeFile(t, empty, "comments/99-stale.md", nil)
	require.Equal(t, exitOK, demo("--out", empty).code)
	_, err = os.Stat(stale)
	assert.True(t, os.IsNotExist(err), "a second demo replaces what the first wrote")
	_, err = os.Stat(filepath.Join(empty, demoMarker))
	assert.NoError(t, err)

	// --force replaces a folder the demo did not write.
	require.Equal(t, exitOK, demo("--out", mine, "--force").code)
	_, err = os.Stat(keep)
	assert.True(t, os.IsNotExist(err))
}
