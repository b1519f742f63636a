package qa

import "math/bits"

// keyTable maps the engine's 64-bit hashed keys to small values. At CIEL scale the
// indexes hold well over a million keys, and a Go map spends about 26 bytes on each
// 8-byte key and 8-byte value (its slots are padded, kept at most 7/8 full and half full
// after growing). keyTable keeps keys and values in separate arrays (12 bytes for a
// uint32 value), fills them up to 15/16 and grows them by a sixth, so an entry costs
// 13–15 bytes. It is split into parts by the key's top bits and each part grows on its
// own, so growing never holds two copies of the whole table: the peak stays close to
// what is stored. Linear probing over random keys reads consecutive slots, a few cache
// lines even in a full part. The zero key marks an empty slot, so key 0 is stored as 1 (as likely as any other
// collision of two 64-bit hashes). Not safe for concurrent use.
type keyTable[V tableValue] struct {
	parts []tablePart[V] // nil until the first insert
	n     int
}

// tableValue is what a keyTable may map keys to; a keyTable[none] is a set of keys, 8
// bytes a slot.
type tableValue interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64 | none
}

// none is the value of a set: it takes no memory.
type none struct{}

type tablePart[V tableValue] struct {
	keys []uint64
	vals []V
	n    int
}

// tablePartBits is log2 of the number of parts: 256 parts keep the table of an empty
// source small and each part's growth at a 256th of the whole.
const tablePartBits = 8

func storedKey(k uint64) uint64 {
	if k == 0 {
		return 1
	}
	return k
}

func (t *keyTable[V]) part(k uint64) *tablePart[V] {
	if t.parts == nil {
		t.parts = make([]tablePart[V], 1<<tablePartBits)
	}
	return &t.parts[k>>(64-tablePartBits)]
}

// Len is the number of keys stored.
func (t *keyTable[V]) Len() int { return t.n }

// get returns k's value.
func (t *keyTable[V]) get(k uint64) (V, bool) {
	if t.parts == nil {
		var zero V
		return zero, false
	}
	k = storedKey(k)
	p := &t.parts[k>>(64-tablePartBits)]
	if len(p.keys) == 0 {
		var zero V
		return zero, false
	}
	i, found := p.slot(k)
	return p.vals[i], found
}

// ref returns where k's value is kept, adding k with the zero value when absent (added
// is then true). The pointer is valid until the next change to the table.
func (t *keyTable[V]) ref(k uint64) (v *V, added bool) {
	k = storedKey(k)
	p := t.part(k)
	if p.n+1 > len(p.keys)-len(p.keys)/16 {
		p.grow()
	}
	i, found := p.slot(k)
	if !found {
		p.keys[i] = k
		p.n++
		t.n++
	}
	return &p.vals[i], !found
}

// add stores v under k unless k is there; it returns the value k has afterwards and
// whether it was there before.
func (t *keyTable[V]) add(k uint64, v V) (V, bool) {
	r, added := t.ref(k)
	if added {
		*r = v
	}
	return *r, !added
}

// set stores v under k.
func (t *keyTable[V]) set(k uint64, v V) {
	r, _ := t.ref(k)
	*r = v
}

// slot finds k, or the empty slot where it belongs. The part has at least one empty
// slot.
func (p *tablePart[V]) slot(k uint64) (int, bool) {
	// The top bits chose the part; the others, scaled to the part's size, the first slot.
	hi, _ := bits.Mul64(k<<tablePartBits, uint64(len(p.keys)))
	i := int(hi)
	for {
		switch p.keys[i] {
		case k:
			return i, true
		case 0:
			return i, false
		}
		if i++; i == len(p.keys) {
			i = 0
		}
	}
}

func (p *tablePart[V]) grow() {
	size := len(p.keys) + len(p.keys)/6
	if size < 16 {
		size = 16
	}
	old := *p
	p.keys, p.vals = make([]uint64, size), make([]V, size)
	for j, k := range old.keys {
		if k != 0 {
			i, _ := p.slot(k)
			p.keys[i], p.vals[i] = k, old.vals[j]
		}
	}
}
