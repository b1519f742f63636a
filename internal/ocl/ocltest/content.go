// Package ocltest provides a stateful fake OCL API server for tests and the demo, and
// writes export files in OCL's format.
package ocltest

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// Content is the concepts of a source, addressable by index so that a large source can
// be served page by page, or exported, without ever being held in memory whole.
type Content interface {
	// Len is the number of concepts, retired ones included.
	Len() int
	// Concept returns concept i and the mappings that start from it (retired included).
	Concept(i int) (ocl.Concept, []ocl.Mapping)
}

// SliceContent is Content held in memory, for small hand-written test sources.
type SliceContent struct {
	Concepts []ocl.Concept
	// Mappings are attached to concepts by FromConceptCode.
	Mappings []ocl.Mapping
	index    sync.Once
	byFrom   map[string][]ocl.Mapping
}

// Len implements Content.
func (s *SliceContent) Len() int { return len(s.Concepts) }

// Concept implements Content.
func (s *SliceContent) Concept(i int) (ocl.Concept, []ocl.Mapping) {
	// Built once, safely: the fake server serves pages from several goroutines.
	s.index.Do(func() {
		s.byFrom = map[string][]ocl.Mapping{}
		for _, m := range s.Mappings {
			s.byFrom[m.FromConceptCode] = append(s.byFrom[m.FromConceptCode], m)
		}
	})
	c := s.Concepts[i]
	return c, s.byFrom[c.ID]
}

// WriteExport writes a zip holding export.json in OCL's layout: the version's metadata
// keys, then "concepts", then "mappings", then "export_time". It streams: memory does
// not grow with the size of the content.
func WriteExport(w io.Writer, version ocl.SourceVersion, content Content) error {
	zw := zip.NewWriter(w)
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "export.json", Method: zip.Deflate})
	if err != nil {
		return err
	}
	if err := WriteExportJSON(f, version, content); err != nil {
		return err
	}
	return zw.Close()
}

// WriteExportJSON writes the export.json document itself.
func WriteExportJSON(w io.Writer, version ocl.SourceVersion, content Content) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	version.Type = "Source Version"
	meta, err := json.Marshal(version)
	if err != nil {
		return err
	}
	// Reopen the metadata object so concepts and mappings follow as sibling keys.
	bw.Write(meta[:len(meta)-1])
	enc := json.NewEncoder(bw)
	bw.WriteString(`,"concepts":[`)
	n := content.Len()
	for i := 0; i < n; i++ {
		c, _ := content.Concept(i)
		c.Type = "Concept"
		c.Mappings = nil
		if i > 0 {
			bw.WriteByte(',')
		}
		if err := enc.Encode(&c); err != nil {
			return fmt.Errorf("concept %d: %w", i, err)
		}
	}
	bw.WriteString(`],"mappings":[`)
	first := true
	for i := 0; i < n; i++ {
		_, maps := content.Concept(i)
		for j := range maps {
			maps[j].Type = "Mapping"
			if !first {
				bw.WriteByte(',')
			}
			first = false
			if err := enc.Encode(&maps[j]); err != nil {
				return fmt.Errorf("mapping %s: %w", maps[j].ID, err)
			}
		}
	}
	bw.WriteString(`],"export_time":"1.00secs"}`)
	return bw.Flush()
}
