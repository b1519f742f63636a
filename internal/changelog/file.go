package changelog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
)

// The index file is gzip-compressed JSON lines: a header, then one line per concept in
// the index's order (docs/changelog.md describes every field):
//
//	{"format":"shepherd-concept-index","index":1,"org":"CIEL","source":"CIEL","version":"v2026-11-22","home":"CIEL","locale":"en","concepts":2}
//	{"id":"1","dt":"N/A","cl":"Misc","n":[["en","FULLY_SPECIFIED",true,false,"Anaemia"]],"m":[["SAME-AS","SNOMED-CT","271737000"]]}
//	{"id":"2","r":true,"dt":"Coded","cl":"Question","n":[…],"a":["1"],"sm":["1"]}

// IndexFormat names the file format in its header; IndexVersion is its version.
const (
	IndexFormat  = "shepherd-concept-index"
	IndexVersion = 1
)

// MaxIndexLine bounds one line of an index file: a concept with thousands of names and
// mappings is far below it, and a damaged file cannot make the reader hold gigabytes.
const MaxIndexLine = 16 << 20

type indexHeader struct {
	Format   string `json:"format"`
	Index    int    `json:"index"`
	Org      string `json:"org"`
	Source   string `json:"source"`
	Version  string `json:"version"`
	Home     string `json:"home"`
	Locale   string `json:"locale"`
	Concepts int    `json:"concepts"`
}

// MarshalJSON writes the name as [locale, type, preferred, retired, text].
func (n Name) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{n.Locale, n.Type, n.Preferred, n.Retired, n.Text})
}

// UnmarshalJSON reads [locale, type, preferred, retired, text].
func (n *Name) UnmarshalJSON(b []byte) error {
	var a []any
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	if len(a) != 5 {
		return fmt.Errorf("a name is [locale, type, preferred, retired, text], not %d values", len(a))
	}
	var ok [5]bool
	n.Locale, ok[0] = a[0].(string)
	n.Type, ok[1] = a[1].(string)
	n.Preferred, ok[2] = a[2].(bool)
	n.Retired, ok[3] = a[3].(bool)
	n.Text, ok[4] = a[4].(string)
	if ok != [5]bool{true, true, true, true, true} {
		return errors.New("a name is [locale, type, preferred, retired, text]: strings and booleans")
	}
	return nil
}

// MarshalJSON writes the mapping as [map type, target source, target code].
func (m Mapping) MarshalJSON() ([]byte, error) {
	return json.Marshal([3]string{m.MapType, m.Source, m.Code})
}

// UnmarshalJSON reads [map type, target source, target code].
func (m *Mapping) UnmarshalJSON(b []byte) error {
	var a []string
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	if len(a) != 3 {
		return fmt.Errorf("a mapping is [map type, target source, target code], not %d values", len(a))
	}
	m.MapType, m.Source, m.Code = a[0], a[1], a[2]
	return nil
}

