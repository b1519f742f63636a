package export

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// converter turns concepts and mappings into rows, in export order, and hands each row
// to every output. Ids are assigned in the order things are met, so the same export
// always gives the same ids.
type converter struct {
	outs    []*output
	opts    SQLOptions
	meta    meta
	started bool
	created string // date_created literal
	counts  Counts
	row     row

	concepts     map[string]int64    // code → concept_id
	conceptUUIDs map[string]struct{} // to refuse duplicates before the load does
	classes      map[string]int64    // classKey → concept_class_id
	mapTypes     map[string]int64    // normalised name → concept_map_type_id
	sources      map[string]int64    // to_source_name → concept_source_id
	terms        map[termKey]int64   // → concept_reference_term_id
	next         [tableCount]int64   // last id used, by table
	nameType     *memo
	mapType      *memo
}

func newConverter(outs []*output, opts SQLOptions) *converter {
	c := &converter{
		outs:         outs,
		opts:         opts,
		counts:       Counts{Rows: map[string]int64{}, Skipped: map[string]int64{}},
		concepts:     map[string]int64{},
		conceptUUIDs: map[string]struct{}{},
		classes:      map[string]int64{},
		mapTypes:     map[string]int64{},
		sources:      map[string]int64{},
		terms:        map[termKey]int64{},
		nameType:     newMemo(ocl.NormalizeNameType),
		mapType:      newMemo(ocl.NormalizeMapType),
	}
	for t := range tables {
		c.counts.Rows[tables[t].name] = 0
	}
	return c
}

// emit sends the row being built to every output.
func (c *converter) emit(t tableID) error {
	c.counts.Rows[tables[t].name]++
	for _, o := range c.outs {
		if err := o.add(t, &c.row); err != nil {
			return err
		}
	}
	return nil
}

// start receives the version metadata: it writes the header, the schema and OpenMRS's
// core metadata.
func (c *converter) start(v *ocl.SourceVersion) error {
	m, err := resolveMeta(v, c.opts)
	if err != nil {
		return err
	}
	c.meta, c.started = m, true
	c.created = dateLiteral(m.created)
	for _, o := range c.outs {
		if err := o.header(m); err != nil {
			return err
		}
	}
	return c.coreRows()
}

func (c *converter) coreRows() error {
	for _, d := range coreDatatypes {
		c.row.reset()
		c.row.int(d.id)
		c.row.str(d.name)
		c.row.str(d.hl7)
		c.row.str(d.desc)
		c.audit()
		c.row.bool(false)
		c.row.str(d.uuid)
		if err := c.emit(tDatatype); err != nil {
			return err
		}
	}
	for _, cl := range coreClasses {
		if err := c.classRow(cl.id, cl.name, cl.desc, cl.uuid); err != nil {
			return err
		}
		c.classes[classKey(cl.name)] = cl.id
		c.next[tClass] = max(c.next[tClass], cl.id)
	}
	for _, mt := range coreMapTypes {
		if err := c.mapTypeRow(mt.id, mt.name, mt.uuid); err != nil {
			return err
		}
		c.mapTypes[ocl.NormalizeMapType(mt.name)] = mt.id
		c.next[tMapType] = max(c.next[tMapType], mt.id)
	}
	return nil
}

// audit writes creator and date_created.
func (c *converter) audit() {
	c.row.int(1)
	c.row.raw(c.created)
}

func (c *converter) classRow(id int64, name, desc, uuid string) error {
	c.row.reset()
	c.row.int(id)
	c.row.str(name)
	c.row.strOrNull(desc)
	c.audit()
	c.row.bool(false)
	c.row.str(uuid)
	return c.emit(tClass)
}

func (c *converter) mapTypeRow(id int64, name, uuid string) error {
	c.row.reset()
	c.row.int(id)
	c.row.str(name)
	c.row.null()
	c.audit()
	c.row.bool(false)
	c.row.bool(false)
	c.row.str(uuid)
	return c.emit(tMapType)
}

// conceptError names the concept a problem is about.
func conceptError(concept *ocl.Concept, format string, args ...any) error {
	return fmt.Errorf("concept %q: %s", concept.ID, fmt.Sprintf(format, args...))
}

