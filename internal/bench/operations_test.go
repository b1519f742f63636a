package bench_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	}
	for _, op := range bench.Operations() {
		t.Run(op.Name, func(t *testing.T) {
			m, err := bench.Measure(context.Background(), binary, op.Name, path)
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
	_, err = bench.Measure(context.Background(), binary, bench.OpQA, missing)
	require.Error(t, err)
	assert.Contains(t, err.Error(), missing)

	_, err = bench.Measure(context.Background(), binary, "sql-3", missing)
	require.ErrorContains(t, err, `unknown operation "sql-3"`)
}
