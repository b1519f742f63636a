package dataset

// Everything random here is a pure function of (seed, concept index, purpose): a concept
// can be produced alone, in any order, and always comes out the same.

// Salts keep the values drawn for different purposes independent of each other.
const (
	saltConcept uint64 = iota + 1
	saltRole
	saltRetired
	saltLocale
	saltName
	saltNameBase
	saltUUID
	saltPlacement
	saltDate
	saltHistory
)

// mix is the splitmix64 finaliser: neighbouring inputs give unrelated outputs.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

const golden = 0x9e3779b97f4a7c15

func hash2(seed, salt, a uint64) uint64 {
	return mix(mix(seed^salt*golden) + a*golden)
}

func hash3(seed, salt, a, b uint64) uint64 {
	return mix(hash2(seed, salt, a) + b*golden)
}

// unit maps a hash onto [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// stream is a splitmix64 generator: cheap to create, so each concept gets its own.
type stream struct{ state uint64 }

func (s *stream) next() uint64 {
	s.state += golden
	return mix(s.state)
}

func (s *stream) intn(n int) int { return int(s.next() % uint64(n)) }

// between returns an integer in [lo, hi].
func (s *stream) between(lo, hi int) int { return lo + s.intn(hi-lo+1) }

func (s *stream) chance(p float64) bool { return unit(s.next()) < p }

func (s *stream) pick(xs []string) string { return xs[s.intn(len(xs))] }

// uuidKind separates the identifiers of different kinds of item so they never collide.
type uuidKind uint64

const (
	uuidConcept uuidKind = iota + 1
	uuidName
	uuidDescription
	uuidMapping
)

const hexDigits = "0123456789abcdef"

// uuid returns a version-4-shaped identifier (36 characters) for item k of kind of
// concept i. The last group encodes (i, k, kind) bijectively, so identifiers are unique
// by construction, not merely with high probability.
func uuid(seed uint64, kind uuidKind, i, k int) string {
	h := hash3(seed, saltUUID+uint64(kind), uint64(i), uint64(k))
	h2 := mix(h)
	tail := scramble48(uint64(i)<<12 | uint64(k&0xff)<<4 | uint64(kind) ^ mix(seed))
	var b [36]byte
	putHex(b[0:8], h>>32)
	b[8] = '-'
	putHex(b[9:13], h>>16)
	b[13] = '-'
	putHex(b[14:18], 0x4000|h&0x0fff)
	b[18] = '-'
	putHex(b[19:23], 0x8000|h2&0x3fff)
	b[23] = '-'
	putHex(b[24:36], tail)
	return string(b[:])
}

// scramble48 is a bijection on 48-bit values (an odd multiplier, then a xor-shift), so
// consecutive items do not get look-alike identifiers.
func scramble48(x uint64) uint64 {
	const mask = 1<<48 - 1
	x = x & mask * 0x9e3779b97f4b & mask
	return x ^ x>>23
}

// putHex writes the low len(dst)*4 bits of v as lower-case hex.
func putHex(dst []byte, v uint64) {
	for j := len(dst) - 1; j >= 0; j-- {
		dst[j] = hexDigits[v&0xf]
		v >>= 4
	}
}
