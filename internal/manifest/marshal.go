package manifest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Marshal writes a manifest as a commented YAML file for people to read and edit.
// Optional fields left unset appear as commented-out examples. The manifest must be
// valid on its own (Validate(nil)); ParseManifest reads the result back unchanged.
func Marshal(m *Manifest) ([]byte, error) {
	if err := m.Validate(nil); err != nil {
		return nil, err
	}
	var w manifestWriter
	w.comment("Release manifest: merging the pull request that adds this file starts the release.",
		"Every field is described in docs/manifest.md.")
	w.blank()
	w.comment(`The version to create on OCL: "v" and the release date, also the file's name.`)
	w.line("version: " + scalar(m.Version))
	w.blank()
	w.comment(`A one-line title (default: the source and the version, like "CIEL v2026-11-22").`)
	if m.Description != "" {
		w.line("description: " + scalar(m.Description))
	} else {
		w.line("# description: CIEL v2026-11-22")
	}
	w.blank()
	w.comment("Whether the OCL version is marked released.")
	w.line("released: " + strconv.FormatBool(m.Released))
	w.blank()
	w.comment("A major release: for freeze.days after it is published, only pull requests with an",
		"allowed label (bug, docs, hotfix, security by default) may merge.")
	if m.Major {
		w.line("major: true")
	} else {
		w.line("# major: true")
	}
	w.blank()
	w.writeSource(m.Source)
	w.writeExports(m.Exports)
	w.writeQA(m.QA)
	w.comment("Release notes (Markdown) for the GitHub release.")
	if m.Notes != "" {
		w.text("notes", m.Notes)
	} else {
		w.line("# notes: |", "#   What changed in this release.")
	}
	w.blank()
	w.comment("The tracking issue to use (default: Shepherd opens one when the release starts).")
	if m.Issue > 0 {
		w.line("issue: " + strconv.Itoa(m.Issue))
	} else {
		w.line("# issue: 123")
	}
	return []byte(w.String()), nil
}

type manifestWriter struct {
	strings.Builder
}

func (w *manifestWriter) line(lines ...string) {
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
}

func (w *manifestWriter) comment(lines ...string) {
	for _, l := range lines {
		w.line("# " + l)
	}
}

func (w *manifestWriter) blank() {
	w.WriteByte('\n')
}

func (w *manifestWriter) writeSource(s *SourceRef) {
	w.comment("The OCL source to release (default: ocl.org and ocl.source of the configuration).")
	if s != nil {
		w.line("source:", "  org: "+scalar(s.Org), "  source: "+scalar(s.Source))
	} else {
		w.line("# source:", "#   org: CIEL", "#   source: CIEL")
	}
	w.blank()
}

func (w *manifestWriter) writeExports(exports []string) {
	w.comment("The exports to produce, by name (default: every export of the configuration).")
	switch {
	case exports == nil:
		w.line("# exports:", "#   - openmrs-2")
	case len(exports) == 0:
		w.line("exports: []")
	default:
		w.line("exports:")
		for _, e := range exports {
			w.line("  - " + scalar(e))
		}
	}
	w.blank()
}

func (w *manifestWriter) writeQA(o QAOverrides) {
	w.comment("QA rule overrides for this release, over those of the configuration.")
	if o.Severity == nil && o.Disabled == nil {
		w.line("# qa:", "#   severity:", "#     FR-19: info", "#   disabled:", "#     - FR-23")
		w.blank()
		return
	}
	w.line("qa:")
	if o.Severity != nil {
		if len(o.Severity) == 0 {
			w.line("  severity: {}")
		} else {
			w.line("  severity:")
			for _, rule := range sortedKeys(o.Severity) {
				w.line(fmt.Sprintf("    %s: %s", scalar(rule), scalar(o.Severity[rule])))
			}
		}
	}
	if o.Disabled != nil {
		if len(o.Disabled) == 0 {
			w.line("  disabled: []")
		} else {
			w.line("  disabled:")
			for _, rule := range o.Disabled {
				w.line("    - " + scalar(rule))
			}
		}
	}
	w.blank()
}

// text writes a field holding free text: a literal block when the text survives one
// unchanged, a quoted scalar otherwise.
func (w *manifestWriter) text(key, s string) {
	header, ok := literalHeader(s)
	if !ok {
		w.line(key + ": " + scalar(s))
		return
	}
	w.line(key + ": " + header)
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if l == "" {
			w.blank()
		} else {
			w.line("  " + l)
		}
	}
}

// literalHeader returns the "|" header that makes a literal block read back as s, or
// false when s is better quoted: a block cannot hold carriage returns, control
// characters, trailing spaces, several final line breaks, or text starting with a space.
func literalHeader(s string) (string, bool) {
	if !strings.Contains(s, "\n") || strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\t") ||
		strings.TrimRight(s, "\n") == "" {
		return "", false
	}
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimRightFunc(l, unicode.IsSpace) != l {
			return "", false
		}
		for _, r := range l {
			if r != '\t' && !unicode.IsPrint(r) {
				return "", false
			}
		}
	}
	// Several final line breaks would need "|+", which also keeps the blank line that
	// separates the next field.
	switch trailing := len(s) - len(strings.TrimRight(s, "\n")); trailing {
	case 0:
		return "|-", true
	case 1:
		return "|", true
	}
	return "", false
}

// plainScalar matches text that YAML reads back as the same string without quotes:
// words of safe characters separated by single spaces, starting with a letter.
var plainScalar = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._/@+()-]*( [A-Za-z0-9._/@+()-]+)*$`)

// scalar writes a string as a YAML scalar: plain when that is unambiguous, otherwise
// double-quoted (Go's escapes are a subset of YAML's double-quoted ones).
func scalar(s string) string {
	if plainScalar.MatchString(s) && !isYAMLKeyword(s) {
		return s
	}
	return strconv.Quote(s)
}

func isYAMLKeyword(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "null", "yes", "no", "on", "off", "y", "n":
		return true
	}
	return false
}
