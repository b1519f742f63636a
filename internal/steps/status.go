package steps

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/words"
)

// phaseNotes say in a few words what a phase means for the people watching.
var phaseNotes = map[release.Phase]string{
	release.Configuration: "the manifest is being checked",
	release.QA:            "QA bulk validation of the source's HEAD is running",
	release.Deploy:        "QA passed; the version is being created on OCL",
	release.Exporting:     "the version exists on OCL; waiting for OCL to build its export",
	release.ExportQA:      "the export is ready and being checked",
	release.Scripts:       "the export passed QA; the OpenMRS files are being built",
	release.Publishing:    "the files are being uploaded",
	release.Done:          "the release is published: the downloads are below",
	release.Failed:        "the release stopped: fix the cause below, then retry it",
	release.Incomplete:    "OCL did not produce the export in time: retry once OCL has built it",
}

// RetryHow is the one way to carry a failed or incomplete release on, as every status,
// comment and doc tells it: running the release workflow without the retry box ticked
// leaves such a release as it is.
func RetryHow(version string) string {
	return fmt.Sprintf("Actions → release → Run workflow, with version `%s` and **retry** ticked (or `shepherd retry --version %s`)", version, version)
}

var phaseIcons = map[release.Phase]string{
	release.Done: "✅", release.Failed: "❌", release.Incomplete: "⚠️",
}

const timeLayout = "2006-01-02 15:04 UTC"

// RenderStatus is the visible part of the bot's section on the tracking issue.
func RenderStatus(rec *Record, cfg *manifest.Config, now time.Time) string {
	return renderStatus(rec, cfg, now, false)
}

// compactTimeline is how many of the latest timeline lines a compact status keeps.
const compactTimeline = 5

// renderStatus renders the status; compact is the shorter form written when the full one
// would take the issue past GitHub's 65,536 characters (people wrote a lot outside the
// section): only the latest timeline lines, reasons cut short.
func renderStatus(rec *Record, cfg *manifest.Config, now time.Time, compact bool) string {
	st := &rec.Release
	var b strings.Builder
	icon := phaseIcons[st.Phase]
	if icon == "" {
		icon = "⏳"
	}
	if rec.Withdrawn != nil {
		icon = "⛔"
	}
	fmt.Fprintf(&b, "## %s Release %s: %s\n\n", icon, st.Version, st.Phase)
	if w := rec.Withdrawn; w != nil {
		fmt.Fprintf(&b, "> **Withdrawn** on %s: %s. Do not load it.\n\n", w.At.UTC().Format(timeLayout), escapeCell(oneLine(w.Reason)))
	}
	note := phaseNotes[st.Phase]
	if st.Phase == release.Deploy && cfg.GitHub.Environment != "" {
		note = fmt.Sprintf("QA passed; version creation waits for a reviewer of the %q environment to approve the release workflow", cfg.GitHub.Environment)
	}
	if st.Phase == release.Failed || st.Phase == release.Incomplete {
		fmt.Fprintf(&b, "%s: %s.\n\n", capitalise(note), RetryHow(st.Version))
		fmt.Fprintf(&b, "> **Why:** %s\n\n", oneLine(st.Last().Reason))
	} else {
		fmt.Fprintf(&b, "%s.\n\n", capitalise(note))
	}
	b.WriteString(noticeLines(rec, cfg, now))
	if compact {
		// The tables would not fit beside what people wrote: the phase, and where the rest is.
		fmt.Fprintf(&b, "Phase **%s** since %s. The full status does not fit beside the text of this issue: "+
			"`shepherd status --version %s` prints it; the downloads are on the GitHub Release and in the comment that announced them.\n",
			st.Phase, st.Last().At.UTC().Format(timeLayout), st.Version)
		renderTimeline(&b, st, true)
		b.WriteString(statusFooter)
		return b.String()
	}
	b.WriteString("| | |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| Source | %s/%s, version `%s` |\n", rec.Org, rec.Source, st.Version)
	fmt.Fprintf(&b, "| Phase | **%s** since %s |\n", st.Phase, st.Last().At.UTC().Format(timeLayout))
	b.WriteString(channelRows(rec, cfg, now))
	b.WriteString(TroubleLine(rec))
	if rec.HeadQA != nil {
		fmt.Fprintf(&b, "| QA on HEAD | %s |\n", qaCell(rec.HeadQA))
	}
	if st.Attempts > 0 || st.Phase == release.Exporting {
		fmt.Fprintf(&b, "| Export polls | %s |\n", pollCell(st, cfg, now))
	}
	b.WriteString(oclRows(rec, st.Phase == release.Failed))
	if rec.Export != nil && rec.Export.SHA256 != "" {
		fmt.Fprintf(&b, "| Export | %s, sha256 `%s`; OCL answered %s |\n", size(rec.Export.Size), short(rec.Export.SHA256), rec.Export.Status)
	}
	if rec.ExportQA != nil {
		fmt.Fprintf(&b, "| QA of the export | %s |\n", qaCell(rec.ExportQA))
	}
	if rec.Changes != nil {
		fmt.Fprintf(&b, "| Changes | %s |\n", changesCell(rec.Changes))
	}
	for _, l := range rec.LoadTests {
		if l.Skipped != "" {
			fmt.Fprintf(&b, "| Load test %s | skipped: %s |\n", escapeCell(l.File), escapeCell(l.Skipped))
			continue
		}
		fmt.Fprintf(&b, "| Load test %s | ✅ %s loaded, foreign keys and counts checked in %s |\n", escapeCell(l.File), words.Count(int(l.Rows), "row", "rows"), words.Seconds(l.Seconds))
	}
	for _, s := range rec.Scripts {
		log := ""
		if s.LogURL != "" {
			log = fmt.Sprintf(" · [log](%s)", s.LogURL)
		}
		fmt.Fprintf(&b, "| Script %s | exit %d in %s%s |\n", escapeCell(s.Name), s.ExitCode, words.Seconds(s.Seconds), log)
	}
	if rec.ReleaseURL != "" {
		fmt.Fprintf(&b, "| GitHub Release | [%s](%s) |\n", rec.Tag, rec.ReleaseURL)
	}
	if rec.Bundle != nil {
		fmt.Fprintf(&b, "| Offline bundle | `%s`, %s, sha256 `%s` |\n", escapeCell(rec.Bundle.Name), size(rec.Bundle.Size), short(rec.Bundle.SHA256))
	}
	switch s := rec.Signature; {
	case s == nil:
	case s.Unsigned != "":
		fmt.Fprintf(&b, "| Signature | ⚠️ not signed: %s |\n", escapeCell(s.Unsigned))
	default:
		fmt.Fprintf(&b, "| Signature | ✅ `SHA256SUMS` signed by %s (`%s`) |\n", escapeCell(s.Principal), s.Fingerprint)
	}
	if len(rec.Downloads) > 0 {
		b.WriteString("\n### Downloads\n\n")
		if !rec.RemovedAt.IsZero() {
			fmt.Fprintf(&b, "The files were removed on %s, at the end of the retention period.\n\n", rec.RemovedAt.UTC().Format(timeLayout))
		}
		b.WriteString("| File | Size | SHA-256 | Link valid until | Deleted on |\n| --- | --- | --- | --- | --- |\n")
		for _, d := range rec.Downloads {
			name := escapeCell(d.File)
			if rec.RemovedAt.IsZero() && d.URL != "" {
				name = fmt.Sprintf("[%s](%s)", name, d.URL)
			}
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s |\n", name, size(d.Size), short(d.SHA256), when(d.ValidUntil), d.DeleteAt.UTC().Format("2006-01-02"))
		}
	}
	renderMoves(&b, st)
	renderTimeline(&b, st, false)
	b.WriteString(statusFooter)
	return b.String()
}

