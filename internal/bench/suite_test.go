package bench_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/bench"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// row makes a row from (seconds, peak MB) runs; each used twice its time in CPU.
func row(op string, runs ...[2]float64) bench.Row {
	r := bench.Row{Operation: op}
	for _, run := range runs {
		r.Runs = append(r.Runs, bench.Measurement{Operation: op, Seconds: run[0], CPU: 2 * run[0], PeakRSS: int64(run[1] * 1e6)})
	}
	return r
}

func TestRowTakesTheMedianTimeAndTheWorstMemory(t *testing.T) {
	tests := []struct {
		name     string
		row      bench.Row
		seconds  float64
		best     float64
		peakMB   float64
		withRuns int
	}{
		{"three runs", row("qa", [2]float64{5, 80}, [2]float64{9, 60}, [2]float64{4, 90}), 5, 4, 90, 3},
		{"two runs", row("qa", [2]float64{4, 10}, [2]float64{6, 20}), 5, 4, 20, 2},
		{"one run", row("qa", [2]float64{3, 7}), 3, 3, 7, 1},
		{"no run", row("qa"), 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDelta(t, tt.seconds, tt.row.Seconds(), 1e-9)
			assert.InDelta(t, 2*tt.seconds, tt.row.CPU(), 1e-9)
			assert.InDelta(t, tt.best, tt.row.Best(), 1e-9)
			assert.InDelta(t, tt.peakMB, tt.row.PeakMB(), 1e-6)
			assert.Len(t, tt.row.Runs, tt.withRuns)
		})
	}
}

func TestVerdictComparesWithInflate(t *testing.T) {
	rows := []bench.Row{
		row(bench.OpInflate, [2]float64{2, 9}),
		row(bench.OpFloor, [2]float64{10, 15}),
		row(bench.OpQA, [2]float64{4, 80}),
		row(bench.OpSQL111, [2]float64{6.4, 90}),
		row(bench.OpSQL2, [2]float64{5, 150}),
		row(bench.OpBuild, [2]float64{9, 160}),
	}
	tests := []struct {
		op, want string
	}{
		{bench.OpQA, "≤ 2× inflate, < 150 MB: met"},
		{bench.OpSQL111, "≤ 3× inflate, < 150 MB: MISSED (time 3.20× > 3×)"},
		{bench.OpSQL2, "MISSED (memory 150 MB ≥ 150 MB)"},
		{bench.OpBuild, "≤ 4× inflate, < 150 MB: MISSED (time 4.50× > 4×, memory 160 MB ≥ 150 MB)"},
		{bench.OpFloor, "-"},
		{bench.OpInflate, "-"},
		{bench.OpHeadQA, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			assert.Contains(t, bench.Verdict(rows, tt.op), tt.want)
		})
	}
	assert.Contains(t, bench.Verdict(rows[2:3], bench.OpQA), "MISSED (no inflate to compare with)")
	assert.InDelta(t, 0.4, bench.Ratio(rows, bench.OpQA, bench.OpFloor), 1e-9, "the floor stays for information")
	noisy := []bench.Row{
		row(bench.OpInflate, [2]float64{2, 15}, [2]float64{1, 15}, [2]float64{4, 15}),
		row(bench.OpQA, [2]float64{3, 80}),
	}
	assert.InDelta(t, 1.5, bench.Ratio(noisy, bench.OpQA, bench.OpInflate), 1e-9)
	assert.InDelta(t, 3.0, bench.BestRatio(noisy, bench.OpQA, bench.OpInflate), 1e-9)
	assert.Zero(t, bench.Ratio(rows, bench.OpHeadQA, bench.OpInflate), "no row, no ratio")
}

func TestHeadVerdictComparesWithRoundsOfTheSlowestPage(t *testing.T) {
	// 55 pages, 4 in flight: page 1, then 14 rounds; the slowest page 3 s: at most 45 s.
	paging := &bench.Paging{Pages: 55, Concurrency: 4, Latency: 2, Jitter: 1, Waited: 137.5, Slowest: 2.99}
	run := func(secs float64) bench.Measurement {
		return bench.Measurement{Operation: bench.OpHeadQA, Seconds: secs, Paging: paging}
	}
	assert.Equal(t, 15, paging.Windows())
	assert.InDelta(t, 45, paging.Bound(), 1e-9)
	assert.Contains(t, bench.HeadVerdict(bench.Row{Operation: bench.OpHeadQA, Runs: []bench.Measurement{run(50)}}), "≤ 1.25 × 15 rounds × slowest page 3s = 56.2s: met")
	assert.Contains(t, bench.HeadVerdict(bench.Row{Operation: bench.OpHeadQA, Runs: []bench.Measurement{run(140)}}), "MISSED (time 140.0s)")
	assert.Equal(t, "-", bench.HeadVerdict(row(bench.OpHeadQA, [2]float64{1, 1})), "no paging, no verdict")
	assert.Zero(t, bench.Paging{}.Windows())
}

