package render

import (
	"fmt"
	"html"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/words"
)

// DefaultMaxChars is GitHub's limit on the body of a comment or issue.
const DefaultMaxChars = 65536

// DefaultFindingsPerRule is how many findings of each rule the Markdown lists when the limit
// leaves room for them.
const DefaultFindingsPerRule = 20

// maxCellRunes caps a single value in a table, so one enormous message cannot take the room
// of all the others.
const maxCellRunes = 300

// MarkdownOptions configure Markdown.
type MarkdownOptions struct {
	Title string // heading; by default "QA report: ORG/SOURCE VERSION"
	// MaxChars bounds the whole output, DefaultMaxChars when 0. It is measured in bytes, which
	// is never fewer than the characters GitHub counts. Leave headroom when the report goes
	// inside a longer text (e.g. 60000).
	MaxChars        int
	FullReportURL   string                 // named in the last line when findings are left out
	RuleTitle       func(id string) string // a rule's one-line description, "" when unknown; the catalogue's by default
	FindingsPerRule int                    // at most this many findings listed per rule, DefaultFindingsPerRule when 0
}

// Markdown writes a summary of the report for a GitHub comment: the result, counts by
// severity and by rule, the run's facts and overrides, the comparison with the previous
// report if any, then the first findings of each rule (errors first) in collapsed blocks.
// The output never exceeds MaxChars: when the findings do not fit, fewer are listed, and a
// last line says how many were left out and where the full report is.
func Markdown(w io.Writer, report *qa.Report, opts MarkdownOptions) error {
	if report == nil {
		report = &qa.Report{}
	}
	if opts.MaxChars <= 0 {
		opts.MaxChars = DefaultMaxChars
	}
	if opts.FindingsPerRule <= 0 {
		opts.FindingsPerRule = DefaultFindingsPerRule
	}
	doc := newMarkdownDoc(report, opts)
	if _, err := io.WriteString(w, doc.fit()); err != nil {
		return fmt.Errorf("write Markdown report: %w", err)
	}
	return nil
}

// markdownDoc holds what every attempt at fitting the limit needs, computed once.
type markdownDoc struct {
	report    *qa.Report
	opts      MarkdownOptions
	rules     []ruleRow
	firstOf   map[string][]qa.Finding // the first findings of each rule, at most FindingsPerRule
	total     int                     // findings counted, listed or not
	newSorted []qa.Finding
}

func newMarkdownDoc(r *qa.Report, opts MarkdownOptions) *markdownDoc {
	d := &markdownDoc{report: r, opts: opts, rules: ruleRows(r, opts.RuleTitle), firstOf: map[string][]qa.Finding{}}
	for _, f := range r.Findings {
		if len(d.firstOf[f.Rule]) < opts.FindingsPerRule {
			d.firstOf[f.Rule] = append(d.firstOf[f.Rule], f)
		}
	}
	for _, row := range d.rules {
		d.total += row.Count
	}
	return d
}

// fit renders with as many findings per rule as the limit allows. The length grows with the
// number listed, so a binary search finds the largest that fits. If even the summary alone
// is too long (a tiny limit), it is cut at a line end.
func (d *markdownDoc) fit() string {
	limit := d.opts.MaxChars
	best := d.render(0)
	if len(best) > limit {
		return cutToLimit(best, d.leftOutLine(0), limit)
	}
	lo, hi := 1, d.opts.FindingsPerRule
	for lo <= hi {
		mid := (lo + hi) / 2
		if out := d.render(mid); len(out) <= limit {
			best, lo = out, mid+1
		} else {
			hi = mid - 1
		}
	}
	return best
}

// render writes the whole document listing at most perRule findings of each rule (and as
// many new findings in the comparison); 0 lists none.
func (d *markdownDoc) render(perRule int) string {
	var b strings.Builder
	d.writeSummary(&b)
	d.writeComparison(&b, perRule)
	listed := d.writeFindings(&b, perRule)
	if line := d.leftOutLine(listed); line != "" {
		b.WriteString(line)
	}
	return b.String()
}

