package qa

import (
	"hash/maphash"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/transform"
)

// folder turns text into its comparison form (trimmed, Unicode case-folded, then
// lower-cased) without allocating: ASCII takes a byte loop, the rest goes through a
// reused case-folding transformer. Not safe for concurrent use.
type folder struct {
	caser cases.Caser
	src   []byte
	tmp   []byte
}

func newFolder() *folder {
	return &folder{caser: cases.Fold(), tmp: make([]byte, 256)}
}

// appendFold appends the comparison form of s to dst.
func (f *folder) appendFold(dst []byte, s string) []byte {
	s = strings.TrimSpace(s)
	if isASCII(s) {
		for i := 0; i < len(s); i++ {
			dst = append(dst, lowerASCII(s[i]))
		}
		return dst
	}
	f.src = append(f.src[:0], s...)
	for {
		f.caser.Reset()
		n, _, err := f.caser.Transform(f.tmp, f.src, true)
		if err == transform.ErrShortDst {
			f.tmp = make([]byte, 2*len(f.tmp)+len(f.src))
			continue
		}
		if err != nil {
			return append(dst, strings.ToLower(s)...)
		}
		for folded := f.tmp[:n]; len(folded) > 0; {
			r, size := utf8.DecodeRune(folded)
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
			folded = folded[size:]
		}
		return dst
	}
}

// hasher derives 64-bit keys for the engine's indexes. A collision between two of a few
// hundred thousand keys has a probability around 1e-9, which the rules accept in
// exchange for indexes that hold no strings.
type hasher struct {
	seed maphash.Seed
	buf  []byte
	fold *folder
}

func newHasher() *hasher {
	return &hasher{seed: maphash.MakeSeed(), buf: make([]byte, 0, 256), fold: newFolder()}
}

// text hashes the comparison form of a name; never 0, so that 0 can mean "blank".
func (h *hasher) text(s string) uint64 {
	h.buf = h.fold.appendFold(h.buf[:0], s)
	if k := maphash.Bytes(h.seed, h.buf); k != 0 {
		return k
	}
	return 1
}

// exact hashes s as it is.
func (h *hasher) exact(s string) uint64 { return maphash.String(h.seed, s) }

// lower hashes s lower-cased (source names, external ids).
func (h *hasher) lower(s string) uint64 {
	if isASCII(s) {
		h.buf = h.buf[:0]
		for i := 0; i < len(s); i++ {
			h.buf = append(h.buf, lowerASCII(s[i]))
		}
		return maphash.Bytes(h.seed, h.buf)
	}
	return maphash.String(h.seed, strings.ToLower(s))
}

// key namespaces keep the indexes' hashed keys apart from one another.
const (
	nsFSN uint64 = iota + 1
	nsPreferred
	nsGroup
	nsSameAsSource
	nsClaim
	nsClaimReported
	nsConcept
	nsUUID
)

