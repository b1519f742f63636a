package export

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The id map keeps row ids stable across releases. An OpenMRS site stores row ids in its
// own tables (obs.value_coded_name_id, drug_reference_map.term_id, …), so when release B
// replaces release A every id present in both must name the same row. Each release reads
// the map its predecessor wrote and writes the next one:
//
//	@idmap 1
//	@source CIEL
//	@release 0 v2026-11-22 2026-11-22T07:30:36Z
//	@max concept_name 2104411
//	concept_name<TAB>1588<TAB>0<TAB>1588BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB
//
// One row line per row ever written: table, id, the index of the release that first wrote
// it (its date_created) and its key — the uuid, or for rows without one in the export the
// natural key (a class or map type name, a source, source+code for a reference term, the
// code for a concept). Row lines are sorted by table and id. Rows a release no longer has
// stay in the map, so their ids are never given to anything else; @max is the highest id
// ever used per table, and new rows get ids above it. The file is gzip-compressed.

const idMapMagic = "@idmap 1"

// IDMapRelease is one release that wrote rows of the map.
type IDMapRelease struct {
	Version string
	Created time.Time
}

type mapEntry struct {
	h     [16]byte
	id    int32
	since uint16 // index into Releases
}

// IDMap is a read id map: hashes of keys, so that CIEL-scale maps stay small in memory.
type IDMap struct {
	path     string
	Source   string
	Releases []IDMapRelease
	max      [tableCount]int64
	entries  [tableCount][]mapEntry // sorted by h
	byID     [tableCount][]int32    // indexes into entries, sorted by id
}

// keyed reports whether a table's rows are in the id map. Datatypes are OpenMRS's own;
// concept_numeric and concept_complex share the concept's id.
func keyed(t tableID) bool {
	return t != tDatatype && t != tNumeric && t != tComplex
}

func tableByName(name string) (tableID, bool) {
	for t := range tables {
		if tables[t].name == name {
			return tableID(t), true
		}
	}
	return 0, false
}

func hashKey(key string) [16]byte {
	sum := sha256.Sum256([]byte(key))
	var h [16]byte
	copy(h[:], sum[:16])
	return h
}

// compareHash orders hashes as bytes.Compare does, a word at a time.
func compareHash(a, b [16]byte) int {
	if c := cmp.Compare(binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])); c != 0 {
		return c
	}
	return cmp.Compare(binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:]))
}

