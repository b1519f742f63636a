package exportfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// The concepts, mappings and references arrays are almost all of an export. encoding/json
// reads them at about a tenth of the speed the zip inflates, on one core. The fast pass
// reads them instead: one goroutine finds where each element begins and ends (tracking
// strings, escapes and depth, as the guard does), several decode the elements, and the
// decoder goroutine collects them in document order into the same batches as before.
//
// Whatever the fast pass does not handle it gives back to encoding/json, so that every
// value, error and offset is the one encoding/json's Decoder gives:
//   - an element the fast decoder gives up on is decoded with json.Unmarshal from the same
//     bytes the Decoder would decode (fastdecode.go);
//   - at anything else (an element that is not an object or not valid JSON, a byte that
//     is neither a comma nor the closing bracket, the end of the input, an error of the
//     guard) a new json.Decoder takes over from the end of the last element delivered,
//     first fed a few synthetic tokens that put it in the state the Decoder would be in
//     there, and the array is read to its end the old way;
//   - at the closing bracket a new json.Decoder takes over the rest of the document the
//     same way.

// decodeWorkers is how many goroutines decode elements.
func decodeWorkers() int { return max(1, runtime.GOMAXPROCS(0)) }

// Tuning of the fast pass: chunks of the document read at a time, and the elements
// handed to a worker at a time (up to jobBytes of them, at most jobElems). Variables
// so that tests can cut documents everywhere.
var (
	chunkSize = 1 << 20
	jobBytes  = 64 << 10
	jobElems  = 256
)

// jobsAhead bounds the jobs read ahead of the one being delivered.
const jobsAhead = 16

// Synthetic starts for the decoder that takes over: the top-level object with a value
// read (after the array), or inside an array of that object before its first element
// or after one.
const (
	resumeAfterArray = `{"":{}`
	resumeArrayStart = `{"":[`
	resumeArrayNext  = `{"":[{}`
)

// resumeTokens is how many tokens each synthetic start holds.
var resumeTokens = map[string]int{resumeAfterArray: 4, resumeArrayStart: 3, resumeArrayNext: 5}

// stickyReader keeps returning the first error of r: after an error of the guard, the
// decoder taking over must meet the same error where the fast pass met it.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

// chunk is a piece of the guarded document. The bytes of an element cut by the end of
// a chunk are copied to the start of the next, so each element lies in one chunk.
type chunk struct {
	buf  []byte
	pos  int64 // offset of buf[0] in the guarded document
	own  int   // buf[:own] is not repeated in next
	next *chunk
}

// chunkBufs holds the buffers of chunks the decoder has delivered: a fresh buffer costs
// the kernel's zeroing of its pages, which took as long as inflating into it. Every
// collection empties a sync.Pool, and a big export has hundreds of collections, so each
// decoder first keeps a few buffers of its own (decoder.freeChunks) and the pool only
// carries them from one decode to the next.
var chunkBufs sync.Pool

// freeChunksKept is how many delivered buffers a decoder keeps for the chunks to come:
// the jobs read ahead (jobsAhead of at most jobBytes) span one or two chunks.
const freeChunksKept = 2

// newChunkBuf returns an empty buffer of chunkSize bytes, or more when need is more.
func (fp *fastPass) newChunkBuf(need int) []byte {
	if need <= chunkSize {
		select {
		case b := <-fp.d.freeChunks:
			return b[:0]
		default:
		}
		if b, ok := chunkBufs.Get().(*[]byte); ok && cap(*b) == chunkSize {
			return (*b)[:0]
		}
	}
	return make([]byte, 0, max(chunkSize, need))
}

// release gives back the buffers of the chunks before c: every element in them has
// been delivered, and nothing will read them again.
func (fp *fastPass) release(c *chunk) {
	for fp.oldest != c {
		old := fp.oldest
		fp.oldest = old.next
		if cap(old.buf) == chunkSize {
			buf := old.buf[:0]
			select {
			case fp.d.freeChunks <- buf:
			default:
				chunkBufs.Put(&buf)
			}
		}
		old.buf = nil
	}
}

// putBackChunks hands the buffers the decoder kept to the pool, for the next decode.
func (d *decoder) putBackChunks() {
	for {
		select {
		case b := <-d.freeChunks:
			chunkBufs.Put(&b)
		default:
			return
		}
	}
}

// span is one element in its chunk: the white space and comma before it start at gap
// (the end of the element before, or the byte after '['), and its bytes as encoding/json
// decodes them are [start, end).
type span struct{ gap, start, end int }

