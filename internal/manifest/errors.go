package manifest

import (
	"fmt"
	"sort"
	"strings"
)

// Position is a place in a YAML file: 1-based line and column (in characters).
// The zero Position means "not from a file" (a value built in code).
type Position struct {
	Line   int
	Column int
}

// Error is one problem in a manifest or configuration file. Its text reads
// "file:line:column: message", the form editors and GitHub annotations understand.
type Error struct {
	File    string
	Line    int
	Column  int
	Path    string // the field at fault, like "poll.interval" or "exports[1].name"; "" for the whole file
	Message string // what is wrong and what was expected; names the field itself when it helps
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Line, e.Column)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Errors lists every problem found in one file, in file order. Parse and Validate
// functions return it as their error so that a caller can print all problems at once.
type Errors []*Error

// Error prints one problem per line.
func (l Errors) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find the individual *Error values.
func (l Errors) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// err returns the list as an error, or nil when it is empty (a nil Errors in an
// error interface would not compare equal to nil).
func (l Errors) err() error {
	if len(l) == 0 {
		return nil
	}
	sorted := append(Errors(nil), l...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	if len(sorted) > maxReported {
		rest := len(sorted) - maxReported
		next := sorted[maxReported]
		sorted = append(sorted[:maxReported], &Error{File: next.File, Line: next.Line, Column: next.Column,
			Message: fmt.Sprintf("and %d more problems from here on", rest)})
	}
	return sorted
}

// maxReported bounds the list: past a few dozen problems the file needs rewriting,
// not a longer list.
const maxReported = 50

// positions remembers where each field of a parsed file was written, so that checks
// made after decoding can still point at the right line.
type positions struct {
	keys   map[string]Position // where the key of a field is
	values map[string]Position // where its value is (absent for null values)
}

func newPositions() positions {
	return positions{keys: map[string]Position{}, values: map[string]Position{}}
}

// present reports whether the file gave the field a non-null value.
func (p positions) present(path string) bool {
	_, ok := p.values[path]
	return ok
}

// value returns where the field's value is, falling back to its key and then to the
// nearest enclosing field that was written.
func (p positions) value(path string) Position {
	for {
		if pos, ok := p.values[path]; ok {
			return pos
		}
		if pos, ok := p.keys[path]; ok {
			return pos
		}
		if path == "" {
			return Position{}
		}
		path = parentPath(path)
	}
}

// key returns where the field's key is, with the same fallbacks as value.
func (p positions) key(path string) Position {
	if pos, ok := p.keys[path]; ok {
		return pos
	}
	return p.value(path)
}

// parentPath turns "a.b[2].c" into "a.b[2]", "a.b[2]" into "a.b" and "a" into "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// joinPath appends a field name to a path.
func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// indexPath appends a list index to a path.
func indexPath(parent string, i int) string {
	return fmt.Sprintf("%s[%d]", parent, i)
}

// reporter collects errors for one file.
type reporter struct {
	file string
	pos  positions
	errs Errors
}

// add records a problem at pos. The message is prefixed by the path when there is one.
func (r *reporter) add(pos Position, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	r.addMessage(pos, path, msg)
}

// addMessage records a problem whose message is already complete.
func (r *reporter) addMessage(pos Position, path, msg string) {
	r.errs = append(r.errs, &Error{File: r.file, Line: pos.Line, Column: pos.Column, Path: path, Message: msg})
}

// atValue records a problem with a field's value, positioned at the value.
func (r *reporter) atValue(path, format string, args ...any) {
	r.add(r.pos.value(path), path, format, args...)
}

// atKey records a problem with a field as a whole, positioned at its key.
func (r *reporter) atKey(path, format string, args ...any) {
	r.add(r.pos.key(path), path, format, args...)
}

// covers reports whether a problem was already recorded for path or for a field that
// encloses it, so that later checks do not repeat it in other words.
func (l Errors) covers(path string) bool {
	for _, e := range l {
		if e.Path == path ||
			strings.HasPrefix(path, e.Path+".") || strings.HasPrefix(path, e.Path+"[") {
			return true
		}
	}
	return false
}
