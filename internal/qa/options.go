package qa

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
)

// DefaultMaxFindings is how many findings a report keeps when Options.MaxFindings is 0.
const DefaultMaxFindings = 100000

// Input kinds of a run.
const (
	InputExport = "export"
	InputAPI    = "api"
)

// Options configure a QA run.
type Options struct {
	Org, Source, Version string
	// SourceFrom names where Org and Source came from ("--source", "configuration"),
	// for the report. When Source is empty the engine reads them from the data.
	SourceFrom string
	// Input is "export" or "api"; CheckExport and CheckAPI fill it when empty.
	Input string
	// Severity overrides a rule's default severity, by rule id.
	Severity map[string]Severity
	// Disabled rules do not run.
	Disabled []string
	// KnownExtras adds keys to the extras vocabulary (EX-05).
	KnownExtras []string
	// ExportLimits bound what CheckExport reads; the zero value means the defaults.
	ExportLimits exportfile.Limits
	// MaxFindings caps the findings kept in the report; findings beyond it are counted
	// in the summary only. 0 means DefaultMaxFindings.
	MaxFindings int
	// Progress, when set, is called now and then with the counts so far.
	Progress func(concepts, mappings int)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Validate refuses unknown rule ids, unknown severities and impossible settings.
func (o Options) Validate() error {
	switch o.Input {
	case "", InputExport, InputAPI:
	default:
		return fmt.Errorf("qa: unknown input %q (want %q or %q)", o.Input, InputExport, InputAPI)
	}
	for _, id := range sortedKeys(o.Severity) {
		if _, ok := ruleByID[id]; !ok {
			return fmt.Errorf("qa: severity override for unknown rule %q (rules are listed in docs/qa-rules.md)", id)
		}
		if s := o.Severity[id]; s.Rank() > SeverityInfo.Rank() {
			return fmt.Errorf("qa: unknown severity %q for rule %s (want error, warning or info)", s, id)
		}
	}
	for _, id := range o.Disabled {
		if _, ok := ruleByID[id]; !ok {
			return fmt.Errorf("qa: cannot disable unknown rule %q (rules are listed in docs/qa-rules.md)", id)
		}
	}
	for _, k := range o.KnownExtras {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("qa: blank key in the known extras list")
		}
	}
	if o.MaxFindings < 0 {
		return fmt.Errorf("qa: max findings must not be negative (got %d)", o.MaxFindings)
	}
	return nil
}

// ruleConfig is Options resolved for the engine: which rules run, at which severity.
type ruleConfig struct {
	enabled   [numRules]bool
	severity  [numRules]Severity
	overrides []Override
}

// resolveRules applies overrides to the catalogue's defaults. Unknown ids and
// severities are ignored here; Validate reports them.
func resolveRules(o Options) ruleConfig {
	var c ruleConfig
	for r := rule(0); r < numRules; r++ {
		c.enabled[r] = true
		c.severity[r] = catalogue[r].DefaultSeverity
	}
	for _, id := range sortedKeys(o.Severity) {
		r, ok := ruleByID[id]
		s := o.Severity[id]
		if !ok || s.Rank() > SeverityInfo.Rank() {
			continue
		}
		c.severity[r] = s
	}
	for _, id := range o.Disabled {
		if r, ok := ruleByID[id]; ok {
			c.enabled[r] = false
		}
	}
	for r := rule(0); r < numRules; r++ {
		def := catalogue[r].DefaultSeverity
		switch {
		case !c.enabled[r]:
			c.overrides = append(c.overrides, Override{Rule: r.id(), Disabled: true, Default: def})
		case c.severity[r] != def:
			c.overrides = append(c.overrides, Override{Rule: r.id(), Severity: c.severity[r], Default: def})
		}
	}
	slices.SortFunc(c.overrides, func(a, b Override) int { return strings.Compare(a.Rule, b.Rule) })
	return c
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
