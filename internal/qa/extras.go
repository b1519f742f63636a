package qa

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// extraType is the JSON type a known extras key must have.
type extraType uint8

const (
	extraAny        extraType = iota // added by the configuration: any type
	extraString                      // units, handler
	extraNumber                      // the six ranges, display_precision
	extraBool                        // allow_decimal, precise
	extraSetFlag                     // is_set: the integer 0 or 1
	extraBoolOrFlag                  // precise: a boolean, or 0/1 in 2015-era exports
)

// extrasVocabulary maps the keys known in one kind of extras to the type they must have.
type extrasVocabulary map[string]extraType

// conceptVocabulary is the extras vocabulary of OpenMRS concepts.
var conceptVocabulary = extrasVocabulary{
	"units":             extraString,
	"handler":           extraString,
	"hi_absolute":       extraNumber,
	"hi_critical":       extraNumber,
	"hi_normal":         extraNumber,
	"low_absolute":      extraNumber,
	"low_critical":      extraNumber,
	"low_normal":        extraNumber,
	"display_precision": extraNumber,
	"allow_decimal":     extraBool,
	"precise":           extraBoolOrFlag, // 2015-era CIEL writes 0/1 (OCL.md, "Old data types")
	"is_set":            extraSetFlag,
}

// mappingVocabulary is the extras vocabulary of mappings: real CIEL mappings carry their
// order as extras.sort_weight (OCL.md, "Old data types"); concept keys mean nothing there.
var mappingVocabulary = extrasVocabulary{
	"sort_weight": extraNumber,
}

var expectedType = map[extraType]string{
	extraString:     "a string",
	extraNumber:     "a number",
	extraBool:       "a boolean",
	extraSetFlag:    "the integer 0 or 1",
	extraBoolOrFlag: "a boolean (or the integer 0 or 1)",
}

func isReservedExtra(key string) bool { return key == "retired_reason" || key == "retire_reason" }

// checkExtras runs EX-01..EX-05 on the extras of an active concept or mapping, against
// the vocabulary of its kind: one finding per (item, key).
func (e *Engine) checkExtras(ci uint32, mappingID string, x ocl.Extras, vocabulary extrasVocabulary) {
	for key, raw := range x {
		switch {
		case key == ocl.ExtrasNotAnObject:
			// extras that are not an object are JS-01 (checkWrongTypes)
		case key != strings.TrimSpace(key):
			if e.on(ex02) {
				e.emit(ex02, ci, Finding{MappingID: mappingID, Field: "extras." + key,
					Message: fmt.Sprintf("extras key %q has leading or trailing white space", key)})
			}
		case isReservedExtra(key):
			if e.on(ex01) {
				e.emit(ex01, ci, Finding{MappingID: mappingID, Field: "extras." + key,
					Message: fmt.Sprintf("extras key %q is reserved (OCL keeps the retirement reason elsewhere)", key)})
			}
		default:
			e.checkExtraValue(ci, mappingID, key, raw, vocabulary)
		}
	}
}

// checkExtraValue runs EX-03, EX-04 and EX-05 on one key. A boolean written as a
// string is EX-04 only, even where another type is expected.
func (e *Engine) checkExtraValue(ci uint32, mappingID, key string, raw json.RawMessage, vocabulary extrasVocabulary) {
	want, known := vocabulary[key]
	if !known && e.extras[key] {
		want, known = extraAny, true
	}
	if !known && e.on(ex05) {
		e.emit(ex05, ci, Finding{MappingID: mappingID, Field: "extras." + key,
			Message: fmt.Sprintf("extras key %q is outside the known vocabulary", key)})
	}
	kind := ocl.JSONKind(raw)
	if kind == "" || kind == "null" {
		return
	}
	if want != extraString && isBoolString(raw) {
		if e.on(ex04) {
			e.emit(ex04, ci, Finding{MappingID: mappingID, Field: "extras." + key,
				Message: fmt.Sprintf("extras.%s is the string %s; write the boolean %s", key, bytes.TrimSpace(raw), strings.ToLower(unquoted(raw)))})
		}
		return
	}
	if known && want != extraAny && !hasType(want, kind, raw) && e.on(ex03) {
		e.emit(ex03, ci, Finding{MappingID: mappingID, Field: "extras." + key,
			Message: fmt.Sprintf("extras.%s is %s (%s); expected %s", key, describeKind(kind), prefix(string(bytes.TrimSpace(raw)), 40), expectedType[want])})
	}
}

func hasType(want extraType, kind string, raw json.RawMessage) bool {
	switch want {
	case extraString:
		return kind == "string"
	case extraNumber:
		return kind == "number"
	case extraBool:
		return kind == "bool"
	case extraSetFlag:
		return isZeroOrOne(kind, raw)
	case extraBoolOrFlag:
		return kind == "bool" || isZeroOrOne(kind, raw)
	}
	return true
}

func isZeroOrOne(kind string, raw json.RawMessage) bool {
	if kind != "number" {
		return false
	}
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
	return err == nil && (f == 0 || f == 1)
}

func describeKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "number":
		return "a number"
	case "bool":
		return "a boolean"
	case "object":
		return "an object"
	case "array":
		return "an array"
	}
	return kind
}

// isBoolString reports a JSON string "true" or "false" (any case, padding aside).
func isBoolString(raw json.RawMessage) bool {
	if ocl.JSONKind(raw) != "string" {
		return false
	}
	s := strings.TrimSpace(unquoted(raw))
	return strings.EqualFold(s, "true") || strings.EqualFold(s, "false")
}

// unquoted is the text inside a JSON string's quotes, escapes left as they are.
func unquoted(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		return string(raw[1 : len(raw)-1])
	}
	return string(raw)
}
