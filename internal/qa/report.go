package qa

import "time"

// Severity of a finding. Ordered: error is the most severe.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Rank orders severities for sorting: error 0, warning 1, info 2, unknown 3.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	case SeverityInfo:
		return 2
	}
	return 3
}

// Finding is one problem found by one rule. Field names are part of the JSON report's
// stable format.
type Finding struct {
	Rule       string   `json:"rule"`
	Severity   Severity `json:"severity"`
	ConceptID  string   `json:"concept_id,omitempty"`  // the concept's code
	ConceptURL string   `json:"concept_url,omitempty"` // relative OCL URL when known
	MappingID  string   `json:"mapping_id,omitempty"`  // when a mapping is at fault
	Locale     string   `json:"locale,omitempty"`      // when one locale is at fault
	Field      string   `json:"field,omitempty"`       // e.g. "extras.is_set", "external_id"
	Message    string   `json:"message"`
}

// Key identifies a finding across reports for comparison: the same rule at the same
// place with the same message is "unchanged".
func (f Finding) Key() string {
	return f.Rule + "\x00" + f.ConceptID + "\x00" + f.MappingID + "\x00" + f.Locale + "\x00" + f.Field + "\x00" + f.Message
}

// Override records a configuration change to a rule that was in force for a run.
type Override struct {
	Rule     string   `json:"rule"`
	Disabled bool     `json:"disabled,omitempty"`
	Severity Severity `json:"severity,omitempty"` // the severity used instead of the default
	Default  Severity `json:"default"`
}

// Summary is the head of a report.
type Summary struct {
	Source string `json:"source"` // "ORG/SOURCE"
	// SourceFrom says where Source came from: "--source", "configuration",
	// "export metadata" or "concept URLs".
	SourceFrom      string           `json:"source_from,omitempty"`
	Version         string           `json:"version"` // "HEAD" or "v2026-11-22"
	Input           string           `json:"input"`   // "api" or "export"
	ConceptsChecked int              `json:"concepts_checked"`
	MappingsChecked int              `json:"mappings_checked"`
	BySeverity      map[Severity]int `json:"by_severity"`
	ByRule          map[string]int   `json:"by_rule"`
	Overrides       []Override       `json:"overrides"`
	StartedAt       time.Time        `json:"started_at"`
	DurationSeconds float64          `json:"duration_seconds"`
	FindingsOmitted int              `json:"findings_omitted,omitempty"` // beyond the engine's cap
	RulesRun        []string         `json:"rules_run"`
	// Notes say what the reader should know about how the input was read.
	Notes []string `json:"notes,omitempty"`
}

// Report is the complete result of a QA run.
type Report struct {
	SchemaVersion int         `json:"schema_version"`
	Summary       Summary     `json:"summary"`
	Findings      []Finding   `json:"findings"`
	Comparison    *Comparison `json:"comparison,omitempty"`
}

// Comparison says what changed since a previous report.
type Comparison struct {
	PreviousVersion string    `json:"previous_version"`
	New             []Finding `json:"new"`
	Fixed           []Finding `json:"fixed"`
	UnchangedCount  int       `json:"unchanged_count"`
}

// Errors is the number of error findings; a release stops when it is not zero.
func (r *Report) Errors() int { return r.Summary.BySeverity[SeverityError] }

// Warnings is the number of warning findings.
func (r *Report) Warnings() int { return r.Summary.BySeverity[SeverityWarning] }
