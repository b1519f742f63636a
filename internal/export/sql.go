package export

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
)

// SQLOptions tune what the SQL records. The zero value takes everything from the export.
type SQLOptions struct {
	// Version is the dictionary version recorded in the global property and the header.
	// Default: the export's version id.
	Version string
	// Source names the dictionary. Default: the source in the export's URL, else its name.
	Source string
	// Created stamps every row's date_created. Default: the version's created date. The
	// output never depends on the clock, so the same export gives the same bytes.
	Created time.Time
	// VersionProperty is the global property holding the version.
	// Default: "<source in lower case>.conceptsVersion", e.g. ciel.conceptsVersion.
	VersionProperty string
	// Generator names the program in the header comment. Default: "shepherd".
	Generator string
}

// Counts says what went into the SQL: rows per table and mappings left out, by reason.
type Counts struct {
	Concepts int64            `json:"concepts"` // concepts read from the export
	Mappings int64            `json:"mappings"` // mappings read from the export
	Rows     map[string]int64 `json:"rows"`     // rows inserted, by table
	Skipped  map[string]int64 `json:"skipped,omitempty"`
}

// Reasons a mapping is left out of the SQL, as counted in Counts.Skipped.
const (
	SkipRetiredMapping  = "retired mapping"
	SkipFromNotInExport = "from-concept not in export"
	SkipAnswerNotExport = "answer concept not in export"
	SkipMemberNotExport = "set member not in export"
	SkipNoTargetSource  = "reference map without target source"
	SkipNoTargetCode    = "reference map without target code"
)

const (
	// A batch of at most 500 rows or about 1 MiB stays far below max_allowed_packet.
	maxBatchRows          = 500
	maxBatchBytes         = 1 << 20
	outputBufferSize      = 256 << 10
	defaultGenerator      = "shepherd"
	versionPropertySuffix = ".conceptsVersion"
)

// WriteSQL writes the SQL of one format for the export at exportPath to w. It streams:
// concepts are written as they are read, and only the concept codes and the reference
// sources, terms and map types met so far stay in memory.
func WriteSQL(ctx context.Context, exportPath string, format Format, w io.Writer, opts SQLOptions) (Counts, error) {
	if _, err := ParseFormat(string(format)); err != nil {
		return Counts{}, err
	}
	return writeSQL(ctx, exportPath, []formatWriter{{format: format, w: w}}, opts)
}

// formatWriter pairs a format with where its SQL goes.
type formatWriter struct {
	format Format
	w      io.Writer
}

// writeSQL decodes the export once and writes every format from the same rows.
func writeSQL(ctx context.Context, exportPath string, targets []formatWriter, opts SQLOptions) (Counts, error) {
	src, err := exportfile.Open(exportPath, exportfile.Limits{})
	if err != nil {
		return Counts{}, err
	}
	defer src.Close()
	r, err := src.Reader()
	if err != nil {
		return Counts{}, err
	}
	defer r.Close()

	outs := make([]*output, len(targets))
	for i, t := range targets {
		outs[i] = newOutput(t.format, t.w)
	}
	c := newConverter(outs, opts)
	stats, err := exportfile.Decode(ctx, r, src.Name(), exportfile.Handler{
		Version: c.start,
		Concept: c.concept,
		Mapping: c.mapping,
	})
	if err != nil {
		var fileErr *exportfile.Error
		if errors.As(err, &fileErr) {
			return c.counts, err // it names the file and the place already
		}
		return c.counts, fmt.Errorf("writing SQL from %s: %w", src.Name(), err)
	}
	c.counts.Concepts, c.counts.Mappings = int64(stats.Concepts), int64(stats.Mappings)
	// A small export can be decoded whole before a cancellation is noticed.
	if err := ctx.Err(); err != nil {
		return c.counts, err
	}
	if err := c.finish(); err != nil {
		return c.counts, fmt.Errorf("writing SQL from %s: %w", src.Name(), err)
	}
	return c.counts, nil
}

// meta is what the SQL records about the dictionary, options and export combined.
type meta struct {
	source, version string
	created         time.Time
	property        string
	generator       string
}

func resolveMeta(v *ocl.SourceVersion, opts SQLOptions) (meta, error) {
	m := meta{source: opts.Source, version: opts.Version, created: opts.Created,
		property: opts.VersionProperty, generator: opts.Generator}
	if m.source == "" {
		m.source = sourceFromURL(v.URL)
	}
	if m.source == "" {
		m.source = v.Name
	}
	if m.source == "" {
		return m, errors.New("the export does not say which source it is: its metadata has neither url nor name")
	}
	if m.version == "" {
		m.version = v.ID
	}
	if m.version == "" {
		m.version = v.Version
	}
	if m.version == "" {
		return m, errors.New("the export has no version id in its metadata")
	}
	if m.created.IsZero() {
		created, err := parseOCLTime(firstNonEmpty(v.CreatedOn, v.CreatedAt))
		if err != nil {
			return m, fmt.Errorf("version %s: the export's creation date cannot be read: %w", m.version, err)
		}
		m.created = created
	}
	m.created = m.created.UTC().Truncate(time.Second)
	if m.property == "" {
		m.property = strings.ToLower(m.source) + versionPropertySuffix
	}
	if m.generator == "" {
		m.generator = defaultGenerator
	}
	return m, nil
}

