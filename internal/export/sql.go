package export

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/memlimit"
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
	// Created is this release's date: date_created of the rows it brings first, and
	// date_retired/date_voided. Default: the version's created date. The output never
	// depends on the clock, so the same export gives the same bytes.
	Created time.Time
	// VersionProperty is the global property holding the version.
	// Default: "<source in lower case>.conceptsVersion", e.g. ciel.conceptsVersion.
	VersionProperty string
	// Generator names the program in the header comment. Default: "shepherd".
	Generator string
	// PreviousIDMap is the id map the previous release wrote ("" for a first release):
	// every row it knows keeps its id.
	PreviousIDMap string
	// IDMapOut is where to write this release's id map ("" writes none).
	IDMapOut string
	// Sources are reference sources as sites have them, besides (or overriding, by name)
	// CIELSources.
	Sources []ReferenceSource
	// Classes are concept classes with known uuids, besides (or overriding) CIELClasses.
	Classes []ConceptClass
	// TempDir holds the row spool while the SQL is written. Default: the system's.
	TempDir string
	// Limits bound what is read from the export file; the zero value means the defaults.
	Limits exportfile.Limits
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

// buildMemoryFloor is the soft memory limit a build starts from (internal/memlimit).
const buildMemoryFloor = 96 << 20

const (
	// A batch of at most 500 rows or about 1 MiB stays far below max_allowed_packet.
	maxBatchRows          = 500
	maxBatchBytes         = 1 << 20
	outputBufferSize      = 256 << 10
	defaultGenerator      = "shepherd"
	versionPropertySuffix = ".conceptsVersion"
)

// WriteSQL writes the SQL of one format for the export at exportPath to w. The export is
// read once; rows and their keys wait in a spool on disk, and only the spool's index, the
// keys of the tables being resolved and then the rows' ids stay in memory.
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

// writeSQL reads the export and writes every format from the same rows. Nothing is
// written to the targets or the id map until the export has been read without error.
func writeSQL(ctx context.Context, exportPath string, targets []formatWriter, opts SQLOptions) (Counts, error) {
	// A CIEL-size build keeps some 35 MB live (the keys of the tables being resolved, ids,
	// the spool's index, term names), nearly all of it without pointers.
	defer memlimit.Follow(buildMemoryFloor)()
	var prev *IDMap
	if opts.PreviousIDMap != "" {
		var err error
		if prev, err = ReadIDMap(opts.PreviousIDMap); err != nil {
			return Counts{}, err
		}
	}
	sp, err := newSpool(opts.TempDir)
	if err != nil {
		return Counts{}, err
	}
	defer sp.close()
	c := newConverter(opts, prev)
	c.spool = sp
	if err := c.pass(ctx, exportPath, passRead); err != nil {
		return c.counts, err
	}
	c.endPass()
	if prev != nil && prev.Source != "" && prev.Source != mapSourceName(c.meta.source) {
		return Counts{}, fmt.Errorf("the id map %s belongs to %s, not to %s", opts.PreviousIDMap, prev.Source, c.meta.source)
	}
	if err := c.checkTermNames(); err != nil {
		return c.counts, fmt.Errorf("writing SQL from %s: %w", exportPath, err)
	}
	if err := c.spoolSpelled(); err != nil {
		return c.counts, fmt.Errorf("writing SQL from %s: %w", exportPath, err)
	}
	if err := c.resolve(); err != nil {
		var conflict *idConflict
		if errors.As(err, &conflict) {
			return Counts{}, fmt.Errorf("%s: %w", exportPath, c.explain(ctx, exportPath, conflict))
		}
		return Counts{}, err
	}
	for t := range tables {
		if keyed(tableID(t)) {
			sp.assign(tableID(t), c.final[t])
		}
	}
	if err := ctx.Err(); err != nil {
		return c.counts, err
	}
	if err := c.write(targets); err != nil {
		return c.counts, fmt.Errorf("writing SQL from %s: %w", exportPath, err)
	}
	return c.counts, nil
}

// mapSourceName is how an id map records its source: one word.
func mapSourceName(source string) string { return strings.Join(strings.Fields(source), "_") }

// pass reads the whole export once in the given mode.
func (c *converter) pass(ctx context.Context, exportPath string, mode passMode) error {
	src, err := exportfile.Open(exportPath, c.opts.Limits)
	if err != nil {
		return err
	}
	defer src.Close()
	c.beginPass(mode)
	stats, err := src.Decode(ctx, exportfile.Handler{
		Version: c.start,
		Concept: c.concept,
		Mapping: c.mapping,
	})
	if err != nil {
		var fileErr *exportfile.Error
		if errors.As(err, &fileErr) || errors.Is(err, errLocated) {
			return err // it names the file and the place already
		}
		return fmt.Errorf("writing SQL from %s: %w", src.Name(), err)
	}
	if !c.started {
		return fmt.Errorf("writing SQL from %s: the export has no version metadata", src.Name())
	}
	c.counts.Concepts, c.counts.Mappings = int64(stats.Concepts), int64(stats.Mappings)
	return nil
}

