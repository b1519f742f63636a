package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/words"
)

func markdown(t *testing.T, report *qa.Report, opts MarkdownOptions) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Markdown(&buf, report, opts))
	return buf.String()
}

func TestMarkdownSummary(t *testing.T) {
	out := markdown(t, sampleReport(), MarkdownOptions{RuleTitle: ruleTitles})

	for _, want := range []string{
		"## QA report: CIEL/CIEL v2026-11-22\n",
		"**❌ 2 errors, 1 warning, 1 info**",
		"Source **CIEL/CIEL**, version **v2026-11-22** (export)",
		"55,123 concepts and 301,456 mappings checked in 1 min 12 s",
		"3 rules run",
		"started 2026-11-22 09:30:00 UTC",
		"| ❌ error | 2 |",
		"| ⚠️ warning | 1 |",
		"| ℹ️ info | 1 |",
		"| FR-01 | error | 2 | at most one preferred name per locale |",
		"| FR-19 | warning | 1 | the preferred name contains and/or |",
		"| EX-05 | info | 1 | a key outside the known vocabulary |",
		"| EX-05 | warning → info |",
		"| FR-23 | disabled (default warning) |",
		"### Changes since **v2026-10-01**",
		"**1 new**, 1 fixed, 3 unchanged.",
		"<details><summary><b>FR-01</b> · error · 2 findings · at most one preferred name per locale</summary>",
		"| 1423 |  | en | two preferred names in en: &quot;Fever&quot; and &quot;Pyrexia&quot; |",
		"| 77 |  |  | extras.colour: unknown extras key |",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "not listed here", "every finding is listed")

	// Summary first, then the comparison, then the findings, errors before warnings.
	order := []string{"| Severity | Findings |", "### Changes since", "### Findings by rule", "<b>FR-01</b>", "<b>FR-19</b>", "<b>EX-05</b>"}
	last := -1
	for _, marker := range order {
		at := strings.Index(out, marker)
		require.Greater(t, at, last, "%q comes after the previous section", marker)
		last = at
	}
}

func TestMarkdownCleanReport(t *testing.T) {
	out := markdown(t, &qa.Report{SchemaVersion: 1, Summary: qa.Summary{Source: "CIEL/CIEL", Version: "HEAD", ConceptsChecked: 10}}, MarkdownOptions{})
	assert.Contains(t, out, "**✅ no errors**")
	assert.Contains(t, out, "Overrides in force: none.")
	assert.NotContains(t, out, "<details>")
	assert.NotContains(t, out, "### Changes since")
}

func TestMarkdownEscapesValuesFromTheData(t *testing.T) {
	report := sampleReport()
	report.Summary.Source = "EVIL|<img src=x>"
	out := markdown(t, report, MarkdownOptions{})

	assert.NotContains(t, out, "<script>", "no raw HTML from the data")
	assert.NotContains(t, out, "<img", "no raw HTML from the data")
	assert.Contains(t, out, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.Contains(t, out, "\\`code\\`")
	assert.Contains(t, out, "\\*\\*bold\\*\\*")
	assert.Contains(t, out, "\\[link\\](http://evil)")
	assert.Contains(t, out, "@\u2060octocat", "no mention notifies anyone")
	assert.Contains(t, out, "EVIL\\|&lt;img")

	// Every row of the findings table still has exactly its five cell borders: an escaped
	// pipe does not count, and the newline did not start a new row.
	var hostileRow string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| 5089 |") {
			hostileRow = line
		}
	}
	require.NotEmpty(t, hostileRow, "the hostile finding is on one line")
	assert.Contains(t, hostileRow, "next line")
	assert.Equal(t, 5, strings.Count(hostileRow, "|")-strings.Count(hostileRow, "\\|"))
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"plain text 123", "plain text 123"},
		{"a|b", `a\|b`},
		{"<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"},
		{"&amp;", "&amp;amp;"},
		{"`x`", "\\`x\\`"},
		{"line\nbreak\r\nand\ttab", "line break  and tab"},
		{`back\slash`, `back\\slash`},
		{"_x_ ~y~", `\_x\_ \~y\~`},
		{"@team", "@\u2060team"},
		{"bell\x07", "bell"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, mdText(tt.in), "%q", tt.in)
	}
	long := strings.Repeat("é", 1000)
	assert.Equal(t, maxCellRunes, len([]rune(mdText(long))))
	assert.True(t, strings.HasSuffix(mdText(long), "…"))
}

