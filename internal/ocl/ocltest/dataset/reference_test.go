package dataset

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// referenceQA is a small, slow, test-only reading of the QA rule catalogue and its
// interpretation conventions. It checks the generator's promises (clean by default,
// one finding per injection) without depending on the real QA engine.
func referenceQA(d *Dataset) []Expected {
	q := &refChecker{d: d, exists: map[string]bool{}, retired: map[string]bool{},
		fsnSeen: map[string]bool{}, prefSeen: map[string]bool{}, claimed: map[string]bool{},
		extIDs: map[string]bool{}, members: map[string][]string{}}
	for i := range d.Len() {
		c, _ := d.Concept(i)
		q.exists[c.ID] = true
		q.retired[c.ID] = c.Retired
	}
	for i := range d.Len() {
		c, maps := d.Concept(i)
		q.concept(&c, maps)
	}
	q.cycles()
	return q.out
}

type refChecker struct {
	d                 *Dataset
	exists, retired   map[string]bool
	fsnSeen, prefSeen map[string]bool
	claimed, extIDs   map[string]bool
	members           map[string][]string
	out               []Expected
}

var (
	knownDatatypes = []string{"N/A", "Coded", "Numeric", "Text", "Boolean", "Date", "Datetime", "Time", "Complex", "Document", "Rule", "Structured-Numeric"}
	setClasses     = []string{"LabSet", "MedSet", "ConvSet", "InteractSet"}
	numericKeys    = []string{"units", "hi_absolute", "hi_critical", "hi_normal", "low_absolute", "low_critical", "low_normal", "allow_decimal"}
	htmlEntity     = regexp.MustCompile(`&([A-Za-z]+|#[0-9]+|#[xX][0-9A-Fa-f]+);`)
)

func (q *refChecker) add(rule string, c *ocl.Concept, mappingID, locale, field string) {
	q.out = append(q.out, Expected{Rule: rule, ConceptID: c.ID, MappingID: mappingID, Locale: locale, Field: field})
}

