package export

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// spool keeps the rows of the emit pass on disk, one file per table, with an index in
// memory (16 bytes a row), so that they can be written sorted by id without holding the
// dictionary in memory.
type spool struct {
	dir   string
	files [tableCount]*os.File
	bufs  [tableCount]*bufio.Writer
	size  [tableCount]int64
	index [tableCount][]spoolEntry
	rec   []byte
}

type spoolEntry struct {
	off int64
	id  int32
	n   uint32
}

func newSpool(parent string) (*spool, error) {
	dir, err := os.MkdirTemp(parent, ".shepherd-spool-*")
	if err != nil {
		return nil, fmt.Errorf("creating the row spool: %w", err)
	}
	return &spool{dir: dir}, nil
}

// add appends a row: its key, its field ends and its literals.
func (s *spool) add(t tableID, id int32, key string, r *row) error {
	if s.files[t] == nil {
		f, err := os.Create(filepath.Join(s.dir, tables[t].name))
		if err != nil {
			return fmt.Errorf("row spool: %w", err)
		}
		s.files[t], s.bufs[t] = f, bufio.NewWriterSize(f, 64<<10)
	}
	rec := s.rec[:0]
	rec = binary.AppendUvarint(rec, uint64(len(key)))
	rec = append(rec, key...)
	rec = binary.AppendUvarint(rec, uint64(len(r.ends)))
	for _, e := range r.ends {
		rec = binary.AppendUvarint(rec, uint64(e))
	}
	rec = append(rec, r.buf...)
	s.rec = rec
	if _, err := s.bufs[t].Write(rec); err != nil {
		return fmt.Errorf("row spool: %w", err)
	}
	s.index[t] = append(s.index[t], spoolEntry{off: s.size[t], id: id, n: uint32(len(rec))})
	s.size[t] += int64(len(rec))
	return nil
}

// sorted flushes table t and returns its rows by id.
func (s *spool) sorted(t tableID) ([]spoolEntry, error) {
	if s.bufs[t] != nil {
		if err := s.bufs[t].Flush(); err != nil {
			return nil, fmt.Errorf("row spool: %w", err)
		}
	}
	idx := s.index[t]
	slices.SortFunc(idx, func(a, b spoolEntry) int { return int(a.id) - int(b.id) })
	return idx, nil
}

var errSpoolCorrupt = errors.New("row spool: corrupt record")

// read loads one row into r and returns its key.
func (s *spool) read(t tableID, e spoolEntry, r *row) (string, error) {
	if cap(s.rec) < int(e.n) {
		s.rec = make([]byte, e.n)
	}
	rec := s.rec[:e.n]
	if _, err := s.files[t].ReadAt(rec, e.off); err != nil {
		return "", fmt.Errorf("row spool: %w", err)
	}
	n, w := binary.Uvarint(rec)
	if w <= 0 || uint64(len(rec)-w) < n {
		return "", errSpoolCorrupt
	}
	key := string(rec[w : w+int(n)])
	rec = rec[w+int(n):]
	fields, w := binary.Uvarint(rec)
	if w <= 0 {
		return "", errSpoolCorrupt
	}
	rec = rec[w:]
	r.reset()
	for i := uint64(0); i < fields; i++ {
		end, w := binary.Uvarint(rec)
		if w <= 0 {
			return "", errSpoolCorrupt
		}
		r.ends = append(r.ends, int(end))
		rec = rec[w:]
	}
	r.buf = append(r.buf, rec...)
	return key, nil
}

func (s *spool) close() {
	for _, f := range s.files {
		if f != nil {
			f.Close()
		}
	}
	os.RemoveAll(s.dir)
}
