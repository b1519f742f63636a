package export

// memoLimit bounds the memo of a normaliser: an export has a handful of distinct name
// and map types, and a hostile one must not grow memory through them.
const memoLimit = 1024

// memo caches a string normaliser. ocl.NormalizeNameType and ocl.NormalizeMapType
// build a strings.Replacer per call, which dominates the allocations of a large export.
type memo struct {
	fn   func(string) string
	seen map[string]string
}

func newMemo(fn func(string) string) *memo {
	return &memo{fn: fn, seen: map[string]string{}}
}

func (m *memo) get(s string) string {
	if v, ok := m.seen[s]; ok {
		return v
	}
	v := m.fn(s)
	if len(m.seen) < memoLimit {
		m.seen[s] = v
	}
	return v
}
