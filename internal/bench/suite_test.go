package bench_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shepherd-release/shepherd/internal/bench"
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

func TestVerdictComparesWithTheTargets(t *testing.T) {
	rows := []bench.Row{
		row(bench.OpInflate, [2]float64{2, 9}),
		row(bench.OpFloor, [2]float64{10, 15}),
		row(bench.OpQA, [2]float64{11, 80}),
		row(bench.OpSQL111, [2]float64{16, 90}),
		row(bench.OpSQL2, [2]float64{14, 250}),
	}
	tests := []struct {
		op, want string
	}{
		{bench.OpQA, "≤ 1.2× floor, < 200 MB: met"},
		{bench.OpSQL111, "MISSED (time 1.60× > 1.5×)"},
		{bench.OpSQL2, "MISSED (memory 250 MB ≥ 200 MB)"},
		{bench.OpFloor, "-"},
		{bench.OpBuild, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			assert.Contains(t, bench.Verdict(rows, tt.op), tt.want)
		})
	}
	assert.InDelta(t, 5.5, bench.Ratio(rows, bench.OpQA, bench.OpInflate), 1e-9)
	noisyFloor := []bench.Row{
		row(bench.OpFloor, [2]float64{10, 15}, [2]float64{8, 15}, [2]float64{20, 15}),
		row(bench.OpQA, [2]float64{11, 80}),
	}
	assert.InDelta(t, 11.0/10, bench.Ratio(noisyFloor, bench.OpQA, bench.OpFloor), 1e-9)
	assert.InDelta(t, 11.0/8, bench.BestRatio(noisyFloor, bench.OpQA, bench.OpFloor), 1e-9)
	assert.Zero(t, bench.Ratio(rows, bench.OpBuild, bench.OpFloor), "no row, no ratio")
}

func TestTablesShowEveryRow(t *testing.T) {
	rows := []bench.Row{row(bench.OpFloor, [2]float64{10, 15}), row(bench.OpQA, [2]float64{11, 80})}
	var table strings.Builder
	bench.WriteTable(&table, rows)
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if assert.Len(t, lines, 3) {
		assert.Equal(t, []string{"floor", "10.00s", "1.00", "15", "MB", "10.00s", "1.00", "20.00s", "-"}, strings.Fields(lines[1]))
		assert.Contains(t, lines[2], "1.10")
		assert.Contains(t, lines[2], "met")
	}

	var scaling strings.Builder
	small := []bench.Row{row(bench.OpQA, [2]float64{1, 40})}
	bench.WriteScaling(&scaling, small, rows, 2000, 22000)
	assert.Contains(t, scaling.String(), "2000 concepts")
	assert.Equal(t, []string{"qa", "40", "MB", "80", "MB", "2.00", "MB"}, strings.Fields(strings.Split(scaling.String(), "\n")[1]))
}
