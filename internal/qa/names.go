package qa

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// nameRec is one name reduced to what the name rules compare.
type nameRec struct {
	locale string
	key    uint64 // hash of the comparison form; 0 for a blank name
	idx    int32  // position in the concept's names
	kind   nameKind
	pref   bool
}

// conceptScratch is reused from concept to concept so that name rules do not allocate.
type conceptScratch struct {
	names []nameRec
	dups  []nameRec
	texts []string
}

// checkNames runs the name rules of one active concept, per name and per locale, and
// feeds the cross-concept name indexes (FR-09, FR-10). Retired names take part in none.
func (e *Engine) checkNames(c *ocl.Concept, ci uint32) {
	recs := e.scratch.names[:0]
	hasFSN, hasEnglishPreferred := false, false
	for i := range c.Names {
		n := &c.Names[i]
		if n.Retired {
			continue // not a name of the concept today; OM-03 and OM-04 still check it
		}
		r := nameRec{locale: strings.TrimSpace(n.Locale), idx: int32(i), kind: e.nameKinds.of(n.NameType), pref: n.LocalePreferred}
		if strings.TrimSpace(n.Name) != "" {
			r.key = e.hash.text(n.Name)
		}
		recs = append(recs, r)
		e.checkName(c, ci, r)
		if r.kind == nameFSN {
			hasFSN = true
			if hasWordOther(n.Name) {
				e.concepts[ci].flags |= conceptFSNOther
			}
		}
		if r.pref && strings.EqualFold(r.locale, "en") {
			hasEnglishPreferred = true
		}
	}
	// Stable: names keep their order within a locale, so messages list them as written.
	slices.SortStableFunc(recs, func(a, b nameRec) int { return strings.Compare(a.locale, b.locale) })
	for start := 0; start < len(recs); {
		end := start + 1
		for end < len(recs) && recs[end].locale == recs[start].locale {
			end++
		}
		e.checkLocale(c, ci, recs[start:end])
		start = end
	}
	e.scratch.names = recs
	if !hasFSN && e.on(fr06) {
		e.emit(fr06, ci, Finding{Message: "no FULLY_SPECIFIED name"})
	}
	if !hasEnglishPreferred && e.on(ce01) {
		e.emit(ce01, ci, Finding{Locale: "en", Message: "no English (en) preferred name"})
	}
}

// checkName runs the rules about a single name: FR-04, FR-07, FR-15.
func (e *Engine) checkName(c *ocl.Concept, ci uint32, r nameRec) {
	n := &c.Names[r.idx]
	locale := r.locale
	if r.pref && (r.kind == nameShort || r.kind == nameIndexTerm) && e.on(fr04) {
		e.emit(fr04, ci, Finding{Locale: locale,
			Message: fmt.Sprintf("%s name %q is the preferred name in locale %q", ocl.NormalizeNameType(n.NameType), n.Name, locale)})
	}
	if r.kind == nameUnknown && e.on(fr07) {
		e.emit(fr07, ci, Finding{Locale: locale, Field: "name_type",
			Message: fmt.Sprintf("name %q has the unknown name type %q", n.Name, n.NameType)})
	}
	if e.on(fr15) {
		if ent, ok := findHTMLEntity(n.Name); ok {
			e.emit(fr15, ci, Finding{Locale: locale, Field: "names",
				Message: fmt.Sprintf("name contains the HTML entity %s: %q", ent, n.Name)})
		}
	}
}

