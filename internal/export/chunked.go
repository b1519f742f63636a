package export

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// chunked is an append-only list kept in chunks of fixed size: growing it never copies
// what it holds (at CIEL scale the keys of the read pass are some 30 MB).
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

// sortedByHash moves the keys into one slice sorted by hash: a counting sort on the
// hash's leading bits (hashes are uniform, so the buckets hold a few keys each), then a
// sort within each bucket. Several times faster than sorting a million keys by comparison.
func sortedByHash(keys *chunked[keyRec]) []keyRec {
	n := keys.len()
	out := make([]keyRec, n)
	b := min(max(bits.Len(uint(n))-3, 1), 16)
	bucket := func(r *keyRec) int { return int(binary.BigEndian.Uint16(r.h[:2]) >> (16 - b)) }
	starts := make([]int32, 1<<b+1)
	for _, chunk := range keys.chunks {
		for i := range chunk {
			starts[bucket(&chunk[i])+1]++
		}
	}
	for i := 1; i < len(starts); i++ {
		starts[i] += starts[i-1]
	}
	next := slices.Clone(starts[:len(starts)-1])
	for ci, chunk := range keys.chunks {
		for i := range chunk {
			k := bucket(&chunk[i])
			out[next[k]] = chunk[i]
			next[k]++
		}
		keys.chunks[ci] = nil // what is moved is no longer needed twice
	}
	*keys = chunked[keyRec]{}
	for k := 0; k+1 < len(starts); k++ {
		if part := out[starts[k]:starts[k+1]]; len(part) > 1 {
			slices.SortFunc(part, func(x, y keyRec) int { return compareHash(x.h, y.h) })
		}
	}
	return out
}