func (q *refChecker) own(m *ocl.Mapping) bool {
	return strings.EqualFold(m.ToSourceName, q.d.spec.Source) || strings.HasPrefix(m.ToConceptURL, q.d.sourceURL)
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (q *refChecker) concept(c *ocl.Concept, maps []ocl.Mapping) {
	q.schema(c, maps)
	if c.Retired {
		return
	}
	q.names(c)
	q.conceptLevel(c, maps)
	q.mappings(c, maps)
	q.extras(c.Extras, c, "")
	for k := range maps {
		if !maps[k].Retired {
			q.extras(maps[k].Extras, c, maps[k].ID)
		}
	}
}

func (q *refChecker) schema(c *ocl.Concept, maps []ocl.Mapping) {
	dt := c.Datatype
	if dt == "None" {
		dt = "N/A"
	}
	if !slices.Contains(knownDatatypes, dt) {
		q.add("OM-01", c, "", "", "datatype")
	}
	if strings.TrimSpace(c.ConceptClass) == "" {
		q.add("OM-02", c, "", "", "concept_class")
	}
	if len(c.ExternalID) > 36 {
		q.add("OM-03", c, "", "", "external_id")
	}
	for _, n := range c.Names {
		if len(n.ExternalID) > 36 {
			q.add("OM-03", c, "", n.Locale, "names.external_id")
		}
		if t := strings.TrimSpace(n.Name); t == "" || len(t) > 255 {
			q.add("OM-04", c, "", n.Locale, "")
		}
	}
	for _, ds := range c.Descriptions {
		if len(ds.ExternalID) > 36 {
			q.add("OM-03", c, "", ds.Locale, "descriptions.external_id")
		}
	}
	for _, m := range maps {
		if m.Retired {
			continue
		}
		if len(m.ExternalID) > 36 {
			q.add("OM-03", c, m.ID, "", "external_id")
		}
		if len(m.ToSourceName) > 50 {
			q.add("OM-05", c, m.ID, "", "")
		}
	}
	if c.ExternalID != "" {
		if q.extIDs[c.ExternalID] {
			q.add("XR-04", c, "", "", "external_id")
		}
		q.extIDs[c.ExternalID] = true
	}
}

func (q *refChecker) names(c *ocl.Concept) {
	type perLocale struct{ preferred, short, fsn int }
	locales := map[string]*perLocale{}
	var order []string
	texts := map[string]int{}
	hasFSN, enPreferred := false, false
	for _, n := range c.Names {
		if n.Retired {
			continue // a retired name is history, not a name of the concept (OCL.md)
		}
		if locales[n.Locale] == nil {
			locales[n.Locale] = &perLocale{}
			order = append(order, n.Locale)
		}
		l := locales[n.Locale]
		typ := ocl.NormalizeNameType(n.NameType)
		switch typ {
		case ocl.NameTypeFullySpecified:
			l.fsn++
			hasFSN = true
		case ocl.NameTypeShort:
			l.short++
		case ocl.NameTypeIndexTerm, ocl.NameTypeSynonym:
		default:
			q.add("FR-07", c, "", n.Locale, "name_type")
		}
		if typ != ocl.NameTypeShort {
			texts[n.Locale+"\x00"+fold(n.Name)]++
		}
		if n.LocalePreferred {
			l.preferred++
			if typ == ocl.NameTypeShort || typ == ocl.NameTypeIndexTerm {
				q.add("FR-04", c, "", n.Locale, "")
			}
			if n.Locale == "en" {
				enPreferred = true
			}
			t := " " + fold(n.Name) + " "
			if strings.Contains(t, " and/or ") || strings.Contains(t, " and ") || strings.Contains(t, " or ") {
				q.add("FR-19", c, "", n.Locale, "")
			}
		}
		if htmlEntity.MatchString(n.Name) {
			q.add("FR-15", c, "", n.Locale, "names")
		}
	}
	for _, ds := range c.Descriptions {
		if htmlEntity.MatchString(ds.Description) {
			q.add("FR-15", c, "", ds.Locale, "descriptions")
		}
	}
	for text, count := range texts {
		if count > 1 {
			q.add("FR-02", c, "", strings.SplitN(text, "\x00", 2)[0], "")
		}
	}
	for _, loc := range order {
		l := locales[loc]
		if l.preferred > 1 {
			q.add("FR-01", c, "", loc, "")
		}
		if l.short > 1 {
			q.add("FR-03", c, "", loc, "")
		}
		if l.fsn > 1 {
			q.add("FR-05", c, "", loc, "")
		}
		if !slices.Contains(q.d.spec.Locales, loc) {
			q.add("FR-08", c, "", loc, "")
		}
	}
	if !hasFSN {
		q.add("FR-06", c, "", "", "")
	}
	if !enPreferred {
		q.add("CE-01", c, "", "en", "")
	}
	q.crossNames(c, "FR-09", q.fsnSeen, refFSN)
	q.crossNames(c, "FR-10", q.prefSeen, func(n *ocl.Name) bool { return n.LocalePreferred })
}

func refFSN(n *ocl.Name) bool {
	return ocl.NormalizeNameType(n.NameType) == ocl.NameTypeFullySpecified
}

// crossNames reports each locale in which concept c repeats an earlier concept's name.
func (q *refChecker) crossNames(c *ocl.Concept, rule string, seen map[string]bool, use func(*ocl.Name) bool) {
	reported := map[string]bool{}
	var claims []string
	for k := range c.Names {
		n := &c.Names[k]
		if n.Retired || !use(n) {
			continue
		}
		key := n.Locale + "\x00" + fold(n.Name)
		if seen[key] && !reported[n.Locale] {
			q.add(rule, c, "", n.Locale, "")
			reported[n.Locale] = true
		}
		claims = append(claims, key)
	}
	for _, key := range claims {
		seen[key] = true
	}
}

func (q *refChecker) conceptLevel(c *ocl.Concept, maps []ocl.Mapping) {
	if len(c.ExternalID) != 36 {
		q.add("FR-11", c, "", "", "external_id")
	}
	if c.Datatype == "Numeric" {
		details := slices.ContainsFunc(numericKeys, c.Extras.Has)
		if !details {
			q.add("CE-02", c, "", "", "")
		}
		if c.ConceptClass == "Test" && !c.Extras.Has("units") {
			q.add("CE-03", c, "", "", "")
		}
	}
	isSet, _ := c.Extras.Bool("is_set")
	if isSet || slices.Contains(setClasses, c.ConceptClass) {
		hasMember := slices.ContainsFunc(maps, func(m ocl.Mapping) bool {
			return !m.Retired && ocl.NormalizeMapType(m.MapType) == ocl.MapTypeConceptSet
		})
		if !hasMember {
			q.add("CE-04", c, "", "", "")
		}
	}
}

func (q *refChecker) mappings(c *ocl.Concept, maps []ocl.Mapping) {
	type group struct {
		types  map[string]int
		ids    []string
		repeat bool
	}
	groups := map[string]*group{}
	var groupOrder []string
	selfSameAs := 0
	sameAsBySource := map[string]int{}
	residualExempt := false
	for _, n := range c.Names {
		if !n.Retired && refFSN(&n) && strings.Contains(fold(n.Name), "other") {
			residualExempt = true
		}
	}
	for k := range maps {
		m := &maps[k]
		if m.Retired {
			continue
		}
		typ := ocl.NormalizeMapType(m.MapType)
		own := q.own(m)
		src := fold(m.ToSourceName)
		if m.ToSourceName != "" && m.ToConceptCode != "" {
			key := src + "\x00" + m.ToConceptCode
			g := groups[key]
			if g == nil {
				g = &group{types: map[string]int{}}
				groups[key] = g
				groupOrder = append(groupOrder, key)
			}
			g.types[typ]++
			if g.types[typ] > 1 {
				q.add("FR-12", c, m.ID, "", "")
				g.repeat = true
			}
			g.ids = append(g.ids, m.ID)
		}
		if typ == ocl.MapTypeSameAs {
			if own && m.ToConceptCode == c.ID {
				selfSameAs++
			}
			if !own {
				sameAsBySource[src]++
				if sameAsBySource[src] == 2 {
					q.add("FR-25", c, m.ID, "", "")
				}
				claim := src + "\x00" + m.ToConceptCode
				if q.claimed[claim] {
					q.add("FR-26", c, m.ID, "", "")
				}
				q.claimed[claim] = true
			}
			up := strings.ToUpper(m.ToSourceName)
			icd10 := strings.Contains(up, "ICD-10") || strings.Contains(up, "ICD10")
			icd11 := strings.Contains(up, "ICD-11") || strings.Contains(up, "ICD11")
			residual := (icd10 && strings.HasSuffix(m.ToConceptCode, ".8")) ||
				(icd11 && strings.HasSuffix(m.ToConceptCode, "Y") && !strings.ContainsAny(m.ToConceptCode, "&/"))
			if residual && !residualExempt {
				q.add("FR-23", c, m.ID, "", "")
			}
		}
		if own && q.retired[m.ToConceptCode] {
			q.add("FR-22", c, m.ID, "", "")
		}
		if typ == ocl.MapTypeQAndA || typ == ocl.MapTypeConceptSet {
			if own && !q.exists[m.ToConceptCode] {
				q.add("XR-01", c, m.ID, "", "")
			}
			if own && m.ToConceptCode == c.ID {
				q.add("XR-03", c, m.ID, "", "")
			}
		}
		if typ == ocl.MapTypeQAndA && c.Datatype != "Coded" {
			q.add("XR-02", c, m.ID, "", "")
		}
		if typ == ocl.MapTypeConceptSet && own && m.ToConceptCode != c.ID {
			q.members[c.ID] = append(q.members[c.ID], m.ToConceptCode)
		}
	}
	for _, key := range groupOrder {
		if g := groups[key]; !g.repeat && len(g.types) > 1 {
			q.add("FR-24", c, g.ids[1], "", "")
		}
	}
	if selfSameAs != 1 {
		q.add("FR-13", c, "", "", "")
	}
}

var (
	reservedKeys = []string{"retired_reason", "retire_reason"}
	keyKinds     = map[string]string{
		"units": "string", "handler": "string", "allow_decimal": "bool", "precise": "flag",
		"sort_weight": "number",
		"is_set":      "set", "display_precision": "number",
		"hi_absolute": "number", "hi_critical": "number", "hi_normal": "number",
		"low_absolute": "number", "low_critical": "number", "low_normal": "number",
	}
)

func (q *refChecker) extras(e ocl.Extras, c *ocl.Concept, mappingID string) {
	for key, raw := range e {
		field := "extras." + key
		switch {
		case slices.Contains(reservedKeys, key):
			q.add("EX-01", c, mappingID, "", field)
		case strings.TrimSpace(key) != key:
			q.add("EX-02", c, mappingID, "", field)
		case keyKinds[key] == "":
			q.add("EX-05", c, mappingID, "", field)
		default:
			kind, want := ocl.JSONKind(raw), keyKinds[key]
			s, _ := e.String(key)
			switch {
			case kind == "string" && (s == "true" || s == "false"):
				q.add("EX-04", c, mappingID, "", field)
			case want == "set" && !(kind == "number" && (s == "0" || s == "1")):
				q.add("EX-03", c, mappingID, "", field)
			case want == "flag" && kind != "bool" && !(kind == "number" && (s == "0" || s == "1")):
				// precise: a boolean, or the 0/1 integers of 2015-era exports (OCL.md)
				q.add("EX-03", c, mappingID, "", field)
			case want != "set" && want != "flag" && kind != want:
				q.add("EX-03", c, mappingID, "", field)
			}
		}
	}
}

// cycles reports each strongly connected set of mutual members once, on its smallest code.
func (q *refChecker) cycles() {
	index, low, onStack := map[string]int{}, map[string]int{}, map[string]bool{}
	var stack []string
	next := 0
	var visit func(v string)
	visit = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range q.members[v] {
			if _, seen := index[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var scc []int
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			n, _ := strconv.Atoi(w)
			scc = append(scc, n)
			if w == v {
				break
			}
		}
		if len(scc) > 1 {
			code := strconv.Itoa(slices.Min(scc))
			q.out = append(q.out, Expected{Rule: "XR-05", ConceptID: code})
		}
	}
	var roots []string
	for v := range q.members {
		roots = append(roots, v)
	}
	slices.Sort(roots)
	for _, v := range roots {
		if _, seen := index[v]; !seen {
			visit(v)
		}
	}
}

func (e Expected) String() string {
	return fmt.Sprintf("%s@%s[m=%s l=%s f=%s]", e.Rule, e.ConceptID, e.MappingID, e.Locale, e.Field)
}
