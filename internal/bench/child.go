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

// The environment tells a re-executed binary which operation to run on which input.
const (
	envOperation = "SHEPHERD_BENCH_OPERATION"
	envExport    = "SHEPHERD_BENCH_EXPORT"
	envSpec      = "SHEPHERD_BENCH_SPEC" // the data set, as JSON
)

// Measurement is one run of one operation in a child process.
type Measurement struct {
	Operation string
	Seconds   float64 // the operation alone, timed inside the child
	CPU       float64 // user and system seconds of the whole child, on every core
	PeakRSS   int64   // bytes: the child's peak resident set, Go runtime included; 0 when unknown
	Detail    string  // what the operation processed
	Paging    *Paging // what head-qa's pages waited; nil for the others
}

// childResult is what a child prints on its standard output.
type childResult struct {
	Seconds float64 `json:"seconds"`
	Detail  string  `json:"detail"`
	Paging  *Paging `json:"paging,omitempty"`
}

// ChildRequest says whether Measure started this process, and for which operation
// and input.
func ChildRequest() (operation string, in Input, ok bool, err error) {
	operation = os.Getenv(envOperation)
	if operation == "" {
		return "", in, false, nil
	}
	in.Export = os.Getenv(envExport)
	if err := json.Unmarshal([]byte(os.Getenv(envSpec)), &in.Spec); err != nil {
		return operation, in, true, fmt.Errorf("bench: %s=%q: %w", envSpec, os.Getenv(envSpec), err)
	}
	return operation, in, true, nil
}

// RunChild runs one operation on in and writes its result to w for Measure. A binary
// that Measure re-executes calls it first thing (in TestMain for a test binary) when
// ChildRequest says so, and exits.
func RunChild(ctx context.Context, w io.Writer, operation string, in Input) error {
	op, ok := Lookup(operation)
	if !ok {
		return fmt.Errorf("bench: unknown operation %q", operation)
	}
	start := time.Now()
	out, err := op.Run(ctx, in)
	if err != nil {
		return fmt.Errorf("bench: %s on %s: %w", operation, in.Export, err)
	}
	return json.NewEncoder(w).Encode(childResult{Seconds: time.Since(start).Seconds(), Detail: out.Detail, Paging: out.Paging})
}

// Measure runs an operation on in in a fresh process of binary, which must call
// RunChild as ChildRequest asks, and reads the child's peak RSS from the kernel.
func Measure(ctx context.Context, binary, operation string, in Input) (Measurement, error) {
	if _, ok := Lookup(operation); !ok {
		return Measurement{}, fmt.Errorf("bench: unknown operation %q", operation)
	}
	spec, err := json.Marshal(in.Spec)
	if err != nil {
		return Measurement{}, fmt.Errorf("bench: data set %+v: %w", in.Spec, err)
	}
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = append(os.Environ(), envOperation+"="+operation, envExport+"="+in.Export, envSpec+"="+string(spec))
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
		Paging:    res.Paging,
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
