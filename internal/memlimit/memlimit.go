// Package memlimit keeps the heap of one long pass over an export (QA, the SQL build, a
// changelog index) near what the pass really holds, without setting a ceiling the pass
// can outgrow.
//
// The runtime's default lets the heap grow to twice its live size before a collection.
// A soft limit (runtime/debug.SetMemoryLimit) a little above what a CIEL-size pass keeps
// live holds the peak down for a few more collections, each cheap, since the passes keep
// their indexes in pointer-free arrays. But a fixed limit below the live heap of a bigger
// dictionary makes the runtime collect back to back: at four times CIEL's size a build
// ran over a thousand collections and took 24 s of CPU, against about 120 and 15 s with
// this follower. So the limit starts at a floor and, after each collection, follows the
// live heap a quarter above it whenever that is higher.
package memlimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// headroom is how far above the live heap the limit is kept once the live heap outgrows
// the floor: a quarter (limit = live + live/headroom), so that each collection frees some
// tens of MB at four times CIEL instead of a few.
const headroom = 4

// Follow sets the soft memory limit to floor and, after every collection, raises it to a
// quarter above the live heap when that is higher (lowering it again as the live heap
// shrinks). A process that set a limit of its own (GOMEMLIMIT) keeps it: Follow then
// changes nothing. The returned restore ends the following and puts back the limit the
// process had; call it once, when the pass is over.
func Follow(floor int64) (restore func()) {
	old := debug.SetMemoryLimit(-1)
	if old != math.MaxInt64 {
		return func() {}
	}
	f := &follower{floor: floor, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	debug.SetMemoryLimit(floor)
	f.arm()
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.stopped = true
		debug.SetMemoryLimit(old)
	}
}

type follower struct {
	floor   int64
	sample  []metrics.Sample
	mu      sync.Mutex
	stopped bool
}

// gcTick is unreachable as soon as it is made: its finalizer runs after the next
// collection, which is how the follower hears of each one.
type gcTick struct{ _ *int }

func (f *follower) arm() {
	runtime.SetFinalizer(&gcTick{}, func(*gcTick) { f.collected() })
}

func (f *follower) collected() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	metrics.Read(f.sample)
	live := int64(f.sample[0].Value.Uint64())
	debug.SetMemoryLimit(max(f.floor, live+live/headroom))
	f.arm()
}
