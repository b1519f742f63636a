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

// Run measures each operation repeats times on exportPath, each run in a child
// process of binary (see Measure). The repeats are interleaved, every operation once
// per round, so that a change in the machine's load falls on all of them alike.
// Progress, when not nil, gets a line per run.
func Run(ctx context.Context, binary, exportPath string, operations []string, repeats int, progress io.Writer) ([]Row, error) {
	rows := make([]Row, len(operations))
	for k, name := range operations {
		rows[k].Operation = name
	}
	for round := 1; round <= repeats; round++ {
		for k, name := range operations {
			m, err := Measure(ctx, binary, name, exportPath)
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

// Target is what an operation must achieve at CIEL scale.
type Target struct {
	MaxRatioToFloor float64
	MaxPeakMB       float64 // exclusive
}

// Targets are the project's performance targets (docs/performance.md).
var Targets = map[string]Target{
	OpQA:     {MaxRatioToFloor: 1.2, MaxPeakMB: 200},
	OpSQL111: {MaxRatioToFloor: 1.5, MaxPeakMB: 200},
	OpSQL2:   {MaxRatioToFloor: 1.5, MaxPeakMB: 200},
}

// Verdict says whether an operation meets its target, or "-" when it has none.
func Verdict(rows []Row, operation string) string {
	t, ok := Targets[operation]
	r, found := Find(rows, operation)
	if !ok || !found {
		return "-"
	}
	ratio := Ratio(rows, operation, OpFloor)
	var missed []string
	if ratio > t.MaxRatioToFloor {
		missed = append(missed, fmt.Sprintf("time %.2f× > %.1f×", ratio, t.MaxRatioToFloor))
	}
	if r.PeakMB() >= t.MaxPeakMB {
		missed = append(missed, fmt.Sprintf("memory %.0f MB ≥ %.0f MB", r.PeakMB(), t.MaxPeakMB))
	}
	goal := fmt.Sprintf("≤ %.1f× floor, < %.0f MB", t.MaxRatioToFloor, t.MaxPeakMB)
	if len(missed) > 0 {
		return goal + ": MISSED (" + strings.Join(missed, ", ") + ")"
	}
	return goal + ": met"
}

// WriteTable prints the main table: median time, its ratio to the floor's, peak RSS,
// the best time and its ratio to the floor's best, median CPU time, and the verdict on
// each operation's target (judged on the medians).
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintf(w, "%-10s %9s %15s %10s %9s %11s %9s  %s\n", "operation", "time", "ratio-to-floor", "peak-RSS", "best", "best-ratio", "cpu", "target")
	for _, r := range rows {
		fmt.Fprintf(w, "%-10s %8.2fs %15.2f %7.0f MB %8.2fs %11.2f %8.2fs  %s\n",
			r.Operation, r.Seconds(), Ratio(rows, r.Operation, OpFloor), r.PeakMB(),
			r.Best(), BestRatio(rows, r.Operation, OpFloor), r.CPU(), Verdict(rows, r.Operation))
	}
}

// WriteScaling prints peak RSS of the same operations on a small and a large export,
// and the growth per 1,000 concepts between them: what a streaming reader adds for a
// bigger export is what it keeps per concept.
func WriteScaling(w io.Writer, small, large []Row, smallConcepts, largeConcepts int) {
	fmt.Fprintf(w, "%-10s %18s %18s %22s\n", "operation", fmt.Sprintf("%d concepts", smallConcepts), fmt.Sprintf("%d concepts", largeConcepts), "growth/1,000 concepts")
	thousands := float64(largeConcepts-smallConcepts) / 1000
	for _, s := range small {
		l, ok := Find(large, s.Operation)
		if !ok {
			continue
		}
		fmt.Fprintf(w, "%-10s %15.0f MB %15.0f MB %19.2f MB\n", s.Operation, s.PeakMB(), l.PeakMB(), (l.PeakMB()-s.PeakMB())/thousands)
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