// checkLocale runs the rules about the names of one locale, given in their written order.
func (e *Engine) checkLocale(c *ocl.Concept, ci uint32, group []nameRec) {
	locale := group[0].locale
	var preferred, short, fsn int
	for _, r := range group {
		if r.pref {
			preferred++
		}
		switch r.kind {
		case nameShort:
			short++
		case nameFSN:
			fsn++
		}
	}
	if preferred > 1 && e.on(fr01) {
		e.emit(fr01, ci, Finding{Locale: locale, Message: fmt.Sprintf("%s preferred names in locale %q: %s",
			countWord(preferred), locale, e.nameTexts(c, group, func(r nameRec) bool { return r.pref }))})
	}
	if short > 1 && e.on(fr03) {
		e.emit(fr03, ci, Finding{Locale: locale, Message: fmt.Sprintf("%s SHORT names in locale %q: %s",
			countWord(short), locale, e.nameTexts(c, group, func(r nameRec) bool { return r.kind == nameShort }))})
	}
	if fsn > 1 && e.on(fr05) {
		e.emit(fr05, ci, Finding{Locale: locale, Message: fmt.Sprintf("%s FULLY_SPECIFIED names in locale %q: %s",
			countWord(fsn), locale, e.nameTexts(c, group, func(r nameRec) bool { return r.kind == nameFSN }))})
	}
	if e.on(fr02) {
		e.checkRepeatedNames(c, ci, locale, group)
	}
	if len(e.supported) > 0 && e.on(fr08) && !e.supportedLocale(group[0].locale) {
		e.emit(fr08, ci, Finding{Locale: locale, Message: fmt.Sprintf("locale %q is not among the version's supported locales (%s)",
			locale, strings.Join(e.supported, ", "))})
	}
	if e.on(fr19) {
		for _, r := range group {
			if !r.pref {
				continue
			}
			if conj, ok := findConjunction(c.Names[r.idx].Name); ok {
				e.emit(fr19, ci, Finding{Locale: locale, Message: fmt.Sprintf("preferred name %q contains %q: often two concepts in one",
					c.Names[r.idx].Name, strings.TrimSpace(conj))})
				break
			}
		}
	}
	localeKey := e.hash.exact(group[0].locale)
	e.checkSharedName(c, ci, group, fr09, nsFSN, localeKey, func(r nameRec) bool { return r.kind == nameFSN })
	e.checkSharedName(c, ci, group, fr10, nsPreferred, localeKey, func(r nameRec) bool { return r.pref })
}

// checkRepeatedNames runs FR-02: one finding per text repeated in the locale.
func (e *Engine) checkRepeatedNames(c *ocl.Concept, ci uint32, locale string, group []nameRec) {
	dups := e.scratch.dups[:0]
	for _, r := range group {
		if r.kind != nameShort && r.key != 0 {
			dups = append(dups, r)
		}
	}
	e.scratch.dups = dups
	if len(dups) < 2 {
		return
	}
	slices.SortFunc(dups, func(a, b nameRec) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	for start := 0; start < len(dups); {
		end := start + 1
		for end < len(dups) && dups[end].key == dups[start].key {
			end++
		}
		if end-start > 1 {
			e.emit(fr02, ci, Finding{Locale: locale, Message: fmt.Sprintf("%s names with the same text in locale %q: %s",
				countWord(end-start), locale, e.nameTexts(c, dups[start:end], nil))})
		}
		start = end
	}
}

// checkSharedName runs FR-09 or FR-10: the first concept with a name in a locale owns
// it; a later active concept with the same name gets one finding per locale.
func (e *Engine) checkSharedName(c *ocl.Concept, ci uint32, group []nameRec, r rule, ns, localeKey uint64, pick func(nameRec) bool) {
	if !e.on(r) {
		return
	}
	index := &e.idx.names
	reported := false
	for _, n := range group {
		if n.key == 0 || !pick(n) {
			continue
		}
		key := mix(ns, localeKey, n.key)
		first, ok := index.add(key, ci)
		if !ok {
			continue
		}
		if first == ci || reported {
			continue
		}
		reported = true
		what := "fully specified name"
		if r == fr10 {
			what = "preferred name"
		}
		e.emit(r, ci, Finding{Locale: n.locale, Message: fmt.Sprintf("%s %q in locale %q is also the %s of concept %s",
			what, strings.TrimSpace(c.Names[n.idx].Name), n.locale, what, e.code(first))})
	}
}

// nameTexts quotes the names picked from recs, in the order given.
func (e *Engine) nameTexts(c *ocl.Concept, recs []nameRec, pick func(nameRec) bool) string {
	texts := e.scratch.texts[:0]
	for _, r := range recs {
		if pick == nil || pick(r) {
			texts = append(texts, c.Names[r.idx].Name)
		}
	}
	e.scratch.texts = texts[:0]
	return quoteList(texts)
}

func (e *Engine) supportedLocale(locale string) bool {
	for _, l := range e.supported {
		if strings.EqualFold(l, locale) {
			return true
		}
	}
	return false
}