// ReadIDMap reads an id map written by a previous build. Anything inconsistent (an id used
// twice in a table, a key given two ids, an id above the table's @max) is refused: building
// on a damaged map would silently move ids.
func ReadIDMap(path string) (*IDMap, error) {
	m := &IDMap{path: path}
	lastT, lastID := tableID(-1), int32(0)
	err := scanIDMap(path, func(line int, kind string, fields []string) error {
		switch kind {
		case "@source":
			m.Source = fields[0]
		case "@release":
			idx, err := strconv.Atoi(fields[0])
			if err != nil || idx != len(m.Releases) || len(fields) != 3 {
				return errors.New("releases must be numbered 0, 1, 2, … in order")
			}
			created, err := time.Parse(time.RFC3339, fields[2])
			if err != nil {
				return fmt.Errorf("release time: %w", err)
			}
			m.Releases = append(m.Releases, IDMapRelease{Version: fields[1], Created: created})
		case "@max":
			t, ok := tableByName(fields[0])
			if !ok || len(fields) != 2 {
				return fmt.Errorf("unknown table %q", fields[0])
			}
			n, err := strconv.ParseInt(fields[1], 10, 32)
			if err != nil || n < 0 {
				return fmt.Errorf("@max %q is not an id", fields[1])
			}
			m.max[t] = n
		case "row":
			t, id, since, key, err := parseMapRow(fields, len(m.Releases))
			if err != nil {
				return err
			}
			if t < lastT || t == lastT && id <= lastID {
				return errors.New("row lines must be sorted by table, then id")
			}
			lastT, lastID = t, id
			if int64(id) > m.max[t] {
				return fmt.Errorf("%s id %d is above the table's @max %d", tables[t].name, id, m.max[t])
			}
			m.entries[t] = append(m.entries[t], mapEntry{h: hashKey(key), id: id, since: since})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for t := range m.entries {
		es := slices.Clip(m.entries[t])
		slices.SortFunc(es, func(a, b mapEntry) int { return compareHash(a.h, b.h) })
		for i := 1; i < len(es); i++ {
			if es[i].h == es[i-1].h {
				return nil, fmt.Errorf("id map %s: a %s key has two ids (%d and %d)", path, tables[t].name, es[i-1].id, es[i].id)
			}
		}
		byID := make([]int32, len(es))
		for i := range byID {
			byID[i] = int32(i)
		}
		slices.SortFunc(byID, func(a, b int32) int { return int(es[a].id) - int(es[b].id) })
		for i := 1; i < len(byID); i++ {
			if es[byID[i]].id == es[byID[i-1]].id {
				return nil, fmt.Errorf("id map %s: %s id %d is given to two keys", path, tables[t].name, es[byID[i]].id)
			}
		}
		m.entries[t], m.byID[t] = es, byID
	}
	return m, nil
}

func parseMapRow(fields []string, releases int) (tableID, int32, uint16, string, error) {
	if len(fields) != 4 {
		return 0, 0, 0, "", errors.New("a row line has table, id, release and key separated by tabs")
	}
	t, ok := tableByName(fields[0])
	if !ok || !keyed(t) {
		return 0, 0, 0, "", fmt.Errorf("unknown table %q", fields[0])
	}
	id, err := strconv.ParseInt(fields[1], 10, 32)
	if err != nil || id <= 0 {
		return 0, 0, 0, "", fmt.Errorf("id %q is not a positive whole number", fields[1])
	}
	since, err := strconv.Atoi(fields[2])
	if err != nil || since < 0 || since >= releases {
		return 0, 0, 0, "", fmt.Errorf("release %q is not one of the @release lines above", fields[2])
	}
	key, err := unescapeKey(fields[3])
	if err != nil {
		return 0, 0, 0, "", err
	}
	return t, int32(id), uint16(since), key, nil
}

// scanIDMap calls fn for every line of a map file; header lines come with their own kind,
// row lines with kind "row".
func scanIDMap(path string, fn func(line int, kind string, fields []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("id map: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("id map %s: %w", path, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			if text != idMapMagic {
				return fmt.Errorf("id map %s: line 1: not an id map (expected %q)", path, idMapMagic)
			}
			continue
		}
		var err error
		if strings.HasPrefix(text, "@") {
			fields := strings.Fields(text)
			if len(fields) < 2 {
				err = errors.New("a header line needs a value")
			} else {
				err = fn(line, fields[0], fields[1:])
			}
		} else {
			err = fn(line, "row", strings.Split(text, "\t"))
		}
		if err != nil {
			return fmt.Errorf("id map %s: line %d: %w", path, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("id map %s: %w", path, err)
	}
	if line == 0 {
		return fmt.Errorf("id map %s: empty", path)
	}
	return nil
}

// escapeKey keeps a key on one tab-free line.
func escapeKey(key string) string {
	if strings.HasPrefix(key, `"`) || strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return strconv.Quote(key)
	}
	return key
}

func unescapeKey(s string) (string, error) {
	if strings.HasPrefix(s, `"`) {
		k, err := strconv.Unquote(s)
		if err != nil {
			return "", fmt.Errorf("key %s: %w", s, err)
		}
		return k, nil
	}
	return s, nil
}

func (m *IDMap) lookup(t tableID, h [16]byte) (mapEntry, bool) {
	if m == nil {
		return mapEntry{}, false
	}
	es := m.entries[t]
	i, ok := slices.BinarySearchFunc(es, h, func(e mapEntry, h [16]byte) int { return compareHash(e.h, h) })
	if !ok {
		return mapEntry{}, false
	}
	return es[i], true
}

func (m *IDMap) ownerOf(t tableID, id int32) (mapEntry, bool) {
	if m == nil {
		return mapEntry{}, false
	}
	es := m.entries[t]
	i, ok := slices.BinarySearchFunc(m.byID[t], id, func(idx int32, id int32) int { return int(es[idx].id) - int(id) })
	if !ok {
		return mapEntry{}, false
	}
	return es[m.byID[t][i]], true
}

// keyOf finds the key the map gives an id, for error messages (the map keeps only hashes
// in memory).
func (m *IDMap) keyOf(t tableID, id int32) string {
	key := "?"
	want := strconv.Itoa(int(id))
	_ = scanIDMap(m.path, func(_ int, kind string, fields []string) error {
		if kind == "row" && len(fields) == 4 && fields[0] == tables[t].name && fields[1] == want {
			key, _ = unescapeKey(fields[3])
			return io.EOF
		}
		return nil
	})
	return key
}

// releaseIndex is the index of version in the map's releases, appending it when new.
func releaseList(prev *IDMap, version string, created time.Time) ([]IDMapRelease, uint16, error) {
	var rel []IDMapRelease
	if prev != nil {
		rel = slices.Clone(prev.Releases)
	}
	for i, r := range rel {
		if r.Version == version {
			return rel, uint16(i), nil
		}
	}
	if len(rel) >= math.MaxUint16 {
		return nil, 0, errors.New("the id map holds too many releases")
	}
	rel = append(rel, IDMapRelease{Version: version, Created: created.UTC()})
	return rel, uint16(len(rel) - 1), nil
}

// idMapWriter writes the next map: header, then for each table the rows of this release
// merged with the rows earlier releases had and this one dropped, by id.
type idMapWriter struct {
	file *os.File
	zw   *gzip.Writer
	w    *bufio.Writer
	old  *oldRows
}

func newIDMapWriter(path string, prev *IDMap, source string, releases []IDMapRelease, max [tableCount]int64) (*idMapWriter, error) {
	f, err := os.CreateTemp(dirOf(path), ".idmap.tmp-*")
	if err != nil {
		return nil, fmt.Errorf("id map: %w", err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	w := bufio.NewWriterSize(zw, 256<<10)
	mw := &idMapWriter{file: f, zw: zw, w: w}
	fmt.Fprintf(w, "%s\n@source %s\n", idMapMagic, strings.Join(strings.Fields(source), "_"))
	for i, r := range releases {
		fmt.Fprintf(w, "@release %d %s %s\n", i, r.Version, r.Created.UTC().Format(time.RFC3339))
	}
	for t := range tables {
		if keyed(tableID(t)) {
			fmt.Fprintf(w, "@max %s %d\n", tables[t].name, max[t])
		}
	}
	if prev != nil {
		mw.old, err = openOldRows(prev.path)
		if err != nil {
			mw.abort()
			return nil, err
		}
	}
	return mw, nil
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, os.PathSeparator); i >= 0 {
		return path[:i+1]
	}
	return "."
}

func (mw *idMapWriter) row(t tableID, id int32, since uint16, key string) {
	mw.w.WriteString(tables[t].name)
	mw.w.WriteByte('\t')
	mw.w.WriteString(strconv.Itoa(int(id)))
	mw.w.WriteByte('\t')
	mw.w.WriteString(strconv.Itoa(int(since)))
	mw.w.WriteByte('\t')
	mw.w.WriteString(escapeKey(key))
	mw.w.WriteByte('\n')
}

// dropped writes the earlier rows of table t with ids below limit that this release does
// not have (present reports whether a hash is in this release).
func (mw *idMapWriter) dropped(t tableID, limit int64, present func([16]byte) bool) error {
	if mw.old == nil {
		return nil
	}
	for {
		r, ok, err := mw.old.peek()
		if err != nil {
			return err
		}
		if !ok || r.t != t || int64(r.id) >= limit {
			return nil
		}
		mw.old.next()
		if !present(hashKey(r.key)) {
			mw.row(t, r.id, r.since, r.key)
		}
	}
}

func (mw *idMapWriter) commit(path string) error {
	if mw.old != nil {
		mw.old.close()
	}
	err := mw.w.Flush()
	if err == nil {
		err = mw.zw.Close()
	}
	if err == nil {
		err = mw.file.Sync()
	}
	if cerr := mw.file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(mw.file.Name(), path)
	}
	if err != nil {
		os.Remove(mw.file.Name())
		return fmt.Errorf("writing the id map: %w", err)
	}
	return nil
}

func (mw *idMapWriter) abort() {
	if mw.old != nil {
		mw.old.close()
	}
	mw.file.Close()
	os.Remove(mw.file.Name())
}

// oldRows streams the row lines of the previous map, in file order (table, then id).
type oldRows struct {
	f    *os.File
	sc   *bufio.Scanner
	cur  oldRow
	have bool
	done bool
}

type oldRow struct {
	t     tableID
	id    int32
	since uint16
	key   string
}

func openOldRows(path string) (*oldRows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("id map: %w", err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("id map %s: %w", path, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &oldRows{f: f, sc: sc}, nil
}

func (o *oldRows) peek() (oldRow, bool, error) {
	for !o.have && !o.done {
		if !o.sc.Scan() {
			o.done = true
			return oldRow{}, false, o.sc.Err()
		}
		text := o.sc.Text()
		if strings.HasPrefix(text, "@") {
			continue
		}
		t, id, since, key, err := parseMapRow(strings.Split(text, "\t"), math.MaxUint16)
		if err != nil {
			return oldRow{}, false, fmt.Errorf("id map: %w", err)
		}
		o.cur, o.have = oldRow{t: t, id: id, since: since, key: key}, true
	}
	return o.cur, o.have, nil
}

func (o *oldRows) next() { o.have = false }

func (o *oldRows) close() { o.f.Close() }