// write renders the spooled rows, sorted by id, into every target and the next id map.
// Each target renders and writes on a goroutine of its own (compressing, in a build),
// while this one reads the spool back and fills in the late fields.
func (c *converter) write(targets []formatWriter) error {
	var mw *idMapWriter
	if c.opts.IDMapOut != "" {
		var err error
		mw, err = newIDMapWriter(c.opts.IDMapOut, c.prev, mapSourceName(c.meta.source), c.releases, c.max)
		if err != nil {
			return err
		}
		defer func() {
			if mw != nil {
				mw.abort()
			}
		}()
	}
	p := startRendering(targets, c.meta)
	err := c.feed(p, mw)
	if rerr := p.finish(err == nil); err == nil || errors.Is(err, errRenderFailed) {
		err = rerr
	}
	if err != nil {
		return err
	}
	if mw != nil {
		err := mw.commit(c.opts.IDMapOut)
		mw = nil
		return err
	}
	return nil
}

// feed reads every table back in id order and hands its rows, late fields filled, to the
// renderers; it writes the next id map as it goes.
func (c *converter) feed(p *rendering, mw *idMapWriter) error {
	for ti := range tables {
		t := tableID(ti)
		present := func(h [16]byte) bool { return hasHash(c.hashes[t], h) }
		b := p.batch(t)
		err := c.spool.each(t, func(sr *spooledRow) error {
			if p.failed() {
				return errRenderFailed
			}
			c.fill(b, sr)
			if b.full() {
				p.send(b)
				b = p.batch(t)
			}
			if mw != nil && keyed(t) {
				if err := mw.dropped(t, int64(sr.id), present); err != nil {
					return err
				}
				mw.row(t, sr.id, sr.since, string(sr.key))
			}
			return nil
		})
		if err != nil {
			p.release(b)
			return err
		}
		b.last = true
		p.send(b)
		if mw != nil && keyed(t) {
			if err := mw.dropped(t, math.MaxInt64, present); err != nil {
				return err
			}
		}
	}
	return nil
}

// errRenderFailed stops the feed when a renderer has failed; finish reports its error.
var errRenderFailed = errors.New("rendering failed")

