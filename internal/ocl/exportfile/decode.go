package exportfile

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// Handler receives the parts of an export in document order. The version metadata
// arrives once, before the first concept or mapping (or at the end when there are
// none). A nil callback skips that kind. Callbacks run on the caller's goroutine; the
// values passed to them are not touched again by the decoder and may be kept, unless
// Reuse is set.
type Handler struct {
	Version func(*ocl.SourceVersion) error
	Concept func(*ocl.Concept) error
	Mapping func(*ocl.Mapping) error
	// KeepWrongTypes records a value of the wrong JSON type on its concept, mapping or
	// version (WrongTypes) instead of failing the decode, so that QA can report it.
	KeepWrongTypes bool
	// Reuse lets the decoder decode later elements into the memory of a concept or
	// mapping once its callback has returned, so the callbacks must not keep the
	// pointers they are given. What the values hold (strings, slices, extras) is never
	// reused and may be kept.
	Reuse bool
}

// Stats counts what was read.
type Stats struct {
	Concepts   int
	Mappings   int
	References int
	Bytes      int64
	ExportTime string
}

// batchSize trades channel overhead against the memory of batches in flight.
const batchSize = 256

// batch is what the handler gets at a time. The fast pass puts in runs of the slices
// its workers decoded into; elements the Decoder reads after it took over follow them.
type batch struct {
	version     *ocl.SourceVersion
	conceptRuns [][]ocl.Concept
	mappingRuns [][]ocl.Mapping
	runLen      int // elements in the runs
	// Slices of the fast pass whose last run is in this batch: with Handler.Reuse they
	// go back to the workers once the batch is delivered.
	doneConcepts [][]ocl.Concept
	doneMappings [][]ocl.Mapping
	concepts     []ocl.Concept
	mappings     []ocl.Mapping
}

// len is how many concepts and mappings the batch holds.
func (b *batch) len() int { return b.runLen + len(b.concepts) + len(b.mappings) }

// Decode reads an export document from r. JSON decoding runs on its own goroutine while
// the handler works on the previous batch, so a handler that is cheaper than decoding
// adds almost nothing to the total time. name is used in error messages. No single value
// may exceed DefaultMaxValue bytes; Source.Decode applies the source's own limits.
// Decoding stops soon after ctx is done, returning ctx's error.
func Decode(ctx context.Context, r io.Reader, name string, h Handler) (Stats, error) {
	return decode(ctx, r, name, DefaultMaxValue, h)
}

// Decode reads the source's export.json with the limits it was opened with.
func (s *Source) Decode(ctx context.Context, h Handler) (Stats, error) {
	rc, err := s.Reader()
	if err != nil {
		return Stats{}, err
	}
	defer rc.Close()
	return decode(ctx, rc, s.Name(), s.limits.MaxValue, h)
}

func decode(ctx context.Context, r io.Reader, name string, maxValue int64, h Handler) (Stats, error) {
	return decodeWith(ctx, r, name, maxValue, decodeWorkers(), h)
}

// decodeWith decodes with workers goroutines decoding the elements of the arrays; 0
// leaves them to encoding/json's Decoder.
func decodeWith(ctx context.Context, r io.Reader, name string, maxValue int64, workers int, h Handler) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if workers > 1 {
		ra := newReadAhead(r)
		defer ra.Close()
		r = ra
	}
	batches := make(chan batch, 4)
	g := newGuard(ctx, r, maxValue)
	d := &decoder{name: name, g: g, out: batches, ctx: ctx, wantConcepts: h.Concept != nil, wantMappings: h.Mapping != nil,
		keepWrongTypes: h.KeepWrongTypes, workers: workers}
	if h.Reuse {
		d.freeConcepts = make(chan []ocl.Concept, freeSlicesKept)
		d.freeMappings = make(chan []ocl.Mapping, freeSlicesKept)
	}
	d.src = &stickyReader{r: g}
	d.resume(d.src, 0, "", 0)
	errc := make(chan error, 1)
	go func() {
		defer close(batches)
		errc <- d.run()
	}()
	var handlerErr error
	for b := range batches {
		if handlerErr != nil {
			continue // drain so the decoder goroutine can finish
		}
		handlerErr = deliver(b, h)
		if handlerErr == nil {
			d.reuse(b)
		}
		if handlerErr != nil {
			cancel()
		}
	}
	decErr := <-errc
	d.putBackChunks()
	d.stats.Bytes = d.offset()
	if handlerErr != nil {
		return d.stats, handlerErr
	}
	return d.stats, decErr
}