// tooLong reports whether s has more characters than an OpenMRS column holds.
func tooLong(s string, limit int) bool {
	return len(s) > limit && utf8.RuneCountInString(s) > limit
}

func (c *converter) concept(concept *ocl.Concept) error {
	id, err := conceptID(concept.ID)
	if err != nil {
		return conceptError(concept, "%v", err)
	}
	if _, dup := c.concepts[concept.ID]; dup {
		return conceptError(concept, "appears twice in the export")
	}
	uuid := pickUUID(concept.ExternalID, concept.UUID, "concept", c.meta.source, concept.ID)
	if _, dup := c.conceptUUIDs[uuid]; dup {
		return conceptError(concept, "uuid %s is already used by another concept", uuid)
	}
	datatypeID, ok := datatypeIDs[datatypeKey(concept.Datatype)]
	if !ok {
		return conceptError(concept, "datatype %q is not an OpenMRS datatype", concept.Datatype)
	}
	classID, err := c.classID(concept)
	if err != nil {
		return err
	}
	c.concepts[concept.ID] = id
	c.conceptUUIDs[uuid] = struct{}{}

	if err := c.conceptRow(concept, id, datatypeID, classID, uuid); err != nil {
		return err
	}
	if err := c.names(concept, id, uuid); err != nil {
		return err
	}
	if err := c.descriptions(concept, id, uuid); err != nil {
		return err
	}
	switch datatypeID {
	case datatypeNumeric:
		return c.numeric(concept, id)
	case datatypeComplex:
		return c.complex(concept, id)
	}
	return nil
}

// conceptID reads a code as an OpenMRS concept_id. Only canonical positive decimals are
// accepted, so that two different codes can never share an id.
func conceptID(code string) (int64, error) {
	id, err := strconv.ParseInt(code, 10, 32)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != code {
		return 0, fmt.Errorf("code %q is not a positive whole number: OpenMRS uses the code as concept_id", code)
	}
	return id, nil
}

// classID finds the class by name, creating it (with the next free id) when the
// dictionary brings one OpenMRS does not ship.
func (c *converter) classID(concept *ocl.Concept) (int64, error) {
	name := strings.TrimSpace(concept.ConceptClass)
	if name == "" {
		return 0, conceptError(concept, "has no concept class")
	}
	if tooLong(name, 255) {
		return 0, conceptError(concept, "concept class %q is longer than 255 characters", name)
	}
	key := classKey(name)
	if id, ok := c.classes[key]; ok {
		return id, nil
	}
	c.next[tClass]++
	id := c.next[tClass]
	c.classes[key] = id
	return id, c.classRow(id, name, "", derivedUUID("concept_class", key))
}

func (c *converter) conceptRow(concept *ocl.Concept, id, datatypeID, classID int64, uuid string) error {
	isSet, _ := concept.Extras.Bool("is_set")
	c.row.reset()
	c.row.int(id)
	c.row.bool(concept.Retired)
	c.row.int(datatypeID)
	c.row.int(classID)
	c.row.bool(isSet)
	c.audit()
	if concept.Retired {
		c.row.int(1)
		c.row.raw(c.created)
		c.row.str("Retired in " + c.meta.source)
	} else {
		c.row.null()
		c.row.null()
		c.row.null()
	}
	c.row.str(uuid)
	return c.emit(tConcept)
}

// nameTypes are the values OpenMRS's ConceptNameType accepts; a synonym is NULL.
var nameTypes = map[string]bool{
	ocl.NameTypeFullySpecified: true,
	ocl.NameTypeShort:          true,
	ocl.NameTypeIndexTerm:      true,
	ocl.NameTypeSynonym:        true,
}

func (c *converter) names(concept *ocl.Concept, conceptID int64, conceptUUID string) error {
	for i, n := range concept.Names {
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
		c.next[tName]++
		c.row.reset()
		c.row.int(c.next[tName])
		c.row.int(conceptID)
		c.row.str(n.Name)
		c.row.str(n.Locale)
		c.row.bool(n.LocalePreferred)
		c.audit()
		c.row.strOrNull(nameType)
		c.row.bool(false)
		c.row.str(pickUUID(n.ExternalID, n.UUID, "concept_name", conceptUUID, strconv.Itoa(i)))
		if err := c.emit(tName); err != nil {
			return err
		}
	}
	return nil
}

