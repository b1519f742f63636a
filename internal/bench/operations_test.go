package bench_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/bench"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// tinyExport writes a Tiny export and returns its path and what it holds.
func tinyExport(t *testing.T) (string, dataset.Counts) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "CIEL_CIEL_"+benchVersion+".zip")
	counts, err := dataset.WriteExportFile(path, dataset.Tiny, benchVersion)
	require.NoError(t, err)
	return path, counts
}

func TestInflateReturnsTheSizeOfExportJSON(t *testing.T) {
	path, _ := tinyExport(t)
	_, jsonBytes, err := bench.ExportSize(path)
	require.NoError(t, err)
	n, err := bench.Inflate(path)
	require.NoError(t, err)
	assert.Equal(t, jsonBytes, n)
	assert.Positive(t, n)
}

func TestInflateNamesTheFileItCannotRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-a.zip")
	require.NoError(t, os.WriteFile(path, []byte("plain text"), 0o644))
	_, err := bench.Inflate(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
}

func TestDecodeFloorCountsWhatTheGeneratorWrote(t *testing.T) {
	var doc strings.Builder
	d, err := dataset.New(dataset.Tiny)
	require.NoError(t, err)
	require.NoError(t, ocltest.WriteExportJSON(&doc, d.Version(benchVersion), d))
	got, err := bench.DecodeFloor(strings.NewReader(doc.String()))
	require.NoError(t, err)
	want := d.Counts()
	assert.Equal(t, bench.FloorCounts{Concepts: want.Concepts, Names: want.Names, Mappings: want.Mappings}, got)
}

func TestDecodeFloorRejectsWhatIsNotAnExport(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"array at the top", `[]`},
		{"concepts not an array", `{"concepts": {}}`},
		{"concept not an object", `{"concepts": [1]}`},
		{"cut short", `{"id": "v1", "concepts": [{"id": "1"}`},
		{"empty", ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bench.DecodeFloor(strings.NewReader(tt.doc))
			assert.Error(t, err)
		})
	}
}

// Every operation runs in a child process and says what it processed.
func TestMeasureRunsEachOperationInAChildProcess(t *testing.T) {
	path, counts := tinyExport(t)
	binary, err := os.Executable()
	require.NoError(t, err)
	want := map[string]string{
		bench.OpInflate: "bytes of JSON",
		bench.OpFloor:   fmt.Sprintf("%d concepts, %d names, %d mappings", counts.Concepts, counts.Names, counts.Mappings),
		bench.OpQA:      fmt.Sprintf("%d concepts, %d mappings, 0 findings", counts.Concepts, counts.Mappings),
		bench.OpSQL111:  fmt.Sprintf("%d concepts, %d mappings", counts.Concepts, counts.Mappings),
		bench.OpSQL2:    fmt.Sprintf("%d concepts, %d mappings", counts.Concepts, counts.Mappings),
		bench.OpBuild:   "2 artifacts",
		bench.OpHeadQA:  fmt.Sprintf("%d concepts, %d mappings, 0 findings; 1 pages of 1000", counts.Concepts, counts.Mappings),
	}
	t.Setenv(bench.EnvPageLatency, "10ms")
	for _, op := range bench.Operations() {
		t.Run(op.Name, func(t *testing.T) {
			m, err := bench.Measure(context.Background(), binary, op.Name, bench.Input{Export: path, Spec: dataset.Tiny})
			require.NoError(t, err)
			assert.Equal(t, op.Name, m.Operation)
			assert.Contains(t, m.Detail, want[op.Name])
			assert.Positive(t, m.Seconds)
			assert.Positive(t, m.CPU)
			assert.Positive(t, m.PeakRSS, "peak RSS read from the kernel")
		})
	}
}

func TestMeasureReportsTheChildsError(t *testing.T) {
	binary, err := os.Executable()
	require.NoError(t, err)
	missing := filepath.Join(t.TempDir(), "missing.zip")
	_, err = bench.Measure(context.Background(), binary, bench.OpQA, bench.Input{Export: missing, Spec: dataset.Tiny})
	require.Error(t, err)
	assert.Contains(t, err.Error(), missing)

	_, err = bench.Measure(context.Background(), binary, "sql-3", bench.Input{Export: missing})
	require.ErrorContains(t, err, `unknown operation "sql-3"`)
}

// head-qa lists its pages with at most the concurrency asked in flight, so that it waits
// for rounds of pages rather than for every page in turn.
func TestHeadQAWaitsForRoundsOfPagesNotTheirSum(t *testing.T) {
	binary, err := os.Executable()
	require.NoError(t, err)
	const latency = 150 * time.Millisecond
	t.Setenv(bench.EnvPageLatency, latency.String())
	t.Setenv(bench.EnvPageJitter, "0s")
	t.Setenv(bench.EnvPageSize, "5")
	t.Setenv(bench.EnvConcurrency, "4")

	m, err := bench.Measure(context.Background(), binary, bench.OpHeadQA, bench.Input{Spec: dataset.Tiny})
	require.NoError(t, err)
	require.NotNil(t, m.Paging)
	p := *m.Paging
	assert.Equal(t, 10, p.Pages, "50 concepts, 5 a page")
	assert.Equal(t, 4, p.Concurrency)
	assert.Equal(t, 4, p.Windows(), "page 1, then 9 pages 4 at a time")
	assert.InDelta(t, 10*latency.Seconds(), p.Serial(), 1e-9)
	assert.InDelta(t, 4*latency.Seconds(), p.Bound(), 1e-9)
	assert.Contains(t, m.Detail, "(the fake saw at most 4)")
	assert.GreaterOrEqual(t, m.Seconds, p.Bound(), "no faster than its rounds")
	assert.Less(t, m.Seconds, p.Serial(), "faster than reading the pages one by one")

	t.Setenv(bench.EnvConcurrency, "1")
	serial, err := bench.Measure(context.Background(), binary, bench.OpHeadQA, bench.Input{Spec: dataset.Tiny})
	require.NoError(t, err)
	assert.Equal(t, 10, serial.Paging.Windows())
	assert.GreaterOrEqual(t, serial.Seconds, serial.Paging.Serial(), "one page in flight waits for every page in turn")
	assert.Greater(t, serial.Seconds, m.Seconds)

	row := bench.Row{Operation: bench.OpHeadQA, Runs: []bench.Measurement{m}}
	var out strings.Builder
	bench.WritePaging(&out, row)
	assert.Contains(t, out.String(), "10 pages, at most 4 in flight")
	assert.Contains(t, out.String(), "pages one by one (sum of the delays)")
}

func TestHeadQASettingsAreChecked(t *testing.T) {
	for _, env := range []string{bench.EnvPageLatency, bench.EnvPageJitter, bench.EnvConcurrency, bench.EnvPageSize} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, "-1")
			_, errLatency := bench.HeadLatency()
			_, errConcurrency := bench.HeadConcurrency()
			_, errPageSize := bench.HeadPageSize()
			err := errors.Join(errLatency, errConcurrency, errPageSize)
			require.Error(t, err)
			assert.Contains(t, err.Error(), env+`="-1"`)
		})
	}
	t.Setenv(bench.EnvPageSize, "1001")
	_, err := bench.HeadPageSize()
	assert.ErrorContains(t, err, "from 1 to 1000")
}
