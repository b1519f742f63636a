package dataset

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// Injection asks for one violation of a QA rule on concept Index (-1: a default place).
type Injection struct {
	Rule  string
	Index int
}

// Expected is where an injected violation must be reported: the finding's rule, concept
// code and, when the rule locates it there, mapping id, locale and field.
type Expected struct {
	Rule      string
	ConceptID string
	MappingID string
	Locale    string
	Field     string
}

// Rules lists every rule id that can be injected, in catalogue order.
var Rules = []string{
	"FR-01", "FR-02", "FR-03", "FR-04", "FR-05", "FR-06", "FR-07", "FR-11", "FR-12", "FR-13",
	"FR-15", "FR-19", "FR-23", "FR-24", "FR-25", "CE-01", "CE-02", "CE-03", "CE-04",
	"FR-08", "FR-09", "FR-10", "FR-22", "FR-26", "XR-01", "XR-02", "XR-03", "XR-04", "XR-05",
	"OM-01", "OM-02", "OM-03", "OM-04", "OM-05",
	"EX-01", "EX-02", "EX-03", "EX-04", "EX-05",
}

// partnerNeed is the second concept a cross-concept violation needs.
type partnerNeed uint8

const (
	noPartner     partnerNeed = iota
	earlierActive             // the concept the later one duplicates (FR-09, FR-10, FR-26, XR-04)
	anyUnused                 // a retired target (FR-22) or the other set of a cycle (XR-05)
)

// ruleSetup says what an injection needs besides its own edit.
type ruleSetup struct {
	role        *role // forced on the injected concept, nil to keep the drawn one
	partner     partnerNeed
	partnerRole *role
	partnerOff  bool // the partner is retired
}

var setups = map[string]ruleSetup{
	"FR-09": {partner: earlierActive},
	"FR-10": {partner: earlierActive},
	"FR-22": {partner: anyUnused, partnerOff: true},
	"FR-26": {partner: earlierActive},
	"CE-02": {role: roleNumericFinding},
	"CE-03": {role: roleNumericTest},
	"CE-04": {role: roleConvSet},
	"XR-01": {role: roleCodedQuestion},
	"XR-02": {role: rolePlain},
	"XR-03": {role: roleCodedQuestion},
	"XR-04": {partner: earlierActive},
	"XR-05": {role: roleConvSet, partner: anyUnused, partnerRole: roleConvSet},
	"OM-01": {role: rolePlain},
	"OM-02": {role: rolePlain},
	"EX-01": {role: rolePlain},
	"EX-02": {role: rolePlain},
	"EX-03": {role: roleNumericFinding},
	"EX-04": {role: roleNumericFinding},
	"EX-05": {role: rolePlain},
}

// plan is what happens to one concept an injection uses.
type plan struct {
	rule      string
	partner   int  // the other concept of a cross-concept injection, or -1
	isPartner bool // this concept only supports the violation of another
	role      *role
	retired   bool
}

// resolve places every injection, picks partners and records where each finding must
// appear. Explicit indexes are placed first so defaults and partners avoid them.
func (d *Dataset) resolve(injections []Injection) error {
	d.plans = map[int]*plan{}
	n := d.spec.Concepts
	primaries := make([]int, len(injections))
	for k, inj := range injections {
		if !slices.Contains(Rules, inj.Rule) {
			return fmt.Errorf("dataset: injection %d: unknown rule %q", k, inj.Rule)
		}
		if inj.Index < -1 || inj.Index >= n {
			return fmt.Errorf("dataset: injection %d (%s): index %d outside 0..%d", k, inj.Rule, inj.Index, n-1)
		}
		if inj.Index >= 0 {
			if d.plans[inj.Index] != nil {
				return fmt.Errorf("dataset: injection %d (%s): concept index %d already has an injection", k, inj.Rule, inj.Index)
			}
			d.plans[inj.Index] = d.newPlan(inj.Rule)
		}
		primaries[k] = inj.Index
	}
	for k, inj := range injections {
		if inj.Index >= 0 {
			continue
		}
		i, ok := d.defaultIndex(inj.Rule)
		if !ok {
			return fmt.Errorf("dataset: injection %d (%s): no free concept left for it", k, inj.Rule)
		}
		d.plans[i] = d.newPlan(inj.Rule)
		primaries[k] = i
	}
	for k, i := range primaries {
		if err := d.placePartner(i, d.plans[i]); err != nil {
			return fmt.Errorf("dataset: injection %d (%s at index %d): %w", k, injections[k].Rule, i, err)
		}
	}
	d.expected = make([]Expected, len(primaries))
	for k, i := range primaries {
		d.expected[k] = d.expectedAt(i)
	}
	return nil
}