// job is a run of elements of one chunk, or a marker where the fast pass stops.
type job struct {
	c     *chunk
	spans []span
	k0    int // index in the array of spans[0]
	// A marker (no spans): the array ends at c.buf[at] (just past ']') when end is
	// set, else encoding/json takes over at c.buf[at].
	marker, end bool
	at          int
	done        chan struct{}

	// Set by the worker.
	concepts []ocl.Concept
	mappings []ocl.Mapping
	failed   int   // index in spans of the first element that did not decode, -1 if none
	err      error // why, when it is not invalid JSON (for which encoding/json takes over)
}

type fastPass struct {
	d    *decoder
	kind elemKind
	want bool // decode the elements (not only check them)
	keep bool // Handler.KeepWrongTypes

	in    io.Reader // the document after the first chunk
	first *chunk

	jobs  chan *job
	order chan *job
	stop  chan struct{}

	splitDone chan struct{}
	workers   sync.WaitGroup
	stopOnce  sync.Once

	readErr error  // the error that ended reading, kept by the splitter
	oldest  *chunk // the first chunk not released, kept by collect
	nextEnd int    // the first of the guard's ends the splitter may still need
}

// fastArray reads the elements of an array whose '[' dec has just read.
func (d *decoder) fastArray(key string, kind elemKind) error {
	pos := d.outOffset()
	head, _ := io.ReadAll(d.dec.Buffered())
	fp := &fastPass{
		d:    d,
		kind: kind,
		want: kind == conceptsKind && d.wantConcepts || kind == mappingsKind && d.wantMappings,
		keep: d.keepWrongTypes,
		in:   d.in,
		first: &chunk{
			buf: head,
			pos: pos,
			own: len(head),
		},
		jobs:      make(chan *job, jobsAhead),
		order:     make(chan *job, jobsAhead),
		stop:      make(chan struct{}),
		splitDone: make(chan struct{}),
	}
	fp.oldest = fp.first
	if d.freeChunks == nil {
		d.freeChunks = make(chan []byte, freeChunksKept)
	}
	d.dec = nil
	d.pos = pos
	for range d.workers {
		fp.workers.Add(1)
		go fp.work()
	}
	go fp.split()
	defer fp.shutdown()
	return fp.collect(key)
}

// shutdown stops the splitter and the workers and waits for them: the chunks they
// leave are then safe to read.
func (fp *fastPass) shutdown() {
	fp.stopOnce.Do(func() {
		close(fp.stop)
		<-fp.splitDone
		fp.workers.Wait()
	})
}

// collect delivers the decoded elements in order, in batches of batchSize as the
// Decoder's path makes them. A batch refers to runs of the slices the workers decoded
// into (nothing else holds them): copying ≈250-byte structs into batches of their own
// doubled what the decoder allocates.
func (fp *fastPass) collect(key string) error {
	d := fp.d
	var cur batch
	i := 0
	for j := range fp.order {
		<-j.done
		fp.release(j.c)
		if j.marker {
			if j.end {
				if cur.len() > 0 {
					if err := d.send(cur); err != nil {
						return err
					}
				}
				fp.takeOver(j.c, j.at, resumeAfterArray)
				return nil
			}
			fp.takeOver(j.c, j.at, resumeIn(i))
			return d.slowArray(key, fp.kind, i, cur)
		}
		n := len(j.spans)
		if j.failed >= 0 {
			n = j.failed
		}
		for k := 0; k < n; {
			take := n - k
			if fp.want {
				take = min(take, batchSize-cur.len())
				last := k+take == len(j.spans) // the job's last run: nothing reads its slice after
				switch fp.kind {
				case conceptsKind:
					cur.conceptRuns = append(cur.conceptRuns, j.concepts[k:k+take:k+take])
					if last {
						cur.doneConcepts = append(cur.doneConcepts, j.concepts)
					}
				case mappingsKind:
					cur.mappingRuns = append(cur.mappingRuns, j.mappings[k:k+take:k+take])
					if last {
						cur.doneMappings = append(cur.doneMappings, j.mappings)
					}
				}
				cur.runLen += take
			}
			for range take {
				fp.count()
			}
			k += take
			i += take
			if cur.len() >= batchSize {
				if err := d.send(cur); err != nil {
					return err
				}
				cur = batch{}
			}
		}
		if j.failed >= 0 {
			s := j.spans[j.failed]
			if j.err == nil {
				fp.takeOver(j.c, s.gap, resumeIn(i))
				return d.slowArray(key, fp.kind, i, cur)
			}
			fp.shutdown()
			d.pos = j.c.pos + int64(s.end) // encoding/json has read the element
			return d.jsonErrAt(fp.where(i, j, j.failed), j.err, j.c.pos+int64(s.start))
		}
	}
	return errors.New("exportfile: the fast pass ended without a marker") // not reached
}

