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
	if op, in, ok, err := bench.ChildRequest(); ok {
		if err == nil {
			err = bench.RunChild(context.Background(), os.Stdout, op, in)
		}
		if err != nil {
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
var scalingOperations = []string{bench.OpInflate, bench.OpFloor, bench.OpQA, bench.OpSQL111, bench.OpSQL2}

// largeOperations run once on the 4× CIEL export: inflate for the ratios, QA and SQL for
// their targets and memory growth. The build, about as long as both SQL formats, is left
// out to keep `make bench` under half an hour.
var largeOperations = scalingOperations

// CIEL4 is four times CIEL: a source CIEL may grow to, where memory that grows with the
// export shows.
var CIEL4 = dataset.Spec{Seed: dataset.CIEL.Seed, Concepts: 4 * dataset.CIEL.Concepts}

// BenchmarkCIELScale is `make bench`: every operation on a CIEL-size export,
// defaultRepeats times each, then the small export and the 4× CIEL export for the
// memory scaling check. One iteration is the whole run.
func BenchmarkCIELScale(b *testing.B) {
	ctx := context.Background()
	ciel := bench.Input{Export: cachedExport(b, dataset.CIEL), Spec: dataset.CIEL}
	small := bench.Input{Export: cachedExport(b, dataset.Small), Spec: dataset.Small}
	large := bench.Input{Export: cachedExport(b, CIEL4), Spec: CIEL4}
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
	var rows, smallRows, largeRows []bench.Row
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
		fmt.Printf("%d concepts (4× CIEL), once:\n", CIEL4.Concepts)
		if largeRows, err = bench.Run(ctx, binary, large, largeOperations, 1, os.Stdout); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()

	reportMetrics(b, rows, "")
	reportMetrics(b, largeRows, "ciel4-")
	printReport(b, ciel.Export, large.Export, []bench.Size{
		{Concepts: dataset.Small.Concepts, Rows: smallRows},
		{Concepts: dataset.CIEL.Concepts, Rows: rows},
		{Concepts: CIEL4.Concepts, Rows: largeRows},
	}, loadBefore, repeats)
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

func reportMetrics(b *testing.B, rows []bench.Row, prefix string) {
	for _, r := range rows {
		b.ReportMetric(r.Seconds(), prefix+r.Operation+"-s")
		b.ReportMetric(r.PeakMB(), prefix+r.Operation+"-MB")
		b.ReportMetric(r.CPU(), prefix+r.Operation+"-cpu-s")
		if r.Operation == bench.OpHeadQA || r.Operation == bench.Baseline {
			continue
		}
		b.ReportMetric(bench.Ratio(rows, r.Operation, bench.Baseline), prefix+r.Operation+"/"+bench.Baseline)
		b.ReportMetric(bench.BestRatio(rows, r.Operation, bench.Baseline), prefix+"best-"+r.Operation+"/"+bench.Baseline)
	}
}

func printReport(b *testing.B, ciel, large string, sizes []bench.Size, loadBefore string, repeats int) {
	var out strings.Builder
	for _, path := range []string{ciel, large} {
		zipBytes, jsonBytes, err := bench.ExportSize(path)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&out, "\nexport: %s (%.0f MB zip, %.0f MB export.json)", filepath.Base(path), float64(zipBytes)/1e6, float64(jsonBytes)/1e6)
	}
	fmt.Fprintf(&out, "\nmachine: %d CPUs, %s/%s, %s; load average before %s, after %s\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), loadBefore, bench.LoadAverage())
	for _, s := range sizes[1:] {
		runs := "once"
		if s.Concepts == dataset.CIEL.Concepts {
			runs = fmt.Sprintf("median of %d runs", repeats)
		}
		fmt.Fprintf(&out, "\n%d concepts; time and cpu: %s, each in its own process; peak-RSS: the highest; vs-inflate: time over inflate's\n", s.Concepts, runs)
		bench.WriteTable(&out, s.Rows)
	}
	if r, ok := bench.Find(sizes[1].Rows, bench.OpHeadQA); ok {
		fmt.Fprintf(&out, "\nHEAD QA through the OCL client against the fake OCL, %d concepts:\n", dataset.CIEL.Concepts)
		bench.WritePaging(&out, r)
	}
	fmt.Fprintf(&out, "\ntargets:\n")
	bench.WriteTargets(&out, sizes[1:])
	fmt.Fprintf(&out, "\nwhat each run processed:\n")
	for _, r := range sizes[1].Rows {
		fmt.Fprintf(&out, "  %-10s %s\n", r.Operation, r.Detail())
	}
	fmt.Fprintf(&out, "\npeak RSS by export size:\n")
	bench.WriteScaling(&out, sizes)
	fmt.Print(out.String())
}
