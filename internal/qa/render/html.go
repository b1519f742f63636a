package render

import (
	"bufio"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"

	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/words"
)

// HTMLOptions configure HTML.
type HTMLOptions struct {
	Title     string                 // heading and page title; by default "QA report: ORG/SOURCE VERSION"
	RuleTitle func(id string) string // a rule's one-line description, "" when unknown; the catalogue's by default
}

//go:embed report.html.tmpl
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":      words.Number,
	"rank":     func(s qa.Severity) int { return s.Rank() },
	"sevClass": severityClass,
	"override": overrideText,
}).Parse(htmlTemplateText))

// htmlPage is what the template shows.
type htmlPage struct {
	Title            string
	Result           string
	Failed           bool
	Summary          qa.Summary
	Duration         string
	Started          string
	Severities       []severityCount // from the summary
	Rules            []ruleRow
	FilterSeverities []severityCount // as found in the findings, for the filter
	FilterRules      []ruleRow       // as found in the findings, for the filter
	Findings         []qa.Finding
	Comparison       *qa.Comparison
}

type severityCount struct {
	Severity qa.Severity
	Count    int
}

// HTML writes the full report as one standalone page: inline style and script, no external
// resource (its Content-Security-Policy forbids them). The findings table can be filtered by
// severity and rule and sorted by any column; without JavaScript every row is shown and the
// filter controls stay hidden. Every value from the report is escaped by html/template, and
// the rows are written as they are produced, never gathered into one string.
func HTML(w io.Writer, report *qa.Report, opts HTMLOptions) error {
	if report == nil {
		report = &qa.Report{}
	}
	page := htmlPage{
		Title:      opts.Title,
		Result:     resultText(report), // the colour tells pass or fail; emoji fonts are not everywhere
		Failed:     report.Errors() > 0,
		Summary:    report.Summary,
		Duration:   words.Seconds(report.Summary.DurationSeconds),
		Started:    formatTime(report.Summary.StartedAt),
		Rules:      ruleRows(report, opts.RuleTitle),
		Findings:   report.Findings,
		Comparison: report.Comparison,
	}
	if page.Title == "" {
		page.Title = defaultTitle(report)
	}
	for _, sev := range severities {
		page.Severities = append(page.Severities, severityCount{sev, report.Summary.BySeverity[sev]})
	}
	page.FilterSeverities, page.FilterRules = filterChoices(report.Findings)

	bw := bufio.NewWriterSize(w, 64<<10)
	if err := htmlTemplate.Execute(bw, page); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

// filterChoices lists the severities and rules present in the findings with their counts,
// in report order (most severe first), so that every row has a checkbox that shows it.
func filterChoices(findings []qa.Finding) ([]severityCount, []ruleRow) {
	bySeverity := map[qa.Severity]int{}
	byRule := map[string]*ruleRow{}
	for _, f := range findings {
		bySeverity[f.Severity]++
		row := byRule[f.Rule]
		if row == nil {
			row = &ruleRow{ID: f.Rule, Severity: f.Severity}
			byRule[f.Rule] = row
		}
		row.Count++
	}

	sevs := make([]severityCount, 0, len(bySeverity))
	for sev, n := range bySeverity {
		sevs = append(sevs, severityCount{sev, n})
	}
	slices.SortFunc(sevs, func(a, b severityCount) int {
		return cmp.Or(cmp.Compare(a.Severity.Rank(), b.Severity.Rank()), cmp.Compare(a.Severity, b.Severity))
	})

	rules := make([]ruleRow, 0, len(byRule))
	for _, row := range byRule {
		rules = append(rules, *row)
	}
	slices.SortFunc(rules, func(a, b ruleRow) int {
		return cmp.Or(cmp.Compare(a.Severity.Rank(), b.Severity.Rank()), cmp.Compare(a.ID, b.ID))
	})
	return sevs, rules
}

// severityClass maps a severity to a CSS class, whatever the report says.
func severityClass(s qa.Severity) string {
	switch s {
	case qa.SeverityError, qa.SeverityWarning, qa.SeverityInfo:
		return string(s)
	}
	return "other"
}
