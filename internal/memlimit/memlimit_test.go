package memlimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitForLimit collects until the soft memory limit satisfies ok, for at most a few seconds:
// the follower hears of a collection on the finalizer goroutine, a little later.
func waitForLimit(ok func(int64) bool) int64 {
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		limit := debug.SetMemoryLimit(-1)
		if ok(limit) || time.Now().After(deadline) {
			return limit
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The limit rises a quarter above a live heap that outgrows the floor, comes back to the floor
// when the heap shrinks, and is left alone once restored.
func TestFollowLiveHeap(t *testing.T) {
	old := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(old)
	const floor = 32 << 20
	restore := Follow(floor)
	restored := false
	defer func() {
		if !restored {
			restore()
		}
	}()
	assert.Equal(t, int64(floor), debug.SetMemoryLimit(-1))

	live := touched(128 << 20)
	limit := waitForLimit(func(l int64) bool { return l >= 160<<20 })
	assert.GreaterOrEqual(t, limit, int64(160<<20), "128 MiB live and a quarter more")
	assert.Less(t, limit, int64(200<<20), "not far above (what else the tests keep live is under the floor)")
	runtime.KeepAlive(live)

	live = nil
	limit = waitForLimit(func(l int64) bool { return l == floor })
	assert.Equal(t, int64(floor), limit, "back to the floor once the heap shrinks")

	restore()
	restored = true
	require.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1), "the process's own limit (none) is back")
	held := touched(64 << 20)
	collectAFewTimes()
	require.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1), "a restored follower sets no limit")
	runtime.KeepAlive(held)
}

// A limit the process set itself (GOMEMLIMIT) is kept: Follow neither lowers nor follows it.
func TestFollowKeepsTheProcesssLimit(t *testing.T) {
	old := debug.SetMemoryLimit(1 << 30)
	defer debug.SetMemoryLimit(old)
	restore := Follow(32 << 20)
	assert.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1))
	live := touched(64 << 20)
	collectAFewTimes()
	assert.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1), "not followed")
	runtime.KeepAlive(live)
	restore()
	assert.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1))
}

// touched returns n bytes, each written, so that they are really held.
func touched(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// collectAFewTimes gives a follower, if any, several collections to react to.
func collectAFewTimes() {
	for range 3 {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}
