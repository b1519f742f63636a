package export

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The radix sort gives what a stable sort by value gives, ties in position order, for
// values of every sign and spread (one digit only, both digits, negative).
func TestSortedByInt32MatchesAStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		n    int
		draw func() int32
	}{
		{10, func() int32 { return rng.Int32N(5) }},
		{5000, func() int32 { return rng.Int32N(100) }},            // low digit only, many ties
		{5000, func() int32 { return rng.Int32() - 1<<30 }},        // both digits, negative values
		{70000, func() int32 { return int32(rng.Uint32()) }},       // the full range
		{3000, func() int32 { return 7 }},                          // all equal
		{3000, func() int32 { return int32(rng.Int32N(3)) << 20 }}, // high digit only
	} {
		values := make([]int32, tc.n)
		for i := range values {
			values[i] = tc.draw()
		}
		positions := make([]int32, tc.n)
		for i := range positions {
			positions[i] = int32(i)
		}
		want := slices.Clone(positions)
		slices.SortStableFunc(want, func(a, b int32) int { return cmp.Compare(values[a], values[b]) })
		got := sortedByInt32(positions, func(i int32) int32 { return values[i] })
		require.Equal(t, want, got, "n=%d", tc.n)
	}
}