// fill appends a spooled row to b, its late fields filled in.
func (c *converter) fill(b *rowBatch, sr *spooledRow) {
	r := &sr.r
	lates := r.lates
	start := 0
	for f, end := range r.ends {
		if len(lates) > 0 && int(lates[0].field) == f {
			l := lates[0]
			lates = lates[1:]
			switch l.kind {
			case lateSelf:
				b.buf = strconv.AppendInt(b.buf, int64(sr.id), 10)
			case lateRef:
				b.buf = strconv.AppendInt(b.buf, int64(c.final[l.table][l.arg]), 10)
			case lateIsSet:
				if l.arg == 1 || c.setOwners[sr.id] {
					b.buf = append(b.buf, '1')
				} else {
					b.buf = append(b.buf, '0')
				}
			case lateTermName:
				if name := c.termNames.get(l.arg); len(name) > 0 {
					b.buf = appendQuoted(b.buf, name)
				} else {
					b.buf = append(b.buf, "NULL"...)
				}
			}
		} else {
			b.buf = append(b.buf, r.buf[start:end]...)
		}
		start = end
		b.ends = append(b.ends, uint32(len(b.buf)))
	}
	b.rows++
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

// output renders rows as SQL for one format, in multi-row INSERTs into the side tables.
type output struct {
	format  Format
	w       *bufio.Writer
	keep    [tableCount][]int
	columns [tableCount]string
	prefix  [tableCount]string
	batch   [tableCount][]byte
	rows    [tableCount]int
}

func newOutput(f Format, w io.Writer) *output {
	o := &output{format: f, w: bufio.NewWriterSize(w, outputBufferSize)}
	for t := range tables {
		o.keep[t], o.columns[t] = tables[t].projection(f)
		o.prefix[t] = "INSERT INTO `" + tables[t].stageName() + "` " + o.columns[t] + " VALUES "
	}
	return o
}

// addBatch renders the rows of b, and ends the table's INSERT after its last batch.
func (o *output) addBatch(b *rowBatch) error {
	fields := len(tables[b.t].insert)
	start := uint32(0)
	for r := range b.rows {
		ends := b.ends[r*fields : (r+1)*fields]
		if err := o.add(b.t, b.buf, start, ends); err != nil {
			return err
		}
		start = ends[fields-1]
	}
	if b.last {
		return o.flush(b.t)
	}
	return nil
}

// add renders one row, whose fields end at ends in buf, the first starting at start.
func (o *output) add(t tableID, buf []byte, start uint32, ends []uint32) error {
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
		from := start
		if i > 0 {
			from = ends[i-1]
		}
		b = append(b, buf[from:ends[i]]...)
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

func (o *output) header(m meta) error {
	var b strings.Builder
	fmt.Fprintf(&b, "-- OpenMRS concept dictionary %s %s\n", commentSafe(m.source), commentSafe(m.version))
	fmt.Fprintf(&b, "-- Format: %s (the concept tables of OpenMRS %s)\n", o.format, o.format.schemaLabel()+schemaSuffix(o.format))
	fmt.Fprintf(&b, "-- Generated by %s from the OCL export of %s %s created %s UTC\n",
		commentSafe(m.generator), commentSafe(m.source), commentSafe(m.version), m.created.Format("2006-01-02 15:04:05"))
	b.WriteString("-- Replaces the rows of the concept tables below. Load into the OpenMRS database: mysql openmrs < this-file.sql\n")
	b.WriteString("-- The rows go into side tables (" + stagePrefix + "*) first; the live tables are emptied and refilled from them\n")
	b.WriteString("-- in one transaction at the end, so a load that stops early leaves the live tables as they were.\n")
	b.WriteString("SET NAMES utf8;\nSET FOREIGN_KEY_CHECKS=0;\n")
	for t := range tables {
		b.WriteString(tables[t].liveDDL(o.format))
	}
	for t := range tables {
		b.WriteString(tables[t].stageDDL(o.format))
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

// footer swaps the rows in: in one transaction, the live tables are emptied (children
// first) and refilled from the side tables (parents first), and the version is recorded.
// Foreign key checks stay off for the swap: other tables of the site (obs, drug, orders)
// point at concepts, and row ids are stable across releases so their references hold.
func (o *output) footer(m meta) error {
	var b strings.Builder
	b.WriteString("START TRANSACTION;\n")
	if o.format == FormatOpenMRS111 {
		// 1.11's old search index points at concept and concept_name; OpenMRS rebuilds it.
		b.WriteString("DELETE FROM `concept_word`;\n")
	}
	kept := keptReason(m)
	for t := tableCount - 1; t >= 0; t-- {
		b.WriteString(tables[t].clearLive(kept, m.created))
	}
	for t := range tables {
		b.WriteString("INSERT INTO `" + tables[t].name + "` " + o.columns[t] + " SELECT " +
			strings.Trim(o.columns[t], "()") + " FROM `" + tables[t].stageName() + "`;\n")
	}
	b.WriteString("INSERT INTO `global_property` (`property`,`property_value`,`description`,`uuid`) VALUES (")
	b.WriteString(quote(m.property) + "," + quote(m.version) + ",")
	b.WriteString(quote("Version of the " + m.source + " concept dictionary loaded from OCL"))
	b.WriteString("," + quote(derivedUUID("global_property", m.property)) + ")")
	b.WriteString(" ON DUPLICATE KEY UPDATE `property_value`=VALUES(`property_value`);\n")
	b.WriteString("COMMIT;\n")
	for t := range tables {
		b.WriteString("DROP TABLE `" + tables[t].stageName() + "`;\n")
	}
	b.WriteString("SET FOREIGN_KEY_CHECKS=1;\n")
	if _, err := o.w.WriteString(b.String()); err != nil {
		return err
	}
	return o.w.Flush()
}

// keptReason is the retire or void reason of a row the release no longer has but keeps,
// because a site's own rows may point at it; keptPattern matches it in any release.
func keptReason(m meta) string {
	return "not in " + m.source + " " + m.version + "; kept for the rows that point at it"
}

const keptPattern = "not in % kept for the rows that point at it"

// clearLive empties a live table before the side table's rows are copied in. Rows a site
// points at by id (observations at names, drug mappings at terms, orders at classes…) are not
// deleted when the release no longer has them: the release's own rows replace theirs, and
// the others are kept, retired or voided, so no site row is left pointing at nothing. The
// rest (descriptions, answers, set members, maps, numeric details) are replaced whole.
func (t *tableDef) clearLive(reason string, when time.Time) string {
	if t.keepDropped == "" {
		return "DELETE FROM `" + t.name + "`;\n"
	}
	flag, by, date, why := "retired", "retired_by", "date_retired", "retire_reason"
	if t.keepDropped == "voided" {
		flag, by, date, why = "voided", "voided_by", "date_voided", "void_reason"
	}
	return "DELETE `live` FROM `" + t.name + "` `live` JOIN `" + t.stageName() + "` `s` ON `s`.`" + t.primary + "` = `live`.`" + t.primary + "`;\n" +
		"UPDATE `" + t.name + "` SET `" + flag + "`=1, `" + by + "`=1, `" + date + "`=" + quote(when.UTC().Format("2006-01-02 15:04:05")) +
		", `" + why + "`=" + quote(reason) + " WHERE `" + flag + "`=0;\n"
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