func deliver(b batch, h Handler) error {
	if b.version != nil && h.Version != nil {
		if err := h.Version(b.version); err != nil {
			return err
		}
	}
	for _, run := range b.conceptRuns {
		for i := range run {
			if err := h.Concept(&run[i]); err != nil {
				return err
			}
		}
	}
	for i := range b.concepts {
		if err := h.Concept(&b.concepts[i]); err != nil {
			return err
		}
	}
	for _, run := range b.mappingRuns {
		for i := range run {
			if err := h.Mapping(&run[i]); err != nil {
				return err
			}
		}
	}
	for i := range b.mappings {
		if err := h.Mapping(&b.mappings[i]); err != nil {
			return err
		}
	}
	return nil
}

type decoder struct {
	name string
	g    *guard
	// src is the guarded document; in is what dec reads from it (after a fast pass over
	// an array, the bytes that pass read ahead, then src).
	src *stickyReader
	in  io.Reader
	dec *json.Decoder
	// base is the offset in the guarded document of dec's offset 0: dec may have been
	// started part way, after a synthetic prefix that puts it in the right state.
	base int64
	// pos is the offset in the guarded document when dec is nil (the fast pass ended
	// with an error).
	pos int64
	// workers decode the elements of the big arrays; 0 leaves them to dec.
	workers      int
	out          chan<- batch
	ctx          context.Context
	stats        Stats
	meta         map[string]json.RawMessage
	versionSent  bool
	wantConcepts bool
	wantMappings bool

	keepWrongTypes bool // Handler.KeepWrongTypes

	freeChunks chan []byte // buffers of delivered chunks, for the fast pass's next chunks
	// With Handler.Reuse: slices of delivered elements, for the workers to decode into.
	freeConcepts chan []ocl.Concept
	freeMappings chan []ocl.Mapping
}

func (d *decoder) fail(where, reason string, err error) error {
	return &Error{File: d.name, Where: where, Reason: reason, Err: err}
}

// offset is how far the decoder has read, in bytes of the document.
func (d *decoder) offset() int64 { return d.g.rawOffset(d.outOffset()) }

func (d *decoder) at() string { return fmt.Sprintf("byte %d", d.offset()) }

// outOffset is how far the decoder has read, in bytes of the guarded document.
func (d *decoder) outOffset() int64 {
	if d.dec == nil {
		return d.pos
	}
	return d.base + d.dec.InputOffset()
}

// resume starts a json.Decoder on in, whose first byte is at offset pos of the guarded
// document, after prefix: the first tokens of a document that leave the decoder in the
// state the original decoder was in at pos (see fastArray).
func (d *decoder) resume(in io.Reader, pos int64, prefix string, tokens int) {
	d.in = in
	d.dec = json.NewDecoder(io.MultiReader(strings.NewReader(prefix), in))
	d.base = pos - int64(len(prefix))
	for range tokens {
		_, _ = d.dec.Token() // the prefix is valid JSON, held in the decoder's buffer
	}
}

