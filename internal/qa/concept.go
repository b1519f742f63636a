package qa

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// Limits OpenMRS puts on columns.
const (
	maxExternalID   = 36
	uuidLength      = 36
	maxNameLength   = 255
	maxSourceLength = 50
)

// openMRSDatatypes are the datatypes OpenMRS knows, lower-cased.
var openMRSDatatypes = map[string]bool{
	"n/a": true, "coded": true, "numeric": true, "text": true, "boolean": true, "date": true,
	"datetime": true, "time": true, "complex": true, "document": true, "rule": true,
	"structured-numeric": true,
}

// setClasses are the concept classes OpenMRS treats as sets, lower-cased.
var setClasses = map[string]bool{"labset": true, "medset": true, "convset": true, "interactset": true}

// numericDetails are the extras that make a Numeric concept's details (CE-02);
// `precise` is the 2015-era spelling of allow_decimal.
var numericDetails = []string{"units", "hi_absolute", "hi_critical", "hi_normal", "low_absolute", "low_critical", "low_normal", "allow_decimal", "precise"}

// checkConcept runs the rules about one concept; schema rules and XR-04 also run on
// retired concepts, which OpenMRS still loads.
func (e *Engine) checkConcept(c *ocl.Concept, ci uint32) {
	e.checkWrongTypes(c, ci)
	e.checkSchema(c, ci)
	e.checkExternalIDUnique(c, ci)
	e.checkConceptStorage(c, ci)
	if c.Retired {
		return
	}
	e.checkNames(c, ci)
	e.checkDescriptions(c, ci)
	e.checkConceptFields(c, ci)
	e.checkExtras(ci, "", c.Extras, conceptVocabulary)
}

// checkWrongTypes runs JS-01 on a concept, retired or not: the values of the wrong JSON
// type met while decoding it, and extras that are not an object.
func (e *Engine) checkWrongTypes(c *ocl.Concept, ci uint32) {
	for _, w := range c.WrongTypes {
		e.emitWrongType(ci, "", w)
	}
	if kind, ok := c.Extras.NotAnObject(); ok {
		e.emitWrongType(ci, "", ocl.WrongType{Field: "extras", Got: kind, Want: "object"})
	}
}

// emitWrongType reports JS-01: a field the rules read held a value of the wrong JSON
// type, and was read as absent (false, empty).
func (e *Engine) emitWrongType(ci uint32, mappingID string, w ocl.WrongType) {
	if !e.on(js01) {
		return
	}
	field := w.Field
	if field == "" {
		field = "(value)"
	}
	e.emit(js01, ci, Finding{MappingID: mappingID, Field: w.Field,
		Message: fmt.Sprintf("%s is %s where OCL writes %s; it was read as absent", field, describeKind(w.Got), describeWant(w.Want))})
}

func describeWant(want string) string {
	switch want {
	case "bool":
		return "a boolean"
	case "string", "number", "array", "object":
		return describeKind(want)
	}
	return want
}

// checkSchema runs OM-01..OM-04 on the concept, its names and descriptions.
func (e *Engine) checkSchema(c *ocl.Concept, ci uint32) {
	if e.on(om01) && !knownDatatype(c.Datatype) {
		e.emit(om01, ci, Finding{Field: "datatype", Message: fmt.Sprintf("datatype %q is not an OpenMRS datatype", c.Datatype)})
	}
	if e.on(om02) && strings.TrimSpace(c.ConceptClass) == "" {
		e.emit(om02, ci, Finding{Field: "concept_class", Message: "concept class is empty"})
	}
	if e.on(om03) {
		if n := runeLen(c.ExternalID); n > maxExternalID {
			e.emit(om03, ci, Finding{Field: "external_id", Message: longExternalID("concept", c.ExternalID, n)})
		}
		for i := range c.Names {
			if id := c.Names[i].ExternalID; longerThan(id, maxExternalID) {
				n := runeLen(id)
				e.emit(om03, ci, Finding{Field: "names.external_id", Locale: strings.TrimSpace(c.Names[i].Locale),
					Message: longExternalID(fmt.Sprintf("name %q", c.Names[i].Name), c.Names[i].ExternalID, n)})
			}
		}
		for i := range c.Descriptions {
			// Retired descriptions never reach OpenMRS (the OCL module drops them).
			if id := c.Descriptions[i].ExternalID; !c.Descriptions[i].Retired && longerThan(id, maxExternalID) {
				n := runeLen(id)
				e.emit(om03, ci, Finding{Field: "descriptions.external_id", Locale: strings.TrimSpace(c.Descriptions[i].Locale),
					Message: longExternalID("description", c.Descriptions[i].ExternalID, n)})
			}
		}
	}
	if e.on(om04) {
		for i := range c.Names {
			n := &c.Names[i]
			locale := strings.TrimSpace(n.Locale)
			switch {
			case strings.TrimSpace(n.Name) == "":
				e.emit(om04, ci, Finding{Locale: locale, Message: fmt.Sprintf("blank name in locale %q", locale)})
			case longerThan(n.Name, maxNameLength):
				e.emit(om04, ci, Finding{Locale: locale,
					Message: fmt.Sprintf("name of %d characters (at most %d): %q…", runeLen(n.Name), maxNameLength, prefix(n.Name, 40))})
			}
		}
	}
}

