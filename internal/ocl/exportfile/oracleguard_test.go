package exportfile

// The guard as it was before it checked value sizes lazily: the oracle of FuzzGuardMatchesOracle
// and of the differential tests of the decoder.

import (
	"bytes"
	"context"
	"io"
	"sort"
)

type oracleShift = shift

type oracleGuard struct {
	r        io.Reader
	ctx      context.Context
	maxValue int64
	maxSpace int // maxSpaceRun, smaller in tests

	inString, escaped bool
	depth             int
	spaceRun          int
	valueBytes        int64
	valueStart        int64 // raw offset of the current value's first byte

	raw, out int64 // bytes read from r, bytes handed on
	// shifts records, in order, each output offset at which bytes were dropped and how
	// many had been dropped in all once past it.
	shifts []oracleShift
}

func newOracleGuard(ctx context.Context, r io.Reader, maxValue int64) *oracleGuard {
	if maxValue <= 0 {
		maxValue = DefaultMaxValue
	}
	return &oracleGuard{r: r, ctx: ctx, maxValue: maxValue, maxSpace: maxSpaceRun}
}

// Read filters in place: the output is never longer than what was read.
func (g *oracleGuard) Read(p []byte) (int, error) {
	for {
		if err := g.ctx.Err(); err != nil {
			return 0, err
		}
		n, err := g.r.Read(p)
		w, ferr := g.filter(p[:n])
		if ferr != nil {
			return w, ferr
		}
		// A buffer of nothing but dropped white space is not handed on as an empty read.
		if w > 0 || err != nil || n == 0 {
			return w, err
		}
	}
}

func (g *oracleGuard) filter(p []byte) (int, error) {
	w := 0
	for i := 0; i < len(p); {
		if g.inString {
			j := g.scanString(p[i:])
			if w != i {
				copy(p[w:], p[i:i+j])
			}
			w += j
			i += j
			g.raw += int64(j)
			g.out += int64(j)
			if err := g.grow(int64(j)); err != nil {
				return w, err
			}
			continue
		}
		c := p[i]
		i++
		g.raw++
		if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			g.spaceRun++
			if g.spaceRun > g.maxSpace {
				g.drop()
				continue
			}
		} else {
			g.spaceRun = 0
		}
		p[w] = c
		w++
		g.out++
		switch c {
		case '"':
			g.inString = true
		case '{', '[':
			g.depth++
			if g.depth <= 2 {
				g.startValue()
				continue
			}
		case '}', ']':
			g.depth--
		case ',', ':':
			if g.depth <= 2 {
				g.startValue()
				continue
			}
		}
		if err := g.grow(1); err != nil {
			return w, err
		}
	}
	return w, nil
}

// scanString finds how many bytes of p still belong to the current string, including
// its closing quote, and updates the string state. Strings are most of an export's
// bytes, so it jumps between quotes and backslashes instead of looking at every byte.
func (g *oracleGuard) scanString(p []byte) int {
	i := 0
	if g.escaped && len(p) > 0 {
		g.escaped = false
		i = 1
	}
	for i < len(p) {
		rest := p[i:]
		q := bytes.IndexByte(rest, '"')
		plain := rest
		if q >= 0 {
			plain = rest[:q]
		}
		if bs := bytes.IndexByte(plain, '\\'); bs >= 0 {
			if i+bs+1 >= len(p) { // the escaped byte comes with the next read
				g.escaped = true
				return len(p)
			}
			i += bs + 2
			continue
		}
		if q < 0 {
			return len(p)
		}
		g.inString = false
		return i + q + 1
	}
	return len(p)
}

// startValue is called on the separators of the document's top two levels: what
// follows is a new value, measured from here.
func (g *oracleGuard) startValue() {
	g.valueBytes = 0
	g.valueStart = g.raw
}

func (g *oracleGuard) grow(n int64) error {
	g.valueBytes += n
	if g.valueBytes > g.maxValue {
		return &ValueTooLargeError{Limit: g.maxValue, Start: g.valueStart}
	}
	return nil
}

func (g *oracleGuard) drop() {
	if k := len(g.shifts); k > 0 && g.shifts[k-1].at == g.out {
		g.shifts[k-1].dropped++
		return
	}
	dropped := int64(1)
	if k := len(g.shifts); k > 0 {
		dropped += g.shifts[k-1].dropped
	}
	g.shifts = append(g.shifts, oracleShift{at: g.out, dropped: dropped})
}

// rawOffset maps an offset of the guarded stream back onto the document.
func (g *oracleGuard) rawOffset(out int64) int64 {
	k := sort.Search(len(g.shifts), func(i int) bool { return g.shifts[i].at > out })
	if k == 0 {
		return out
	}
	return out + g.shifts[k-1].dropped
}
