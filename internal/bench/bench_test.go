package bench_test

import (
	"context"
	"fmt"
	"io"
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
// memory scaling check and the targets at 4×. One iteration is the whole run.
func BenchmarkCIELScale(b *testing.B) {
	s := suite{
		small:   bench.Input{Export: cachedExport(b, dataset.Small), Spec: dataset.Small},
		ciel:    bench.Input{Export: cachedExport(b, dataset.CIEL), Spec: dataset.CIEL},
		large:   bench.Input{Export: cachedExport(b, CIEL4), Spec: CIEL4},
		repeats: repeatsFromEnv(b),
	}
	loadBefore := bench.LoadAverage()
	var sizes []bench.Size
	b.ResetTimer()
	for range b.N {
		sizes = s.run(b, os.Stdout)
	}
	b.StopTimer()

	reportMetrics(b, sizes[1].Rows, "")
	reportMetrics(b, sizes[2].Rows, "ciel4-")
	s.report(b, os.Stdout, sizes, loadBefore)
}

// suite is what `make bench` measures on three exports: every operation on the middle
// one in rounds, the others once for the scaling check and the targets at that size.
type suite struct {
	small, ciel, large bench.Input
	repeats            int
}

// run measures the suite, printing every run to out, and returns the rows by export
// size, smallest first.
func (s suite) run(tb testing.TB, out io.Writer) []bench.Size {
	ctx := context.Background()
	binary, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, op := range bench.Operations() {
		names = append(names, op.Name)
	}
	measure := func(in bench.Input, ops []string, repeats int, title string) bench.Size {
		fmt.Fprintf(out, "\n%d concepts, %s:\n", in.Spec.Concepts, title)
		rows, err := bench.Run(ctx, binary, in, ops, repeats, out)
		if err != nil {
			tb.Fatal(err)
		}
		return bench.Size{Concepts: in.Spec.Concepts, Rows: rows}
	}
	ciel := measure(s.ciel, names, s.repeats, fmt.Sprintf("%d rounds", s.repeats))
	small := measure(s.small, scalingOperations, 1, "once, for the scaling check")
	large := measure(s.large, largeOperations, 1, "once")
	return []bench.Size{small, ciel, large}
}

func repeatsFromEnv(tb testing.TB) int {
	v := os.Getenv(envRepeats)
	if v == "" {
		return defaultRepeats
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		tb.Fatalf("%s=%q: want a whole number of runs, at least 1", envRepeats, v)
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

// report prints the tables, head-qa's waits, the verdict on every target and the
// memory scaling.
func (s suite) report(tb testing.TB, w io.Writer, sizes []bench.Size, loadBefore string) {
	var out strings.Builder
	for _, path := range []string{s.ciel.Export, s.large.Export} {
		zipBytes, jsonBytes, err := bench.ExportSize(path)
		if err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&out, "\nexport: %s (%.0f MB zip, %.0f MB export.json)", filepath.Base(path), float64(zipBytes)/1e6, float64(jsonBytes)/1e6)
	}
	fmt.Fprintf(&out, "\nmachine: %d CPUs, %s/%s, %s; load average before %s, after %s\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), loadBefore, bench.LoadAverage())
	for k, size := range sizes[1:] {
		runs := "once"
		if k == 0 {
			runs = fmt.Sprintf("median of %d runs", s.repeats)
		}
		fmt.Fprintf(&out, "\n%d concepts; time and cpu: %s, each in its own process; peak-RSS: the highest; vs-inflate: time over inflate's\n", size.Concepts, runs)
		bench.WriteTable(&out, size.Rows)
	}
	if r, ok := bench.Find(sizes[1].Rows, bench.OpHeadQA); ok {
		fmt.Fprintf(&out, "\nHEAD QA through the OCL client against the fake OCL, %d concepts:\n", sizes[1].Concepts)
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
	fmt.Fprint(w, out.String())
}