func (d *Dataset) newPlan(rule string) *plan {
	return &plan{rule: rule, partner: -1, role: setups[rule].role}
}

// defaultIndex spreads rules over the source: rule k of Rules starts looking at the
// (k+1)-th of len(Rules)+1 equal steps, then takes the next free active concept.
func (d *Dataset) defaultIndex(rule string) (int, bool) {
	n := d.spec.Concepts
	start := (slices.Index(Rules, rule) + 1) * n / (len(Rules) + 1)
	for step := range n {
		i := (start + step) % n
		if i > 0 && d.plans[i] == nil && !d.naturallyRetired(i) {
			return i, true
		}
	}
	return 0, false
}

func (d *Dataset) placePartner(i int, p *plan) error {
	setup := setups[p.rule]
	free := func(j int) bool { return d.plans[j] == nil && !d.naturallyRetired(j) }
	var j int
	switch setup.partner {
	case noPartner:
		return nil
	case earlierActive:
		j = i - 1
		for j >= 0 && !free(j) {
			j--
		}
		if j < 0 {
			return fmt.Errorf("it needs an earlier active concept without an injection, and there is none")
		}
	case anyUnused:
		j = nearestFree(i, d.spec.Concepts, free)
		if j < 0 {
			return fmt.Errorf("it needs a second concept without an injection, and there is none")
		}
	}
	p.partner = j
	d.plans[j] = &plan{rule: p.rule, partner: i, isPartner: true, role: setup.partnerRole, retired: setup.partnerOff}
	return nil
}

// nearestFree looks after i first, then before it.
func nearestFree(i, n int, free func(int) bool) int {
	for j := i + 1; j < n; j++ {
		if free(j) {
			return j
		}
	}
	for j := i - 1; j >= 0; j-- {
		if free(j) {
			return j
		}
	}
	return -1
}

func (d *Dataset) expectedAt(i int) Expected {
	p := d.plans[i]
	dr := d.build(i)
	e := Expected{Rule: p.rule, ConceptID: dr.c.ID, Locale: dr.locale, Field: dr.field}
	if dr.mark >= 0 {
		e.MappingID = dr.maps[dr.mark].ID
	}
	if p.rule == "XR-05" {
		e.ConceptID = d.Code(min(i, p.partner)) // a cycle is reported on its smallest code
	}
	return e
}

// Expected lists, in the order of Spec.Inject, where each injected violation is.
func (d *Dataset) Expected() []Expected { return slices.Clone(d.expected) }

// unsupportedLocales are used by FR-08: the first one not in Spec.Locales.
var unsupportedLocales = []string{"km", "ne", "ti", "lo", "zz"}

