package render

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/qa"
)

func renderHTML(t *testing.T, report *qa.Report, opts HTMLOptions) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, HTML(&buf, report, opts))
	return buf.String()
}

func TestHTMLShowsTheSummary(t *testing.T) {
	out := renderHTML(t, sampleReport(), HTMLOptions{RuleTitle: ruleTitles})

	for _, want := range []string{
		"<title>QA report: CIEL/CIEL v2026-11-22</title>",
		`<span class="result fail">2 errors, 1 warning, 1 info</span>`,
		"Source <b>CIEL/CIEL</b>, version <b>v2026-11-22</b> (export)",
		"<b>55,123</b> concepts and <b>301,456</b> mappings checked in <b>1 min 12 s</b>",
		"started 2026-11-22 09:30:00 UTC",
		`<div class="card error"><span class="n">2</span>error</div>`,
		`<td class="code">FR-01</td><td><span class="sev error">error</span></td><td class="num">2</td><td>at most one preferred name per locale</td>`,
		`<td class="code">EX-05</td><td>warning → info</td>`,
		`<td class="code">FR-23</td><td>disabled (default warning)</td>`,
		"<h2>Changes since v2026-10-01</h2>",
		"<summary>New findings (1)</summary>",
		"<summary>Fixed findings (1)</summary>",
		"no fully specified name",
		`title="/orgs/CIEL/sources/CIEL/concepts/1423/">1423</td>`,
	} {
		assert.Contains(t, out, want)
	}
}

func TestHTMLIsStandalone(t *testing.T) {
	out := renderHTML(t, sampleReport(), HTMLOptions{})
	assert.Contains(t, out, "default-src 'none'", "the page forbids loading anything")
	assert.NotRegexp(t, `(?i)<(link|img|iframe)\b`, out)
	assert.NotRegexp(t, `(?i)<script[^>]*\bsrc=`, out)
	assert.NotRegexp(t, `(?i)url\(`, out)
	assert.Equal(t, 1, strings.Count(out, "<script>"), "only the page's own script")
}

func TestHTMLEscapesValuesFromTheData(t *testing.T) {
	report := sampleReport()
	report.Summary.Source = `"><script>alert(2)</script>`
	report.Findings = append(report.Findings, qa.Finding{
		Rule: `R"><b>`, Severity: `x" onmouseover="alert(3)`, ConceptID: "</td></tr><tr>", Message: hostile,
	})
	out := renderHTML(t, report, HTMLOptions{})

	assert.Equal(t, 1, strings.Count(out, "<script>"), "no script from the data")
	assert.NotContains(t, out, "alert(1)</script>")
	assert.NotContains(t, out, `onmouseover="alert(3)"`)
	assert.NotContains(t, out, "<b>\"")
	assert.Contains(t, out, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.Contains(t, out, "&lt;/td&gt;&lt;/tr&gt;&lt;tr&gt;")
	assert.Equal(t, len(report.Findings), countFindingRows(out), "every finding is one row")
}

func TestHTMLFilterControls(t *testing.T) {
	out := renderHTML(t, sampleReport(), HTMLOptions{})

	assert.Contains(t, out, `<form id="filters" hidden>`, "controls only appear when the script runs")
	for _, sev := range []string{"error", "warning", "info"} {
		assert.Contains(t, out, `<input type="checkbox" name="severity" value="`+sev+`" checked>`)
	}
	for _, rule := range []string{"FR-01", "FR-19", "EX-05"} {
		assert.Contains(t, out, `<input type="checkbox" name="rule" value="`+rule+`" checked> `+rule)
		assert.Contains(t, out, `<tr data-severity=`)
		assert.Regexp(t, `<tr data-severity="\w+" data-rule="`+rule+`">`, out)
	}
	assert.Contains(t, out, `<input type="checkbox" name="rule" value="FR-01" checked> FR-01 (2)`)

	// Without the script every row is visible: no row is hidden in the markup.
	assert.NotRegexp(t, `<tr[^>]*hidden`, out)
	assert.Equal(t, 4, countFindingRows(out))
}

func TestHTMLFiltersOfferEveryRuleAndSeverityInTheFindings(t *testing.T) {
	report := bigReport(80, 10)
	report.Findings = append(report.Findings, qa.Finding{Rule: "ZZ-99", Severity: "fatal", Message: "not in the summary"})
	out := renderHTML(t, report, HTMLOptions{})

	rowRules := map[string]bool{}
	for _, m := range regexp.MustCompile(`<tr data-severity="([^"]*)" data-rule="([^"]*)">`).FindAllStringSubmatch(out, -1) {
		rowRules[m[2]] = true
		assert.Contains(t, out, `name="severity" value="`+m[1]+`"`, "severity %s has a checkbox", m[1])
	}
	require.Len(t, rowRules, 9)
	for rule := range rowRules {
		assert.Contains(t, out, `name="rule" value="`+rule+`"`, "rule %s has a checkbox", rule)
	}
}

func TestHTMLSaysWhatTheEngineDidNotRecord(t *testing.T) {
	report := sampleReport()
	report.Summary.FindingsOmitted = 1500
	assert.Contains(t, renderHTML(t, report, HTMLOptions{}), "1,500 findings beyond the engine's cap are counted but not recorded in this report.")
}

func TestHTMLWithoutFindings(t *testing.T) {
	out := renderHTML(t, &qa.Report{SchemaVersion: 1}, HTMLOptions{Title: "Nothing"})
	assert.Contains(t, out, "<h1>Nothing</h1>")
	assert.Contains(t, out, `<span class="result pass">no errors</span>`)
	assert.Contains(t, out, "None: every rule runs with its default severity.")
	assert.NotContains(t, out, `id="findings"`)
}

func TestHTMLStreamsLargeReports(t *testing.T) {
	report := bigReport(100_000, 200)
	counter := &countingWriter{}
	require.NoError(t, HTML(counter, report, HTMLOptions{}))

	assert.Greater(t, counter.bytes, 100_000*200, "every finding is written")
	assert.Greater(t, counter.writes, 100, "written in many pieces, not as one string")
	assert.LessOrEqual(t, counter.largest, 64<<10, "no write larger than the buffer")
}

func TestHTMLReportsWriteErrors(t *testing.T) {
	err := HTML(failingWriter{}, bigReport(1000, 100), HTMLOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "write HTML report")
}

func countFindingRows(out string) int {
	return strings.Count(out, "<tr data-severity=")
}

type countingWriter struct{ bytes, writes, largest int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.bytes += len(p)
	c.writes++
	c.largest = max(c.largest, len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)
