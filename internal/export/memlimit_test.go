package export

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
// when the heap shrinks, and is left alone once the follower is stopped.
func TestFollowLiveHeap(t *testing.T) {
	old := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(old)
	const floor = 32 << 20
	stop := followLiveHeap(floor)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	assert.Equal(t, int64(floor), debug.SetMemoryLimit(-1))

	live := make([]byte, 128<<20)
	for i := range live {
		live[i] = byte(i) // touched, so that it is really held
	}
	limit := waitForLimit(func(l int64) bool { return l >= 160<<20 })
	assert.GreaterOrEqual(t, limit, int64(160<<20), "128 MiB live and a quarter more")
	assert.Less(t, limit, int64(200<<20), "not far above (what else the tests keep live is under the floor)")
	runtime.KeepAlive(live)

	live = nil
	limit = waitForLimit(func(l int64) bool { return l == floor })
	assert.Equal(t, int64(floor), limit, "back to the floor once the heap shrinks")

	stop()
	stopped = true
	debug.SetMemoryLimit(math.MaxInt64)
	held := make([]byte, 64<<20)
	for i := range held {
		held[i] = byte(i)
	}
	for range 3 {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1), "a stopped follower sets no limit")
	runtime.KeepAlive(held)
}
