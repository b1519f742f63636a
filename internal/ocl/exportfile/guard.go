package exportfile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
)

// maxSpaceRun is the longest run of white space between JSON tokens passed on to
// encoding/json. Its Decoder keeps white space between tokens in its buffer and scans the
// whole buffer again after every read, so a long run costs time quadratic in its length
// (32 MiB of spaces took over a minute). Real exports indent by a few dozen bytes at most.
const maxSpaceRun = 4 << 10

// DefaultMaxValue caps one value of the document: a top-level field, or one element of
// the concepts, mappings or references arrays. encoding/json holds a value whole while
// decoding it, and a concept of CIEL with every name and mapping is a few hundred KB.
const DefaultMaxValue = 64 << 20

// ValueTooLargeError is returned when one value of the document exceeds the cap.
type ValueTooLargeError struct {
	Limit int64
	Start int64 // byte offset in the document where the value began
}

func (e *ValueTooLargeError) Error() string {
	return fmt.Sprintf("a single value starting at byte %d is larger than the limit of %s", e.Start, formatBytes(e.Limit))
}

// guard sits between the (inflated) document and encoding/json. It passes the JSON on
// unchanged except for runs of white space outside strings longer than maxSpaceRun,
// which it shortens; it refuses any single value larger than maxValue; and it stops as
// soon as ctx is done, so a command asked to stop does not finish a huge document first.
// Offsets that encoding/json reports are offsets into the guarded stream: raw maps them
// back onto the document.
type guard struct {
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
	shifts []shift
}

type shift struct{ at, dropped int64 }

func newGuard(ctx context.Context, r io.Reader, maxValue int64) *guard {
	if maxValue <= 0 {
		maxValue = DefaultMaxValue
	}
	return &guard{r: r, ctx: ctx, maxValue: maxValue, maxSpace: maxSpaceRun}
}

// Read filters in place: the output is never longer than what was read.
func (g *guard) Read(p []byte) (int, error) {
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

func (g *guard) filter(p []byte) (int, error) {
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
func (g *guard) scanString(p []byte) int {
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
func (g *guard) startValue() {
	g.valueBytes = 0
	g.valueStart = g.raw
}

func (g *guard) grow(n int64) error {
	g.valueBytes += n
	if g.valueBytes > g.maxValue {
		return &ValueTooLargeError{Limit: g.maxValue, Start: g.valueStart}
	}
	return nil
}

func (g *guard) drop() {
	if k := len(g.shifts); k > 0 && g.shifts[k-1].at == g.out {
		g.shifts[k-1].dropped++
		return
	}
	dropped := int64(1)
	if k := len(g.shifts); k > 0 {
		dropped += g.shifts[k-1].dropped
	}
	g.shifts = append(g.shifts, shift{at: g.out, dropped: dropped})
}

// rawOffset maps an offset of the guarded stream back onto the document.
func (g *guard) rawOffset(out int64) int64 {
	k := sort.Search(len(g.shifts), func(i int) bool { return g.shifts[i].at > out })
	if k == 0 {
		return out
	}
	return out + g.shifts[k-1].dropped
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