func TestTablesShowEveryRow(t *testing.T) {
	rows := []bench.Row{row(bench.OpInflate, [2]float64{2, 9}), row(bench.OpFloor, [2]float64{10, 15}), row(bench.OpQA, [2]float64{3, 80}), row(bench.OpHeadQA, [2]float64{30, 200})}
	var table strings.Builder
	bench.WriteTable(&table, rows)
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if assert.Len(t, lines, 4, "head-qa has a section of its own") {
		assert.Equal(t, []string{"floor", "10.00s", "5.00×", "15", "MB", "10.00s", "5.00×", "20.00s", "-"}, strings.Fields(lines[2]))
		assert.Contains(t, lines[3], "1.50×")
		assert.Contains(t, lines[3], "met")
	}

	var targets strings.Builder
	bench.WriteTargets(&targets, []bench.Size{{Concepts: 55000, Rows: rows}, {Concepts: 220000, Rows: rows[:3]}})
	assert.Equal(t, []string{
		"qa        at   55000 concepts  ≤ 2× inflate, < 150 MB: met",
		"qa        at  220000 concepts  ≤ 2× inflate, < 150 MB: met",
		"head-qa   at   55000 concepts  -",
	}, strings.Split(strings.TrimSpace(targets.String()), "\n"))

	var scaling strings.Builder
	small := []bench.Row{row(bench.OpQA, [2]float64{1, 40}), row(bench.OpFloor, [2]float64{1, 15})}
	large := []bench.Row{row(bench.OpQA, [2]float64{1, 200})}
	bench.WriteScaling(&scaling, []bench.Size{{Concepts: 2000, Rows: small}, {Concepts: 22000, Rows: rows}, {Concepts: 102000, Rows: large}})
	got := strings.Split(strings.TrimSpace(scaling.String()), "\n")
	if assert.Len(t, got, 2, "the floor was not measured at every size") {
		assert.Contains(t, got[0], "2000 concepts")
		assert.Contains(t, got[0], "MB/1,000 22000→102000")
		assert.Equal(t, []string{"qa", "40", "MB", "80", "MB", "200", "MB", "2.00", "MB", "1.50", "MB"}, strings.Fields(got[1]))
	}
}

// The whole of `make bench`, on three tiny exports: every table, target and scaling line
// is printed from real runs.
func TestSuiteReportsEveryTargetAtEverySize(t *testing.T) {
	dir := t.TempDir()
	input := func(concepts int) bench.Input {
		spec := dataset.Spec{Seed: 1, Concepts: concepts}
		path, _, err := bench.CachedExport(dir, spec, benchVersion, "test")
		require.NoError(t, err)
		return bench.Input{Export: path, Spec: spec}
	}
	t.Setenv(bench.EnvPageLatency, "5ms")
	t.Setenv(bench.EnvPageJitter, "2ms")
	s := suite{small: input(50), ciel: input(100), large: input(400), repeats: 2}

	var progress, report strings.Builder
	sizes := s.run(t, &progress)
	s.report(t, &report, sizes, "0.00 0.00 0.00")

	require.Len(t, sizes, 3)
	assert.Len(t, sizes[1].Rows, len(bench.Operations()))
	assert.Equal(t, 2*len(bench.Operations())+2*len(scalingOperations), strings.Count(progress.String(), "  round "))
	out := report.String()
	for _, want := range []string{
		"100 concepts; time and cpu: median of 2 runs",
		"400 concepts; time and cpu: once",
		"HEAD QA through the OCL client against the fake OCL, 100 concepts:",
		"1 pages, at most 4 in flight, each delayed 5ms + up to 2ms",
		"qa        at     100 concepts  ≤ 2× inflate, < 150 MB",
		"qa        at     400 concepts  ≤ 2× inflate, < 150 MB",
		"sql-2     at     400 concepts  ≤ 3× inflate",
		"build     at     100 concepts  ≤ 4× inflate",
		"head-qa   at     100 concepts  ≤ 1.25 × 1 rounds",
		"MB/1,000 50→100", "MB/1,000 100→400",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "build     at     400", "the build runs at the middle size only")
	scaling := out[strings.Index(out, "peak RSS by export size:"):]
	assert.Len(t, strings.Split(strings.TrimSpace(scaling), "\n"), 2+len(scalingOperations))
}
