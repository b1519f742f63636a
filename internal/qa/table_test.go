package qa

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeyTableAgreesWithAMap drives a keyTable and a Go map with the same operations,
// through many growths, and compares every answer.
func TestKeyTableAgreesWithAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var table keyTable[uint32]
	want := map[uint64]uint32{}
	// Keys that share a part and neighbouring slots, beside random ones.
	keys := []uint64{1, 2, 3, 1 << 56, 1<<56 + 1, ^uint64(0), ^uint64(0) - 1}
	for range 200_000 {
		keys = append(keys, r.Uint64())
	}
	for i, k := range keys {
		switch i % 3 {
		case 0:
			got, had := table.add(k, uint32(i))
			prev, wanted := want[k]
			if !wanted {
				want[k] = uint32(i)
			}
			require.Equal(t, wanted, had, "add %#x", k)
			require.Equal(t, want[k], got, "add %#x", k)
			if wanted {
				require.Equal(t, prev, got)
			}
		case 1:
			table.set(k, uint32(i))
			want[k] = uint32(i)
		case 2:
			ref, added := table.ref(k)
			_, had := want[k]
			require.Equal(t, !had, added, "ref %#x", k)
			*ref += 7
			want[k] += 7
		}
		if i%1000 == 0 { // keys already stored, and one that is not
			old := keys[r.IntN(i+1)]
			got, ok := table.get(old)
			assert.True(t, ok)
			assert.Equal(t, want[old], got)
			_, ok = table.get(r.Uint64() | 1<<63)
			assert.False(t, ok)
		}
	}
	require.Equal(t, len(want), table.Len())
	for k, v := range want {
		got, ok := table.get(k)
		require.True(t, ok, "%#x", k)
		require.Equal(t, v, got, "%#x", k)
	}
}

func TestKeyTableZeroKey(t *testing.T) {
	var table keyTable[uint8]
	_, ok := table.get(0)
	assert.False(t, ok, "an empty table holds nothing")
	table.set(0, 5)
	got, ok := table.get(0)
	assert.True(t, ok)
	assert.Equal(t, uint8(5), got)
	got, ok = table.get(1)
	assert.True(t, ok, "key 0 is kept as 1: the two collide like any two equal hashes")
	assert.Equal(t, uint8(5), got)
	assert.Equal(t, 1, table.Len())
}

func TestDecimalID(t *testing.T) {
	for _, id := range []string{"0", "7", "123456", "4294967294"} {
		n, ok := decimalID(id)
		assert.True(t, ok, id)
		assert.Equal(t, id, itemOwner(uint64(n+1)<<32).mappingID())
	}
	for _, id := range []string{"", "007", "12a", "-1", "4294967295", "99999999999", "1.5"} {
		_, ok := decimalID(id)
		assert.False(t, ok, id)
	}
}
