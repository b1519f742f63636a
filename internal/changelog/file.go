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
	var a []json.RawMessage
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	if len(a) != 5 {
		return fmt.Errorf("a name is [locale, type, preferred, retired, text], not %d values", len(a))
	}
	for i, dst := range []any{&n.Locale, &n.Type, &n.Preferred, &n.Retired, &n.Text} {
		if err := json.Unmarshal(a[i], dst); err != nil {
			return fmt.Errorf("name value %d: %w", i+1, err)
		}
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
func (ix *Index) Write(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(zw, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	h := indexHeader{Format: IndexFormat, Index: IndexVersion, Org: ix.Org, Source: ix.Source, Version: ix.Version,
		Home: ix.Home, Locale: ix.Locale, Concepts: len(ix.Concepts)}
	if err := enc.Encode(h); err != nil {
		return err
	}
	for i := range ix.Concepts {
		if err := enc.Encode(&ix.Concepts[i]); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
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
		Concepts: make([]Concept, 0, min(h.Concepts, 1<<20))}
	in := interner{}
	line := 1
	for sc.Scan() {
		line++
		var c Concept
		if err := strictUnmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("line %d: concept %q: %w", line, c.Key(), err)
		}
		if n := len(ix.Concepts); n > 0 && compareConcepts(&ix.Concepts[n-1], &c) >= 0 {
			return nil, fmt.Errorf("line %d: concept %q comes after %q: concepts must be sorted and unique", line, c.Key(), ix.Concepts[n-1].Key())
		}
		c.intern(in)
		ix.Concepts = append(ix.Concepts, c)
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

// check refuses what Build never writes.
func (c *Concept) check() error {
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

func (c *Concept) intern(in interner) {
	c.Source, c.Datatype, c.Class = in.get(c.Source), in.get(c.Datatype), in.get(c.Class)
	for i := range c.Names {
		c.Names[i].Locale, c.Names[i].Type = in.get(c.Names[i].Locale), in.get(c.Names[i].Type)
	}
	for i := range c.Mappings {
		c.Mappings[i].MapType, c.Mappings[i].Source = in.get(c.Mappings[i].MapType), in.get(c.Mappings[i].Source)
	}
}
