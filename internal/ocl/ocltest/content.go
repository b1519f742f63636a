// Package ocltest provides a stateful fake OCL API server for tests and the demo, and
// writes export files in OCL's format.
//
// The fake keeps content as OCL's database does (rows.go) and writes exports and
// listings field by field as OCL's serializers do (serializers.go), never through the
// product's model in internal/ocl: fields the product ignores still reach the bytes.
package ocltest

import (
	"archive/zip"
	"bufio"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// Content is the concepts of a source, addressable by index so that a large source can
// be served page by page, or exported, without ever being held in memory whole.
type Content interface {
	// Len is the number of concepts, retired ones included.
	Len() int
	// Concept returns concept i and the mappings that start from it (retired included),
	// as the product's model reads them.
	Concept(i int) (ocl.Concept, []ocl.Mapping)
}

// RowContent is Content that keeps every field OCL stores. The fake writes exports
// and listings from Rows; content that only has Concept is turned into rows with the
// values OCL fills in by itself (see rowsFromModel).
type RowContent interface {
	Content
	// Rows returns concept i and the mappings that start from it, as OCL stores them.
	Rows(i int) (ConceptRow, []MappingRow)
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

// rowsOf returns concept i of any content as rows.
func rowsOf(content Content, i int) (ConceptRow, []MappingRow) {
	if rc, ok := content.(RowContent); ok {
		return rc.Rows(i)
	}
	return rowsFromModel(content.Concept(i))
}

func shapeOf(content Content) Shape {
	if s, ok := content.(Shaped); ok {
		return s.Shape()
	}
	return Shape{}
}

// rowsFromModel stores a hand-written concept as OCL would: what the model leaves out
// gets OCL's defaults (the serializers fill owner, source and URLs from the served
// source).
func rowsFromModel(c ocl.Concept, maps []ocl.Mapping) (ConceptRow, []MappingRow) {
	row := ConceptRow{
		ID: c.ID, UUID: c.UUID, ExternalID: c.ExternalID, ConceptClass: c.ConceptClass,
		Datatype: c.Datatype, Retired: c.Retired, RetireReason: c.RetireReason,
		Extras: Extras(c.Extras), Owner: c.Owner, Source: c.Source,
		CreatedOn: c.CreatedOn, UpdatedOn: c.UpdatedOn, Version: "1",
	}
	if row.UUID == "" {
		row.UUID = c.ID
	}
	for _, n := range c.Names {
		row.Names = append(row.Names, NameRow{
			UUID: n.UUID, Name: n.Name, ExternalID: n.ExternalID, NameType: n.NameType,
			Locale: n.Locale, LocalePreferred: n.LocalePreferred, Retired: n.Retired,
		})
	}
	for _, d := range c.Descriptions {
		row.Descriptions = append(row.Descriptions, DescriptionRow{
			UUID: d.UUID, Description: d.Description, ExternalID: d.ExternalID,
			DescriptionType: d.DescriptionType, Locale: d.Locale, LocalePreferred: d.LocalePreferred,
			Retired: d.Retired,
		})
	}
	out := make([]MappingRow, len(maps))
	for k, m := range maps {
		out[k] = MappingRow{
			ID: m.ID, UUID: m.UUID, ExternalID: m.ExternalID, Retired: m.Retired, MapType: m.MapType,
			FromConceptCode: m.FromConceptCode, FromConceptURL: m.FromConceptURL,
			FromSourceName: m.FromSourceName, FromSourceOwner: m.FromSourceOwner,
			ToConceptCode: m.ToConceptCode, ToConceptURL: m.ToConceptURL, ToConceptName: m.ToConceptName,
			ToSourceName: m.ToSourceName, ToSourceOwner: m.ToSourceOwner, ToSourceURL: m.ToSourceURL,
			SortWeight: m.SortWeight, Extras: Extras(m.Extras), Version: "1",
		}
		if out[k].UUID == "" {
			out[k].UUID = m.ID
		}
	}
	return row, out
}

// ExportConceptJSON writes concept i of content as it appears in content's export of
// version, and its mappings as they appear in the export's "mappings".
func ExportConceptJSON(version ocl.SourceVersion, content Content, i int) (concept []byte, mappings [][]byte) {
	r := headerOf(version, shapeOf(content))
	c, maps := rowsOf(content, i)
	concept = appendExportConcept(nil, &c, &r)
	display, _ := displayName(&c)
	for k := range maps {
		mappings = append(mappings, appendMapping(nil, &maps[k], display, &r, &exportStyle, r.shape.Era))
	}
	return concept, mappings
}

// WriteExport writes a zip holding export.json in OCL's layout (see WriteExportJSON).
// It streams: memory does not grow with the size of the content.
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

// WriteExportJSON writes export.json as oclapi2 does (core/common/utils.py,
// write_export_file): the version's metadata with its closing brace dropped, then
// "concepts", "references" (collections only), "mappings" and, since 2020,
// "export_time", each item separated by ", " as json.dumps writes lists.
func WriteExportJSON(w io.Writer, version ocl.SourceVersion, content Content) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	r := headerOf(version, shapeOf(content))
	buf := appendExportHeader(make([]byte, 0, 64<<10), version, &r)
	buf = append(buf, `, "concepts": [`...)
	var err error
	n := content.Len()
	for i := range n {
		c, _ := rowsOf(content, i)
		if i > 0 {
			buf = append(buf, ", "...)
		}
		buf = appendExportConcept(buf, &c, &r)
		if buf, err = flushBig(bw, buf); err != nil {
			return err
		}
	}
	if r.shape.Collection != "" {
		buf = append(buf, `], "references": [`...)
		for i := range n {
			c, _ := rowsOf(content, i)
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendReference(buf, i, &c, &r)
			if buf, err = flushBig(bw, buf); err != nil {
				return err
			}
		}
	}
	buf = append(buf, `], "mappings": [`...)
	first := true
	for i := range n {
		c, maps := rowsOf(content, i)
		display, _ := displayName(&c)
		for k := range maps {
			if !first {
				buf = append(buf, ", "...)
			}
			first = false
			buf = appendMapping(buf, &maps[k], display, &r, &exportStyle, r.shape.Era)
		}
		if buf, err = flushBig(bw, buf); err != nil {
			return err
		}
	}
	buf = append(buf, ']')
	if r.shape.Era != Era2015 {
		// Seconds the export took, plus 2, rounded as Python's str(round(x, 2)) prints.
		buf = append(buf, `, "export_time": "`+strconv.FormatFloat(2+float64(n)/50000, 'f', -1, 64)+`secs"`...)
	}
	buf = append(buf, '}')
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	return bw.Flush()
}

// flushBig hands the buffer to w once it holds enough to be worth a write.
func flushBig(w *bufio.Writer, buf []byte) ([]byte, error) {
	if len(buf) < 32<<10 {
		return buf, nil
	}
	_, err := w.Write(buf)
	return buf[:0], err
}

// listedConcept writes concept i of a listing; withMappings adds its mappings
// (retired ones only withRetired).
func listedConcept(content Content, r *served, i int, verbose, withMappings, withRetired bool) []byte {
	c, maps := rowsOf(content, i)
	var listed []MappingRow
	if withMappings {
		listed = make([]MappingRow, 0, len(maps))
		for _, m := range maps {
			if !m.Retired || withRetired {
				listed = append(listed, m)
			}
		}
	}
	return appendListedConcept(nil, &c, listed, verbose, r)
}

// listedMapping writes mapping k of concept i as a mapping listing does.
func listedMapping(content Content, r *served, i, k int) []byte {
	c, maps := rowsOf(content, i)
	display, _ := displayName(&c)
	return appendMapping(nil, &maps[k], display, r, &apiStyle, Era2026)
}

// servedOf is the source a request's route names.
func servedOf(r *http.Request) *served {
	return &served{org: r.PathValue("org"), source: r.PathValue("source")}
}
