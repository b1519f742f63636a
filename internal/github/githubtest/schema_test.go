package githubtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// A small validator for the part of JSON Schema that GitHub's OpenAPI descriptions use
// (testdata/openapi.json and testdata/webhooks.json). No library is used: OpenAPI 3.0's
// "nullable" is not JSON Schema, so a JSON Schema library would need the schemas
// rewritten first, and the subset is small. A keyword it does not know is an error, so
// a schema can never pass for want of understanding it.

// schema is one JSON Schema object as decoded from the test data.
type schema map[string]any

// schemaSet resolves "#/components/schemas/<name>" references.
type schemaSet struct {
	schemas map[string]schema
}

// annotationKeywords assert nothing.
var annotationKeywords = []string{"discriminator"}

// validate checks value (decoded with encoding/json into any, numbers as json.Number)
// against s and returns every violation, each prefixed with its JSON path.
func (set *schemaSet) validate(s schema, value any, path string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }

	if ref, ok := s["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/components/schemas/")
		target := set.schemas[name]
		if !found || target == nil {
			return []string{path + ": unresolved $ref " + ref}
		}
		return set.validate(target, value, path)
	}
	if value == nil && (s["nullable"] == true || typeAllows(s, "null") || enumHas(s, nil)) {
		return nil
	}
	for key, arg := range s {
		switch key {
		case "type":
			if !typeMatches(arg, value) {
				fail("want type %v, got %s", arg, describe(value))
				return errs // the rest would only repeat it
			}
		case "nullable":
			if value == nil && arg != true {
				fail("null is not allowed")
			}
		case "enum":
			if !enumHas(s, value) {
				fail("%s is not one of %v", describe(value), arg)
			}
		case "properties":
			obj, ok := value.(map[string]any)
			if !ok {
				continue
			}
			for name, prop := range arg.(map[string]any) {
				if v, present := obj[name]; present {
					errs = append(errs, set.validate(schema(prop.(map[string]any)), v, path+"."+name)...)
				}
			}
		case "required":
			obj, ok := value.(map[string]any)
			if !ok {
				continue
			}
			for _, name := range arg.([]any) {
				if _, present := obj[name.(string)]; !present {
					fail("missing required %q", name)
				}
			}
		case "additionalProperties":
			obj, ok := value.(map[string]any)
			if !ok {
				continue
			}
			declared, _ := s["properties"].(map[string]any)
			for _, name := range sortedKeys(obj) {
				if _, ok := declared[name]; ok {
					continue
				}
				switch extra := arg.(type) {
				case bool:
					if !extra {
						fail("property %q is not allowed", name)
					}
				case map[string]any:
					errs = append(errs, set.validate(schema(extra), obj[name], path+"."+name)...)
				}
			}
		case "items":
			arr, ok := value.([]any)
			if !ok {
				continue
			}
			for i, item := range arr {
				errs = append(errs, set.validate(schema(arg.(map[string]any)), item, fmt.Sprintf("%s[%d]", path, i))...)
			}
		case "allOf":
			for _, sub := range arg.([]any) {
				errs = append(errs, set.validate(schema(sub.(map[string]any)), value, path)...)
			}
		case "anyOf", "oneOf":
			var matched int
			var why []string
			for i, sub := range arg.([]any) {
				subErrs := set.validate(schema(sub.(map[string]any)), value, path)
				if len(subErrs) == 0 {
					matched++
				} else {
					why = append(why, fmt.Sprintf("#%d: %s", i, subErrs[0]))
				}
			}
			// oneOf is read as anyOf: GitHub's description writes oneOf for alternatives
			// that overlap (basic-error and repository-rule-violation-error require no
			// field, so every error body matches both), so GitHub's own answers would
			// match more than one.
			if matched == 0 {
				fail("matches none of %s: %s", key, strings.Join(why, "; "))
			}
		case "minLength", "maxLength":
			str, ok := value.(string)
			if !ok {
				continue
			}
			n := float64(len([]rune(str)))
			limit := number(arg)
			if (key == "minLength" && n < limit) || (key == "maxLength" && n > limit) {
				fail("length %v breaks %s %v", n, key, limit)
			}
		case "minimum", "maximum":
			num, ok := value.(json.Number)
			if !ok {
				continue
			}
			n, _ := num.Float64()
			limit := number(arg)
			if (key == "minimum" && n < limit) || (key == "maximum" && n > limit) {
				fail("%v breaks %s %v", n, key, limit)
			}
		case "format":
			if msg := checkFormat(arg.(string), value); msg != "" {
				fail("%s", msg)
			}
		default:
			if !slices.Contains(annotationKeywords, key) {
				fail("the validator does not know the keyword %q", key)
			}
		}
	}
	return errs
}

func typeAllows(s schema, name string) bool {
	switch t := s["type"].(type) {
	case string:
		return t == name
	case []any:
		return slices.Contains(t, any(name))
	}
	return false
}

