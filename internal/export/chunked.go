package export

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"sort"
)

// chunked is an append-only list kept in chunks of fixed size: growing it never copies
// what it holds (at CIEL scale the keys of the read pass are some 25 MB).
type chunked[T any] struct {
	chunks [][]T
	n      int
}

const (
	chunkBits = 14
	chunkLen  = 1 << chunkBits
)

func (c *chunked[T]) add(v T) {
	if c.n&(chunkLen-1) == 0 {
		c.chunks = append(c.chunks, make([]T, 0, chunkLen))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
}

func (c *chunked[T]) len() int { return c.n }

func (c *chunked[T]) at(i int) *T { return &c.chunks[i>>chunkBits][i&(chunkLen-1)] }

// hashOrder returns the positions of the keys in hash order: a counting sort on the hash's
// leading bits (hashes are uniform, so the buckets hold a few keys each), then a sort
// within each bucket. The keys stay where they are, so they are never held twice; the order
// costs 4 bytes a key. Several times faster than sorting a million keys by comparison.
func hashOrder(keys *chunked[keyRec]) []int32 {
	n := keys.len()
	shift := 16 - min(max(bits.Len(uint(n))-3, 1), 16)
	bucket := func(r *keyRec) int { return int(binary.BigEndian.Uint16(r.h[:2]) >> shift) }
	starts := make([]int32, 1<<(16-shift)+1)
	for _, chunk := range keys.chunks {
		for i := range chunk {
			starts[bucket(&chunk[i])+1]++
		}
	}
	for i := 1; i < len(starts); i++ {
		starts[i] += starts[i-1]
	}
	next := slices.Clone(starts[:len(starts)-1])
	order := make([]int32, n)
	pos := int32(0)
	for _, chunk := range keys.chunks {
		for i := range chunk {
			k := bucket(&chunk[i])
			order[next[k]] = pos
			next[k]++
			pos++
		}
	}
	byHash := func(x, y int32) int { return compareHash(keys.at(int(x)).h, keys.at(int(y)).h) }
	for k := 0; k+1 < len(starts); k++ {
		if part := order[starts[k]:starts[k+1]]; len(part) > 1 {
			slices.SortFunc(part, byHash)
		}
	}
	return order
}

// keyIndex is a table's keys with their order by hash.
type keyIndex struct {
	keys  chunked[keyRec]
	order []int32
}

// has reports whether a key of hash h is in the index.
func (x *keyIndex) has(h [16]byte) bool {
	i := sort.Search(len(x.order), func(i int) bool { return compareHash(x.keys.at(int(x.order[i])).h, h) >= 0 })
	return i < len(x.order) && x.keys.at(int(x.order[i])).h == h
}