func (c *converter) descriptions(concept *ocl.Concept, conceptID int64, conceptUUID string) error {
	for i, d := range concept.Descriptions {
		if tooLong(d.Locale, 50) {
			return conceptError(concept, "description locale %q is longer than 50 characters", d.Locale)
		}
		c.next[tDescription]++
		c.row.reset()
		c.row.int(c.next[tDescription])
		c.row.int(conceptID)
		c.row.str(d.Description)
		c.row.str(d.Locale)
		c.audit()
		c.row.str(pickUUID(d.ExternalID, d.UUID, "concept_description", conceptUUID, strconv.Itoa(i)))
		if err := c.emit(tDescription); err != nil {
			return err
		}
	}
	return nil
}

// numeric writes concept_numeric for every Numeric concept: OpenMRS loads a Numeric
// concept without that row as a plain concept.
func (c *converter) numeric(concept *ocl.Concept, conceptID int64) error {
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
	c.row.int(conceptID)
	for _, key := range []string{"hi_absolute", "hi_critical", "hi_normal", "low_absolute", "low_critical", "low_normal"} {
		c.row.float(e.Float(key))
	}
	c.row.strOrNull(units)
	c.row.bool(allowDecimal)
	if p, ok := e.Float("display_precision"); ok && p == math.Trunc(p) && p >= 0 && p <= math.MaxInt32 {
		c.row.int(int64(p))
	} else {
		c.row.null()
	}
	return c.emit(tNumeric)
}

func (c *converter) complex(concept *ocl.Concept, conceptID int64) error {
	handler, _ := concept.Extras.String("handler")
	if tooLong(handler, 255) {
		return conceptError(concept, "handler %q is longer than 255 characters", handler)
	}
	c.row.reset()
	c.row.int(conceptID)
	c.row.strOrNull(handler)
	return c.emit(tComplex)
}

func (c *converter) skip(reason string) error {
	c.counts.Skipped[reason]++
	return nil
}

func (c *converter) mapping(m *ocl.Mapping) error {
	if m.Retired {
		return c.skip(SkipRetiredMapping)
	}
	fromID, ok := c.concepts[m.FromConceptCode]
	if !ok {
		return c.skip(SkipFromNotInExport)
	}
	uuid := pickUUID(m.ExternalID, m.UUID, c.mappingSeed(m)...)
	switch c.mapType.get(m.MapType) {
	case ocl.MapTypeQAndA:
		answerID, ok := c.internalTarget(m)
		if !ok {
			return c.skip(SkipAnswerNotExport)
		}
		return c.answerRow(fromID, answerID, m.SortWeight, uuid)
	case ocl.MapTypeConceptSet:
		memberID, ok := c.internalTarget(m)
		if !ok {
			return c.skip(SkipMemberNotExport)
		}
		return c.setRow(fromID, memberID, m.SortWeight, uuid)
	}
	return c.referenceMap(m, fromID, uuid)
}

func (c *converter) mappingSeed(m *ocl.Mapping) []string {
	if m.ID != "" {
		return []string{"mapping", c.meta.source, m.ID}
	}
	return []string{"mapping", c.meta.source, m.FromConceptCode, m.MapType, m.ToSourceName, m.ToConceptCode}
}

// internalTarget finds the to-concept of an answer or set member among the exported
// concepts; a target in another source never matches, even with the same code.
func (c *converter) internalTarget(m *ocl.Mapping) (int64, bool) {
	if m.ToSourceName != "" && !strings.EqualFold(m.ToSourceName, c.meta.source) {
		return 0, false
	}
	id, ok := c.concepts[m.ToConceptCode]
	return id, ok
}

func (c *converter) answerRow(questionID, answerID int64, weight *float64, uuid string) error {
	c.next[tAnswer]++
	c.row.reset()
	c.row.int(c.next[tAnswer])
	c.row.int(questionID)
	c.row.int(answerID)
	c.audit()
	c.sortWeight(weight)
	c.row.str(uuid)
	return c.emit(tAnswer)
}

func (c *converter) setRow(setID, memberID int64, weight *float64, uuid string) error {
	c.next[tSet]++
	c.row.reset()
	c.row.int(c.next[tSet])
	c.row.int(memberID)
	c.row.int(setID)
	c.sortWeight(weight)
	c.audit()
	c.row.str(uuid)
	return c.emit(tSet)
}

func (c *converter) sortWeight(w *float64) {
	if w == nil {
		c.row.null()
		return
	}
	c.row.float(*w, true)
}

func (c *converter) referenceMap(m *ocl.Mapping, conceptID int64, uuid string) error {
	sourceName := strings.TrimSpace(m.ToSourceName)
	code := strings.TrimSpace(m.ToConceptCode)
	switch {
	case sourceName == "":
		return c.skip(SkipNoTargetSource)
	case code == "":
		return c.skip(SkipNoTargetCode)
	}
	mapTypeID, err := c.mapTypeID(m)
	if err != nil {
		return err
	}
	sourceID, err := c.sourceID(m, sourceName)
	if err != nil {
		return err
	}
	termID, err := c.termID(m, sourceID, sourceName, code)
	if err != nil {
		return err
	}
	c.next[tRefMap]++
	c.row.reset()
	c.row.int(c.next[tRefMap])
	c.row.int(termID)
	c.row.int(mapTypeID)
	c.audit()
	c.row.int(conceptID)
	c.row.str(uuid)
	return c.emit(tRefMap)
}

func mappingError(m *ocl.Mapping, format string, args ...any) error {
	return fmt.Errorf("mapping %q (%s %s → %s %s): %s", m.ID, m.FromConceptCode, m.MapType, m.ToSourceName, m.ToConceptCode, fmt.Sprintf(format, args...))
}

func (c *converter) mapTypeID(m *ocl.Mapping) (int64, error) {
	name := strings.TrimSpace(m.MapType)
	if name == "" {
		return 0, mappingError(m, "has no map type")
	}
	if tooLong(name, 255) {
		return 0, mappingError(m, "map type is longer than 255 characters")
	}
	key := c.mapType.get(name)
	if id, ok := c.mapTypes[key]; ok {
		return id, nil
	}
	c.next[tMapType]++
	id := c.next[tMapType]
	c.mapTypes[key] = id
	return id, c.mapTypeRow(id, name, derivedUUID("concept_map_type", key))
}

func (c *converter) sourceID(m *ocl.Mapping, name string) (int64, error) {
	if id, ok := c.sources[name]; ok {
		return id, nil
	}
	if tooLong(name, 50) {
		return 0, mappingError(m, "source name %q is longer than OpenMRS's 50 characters", name)
	}
	c.next[tSource]++
	id := c.next[tSource]
	c.sources[name] = id
	c.row.reset()
	c.row.int(id)
	c.row.str(name)
	c.row.str(strings.TrimSpace(m.ToSourceURL))
	c.row.null() // hl7_code is unique: NULL, never ''
	c.audit()
	c.row.bool(false)
	c.row.str(derivedUUID("concept_reference_source", name))
	return id, c.emit(tSource)
}

func (c *converter) termID(m *ocl.Mapping, sourceID int64, sourceName, code string) (int64, error) {
	key := termKey{sourceID, code}
	if id, ok := c.terms[key]; ok {
		return id, nil
	}
	if tooLong(code, 255) {
		return 0, mappingError(m, "target code is longer than 255 characters")
	}
	name := strings.TrimSpace(m.ToConceptName)
	if tooLong(name, 255) {
		name = string([]rune(name)[:255]) // a display name only: shortening it loses nothing that identifies the term
	}
	c.next[tTerm]++
	id := c.next[tTerm]
	c.terms[key] = id
	c.row.reset()
	c.row.int(id)
	c.row.int(sourceID)
	c.row.strOrNull(name)
	c.row.str(code)
	c.audit()
	c.row.bool(false)
	c.row.str(derivedUUID("concept_reference_term", sourceName, code))
	return id, c.emit(tTerm)
}

// termKey identifies a reference term: its source and code.
type termKey struct {
	sourceID int64
	code     string
}

// finish flushes what is buffered and records the version.
func (c *converter) finish() error {
	if !c.started {
		return errors.New("the export has no version metadata")
	}
	for _, o := range c.outs {
		if err := o.flushAll(); err != nil {
			return err
		}
		if err := o.footer(c.meta); err != nil {
			return err
		}
	}
	return nil
}
