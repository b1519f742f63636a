package export

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The bitset finds a shared id wherever it is, ignores ids above top (new ones), and leaves
// ids it cannot hold cheaply to the sort.
func TestMayShareIDs(t *testing.T) {
	check := func(ids []int32, top int64) bool {
		return mayShareIDs(int32(len(ids)), top, func(i int32) *keyRec { return &keyRec{id: ids[i]} })
	}
	assert.False(t, check(nil, 0))
	assert.False(t, check([]int32{5, 1, 63, 64, 0, 200}, 200))
	assert.True(t, check([]int32{5, 1, 63, 64, 0, 63}, 200), "63 twice")
	assert.True(t, check([]int32{200, 7, 200}, 200), "top twice")
	assert.False(t, check([]int32{201, 7, 201}, 200), "ids above top are given here, once each")
	assert.True(t, check([]int32{-3, 7}, 200), "a negative id is left to the sort")
	assert.True(t, check([]int32{1, 2}, 1<<40), "a sparse range is left to the sort")
}

func TestHashOrderSortsEveryKey(t *testing.T) {
	for _, n := range []int{0, 1, 7, 5000, 70000} {
		var keys []keyRec
		var want [][16]byte
		for i := range n {
			r := keyRec{h: hashKey(string(rune('a'+i%26)) + itoa(int64(i))), id: int32(i)}
			if i%1000 == 999 {
				r.h = want[i-1] // duplicates stay, side by side
			}
			keys = append(keys, r)
			want = append(want, r.h)
		}
		order := hashOrder(keys)
		slices.SortFunc(want, compareHash)
		require.Len(t, order, n)
		for i, p := range order {
			require.Equal(t, want[i], keys[p].h, "place %d", i)
			require.Equal(t, p, keys[p].id, "the keys stay where they are")
		}
		seen := slices.Clone(order)
		slices.Sort(seen)
		for i, p := range seen {
			require.Equal(t, int32(i), p, "every key is in the order once")
		}
		for _, h := range want {
			require.True(t, hasHash(want, h))
		}
		assert.False(t, hasHash(want, hashKey("absent")))
	}
}

// Keys read back from the spool are those added, in order, table by table.
func TestSpoolKeysComeBackInOrder(t *testing.T) {
	sp, err := newSpool(t.TempDir())
	require.NoError(t, err)
	defer sp.close()
	var names, terms []keyRec
	for i := range 100000 {
		r := keyRec{h: hashKey(itoa(int64(i))), id: int32(i * 3), group: int32(-i)}
		if i%3 == 0 {
			terms = append(terms, r)
			require.NoError(t, sp.addKey(tTerm, r))
		} else {
			names = append(names, r)
			require.NoError(t, sp.addKey(tName, r))
		}
	}
	got, err := sp.keys(tName)
	require.NoError(t, err)
	assert.Equal(t, names, got)
	got, err = sp.keys(tTerm)
	require.NoError(t, err)
	assert.Equal(t, terms, got)
	got, err = sp.keys(tConcept)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// Light holders share the gate up to its slots; a holder that would take the held weight
// over the budget waits until the others have left, and one heavier than the budget goes
// in alone.
func TestWeightedGate(t *testing.T) {
	g := newWeightedGate(2, 100)
	entered := func(weight int64) <-chan struct{} {
		ch := make(chan struct{})
		go func() { g.acquire(weight); close(ch) }()
		return ch
	}
	isIn := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		case <-time.After(100 * time.Millisecond):
			return false
		}
	}
	light1, light2 := entered(10), entered(10)
	require.True(t, isIn(light1) && isIn(light2), "two light holders share the gate")
	light3 := entered(10)
	assert.False(t, isIn(light3), "no third slot")
	g.release(10)
	require.True(t, isIn(light3), "in once a slot is free")

	heavy := entered(150)
	assert.False(t, isIn(heavy), "over the budget: waits for the gate to empty")
	g.release(10)
	assert.False(t, isIn(heavy), "one holder still in")
	g.release(10)
	require.True(t, isIn(heavy), "alone")
	light4 := entered(10)
	assert.False(t, isIn(light4), "nobody joins a holder over the budget")
	g.release(150)
	require.True(t, isIn(light4))

	middle := entered(95)
	assert.False(t, isIn(middle), "10 + 95 is over the budget")
	g.release(10)
	require.True(t, isIn(middle))
	g.release(95)
}
