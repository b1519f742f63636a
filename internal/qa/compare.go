package qa

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// maxReportBytes bounds what ReadReport accepts: the engine caps its findings, so a real
// report stays far below this, and a wrong file cannot exhaust memory.
const maxReportBytes = 512 << 20

// Compare says what changed from previous to current. Findings match by Finding.Key, as a
// multiset: a key present twice before and once now is one unchanged and one fixed. Severity
// is not part of the key, so a rule whose severity was overridden keeps its findings unchanged.
// New and Fixed are in report order. A nil previous report makes every finding new.
func Compare(previous, current *Report) *Comparison {
	c := &Comparison{New: []Finding{}, Fixed: []Finding{}}
	if current == nil {
		current = &Report{}
	}
	if previous == nil {
		previous = &Report{}
	} else {
		c.PreviousVersion = previous.Summary.Version
	}

	remaining := make(map[string]int, len(previous.Findings))
	for _, f := range previous.Findings {
		remaining[f.Key()]++
	}
	for _, f := range current.Findings {
		key := f.Key()
		if remaining[key] > 0 {
			remaining[key]--
			c.UnchangedCount++
			continue
		}
		c.New = append(c.New, f)
	}
	for _, f := range previous.Findings {
		key := f.Key()
		if remaining[key] > 0 {
			remaining[key]--
			c.Fixed = append(c.Fixed, f)
		}
	}

	slices.SortStableFunc(c.New, compareInReportOrder)
	slices.SortStableFunc(c.Fixed, compareInReportOrder)
	return c
}

// compareInReportOrder orders findings as a report lists them: most severe first, then by
// rule, concept code (numerically when both are numbers), mapping, locale, field and message.
func compareInReportOrder(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Severity.Rank(), b.Severity.Rank()),
		cmp.Compare(a.Rule, b.Rule),
		compareOptionalCodes(a.ConceptID, b.ConceptID),
		compareOptionalCodes(a.MappingID, b.MappingID),
		cmp.Compare(a.Locale, b.Locale),
		cmp.Compare(a.Field, b.Field),
		cmp.Compare(a.Message, b.Message),
	)
}

// compareOptionalCodes puts findings without a code first, then orders codes as compareCodes
// does (numerically when both are numbers).
func compareOptionalCodes(a, b string) int {
	if a == "" || b == "" {
		return cmp.Compare(a, b)
	}
	return compareCodes(a, b)
}

// ReadReport reads a JSON report written by Shepherd, for instance the previous release's
// report given with --previous. It refuses anything that is not such a report (no or an
// unknown schema_version) with an error saying so.
func ReadReport(r io.Reader) (*Report, error) {
	return readReport(r, maxReportBytes)
}

func readReport(r io.Reader, maxBytes int64) (*Report, error) {
	limited := &io.LimitedReader{R: r, N: maxBytes + 1}
	dec := json.NewDecoder(limited)
	var report Report
	if err := dec.Decode(&report); err != nil {
		if limited.N <= 0 {
			return nil, fmt.Errorf("read QA report: larger than %d bytes", maxBytes)
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("read QA report: not a Shepherd QA report: field %q has the wrong type (%s at byte %d)",
				typeErr.Field, typeErr.Value, typeErr.Offset)
		}
		return nil, fmt.Errorf("read QA report: not a JSON report: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("read QA report: unexpected data after the report at byte %d", dec.InputOffset())
	}
	switch {
	case report.SchemaVersion == 0:
		return nil, errors.New("read QA report: not a Shepherd QA report (no schema_version)")
	case report.SchemaVersion < 0 || report.SchemaVersion > SchemaVersion:
		return nil, fmt.Errorf("read QA report: schema_version %d is not supported (this Shepherd reads version %d)",
			report.SchemaVersion, SchemaVersion)
	}
	if report.Findings == nil {
		report.Findings = []Finding{}
	}
	return &report, nil
}
