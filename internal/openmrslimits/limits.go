// Package openmrslimits holds what OpenMRS's columns can store and how a row's uuid is
// chosen. The SQL writer (internal/export) refuses an export that breaks these limits and
// QA (internal/qa) reports the same problems, so both decide with these functions.
package openmrslimits

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// MaxTextBytes is what a MySQL TEXT column holds (concept_description.description).
const MaxTextBytes = 65535

// StorableNumber reports whether a MySQL DOUBLE (concept_numeric's ranges,
// concept_answer.sort_weight, concept_set.sort_weight) can hold v: NaN and ±Infinity
// cannot be written.
func StorableNumber(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// UnstorableText says why an OpenMRS utf8 (utf8mb3) column cannot hold s, or "": more
// bytes than a TEXT column holds, invalid UTF-8, or a character outside the Basic
// Multilingual Plane (4 bytes in UTF-8, such as an emoji), which utf8mb3 cannot store.
func UnstorableText(s string) string {
	if len(s) > MaxTextBytes {
		return fmt.Sprintf("text of %d bytes is longer than a MySQL TEXT column's %d bytes (%.40q…)", len(s), MaxTextBytes, s)
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n <= 1 {
				return fmt.Sprintf("%.40q is not valid UTF-8", s)
			}
		}
		if r > 0xFFFF {
			return fmt.Sprintf("%.40q holds %U, which OpenMRS's utf8 (utf8mb3) columns cannot store", s, r)
		}
	}
	return ""
}

// uuidNamespace seeds derived uuids so that they cannot collide with uuids made from
// the same text by other tools.
var uuidNamespace = []byte("shepherd-release/openmrs-export")

// DerivedUUID makes a stable, version-5-style uuid from parts. Rows whose export data
// has no usable uuid get one this way, so that re-running gives the same value.
func DerivedUUID(parts ...string) string {
	h := sha1.New()
	h.Write(uuidNamespace)
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	sum := h.Sum(nil)[:16]
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], sum[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], sum[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], sum[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], sum[8:10])
	out[23] = '-'
	hex.Encode(out[24:], sum[10:16])
	return string(out[:])
}

// LooksLikeUUID accepts the 36-character hyphenated form.
func LooksLikeUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// RowUUID is the uuid a row gets: the export's external id when it fits OpenMRS's
// char(38), else the OCL uuid when it is a real uuid, else a uuid derived from seed.
func RowUUID(externalID, oclUUID string, seed ...string) string {
	externalID = strings.TrimSpace(externalID)
	if externalID != "" && len(externalID) <= 38 {
		return externalID
	}
	if LooksLikeUUID(oclUUID) {
		return oclUUID
	}
	return DerivedUUID(seed...)
}