func (fp *fastPass) count() {
	switch fp.kind {
	case conceptsKind:
		fp.d.stats.Concepts++
	case mappingsKind:
		fp.d.stats.Mappings++
	default:
		fp.d.stats.References++
	}
}

// where names element n of job j, index i of the array, as the decoder's error does.
func (fp *fastPass) where(i int, j *job, n int) string {
	var what, id string
	switch fp.kind {
	case conceptsKind:
		what, id = "concept", j.concepts[n].ID
	default:
		what, id = "mapping", j.mappings[n].ID
	}
	where := fmt.Sprintf("%s #%d", what, i+1)
	if id != "" {
		where += fmt.Sprintf(" (id %q)", id)
	}
	return where
}

// resumeIn is the synthetic start inside an array with i elements read.
func resumeIn(i int) string {
	if i == 0 {
		return resumeArrayStart
	}
	return resumeArrayNext
}

// takeOver hands the rest of the document, from c.buf[at] on, to a new json.Decoder.
func (fp *fastPass) takeOver(c *chunk, at int, prefix string) {
	fp.shutdown()
	readers := []io.Reader{bytes.NewReader(c.buf[at:c.own])}
	for n := c.next; n != nil; n = n.next {
		readers = append(readers, bytes.NewReader(n.buf[:n.own]))
	}
	readers = append(readers, fp.in)
	fp.d.resume(io.MultiReader(readers...), c.pos+int64(at), prefix, resumeTokens[prefix])
}

// split finds the elements and hands them out in runs.
func (fp *fastPass) split() {
	defer close(fp.splitDone)
	defer close(fp.jobs)
	c := fp.first
	p := 0 // where the white space before the next element starts
	k := 0 // elements found
	var cur *job
	// flush hands cur out; false when the pass is stopped.
	flush := func() bool {
		if cur == nil {
			return true
		}
		j := cur
		cur = nil
		select {
		case fp.order <- j:
		case <-fp.stop:
			return false
		}
		select {
		case fp.jobs <- j:
			return true
		case <-fp.stop:
			return false
		}
	}
	mark := func(end bool, at int) {
		if flush() {
			j := &job{c: c, marker: true, end: end, at: at, done: make(chan struct{})}
			close(j.done)
			select {
			case fp.order <- j:
			case <-fp.stop:
			}
		}
	}
	for {
		for {
			q := skipSpace(c.buf, p)
			if q == len(c.buf) {
				break
			}
			start, v := q, q
			switch c.buf[q] {
			case ']':
				mark(true, q+1)
				return
			case ',':
				if k == 0 {
					mark(false, p)
					return
				}
				start = q + 1
				v = skipSpace(c.buf, start)
			default:
				if k > 0 {
					mark(false, p)
					return
				}
			}
			if v == len(c.buf) {
				break
			}
			if c.buf[v] != '{' {
				mark(false, p)
				return
			}
			e := fp.endOf(c, v)
			if e < 0 {
				break
			}
			if cur == nil {
				cur = &job{c: c, k0: k, failed: -1, done: make(chan struct{})}
			}
			cur.spans = append(cur.spans, span{gap: p, start: start, end: e})
			k++
			p = e
			if len(cur.spans) >= jobElems || e-cur.spans[0].gap >= jobBytes {
				if !flush() {
					return
				}
			}
		}
		// The chunk ends inside an element or before the next: read on.
		if !flush() {
			return
		}
		if fp.readErr != nil { // no more bytes will come
			mark(false, p)
			return
		}
		select {
		case <-fp.stop:
			return
		default:
		}
		carry := c.buf[p:]
		buf := fp.newChunkBuf(2 * len(carry))
		buf = append(buf, carry...)
		n, err := readFull(fp.in, buf[len(carry):cap(buf)])
		nc := &chunk{buf: buf[:len(carry)+n], pos: c.pos + int64(p)}
		nc.own = len(nc.buf)
		c.own, c.next = p, nc
		c, p = nc, 0
		if err != nil {
			fp.readErr = err
		}
	}
}

// readFull reads into p until it is full or r fails.
func readFull(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func skipSpace(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case ' ', '\n', '\r', '\t':
		default:
			return i
		}
	}
	return i
}

