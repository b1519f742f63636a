// Package render writes a QA report as JSON (complete, machine-readable), Markdown (a summary
// that fits in a GitHub comment) or HTML (the full report, one standalone file).
package render

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/words"
)

// Renderer writes one report in one format.
type Renderer func(w io.Writer, report *qa.Report) error

// Options configure every format; each one uses the fields that apply to it.
type Options struct {
	Title         string                 // heading of the report; a default names the source and version
	RuleTitle     func(id string) string // a rule's one-line description, "" when unknown; the catalogue's by default
	FullReportURL string                 // Markdown: where the complete report is
	MaxChars      int                    // Markdown: size limit, DefaultMaxChars when 0
}

// Format returns the renderer for a --format value: json, md (or markdown) or html.
func Format(name string, opts Options) (Renderer, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "json":
		return JSON, nil
	case "md", "markdown":
		mdOpts := MarkdownOptions{Title: opts.Title, RuleTitle: opts.RuleTitle, FullReportURL: opts.FullReportURL, MaxChars: opts.MaxChars}
		return func(w io.Writer, r *qa.Report) error { return Markdown(w, r, mdOpts) }, nil
	case "html":
		htmlOpts := HTMLOptions{Title: opts.Title, RuleTitle: opts.RuleTitle}
		return func(w io.Writer, r *qa.Report) error { return HTML(w, r, htmlOpts) }, nil
	}
	return nil, fmt.Errorf("unknown report format %q (want json, md or html)", name)
}

// severities lists the known severities, most severe first.
var severities = []qa.Severity{qa.SeverityError, qa.SeverityWarning, qa.SeverityInfo}

// ruleRow is one line of the per-rule summary.
type ruleRow struct {
	ID       string
	Severity qa.Severity // "" when no finding or override tells
	Count    int
	Title    string
}

// catalogueTitles maps each rule of the built-in catalogue to its title.
var catalogueTitles = sync.OnceValue(func() map[string]string {
	titles := map[string]string{}
	for _, info := range qa.Rules() {
		titles[info.ID] = info.Title
	}
	return titles
})

// catalogueTitle is the default RuleTitle: the catalogue's title, "" for an unknown rule.
func catalogueTitle(id string) string { return catalogueTitles()[id] }

// ruleRows lists the rules that found something, most severe first, then by id. Counts come
// from the summary (which also counts findings beyond the engine's cap) and fall back to the
// findings themselves; a rule's severity is that of its findings, or else of its override.
func ruleRows(r *qa.Report, ruleTitle func(string) string) []ruleRow {
	if ruleTitle == nil {
		ruleTitle = catalogueTitle
	}
	severity := map[string]qa.Severity{}
	counted := map[string]int{}
	for _, o := range r.Summary.Overrides {
		severity[o.Rule] = cmp.Or(o.Severity, o.Default)
	}
	for _, f := range r.Findings {
		severity[f.Rule] = f.Severity
		counted[f.Rule]++
	}
	counts := counted
	if len(r.Summary.ByRule) > 0 {
		counts = r.Summary.ByRule
	}

	var rows []ruleRow
	for id, n := range counts {
		if n <= 0 {
			continue
		}
		rows = append(rows, ruleRow{ID: id, Severity: severity[id], Count: n, Title: ruleTitle(id)})
	}
	slices.SortFunc(rows, func(a, b ruleRow) int {
		return cmp.Or(cmp.Compare(a.Severity.Rank(), b.Severity.Rank()), cmp.Compare(a.ID, b.ID))
	})
	return rows
}

// resultLine is the one-line verdict: "❌ 12 errors, 3 warnings" or "✅ no errors".
func resultLine(r *qa.Report) string {
	if r.Errors() > 0 {
		return "❌ " + resultText(r)
	}
	return "✅ " + resultText(r)
}

// resultText is the verdict without its icon: "12 errors, 3 warnings" or "no errors".
func resultText(r *qa.Report) string {
	return Verdict(r.Errors(), r.Warnings(), r.Summary.BySeverity[qa.SeverityInfo])
}

// Verdict says what QA found in the words every report, status and comment uses:
// "no errors", "no errors, 1 warning", "12 errors, 3 warnings, 1 info".
func Verdict(errors, warnings, infos int) string {
	parts := []string{"no errors"}
	if errors > 0 {
		parts[0] = words.Count(errors, "error", "errors")
	}
	if warnings > 0 {
		parts = append(parts, words.Count(warnings, "warning", "warnings"))
	}
	if infos > 0 {
		parts = append(parts, words.Count(infos, "info", "info"))
	}
	return strings.Join(parts, ", ")
}

func defaultTitle(r *qa.Report) string {
	return strings.TrimSpace("QA report: " + r.Summary.Source + " " + r.Summary.Version)
}

// overrideText says what an override changed: "warning → error" or "disabled (was info)".
func overrideText(o qa.Override) string {
	if o.Disabled {
		return "disabled (default " + string(o.Default) + ")"
	}
	return string(o.Default) + " → " + string(cmp.Or(o.Severity, o.Default))
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