// sourceFromURL reads "CIEL" out of "/orgs/CIEL/sources/CIEL/v2026-11-22/".
func sourceFromURL(u string) string {
	parts := strings.Split(strings.Trim(u, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "sources" || parts[i] == "collections" {
			return parts[i+1]
		}
	}
	return ""
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

var oclTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// parseOCLTime reads the timestamps OCL has written over the years; times without a
// zone are UTC.
func parseOCLTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("the export has no created date")
	}
	for _, layout := range oclTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read the created date %q", s)
}

// output renders rows as SQL for one format, in multi-row INSERTs.
type output struct {
	format Format
	w      *bufio.Writer
	keep   [tableCount][]int
	prefix [tableCount]string
	batch  [tableCount][]byte
	rows   [tableCount]int
}

func newOutput(f Format, w io.Writer) *output {
	o := &output{format: f, w: bufio.NewWriterSize(w, outputBufferSize)}
	for t := range tables {
		o.keep[t], o.prefix[t] = tables[t].projection(f)
	}
	return o
}

func (o *output) add(t tableID, r *row) error {
	b := o.batch[t]
	if o.rows[t] == 0 {
		b = append(b, o.prefix[t]...)
	} else {
		b = append(b, ',')
	}
	b = append(b, '(')
	for j, i := range o.keep[t] {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, r.field(i)...)
	}
	b = append(b, ')')
	o.batch[t] = b
	o.rows[t]++
	if o.rows[t] >= maxBatchRows || len(b) >= maxBatchBytes {
		return o.flush(t)
	}
	return nil
}

func (o *output) flush(t tableID) error {
	if o.rows[t] == 0 {
		return nil
	}
	o.batch[t] = append(o.batch[t], ";\n"...)
	_, err := o.w.Write(o.batch[t])
	o.batch[t] = o.batch[t][:0]
	o.rows[t] = 0
	return err
}

func (o *output) flushAll() error {
	for t := tableID(0); t < tableCount; t++ {
		if err := o.flush(t); err != nil {
			return err
		}
	}
	return nil
}

func (o *output) header(m meta) error {
	var b strings.Builder
	fmt.Fprintf(&b, "-- OpenMRS concept dictionary %s %s\n", commentSafe(m.source), commentSafe(m.version))
	fmt.Fprintf(&b, "-- Format: %s (the concept tables of OpenMRS %s)\n", o.format, o.format.schemaLabel()+schemaSuffix(o.format))
	fmt.Fprintf(&b, "-- Generated by %s from the OCL export of %s %s created %s UTC\n",
		commentSafe(m.generator), commentSafe(m.source), commentSafe(m.version), m.created.Format("2006-01-02 15:04:05"))
	b.WriteString("-- Replaces every table below. Load into the OpenMRS database: mysql openmrs < this-file.sql\n")
	b.WriteString("SET FOREIGN_KEY_CHECKS=0;\nSET UNIQUE_CHECKS=0;\nSET NAMES utf8mb4;\n")
	for t := range tables {
		b.WriteString(tables[t].createTable(o.format))
	}
	_, err := o.w.WriteString(b.String())
	return err
}

func schemaSuffix(f Format) string {
	if f == FormatOpenMRS2 {
		return ".2 and later"
	}
	return ""
}

func (o *output) footer(m meta) error {
	var b strings.Builder
	b.WriteString("INSERT INTO `global_property` (`property`,`property_value`,`description`,`uuid`) VALUES (")
	b.WriteString(quote(m.property) + "," + quote(m.version) + ",")
	b.WriteString(quote("Version of the " + m.source + " concept dictionary loaded from OCL"))
	b.WriteString("," + quote(derivedUUID("global_property", m.property)) + ")")
	b.WriteString(" ON DUPLICATE KEY UPDATE `property_value`=VALUES(`property_value`);\n")
	b.WriteString("SET UNIQUE_CHECKS=1;\nSET FOREIGN_KEY_CHECKS=1;\n")
	if _, err := o.w.WriteString(b.String()); err != nil {
		return err
	}
	return o.w.Flush()
}

// commentSafe keeps header text on its line.
func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