// endOf finds the end of the element whose '{' is c.buf[v]: the first end of a value at
// depth 2 the guard has recorded past it (the array is at depth 2, and only white space
// and commas come between its elements); -1 when the element goes on past c. The
// bytes are not checked here: the decoders do.
func (fp *fastPass) endOf(c *chunk, v int) int {
	g := fp.d.g
	start := c.pos + int64(v)
	for fp.nextEnd < len(g.ends) && g.ends[fp.nextEnd] <= start {
		fp.nextEnd++
	}
	if fp.nextEnd >= 4096 { // forget what is used
		g.ends = g.ends[:copy(g.ends, g.ends[fp.nextEnd:])]
		fp.nextEnd = 0
	}
	if fp.nextEnd == len(g.ends) || g.ends[fp.nextEnd]-c.pos > int64(len(c.buf)) {
		return -1
	}
	return int(g.ends[fp.nextEnd] - c.pos)
}

// work decodes jobs until the splitter is done.
func (fp *fastPass) work() {
	defer fp.workers.Done()
	p := &fastParser{strs: map[string]string{}}
	for j := range fp.jobs {
		select {
		case <-fp.stop:
		default:
			fp.decode(p, j)
		}
		close(j.done)
	}
}

func (fp *fastPass) decode(p *fastParser, j *job) {
	fail := func(n int, err error) {
		j.failed = n
		var syn *json.SyntaxError
		if !errors.As(err, &syn) {
			j.err = err
		}
	}
	switch {
	case !fp.want:
		for n, s := range j.spans {
			if !p.valid(j.c.buf[s.start:s.end]) {
				j.failed = n
				return
			}
		}
	case fp.kind == conceptsKind:
		j.concepts = reusedSlice(fp.d.freeConcepts, len(j.spans))
		for n, s := range j.spans {
			if err := p.decodeConcept(j.c.buf[s.start:s.end], &j.concepts[n], fp.keep); err != nil {
				fail(n, err)
				return
			}
		}
	default:
		j.mappings = reusedSlice(fp.d.freeMappings, len(j.spans))
		for n, s := range j.spans {
			if err := p.decodeMapping(j.c.buf[s.start:s.end], &j.mappings[n], fp.keep); err != nil {
				fail(n, err)
				return
			}
		}
	}
}

// freeSlicesKept is how many delivered slices of elements a decoder keeps for its
// workers (Handler.Reuse): about the jobs read ahead.
const freeSlicesKept = jobsAhead

// reusedSlice is a slice of n zero elements, in a delivered slice from free when there
// is one: the structs of a big export were a fifth of what decoding allocates.
func reusedSlice[T any](free chan []T, n int) []T {
	if free == nil { // Reuse is off
		return make([]T, n)
	}
	select {
	case s := <-free:
		if cap(s) >= n {
			s = s[:n]
			clear(s)
			return s
		}
	default:
	}
	// Jobs differ in length: room for a quarter more lets most slices serve again.
	return make([]T, n, n+n/4)
}

// reuse hands the slices whose elements b delivered back to the workers.
func (d *decoder) reuse(b batch) {
	if d.freeConcepts == nil {
		return
	}
	for _, s := range b.doneConcepts {
		select {
		case d.freeConcepts <- s[:0]:
		default:
		}
	}
	for _, s := range b.doneMappings {
		select {
		case d.freeMappings <- s[:0]:
		default:
		}
	}
}

// readAhead reads r on a goroutine of its own, a few buffers ahead, so that inflating
// the zip and cutting the document into elements use two cores.
type readAhead struct {
	full chan []byte
	free chan []byte
	err  error // why reading stopped, set before full is closed
	cur  []byte
	buf  []byte // the buffer cur is in
	stop chan struct{}
	done chan struct{}
}

const (
	readAheadBuffers = 4
	readAheadSize    = 256 << 10
)

func newReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{
		full: make(chan []byte, readAheadBuffers),
		free: make(chan []byte, readAheadBuffers),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range readAheadBuffers {
		ra.free <- make([]byte, readAheadSize)
	}
	go ra.fill(r)
	return ra
}

func (ra *readAhead) fill(r io.Reader) {
	defer close(ra.done)
	defer close(ra.full)
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.stop:
			return
		}
		n, err := readFull(r, buf[:cap(buf)])
		if n > 0 {
			select {
			case ra.full <- buf[:n]:
			case <-ra.stop:
				return
			}
		}
		if err != nil {
			ra.err = err
			return
		}
	}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.buf != nil {
			ra.free <- ra.buf // never blocks: free holds every buffer
			ra.buf = nil
		}
		buf, ok := <-ra.full
		if !ok {
			return 0, ra.err
		}
		ra.cur, ra.buf = buf, buf
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops reading ahead and waits until r is no longer read.
func (ra *readAhead) Close() {
	close(ra.stop)
	<-ra.done
}
