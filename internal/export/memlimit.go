package export

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// liveHeadroom is how far above the live heap the soft memory limit is kept once the live
// heap outgrows the build's floor: a quarter, so that a collection frees some tens of MB
// at 4× CIEL instead of running back to back.
const liveHeadroom = 4 // limit = live + live/liveHeadroom

// followLiveHeap sets the soft memory limit to floor, and after every collection raises it
// to a quarter above the live heap when that is higher (lowering it again as the live heap
// shrinks). A fixed limit under the live heap makes the runtime collect without pause; a
// build of a dictionary bigger than CIEL then spends most of its time in the collector.
// The returned stop ends the following; the caller restores the limit it had.
func followLiveHeap(floor int64) (stop func()) {
	f := &limitFollower{floor: floor, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	debug.SetMemoryLimit(floor)
	f.arm()
	return func() {
		f.mu.Lock()
		f.stopped = true
		f.mu.Unlock()
	}
}

type limitFollower struct {
	floor   int64
	sample  []metrics.Sample
	mu      sync.Mutex
	stopped bool
}

// gcTick is unreachable as soon as it is made: its finalizer runs after the next
// collection, which is how the follower hears of each one.
type gcTick struct{ _ *int }

func (f *limitFollower) arm() {
	runtime.SetFinalizer(&gcTick{}, func(*gcTick) { f.collected() })
}

func (f *limitFollower) collected() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	metrics.Read(f.sample)
	live := int64(f.sample[0].Value.Uint64())
	debug.SetMemoryLimit(max(f.floor, live+live/liveHeadroom))
	f.arm()
}