// inject edits concept i so that it carries exactly the violation its plan asks for,
// and records where.
func (d *Dataset) inject(dr *draft, i int, p *plan) {
	if p.isPartner {
		d.supportPartner(dr, i, p)
		return
	}
	en := d.spec.Locales[d.en]
	n := d.spec.Concepts
	switch p.rule {
	case "FR-01": // a second preferred name in English
		dr.addName(ocltest.NameRow{Name: d.nameText(i, d.en, variantExtraPref), Locale: en, LocalePreferred: true})
		dr.locale = en
	case "FR-02": // a synonym repeating the FULLY_SPECIFIED name, in another case
		dr.addName(ocltest.NameRow{Name: strings.ToLower(dr.fsn(en).Name), Locale: en})
		dr.locale = en
	case "FR-03": // two SHORT names in English
		shorts := 0
		for k := range dr.c.Names {
			if dr.c.Names[k].Locale == en && isShort(&dr.c.Names[k]) {
				shorts++
			}
		}
		for ; shorts < 2; shorts++ {
			dr.addName(ocltest.NameRow{Name: d.shortText(i, d.en) + strconv.Itoa(shorts+1), Locale: en, NameType: ocl.NameTypeShort})
		}
		dr.locale = en
	case "FR-04": // an INDEX_TERM is the preferred name, outside English so CE-01 stays quiet
		li := d.otherLocale()
		loc := d.spec.Locales[li]
		d.ensureLocale(dr, i, li)
		dr.fsn(loc).LocalePreferred = false
		dr.addName(ocltest.NameRow{Name: d.nameText(i, li, variantIndexPref), Locale: loc, LocalePreferred: true, NameType: ocl.NameTypeIndexTerm})
		dr.locale = loc
	case "FR-05": // a second, non-preferred FULLY_SPECIFIED name
		dr.addName(ocltest.NameRow{Name: d.nameText(i, d.en, variantSecondFSN), Locale: en, NameType: ocl.NameTypeFullySpecified})
		dr.locale = en
	case "FR-06": // every FULLY_SPECIFIED name becomes a synonym; the English one stays preferred
		for k := range dr.c.Names {
			if isFSN(&dr.c.Names[k]) {
				dr.c.Names[k].NameType = ocl.NameTypeSynonym
			}
		}
	case "FR-07":
		dr.addName(ocltest.NameRow{Name: d.nameText(i, d.en, variantOddType), Locale: en, NameType: "Abbreviation"})
		dr.locale, dr.field = en, "name_type"
	case "FR-08":
		loc := d.unsupportedLocale()
		dr.addName(ocltest.NameRow{Name: d.nameText(i, d.en, variantForeign), Locale: loc})
		dr.locale = loc
	case "FR-09": // the English FSN of an earlier concept, not preferred so FR-10 stays quiet
		fsn := dr.fsn(en)
		fsn.Name = d.nameText(p.partner, d.en, variantFSN)
		fsn.LocalePreferred = false
		if k := dr.nameIndex(en, isSynonym); k >= 0 {
			dr.c.Names[k].LocalePreferred = true
		} else {
			dr.addName(ocltest.NameRow{Name: d.nameText(i, d.en, variantSynonym), Locale: en, LocalePreferred: true})
		}
		dr.locale = en
	case "FR-10": // a preferred synonym equal to an earlier concept's preferred name
		dr.fsn(en).LocalePreferred = false
		dr.addName(ocltest.NameRow{Name: d.nameText(p.partner, d.en, variantFSN), Locale: en, LocalePreferred: true})
		dr.locale = en
	case "FR-11":
		dr.c.ExternalID = strings.ReplaceAll(dr.c.ExternalID, "-", "") // 32 characters
		dr.field = "external_id"
	case "FR-12": // the same ICD-10 mapping twice
		dr.dropSource(srcICD10)
		m := d.extMapping(i, srcICD10, "WHO", "NARROWER-THAN", icd10Code(uint64(i)))
		dr.maps = append(dr.maps, m)
		dr.appendMarked(m)
	case "FR-13": // no SAME-AS to its own code
		own := d.Code(i)
		kept := dr.maps[:0]
		for _, m := range dr.maps {
			if !(m.MapType == ocl.MapTypeSameAs && m.ToSourceName == d.spec.Source && m.ToConceptCode == own) {
				kept = append(kept, m)
			}
		}
		dr.maps = kept
	case "FR-15":
		dr.addName(ocltest.NameRow{Name: d.nameText(i, d.en, variantEntity) + " d&#39;" + string(appendPseudoWord(nil, uint64(i))), Locale: en})
		dr.locale, dr.field = en, "names"
	case "FR-19":
		fsn := dr.fsn(en)
		fsn.Name += " and " + string(appendPseudoWord(nil, uint64(i)))
		dr.locale = en
	case "FR-22": // a mapping to a retired concept of the same source
		dr.appendMarked(d.ownMapping(i, "NARROWER-THAN", p.partner))
	case "FR-23": // SAME-AS to a residual ICD-11 code; the FSN has no "other"
		dr.dropSource(srcICD11)
		dr.appendMarked(d.extMapping(i, srcICD11, "WHO", ocl.MapTypeSameAs, icd11Residual(uint64(i))))
	case "FR-24": // one IMO code reached as NARROWER-THAN and BROADER-THAN
		dr.dropSource(srcIMO)
		code := extSources[srcIMO].code(uint64(i))
		dr.maps = append(dr.maps, d.extMapping(i, srcIMO, "IMO", "NARROWER-THAN", code))
		dr.appendMarked(d.extMapping(i, srcIMO, "IMO", "BROADER-THAN", code))
	case "FR-25": // two SAME-AS to SNOMED CT, with codes no other concept claims
		dr.dropSource(srcSNOMED)
		snomed := extSources[srcSNOMED]
		dr.maps = append(dr.maps, d.extMapping(i, srcSNOMED, snomed.owner, ocl.MapTypeSameAs, snomed.code(uint64(n+2*i))))
		dr.appendMarked(d.extMapping(i, srcSNOMED, snomed.owner, ocl.MapTypeSameAs, snomed.code(uint64(n+2*i+1))))
	case "FR-26": // SAME-AS the SNOMED CT code an earlier concept claims
		dr.dropSource(srcSNOMED)
		dr.appendMarked(d.snomedSameAs(i, p.partner))
	case "CE-01":
		dr.fsn(en).LocalePreferred = false
		dr.locale = en
	case "CE-02": // Numeric, not a Test, without any numeric details
		dr.c.Extras = nil
	case "CE-03": // Numeric Test with ranges but no units
		delete(dr.c.Extras, "units")
	case "CE-04": // a set without members
		dr.dropMapType(ocl.MapTypeConceptSet)
	case "XR-01": // an answer whose code does not exist
		d.appendWeighted(dr, d.ownMappingToCode(i, ocl.MapTypeQAndA, strconv.Itoa(n+1001+i)))
		dr.mark = len(dr.maps) - 1
	case "XR-02": // an answer on a concept that is not Coded
		targets := d.ownTargets(i, 1, &stream{state: uint64(i)}, func(int) bool { return true })
		d.appendWeighted(dr, d.ownMapping(i, ocl.MapTypeQAndA, targets[0]))
		dr.mark = len(dr.maps) - 1
	case "XR-03": // the concept is its own answer
		// Without a target source name the mapping is outside FR-12/FR-24's grouping,
		// which would otherwise pair it with the own SAME-AS; its URL still says "own source".
		m := d.ownMapping(i, ocl.MapTypeQAndA, i)
		m.ToSourceName, m.ToSourceOwner, m.ToSourceURL = "", "", ""
		d.appendWeighted(dr, m)
		dr.mark = len(dr.maps) - 1
	case "XR-04":
		dr.c.ExternalID = uuid(d.seed, uuidConcept, p.partner, 0)
		dr.field = "external_id"
	case "XR-05": // two sets that are members of each other
		d.appendWeighted(dr, d.ownMapping(i, ocl.MapTypeConceptSet, p.partner))
	case "OM-01":
		dr.c.Datatype = "Lookup"
		dr.field = "datatype"
	case "OM-02":
		dr.c.ConceptClass = ""
		dr.field = "concept_class"
	case "OM-03": // the own SAME-AS gets a 41-character external_id
		dr.maps[0].ExternalID = uuid(d.seed, uuidMapping, i, 0) + "-0001"
		dr.mark, dr.field = 0, "external_id"
	case "OM-04":
		dr.addName(ocltest.NameRow{Name: d.longText(i, d.en), Locale: en})
		dr.locale = en
	case "OM-05":
		dr.appendMarked(d.extMapping(i, "International Classification of Primary Care, 2nd edition (WONCA)", "WONCA", "NARROWER-THAN", icpcCode(uint64(i))))
	case "EX-01":
		d.setExtra(dr, "retired_reason", jsonString("Duplicate concept"))
	case "EX-02":
		d.setExtra(dr, "display_precision ", json.RawMessage("1"))
	case "EX-03": // display_precision written as a string
		d.setExtra(dr, "display_precision", jsonString("1"))
	case "EX-04": // allow_decimal written as the string "true"
		delete(dr.c.Extras, "precise")
		d.setExtra(dr, "allow_decimal", jsonString("true"))
	case "EX-05":
		d.setExtra(dr, "legacy_code", jsonString("X-"+strconv.Itoa(i)))
	default:
		panic("dataset: no injection for rule " + p.rule) // Rules and this switch must agree
	}
}

