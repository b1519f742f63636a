package bench_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shepherd-release/shepherd/internal/bench"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// TestMain turns this test binary into the child process that Measure starts for one
// operation; otherwise it runs the tests and benchmarks as usual.
func TestMain(m *testing.M) {
	if op, path, ok := bench.ChildRequest(); ok {
		if err := bench.RunChild(context.Background(), os.Stdout, op, path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const (
	benchVersion = "v2026-11-22"
	// defaultRepeats is how many times each operation runs; SHEPHERD_BENCH_REPEATS
	// asks for more on a noisy machine.
	defaultRepeats = 3
	envRepeats     = "SHEPHERD_BENCH_REPEATS"
)

// scalingOperations are measured on a small export too, to see what memory grows with.
var scalingOperations = []string{bench.OpFloor, bench.OpQA, bench.OpSQL111, bench.OpSQL2}

// BenchmarkCIELScale is `make bench`: every operation on a CIEL-size export,
// defaultRepeats times each, then the memory scaling check. One iteration is the
// whole run.
func BenchmarkCIELScale(b *testing.B) {
	ctx := context.Background()
	ciel := cachedExport(b, dataset.CIEL)
	small := cachedExport(b, dataset.Small)
	binary, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	for _, op := range bench.Operations() {
		names = append(names, op.Name)
	}
	repeats := repeatsFromEnv(b)

	loadBefore := bench.LoadAverage()
	var rows, smallRows []bench.Row
	b.ResetTimer()
	for range b.N {
		fmt.Printf("\n%d concepts, %d rounds:\n", dataset.CIEL.Concepts, repeats)
		if rows, err = bench.Run(ctx, binary, ciel, names, repeats, os.Stdout); err != nil {
			b.Fatal(err)
		}
		fmt.Printf("%d concepts, for the scaling check:\n", dataset.Small.Concepts)
		if smallRows, err = bench.Run(ctx, binary, small, scalingOperations, 1, os.Stdout); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()

	reportMetrics(b, rows)
	printReport(b, ciel, rows, smallRows, loadBefore, repeats)
}

func repeatsFromEnv(b *testing.B) int {
	v := os.Getenv(envRepeats)
	if v == "" {
		return defaultRepeats
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a whole number of runs, at least 1", envRepeats, v)
	}
	return n
}

// cachedExport generates spec's export under .bench/ in the repository (gitignored),
// or reuses the one a previous run made from the same generator.
func cachedExport(b *testing.B, spec dataset.Spec) string {
	b.Helper()
	root, err := bench.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	fingerprint, err := bench.GeneratorFingerprint(root)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	path, generated, err := bench.CachedExport(filepath.Join(root, ".bench"), spec, benchVersion, fingerprint)
	if err != nil {
		b.Fatal(err)
	}
	if generated {
		fmt.Printf("generated %s in %.1fs\n", path, time.Since(start).Seconds())
	}
	return path
}

func reportMetrics(b *testing.B, rows []bench.Row) {
	for _, r := range rows {
		b.ReportMetric(r.Seconds(), r.Operation+"-s")
		b.ReportMetric(r.PeakMB(), r.Operation+"-MB")
		b.ReportMetric(r.CPU(), r.Operation+"-cpu-s")
	}
	for _, pair := range [][2]string{
		{bench.OpQA, bench.OpFloor},
		{bench.OpSQL111, bench.OpFloor},
		{bench.OpSQL2, bench.OpFloor},
		{bench.OpBuild, bench.OpFloor},
		{bench.OpQA, bench.OpInflate},
	} {
		b.ReportMetric(bench.Ratio(rows, pair[0], pair[1]), pair[0]+"/"+pair[1])
		b.ReportMetric(bench.BestRatio(rows, pair[0], pair[1]), "best-"+pair[0]+"/"+pair[1])
	}
}

func printReport(b *testing.B, ciel string, rows, smallRows []bench.Row, loadBefore string, repeats int) {
	zipBytes, jsonBytes, err := bench.ExportSize(ciel)
	if err != nil {
		b.Fatal(err)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "\nexport: %s (%.0f MB zip, %.0f MB export.json)\n", filepath.Base(ciel), float64(zipBytes)/1e6, float64(jsonBytes)/1e6)
	fmt.Fprintf(&out, "machine: %d CPUs, %s/%s, %s; load average before %s, after %s\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), loadBefore, bench.LoadAverage())
	fmt.Fprintf(&out, "time and cpu: median of %d runs, each in its own process; peak-RSS: the highest of them\n\n", repeats)
	bench.WriteTable(&out, rows)
	fmt.Fprintf(&out, "\nqa/inflate %.2f\n\nwhat each run processed:\n", bench.Ratio(rows, bench.OpQA, bench.OpInflate))
	for _, r := range rows {
		fmt.Fprintf(&out, "  %-10s %s\n", r.Operation, r.Detail())
	}
	fmt.Fprintf(&out, "\npeak RSS by export size:\n")
	bench.WriteScaling(&out, smallRows, rows, dataset.Small.Concepts, dataset.CIEL.Concepts)
	fmt.Print(out.String())
}