func (d *markdownDoc) writeSummary(b *strings.Builder) {
	r, s := d.report, d.report.Summary
	title := d.opts.Title
	if title == "" {
		title = defaultTitle(r)
	}
	fmt.Fprintf(b, "## %s\n\n**%s**\n\n", mdText(title), resultLine(r))

	var facts []string
	if s.Source != "" || s.Version != "" {
		fact := "Source " + mdStrong(s.Source) + ", version " + mdStrong(s.Version)
		switch {
		case s.Input != "" && s.SourceFrom != "":
			fact += " (" + mdText(s.Input) + ", source from " + mdText(s.SourceFrom) + ")"
		case s.Input != "":
			fact += " (" + mdText(s.Input) + ")"
		}
		facts = append(facts, fact)
	}
	facts = append(facts, fmt.Sprintf("%s and %s checked in %s",
		words.Count(s.ConceptsChecked, "concept", "concepts"), words.Count(s.MappingsChecked, "mapping", "mappings"), words.Seconds(s.DurationSeconds)))
	if len(s.RulesRun) > 0 {
		facts = append(facts, words.Count(len(s.RulesRun), "rule", "rules")+" run")
	}
	if t := formatTime(s.StartedAt); t != "" {
		facts = append(facts, "started "+t)
	}
	b.WriteString(strings.Join(facts, " · ") + "\n\n")

	b.WriteString("| Severity | Findings |\n| --- | ---: |\n")
	for _, sev := range severities {
		fmt.Fprintf(b, "| %s %s | %s |\n", severityIcon(sev), sev, words.Number(s.BySeverity[sev]))
	}
	b.WriteString("\n")

	if len(d.rules) > 0 {
		b.WriteString("| Rule | Severity | Findings | Check |\n| --- | --- | ---: | --- |\n")
		for _, row := range d.rules {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdText(row.ID), mdText(string(row.Severity)), words.Number(row.Count), mdText(row.Title))
		}
		b.WriteString("\n")
	}
	if s.FindingsOmitted > 0 {
		fmt.Fprintf(b, "%s beyond the engine's cap are counted above but not recorded in the report.\n\n",
			words.Count(s.FindingsOmitted, "finding", "findings"))
	}
	for _, note := range s.Notes {
		fmt.Fprintf(b, "Note: %s.\n\n", mdText(note))
	}

	if len(s.Overrides) == 0 {
		b.WriteString("Overrides in force: none.\n\n")
		return
	}
	b.WriteString("**Overrides in force**\n\n| Rule | Change |\n| --- | --- |\n")
	for _, o := range s.Overrides {
		fmt.Fprintf(b, "| %s | %s |\n", mdText(o.Rule), mdText(overrideText(o)))
	}
	b.WriteString("\n")
}

func (d *markdownDoc) writeComparison(b *strings.Builder, perRule int) {
	c := d.report.Comparison
	if c == nil {
		return
	}
	since := "the previous report"
	if c.PreviousVersion != "" {
		since = mdStrong(c.PreviousVersion)
	}
	fmt.Fprintf(b, "### Changes since %s\n\n**%s new**, %s fixed, %s unchanged.\n\n",
		since, words.Number(len(c.New)), words.Number(len(c.Fixed)), words.Number(c.UnchangedCount))
	shown := min(perRule, len(c.New))
	if shown == 0 {
		return
	}
	b.WriteString("| Rule | Severity | Concept | Mapping | Locale | Message |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, f := range c.New[:shown] {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", mdText(f.Rule), mdText(string(f.Severity)),
			mdText(f.ConceptID), mdText(f.MappingID), mdText(f.Locale), mdText(messageWithField(f)))
	}
	if shown < len(c.New) {
		fmt.Fprintf(b, "\nThe first %s of %s new findings.\n", words.Number(shown), words.Number(len(c.New)))
	}
	b.WriteString("\n")
}