// supportPartner edits the second concept of a cross-concept injection. Most partners
// stay as generated; they only must not change.
func (d *Dataset) supportPartner(dr *draft, i int, p *plan) {
	switch p.rule {
	case "FR-26": // make sure the earlier concept really claims its SNOMED CT code
		dr.dropSource(srcSNOMED)
		dr.maps = append(dr.maps, d.snomedSameAs(i, i))
	case "XR-05": // the way back of the cycle
		d.appendWeighted(dr, d.ownMapping(i, ocl.MapTypeConceptSet, p.partner))
	}
}

// snomedSameAs maps concept i SAME-AS the SNOMED CT code that concept owner claims.
func (d *Dataset) snomedSameAs(i, owner int) ocltest.MappingRow {
	s := extSources[srcSNOMED]
	return d.extMapping(i, s.name, s.owner, ocl.MapTypeSameAs, s.code(uint64(owner)))
}

func (d *Dataset) setExtra(dr *draft, key string, value json.RawMessage) {
	if dr.c.Extras == nil {
		dr.c.Extras = ocltest.Extras{}
	}
	dr.c.Extras[key] = value
	dr.field = "extras." + key
}

func (dr *draft) addName(n ocltest.NameRow) { dr.c.Names = append(dr.c.Names, n) }

// otherLocale is the first locale other than English, or English when it is alone.
func (d *Dataset) otherLocale() int {
	for li := range d.spec.Locales {
		if li != d.en {
			return li
		}
	}
	return d.en
}

func (d *Dataset) unsupportedLocale() string {
	for _, loc := range unsupportedLocales {
		if !slices.Contains(d.spec.Locales, loc) {
			return loc
		}
	}
	return "x-unsupported"
}
