package exportfile

// The decoder as it was before the fast pass: encoding/json's Decoder reads the whole
// document, on one goroutine. It is the oracle of the differential tests. One fix: the guard's errors are
// kept (stickyReader). The Decoder reads again after an error when More() swallowed
// it, and the guard then passed on a byte from further on, so that a value over the
// limit could be reported as invalid JSON.

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

type oracleBatch = batch

func oracleDecode(ctx context.Context, r io.Reader, name string, maxValue int64, h Handler) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan oracleBatch, 4)
	g := newOracleGuard(ctx, r, maxValue)
	d := &oracleDecoder{name: name, g: g, dec: json.NewDecoder(&stickyReader{r: g}), out: batches, ctx: ctx, wantConcepts: h.Concept != nil, wantMappings: h.Mapping != nil, keepWrongTypes: h.KeepWrongTypes}
	errc := make(chan error, 1)
	go func() {
		defer close(batches)
		errc <- d.run()
	}()
	var handlerErr error
	for b := range batches {
		if handlerErr != nil {
			continue // drain so the oracleDecoder goroutine can finish
		}
		handlerErr = oracleDeliver(b, h)
		if handlerErr != nil {
			cancel()
		}
	}
	decErr := <-errc
	d.stats.Bytes = d.offset()
	if handlerErr != nil {
		return d.stats, handlerErr
	}
	return d.stats, decErr
}

func oracleDeliver(b oracleBatch, h Handler) error {
	if b.version != nil && h.Version != nil {
		if err := h.Version(b.version); err != nil {
			return err
		}
	}
	for i := range b.concepts {
		if err := h.Concept(&b.concepts[i]); err != nil {
			return err
		}
	}
	for i := range b.mappings {
		if err := h.Mapping(&b.mappings[i]); err != nil {
			return err
		}
	}
	return nil
}

type oracleDecoder struct {
	name         string
	g            *oracleGuard
	dec          *json.Decoder
	out          chan<- oracleBatch
	ctx          context.Context
	stats        Stats
	meta         map[string]json.RawMessage
	versionSent  bool
	wantConcepts bool
	wantMappings bool

	keepWrongTypes bool // Handler.KeepWrongTypes
}

func (d *oracleDecoder) fail(where, reason string, err error) error {
	return &Error{File: d.name, Where: where, Reason: reason, Err: err}
}

// offset is how far the oracleDecoder has read, in bytes of the document.
func (d *oracleDecoder) offset() int64 { return d.g.rawOffset(d.dec.InputOffset()) }

func (d *oracleDecoder) at() string { return fmt.Sprintf("byte %d", d.offset()) }

func (d *oracleDecoder) run() error {
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
			if err := d.array(key, d.concept); err != nil {
				return err
			}
		case "mappings":
			if err := d.sendVersion(); err != nil {
				return err
			}
			if err := d.array(key, d.mapping); err != nil {
				return err
			}
		case "references":
			if err := d.sendVersion(); err != nil {
				return err
			}
			if err := d.array(key, d.reference); err != nil {
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

func (d *oracleDecoder) sendVersion() error {
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
	return d.send(oracleBatch{version: v})
}

func (d *oracleDecoder) send(b oracleBatch) error {
	select {
	case d.out <- b:
		return nil
	case <-d.ctx.Done():
		return d.ctx.Err()
	}
}

// array walks a top-level array, calling elem for each element.
func (d *oracleDecoder) array(key string, elem func(cur *oracleBatch, index int) error) error {
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
	var cur oracleBatch
	for i := 0; d.dec.More(); i++ {
		if err := elem(&cur, i); err != nil {
			return err
		}
		if len(cur.concepts)+len(cur.mappings) >= batchSize {
			if err := d.send(cur); err != nil {
				return err
			}
			cur = oracleBatch{}
		}
	}
	if len(cur.concepts)+len(cur.mappings) > 0 {
		if err := d.send(cur); err != nil {
			return err
		}
	}
	if _, err := d.dec.Token(); err != nil {
		return d.jsonErr(fmt.Sprintf("the end of %q", key), err)
	}
	return nil
}

func (d *oracleDecoder) concept(cur *oracleBatch, i int) error {
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

func (d *oracleDecoder) mapping(cur *oracleBatch, i int) error {
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

func (d *oracleDecoder) skipElement(_ *oracleBatch, _ int) error {
	var raw json.RawMessage
	if err := d.dec.Decode(&raw); err != nil {
		return d.jsonErr("an array element", err)
	}
	return nil
}

func (d *oracleDecoder) reference(cur *oracleBatch, i int) error {
	d.stats.References++
	return d.skipElement(cur, i)
}

// elementStart is where the bytes of array element i begin: encoding/json counts the
// offsets of errors inside a decoded value from there (past the separating comma).
func (d *oracleDecoder) elementStart(i int) int64 {
	start := d.dec.InputOffset()
	if i > 0 {
		start++ // the comma, consumed before the value is read
	}
	return start
}

// jsonErr turns encoding/json errors into messages that say what and where.
func (d *oracleDecoder) jsonErr(where string, err error) error { return d.jsonErrAt(where, err, 0) }

// jsonErrAt is jsonErr for an error inside a value that began at byte base.
func (d *oracleDecoder) jsonErrAt(where string, err error, base int64) error {
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
		// The oracleDecoder's offsets for syntax errors inside a value do not map back onto the
		// document reliably: name the value's start instead.
		return d.fail(fmt.Sprintf("%s starting at byte %d", where, d.g.rawOffset(base)), "invalid JSON: "+syn.Error(), err)
	case errors.As(err, &syn):
		return d.fail(fmt.Sprintf("%s, byte %d", where, d.g.rawOffset(syn.Offset)), "invalid JSON: "+syn.Error(), err)
	case errors.As(err, &typ):
		return d.fail(fmt.Sprintf("%s, byte %d", where, d.g.rawOffset(base+typ.Offset)), describeJSONErr(err), err)
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrChecksum):
		return d.fail(fmt.Sprintf("%s, %s", where, d.at()),
			"the zip entry is damaged or holds more data than its header declares ("+err.Error()+")", err)
	}
	return d.fail(fmt.Sprintf("%s, %s", where, d.at()), err.Error(), err)
}
