package export

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// spool keeps the rows and keys of the read pass on disk, one file per table for each, with
// an index in memory, so that they can be written sorted by id without holding the dictionary in
// memory. The index holds each record's size (4 bytes a row), the file offset of each
// chunk's first record, and, in a table without keys, each row's id: a keyed table's rows
// are spooled in key order, so a row's id is its key's (assign).
type spool struct {
	dir   string
	files [tableCount]*os.File
	bufs  [tableCount]*bufio.Writer
	size  [tableCount]int64
	sizes [tableCount]chunked[uint32]
	bases [tableCount][]int64        // offset of the first record of each chunk of sizes
	ids   [tableCount]chunked[int32] // ids of the rows of a table without keys
	final [tableCount][]int32        // ids of a keyed table's rows, by key position
	rec   []byte
	// The row keys of keyed tables, 24 bytes each in key order: resolve reads back one
	// table's keys at a time (several side by side only while their keys fit in
	// resolveBudget), so that no phase holds them all.
	keyFiles [tableCount]*os.File
	keyBufs  [tableCount]*bufio.Writer
	keyCount [tableCount]int
	// window holds the records of one id range while they are written out.
	window []byte
}

// spoolWindow bounds the records held in memory at once when a table is read back by id.
const spoolWindow = 8 << 20

func newSpool(parent string) (*spool, error) {
	dir, err := os.MkdirTemp(parent, ".shepherd-spool-*")
	if err != nil {
		return nil, fmt.Errorf("creating the row spool: %w", err)
	}
	return &spool{dir: dir}, nil
}

// add appends a row: the release that first wrote it, its key, its field ends, its late
// fields and its literals.
func (s *spool) add(t tableID, id int32, since uint16, key string, r *row) error {
	if s.files[t] == nil {
		f, err := os.Create(filepath.Join(s.dir, tables[t].name))
		if err != nil {
			return fmt.Errorf("row spool: %w", err)
		}
		s.files[t], s.bufs[t] = f, bufio.NewWriterSize(f, 64<<10)
	}
	if keyed(t) && id != int32(s.sizes[t].len()) {
		return fmt.Errorf("row spool: %s row of key position %d spooled as row %d", tables[t].name, id, s.sizes[t].len())
	}
	rec := s.rec[:0]
	rec = binary.AppendUvarint(rec, uint64(since))
	rec = binary.AppendUvarint(rec, uint64(len(key)))
	rec = append(rec, key...)
	rec = binary.AppendUvarint(rec, uint64(len(r.ends)))
	for _, e := range r.ends {
		rec = binary.AppendUvarint(rec, uint64(e))
	}
	rec = binary.AppendUvarint(rec, uint64(len(r.lates)))
	for _, l := range r.lates {
		rec = binary.AppendUvarint(rec, uint64(l.field))
		rec = append(rec, byte(l.kind), byte(l.table))
		rec = binary.AppendUvarint(rec, uint64(l.arg))
	}
	rec = append(rec, r.buf...)
	s.rec = rec
	if _, err := s.bufs[t].Write(rec); err != nil {
		return fmt.Errorf("row spool: %w", err)
	}
	if uint64(len(rec)) > spoolWindow {
		return fmt.Errorf("row spool: a %s row of %d bytes", tables[t].name, len(rec))
	}
	if !keyed(t) {
		s.ids[t].add(id)
	}
	if s.sizes[t].len()&(chunkLen-1) == 0 {
		s.bases[t] = append(s.bases[t], s.size[t])
	}
	s.sizes[t].add(uint32(len(rec)))
	s.size[t] += int64(len(rec))
	return nil
}

// assign gives the rows of keyed table t their final ids, by key position.
func (s *spool) assign(t tableID, ids []int32) { s.final[t] = ids }

// id is the id of the i-th row of table t.
func (s *spool) id(t tableID, i int32) int32 {
	if keyed(t) {
		return s.final[t][i]
	}
	return *s.ids[t].at(int(i))
}

// offset is where the i-th record of table t starts in its file: its chunk's first
// record's offset and the sizes of the records before it in the chunk.
func (s *spool) offset(t tableID, i int32) int64 {
	chunk := s.sizes[t].chunks[i>>chunkBits]
	off := s.bases[t][i>>chunkBits]
	for _, n := range chunk[:i&(chunkLen-1)] {
		off += int64(n)
	}
	return off
}

// keyRecSize is a key on disk: hash, id and group, the numbers little-endian.
const keyRecSize = 24

// addKey appends the key of table t's next row.
func (s *spool) addKey(t tableID, r keyRec) error {
	if s.keyFiles[t] == nil {
		f, err := os.Create(filepath.Join(s.dir, tables[t].name+".keys"))
		if err != nil {
			return fmt.Errorf("row spool: %w", err)
		}
		s.keyFiles[t], s.keyBufs[t] = f, bufio.NewWriterSize(f, 64<<10)
	}
	var b [keyRecSize]byte
	copy(b[:16], r.h[:])
	binary.LittleEndian.PutUint32(b[16:], uint32(r.id))
	binary.LittleEndian.PutUint32(b[20:], uint32(r.group))
	if _, err := s.keyBufs[t].Write(b[:]); err != nil {
		return fmt.Errorf("row spool: %w", err)
	}
	s.keyCount[t]++
	return nil
}

