// Package bench measures QA and SQL export on CIEL-scale exports against the time to
// inflate export.json out of the zip, beside the floor (inflating it and stream-decoding
// it with the standard library alone), and HEAD QA through the OCL client against the
// fake OCL with slow listing pages. `make bench` runs it; see docs/performance.md for
// what each number means and the targets.
//
// Every measured operation runs in a child process of its own so that its peak
// resident memory is its own: the Go runtime does not give freed heap back to the
// kernel at once, so a later operation in the same process would inherit the earlier
// one's peak.
package bench

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/qa"
)

// Names of the measured operations, in the order the tables show them.
const (
	OpInflate = "inflate"
	OpFloor   = "floor"
	OpQA      = "qa"
	OpSQL111  = "sql-1.11"
	OpSQL2    = "sql-2"
	OpBuild   = "build"
	OpHeadQA  = "head-qa"
)

// Input is what an operation works on: an export file and the data set it was
// generated from (which head-qa serves from the fake OCL instead of reading the file).
type Input struct {
	Export string
	Spec   dataset.Spec
}

// Outcome is a short account of what an operation processed, which the tables print so
// that a run that did less than expected shows, and for head-qa what its pages waited.
type Outcome struct {
	Detail string
	Paging *Paging
}

// Operation is one measured piece of work.
type Operation struct {
	Name        string
	Description string
	Run         func(ctx context.Context, in Input) (Outcome, error)
}

// Operations lists every operation, baselines first.
func Operations() []Operation {
	return []Operation{
		{OpInflate, "inflate export.json out of the zip into io.Discard", detailOnly(runInflate)},
		{OpFloor, "inflate + encoding/json stream decode into plain structs, one goroutine", detailOnly(runFloor)},
		{OpQA, "qa.CheckExport with the default options", detailOnly(runQA)},
		{OpSQL111, "export.WriteSQL openmrs-1.11 into io.Discard", detailOnly(runSQL(export.FormatOpenMRS111))},
		{OpSQL2, "export.WriteSQL openmrs-2 into io.Discard", detailOnly(runSQL(export.FormatOpenMRS2))},
		{OpBuild, "export.Build of both formats, zipped, as a release runs it", detailOnly(runBuild)},
		{OpHeadQA, "HEAD QA through the OCL client against the fake OCL, with slow listing pages", runHeadQA},
	}
}

// detailOnly adapts an operation on the export file alone.
func detailOnly(run func(ctx context.Context, exportPath string) (string, error)) func(context.Context, Input) (Outcome, error) {
	return func(ctx context.Context, in Input) (Outcome, error) {
		detail, err := run(ctx, in.Export)
		return Outcome{Detail: detail}, err
	}
}

// Lookup finds an operation by name.
func Lookup(name string) (Operation, bool) {
	for _, op := range Operations() {
		if op.Name == name {
			return op, true
		}
	}
	return Operation{}, false
}

func runInflate(_ context.Context, path string) (string, error) {
	n, err := Inflate(path)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d bytes of JSON", n), nil
}

// Inflate copies export.json out of the zip at path into io.Discard and returns its
// size: the cost of decompression alone.
func Inflate(path string) (int64, error) {
	var n int64
	err := withExportJSON(path, func(r io.Reader) error {
		var err error
		n, err = io.Copy(io.Discard, r)
		return err
	})
	return n, err
}

// withExportJSON opens the export.json entry of the zip at path with archive/zip only,
// so that the baselines owe nothing to the code they are compared with.
func withExportJSON(path string, fn func(io.Reader) error) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("bench: opening %s: %w", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != exportfile.EntryName {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return fmt.Errorf("bench: opening %s in %s: %w", f.Name, path, err)
		}
		defer r.Close()
		if err := fn(r); err != nil {
			return fmt.Errorf("bench: reading %s in %s: %w", f.Name, path, err)
		}
		return nil
	}
	return fmt.Errorf("bench: %s has no %s", path, exportfile.EntryName)
}

func runFloor(_ context.Context, path string) (string, error) {
	var counts FloorCounts
	err := withExportJSON(path, func(r io.Reader) error {
		var err error
		counts, err = DecodeFloor(r)
		return err
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d concepts, %d names, %d mappings", counts.Concepts, counts.Names, counts.Mappings), nil
}

func runQA(ctx context.Context, path string) (string, error) {
	rep, err := qa.CheckExport(ctx, path, qa.Options{})
	if err != nil {
		return "", err
	}
	s := rep.Summary
	return fmt.Sprintf("%d concepts, %d mappings, %d findings", s.ConceptsChecked, s.MappingsChecked, len(rep.Findings)), nil
}

func runSQL(format export.Format) func(context.Context, string) (string, error) {
	return func(ctx context.Context, path string) (string, error) {
		w := &countingWriter{}
		counts, err := export.WriteSQL(ctx, path, format, w, export.SQLOptions{})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d concepts, %d mappings, %d bytes of SQL", counts.Concepts, counts.Mappings, w.n), nil
	}
}

func runBuild(ctx context.Context, path string) (string, error) {
	out, err := os.MkdirTemp("", "shepherd-bench-build-*")
	if err != nil {
		return "", fmt.Errorf("bench: folder for the artifacts: %w", err)
	}
	defer os.RemoveAll(out)
	artifacts, err := export.Build(ctx, path, out, export.Formats, export.SQLOptions{})
	if err != nil {
		return "", err
	}
	var size int64
	for _, a := range artifacts {
		size += a.Size
	}
	return fmt.Sprintf("%d artifacts, %d bytes zipped", len(artifacts), size), nil
}

// countingWriter is io.Discard that keeps count.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