func (d *decoder) run() error {
	tok, err := d.dec.Token()
	if err != nil {
		return d.jsonErr("the start of the document", err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return d.fail("byte 0", "the export must be a JSON object", nil)
	}
	d.meta = map[string]json.RawMessage{}
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return d.jsonErr("a top-level key", err)
		}
		key, _ := tok.(string)
		switch key {
		case "concepts":
			if err := d.sendVersion(); err != nil {
				return err
			}
			if err := d.array(key, conceptsKind); err != nil {
				return err
			}
		case "mappings":
			if err := d.sendVersion(); err != nil {
				return err
			}
			if err := d.array(key, mappingsKind); err != nil {
				return err
			}
		case "references":
			if err := d.sendVersion(); err != nil {
				return err
			}
			if err := d.array(key, referencesKind); err != nil {
				return err
			}
		default:
			var raw json.RawMessage
			if err := d.dec.Decode(&raw); err != nil {
				return d.jsonErr(fmt.Sprintf("top-level key %q", key), err)
			}
			if key == "export_time" {
				_ = json.Unmarshal(raw, &d.stats.ExportTime)
			}
			if !d.versionSent {
				d.meta[key] = raw
			}
		}
	}
	if _, err := d.dec.Token(); err != nil {
		return d.jsonErr("the end of the document", err)
	}
	// Anything after the closing brace other than white space is a broken file.
	if _, err := d.dec.Token(); err != io.EOF {
		return d.fail(d.at(), "unexpected data after the end of the export object", err)
	}
	return d.sendVersion()
}

func (d *decoder) sendVersion() error {
	if d.versionSent {
		return nil
	}
	d.versionSent = true
	raw, err := json.Marshal(d.meta)
	if err != nil {
		return d.fail("version metadata", err.Error(), err)
	}
	v := new(ocl.SourceVersion)
	if err := json.Unmarshal(raw, v); err != nil && !(d.keepWrongTypes && v.NoteWrongType(err)) {
		return d.fail("version metadata", describeJSONErr(err), err)
	}
	d.meta = nil
	return d.send(batch{version: v})
}

func (d *decoder) send(b batch) error {
	select {
	case d.out <- b:
		return nil
	case <-d.ctx.Done():
		return d.ctx.Err()
	}
}

// elemKind names the top-level arrays.
type elemKind int

const (
	conceptsKind elemKind = iota
	mappingsKind
	referencesKind
)

