package export

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
)

// idConflict is an export that cannot be given stable ids: a key used twice, an id-carrying
// uuid the id map disagrees with, two keys carrying one id. The items are found by a
// further read of the export before the error is reported.
type idConflict struct {
	t tableID
	a [16]byte
	// twice: a appears twice in the export (the message names both occurrences).
	twice bool
	// b is the other item, when two keys claim one id.
	b    [16]byte
	hasB bool
	// msg builds the message from the descriptions of a and b.
	msg func(a, b string) string
}

func (e *idConflict) Error() string { return e.msg("an item", "another item") }

// resolve gives every key of the collect pass its id: the previous release's id when the
// map has the key, else the id its uuid carries, else a new id above every id ever used.
// New ids are given in (owning concept, key hash) order, which does not depend on the
// order of the export.
func (c *converter) resolve() error {
	var mapRelease string
	if c.prev != nil && len(c.prev.Releases) > 0 {
		mapRelease = c.prev.Releases[len(c.prev.Releases)-1].Version
	}
	// Tables are independent: they are resolved side by side, and the first error in
	// table order is reported, as if one after the other. Their keys are what a build
	// holds most of at its peak, so tables whose keys together outgrow resolveBudget wait
	// for each other: at CIEL's size every table fits beside another, at four times it the
	// names and the reference maps are resolved one after the other.
	var errs [tableCount]error
	var wg sync.WaitGroup
	gate := newWeightedGate(runtime.GOMAXPROCS(0), resolveBudget)
	for ti := range tables {
		t := tableID(ti)
		if !keyed(t) {
			continue
		}
		weight := int64(c.spool.keyCount[t]) * resolveBytesPerKey
		gate.acquire(weight)
		wg.Add(1)
		go func() {
			defer func() { gate.release(weight); wg.Done() }()
			errs[t] = c.resolveTable(t, mapRelease)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	// Only the map's file is read from now on (for the rows this release dropped).
	if c.prev != nil {
		c.prev.entries, c.prev.byID = [tableCount][]mapEntry{}, [tableCount][]int32{}
	}
	return nil
}

// resolveTable resolves the keys of table t.
func (c *converter) resolveTable(t tableID, mapRelease string) error {
	keys, err := c.spool.keys(t)
	if err != nil {
		return err
	}
	order := hashOrder(keys)
	at := func(i int32) *keyRec { return &keys[order[i]] } // the i-th key by hash
	n := len(keys)
	var top int64
	if c.prev != nil {
		top = c.prev.max[t]
	}
	if t == tSource {
		// The known sources' ids are taken even in a release that does not use them.
		for _, s := range c.knownSources {
			top = max(top, s.ID)
		}
	}
	// Resolved in place: id goes from the carried id to the final one.
	var pending []int32 // by place in hash order
	for i := range int32(n) {
		r := at(i)
		if i > 0 && r.h == at(i-1).h {
			return &idConflict{t: t, a: r.h, twice: true, msg: func(a, b string) string {
				return fmt.Sprintf("%s and %s have the same uuid: each %s row needs its own", a, b, tables[t].name)
			}}
		}
		carried := r.id
		switch e, inMap := c.prev.lookup(t, r.h); {
		case inMap:
			if carried != 0 && carried != e.id {
				mapped := e.id
				return &idConflict{t: t, a: r.h, msg: func(a, _ string) string {
					return fmt.Sprintf("%s carries %s id %d in its uuid, but the id map of release %s gives the same uuid id %d",
						a, tables[t].name, carried, mapRelease, mapped)
				}}
			}
			r.id = e.id
		case carried != 0:
			if owner, taken := c.prev.ownerOf(t, carried); taken {
				key := c.prev.keyOf(t, owner.id)
				since := c.prev.Releases[owner.since].Version
				return &idConflict{t: t, a: r.h, msg: func(a, _ string) string {
					return fmt.Sprintf("%s carries %s id %d in its uuid, but the id map of release %s gives id %d to %q (since %s): the site's data would point at another row",
						a, tables[t].name, carried, mapRelease, carried, key, since)
				}}
			}
		default:
			pending = append(pending, i)
		}
		top = max(top, int64(r.id))
	}
	// By group, then key hash.
	keptTop := top // the highest id not given here
	for _, i := range sortedByInt32(pending, func(i int32) int32 { return at(i).group }) {
		top++
		if top > math.MaxInt32 {
			return fmt.Errorf("%s: no ids are left below %d", tables[t].name, int64(math.MaxInt32))
		}
		at(i).id = int32(top)
	}
	// New ids are above every other: only the others can share one. The kept ids are
	// sorted, to name the two keys of the lowest shared id, only when a bitset of the ids
	// finds one shared or is not small enough to tell.
	if mayShareIDs(int32(n), keptTop, at) {
		kept := make([]int32, 0, n-len(pending))
		for i := range int32(n) {
			if int64(at(i).id) <= keptTop {
				kept = append(kept, i)
			}
		}
		byID := sortedByInt32(kept, func(i int32) int32 { return at(i).id })
		for i := 1; i < len(byID); i++ {
			x, y := at(byID[i-1]), at(byID[i])
			if x.id == y.id {
				id := x.id
				return &idConflict{t: t, a: x.h, b: y.h, hasB: true, msg: func(a, b string) string {
					return fmt.Sprintf("%s and %s both carry %s id %d", a, b, tables[t].name, id)
				}}
			}
		}
	}
	pending = nil
	final := make([]int32, n)
	for i := range keys {
		final[i] = keys[i].id
	}
	if c.prev != nil && c.opts.IDMapOut != "" {
		// The next id map's dropped rows need to know which keys this release has.
		hashes := make([][16]byte, n)
		for i, p := range order {
			hashes[i] = keys[p].h
		}
		c.hashes[t] = hashes
	}
	c.final[t], c.max[t] = final, top
	return nil
}

// mayShareIDs reports whether two of the n keys may have the same id at or below top: it
// says no only when a bitset of those ids, at most 8 bytes a key, finds every one once.
func mayShareIDs(n int32, top int64, at func(int32) *keyRec) bool {
	if top > 64*int64(n)+1<<16 {
		return true
	}
	seen := make([]uint64, top/64+1)
	for i := range n {
		id := int64(at(i).id)
		switch {
		case id > top:
			continue
		case id < 0:
			return true
		case seen[id/64]&(1<<(id%64)) != 0:
			return true
		}
		seen[id/64] |= 1 << (id % 64)
	}
	return false
}

// explain reads the export again to name the items of a conflict.
func (c *converter) explain(ctx context.Context, exportPath string, conflict *idConflict) error {
	find := func(h [16]byte) []string {
		c.target = locateTarget{t: conflict.t, h: h}
		if err := c.pass(ctx, exportPath, passLocate); err != nil && !errors.Is(err, errLocated) {
			return nil
		}
		return c.target.found
	}
	describe := func(found []string, i int) string {
		if i < len(found) {
			return found[i]
		}
		return "an item of the export"
	}
	a := find(conflict.a)
	switch {
	case conflict.twice:
		return errors.New(conflict.msg(describe(a, 0), describe(a, 1)))
	case conflict.hasB:
		b := find(conflict.b)
		return errors.New(conflict.msg(describe(a, 0), describe(b, 0)))
	}
	return errors.New(conflict.msg(describe(a, 0), ""))
}

// sortedByInt32 sorts positions (in place) by the value of each, keeping the order of
// positions with equal values: callers pass positions in increasing order, so that ties
// are settled by position. A radix sort, 16 bits of the value a pass, several times
// faster than sorting by comparison at CIEL scale.
func sortedByInt32(positions []int32, value func(int32) int32) []int32 {
	n := len(positions)
	if n < 1024 {
		slices.SortStableFunc(positions, func(a, b int32) int { return cmp.Compare(value(a), value(b)) })
		return positions
	}
	keys := make([]uint32, n)
	for k, i := range positions {
		keys[k] = uint32(value(i)) ^ 1<<31 // order-preserving for negative values too
	}
	pos2, keys2 := make([]int32, n), make([]uint32, n)
	counts := make([]int32, 1<<16)
	for shift := 0; shift < 32; shift += 16 {
		clear(counts)
		for _, k := range keys {
			counts[k>>shift&0xffff]++
		}
		if counts[keys[0]>>shift&0xffff] == int32(n) {
			continue // every key has this digit: the pass would change nothing
		}
		sum := int32(0)
		for d, c := range counts {
			counts[d], sum = sum, sum+c
		}
		for k, key := range keys {
			d := key >> shift & 0xffff
			pos2[counts[d]], keys2[counts[d]] = positions[k], key
			counts[d]++
		}
		copy(positions, pos2)
		keys, keys2 = keys2, keys
	}
	return positions
}

// hashOrder returns the positions of the keys in hash order: a counting sort on the hash's
// leading bits (hashes are uniform, so the buckets hold a few keys each), then a sort
// within each bucket. The keys stay where they are, so they are never held twice; the order
// costs 4 bytes a key. Several times faster than sorting a million keys by comparison.
func hashOrder(keys []keyRec) []int32 {
	shift := 16 - min(max(bits.Len(uint(len(keys)))-3, 1), 16)
	bucket := func(r *keyRec) int { return int(binary.BigEndian.Uint16(r.h[:2]) >> shift) }
	starts := make([]int32, 1<<(16-shift)+1)
	for i := range keys {
		starts[bucket(&keys[i])+1]++
	}
	for i := 1; i < len(starts); i++ {
		starts[i] += starts[i-1]
	}
	next := slices.Clone(starts[:len(starts)-1])
	order := make([]int32, len(keys))
	for i := range keys {
		k := bucket(&keys[i])
		order[next[k]] = int32(i)
		next[k]++
	}
	byHash := func(x, y int32) int { return compareHash(keys[x].h, keys[y].h) }
	for k := 0; k+1 < len(starts); k++ {
		if part := order[starts[k]:starts[k+1]]; len(part) > 1 {
			slices.SortFunc(part, byHash)
		}
	}
	return order
}

// hasHash reports whether hashes, sorted, hold h.
func hasHash(hashes [][16]byte, h [16]byte) bool {
	_, ok := slices.BinarySearchFunc(hashes, h, compareHash)
	return ok
}

// resolveBudget bounds the keys resolved at once, in bytes as resolveBytesPerKey counts them.
const resolveBudget = 32 << 20

// resolveBytesPerKey is what resolving holds per key: the key itself (keyRecSize), its
// place in hash order and its final id (4 bytes each).
const resolveBytesPerKey = keyRecSize + 8

// weightedGate lets at most slots holders in at once, and more than one only while their
// weights add up to at most budget: a holder heavier than the budget goes in alone.
type weightedGate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	slots   int
	budget  int64
	holders int
	held    int64
}

func newWeightedGate(slots int, budget int64) *weightedGate {
	g := &weightedGate{slots: max(slots, 1), budget: budget}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func (g *weightedGate) acquire(weight int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.holders > 0 && (g.holders >= g.slots || g.held+weight > g.budget) {
		g.cond.Wait()
	}
	g.holders++
	g.held += weight
}

func (g *weightedGate) release(weight int64) {
	g.mu.Lock()
	g.holders--
	g.held -= weight
	g.mu.Unlock()
	g.cond.Broadcast()
}
