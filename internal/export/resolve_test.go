package export

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
