package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/qa"
)

// hostile is a concept name written to break Markdown tables and inject HTML.
const hostile = "x | y <script>alert(1)</script> `code` **bold** [link](http://evil) @octocat\nnext line"

func ruleTitles(id string) string {
	return map[string]string{
		"FR-01": "at most one preferred name per locale",
		"FR-19": "the preferred name contains and/or",
		"EX-05": "a key outside the known vocabulary",
	}[id]
}

// sampleReport has two errors, one warning and one info finding, overrides and a comparison.
func sampleReport() *qa.Report {
	findings := []qa.Finding{
		{Rule: "FR-01", Severity: qa.SeverityError, ConceptID: "1423", ConceptURL: "/orgs/CIEL/sources/CIEL/concepts/1423/", Locale: "en", Message: "two preferred names in en: \"Fever\" and \"Pyrexia\""},
		{Rule: "FR-01", Severity: qa.SeverityError, ConceptID: "5089", Locale: "fr", Message: "preferred name " + hostile},
		{Rule: "FR-19", Severity: qa.SeverityWarning, ConceptID: "160", Locale: "en", Message: "preferred name \"Nausea and vomiting\" contains \" and \""},
		{Rule: "EX-05", Severity: qa.SeverityInfo, ConceptID: "77", Field: "extras.colour", Message: "unknown extras key"},
	}
	return &qa.Report{
		SchemaVersion: qa.SchemaVersion,
		Summary: qa.Summary{
			Source: "CIEL/CIEL", Version: "v2026-11-22", Input: "export",
			ConceptsChecked: 55123, MappingsChecked: 301456,
			BySeverity: map[qa.Severity]int{qa.SeverityError: 2, qa.SeverityWarning: 1, qa.SeverityInfo: 1},
			ByRule:     map[string]int{"FR-01": 2, "FR-19": 1, "EX-05": 1},
			Overrides: []qa.Override{
				{Rule: "EX-05", Severity: qa.SeverityInfo, Default: qa.SeverityWarning},
				{Rule: "FR-23", Disabled: true, Default: qa.SeverityWarning},
			},
			StartedAt:       time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC),
			DurationSeconds: 72.4,
			RulesRun:        []string{"FR-01", "FR-19", "EX-05"},
		},
		Findings: findings,
		Comparison: &qa.Comparison{
			PreviousVersion: "v2026-10-01",
			New:             []qa.Finding{findings[1]},
			Fixed:           []qa.Finding{{Rule: "FR-06", Severity: qa.SeverityError, ConceptID: "99", Message: "no fully specified name"}},
			UnchangedCount:  3,
		},
	}
}

func TestJSONRoundTrips(t *testing.T) {
	report := sampleReport()
	var buf bytes.Buffer
	require.NoError(t, JSON(&buf, report))

	back, err := qa.ReadReport(&buf)
	require.NoError(t, err)
	assert.Equal(t, report, back)
}

func TestJSONIsWhatEncodingJSONWrites(t *testing.T) {
	withoutComparison := sampleReport()
	withoutComparison.Comparison = nil
	for name, report := range map[string]*qa.Report{
		"full":               sampleReport(),
		"without comparison": withoutComparison,
		"empty":              {SchemaVersion: 1, Summary: qa.Summary{BySeverity: map[qa.Severity]int{}, ByRule: map[string]int{}, Overrides: []qa.Override{}, RulesRun: []string{}}, Findings: []qa.Finding{}},
	} {
		t.Run(name, func(t *testing.T) {
			var got bytes.Buffer
			require.NoError(t, JSON(&got, report))
			want, err := json.MarshalIndent(report, "", "  ")
			require.NoError(t, err)
			assert.Equal(t, string(want)+"\n", got.String())
		})
	}
}

func TestJSONNeverWritesNullLists(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, JSON(&buf, &qa.Report{SchemaVersion: 1, Comparison: &qa.Comparison{}}))
	out := buf.String()
	assert.NotContains(t, out, "null")
	for _, field := range []string{`"findings": []`, `"overrides": []`, `"rules_run": []`, `"by_rule": {}`, `"by_severity": {}`, `"new": []`, `"fixed": []`} {
		assert.Contains(t, out, field)
	}
}

func TestJSONReportsWriteErrors(t *testing.T) {
	report := bigReport(2000, 100)
	err := JSON(failingWriter{}, report)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "write JSON report")
}

func TestFormat(t *testing.T) {
	report := sampleReport()
	tests := []struct {
		name string
		want string
	}{
		{"json", `"schema_version": 1`},
		{"JSON", `"schema_version": 1`},
		{"md", "**❌ 2 errors, 1 warning, 1 info**"},
		{"markdown", "## My title"},
		{"html", "<!DOCTYPE html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			render, err := Format(tt.name, Options{Title: "My title"})
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, render(&buf, report))
			assert.Contains(t, buf.String(), tt.want)
		})
	}

	_, err := Format("pdf", Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown report format "pdf"`)
}

func TestResultLine(t *testing.T) {
	tests := []struct {
		name string
		sevs map[qa.Severity]int
		want string
	}{
		{"errors and warnings", map[qa.Severity]int{qa.SeverityError: 12, qa.SeverityWarning: 3}, "❌ 12 errors, 3 warnings"},
		{"one error", map[qa.Severity]int{qa.SeverityError: 1}, "❌ 1 error"},
		{"clean", nil, "✅ no errors"},
		{"warnings only", map[qa.Severity]int{qa.SeverityWarning: 1200, qa.SeverityInfo: 2}, "✅ no errors, 1,200 warnings, 2 info"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, resultLine(&qa.Report{Summary: qa.Summary{BySeverity: tt.sevs}}))
		})
	}
}

func TestRuleTitlesDefaultToTheCatalogue(t *testing.T) {
	rows := ruleRows(sampleReport(), nil)
	require.Len(t, rows, 3)
	for _, row := range rows {
		assert.NotEmpty(t, row.Title, "rule %s has its catalogue title", row.ID)
	}
	assert.Empty(t, catalogueTitle("ZZ-99"))

	custom := ruleRows(sampleReport(), func(id string) string { return "custom " + id })
	assert.Equal(t, "custom FR-01", custom[0].Title)
}

// bigReport has n findings spread over several rules of every severity, each message about
// msgLen bytes long.
func bigReport(n, msgLen int) *qa.Report {
	rules := []struct {
		id  string
		sev qa.Severity
	}{
		{"FR-01", qa.SeverityError}, {"FR-02", qa.SeverityError}, {"FR-09", qa.SeverityError},
		{"XR-01", qa.SeverityError}, {"FR-19", qa.SeverityWarning}, {"FR-24", qa.SeverityWarning},
		{"EX-03", qa.SeverityWarning}, {"EX-05", qa.SeverityInfo},
	}
	r := &qa.Report{
		SchemaVersion: qa.SchemaVersion,
		Summary: qa.Summary{
			Source: "CIEL/CIEL", Version: "HEAD", Input: "api",
			BySeverity: map[qa.Severity]int{}, ByRule: map[string]int{},
		},
		Findings: make([]qa.Finding, 0, n),
	}
	message := strings.Repeat("a long message | with <b>markup</b> & `ticks` ", msgLen/45+1)[:msgLen]
	for i := range n {
		rule := rules[i%len(rules)]
		r.Findings = append(r.Findings, qa.Finding{
			Rule: rule.id, Severity: rule.sev, ConceptID: fmt.Sprint(100000 + i), Locale: "en",
			Message: message,
		})
		r.Summary.BySeverity[rule.sev]++
		r.Summary.ByRule[rule.id]++
	}
	return r
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }
