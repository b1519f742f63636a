package export

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/openmrslimits"
)

// The export is read once. The read pass validates everything, notes every row's key and
// writes every row into a spool on disk, leaving empty what is known only at the end: the
// ids of rows that get a new one, the ids a row points at, is_set, a term's name. Ids are
// then resolved against the previous release's id map, new rows getting ids above every id
// ever used, in an order that does not depend on the export's order. The SQL is written
// from the spool sorted by id, the late fields filled in, so two exports that differ only in
// the order of their items give the same bytes. Classes, map types and sources, whose
// spelling is the smallest the export gives, are spooled once the export has been read.
// A further kind of pass (locate) finds the items behind a conflict so that the error can
// name them.
type passMode int

const (
	passRead passMode = iota
	passLocate
)

// keyRec is a row key seen in the read pass, at its row's key position. The keys wait in
// the spool until resolve reads back those of one table and turns each in place into the
// row's final id (24 bytes a key: 3.9 million keys at 4× CIEL are 94 MB).
type keyRec struct {
	h [16]byte
	// id is the id the key carries (a CIEL uuid, a core row) or 0, then the final id.
	id    int32
	group int32 // the owning concept, so that new ids come out grouped by concept
}

// converter turns concepts and mappings into rows.
type converter struct {
	opts    SQLOptions
	meta    meta
	mode    passMode
	started bool
	counts  Counts
	row     row
	ctx     string // the item being converted, for error messages

	prev     *IDMap
	releases []IDMapRelease
	current  uint16
	dates    []string // date literal per release index
	now      string   // this release's date literal

	// Rebuilt on every pass, and let go once it is over. Keyed by concept id and key
	// hash rather than by string, they hold no pointers: a collection need not scan them.
	concepts     map[int32]uint16   // concept id → its source (index into conceptSources)
	conceptUUIDs map[[16]byte]int32 // hash of a concept's uuid → concept id
	emitted      map[string]int32   // class, map type and source keys → key position
	terms        map[[16]byte]int32

	// Results of the read pass (the keys wait in the spool).
	setOwners      map[int32]bool
	spellings      map[string]string // smallest spelling of each class, map type, source
	spelled        []spelledRow      // class, map type and source rows, spooled at the end
	termNames      nameArena         // smallest name of each term, by key position
	badTermNames   map[int32]string  // the item that gave a term a name no column holds
	conceptSources []string
	sourceIndex    map[string]uint16

	hashes [tableCount][][16]byte // the key hashes, sorted, when an id map is written
	final  [tableCount][]int32    // final ids by key position
	max    [tableCount]int64

	spool   *spool
	target  locateTarget
	scratch []byte

	knownSources map[string]ReferenceSource
	knownClasses map[string]ConceptClass
	coreClasses  map[string]coreClass
	coreMapTypes map[string]coreMapType
	nameType     *memo
	mapType      *memo
}

// spelledRow is a class, map type or source row waiting for the export's smallest
// spelling of its name.
type spelledRow struct {
	t     tableID
	key   string
	ctx   string // the item that brought it first, for error messages
	ord   int32
	since uint16
}

type locateTarget struct {
	t     tableID
	h     [16]byte
	found []string
}

var errLocated = errors.New("located")

func newConverter(opts SQLOptions, prev *IDMap) *converter {
	c := &converter{
		opts:         opts,
		prev:         prev,
		setOwners:    map[int32]bool{},
		spellings:    map[string]string{},
		badTermNames: map[int32]string{},
		sourceIndex:  map[string]uint16{},
		knownSources: map[string]ReferenceSource{},
		knownClasses: map[string]ConceptClass{},
		coreClasses:  map[string]coreClass{},
		coreMapTypes: map[string]coreMapType{},
		nameType:     newMemo(ocl.NormalizeNameType),
		mapType:      newMemo(ocl.NormalizeMapType),
	}
	for _, s := range CIELSources {
		c.knownSources[sourceKey(s.Name)] = s
	}
	for _, s := range opts.Sources {
		c.knownSources[sourceKey(s.Name)] = s
	}
	for _, cl := range CIELClasses {
		c.knownClasses[classKey(cl.Name)] = cl
	}
	for _, cl := range opts.Classes {
		c.knownClasses[classKey(cl.Name)] = cl
	}
	for _, cl := range coreClasses {
		c.coreClasses[classKey(cl.name)] = cl
	}
	for _, mt := range coreMapTypes {
		c.coreMapTypes[ocl.NormalizeMapType(mt.name)] = mt
	}
	return c
}

// beginPass resets what one pass over the export builds.
func (c *converter) beginPass(mode passMode) {
	c.mode = mode
	c.started = false
	c.counts = Counts{Rows: map[string]int64{}, Skipped: map[string]int64{}}
	for t := range tables {
		c.counts.Rows[tables[t].name] = 0
	}
	c.concepts = map[int32]uint16{}
	c.conceptUUIDs = map[[16]byte]int32{}
	c.emitted = map[string]int32{}
	c.terms = map[[16]byte]int32{}
}

// endPass lets go of what only a pass needed, before ids are resolved.
func (c *converter) endPass() {
	c.concepts, c.conceptUUIDs, c.terms, c.emitted = nil, nil, nil, nil
}

// id notes the key of a row of table t and returns the row's position among the table's
// keys (its id is known once every key has been read) and the release that first wrote it.
// what describes the item, for a conflict's error message.
func (c *converter) id(t tableID, key string, carried, group int64, what func() string) (int32, uint16, error) {
	h := c.hash(key)
	if c.mode == passLocate {
		if t == c.target.t && h == c.target.h {
			c.target.found = append(c.target.found, what())
			if len(c.target.found) == 2 {
				return 0, 0, errLocated
			}
		}
		return 0, 0, nil
	}
	if c.spool.keyCount[t] >= math.MaxInt32 {
		return 0, 0, fmt.Errorf("%s: too many %s rows", c.ctx, tables[t].name)
	}
	ord := int32(c.spool.keyCount[t])
	since := c.current
	if e, inMap := c.prev.lookup(t, h); inMap {
		since = e.since // as resolve decides
	}
	if err := c.spool.addKey(t, keyRec{h: h, id: int32(carried), group: int32(group)}); err != nil {
		return 0, 0, err
	}
	return ord, since, nil
}

// hash is hashKey without an allocation per key: it runs for every row, twice.
func (c *converter) hash(key string) [16]byte {
	c.scratch = append(c.scratch[:0], key...)
	sum := sha256.Sum256(c.scratch)
	var h [16]byte
	copy(h[:], sum[:16])
	return h
}

// emit spools the row being built, with its id (its key position in a keyed table), the
// release that first wrote it and its key.
func (c *converter) emit(t tableID, id int32, since uint16, key string) error {
	if c.row.bad != "" {
		return fmt.Errorf("%s: %s: %s", c.ctx, tables[t].name, c.row.bad)
	}
	c.counts.Rows[tables[t].name]++
	return c.spool.add(t, id, since, key, &c.row)
}

func (c *converter) emitting() bool { return c.mode == passRead }

// start receives the version metadata.
func (c *converter) start(v *ocl.SourceVersion) error {
	m, err := resolveMeta(v, c.opts)
	if err != nil {
		return err
	}
	c.meta, c.started = m, true
	if c.dates == nil {
		c.releases, c.current, err = releaseList(c.prev, m.version, m.created)
		if err != nil {
			return err
		}
		for _, r := range c.releases {
			c.dates = append(c.dates, dateLiteral(r.Created))
		}
		c.now = c.dates[c.current]
	}
	return c.coreRows()
}

// coreRows writes OpenMRS's datatypes, classes and map types exactly as OpenMRS ships them.
func (c *converter) coreRows() error {
	c.ctx = "OpenMRS core data"
	if c.emitting() {
		for _, d := range coreDatatypes {
			c.row.reset()
			c.row.int(d.id)
			c.row.str(d.name)
			c.row.str(d.hl7)
			c.row.str(d.desc)
			c.row.int(1)
			c.row.raw(dateLiteral(d.created))
			c.row.bool(false)
			c.row.str(d.uuid)
			if err := c.emit(tDatatype, int32(d.id), 0, ""); err != nil {
				return err
			}
		}
	}
	for _, cl := range coreClasses {
		if _, err := c.classRow(classKey(cl.name)); err != nil {
			return err
		}
	}
	for _, mt := range coreMapTypes {
		if _, err := c.mapTypeRow(ocl.NormalizeMapType(mt.name), mt.name); err != nil {
			return err
		}
	}
	return nil
}

// audit writes creator and date_created.
func (c *converter) audit(date string) {
	c.row.int(1)
	c.row.raw(date)
}

func (c *converter) date(since uint16) string { return c.dates[since] }

// classRow notes a class once per pass and returns its key position.
func (c *converter) classRow(key string) (int32, error) {
	if ord, ok := c.emitted["c\x00"+key]; ok {
		return ord, nil
	}
	core, isCore := c.coreClasses[key]
	var carried int64
	if isCore {
		carried = core.id
	}
	ord, since, err := c.id(tClass, key, carried, 0, func() string { return fmt.Sprintf("concept class %q", key) })
	if err != nil {
		return 0, err
	}
	c.emitted["c\x00"+key] = ord
	if c.emitting() {
		c.spelled = append(c.spelled, spelledRow{t: tClass, key: key, ctx: c.ctx, ord: ord, since: since})
	}
	return ord, nil
}

// spoolSpelled spools the class, map type and source rows, now that the smallest
// spelling of each is known.
func (c *converter) spoolSpelled() error {
	for _, s := range c.spelled {
		c.ctx = s.ctx
		var err error
		switch s.t {
		case tClass:
			err = c.classRowWrite(s.key, s.ord, s.since)
		case tMapType:
			err = c.mapTypeRowWrite(s.key, s.ord, s.since)
		case tSource:
			err = c.sourceRowWrite(s.key, s.ord, s.since)
		}
		if err != nil {
			return err
		}
	}
	c.spelled = nil
	return nil
}

func (c *converter) classRowWrite(key string, ord int32, since uint16) error {
	core, isCore := c.coreClasses[key]
	name, desc, uuid, date := c.spellings["c\x00"+key], "", derivedUUID("concept_class", key), c.date(since)
	if known, ok := c.knownClasses[key]; ok {
		name, desc, uuid = known.Name, known.Description, known.UUID
	}
	if isCore {
		name, desc, uuid, date = core.name, core.desc, core.uuid, dateLiteral(core.created)
	}
	c.row.reset()
	c.row.late(lateSelf, tClass, 0)
	c.row.str(name)
	c.row.str(desc) // NOT NULL in OpenMRS 1.11: '' when the class has none
	c.audit(date)
	c.row.bool(false)
	c.row.str(uuid)
	return c.emit(tClass, ord, since, key)
}

// mapTypeRow notes a map type once per pass and returns its key position.
func (c *converter) mapTypeRow(key, spelling string) (int32, error) {
	if ord, ok := c.emitted["m\x00"+key]; ok {
		return ord, nil
	}
	core, isCore := c.coreMapTypes[key]
	var carried int64
	if isCore {
		carried = core.id
	}
	ord, since, err := c.id(tMapType, key, carried, 0, func() string { return fmt.Sprintf("map type %q", spelling) })
	if err != nil {
		return 0, err
	}
	c.emitted["m\x00"+key] = ord
	if c.emitting() {
		c.spelled = append(c.spelled, spelledRow{t: tMapType, key: key, ctx: c.ctx, ord: ord, since: since})
	}
	return ord, nil
}

func (c *converter) mapTypeRowWrite(key string, ord int32, since uint16) error {
	core, isCore := c.coreMapTypes[key]
	name, desc, uuid, hidden, date := c.spellings["m\x00"+key], "", derivedUUID("concept_map_type", key), false, c.date(since)
	if isCore {
		name, desc, uuid, hidden, date = core.name, core.desc, core.uuid, core.hidden, dateLiteral(core.created)
	}
	c.row.reset()
	c.row.late(lateSelf, tMapType, 0)
	c.row.str(name)
	c.row.strOrNull(desc)
	c.audit(date)
	c.row.bool(hidden)
	c.row.bool(false)
	c.row.str(uuid)
	return c.emit(tMapType, ord, since, key)
}

// conceptError names the concept a problem is about.
func conceptError(concept *ocl.Concept, format string, args ...any) error {
	return fmt.Errorf("concept %q: %s", concept.ID, fmt.Sprintf(format, args...))
}

// tooLong reports whether s has more characters than an OpenMRS column holds.
func tooLong(s string, limit int) bool {
	return len(s) > limit && utf8.RuneCountInString(s) > limit
}

// remember notes a spelling of a class, map type or source name: the smallest one is
// written, whatever the order the export gives them in.
func (c *converter) remember(key, spelling string) {
	if c.mode != passRead {
		return
	}
	if old, ok := c.spellings[key]; !ok || spelling < old {
		c.spellings[key] = spelling
	}
}

func (c *converter) concept(concept *ocl.Concept) error {
	c.ctx = "concept " + strconv.Quote(concept.ID)
	id, err := conceptID(concept.ID)
	if err != nil {
		return conceptError(concept, "%v", err)
	}
	if _, dup := c.concepts[int32(id)]; dup {
		return conceptError(concept, "appears twice in the export")
	}
	uuid := pickUUID(concept.ExternalID, concept.UUID, "concept", c.meta.source, concept.ID)
	uuidHash := c.hash(uuid)
	if other, dup := c.conceptUUIDs[uuidHash]; dup {
		return conceptError(concept, "uuid %s is already the uuid of concept %q", uuid, strconv.Itoa(int(other)))
	}
	datatypeID, ok := datatypeIDs[datatypeKey(concept.Datatype)]
	if !ok {
		return conceptError(concept, "datatype %q is not an OpenMRS datatype", concept.Datatype)
	}
	className := strings.TrimSpace(concept.ConceptClass)
	if className == "" {
		return conceptError(concept, "has no concept class")
	}
	if tooLong(className, 255) {
		return conceptError(concept, "concept class %q is longer than 255 characters", className)
	}
	c.remember("c\x00"+classKey(className), className)
	classID, err := c.classRow(classKey(className))
	if err != nil {
		return err
	}
	c.concepts[int32(id)] = c.conceptSource(ocl.KeyOf(concept, c.meta.source).Source)
	c.conceptUUIDs[uuidHash] = int32(id)

	ord, since, err := c.id(tConcept, concept.ID, id, 0, func() string { return "concept " + strconv.Quote(concept.ID) })
	if err != nil {
		return err
	}
	if err := c.conceptRow(concept, ord, int32(id), int32(datatypeID), classID, uuid, since); err != nil {
		return err
	}
	if err := c.names(concept, id, uuid); err != nil {
		return err
	}
	if err := c.descriptions(concept, id, uuid); err != nil {
		return err
	}
	if !c.emitting() {
		return nil
	}
	switch datatypeID {
	case datatypeNumeric:
		return c.numeric(concept, int32(id))
	case datatypeComplex:
		return c.complex(concept, int32(id))
	}
	return nil
}

// conceptSource remembers the source a concept comes from (collections hold concepts of
// other sources), compared ignoring case as ocl.ConceptKey does.
func (c *converter) conceptSource(name string) uint16 {
	key := strings.ToLower(name)
	if i, ok := c.sourceIndex[key]; ok {
		return i
	}
	if len(c.conceptSources) >= math.MaxUint16 {
		return 0
	}
	i := uint16(len(c.conceptSources))
	c.sourceIndex[key] = i
	c.conceptSources = append(c.conceptSources, key)
	return i
}

// conceptID reads a code as an OpenMRS concept_id. Only canonical positive decimals are
// accepted, so that two different codes can never share an id.
func conceptID(code string) (int64, error) {
	id, ok := canonicalID(code)
	if !ok {
		return 0, fmt.Errorf("code %q is not a positive whole number: OpenMRS uses the code as concept_id", code)
	}
	return int64(id), nil
}

// canonicalID reads a positive decimal without sign or leading zeros that fits an int32.
func canonicalID(code string) (int32, bool) {
	if code == "" || len(code) > 10 || code[0] == '0' {
		return 0, false
	}
	id := int64(0)
	for i := 0; i < len(code); i++ {
		d := code[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		id = id*10 + int64(d-'0')
	}
	if id > math.MaxInt32 {
		return 0, false
	}
	return int32(id), true
}

// retiredInOCL is the retire and void reason the OpenMRS OCL module writes when OCL gives
// none (openmrs-module-openconceptlab, Saver.java).
const retiredInOCL = "Retired in OCL"

func (c *converter) conceptRow(concept *ocl.Concept, ord, id int32, datatypeID, classOrd int32, uuid string, since uint16) error {
	if !c.emitting() {
		return nil
	}
	isSet, _ := concept.Extras.Bool("is_set")
	date := c.date(since)
	if created, err := parseOCLTime(strings.TrimSpace(concept.CreatedOn)); err == nil {
		date = dateLiteral(created)
	}
	c.row.reset()
	c.row.int(int64(id))
	c.row.bool(concept.Retired)
	c.row.int(int64(datatypeID))
	c.row.late(lateRef, tClass, classOrd)
	if isSet {
		c.row.late(lateIsSet, tConcept, 1)
	} else {
		c.row.late(lateIsSet, tConcept, 0) // a concept with set members is a set
	}
	c.audit(date)
	if concept.Retired {
		reason := strings.TrimSpace(concept.RetireReason)
		if reason == "" {
			reason = retiredInOCL
		}
		if tooLong(reason, 255) {
			reason = string([]rune(reason)[:255]) // the column holds 255; the reason is only a note
		}
		c.row.int(1)
		c.row.raw(c.now)
		c.row.str(reason)
	} else {
		c.row.null()
		c.row.null()
		c.row.null()
	}
	c.row.str(uuid)
	return c.emit(tConcept, ord, since, concept.ID)
}

// nameTypes are the values OpenMRS's ConceptNameType accepts; a synonym is NULL.
var nameTypes = map[string]bool{
	ocl.NameTypeFullySpecified: true,
	ocl.NameTypeShort:          true,
	ocl.NameTypeIndexTerm:      true,
	ocl.NameTypeSynonym:        true,
}

// CIEL's uuids carry its own row ids: a name 1588BBBB… is concept_name_id 1588, a reference
// map 285967ABBB… concept_map_id 285967, an answer 5491CCCC… concept_answer_id 5491, a
// description 1379FFFF… concept_description_id 1379, a source 21DDDD… concept_source_id 21.
func carriedID(uuid string, marker string, fill byte) int64 {
	if len(uuid) != 36 {
		return 0
	}
	digits := 0
	for digits < len(uuid) && '0' <= uuid[digits] && uuid[digits] <= '9' {
		digits++
	}
	if digits == 0 || digits > 10 || uuid[0] == '0' {
		return 0
	}
	rest := uuid[digits:]
	if !strings.HasPrefix(rest, marker) {
		return 0
	}
	rest = rest[len(marker):]
	if rest == "" {
		return 0
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] != fill {
			return 0
		}
	}
	id, err := strconv.ParseInt(uuid[:digits], 10, 32)
	if err != nil {
		return 0
	}
	return id
}

func (c *converter) names(concept *ocl.Concept, conceptID int64, conceptUUID string) error {
	for i := range concept.Names {
		n := &concept.Names[i]
		nameType := c.nameType.get(n.NameType)
		if !nameTypes[nameType] {
			return conceptError(concept, "name %q has type %q, which OpenMRS does not know", n.Name, n.NameType)
		}
		if tooLong(n.Name, 255) {
			return conceptError(concept, "name %.40q… is longer than OpenMRS's 255 characters", n.Name)
		}
		if tooLong(n.Locale, 50) {
			return conceptError(concept, "locale %q is longer than 50 characters", n.Locale)
		}
		// A name without a uuid is known by what it says, as the OCL module matches them.
		uuid := pickUUID(n.ExternalID, n.UUID, "concept_name", conceptUUID, n.Locale, nameType, n.Name)
		ord, since, err := c.id(tName, uuid, carriedID(uuid, "", 'B'), conceptID, func() string {
			return fmt.Sprintf("concept %q name %q (uuid %s)", concept.ID, n.Name, uuid)
		})
		if err != nil {
			return err
		}
		if !c.emitting() {
			continue
		}
		date := c.date(since)
		c.row.reset()
		c.row.late(lateSelf, tName, 0)
		c.row.int(conceptID)
		c.row.str(n.Name)
		c.row.str(n.Locale)
		c.row.bool(n.LocalePreferred && n.Active())
		c.audit(date)
		c.row.strOrNull(nameType)
		if n.Active() {
			c.row.bool(false)
			c.row.null()
			c.row.null()
			c.row.null()
		} else {
			c.row.bool(true)
			c.row.int(1)
			c.row.raw(c.now)
			c.row.str(retiredInOCL)
		}
		c.row.str(uuid)
		if err := c.emit(tName, ord, since, uuid); err != nil {
			return err
		}
	}
	return nil
}

// descriptions writes the active, non-blank descriptions: concept_description has no
// voided column, and the OCL module drops retired and blank ones (Saver.java).
func (c *converter) descriptions(concept *ocl.Concept, conceptID int64, conceptUUID string) error {
	for i := range concept.Descriptions {
		d := &concept.Descriptions[i]
		if !d.Active() || strings.TrimSpace(d.Description) == "" {
			continue
		}
		if tooLong(d.Locale, 50) {
			return conceptError(concept, "description locale %q is longer than 50 characters", d.Locale)
		}
		uuid := pickUUID(d.ExternalID, d.UUID, "concept_description", conceptUUID, d.Locale, d.Description)
		ord, since, err := c.id(tDescription, uuid, carriedID(uuid, "", 'F'), conceptID, func() string {
			return fmt.Sprintf("concept %q description %.40q (uuid %s)", concept.ID, d.Description, uuid)
		})
		if err != nil {
			return err
		}
		if !c.emitting() {
			continue
		}
		c.row.reset()
		c.row.late(lateSelf, tDescription, 0)
		c.row.int(conceptID)
		c.row.str(d.Description)
		c.row.str(d.Locale)
		c.audit(c.date(since))
		c.row.str(uuid)
		if err := c.emit(tDescription, ord, since, uuid); err != nil {
			return err
		}
	}
	return nil
}

// numeric writes concept_numeric for every Numeric concept: OpenMRS loads a Numeric
// concept without that row as a plain concept.
func (c *converter) numeric(concept *ocl.Concept, conceptID int32) error {
	e := concept.Extras
	units, _ := e.String("units")
	if tooLong(units, 50) {
		return conceptError(concept, "units %q are longer than 50 characters", units)
	}
	allowDecimal, ok := e.Bool("allow_decimal")
	if !ok {
		allowDecimal, _ = e.Bool("precise")
	}
	c.row.reset()
	c.row.int(int64(conceptID))
	for _, key := range []string{"hi_absolute", "hi_critical", "hi_normal", "low_absolute", "low_critical", "low_normal"} {
		v, ok := e.Float(key)
		if ok && !openmrslimits.StorableNumber(v) {
			return conceptError(concept, "extras.%s is %v, which a MySQL double cannot hold", key, v)
		}
		c.row.float(v, ok)
	}
	c.row.strOrNull(units)
	c.row.bool(allowDecimal)
	if p, ok := e.Float("display_precision"); ok && p == math.Trunc(p) && p >= 0 && p <= math.MaxInt32 {
		c.row.int(int64(p))
	} else {
		c.row.null()
	}
	return c.emit(tNumeric, conceptID, 0, "")
}

func (c *converter) complex(concept *ocl.Concept, conceptID int32) error {
	handler, _ := concept.Extras.String("handler")
	if tooLong(handler, 255) {
		return conceptError(concept, "handler %q is longer than 255 characters", handler)
	}
	c.row.reset()
	c.row.int(int64(conceptID))
	c.row.strOrNull(handler)
	return c.emit(tComplex, conceptID, 0, "")
}

func (c *converter) skip(reason string) error {
	if c.emitting() {
		c.counts.Skipped[reason]++
	}
	return nil
}

func (c *converter) mapping(m *ocl.Mapping) error {
	c.ctx = "mapping " + strconv.Quote(m.ID)
	if m.Retired {
		return c.skip(SkipRetiredMapping)
	}
	from, ok := c.exported(m.FromConceptCode)
	if !ok {
		return c.skip(SkipFromNotInExport)
	}
	uuid := pickUUID(m.ExternalID, m.UUID, c.mappingSeed(m)...)
	switch c.mapType.get(m.MapType) {
	case ocl.MapTypeQAndA:
		answer, ok := c.internalTarget(m)
		if !ok {
			return c.skip(SkipAnswerNotExport)
		}
		return c.answerRow(m, from, answer, uuid)
	case ocl.MapTypeConceptSet:
		member, ok := c.internalTarget(m)
		if !ok {
			return c.skip(SkipMemberNotExport)
		}
		if c.mode == passRead {
			c.setOwners[from] = true
		}
		return c.setRow(m, from, member, uuid)
	}
	return c.referenceMap(m, from, uuid)
}

// exported finds a concept of the export by code. Codes are canonical ids (conceptID), so
// a code that is not one names no exported concept.
func (c *converter) exported(code string) (int32, bool) {
	id, ok := canonicalID(code)
	if !ok {
		return 0, false
	}
	_, ok = c.concepts[id]
	return id, ok
}

func (c *converter) mappingSeed(m *ocl.Mapping) []string {
	if m.ID != "" {
		return []string{"mapping", c.meta.source, m.ID}
	}
	return []string{"mapping", c.meta.source, m.FromConceptCode, m.MapType, m.ToSourceName, m.ToConceptCode}
}

// internalTarget finds the to-concept of an answer or set member among the exported
// concepts, deciding as QA does (ocl.InternalTarget): the export must hold a concept of the
// target's source and code, whatever the export is (a collection holds CIEL concepts whose
// mappings name to_source_name CIEL, not the collection).
func (c *converter) internalTarget(m *ocl.Mapping) (int32, bool) {
	var id int32
	ok := ocl.InternalTarget(m, c.meta.source, func(k ocl.ConceptKey) bool {
		found, ok := c.exported(k.Code)
		if !ok || c.conceptSources[c.concepts[found]] != strings.ToLower(k.Source) {
			return false
		}
		id = found
		return true
	})
	return id, ok
}

func mappingWhat(m *ocl.Mapping, uuid string) func() string {
	return func() string {
		return fmt.Sprintf("mapping %q (%s %s → %s %s, uuid %s)", m.ID, m.FromConceptCode, m.MapType, m.ToSourceName, m.ToConceptCode, uuid)
	}
}

// mappingWeight is the mapping's sort weight, refused when a MySQL double cannot hold it.
func mappingWeight(m *ocl.Mapping) (float64, bool, error) {
	w, ok := m.Weight()
	if ok && !openmrslimits.StorableNumber(w) {
		return 0, false, mappingError(m, "sort weight %v cannot be stored in a MySQL double", w)
	}
	return w, ok, nil
}

func (c *converter) answerRow(m *ocl.Mapping, questionID, answerID int32, uuid string) error {
	w, hasWeight, err := mappingWeight(m)
	if err != nil {
		return err
	}
	ord, since, err := c.id(tAnswer, uuid, carriedID(uuid, "", 'C'), int64(questionID), mappingWhat(m, uuid))
	if err != nil || !c.emitting() {
		return err
	}
	c.row.reset()
	c.row.late(lateSelf, tAnswer, 0)
	c.row.int(int64(questionID))
	c.row.int(int64(answerID))
	c.audit(c.date(since))
	c.row.float(w, hasWeight)
	c.row.str(uuid)
	return c.emit(tAnswer, ord, since, uuid)
}

// setMemberWeight is the sort weight of a set member without one, as the OCL module
// writes it (Saver.java).
const setMemberWeight = 1.0

func (c *converter) setRow(m *ocl.Mapping, setID, memberID int32, uuid string) error {
	w, hasWeight, err := mappingWeight(m)
	if err != nil {
		return err
	}
	if !hasWeight {
		w = setMemberWeight
	}
	ord, since, err := c.id(tSet, uuid, 0, int64(setID), mappingWhat(m, uuid))
	if err != nil || !c.emitting() {
		return err
	}
	c.row.reset()
	c.row.late(lateSelf, tSet, 0)
	c.row.int(int64(memberID))
	c.row.int(int64(setID))
	c.row.float(w, true)
	c.audit(c.date(since))
	c.row.str(uuid)
	return c.emit(tSet, ord, since, uuid)
}

func (c *converter) referenceMap(m *ocl.Mapping, conceptID int32, uuid string) error {
	sourceName := strings.TrimSpace(m.ToSourceName)
	code := strings.TrimSpace(m.ToConceptCode)
	switch {
	case sourceName == "":
		return c.skip(SkipNoTargetSource)
	case code == "":
		return c.skip(SkipNoTargetCode)
	}
	mapTypeOrd, err := c.mapTypeID(m)
	if err != nil {
		return err
	}
	sourceOrd, err := c.sourceID(m, sourceName)
	if err != nil {
		return err
	}
	termOrd, err := c.termID(m, sourceOrd, sourceKey(sourceName), code)
	if err != nil {
		return err
	}
	ord, since, err := c.id(tRefMap, uuid, carriedID(uuid, "A", 'B'), int64(conceptID), mappingWhat(m, uuid))
	if err != nil || !c.emitting() {
		return err
	}
	c.row.reset()
	c.row.late(lateSelf, tRefMap, 0)
	c.row.late(lateRef, tTerm, termOrd)
	c.row.late(lateRef, tMapType, mapTypeOrd)
	c.audit(c.date(since))
	c.row.int(int64(conceptID))
	c.row.str(uuid)
	return c.emit(tRefMap, ord, since, uuid)
}

func mappingError(m *ocl.Mapping, format string, args ...any) error {
	return fmt.Errorf("mapping %q (%s %s → %s %s): %s", m.ID, m.FromConceptCode, m.MapType, m.ToSourceName, m.ToConceptCode, fmt.Sprintf(format, args...))
}

func (c *converter) mapTypeID(m *ocl.Mapping) (int32, error) {
	name := strings.TrimSpace(m.MapType)
	if name == "" {
		return 0, mappingError(m, "has no map type")
	}
	if tooLong(name, 255) {
		return 0, mappingError(m, "map type is longer than 255 characters")
	}
	key := c.mapType.get(name)
	c.remember("m\x00"+key, name)
	return c.mapTypeRow(key, name)
}

// sourceID finds the reference source a mapping points at: one a site already has (by
// name ignoring case, spaces and hyphens), else a new one.
func (c *converter) sourceID(m *ocl.Mapping, name string) (int32, error) {
	key := sourceKey(name)
	if ord, ok := c.emitted["s\x00"+key]; ok {
		return ord, nil
	}
	if tooLong(name, 50) {
		return 0, mappingError(m, "source name %q is longer than OpenMRS's 50 characters", name)
	}
	c.remember("s\x00"+key, name)
	known := c.knownSources[key]
	ord, since, err := c.id(tSource, key, known.ID, 0, func() string { return fmt.Sprintf("reference source %q", name) })
	if err != nil {
		return 0, err
	}
	c.emitted["s\x00"+key] = ord
	if c.emitting() {
		c.spelled = append(c.spelled, spelledRow{t: tSource, key: key, ctx: c.ctx, ord: ord, since: since})
	}
	return ord, nil
}

