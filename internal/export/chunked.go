package export

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"sort"
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

// sortByHash sorts the keys by hash where they are, so that they are never held twice: an
// American flag sort on the hash's leading bits (hashes are uniform, so the buckets hold a
// few keys each), then a sort within each bucket. Several times faster than sorting a
// million keys by comparison.
func sortByHash(keys *chunked[keyRec]) {
	n := keys.len()
	b := min(max(bits.Len(uint(n))-3, 1), 16)
	bucket := func(r *keyRec) int { return int(binary.BigEndian.Uint16(r.h[:2]) >> (16 - b)) }
	starts := make([]int, 1<<b+1)
	for _, chunk := range keys.chunks {
		for i := range chunk {
			starts[bucket(&chunk[i])+1]++
		}
	}
	for i := 1; i < len(starts); i++ {
		starts[i] += starts[i-1]
	}
	// next[k]: the first place of bucket k whose key is not yet known to be in it. Each
	// key taken out is swapped into its bucket's next place, taking out the key there, until
	// one belongs where the cycle began.
	next := slices.Clone(starts[:len(starts)-1])
	for k := range next {
		for next[k] < starts[k+1] {
			v := *keys.at(next[k])
			for d := bucket(&v); d != k; d = bucket(&v) {
				p := keys.at(next[d])
				next[d]++
				v, *p = *p, v
			}
			*keys.at(next[k]) = v
			next[k]++
		}
	}
	byHash := func(x, y keyRec) int { return compareHash(x.h, y.h) }
	var spill []keyRec
	for k := 0; k+1 < len(starts); k++ {
		lo, hi := starts[k], starts[k+1]
		switch {
		case hi-lo < 2:
		case lo>>chunkBits == (hi-1)>>chunkBits:
			chunk := keys.chunks[lo>>chunkBits]
			slices.SortFunc(chunk[lo&(chunkLen-1):(hi-1)&(chunkLen-1)+1], byHash)
		default: // the bucket spans two chunks
			spill = spill[:0]
			for i := lo; i < hi; i++ {
				spill = append(spill, *keys.at(i))
			}
			slices.SortFunc(spill, byHash)
			for i := lo; i < hi; i++ {
				*keys.at(i) = spill[i-lo]
			}
		}
	}
}

// searchHash finds the key of hash h among keys sorted by hash.
func searchHash(keys *chunked[keyRec], h [16]byte) bool {
	i := sort.Search(keys.len(), func(i int) bool { return compareHash(keys.at(i).h, h) >= 0 })
	return i < keys.len() && keys.at(i).h == h
}
