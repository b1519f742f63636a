package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Row gathers the runs of one operation.
type Row struct {
	Operation string
	Runs      []Measurement
}

// Seconds is the median time of the runs: one slow run on a shared machine moves it
// less than it moves a mean.
func (r Row) Seconds() float64 {
	wall := make([]float64, len(r.Runs))
	for k, m := range r.Runs {
		wall[k] = m.Seconds
	}
	return median(wall)
}

// Best is the shortest time of the runs: the one least disturbed by other processes,
// a second opinion on a ratio when the machine's load moved during the rounds.
func (r Row) Best() float64 {
	if len(r.Runs) == 0 {
		return 0
	}
	best := r.Runs[0].Seconds
	for _, m := range r.Runs[1:] {
		best = min(best, m.Seconds)
	}
	return best
}

// CPU is the median CPU time of the runs. It moves less than Seconds when other
// processes compete for the cores, and shows how much of the second core an operation
// uses when it is above Seconds.
func (r Row) CPU() float64 {
	cpu := make([]float64, len(r.Runs))
	for k, m := range r.Runs {
		cpu[k] = m.CPU
	}
	return median(cpu)
}

// PeakMB is the highest peak RSS of the runs, in MB (10⁶ bytes): memory is judged by
// its worst run.
func (r Row) PeakMB() float64 {
	var peak int64
	for _, m := range r.Runs {
		peak = max(peak, m.PeakRSS)
	}
	return float64(peak) / 1e6
}

// Detail is what the last run processed.
func (r Row) Detail() string {
	if len(r.Runs) == 0 {
		return ""
	}
	return r.Runs[len(r.Runs)-1].Detail
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 0 {
		return (s[mid-1] + s[mid]) / 2
	}
	return s[mid]
}

// Run measures each operation repeats times on in, each run in a child process of
// binary (see Measure). The repeats are interleaved, every operation once per round, so
// that a change in the machine's load falls on all of them alike. Progress, when not
// nil, gets a line per run.
func Run(ctx context.Context, binary string, in Input, operations []string, repeats int, progress io.Writer) ([]Row, error) {
	rows := make([]Row, len(operations))
	for k, name := range operations {
		rows[k].Operation = name
	}
	for round := 1; round <= repeats; round++ {
		for k, name := range operations {
			m, err := Measure(ctx, binary, name, in)
			if err != nil {
				return nil, err
			}
			rows[k].Runs = append(rows[k].Runs, m)
			if progress != nil {
				fmt.Fprintf(progress, "  round %d/%d  %-9s %7.2fs  %6.0f MB  cpu %6.2fs  %s\n",
					round, repeats, name, m.Seconds, float64(m.PeakRSS)/1e6, m.CPU, m.Detail)
			}
		}
	}
	return rows, nil
}

// Find returns the row of an operation.
func Find(rows []Row, operation string) (Row, bool) {
	for _, r := range rows {
		if r.Operation == operation {
			return r, true
		}
	}
	return Row{}, false
}

// Ratio is the median time of operation a over that of b, 0 when either is missing.
func Ratio(rows []Row, a, b string) float64 {
	return ratio(rows, a, b, Row.Seconds)
}

// BestRatio is the best time of operation a over that of b, 0 when either is missing.
func BestRatio(rows []Row, a, b string) float64 {
	return ratio(rows, a, b, Row.Best)
}

func ratio(rows []Row, a, b string, seconds func(Row) float64) float64 {
	ra, okA := Find(rows, a)
	rb, okB := Find(rows, b)
	if !okA || !okB || seconds(rb) == 0 {
		return 0
	}
	return seconds(ra) / seconds(rb)
}

// Baseline is the operation every time target is a ratio to: inflating export.json,
// which anything reading the export must do, measured in the same run.
const Baseline = OpInflate

// Target is what an operation must achieve, at CIEL scale and at 4× CIEL.
type Target struct {
	MaxRatioToInflate float64
	MaxPeakMB         float64 // exclusive
}

// MaxPeakMB is the memory target of every operation that has a target.
const MaxPeakMB = 150

// Targets are the project's performance targets (docs/performance.md).
var Targets = map[string]Target{
	OpQA:     {MaxRatioToInflate: 2, MaxPeakMB: MaxPeakMB},
	OpSQL111: {MaxRatioToInflate: 3, MaxPeakMB: MaxPeakMB},
	OpSQL2:   {MaxRatioToInflate: 3, MaxPeakMB: MaxPeakMB},
	OpBuild:  {MaxRatioToInflate: 4, MaxPeakMB: MaxPeakMB},
}

