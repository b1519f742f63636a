package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// The environment tells a re-executed binary which operation to run on which file.
const (
	envOperation = "SHEPHERD_BENCH_OPERATION"
	envExport    = "SHEPHERD_BENCH_EXPORT"
)

// Measurement is one run of one operation in a child process.
type Measurement struct {
	Operation string
	Seconds   float64 // the operation alone, timed inside the child
	CPU       float64 // user and system seconds of the whole child, on every core
	PeakRSS   int64   // bytes: the child's peak resident set, Go runtime included; 0 when unknown
	Detail    string  // what the operation processed
}

// childResult is what a child prints on its standard output.
type childResult struct {
	Seconds float64 `json:"seconds"`
	Detail  string  `json:"detail"`
}

// ChildRequest says whether Measure started this process, and for which operation
// and file.
func ChildRequest() (operation, exportPath string, ok bool) {
	operation = os.Getenv(envOperation)
	return operation, os.Getenv(envExport), operation != ""
}

// RunChild runs one operation on exportPath and writes its result to w for Measure.
// A binary that Measure re-executes calls it first thing (in TestMain for a test
// binary) when ChildRequest says so, and exits.
func RunChild(ctx context.Context, w io.Writer, operation, exportPath string) error {
	op, ok := Lookup(operation)
	if !ok {
		return fmt.Errorf("bench: unknown operation %q", operation)
	}
	start := time.Now()
	detail, err := op.Run(ctx, exportPath)
	if err != nil {
		return fmt.Errorf("bench: %s on %s: %w", operation, exportPath, err)
	}
	return json.NewEncoder(w).Encode(childResult{Seconds: time.Since(start).Seconds(), Detail: detail})
}

// Measure runs an operation on exportPath in a fresh process of binary, which must
// call RunChild as ChildRequest asks, and reads the child's peak RSS from the kernel.
func Measure(ctx context.Context, binary, operation, exportPath string) (Measurement, error) {
	if _, ok := Lookup(operation); !ok {
		return Measurement{}, fmt.Errorf("bench: unknown operation %q", operation)
	}
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = append(os.Environ(), envOperation+"="+operation, envExport+"="+exportPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Measurement{}, fmt.Errorf("bench: %s in a child process of %s: %w: %s", operation, binary, err, strings.TrimSpace(stderr.String()))
	}
	var res childResult
	if err := json.Unmarshal(lastLine(out), &res); err != nil {
		return Measurement{}, fmt.Errorf("bench: %s: the child's result %q: %w", operation, out, err)
	}
	state := cmd.ProcessState
	return Measurement{
		Operation: operation,
		Seconds:   res.Seconds,
		CPU:       (state.UserTime() + state.SystemTime()).Seconds(),
		PeakRSS:   peakRSS(state),
		Detail:    res.Detail,
	}, nil
}

// lastLine is the child's result line, whatever a dependency printed before it.
func lastLine(out []byte) []byte {
	out = bytes.TrimSpace(out)
	if i := bytes.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	return out
}
