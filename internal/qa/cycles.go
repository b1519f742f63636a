package qa

import (
	"cmp"
	"slices"
	"strings"
)

// Bounds on the cycle search of one strongly connected component: the number of cycles
// in a dense component can grow exponentially, and a report needs only the first ones.
const (
	maxCyclesPerComponent = 100
	maxCycleSearchSteps   = 1_000_000
)

// finishCycles runs XR-05: one finding per elementary cycle of CONCEPT-SET membership,
// on the cycle's smallest concept code.
func (e *Engine) finishCycles() {
	if !e.on(xr05) || len(e.idx.members) == 0 {
		return
	}
	edges := e.idx.members
	slices.SortFunc(edges, func(a, b memberEdge) int {
		if c := cmp.Compare(a.set, b.set); c != 0 {
			return c
		}
		return cmp.Compare(a.member, b.member)
	})
	g := newMemberGraph(slices.Compact(edges))
	f := cycleFinder{g: g, inComponent: make([]bool, len(g.nodes)), rank: make([]int, len(g.nodes)), onPath: make([]bool, len(g.nodes))}
	for _, comp := range g.components() {
		if len(comp) > 1 {
			f.search(comp, e.code, func(cycle []int32) { e.emitCycle(g, cycle) })
		}
	}
	e.idx.members = nil
}

func (e *Engine) emitCycle(g *memberGraph, cycle []int32) {
	codes := make([]string, 0, len(cycle)+1)
	for _, v := range cycle {
		codes = append(codes, e.code(g.nodes[v]))
	}
	codes = append(codes, codes[0])
	e.emit(xr05, g.nodes[cycle[0]], Finding{Message: "CONCEPT-SET membership forms a cycle: " + strings.Join(codes, " → ")})
}

// memberGraph is the CONCEPT-SET graph in compressed form: nodes are numbered locally,
// the successors of node v are next[start[v]:start[v+1]].
type memberGraph struct {
	nodes []uint32 // local number → concept index
	start []int32
	next  []int32
}

func newMemberGraph(edges []memberEdge) *memberGraph {
	g := &memberGraph{}
	local := map[uint32]int32{}
	number := func(c uint32) int32 {
		if v, ok := local[c]; ok {
			return v
		}
		v := int32(len(g.nodes))
		local[c] = v
		g.nodes = append(g.nodes, c)
		return v
	}
	from := make([]int32, len(edges))
	to := make([]int32, len(edges))
	for i, ed := range edges {
		from[i], to[i] = number(ed.set), number(ed.member)
	}
	g.start = make([]int32, len(g.nodes)+1)
	for _, f := range from {
		g.start[f+1]++
	}
	for v := range g.nodes {
		g.start[v+1] += g.start[v]
	}
	g.next = make([]int32, len(edges))
	fill := slices.Clone(g.start[:len(g.nodes)])
	for i, f := range from {
		g.next[fill[f]] = to[i]
		fill[f]++
	}
	return g
}

// components finds the strongly connected components (Tarjan's algorithm, iterative so
// that a long chain of sets cannot exhaust the stack).
func (g *memberGraph) components() [][]int32 {
	n := len(g.nodes)
	index := make([]int32, n) // visit order + 1; 0 = not visited
	low := make([]int32, n)
	onStack := make([]bool, n)
	var stack []int32
	var comps [][]int32
	var counter int32
	type frame struct{ v, edge int32 }
	var calls []frame
	visit := func(v int32) {
		counter++
		index[v], low[v] = counter, counter
		stack = append(stack, v)
		onStack[v] = true
		calls = append(calls, frame{v: v, edge: g.start[v]})
	}
	for root := int32(0); root < int32(n); root++ {
		if index[root] != 0 {
			continue
		}
		visit(root)
		for len(calls) > 0 {
			top := &calls[len(calls)-1]
			v := top.v
			if top.edge < g.start[v+1] {
				w := g.next[top.edge]
				top.edge++
				if index[w] == 0 {
					visit(w)
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				parent := calls[len(calls)-1].v
				low[parent] = min(low[parent], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			var comp []int32
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			comps = append(comps, comp)
		}
	}
	return comps
}

// cycleFinder lists the elementary cycles of one component: from each node s, in code
// order, it follows paths through nodes ranked after s back to s, so every cycle is
// found once, starting at its smallest code.
type cycleFinder struct {
	g           *memberGraph
	inComponent []bool
	rank        []int
	onPath      []bool
	path        []int32
	found       int
	steps       int
	report      func([]int32)
}

func (f *cycleFinder) search(comp []int32, code func(uint32) string, report func([]int32)) {
	slices.SortFunc(comp, func(a, b int32) int {
		return compareCodes(code(f.g.nodes[a]), code(f.g.nodes[b]))
	})
	for i, v := range comp {
		f.inComponent[v] = true
		f.rank[v] = i
	}
	f.found, f.steps, f.report = 0, 0, report
	for _, s := range comp {
		f.path = append(f.path[:0], s)
		f.onPath[s] = true
		f.walk(s, s)
		f.onPath[s] = false
	}
	for _, v := range comp {
		f.inComponent[v] = false
	}
}

func (f *cycleFinder) walk(s, v int32) {
	for k := f.g.start[v]; k < f.g.start[v+1]; k++ {
		if f.found >= maxCyclesPerComponent || f.steps >= maxCycleSearchSteps {
			return
		}
		f.steps++
		w := f.g.next[k]
		switch {
		case w == s:
			f.found++
			f.report(f.path)
		case f.inComponent[w] && f.rank[w] > f.rank[s] && !f.onPath[w]:
			f.onPath[w] = true
			f.path = append(f.path, w)
			f.walk(s, w)
			f.path = f.path[:len(f.path)-1]
			f.onPath[w] = false
		}
	}
}
