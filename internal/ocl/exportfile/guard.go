package exportfile

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
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
	valueOut          int64 // output offset of the current value's first byte
	valueStart        int64 // raw offset of the current value's first byte

	raw, out int64 // bytes read from r, bytes handed on
	// ends records the output offset just past each value that closes at depth 2 (an
	// element of a top-level array, among others), for the fast pass to cut the
	// document into elements without scanning it again; it removes what it has used.
	ends []int64
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

// Classes of the bytes outside strings.
const (
	byteOther = iota
	byteSpace
	byteQuote
	byteOpen
	byteClose
	byteSeparator
)

var byteClass = func() (t [256]uint8) {
	for _, c := range " \t\r\n" {
		t[c] = byteSpace
	}
	t['"'] = byteQuote
	t['{'], t['['] = byteOpen, byteOpen
	t['}'], t[']'] = byteClose, byteClose
	t[','], t[':'] = byteSeparator, byteSeparator
	return t
}()

// filter passes p on, in place. The size of the current value is the output since
// the separator that began it. It is checked after each piece of a string, which is
// passed on whole, and at the next separator and the end of p for the bytes between
// strings: when those went over the limit, the output is cut just after the byte that
// did, where a check at every byte stops.
//
// The loop keeps its positions in locals (i read, w written, both counted from the
// start of p) and brings g.raw and g.out up to date only where they are used: a field
// of g written for every byte costs a load and a store each time.
func (g *guard) filter(p []byte) (int, error) {
	start, rawStart := g.out, g.raw
	w, i := 0, 0
	spaceRun := g.spaceRun
	for i < len(p) {
		if g.inString {
			before := start + int64(w)
			j := g.scanString(p[i:])
			if w != i {
				copy(p[w:], p[i:i+j])
			}
			w += j
			i += j
			if out := start + int64(w); out-g.valueOut > g.maxValue {
				g.raw, g.out, g.spaceRun = rawStart+int64(i), out, spaceRun
				err := g.checkSize(out)
				if g.checkSize(before) != nil { // over before the string
					return g.cut(start), err
				}
				return w, err // a string is passed on whole, up to its end or p's
			}
			// Inside the elements, a string is most often followed by a separator,
			// one space and the quote of the next string: those are passed on here
			// with the effect the loop below would have, the size being checked
			// after the next string.
			if !g.inString && i+3 <= len(p) && g.depth > 2 && g.maxSpace > 0 &&
				(p[i] == ',' || p[i] == ':') && p[i+1] == ' ' && p[i+2] == '"' {
				p[w], p[w+1], p[w+2] = p[i], ' ', '"'
				w += 3
				i += 3
				g.inString = true
				spaceRun = 0
			}
			continue
		}
		c := p[i]
		i++
		class := byteClass[c]
		if class == byteSpace {
			spaceRun++
			if spaceRun > g.maxSpace {
				g.drop(start + int64(w))
				continue
			}
		} else {
			spaceRun = 0
		}
		p[w] = c
		w++
		switch class {
		case byteQuote:
			g.inString = true
		case byteOpen:
			g.depth++
			if g.depth <= 2 {
				if err := g.startValue(start+int64(w), rawStart+int64(i)); err != nil {
					g.raw, g.spaceRun = rawStart+int64(i), spaceRun
					return g.cut(start), err
				}
			}
		case byteClose:
			g.depth--
			if g.depth == 2 {
				g.ends = append(g.ends, start+int64(w))
			}
		case byteSeparator:
			if g.depth <= 2 {
				if err := g.startValue(start+int64(w), rawStart+int64(i)); err != nil {
					g.raw, g.spaceRun = rawStart+int64(i), spaceRun
					return g.cut(start), err
				}
			}
		}
	}
	g.raw, g.out, g.spaceRun = rawStart+int64(i), start+int64(w), spaceRun
	if err := g.checkSize(g.out); err != nil {
		return g.cut(start), err
	}
	return w, nil
}

// Masks for finding a quote or a backslash among 8 bytes at once.
const (
	eachByte01 = 0x0101010101010101
	eachByte80 = 0x8080808080808080
	eachQuote  = eachByte01 * '"'
	eachSlash  = eachByte01 * '\\'
)

// zeroBytes sets the top bit of the lowest zero byte of x, and maybe of zero bytes
// above it (a borrow past the first zero can mark a 0x01 byte above as well), so only
// its lowest set bit is to be trusted.
func zeroBytes(x uint64) uint64 { return (x - eachByte01) &^ x & eachByte80 }

// scanString finds how many bytes of p still belong to the current string, including
// its closing quote, and updates the string state. Strings are most of an export's
// bytes, so it looks at 8 bytes at a time for a quote or a backslash, and at single
// bytes only in the last 7 of p.
func (g *guard) scanString(p []byte) int {
	i := 0
	if g.escaped && len(p) > 0 {
		g.escaped = false
		i = 1
	}
	for i < len(p) {
		if i+8 <= len(p) {
			x := binary.LittleEndian.Uint64(p[i:])
			found := zeroBytes(x^eachQuote) | zeroBytes(x^eachSlash)
			if found == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(found) >> 3
		} else if c := p[i]; c != '"' && c != '\\' {
			i++
			continue
		}
		if p[i] == '"' {
			g.inString = false
			return i + 1
		}
		if i+1 >= len(p) { // the escaped byte comes with the next read
			g.escaped = true
			return len(p)
		}
		i += 2
	}
	return len(p)
}

// startValue is called on the separators of the document's top two levels, already
// written, with out and raw the offsets just past them: what follows is a new value,
// measured from here. The value it ends is checked first.
func (g *guard) startValue(out, raw int64) error {
	g.out = out
	if err := g.checkSize(out - 1); err != nil {
		return err
	}
	g.valueOut = out
	g.valueStart = raw
	return nil
}

// checkSize checks the value that began at valueOut and has reached out.
func (g *guard) checkSize(out int64) error {
	if out-g.valueOut > g.maxValue {
		return &ValueTooLargeError{Limit: g.maxValue, Start: g.valueStart}
	}
	return nil
}

// cut ends the output of a filter that began at output offset start just after the
// byte that took the current value over the limit, as if filtering had stopped there.
func (g *guard) cut(start int64) int {
	last := g.valueOut + g.maxValue // the byte that went over
	g.out = last + 1
	for k := len(g.shifts); k > 0 && g.shifts[k-1].at > last; k-- {
		g.shifts = g.shifts[:k-1]
	}
	for k := len(g.ends); k > 0 && g.ends[k-1] > g.out; k-- {
		g.ends = g.ends[:k-1]
	}
	return int(g.out - start)
}

// drop records one byte of white space dropped at output offset out.
func (g *guard) drop(out int64) {
	if k := len(g.shifts); k > 0 && g.shifts[k-1].at == out {
		g.shifts[k-1].dropped++
		return
	}
	dropped := int64(1)
	if k := len(g.shifts); k > 0 {
		dropped += g.shifts[k-1].dropped
	}
	g.shifts = append(g.shifts, shift{at: out, dropped: dropped})
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