func enumHas(s schema, value any) bool {
	options, ok := s["enum"].([]any)
	if !ok {
		return false
	}
	for _, option := range options {
		if equalJSON(option, value) {
			return true
		}
	}
	return false
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// typeMatches checks a "type" that is one name or (OpenAPI 3.1) a list of them.
func typeMatches(t any, value any) bool {
	names := []any{t}
	if list, ok := t.([]any); ok {
		names = list
	}
	for _, name := range names {
		if isType(name.(string), value) {
			return true
		}
	}
	return false
}

func isType(name string, value any) bool {
	switch v := value.(type) {
	case nil:
		return name == "null"
	case bool:
		return name == "boolean"
	case string:
		return name == "string"
	case json.Number:
		if name == "number" {
			return true
		}
		f, err := v.Float64()
		return name == "integer" && err == nil && f == math.Trunc(f) && !strings.ContainsAny(v.String(), ".eE")
	case []any:
		return name == "array"
	case map[string]any:
		return name == "object"
	}
	return false
}

// checkFormat checks the formats GitHub's schemas use; "" when value is fine.
func checkFormat(format string, value any) string {
	str, isString := value.(string)
	switch format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339, str); isString && err != nil {
			return fmt.Sprintf("%q is not a date-time", str)
		}
	case "uri":
		if u, err := url.Parse(str); isString && (err != nil || u.Scheme == "") {
			return fmt.Sprintf("%q is not an absolute URI", str)
		}
	case "email":
		if _, err := mail.ParseAddress(str); isString && err != nil {
			return fmt.Sprintf("%q is not an email address", str)
		}
	case "int64", "uri-template":
		// int64 is the integer type's range; a URI template is any string.
	default:
		return "the validator does not know the format " + format
	}
	return ""
}

func number(v any) float64 {
	switch n := v.(type) {
	case json.Number:
		f, _ := n.Float64()
		return f
	case float64:
		return n
	}
	panic(fmt.Sprintf("not a number: %v", v))
}

func describe(value any) string {
	data, _ := json.Marshal(value)
	if len(data) > 60 {
		data = append(data[:57], "..."...)
	}
	return string(data)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// decodeJSON decodes with numbers kept as json.Number, as the validator wants.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	return dec.Decode(v)
}

// loadTestdata reads one of the reference files written by scripts/github-openapi.sh.
func loadTestdata(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatalf("reading the reference (regenerate it with scripts/github-openapi.sh): %v", err)
	}
	if err := decodeJSON(data, v); err != nil {
		t.Fatalf("decoding testdata/%s: %v", name, err)
	}
}

func TestSchemaValidator(t *testing.T) {
	set := &schemaSet{schemas: map[string]schema{
		"user": {"type": "object", "required": []any{"login"}, "properties": map[string]any{
			"login": map[string]any{"type": "string"},
			"id":    map[string]any{"type": "integer", "format": "int64"},
		}},
	}}
	tests := []struct {
		name   string
		schema string
		value  string
		want   string // a fragment of the first error, "" for valid
	}{
		{"type", `{"type":"string"}`, `1`, "want type string"},
		{"integer is not a fraction", `{"type":"integer"}`, `1.5`, "want type integer"},
		{"number takes integers", `{"type":"number"}`, `2`, ""},
		{"null needs nullable", `{"type":"string"}`, `null`, "want type string"},
		{"nullable", `{"type":"string","nullable":true}`, `null`, ""},
		{"3.1 type list", `{"type":["string","null"]}`, `null`, ""},
		{"enum", `{"type":"string","enum":["a","b"]}`, `"c"`, "is not one of"},
		{"enum with null", `{"type":["string","null"],"enum":["a",null]}`, `null`, ""},
		{"required", `{"$ref":"#/components/schemas/user"}`, `{"id":1}`, `missing required "login"`},
		{"nested property", `{"type":"object","properties":{"user":{"$ref":"#/components/schemas/user"}}}`, `{"user":{"login":3}}`, "$.user.login: want type string"},
		{"items", `{"type":"array","items":{"type":"integer"}}`, `[1,"x"]`, "$[1]: want type integer"},
		{"oneOf none", `{"oneOf":[{"type":"string"},{"type":"integer"}]}`, `true`, "matches none of oneOf"},
		{"oneOf overlapping", `{"oneOf":[{"type":"number"},{"type":"integer"}]}`, `1`, ""},
		{"anyOf two", `{"anyOf":[{"type":"number"},{"type":"integer"}]}`, `1`, ""},
		{"allOf", `{"allOf":[{"type":"object","required":["a"]},{"type":"object","required":["b"]}]}`, `{"a":1}`, `missing required "b"`},
		{"additionalProperties false", `{"type":"object","properties":{"a":{}},"additionalProperties":false}`, `{"a":1,"b":2}`, `"b" is not allowed`},
		{"additionalProperties schema", `{"type":"object","additionalProperties":{"type":"string"}}`, `{"b":2}`, "$.b: want type string"},
		{"date-time", `{"type":"string","format":"date-time"}`, `"yesterday"`, "not a date-time"},
		{"uri", `{"type":"string","format":"uri"}`, `"/relative"`, "not an absolute URI"},
		{"maxLength", `{"type":"string","maxLength":2}`, `"abc"`, "breaks maxLength"},
		{"unknown keyword", `{"type":"string","pattern":"^a$"}`, `"a"`, `does not know the keyword "pattern"`},
		{"unresolved ref", `{"$ref":"#/components/schemas/nobody"}`, `{}`, "unresolved $ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s schema
			var value any
			if err := decodeJSON([]byte(tt.schema), &s); err != nil {
				t.Fatal(err)
			}
			if err := decodeJSON([]byte(tt.value), &value); err != nil {
				t.Fatal(err)
			}
			errs := set.validate(s, value, "$")
			if tt.want == "" {
				if len(errs) > 0 {
					t.Fatalf("want valid, got %v", errs)
				}
				return
			}
			if len(errs) == 0 || !strings.Contains(errs[0], tt.want) {
				t.Fatalf("want an error containing %q, got %v", tt.want, errs)
			}
		})
	}
}