// noticeLines are the warnings above the status tables: the maintenance switch. A lease
// gone stale is not among them: only the lease's holder may write the status, so the poll
// warns of it in a comment (poll.go reportStaleLease).
func noticeLines(rec *Record, cfg *manifest.Config, now time.Time) string {
	var b strings.Builder
	if rec.Paused != nil {
		fmt.Fprintf(&b, "> ⏸️ **%s.** Scheduled runs resume on their first tick after `%s` is deleted.\n\n",
			capitalise(escapeCell(rec.Paused.Line(now))), MaintenanceFile)
	}
	return b.String()
}

const statusFooter = "\n</details>\n\n<sub>Kept up to date by Shepherd; edit outside this section freely.</sub>"

// renderTimeline writes the timeline fold; compact keeps only its latest lines.
func renderTimeline(b *strings.Builder, st *release.State, compact bool) {
	b.WriteString("\n<details><summary>Timeline</summary>\n\n")
	lines := st.Transitions
	if compact && len(lines) > compactTimeline {
		fmt.Fprintf(b, "The %d earlier changes are left out to keep the issue within GitHub's size limit; `shepherd status --version %s --json` prints them.\n\n",
			len(lines)-compactTimeline, st.Version)
		lines = lines[len(lines)-compactTimeline:]
	}
	b.WriteString("| Time | From | To | Reason |\n| --- | --- | --- | --- |\n")
	for _, t := range lines {
		from := string(t.From)
		if from == "" {
			from = "·"
		}
		reason := oneLine(t.Reason)
		if compact {
			reason = capText(reason, 200)
		}
		cell := escapeCell(reason)
		if t.Run != "" {
			cell += fmt.Sprintf(" · [run and decision log](%s)", t.Run)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", t.At.UTC().Format(timeLayout), from, t.To, cell)
	}
}

func qaCell(q *QAResult) string {
	icon := "✅"
	if q.Errors > 0 {
		icon = "❌"
	}
	s := fmt.Sprintf("%s %s · %s, %s", icon, render.Verdict(q.Errors, q.Warnings, q.Infos),
		words.Count(q.Concepts, "concept", "concepts"), words.Count(q.Mappings, "mapping", "mappings"))
	if q.ReportURL != "" {
		s += fmt.Sprintf(" · [full report](%s)", q.ReportURL)
	}
	return s
}

func pollCell(st *release.State, cfg *manifest.Config, now time.Time) string {
	s := fmt.Sprintf("%d of %d", st.Attempts, cfg.Poll.MaxAttempts)
	if !st.FirstPoll.IsZero() {
		s += fmt.Sprintf(" over %s (first %s, last %s)", words.Duration(st.Waited()), st.FirstPoll.UTC().Format(timeLayout), st.LastPoll.UTC().Format(timeLayout))
	}
	if st.Phase == release.Exporting {
		next := now.Add(cfg.Poll.Interval)
		if !st.LastPoll.IsZero() {
			next = st.LastPoll.Add(cfg.Poll.Interval)
		}
		s += fmt.Sprintf("; next poll around %s", next.UTC().Format(timeLayout))
	}
	return s
}

func when(t time.Time) string {
	if t.IsZero() {
		return "no expiry (public)"
	}
	return t.UTC().Format(timeLayout)
}

func size(n int64) string { return words.Size(n) }

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// escapeCell keeps text from the outside (script names, reasons quoting OCL) from
// breaking a table or injecting HTML.
func escapeCell(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ").Replace(s)
}

// capText cuts s to at most n bytes on a character boundary, marking the cut.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
