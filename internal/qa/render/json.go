package render

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/shepherd-release/shepherd/internal/qa"
)

// JSON writes the complete report, indented, with the field names of package qa. Empty lists
// are written as [] and empty maps as {}, never null. The findings are written one at a time,
// so a large report is never held twice in memory; the output is byte for byte what
// encoding/json would produce for the whole report.
func JSON(w io.Writer, report *qa.Report) error {
	r := withEmptyCollections(report)
	bw := bufio.NewWriterSize(w, 64<<10)
	jw := &jsonWriter{w: bw}

	jw.printf("{\n  \"schema_version\": %d,\n  \"summary\": ", r.SchemaVersion)
	jw.value(r.Summary, "  ")
	jw.printf(",\n  \"findings\": [")
	for i, f := range r.Findings {
		if i > 0 {
			jw.printf(",")
		}
		jw.printf("\n    ")
		jw.value(f, "    ")
	}
	if len(r.Findings) > 0 {
		jw.printf("\n  ")
	}
	jw.printf("]")
	if r.Comparison != nil {
		jw.printf(",\n  \"comparison\": ")
		jw.value(r.Comparison, "  ")
	}
	jw.printf("\n}\n")

	if jw.err != nil {
		return fmt.Errorf("write JSON report: %w", jw.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// jsonWriter keeps the first error so the writing code reads straight through.
type jsonWriter struct {
	w   io.Writer
	err error
}

func (j *jsonWriter) printf(format string, args ...any) {
	if j.err == nil {
		_, j.err = fmt.Fprintf(j.w, format, args...)
	}
}

func (j *jsonWriter) value(v any, prefix string) {
	if j.err != nil {
		return
	}
	b, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(b)
}

// withEmptyCollections returns a shallow copy of the report whose nil slices and maps are
// empty, so that readers of the JSON never meet null where they expect a list.
func withEmptyCollections(report *qa.Report) qa.Report {
	r := qa.Report{}
	if report != nil {
		r = *report
	}
	r.Findings = emptyIfNil(r.Findings)
	r.Summary.Overrides = emptyIfNil(r.Summary.Overrides)
	r.Summary.RulesRun = emptyIfNil(r.Summary.RulesRun)
	if r.Summary.BySeverity == nil {
		r.Summary.BySeverity = map[qa.Severity]int{}
	}
	if r.Summary.ByRule == nil {
		r.Summary.ByRule = map[string]int{}
	}
	if r.Comparison != nil {
		c := *r.Comparison
		c.New = emptyIfNil(c.New)
		c.Fixed = emptyIfNil(c.Fixed)
		r.Comparison = &c
	}
	return r
}

func emptyIfNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