func knownDatatype(dt string) bool {
	var buf [smallLower]byte
	lower := appendLower(buf[:0], strings.TrimSpace(dt))
	return string(lower) == "none" || openMRSDatatypes[string(lower)]
}

func longExternalID(what, id string, n int) string {
	return fmt.Sprintf("%s has an external_id of %d characters (at most %d): %q", what, n, maxExternalID, id)
}

// prefix returns the first n characters of s.
func prefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// checkExternalIDUnique runs XR-04: a later concept reusing an earlier one's external_id.
func (e *Engine) checkExternalIDUnique(c *ocl.Concept, ci uint32) {
	id := strings.TrimSpace(c.ExternalID)
	if id == "" || !e.on(xr04) {
		return
	}
	key := e.hash.lower(id)
	first, ok := e.idx.externalIDs.add(key, ci)
	if !ok {
		return
	}
	e.emit(xr04, ci, Finding{Field: "external_id",
		Message: fmt.Sprintf("external_id %q is already used by concept %s", c.ExternalID, e.code(first))})
}

// checkConceptFields runs FR-11 and the numeric rules CE-02, CE-03.
func (e *Engine) checkConceptFields(c *ocl.Concept, ci uint32) {
	if e.on(fr11) {
		if n := runeLen(c.ExternalID); n != uuidLength {
			msg := "external_id is missing (OpenMRS needs a 36-character uuid)"
			if n > 0 {
				msg = fmt.Sprintf("external_id %q has %d characters, not %d", c.ExternalID, n, uuidLength)
			}
			e.emit(fr11, ci, Finding{Field: "external_id", Message: msg})
		}
	}
	if !strings.EqualFold(strings.TrimSpace(c.Datatype), "Numeric") {
		return
	}
	if e.on(ce02) && !carriesAny(c.Extras, numericDetails) {
		e.emit(ce02, ci, Finding{Message: "Numeric concept has no numeric details (units, ranges or allow_decimal)"})
	}
	if e.on(ce03) && strings.EqualFold(strings.TrimSpace(c.ConceptClass), "Test") && !carries(c.Extras, "units") {
		e.emit(ce03, ci, Finding{Message: "Numeric test has no units"})
	}
}

// carries reports whether extras has key with a value: not null, not a blank string.
func carries(x ocl.Extras, key string) bool {
	if !x.Has(key) {
		return false
	}
	if ocl.JSONKind(x[key]) == "string" {
		s, _ := x.String(key)
		return strings.TrimSpace(s) != ""
	}
	return true
}

func carriesAny(x ocl.Extras, keys []string) bool {
	for _, k := range keys {
		if carries(x, k) {
			return true
		}
	}
	return false
}

// isSetConcept: a set class, or extras.is_set the number 1. Other spellings of is_set
// are EX-03 or EX-04 findings, not sets.
func isSetConcept(c *ocl.Concept) bool {
	var buf [smallLower]byte
	if setClasses[string(appendLower(buf[:0], strings.TrimSpace(c.ConceptClass)))] {
		return true
	}
	raw, ok := c.Extras["is_set"]
	return ok && ocl.JSONKind(raw) == "number" && isOne(raw)
}

func isOne(raw json.RawMessage) bool {
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
	return err == nil && f == 1
}

// checkDescriptions runs FR-15 on descriptions.
func (e *Engine) checkDescriptions(c *ocl.Concept, ci uint32) {
	if !e.on(fr15) {
		return
	}
	for i := range c.Descriptions {
		d := &c.Descriptions[i]
		if d.Retired {
			continue // kept for history only: nobody reads it again
		}
		if ent, ok := findHTMLEntity(d.Description); ok {
			e.emit(fr15, ci, Finding{Field: "descriptions", Locale: strings.TrimSpace(d.Locale),
				Message: fmt.Sprintf("description contains the HTML entity %s: %q", ent, prefix(d.Description, 80))})
		}
	}
}

func selfSameAsMessage(code string, n int, source string) string {
	target := source + ":" + code
	if source == "" {
		target = code
	}
	if n == 0 {
		return "no SAME-AS mapping to its own code " + target
	}
	if n == 255 {
		return "at least 255 SAME-AS mappings to its own code " + target + " (want exactly one)"
	}
	return strconv.Itoa(n) + " SAME-AS mappings to its own code " + target + " (want exactly one)"
}
