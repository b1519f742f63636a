package dataset

import (
	"strconv"
	"strings"
)

// extSource is an external terminology that concepts map to (to_concept_url is null).
type extSource struct {
	name  string
	owner string
	// code spells value v as a code of this terminology. For every source with SAME-AS
	// mappings it is injective in v, so SAME-AS mappings drawn with v = concept index
	// never claim the same code twice (FR-26).
	code func(v uint64) string
	// sameAs is the share of mappings to this source that are SAME-AS.
	sameAs float64
}

// Source names as CIEL writes them.
const (
	srcSNOMED   = "SNOMED CT"
	srcICD10    = "ICD-10-WHO"
	srcICD11    = "ICD-11-WHO"
	srcLOINC    = "LOINC"
	srcRxNorm   = "RxNORM"
	srcPIH      = "PIH"
	srcAMPATH   = "AMPATH"
	srcIMO      = "IMO ProblemIT"
	srcSNOMEDNP = "SNOMED NP"
	srcATC      = "WHO ATC"
	srcICPC2    = "ICPC2"
)

var extSources = map[string]*extSource{
	srcSNOMED:   {name: srcSNOMED, owner: "IHTSDO", code: offsetCode(100000000, 37), sameAs: 0.75},
	srcICD10:    {name: srcICD10, owner: "WHO", code: icd10Code, sameAs: 0.5},
	srcICD11:    {name: srcICD11, owner: "WHO", code: icd11Code, sameAs: 0.4},
	srcLOINC:    {name: srcLOINC, owner: "Regenstrief", code: loincCode, sameAs: 0.9},
	srcRxNorm:   {name: srcRxNorm, owner: "NLM", code: offsetCode(200000, 1), sameAs: 0.7},
	srcPIH:      {name: srcPIH, owner: "PIH", code: offsetCode(1000, 1), sameAs: 1},
	srcAMPATH:   {name: srcAMPATH, owner: "AMPATH", code: offsetCode(5000, 1), sameAs: 1},
	srcIMO:      {name: srcIMO, owner: "IMO", code: offsetCode(10000, 3), sameAs: 0.6},
	srcSNOMEDNP: {name: srcSNOMEDNP, owner: "IHTSDO", code: offsetCode(400000000, 11), sameAs: 0.3},
	srcATC:      {name: srcATC, owner: "WHO", code: atcCode, sameAs: 0},
	srcICPC2:    {name: srcICPC2, owner: "WONCA", code: icpcCode, sameAs: 0},
}

// sourceGroups lists, per group, the terminologies its concepts map to and how many
// of them (at most len) a concept uses.
var sourceGroups = [...]struct {
	sources  []string
	min, max int
}{
	groupClinical: {[]string{srcSNOMED, srcICD10, srcICD11, srcIMO, srcPIH, srcAMPATH, srcSNOMEDNP, srcICPC2}, 2, 7},
	groupDrug:     {[]string{srcRxNorm, srcATC, srcSNOMED, srcPIH, srcAMPATH}, 2, 5},
	groupTest:     {[]string{srcLOINC, srcSNOMED, srcPIH, srcAMPATH}, 2, 4},
	groupOther:    {[]string{srcSNOMED, srcPIH, srcAMPATH, srcLOINC}, 1, 3},
}

// otherMapTypes are the non-SAME-AS relations to external terminologies.
var otherMapTypes = []string{"NARROWER-THAN", "NARROWER-THAN", "BROADER-THAN", "Associated with"}

func offsetCode(offset, stride uint64) func(uint64) string {
	return func(v uint64) string { return strconv.FormatUint(offset+v*stride, 10) }
}

// icd10Code gives codes like "K35.2". The decimal part never uses the digit 8, so no
// generated code is residual (".8", FR-23).
func icd10Code(v uint64) string {
	var b strings.Builder
	b.WriteByte(byte('A' + v%26))
	v /= 26
	b.WriteByte(byte('0' + v%10))
	v /= 10
	b.WriteByte(byte('0' + v%10))
	v /= 10
	b.WriteByte('.')
	writeRadix(&b, v, "012345679")
	return b.String()
}

// icd11Alphabet is ICD-11's code alphabet without I and O, and without Y so that a
// generated code never looks residual (FR-23).
const icd11Alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXZ"

// icd11Code gives codes like "1A2B.3".
func icd11Code(v uint64) string {
	var b strings.Builder
	b.WriteByte(icd11Alphabet[1+v%9])
	v /= 9
	b.WriteByte(icd11Alphabet[10+v%23])
	v /= 23
	b.WriteByte(icd11Alphabet[v%10])
	v /= 10
	b.WriteByte(icd11Alphabet[v%33])
	v /= 33
	if v > 0 {
		b.WriteByte('.')
		writeRadix(&b, v, icd11Alphabet)
	}
	return b.String()
}

// icd11Residual is an "other specified" ICD-11 code: it ends in Y, and no icd11Code
// does, so it is claimed by no other concept.
func icd11Residual(v uint64) string { return icd11Code(v) + "Y" }

// loincCode gives codes like "12345-6".
func loincCode(v uint64) string {
	return strconv.FormatUint(1000+v, 10) + "-" + strconv.FormatUint(v%10, 10)
}

// atcCode gives codes like "J05AF01".
func atcCode(v uint64) string {
	var b strings.Builder
	b.WriteByte("ABCDGHJLMNPRSV"[v%14])
	v /= 14
	b.WriteByte(byte('0' + v%10))
	b.WriteByte(byte('1' + v%9))
	v /= 10
	b.WriteByte(byte('A' + v%26))
	v /= 26
	b.WriteByte(byte('A' + v%26))
	v /= 26
	b.WriteString(strconv.FormatUint(10+v%90, 10))
	return b.String()
}

// icpcCode gives codes like "D73".
func icpcCode(v uint64) string {
	return string(rune('A'+v%26)) + strconv.FormatUint(10+v/26%90, 10)
}

// writeRadix writes v in the given digit alphabet, most significant digit first.
func writeRadix(b *strings.Builder, v uint64, alphabet string) {
	base := uint64(len(alphabet))
	var digits [24]byte
	n := 0
	for {
		digits[n] = alphabet[v%base]
		n++
		v /= base
		if v == 0 {
			break
		}
	}
	for n > 0 {
		n--
		b.WriteByte(digits[n])
	}
}