func (c *converter) sourceRowWrite(key string, ord int32, since uint16) error {
	known, isKnown := c.knownSources[key]
	name := c.spellings["s\x00"+key]
	uuid, hl7, desc := derivedUUID("concept_reference_source", key), "", name
	if isKnown {
		name, hl7 = known.Name, known.HL7Code
		if known.UUID != "" {
			uuid = known.UUID
		}
		if known.Description != "" {
			desc = known.Description
		}
	}
	c.row.reset()
	c.row.late(lateSelf, tSource, 0)
	c.row.str(name)
	c.row.str(desc)
	c.row.strOrNull(hl7) // hl7_code is unique: NULL, never ''
	c.audit(c.date(since))
	c.row.bool(false)
	c.row.str(uuid)
	return c.emit(tSource, ord, since, key)
}

func (c *converter) termID(m *ocl.Mapping, sourceOrd int32, source, code string) (int32, error) {
	key := source + "\x00" + code
	h := c.hash(key)
	if ord, ok := c.terms[h]; ok {
		c.rememberTermName(ord, m)
		return ord, nil
	}
	if tooLong(code, 255) {
		return 0, mappingError(m, "target code is longer than 255 characters")
	}
	ord, since, err := c.id(tTerm, key, 0, 0, func() string { return fmt.Sprintf("reference term %s:%s", source, code) })
	if err != nil {
		return 0, err
	}
	c.terms[h] = ord
	if !c.emitting() {
		return ord, nil
	}
	c.termNames.add()
	c.rememberTermName(ord, m)
	c.row.reset()
	c.row.late(lateSelf, tTerm, 0)
	c.row.late(lateRef, tSource, sourceOrd)
	c.row.late(lateTermName, tTerm, ord)
	c.row.str(code)
	c.audit(c.date(since))
	c.row.bool(false)
	c.row.str(derivedUUID("concept_reference_term", source, code))
	return ord, c.emit(tTerm, ord, since, key)
}

// rememberTermName keeps the smallest name mappings give a term, so that the order of the
// mappings does not matter.
func (c *converter) rememberTermName(ord int32, m *ocl.Mapping) {
	if c.mode != passRead {
		return
	}
	name := strings.TrimSpace(m.ToConceptName)
	if tooLong(name, 255) {
		name = string([]rune(name)[:255]) // a display name only: shortening it loses nothing that identifies the term
	}
	if name == "" {
		return
	}
	if old := c.termNames.get(ord); len(old) == 0 || name < string(old) {
		c.termNames.set(ord, name)
		if _, noted := c.badTermNames[ord]; !noted && unstorableText(name) != "" {
			c.badTermNames[ord] = c.ctx
		}
	}
}

// checkTermNames refuses a term whose name, the smallest the export gives it, no column
// holds; the error names the item that gave it such a name.
func (c *converter) checkTermNames() error {
	for ord, ctx := range c.badTermNames {
		if bad := unstorableText(string(c.termNames.get(ord))); bad != "" {
			return fmt.Errorf("%s: %s: %s", ctx, tables[tTerm].name, bad)
		}
	}
	return nil
}

// nameArena holds a name (at most 255 characters, so under 4096 bytes) for each of a list of
// items, the text in chunks of bytes: a million term names are a few objects without
// pointers, which the collector neither scans nor copies as they grow.
type nameArena struct {
	chunks [][]byte
	refs   []uint64 // by item: chunk<<32 | offset<<12 | length; 0 is no name
}

const (
	nameChunkBits = 20 // offsets within a chunk take 20 bits
	nameLenBits   = 12
)

// add makes room for the next item, without a name.
func (a *nameArena) add() { a.refs = append(a.refs, 0) }

func (a *nameArena) get(i int32) []byte {
	ref := a.refs[i]
	if ref == 0 {
		return nil
	}
	off := int(ref >> nameLenBits & (1<<nameChunkBits - 1))
	return a.chunks[ref>>32][off : off+int(ref&(1<<nameLenBits-1))]
}

// set gives item i a name; the bytes of the name it had stay unused.
func (a *nameArena) set(i int32, name string) {
	if name == "" || len(name) >= 1<<nameLenBits {
		panic("export: a name of " + strconv.Itoa(len(name)) + " bytes in a name arena")
	}
	if len(a.chunks) == 0 || len(a.chunks[len(a.chunks)-1])+len(name) > 1<<nameChunkBits {
		a.chunks = append(a.chunks, make([]byte, 0, 1<<nameChunkBits))
	}
	last := len(a.chunks) - 1
	off := len(a.chunks[last])
	a.chunks[last] = append(a.chunks[last], name...)
	a.refs[i] = uint64(last)<<32 | uint64(off)<<nameLenBits | uint64(len(name))
}