// keys reads back the keys of table t, in key order.
func (s *spool) keys(t tableID) ([]keyRec, error) {
	if s.keyCount[t] == 0 {
		return nil, nil
	}
	if err := s.keyBufs[t].Flush(); err != nil {
		return nil, fmt.Errorf("row spool: %w", err)
	}
	keys := make([]keyRec, s.keyCount[t])
	br := bufio.NewReaderSize(io.NewSectionReader(s.keyFiles[t], 0, int64(len(keys))*keyRecSize), 64<<10)
	var b [keyRecSize]byte
	for i := range keys {
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, fmt.Errorf("row spool: %w", err)
		}
		r := &keys[i]
		copy(r.h[:], b[:16])
		r.id = int32(binary.LittleEndian.Uint32(b[16:]))
		r.group = int32(binary.LittleEndian.Uint32(b[20:]))
	}
	return keys, nil
}

var errSpoolCorrupt = errors.New("row spool: corrupt record")

// spooledRow is a row read back: its literals and field ends in r, the late fields in
// r.lates.
type spooledRow struct {
	id    int32
	since uint16
	key   []byte
	r     row
}

// each calls fn with every row of table t in id order. The rows are read back by windows
// of ids: the records of one window (at most spoolWindow bytes) are gathered in memory by
// one sequential read over the part of the file that holds them, so that reading costs no
// call per row whatever the order the export gave them in. The values fn receives are
// valid until it returns.
func (s *spool) each(t tableID, fn func(*spooledRow) error) error {
	sizes := &s.sizes[t]
	if sizes.len() == 0 {
		return nil
	}
	size := func(i int32) uint32 { return *sizes.at(int(i)) }
	if err := s.bufs[t].Flush(); err != nil {
		return fmt.Errorf("row spool: %w", err)
	}
	// order: positions in the file (and index), sorted by id then position.
	order := make([]int32, sizes.len())
	for i := range order {
		order[i] = int32(i)
	}
	sortedByInt32(order, func(i int32) int32 { return s.id(t, i) })
	// dest: where each record goes in its window's buffer; win: its window, from 1.
	dest := make([]uint32, sizes.len())
	win := make([]uint32, sizes.len())
	var sr spooledRow
	br := bufio.NewReaderSize(nil, 1<<20)
	for start, w := 0, uint32(1); start < len(order); w++ {
		// The window: records in id order up to spoolWindow bytes, and the span of the
		// file that holds them.
		end, total := start, uint32(0)
		lo, hi := order[start], order[start]
		for end < len(order) && (end == start || uint64(total)+uint64(size(order[end])) <= spoolWindow) {
			i := order[end]
			dest[i], win[i] = total, w
			total += size(i)
			lo, hi = min(lo, i), max(hi, i)
			end++
		}
		if cap(s.window) < int(total) {
			s.window = make([]byte, total)
		}
		buf := s.window[:total]
		from := s.offset(t, lo)
		br.Reset(io.NewSectionReader(s.files[t], from, s.offset(t, hi)+int64(size(hi))-from))
		for i := lo; i <= hi; i++ {
			n := size(i)
			if win[i] != w {
				if _, err := br.Discard(int(n)); err != nil {
					return fmt.Errorf("row spool: %w", err)
				}
				continue
			}
			if _, err := io.ReadFull(br, buf[dest[i]:dest[i]+n]); err != nil {
				return fmt.Errorf("row spool: %w", err)
			}
		}
		for _, i := range order[start:end] {
			if err := sr.decode(buf[dest[i]:dest[i]+size(i)], s.id(t, i)); err != nil {
				return err
			}
			if err := fn(&sr); err != nil {
				return err
			}
		}
		start = end
	}
	return nil
}

// decode reads one record.
func (sr *spooledRow) decode(rec []byte, id int32) error {
	sr.id = id
	next := func() (uint64, bool) {
		v, w := binary.Uvarint(rec)
		if w <= 0 {
			return 0, false
		}
		rec = rec[w:]
		return v, true
	}
	since, ok := next()
	if !ok {
		return errSpoolCorrupt
	}
	sr.since = uint16(since)
	n, ok := next()
	if !ok || uint64(len(rec)) < n {
		return errSpoolCorrupt
	}
	sr.key, rec = rec[:n], rec[n:]
	fields, ok := next()
	if !ok {
		return errSpoolCorrupt
	}
	r := &sr.r
	r.reset()
	for range fields {
		end, ok := next()
		if !ok {
			return errSpoolCorrupt
		}
		r.ends = append(r.ends, int(end))
	}
	lates, ok := next()
	if !ok {
		return errSpoolCorrupt
	}
	for range lates {
		field, ok := next()
		if !ok || len(rec) < 2 {
			return errSpoolCorrupt
		}
		kind, table := lateKind(rec[0]), tableID(rec[1])
		rec = rec[2:]
		arg, ok := next()
		if !ok {
			return errSpoolCorrupt
		}
		r.lates = append(r.lates, late{field: int32(field), arg: int32(arg), kind: kind, table: table})
	}
	r.buf = rec[:len(rec):len(rec)]
	return nil
}

func (s *spool) close() {
	for _, f := range append(s.files[:], s.keyFiles[:]...) {
		if f != nil {
			f.Close()
		}
	}
	os.RemoveAll(s.dir)
}
