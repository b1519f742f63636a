package dataset

import (
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// Name variants: every text of concept i in one locale starts with the concept's unique
// word and continues with a syllable that differs per variant, so the texts of one
// concept never repeat within a locale (FR-02) and no two concepts share any text
// (FR-09, FR-10). Variants above the natural ones are reserved for injections.
const (
	variantFSN        = 0
	variantSynonym    = 1 // 1..maxSynonyms
	maxSynonyms       = 3
	variantIndexTerm  = 4
	variantExtraPref  = 5  // FR-01
	variantIndexPref  = 6  // FR-04
	variantSecondFSN  = 7  // FR-05
	variantOddType    = 8  // FR-07
	variantForeign    = 9  // FR-08
	variantEntity     = 10 // FR-15
	variantLong       = 11 // OM-04
	variantDefinition = 12 // descriptions
	variantRetired    = 13 // retired synonyms and descriptions (Era2026)
)

// localeShare is the chance that a concept has names in the n-th non-English locale.
func localeShare(n int) float64 {
	switch n {
	case 0:
		return 0.6
	case 1:
		return 0.45
	case 2:
		return 0.3
	}
	return 0.12
}

// hasLocale tells whether concept i has names in locale li. English always.
func (d *Dataset) hasLocale(i, li int) bool {
	if li == d.en {
		return true
	}
	rank := li
	if li > d.en {
		rank--
	}
	return unit(hash3(d.seed, saltLocale, uint64(i), uint64(li))) < localeShare(rank)
}

// nameText is the text of a name variant of concept i in locale li.
func (d *Dataset) nameText(i, li, variant int) string {
	base := hash3(d.seed, saltNameBase, uint64(i), uint64(li)) % numSyllables
	h := hash3(d.seed, saltName, uint64(i), uint64(li)<<8|uint64(variant))
	b := make([]byte, 0, 40)
	b = appendUniqueWord(b, i, d.width, li*13)
	capitalize(b)
	b = append(b, ' ')
	b = append(b, syllables[(base+uint64(variant))%numSyllables]...)
	b = appendPseudoWord(b, h)
	if h%3 == 0 {
		b = append(b, ' ')
		b = appendPseudoWord(b, mix(h))
	}
	return string(b)
}

// shortText is an abbreviation: the unique word's consonants, upper-cased.
func (d *Dataset) shortText(i, li int) string {
	w := appendUniqueWord(nil, i, d.width, li*13)
	out := make([]byte, 0, len(w)/2)
	for j := 0; j < len(w); j += 2 {
		out = append(out, w[j]-('a'-'A'))
	}
	return string(out)
}

// sentence is a pseudo-text of several words, for descriptions.
func sentence(h uint64, words int) string {
	b := make([]byte, 0, words*7)
	for w := range words {
		if w > 0 {
			b = append(b, ' ')
		}
		h = mix(h + uint64(w))
		b = appendPseudoWord(b, h)
	}
	capitalize(b)
	return string(append(b, '.'))
}

// addNames writes the names of concept i: per locale one preferred FULLY_SPECIFIED
// name, a few synonyms, sometimes a SHORT name and an INDEX_TERM (never preferred).
func (d *Dataset) addNames(dr *draft, i int, r *stream) {
	for li, loc := range d.spec.Locales {
		if !d.hasLocale(i, li) {
			continue
		}
		english := li == d.en
		dr.c.Names = append(dr.c.Names, ocltest.NameRow{
			Name: d.nameText(i, li, variantFSN), Locale: loc, LocalePreferred: true,
			NameType: ocl.NameTypeFullySpecified,
		})
		synonyms := r.intn(3)
		if english {
			synonyms = r.intn(maxSynonyms + 1)
		}
		for s := range synonyms {
			name := ocltest.NameRow{Name: d.nameText(i, li, variantSynonym+s), Locale: loc}
			if r.chance(0.1) {
				name.NameType = "SYNONYM" // some sources spell synonyms out
			}
			dr.c.Names = append(dr.c.Names, name)
		}
		if r.chance(pick(english, 0.25, 0.05)) {
			dr.c.Names = append(dr.c.Names, ocltest.NameRow{Name: d.shortText(i, li), Locale: loc, NameType: ocl.NameTypeShort})
		}
		if r.chance(pick(english, 0.1, 0.03)) {
			dr.c.Names = append(dr.c.Names, ocltest.NameRow{Name: d.nameText(i, li, variantIndexTerm), Locale: loc, NameType: ocl.NameTypeIndexTerm})
		}
	}
}

// addDescriptions writes definitions in some locales.
func (d *Dataset) addDescriptions(dr *draft, i int, r *stream) {
	for li, loc := range d.spec.Locales {
		if !d.hasLocale(i, li) || !r.chance(pick(li == d.en, 0.35, 0.08)) {
			continue
		}
		h := hash3(d.seed, saltName, uint64(i), uint64(li)<<8|variantDefinition)
		dr.c.Descriptions = append(dr.c.Descriptions, ocltest.DescriptionRow{
			Description: sentence(h, 6+int(h%12)), Locale: loc, LocalePreferred: true,
			DescriptionType: "Definition",
		})
	}
}

func pick[T any](cond bool, yes, no T) T {
	if cond {
		return yes
	}
	return no
}

// Name edits used by injections.

// nameIndex returns the position of the first name in locale that satisfies match, or -1.
func (dr *draft) nameIndex(locale string, match func(n *ocltest.NameRow) bool) int {
	for k := range dr.c.Names {
		if n := &dr.c.Names[k]; n.Locale == locale && match(n) {
			return k
		}
	}
	return -1
}

func isFSN(n *ocltest.NameRow) bool {
	return ocl.NormalizeNameType(n.NameType) == ocl.NameTypeFullySpecified
}

func isSynonym(n *ocltest.NameRow) bool {
	return ocl.NormalizeNameType(n.NameType) == ocl.NameTypeSynonym
}

func isShort(n *ocltest.NameRow) bool { return ocl.NormalizeNameType(n.NameType) == ocl.NameTypeShort }

// fsn returns the FULLY_SPECIFIED name of locale, which every generated locale has.
func (dr *draft) fsn(locale string) *ocltest.NameRow {
	k := dr.nameIndex(locale, isFSN)
	if k < 0 {
		panic("dataset: no fully specified name in " + locale) // generator invariant
	}
	return &dr.c.Names[k]
}

// ensureLocale gives concept i its preferred FULLY_SPECIFIED name in locale li if it
// has no names there yet.
func (d *Dataset) ensureLocale(dr *draft, i, li int) {
	loc := d.spec.Locales[li]
	if dr.nameIndex(loc, func(*ocltest.NameRow) bool { return true }) >= 0 {
		return
	}
	dr.c.Names = append(dr.c.Names, ocltest.NameRow{
		Name: d.nameText(i, li, variantFSN), Locale: loc, LocalePreferred: true,
		NameType: ocl.NameTypeFullySpecified,
	})
}

// longText is a name of more than 255 characters (OM-04), still unique to concept i.
func (d *Dataset) longText(i, li int) string {
	var b strings.Builder
	b.WriteString(d.nameText(i, li, variantLong))
	for h := uint64(i); b.Len() <= 300; h = mix(h) {
		b.WriteByte(' ')
		b.Write(appendPseudoWord(nil, h))
	}
	return b.String()
}