func TestMarkdownListsTheFirstFindingsOfEachRule(t *testing.T) {
	report := bigReport(400, 40) // 50 findings per rule
	out := markdown(t, report, MarkdownOptions{FindingsPerRule: 5, FullReportURL: "https://example.org/qa/latest.html"})

	assert.Equal(t, 8, strings.Count(out, "<details>"), "one block per rule")
	assert.Equal(t, 8, strings.Count(out, "The first 5 of 50."))
	assert.Contains(t, out, "| 100000 |", "the first finding of the first rule")
	assert.NotContains(t, out, "| 100400 |")
	assert.True(t, strings.HasSuffix(out, "---\n360 findings are not listed here; all of them are in the [full report](https://example.org/qa/latest.html).\n"), out[len(out)-200:])
}

func TestMarkdownFitsTheLimit(t *testing.T) {
	report := bigReport(100_000, 2000)
	report.Comparison = &qa.Comparison{PreviousVersion: "v2026-10-01", New: report.Findings[:30_000], UnchangedCount: 70_000}

	for _, limit := range []int{DefaultMaxChars, 60_000, 20_000, 5_000} {
		t.Run(words.Number(limit), func(t *testing.T) {
			out := markdown(t, report, MarkdownOptions{MaxChars: limit, RuleTitle: ruleTitles, FullReportURL: "https://example.org/r.html"})

			assert.LessOrEqual(t, len(out), limit)
			assert.Contains(t, out, "**❌ 50,000 errors, 37,500 warnings, 12,500 info**")
			for id, n := range report.Summary.ByRule {
				assert.Regexp(t, `\| `+strings.ReplaceAll(id, "-", `-`)+` \| \w+ \| `+words.Number(n)+` \|`, out, "rule %s keeps its count", id)
			}
			assert.Contains(t, out, "**30,000 new**, 0 fixed, 70,000 unchanged.")
			assert.Regexp(t, `---\n[\d,]+ findings are not listed here; all of them are in the \[full report\]\(https://example.org/r.html\)\.\n$`, out)
		})
	}

	// The default limit leaves room for some findings of every rule.
	out := markdown(t, report, MarkdownOptions{})
	assert.Equal(t, 8, strings.Count(out, "<details>"))
	assert.Greater(t, len(out), DefaultMaxChars*9/10, "the room is used")
}

func TestMarkdownTinyLimitIsStillRespected(t *testing.T) {
	report := bigReport(100, 50)
	for _, limit := range []int{400, 100, 10} {
		out := markdown(t, report, MarkdownOptions{MaxChars: limit})
		assert.LessOrEqual(t, len(out), limit)
		assert.NotEmpty(t, out)
	}

	out := markdown(t, report, MarkdownOptions{MaxChars: 400})
	assert.True(t, strings.HasPrefix(out, "## QA report: CIEL/CIEL HEAD\n"), out)
	assert.Contains(t, out, "\n\n---\n100 findings are not listed here", "the note follows a blank line")
}

func TestMarkdownSaysWhatTheEngineDidNotRecord(t *testing.T) {
	report := sampleReport()
	report.Summary.FindingsOmitted = 1500
	out := markdown(t, report, MarkdownOptions{})
	assert.Contains(t, out, "1,500 findings beyond the engine's cap are counted above but not recorded in the report.")
}

func TestMarkdownListsTheFirstNewFindings(t *testing.T) {
	report := bigReport(100, 20)
	report.Comparison = qa.Compare(nil, report)
	out := markdown(t, report, MarkdownOptions{FindingsPerRule: 3})
	assert.Contains(t, out, "### Changes since the previous report")
	assert.Contains(t, out, "**100 new**, 0 fixed, 0 unchanged.")
	assert.Contains(t, out, "| FR-01 | error | 100000 |  | en |")
	assert.Contains(t, out, "The first 3 of 100 new findings.")
}

func TestMarkdownReportsWriteErrors(t *testing.T) {
	err := Markdown(failingWriter{}, sampleReport(), MarkdownOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "write Markdown report")
}