// Write writes the index to w, gzip-compressed. The same index gives the same bytes.
// Lines are put together by hand (strings alone go through encoding/json): encoding a
// value per name by reflection took most of the time at CIEL's size.
func (ix *Index) Write(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(zw, 1<<16)
	h := indexHeader{Format: IndexFormat, Index: IndexVersion, Org: ix.Org, Source: ix.Source, Version: ix.Version,
		Home: ix.Home, Locale: ix.Locale, Concepts: len(ix.Concepts)}
	head, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if _, err := bw.Write(append(head, '\n')); err != nil {
		return err
	}
	var line []byte
	for i := range ix.Concepts {
		line = ix.Concepts[i].appendLine(line[:0])
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// appendLine appends the concept's line of the index file (docs/changelog.md).
func (c *Concept) appendLine(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, c.Code)
	if c.Source != "" {
		b = append(b, `,"s":`...)
		b = appendJSONString(b, c.Source)
	}
	if c.Retired {
		b = append(b, `,"r":true`...)
	}
	b = append(b, `,"dt":`...)
	b = appendJSONString(b, c.Datatype)
	b = append(b, `,"cl":`...)
	b = appendJSONString(b, c.Class)
	b = appendList(b, "n", c.Names(), func(b []byte, n Name) []byte {
		b = append(b, '[')
		b = appendJSONString(b, n.Locale)
		b = append(b, ',')
		b = appendJSONString(b, n.Type)
		b = append(b, ',')
		b = strconv.AppendBool(b, n.Preferred)
		b = append(b, ',')
		b = strconv.AppendBool(b, n.Retired)
		b = append(b, ',')
		b = appendJSONString(b, n.Text)
		return append(b, ']')
	})
	b = appendList(b, "a", c.Answers(), appendJSONString)
	b = appendList(b, "sm", c.Members(), appendJSONString)
	b = appendList(b, "m", c.Mappings(), func(b []byte, m Mapping) []byte {
		b = append(b, '[')
		b = appendJSONString(b, m.MapType)
		b = append(b, ',')
		b = appendJSONString(b, m.Source)
		b = append(b, ',')
		b = appendJSONString(b, m.Code)
		return append(b, ']')
	})
	return append(b, "}\n"...)
}

// appendList appends `,"key":[item,…]`, or nothing for an empty list.
func appendList[T any](b []byte, key string, items []T, appendItem func([]byte, T) []byte) []byte {
	if len(items) == 0 {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":[`...)
	for k, it := range items {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendItem(b, it)
	}
	return append(b, ']')
}

// appendJSONString appends s as encoding/json writes a string (a string never fails to
// encode: invalid UTF-8 becomes U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// WriteFile writes the index to path whole or not at all.
func (ix *Index) WriteFile(path string) error {
	return atomicfile.Write(path, 0o644, ix.Write)
}

// ReadIndexFile reads an index file written by WriteFile.
func ReadIndexFile(path string) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ix, err := ReadIndex(f)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	return ix, nil
}

// ReadIndex reads an index. Anything a writer could not have produced is refused with
// its line: a wrong header, concepts out of order or repeated, a count that does not
// match, a truncated file.
func ReadIndex(r io.Reader) (*Index, error) {
	defer softMemoryLimit()()
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a gzip file: %w", err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 1<<16), MaxIndexLine)
	if !sc.Scan() {
		return nil, errors.Join(errors.New("empty: no header line"), sc.Err())
	}
	var h indexHeader
	if err := strictUnmarshal(sc.Bytes(), &h); err != nil {
		return nil, fmt.Errorf("line 1 (header): %w", err)
	}
	switch {
	case h.Format != IndexFormat:
		return nil, fmt.Errorf("line 1: format %q is not %q", h.Format, IndexFormat)
	case h.Index != IndexVersion:
		return nil, fmt.Errorf("line 1: index version %d; this Shepherd reads version %d", h.Index, IndexVersion)
	case h.Source == "" || h.Version == "" || h.Home == "":
		return nil, errors.New("line 1: the header names no source, version or home source")
	case h.Concepts < 0:
		return nil, fmt.Errorf("line 1: %d concepts", h.Concepts)
	}
	ix := &Index{Org: h.Org, Source: h.Source, Version: h.Version, Home: h.Home, Locale: h.Locale,
		Concepts: make([]Concept, 0, min(h.Concepts, 1<<16))} // a damaged header allocates little
	in := interner{}
	line := 1
	for sc.Scan() {
		line++
		var l conceptLine
		if err := strictUnmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		c := Concept{Source: in.get(l.Source), Code: l.Code, Retired: l.Retired, Datatype: in.get(l.Datatype), Class: in.get(l.Class)}
		if err := l.check(); err != nil {
			return nil, fmt.Errorf("line %d: concept %q: %w", line, c.Key(), err)
		}
		if n := len(ix.Concepts); n > 0 && compareConcepts(&ix.Concepts[n-1], &c) >= 0 {
			return nil, fmt.Errorf("line %d: concept %q comes after %q: concepts must be sorted and unique", line, c.Key(), ix.Concepts[n-1].Key())
		}
		ix.Concepts = append(ix.Concepts, NewConcept(c, l.Names, l.Answers, l.Members, l.Mappings))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("after line %d: %w", line, err)
	}
	if len(ix.Concepts) != h.Concepts {
		return nil, fmt.Errorf("the header announces %d concepts, the file holds %d (truncated?)", h.Concepts, len(ix.Concepts))
	}
	return ix, nil
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}

// conceptLine is one concept line of the file as JSON.
type conceptLine struct {
	Code     string    `json:"id"`
	Source   string    `json:"s"`
	Retired  bool      `json:"r"`
	Datatype string    `json:"dt"`
	Class    string    `json:"cl"`
	Names    []Name    `json:"n"`
	Answers  []string  `json:"a"`
	Members  []string  `json:"sm"`
	Mappings []Mapping `json:"m"`
}

// check refuses what Build never writes.
func (c *conceptLine) check() error {
	if strings.TrimSpace(c.Code) == "" {
		return errors.New("no code")
	}
	for i := 1; i < len(c.Names); i++ {
		if compareNames(c.Names[i-1], c.Names[i]) > 0 {
			return errors.New("names are not sorted")
		}
	}
	for _, l := range [][]string{c.Answers, c.Members} {
		for i := 1; i < len(l); i++ {
			if compareCodes(l[i-1], l[i]) > 0 {
				return errors.New("answers or set members are not sorted")
			}
		}
	}
	for i := 1; i < len(c.Mappings); i++ {
		if compareMappings(c.Mappings[i-1], c.Mappings[i]) > 0 {
			return errors.New("mappings are not sorted")
		}
	}
	return nil
}
