package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A command asked to stop (SIGINT/SIGTERM cancel the context main gives run) stops while
// reading an export that never ends, exits 2, says it was interrupted and writes no report.
func TestQAStopsWhenInterrupted(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "export.json")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			cancel()
			return
		}
		defer w.Close()
		_, _ = w.WriteString(`{"id":"v1","concepts":[`)
		space := []byte(strings.Repeat(" ", 64<<10))
		for written := 0; ; written += len(space) {
			if written > 16<<20 {
				cancel() // the signal arrives mid-read
			}
			if _, err := w.Write(space); err != nil {
				return // the reader is gone
			}
		}
	}()

	out := filepath.Join(dir, "report.json")
	var stdout, stderr bytes.Buffer
	env := &environment{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := run(ctx, env, []string{"qa", "--export", fifo, "--format", "json", "--out", out, "--quiet", "--config", filepath.Join(dir, "none.yaml")})

	assert.Equal(t, exitCannot, code, stderr.String())
	assert.Contains(t, stderr.String(), "shepherd qa: interrupted")
	assert.NoFileExists(t, out)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.Contains(t, []string{"export.json"}, e.Name(), "nothing but the input is left in the folder")
	}
}

// export_limits.max_value_mib in the configuration reaches QA of an export: a concept over
// the cap is refused with its place named, and the same export passes under the default.
func TestQAAppliesTheConfiguredValueCap(t *testing.T) {
	dir := t.TempDir()
	big := `{"id":"2","concept_class":"Misc","datatype":"N/A","names":[{"name":"` + strings.Repeat("x", 200) +
		`","locale":"en","locale_preferred":true,"name_type":"FULLY_SPECIFIED"}],"descriptions":[{"description":"` +
		strings.Repeat("d", 1200<<10) + `","locale":"en"}]}`
	doc := `{"type":"Source Version","id":"v1","owner":"CIEL","concepts":[` + big + `],"mappings":[]}`
	export := writeFile(t, dir, "export.json", []byte(doc))
	cfg := writeFile(t, dir, "shepherd.yaml", []byte("export_limits:\n  max_value_mib: 1\n"))

	res := shepherd(t, nil, "qa", "--export", export, "--config", cfg, "--quiet", "--format", "json")
	assert.Equal(t, exitCannot, res.code, res.stderr)
	assert.Contains(t, res.stderr, "concept #1")
	assert.Contains(t, res.stderr, "larger than the limit of 1 MiB for one value")

	res = shepherd(t, nil, "qa", "--export", export, "--config", filepath.Join(dir, "none.yaml"), "--quiet", "--format", "json")
	assert.NotEqual(t, exitCannot, res.code, "under the default cap the export is checked: %s", res.stderr)
	assert.Contains(t, res.stdout, `"concepts_checked": 1`)
}