// mix combines hashes into one key (splitmix64 finaliser over a running sum).
func mix(parts ...uint64) uint64 {
	var h uint64 = 0x9e3779b97f4a7c15
	for _, p := range parts {
		h ^= p
		h += 0x9e3779b97f4a7c15
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// smallLower is the size of the stack buffers appendLower fills for datatypes and
// classes, so that looking them up costs no allocation.
const smallLower = 32

// appendLower appends strings.ToLower(s) to dst, byte by byte when s is ASCII.
func appendLower(dst []byte, s string) []byte {
	if !isASCII(s) {
		return append(dst, strings.ToLower(s)...)
	}
	for i := 0; i < len(s); i++ {
		dst = append(dst, lowerASCII(s[i]))
	}
	return dst
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// indexFoldASCII finds sub (lower-case ASCII) in s, ignoring ASCII case.
func indexFoldASCII(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for j < len(sub) && lowerASCII(s[i+j]) == sub[j] {
			j++
		}
		if j == len(sub) {
			return i
		}
	}
	return -1
}

// conjunctions that FR-19 looks for after a space, longest first so that "and/or" is
// named as such.
var conjunctions = [...]string{"and/or ", "and ", "or "}

// findConjunction returns the first of " and/or ", " and ", " or " in s, ignoring case.
// It only looks after spaces, which keeps the scan of every preferred name short.
func findConjunction(s string) (string, bool) {
	for i := strings.IndexByte(s, ' '); i >= 0; {
		rest := s[i+1:]
		for _, c := range conjunctions {
			if hasPrefixFoldASCII(rest, c) {
				return " " + c, true
			}
		}
		j := strings.IndexByte(rest, ' ')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return "", false
}

// hasPrefixFoldASCII reports whether s starts with prefix (lower-case ASCII), ignoring case.
func hasPrefixFoldASCII(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lowerASCII(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// longerThan reports whether s has more than n characters, counting only when the
// byte length leaves a doubt.
func longerThan(s string, n int) bool { return len(s) > n && runeLen(s) > n }

// hasWordOther reports whether s contains "other" as a word, ignoring case.
func hasWordOther(s string) bool {
	const word = "other"
	for from := 0; from < len(s); {
		i := indexFoldASCII(s[from:], word)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(word)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (start == 0 || !isWordRune(before)) && (end == len(s) || !isWordRune(after)) {
			return true
		}
		from = start + 1
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// findHTMLEntity returns the first HTML entity in s: &name;, &#NN; or &#xHH;.
func findHTMLEntity(s string) (string, bool) {
	for from := 0; ; {
		i := strings.IndexByte(s[from:], '&')
		if i < 0 {
			return "", false
		}
		start := from + i
		if n := entityLen(s[start:]); n > 0 {
			return s[start : start+n], true
		}
		from = start + 1
	}
}

// entityLen is the length of the entity s starts with, or 0.
func entityLen(s string) int {
	i := 1 // past '&'
	switch {
	case strings.HasPrefix(s, "&#x"), strings.HasPrefix(s, "&#X"):
		i = 3
		for i < len(s) && isHexDigit(s[i]) {
			i++
		}
		if i == 3 {
			return 0
		}
	case strings.HasPrefix(s, "&#"):
		i = 2
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == 2 {
			return 0
		}
	default:
		if i >= len(s) || !isASCIILetter(s[i]) {
			return 0
		}
		for i < len(s) && (isASCIILetter(s[i]) || '0' <= s[i] && s[i] <= '9') {
			i++
		}
	}
	if i < len(s) && s[i] == ';' {
		return i + 1
	}
	return 0
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// compareCodes orders codes numerically when both are numbers ("2" < "10"), numbers
// before other codes, and other codes lexically.
func compareCodes(a, b string) int {
	an, bn := isDigits(a), isDigits(b)
	switch {
	case an && bn:
		ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(ta) != len(tb) {
			return len(ta) - len(tb)
		}
		if c := strings.Compare(ta, tb); c != 0 {
			return c
		}
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

// runeLen counts characters, as OpenMRS column sizes do.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// quoteList renders texts as "a", "b", "c" for messages.
func quoteList(texts []string) string {
	var b strings.Builder
	for i, t := range texts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(t))
	}
	return b.String()
}

// countWord spells small counts for messages ("two preferred names").
func countWord(n int) string {
	switch n {
	case 2:
		return "two"
	case 3:
		return "three"
	case 4:
		return "four"
	}
	return strconv.Itoa(n)
}

// repoFromURL reads owner, name and kind ("sources" or "collections") from
// "/orgs/ORG/sources/SOURCE/..." (or /users/USER/…, or …/collections/NAME/…).
func repoFromURL(u string) (owner, name, kind string) {
	parts := strings.Split(strings.Trim(u, "/"), "/")
	if len(parts) >= 4 && (parts[0] == "orgs" || parts[0] == "users") && (parts[2] == "sources" || parts[2] == "collections") {
		return parts[1], parts[3], parts[2]
	}
	return "", "", ""
}