// Verdict says whether an operation meets its target, or "-" when it has none or was
// not measured.
func Verdict(rows []Row, operation string) string {
	t, ok := Targets[operation]
	r, found := Find(rows, operation)
	if !ok || !found {
		return "-"
	}
	ratio := Ratio(rows, operation, Baseline)
	var missed []string
	switch {
	case ratio == 0:
		missed = append(missed, "no "+Baseline+" to compare with")
	case ratio > t.MaxRatioToInflate:
		missed = append(missed, fmt.Sprintf("time %.2f× > %.0f×", ratio, t.MaxRatioToInflate))
	}
	if r.PeakMB() >= t.MaxPeakMB {
		missed = append(missed, fmt.Sprintf("memory %.0f MB ≥ %.0f MB", r.PeakMB(), t.MaxPeakMB))
	}
	goal := fmt.Sprintf("≤ %.0f× %s, < %.0f MB", t.MaxRatioToInflate, Baseline, t.MaxPeakMB)
	return goal + outcome(missed)
}

func outcome(missed []string) string {
	if len(missed) > 0 {
		return ": MISSED (" + strings.Join(missed, ", ") + ")"
	}
	return ": met"
}

// WriteTable prints the main table: median time, its ratio to inflate's, peak RSS, the
// best time and its ratio to inflate's best, median CPU time, and the verdict on each
// operation's target (judged on the medians). Operations without an export to read
// (head-qa) are left to WritePaging.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintf(w, "%-10s %9s %11s %10s %9s %11s %9s  %s\n", "operation", "time", "vs-inflate", "peak-RSS", "best", "best-ratio", "cpu", "target")
	for _, r := range rows {
		if r.Operation == OpHeadQA {
			continue
		}
		fmt.Fprintf(w, "%-10s %8.2fs %10.2f× %7.0f MB %8.2fs %10.2f× %8.2fs  %s\n",
			r.Operation, r.Seconds(), Ratio(rows, r.Operation, Baseline), r.PeakMB(),
			r.Best(), BestRatio(rows, r.Operation, Baseline), r.CPU(), Verdict(rows, r.Operation))
	}
}

// Size is the rows measured on one export.
type Size struct {
	Concepts int
	Rows     []Row
}

// WriteTargets prints one line per target and export size with met or MISSED, then
// head-qa's.
func WriteTargets(w io.Writer, sizes []Size) {
	for _, op := range []string{OpQA, OpSQL111, OpSQL2, OpBuild} {
		for _, s := range sizes {
			if _, ok := Find(s.Rows, op); ok {
				fmt.Fprintf(w, "%-9s at %7d concepts  %s\n", op, s.Concepts, Verdict(s.Rows, op))
			}
		}
	}
	for _, s := range sizes {
		if r, ok := Find(s.Rows, OpHeadQA); ok {
			fmt.Fprintf(w, "%-9s at %7d concepts  %s\n", OpHeadQA, s.Concepts, HeadVerdict(r))
		}
	}
}

// WriteScaling prints the peak RSS of each operation at every size measured (smallest
// first) and its growth per 1,000 concepts between consecutive sizes ("MB/1,000 A→B"):
// what a streaming reader adds for a bigger export is what it keeps per concept.
func WriteScaling(w io.Writer, sizes []Size) {
	if len(sizes) < 2 {
		return
	}
	fmt.Fprintf(w, "%-10s", "operation")
	for _, s := range sizes {
		fmt.Fprintf(w, " %16s", fmt.Sprintf("%d concepts", s.Concepts))
	}
	for k := 1; k < len(sizes); k++ {
		fmt.Fprintf(w, " %22s", fmt.Sprintf("MB/1,000 %d→%d", sizes[k-1].Concepts, sizes[k].Concepts))
	}
	fmt.Fprintln(w)
	for _, first := range sizes[0].Rows {
		peaks := make([]float64, len(sizes))
		complete := true
		for k, s := range sizes {
			r, ok := Find(s.Rows, first.Operation)
			complete = complete && ok
			peaks[k] = r.PeakMB()
		}
		if !complete {
			continue
		}
		fmt.Fprintf(w, "%-10s", first.Operation)
		for _, p := range peaks {
			fmt.Fprintf(w, " %13.0f MB", p)
		}
		for k := 1; k < len(sizes); k++ {
			thousands := float64(sizes[k].Concepts-sizes[k-1].Concepts) / 1000
			fmt.Fprintf(w, " %19.2f MB", (peaks[k]-peaks[k-1])/thousands)
		}
		fmt.Fprintln(w)
	}
}

// LoadAverage is the 1, 5 and 15 minute load averages, or "unknown".
func LoadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(data)); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
