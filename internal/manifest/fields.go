package manifest

import (
	"sort"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Field setters: each returns the decode function of a field that stores into dst.

func setText[T ~string](d *decoder, dst *T) func(ast.Node, string) {
	return func(n ast.Node, path string) {
		if s, ok := d.text(n, path); ok {
			*dst = T(s)
		}
	}
}

// nested decodes a mapping with the given fields.
func (d *decoder) nested(fields []field) func(ast.Node, string) {
	return func(n ast.Node, path string) {
		d.object(n, path, fields)
	}
}

func (d *decoder) setBool(dst *bool) func(ast.Node, string) {
	return func(n ast.Node, path string) {
		if b, ok := d.boolean(n, path); ok {
			*dst = b
		}
	}
}

// setPositive stores a whole number of at least 1; what names it in the message.
func (d *decoder) setPositive(dst *int, what string) func(ast.Node, string) {
	return func(n ast.Node, path string) {
		i, ok := d.integer(n, path)
		if !ok {
			return
		}
		if i < 1 {
			d.atValue(path, "%d is not %s (expected a whole number from 1)", i, what)
			return
		}
		*dst = i
	}
}

// setCount stores a whole number of at least 0; what names it in the message.
func (d *decoder) setCount(dst *int, what string) func(ast.Node, string) {
	return func(n ast.Node, path string) {
		i, ok := d.integer(n, path)
		if !ok {
			return
		}
		if i < 0 {
			d.atValue(path, "%d is not %s (expected a whole number from 0)", i, what)
			return
		}
		*dst = i
	}
}

func (d *decoder) setTextList(dst *[]string) func(ast.Node, string) {
	return func(n ast.Node, path string) {
		if list, ok := d.textList(n, path); ok {
			*dst = list
		}
	}
}

const durationExamples = "expected e.g. 10m, 1h, 21d"

func (d *decoder) setDuration(dst *time.Duration) func(ast.Node, string) {
	return func(n ast.Node, path string) {
		s, isText := n.(*ast.StringNode)
		if !isText {
			d.atValue(path, "expected a duration (%s), got %s", durationExamples, describe(n))
			return
		}
		v, err := ParseDuration(s.Value)
		if err != nil {
			d.atValue(path, "%s is not a duration (%s)", quote(s.Value), durationExamples)
			return
		}
		*dst = v
	}
}

const sizeExamples = "expected e.g. 16MiB, 8MB or a number of bytes"

func (d *decoder) setSize(dst *int64) func(ast.Node, string) {
	return func(n ast.Node, path string) {
		switch v := n.(type) {
		case *ast.IntegerNode:
			if i, ok := d.integer(n, path); ok {
				*dst = int64(i)
			}
		case *ast.StringNode:
			size, err := ParseSize(v.Value)
			if err != nil {
				d.atValue(path, "%s is not a size (%s)", quote(v.Value), sizeExamples)
				return
			}
			*dst = size
		default:
			d.atValue(path, "expected a size (%s), got %s", sizeExamples, describe(n))
		}
	}
}

// setEnvName stores the name of an environment variable. A wrong value is never
// repeated in the message: it may be the secret itself, pasted in the wrong place.
func (d *decoder) setEnvName(dst *string) func(ast.Node, string) {
	return func(n ast.Node, path string) {
		s, isText := n.(*ast.StringNode)
		if !isText {
			d.atValue(path, "expected the name of an environment variable, like OCL_TOKEN (the value is not shown in case it is a secret)")
			return
		}
		*dst = s.Value
	}
}

func (d *decoder) setTextMap(dst *map[string]string) func(ast.Node, string) {
	return func(n ast.Node, path string) {
		entries, ok := d.entries(n, path)
		if !ok {
			return
		}
		values := make(map[string]string, len(entries))
		for _, e := range entries {
			if s, ok := d.text(e.value, e.path); ok {
				values[e.key] = s
			}
		}
		*dst = values
	}
}

// QAOverrides change how QA rules apply: a different severity for some rules, or
// none at all for disabled ones. Rule ids look like "FR-01"; the qa package decides
// which exist. Severities are the strings of qa.Severity ("error", "warning",
// "info"); this package does not import qa so that qa may import it.
type QAOverrides struct {
	Severity map[string]string
	Disabled []string
}

// Severity levels, as the qa package spells them.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

func (d *decoder) qaOverrideFields(o *QAOverrides) []field {
	return []field{
		{"severity", func(n ast.Node, path string) {
			entries, ok := d.entries(n, path)
			if !ok {
				return
			}
			o.Severity = make(map[string]string, len(entries))
			for _, e := range entries {
				if s, ok := d.text(e.value, e.path); ok {
					o.Severity[e.key] = s
				}
			}
		}},
		{"disabled", d.setTextList(&o.Disabled)},
	}
}

func validSeverity(s string) bool {
	return s == SeverityError || s == SeverityWarning || s == SeverityInfo
}

const ruleIDExpectation = "expected two capital letters, a dash and two digits, like FR-01"

func (o QAOverrides) check(r *reporter, path string) {
	severityPath := joinPath(path, "severity")
	for _, rule := range sortedKeys(o.Severity) {
		rulePath := joinPath(severityPath, rule)
		if !ruleIDPattern.MatchString(rule) {
			r.atKey(rulePath, "%s is not a rule id (%s)", quote(rule), ruleIDExpectation)
		}
		if level := o.Severity[rule]; !validSeverity(level) {
			r.atValue(rulePath, "%s is not a severity (expected error, warning or info)", quote(level))
		}
	}
	disabledPath := joinPath(path, "disabled")
	seen := map[string]bool{}
	for i, rule := range o.Disabled {
		itemPath := indexPath(disabledPath, i)
		switch {
		case !ruleIDPattern.MatchString(rule):
			r.atValue(itemPath, "%s is not a rule id (%s)", quote(rule), ruleIDExpectation)
		case seen[rule]:
			r.atValue(itemPath, "%s is listed twice", rule)
		case o.Severity[rule] != "":
			r.atValue(itemPath, "%s is disabled and also given a severity in %s: keep one", rule, severityPath)
		}
		seen[rule] = true
	}
}

// over returns these overrides with the ones in top applied over them: a rule given a
// severity in top is enabled again with it, a rule disabled in top is disabled.
func (o QAOverrides) over(top QAOverrides) QAOverrides {
	severity := map[string]string{}
	disabled := map[string]bool{}
	for rule, level := range o.Severity {
		severity[rule] = level
	}
	for _, rule := range o.Disabled {
		disabled[rule] = true
	}
	for rule, level := range top.Severity {
		severity[rule] = level
		delete(disabled, rule)
	}
	for _, rule := range top.Disabled {
		disabled[rule] = true
		delete(severity, rule)
	}
	merged := QAOverrides{Severity: severity, Disabled: sortedKeys(disabled)}
	if merged.Disabled == nil {
		merged.Disabled = []string{}
	}
	return merged
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
