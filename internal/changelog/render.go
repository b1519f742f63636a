package changelog

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/shepherd-release/shepherd/internal/words"
)

// JSON writes the changelog in its documented JSON form (SchemaID), indented, with a
// final newline. The same changelog gives the same bytes.
func (cl *Changelog) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(cl)
}

// Title is the changelog's heading.
func (cl *Changelog) Title() string {
	if cl.First {
		return fmt.Sprintf("%s/%s %s: first release", cl.Org, cl.Source, cl.To)
	}
	return fmt.Sprintf("%s/%s %s: changes since %s", cl.Org, cl.Source, cl.To, cl.From)
}

// Headline says in one sentence how big the change is.
func (cl *Changelog) Headline() string {
	if cl.First {
		return fmt.Sprintf("First release: %s.", words.Count(cl.Counts.After, "concept", "concepts"))
	}
	n := cl.Counts
	return fmt.Sprintf("%s (%s before): %s added, %s retired, %s un-retired, %s changed, %s removed; %s breaking for sites.",
		words.Count(n.After, "concept", "concepts"), words.Number(n.Before), words.Number(n.Added), words.Number(n.Retired),
		words.Number(n.Unretired), words.Number(n.Changed), words.Number(n.Removed), words.Number(n.Breaking))
}

// Markdown writes the whole changelog: breaking changes first, then every list.
func (cl *Changelog) Markdown(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n%s\n", md(cl.Title()), cl.Headline())
	if cl.First {
		_, err := w.Write(b.Bytes())
		return err
	}
	b.WriteString("\n## Breaking for sites\n\n")
	if len(cl.Breaking) == 0 {
		b.WriteString("Nothing: no concept was retired or removed, and no datatype, class or answer changed.\n")
	} else {
		b.WriteString("| Concept | Name | Change |\n| --- | --- | --- |\n")
		for _, it := range cl.Breaking {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", md(it.Concept), md(it.Name), md(it.Detail))
		}
	}
	refList(&b, "Added", cl.Added)
	refList(&b, "Retired", cl.Retired)
	refList(&b, "Un-retired", cl.Unretired)
	refList(&b, "Removed", cl.Removed)
	fmt.Fprintf(&b, "\n## Changed (%d)\n\n", len(cl.Changed))
	if len(cl.Changed) == 0 {
		b.WriteString("None.\n")
	}
	for _, ch := range cl.Changed {
		fmt.Fprintf(&b, "- **%s** %s: %s\n", md(ch.Concept), md(ch.Name), strings.Join(ch.Fields, ", "))
		for _, line := range ch.details() {
			fmt.Fprintf(&b, "  - %s\n", md(line))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func refList(b *bytes.Buffer, title string, refs []ConceptRef) {
	fmt.Fprintf(b, "\n## %s (%d)\n\n", title, len(refs))
	if len(refs) == 0 {
		b.WriteString("None.\n")
		return
	}
	for _, r := range refs {
		fmt.Fprintf(b, "- **%s** %s", md(r.Concept), md(r.Name))
		if r.Retired {
			b.WriteString(" (retired)")
		}
		b.WriteString("\n")
	}
}

// details are the lines that say what changed in each field, for people.
func (ch *ConceptChange) details() []string {
	var out []string
	if ch.Datatype != nil {
		out = append(out, fmt.Sprintf("datatype: %s → %s", ch.Datatype.From, ch.Datatype.To))
	}
	if ch.Class != nil {
		out = append(out, fmt.Sprintf("class: %s → %s", ch.Class.From, ch.Class.To))
	}
	if ch.Names != nil {
		for _, n := range ch.Names.Removed {
			out = append(out, "name removed: "+n.String())
		}
		for _, n := range ch.Names.Added {
			out = append(out, "name added: "+n.String())
		}
	}
	listLines := func(what string, d *ListChange[string]) {
		if d == nil {
			return
		}
		if len(d.Removed) > 0 {
			out = append(out, what+" removed: "+strings.Join(d.Removed, ", "))
		}
		if len(d.Added) > 0 {
			out = append(out, what+" added: "+strings.Join(d.Added, ", "))
		}
	}
	listLines("answers", ch.Answers)
	listLines("set members", ch.Members)
	if ch.Mappings != nil {
		for _, m := range ch.Mappings.Removed {
			out = append(out, "mapping removed: "+m.String())
		}
		for _, m := range ch.Mappings.Added {
			out = append(out, "mapping added: "+m.String())
		}
	}
	return out
}

// String shows a name as people read it: `en fully specified, preferred: "Malaria"`.
func (n Name) String() string {
	typ := strings.ToLower(strings.ReplaceAll(n.Type, "_", " "))
	if typ == "" {
		typ = "synonym"
	}
	s := n.Locale + " " + typ
	if n.Preferred {
		s += ", preferred"
	}
	if n.Retired {
		s += ", retired"
	}
	return fmt.Sprintf("%s: %q", s, n.Text)
}

// String shows a mapping as `SAME-AS SNOMED-CT:271737000`.
func (m Mapping) String() string { return m.MapType + " " + m.Source + ":" + m.Code }

// MarkdownText escapes text from the dictionary for Markdown, inside and outside tables:
// nothing in a concept's name can open a link, a tag or a new cell, or end the line.
func MarkdownText(s string) string { return md(s) }

func md(s string) string {
	return mdEscaper.Replace(strings.Join(strings.Fields(s), " "))
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"|", `\|`, "<", "&lt;", ">", "&gt;", "#", `\#`, "!", `\!`)

//go:embed changelog.html.tmpl
var templates embed.FS

var htmlPage = template.Must(template.New("changelog.html.tmpl").Funcs(template.FuncMap{
	"details": func(ch ConceptChange) []string { return ch.details() },
	"join":    strings.Join,
	"list":    func(v ...any) []any { return v },
}).ParseFS(templates, "changelog.html.tmpl"))

// HTML writes the changelog as one self-contained page (no scripts, styles inline, no
// outside resources), which opens from disk. Every value is escaped.
func (cl *Changelog) HTML(w io.Writer) error {
	return htmlPage.Execute(w, cl)
}

// SummaryLimit caps the breaking items a Summary keeps.
const SummaryLimit = 10

// Summary is the short form of a changelog for the GitHub Release notes and the tracking
// issue: the counts and the first breaking items.
type Summary struct {
	From      string `json:"from,omitempty"`
	First     bool   `json:"first_release,omitempty"`
	Concepts  int    `json:"concepts"`
	Added     int    `json:"added"`
	Retired   int    `json:"retired"`
	Unretired int    `json:"unretired"`
	Changed   int    `json:"changed"`
	Removed   int    `json:"removed"`
	Breaking  int    `json:"breaking"`
	// TopBreaking are the first SummaryLimit breaking items, one line each.
	TopBreaking []string `json:"top_breaking,omitempty"`
}

// Summarize shortens the changelog; each line is at most 160 bytes.
func (cl *Changelog) Summarize() *Summary {
	n := cl.Counts
	s := &Summary{From: cl.From, First: cl.First, Concepts: n.After, Added: n.Added, Retired: n.Retired,
		Unretired: n.Unretired, Changed: n.Changed, Removed: n.Removed, Breaking: n.Breaking}
	for _, it := range cl.Breaking[:min(len(cl.Breaking), SummaryLimit)] {
		s.TopBreaking = append(s.TopBreaking, capLine(fmt.Sprintf("%s %s: %s", it.Concept, it.Name, it.Detail), 160))
	}
	return s
}

// Validate refuses a summary Shepherd could not have written (it is read back from the
// tracking issue, which people can edit).
func (s *Summary) Validate() error {
	for _, v := range []int{s.Concepts, s.Added, s.Retired, s.Unretired, s.Changed, s.Removed, s.Breaking} {
		if v < 0 {
			return fmt.Errorf("a count of the changelog summary is negative (%d)", v)
		}
	}
	if len(s.TopBreaking) > SummaryLimit || len(s.TopBreaking) > s.Breaking {
		return fmt.Errorf("the changelog summary lists %d breaking items, more than it may (%d of %d)", len(s.TopBreaking), SummaryLimit, s.Breaking)
	}
	for _, l := range s.TopBreaking {
		if len(l) > 200 || strings.ContainsAny(l, "\n\r") {
			return fmt.Errorf("a breaking item of the changelog summary is not a line Shepherd writes: %.40q", l)
		}
	}
	return nil
}

// Markdown is the summary as a few lines of Markdown, dictionary text escaped.
func (s *Summary) Markdown() string {
	var b strings.Builder
	if s.First {
		fmt.Fprintf(&b, "**Changes:** first release, %s.\n", words.Count(s.Concepts, "concept", "concepts"))
		return b.String()
	}
	fmt.Fprintf(&b, "**Changes since %s:** %s added, %s retired, %s un-retired, %s changed, %s removed (%s); **%s breaking for sites**",
		md(s.From), words.Number(s.Added), words.Number(s.Retired), words.Number(s.Unretired), words.Number(s.Changed),
		words.Number(s.Removed), words.Count(s.Concepts, "concept", "concepts"), words.Number(s.Breaking))
	if s.Breaking == 0 {
		b.WriteString(".\n")
		return b.String()
	}
	b.WriteString(":\n\n")
	for _, l := range s.TopBreaking {
		fmt.Fprintf(&b, "- %s\n", md(l))
	}
	if more := s.Breaking - len(s.TopBreaking); more > 0 {
		fmt.Fprintf(&b, "- … and %s more (see the changelog)\n", words.Number(more))
	}
	return b.String()
}

func capLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
