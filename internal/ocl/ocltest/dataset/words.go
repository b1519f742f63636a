package dataset

// Names are pseudo-words built from consonant-vowel syllables. Because every syllable
// starts with a consonant and no consonant pair like "th" can form, no generated text
// contains the words "and", "or" or "other", nor any '&': a clean dataset never trips
// FR-15, FR-19 or FR-23's exemption by accident.
const (
	consonants = "bdfgklmnprstvz"
	vowels     = "aeiou"
)

var syllables = func() []string {
	out := make([]string, 0, len(consonants)*len(vowels))
	for _, c := range consonants {
		for _, v := range vowels {
			out = append(out, string(c)+string(v))
		}
	}
	return out
}()

var numSyllables = uint64(len(syllables))

// uniqueWordWidth is how many syllables the per-concept word needs to tell n concepts apart.
func uniqueWordWidth(n int) int {
	w, capacity := 1, numSyllables
	for capacity < uint64(n) {
		w++
		capacity *= numSyllables
	}
	return max(w, 3) // three syllables read like a word even in tiny datasets
}

// appendUniqueWord spells concept index i in base-70 syllables, rotated per locale so
// that locales look different. It is injective in i for a fixed width and rotation, so
// any text that starts with it followed by a space belongs to one concept only.
func appendUniqueWord(dst []byte, i, width, rotation int) []byte {
	var digits [16]byte
	v := spread(uint64(i), width)
	for j := width - 1; j >= 0; j-- {
		digits[j] = byte(v % numSyllables)
		v /= numSyllables
	}
	for _, d := range digits[:width] {
		dst = append(dst, syllables[(uint64(d)+uint64(rotation))%numSyllables]...)
	}
	return dst
}

// spread is a bijection on [0, 70^width): multiplying by a number prime to 70 keeps
// neighbouring concepts from getting look-alike words.
func spread(v uint64, width int) uint64 {
	m := uint64(1)
	for range width {
		m *= numSyllables
	}
	return v * 9973 % m
}

// appendPseudoWord appends a word of 2–3 syllables drawn from h.
func appendPseudoWord(dst []byte, h uint64) []byte {
	n := 2 + h%2
	h /= 2
	for ; n > 0; n-- {
		dst = append(dst, syllables[h%numSyllables]...)
		h /= numSyllables
	}
	return dst
}

// capitalize upper-cases the first byte when it is an ASCII letter.
func capitalize(b []byte) []byte {
	if len(b) > 0 && b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return b
}