// array walks a top-level array.
func (d *decoder) array(key string, kind elemKind) error {
	tok, err := d.dec.Token()
	if err != nil {
		return d.jsonErr(fmt.Sprintf("%q", key), err)
	}
	if tok == nil { // "concepts": null
		return nil
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '[' {
		return d.fail(d.at(), fmt.Sprintf("%q must be an array", key), nil)
	}
	if d.workers > 0 {
		return d.fastArray(key, kind)
	}
	return d.slowArray(key, kind, 0, batch{})
}

// slowArray reads the elements of an array from element i on with dec, cur holding
// the elements read since the last batch was sent.
func (d *decoder) slowArray(key string, kind elemKind, i int, cur batch) error {
	elem := d.reference
	switch kind {
	case conceptsKind:
		elem = d.concept
	case mappingsKind:
		elem = d.mapping
	}
	for ; d.dec.More(); i++ {
		if err := elem(&cur, i); err != nil {
			return err
		}
		if cur.len() >= batchSize {
			if err := d.send(cur); err != nil {
				return err
			}
			cur = batch{}
		}
	}
	if cur.len() > 0 {
		if err := d.send(cur); err != nil {
			return err
		}
	}
	if _, err := d.dec.Token(); err != nil {
		return d.jsonErr(fmt.Sprintf("the end of %q", key), err)
	}
	return nil
}

func (d *decoder) concept(cur *batch, i int) error {
	if !d.wantConcepts {
		d.stats.Concepts++
		return d.skipElement(cur, i)
	}
	if cur.concepts == nil {
		cur.concepts = make([]ocl.Concept, 0, batchSize)
	}
	cur.concepts = append(cur.concepts, ocl.Concept{})
	c := &cur.concepts[len(cur.concepts)-1]
	base := d.elementStart(i)
	if err := d.dec.Decode(c); err != nil && !(d.keepWrongTypes && c.NoteWrongType(err)) {
		where := fmt.Sprintf("concept #%d", i+1)
		if c.ID != "" {
			where += fmt.Sprintf(" (id %q)", c.ID)
		}
		return d.jsonErrAt(where, err, base)
	}
	d.stats.Concepts++
	return nil
}

func (d *decoder) mapping(cur *batch, i int) error {
	if !d.wantMappings {
		d.stats.Mappings++
		return d.skipElement(cur, i)
	}
	if cur.mappings == nil {
		cur.mappings = make([]ocl.Mapping, 0, batchSize)
	}
	cur.mappings = append(cur.mappings, ocl.Mapping{})
	m := &cur.mappings[len(cur.mappings)-1]
	base := d.elementStart(i)
	if err := d.dec.Decode(m); err != nil && !(d.keepWrongTypes && m.NoteWrongType(err)) {
		where := fmt.Sprintf("mapping #%d", i+1)
		if m.ID != "" {
			where += fmt.Sprintf(" (id %q)", m.ID)
		}
		return d.jsonErrAt(where, err, base)
	}
	d.stats.Mappings++
	return nil
}

func (d *decoder) skipElement(_ *batch, _ int) error {
	var raw json.RawMessage
	if err := d.dec.Decode(&raw); err != nil {
		return d.jsonErr("an array element", err)
	}
	return nil
}

func (d *decoder) reference(cur *batch, i int) error {
	d.stats.References++
	return d.skipElement(cur, i)
}

// elementStart is where the bytes of array element i begin: encoding/json counts the
// offsets of errors inside a decoded value from there (past the separating comma).
func (d *decoder) elementStart(i int) int64 {
	start := d.outOffset()
	if i > 0 {
		start++ // the comma, consumed before the value is read
	}
	return start
}

// jsonErr turns encoding/json errors into messages that say what and where.
func (d *decoder) jsonErr(where string, err error) error { return d.jsonErrAt(where, err, 0) }

// jsonErrAt is jsonErr for an error inside a value that began at byte base.
func (d *decoder) jsonErrAt(where string, err error, base int64) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *ValueTooLargeError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, &big):
		return d.fail(fmt.Sprintf("%s starting at byte %d", where, big.Start),
			fmt.Sprintf("the value is larger than the limit of %s for one value (a broken or hostile export?)", formatBytes(big.Limit)), err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return d.fail(fmt.Sprintf("%s, %s", where, d.at()), "the document ends early (truncated export?)", err)
	case errors.As(err, &syn) && base > 0:
		// The decoder's offsets for syntax errors inside a value do not map back onto the
		// document reliably: name the value's start instead.
		return d.fail(fmt.Sprintf("%s starting at byte %d", where, d.g.rawOffset(base)), "invalid JSON: "+syn.Error(), err)
	case errors.As(err, &syn):
		// A SyntaxError of Token counts from the start of what dec read; one found while
		// reading a value counts the bytes dec scanned as values (see scannedOffset).
		return d.fail(fmt.Sprintf("%s, byte %d", where, d.g.rawOffset(d.base+syn.Offset)), "invalid JSON: "+syn.Error(), err)
	case errors.As(err, &typ):
		return d.fail(fmt.Sprintf("%s, byte %d", where, d.g.rawOffset(base+typ.Offset)), describeJSONErr(err), err)
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrChecksum):
		return d.fail(fmt.Sprintf("%s, %s", where, d.at()),
			"the zip entry is damaged or holds more data than its header declares ("+err.Error()+")", err)
	}
	return d.fail(fmt.Sprintf("%s, %s", where, d.at()), err.Error(), err)
}

func describeJSONErr(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		field := typ.Field
		if field == "" {
			field = "value"
		}
		return fmt.Sprintf("field %q: expected %s, got JSON %s", field, typ.Type, typ.Value)
	}
	return err.Error()
}