// writeFindings lists the first findings of each rule in a collapsed block and returns how
// many it listed.
func (d *markdownDoc) writeFindings(b *strings.Builder, perRule int) (listed int) {
	if perRule == 0 || len(d.rules) == 0 {
		return 0
	}
	b.WriteString("### Findings by rule\n\n")
	for _, row := range d.rules {
		first := d.firstOf[row.ID]
		shown := min(perRule, len(first))
		summary := fmt.Sprintf("<b>%s</b> · %s · %s", html.EscapeString(row.ID),
			html.EscapeString(string(row.Severity)), words.Count(row.Count, "finding", "findings"))
		if row.Title != "" {
			summary += " · " + html.EscapeString(oneLine(row.Title, maxCellRunes))
		}
		fmt.Fprintf(b, "<details><summary>%s</summary>\n\n", summary)
		if shown > 0 {
			b.WriteString("| Concept | Mapping | Locale | Message |\n| --- | --- | --- | --- |\n")
			for _, f := range first[:shown] {
				fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdText(f.ConceptID), mdText(f.MappingID), mdText(f.Locale), mdText(messageWithField(f)))
			}
			b.WriteString("\n")
		}
		if shown < row.Count {
			fmt.Fprintf(b, "The first %s of %s.\n\n", words.Number(shown), words.Number(row.Count))
		}
		b.WriteString("</details>\n\n")
		listed += shown
	}
	return listed
}

// leftOutLine says how many findings are not listed and where they all are; "" when every
// finding is listed.
func (d *markdownDoc) leftOutLine(listed int) string {
	left := d.total - listed
	if left <= 0 {
		return ""
	}
	where := "in the full report (JSON or HTML)"
	if d.opts.FullReportURL != "" {
		where = "in the [full report](" + mdURL(d.opts.FullReportURL) + ")"
	}
	return fmt.Sprintf("---\n%s not listed here; all of them are %s.\n", words.Count(left, "finding is", "findings are"), where)
}

// cutToLimit keeps whole lines of out, then the note after a blank line, within limit bytes:
// the last resort when even the summary is longer than the limit.
func cutToLimit(out, note string, limit int) string {
	if note == "" {
		note = "---\nThis summary was cut to fit.\n"
	}
	note = "\n" + note // a blank line, so the note's rule cannot join a table or a heading
	if len(note) > limit {
		return truncateBytes(note, limit)
	}
	head := truncateBytes(out, limit-len(note))
	if i := strings.LastIndexByte(head, '\n'); i >= 0 {
		head = head[:i+1]
	} else {
		head = ""
	}
	return head + note
}

// truncateBytes cuts s to at most n bytes without splitting a character.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func messageWithField(f qa.Finding) string {
	if f.Field == "" {
		return f.Message
	}
	return f.Field + ": " + f.Message
}

func severityIcon(s qa.Severity) string {
	switch s {
	case qa.SeverityError:
		return "❌"
	case qa.SeverityWarning:
		return "⚠️"
	case qa.SeverityInfo:
		return "ℹ️"
	}
	return ""
}

// mdEscaper neutralises what Markdown or HTML would interpret in a value from the data: raw
// HTML and entities, emphasis, code spans, links, strikethrough, table cells, and @mentions
// (a word joiner after @ keeps GitHub from notifying anyone).
var mdEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"~", `\~`, "|", `\|`, "#", `\#`, "!", `\!`,
	"@", "@\u2060",
)

// mdText escapes a value for Markdown text on one line, a table cell included.
func mdText(s string) string { return mdEscaper.Replace(oneLine(s, maxCellRunes)) }

// mdStrong shows a value in bold, "(none)" when empty.
func mdStrong(s string) string {
	if s == "" {
		return "(none)"
	}
	return "**" + mdText(s) + "**"
}

// mdURL keeps a link target from closing the link or the table it is in.
func mdURL(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "|", "%7C", "\n", "", "\r", "").Replace(u)
}

// oneLine turns line breaks and tabs into spaces and caps the length, so that a value can
// never end a table row or a paragraph.
func oneLine(s string, maxRunes int) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', '\t', '\v', '\f', '\u0085', '\u2028', '\u2029':
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	runes := []rune(s)
	return string(runes[:maxRunes-1]) + "…"
}
