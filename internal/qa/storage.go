package qa

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/openmrslimits"
)

// The rules below report what the SQL writer (internal/export) refuses to write: a number
// a MySQL DOUBLE cannot hold (OM-06), text OpenMRS's utf8mb3 columns cannot hold (OM-07),
// and two names, descriptions or mappings that would get one uuid (XR-06). They look at
// the items the writer writes, with the writer's own predicates (internal/openmrslimits),
// so a release stops at QA instead of failing in the SQL build.

// numericRanges are the extras the writer puts in concept_numeric's DOUBLE columns.
var numericRanges = []string{"hi_absolute", "hi_critical", "hi_normal", "low_absolute", "low_critical", "low_normal"}

// uuidTable is the OpenMRS table a row's uuid must be unique in: the writer refuses two
// rows of one table with the same uuid, and rows of different tables never collide.
type uuidTable uint64

const (
	uuidName uuidTable = iota + 1
	uuidDescription
	uuidAnswer
	uuidSetMember
	uuidReferenceMap
)

func (t uuidTable) what() string {
	switch t {
	case uuidName:
		return "name"
	case uuidDescription:
		return "description"
	case uuidAnswer:
		return "Q-AND-A mapping"
	case uuidSetMember:
		return "CONCEPT-SET mapping"
	}
	return "mapping"
}

// itemOwner is the first item that took a uuid (XR-06) or claimed a target (FR-26),
// packed in 8 bytes to keep the indexes small at CIEL scale: its concept in the low 32
// bits and, for a mapping whose id is a decimal number (as OCL's are), that number + 1 in
// the high 32 bits, so that the message can name it.
type itemOwner uint64

func newItemOwner(ci uint32, mappingID string) itemOwner {
	owner := itemOwner(ci)
	if n, ok := decimalID(mappingID); ok {
		owner |= itemOwner(n+1) << 32
	}
	return owner
}

// decimalID reads an id written as a decimal number below MaxUint32 without leading
// zeros, the only ids itemOwner can give back exactly as written.
func decimalID(id string) (uint64, bool) {
	if id == "" || len(id) > 10 || id[0] == '0' && len(id) > 1 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n < math.MaxUint32
}

func (o itemOwner) concept() uint32 { return uint32(o) }

// mappingID is the owner's mapping id, or "" when it is not a mapping or its id is not a
// number.
func (o itemOwner) mappingID() string {
	if o>>32 == 0 {
		return ""
	}
	return strconv.FormatUint(uint64(o>>32)-1, 10)
}

// checkConceptStorage runs OM-06, OM-07 and XR-06 on a concept, retired or not: the writer
// writes retired concepts and their (voided) names too.
func (e *Engine) checkConceptStorage(c *ocl.Concept, ci uint32) {
	if e.on(om07) {
		e.checkConceptText(c, ci)
	}
	if e.on(om06) && strings.EqualFold(strings.TrimSpace(c.Datatype), "Numeric") {
		for _, key := range numericRanges {
			if v, ok := c.Extras.Float(key); ok && !openmrslimits.StorableNumber(v) {
				e.emit(om06, ci, Finding{Field: "extras." + key,
					Message: fmt.Sprintf("extras.%s is %v, which OpenMRS's concept_numeric (a MySQL DOUBLE) cannot store", key, v)})
			}
		}
	}
	if e.on(xr06) {
		e.claimConceptUUIDs(c, ci)
	}
}

// claimConceptUUIDs runs XR-06 on the names and descriptions of a concept.
func (e *Engine) claimConceptUUIDs(c *ocl.Concept, ci uint32) {
	conceptUUID := ""
	for i := range c.Names {
		n := &c.Names[i]
		if ext := strings.TrimSpace(n.ExternalID); ext == "" && !openmrslimits.LooksLikeUUID(n.UUID) {
			// Only a derived uuid is left: it repeats when a concept has the same name
			// twice (same locale, type and text), as the writer derives it.
			if conceptUUID == "" {
				conceptUUID = openmrslimits.RowUUID(c.ExternalID, c.UUID, "concept", e.own.name, c.ID)
			}
		}
		uuid, own := ownUUID(n.ExternalID, n.UUID)
		if !own {
			uuid = openmrslimits.RowUUID(n.ExternalID, n.UUID, "concept_name", conceptUUID, n.Locale, ocl.NormalizeNameType(n.NameType), n.Name)
		}
		e.claimUUID(uuidName, uuid, ci, "", "names.external_id", strings.TrimSpace(n.Locale))
	}
	for i := range c.Descriptions {
		d := &c.Descriptions[i]
		if !writtenDescription(d) {
			continue
		}
		if ext := strings.TrimSpace(d.ExternalID); ext == "" && !openmrslimits.LooksLikeUUID(d.UUID) && conceptUUID == "" {
			conceptUUID = openmrslimits.RowUUID(c.ExternalID, c.UUID, "concept", e.own.name, c.ID)
		}
		uuid := openmrslimits.RowUUID(d.ExternalID, d.UUID, "concept_description", conceptUUID, d.Locale, d.Description)
		e.claimUUID(uuidDescription, uuid, ci, "", "descriptions.external_id", strings.TrimSpace(d.Locale))
	}
}

// ownUUID is the uuid a row carries itself, as openmrslimits.RowUUID picks it: the
// external_id when it fits, else the OCL uuid when it is one. It is false when RowUUID
// would derive the uuid from its seed: callers build the seed only then, since building
// it for every name and mapping (a name type normalised, a slice) cost more than the rest
// of XR-06.
func ownUUID(externalID, oclUUID string) (string, bool) {
	if id := strings.TrimSpace(externalID); id != "" && len(id) <= 38 {
		return id, true
	}
	if openmrslimits.LooksLikeUUID(oclUUID) {
		return oclUUID, true
	}
	return "", false
}

// writtenDescription: the writer drops retired and blank descriptions, as the OpenMRS OCL
// module does.
func writtenDescription(d *ocl.Description) bool {
	return !d.Retired && strings.TrimSpace(d.Description) != ""
}

// checkConceptText runs OM-07 on the text of a concept the writer puts in OpenMRS columns.
func (e *Engine) checkConceptText(c *ocl.Concept, ci uint32) {
	check := func(field, locale, s string) {
		if why := openmrslimits.UnstorableText(s); why != "" {
			e.emit(om07, ci, Finding{Field: field, Locale: locale, Message: field + ": " + why})
		}
	}
	check("external_id", "", writtenExternalID(c.ExternalID))
	check("concept_class", "", strings.TrimSpace(c.ConceptClass))
	if c.Retired {
		check("retire_reason", "", truncateRunes(strings.TrimSpace(c.RetireReason), maxNameLength))
	}
	for i := range c.Names {
		n := &c.Names[i]
		locale := strings.TrimSpace(n.Locale)
		check("names", locale, n.Name)
		check("names.locale", locale, n.Locale)
		check("names.external_id", locale, writtenExternalID(n.ExternalID))
	}
	for i := range c.Descriptions {
		d := &c.Descriptions[i]
		if !writtenDescription(d) {
			continue
		}
		locale := strings.TrimSpace(d.Locale)
		check("descriptions", locale, d.Description)
		check("descriptions.locale", locale, d.Locale)
		check("descriptions.external_id", locale, writtenExternalID(d.ExternalID))
	}
	var buf [smallLower]byte
	switch string(appendLower(buf[:0], strings.TrimSpace(c.Datatype))) {
	case "numeric":
		units, _ := c.Extras.String("units")
		check("extras.units", "", units)
	case "complex":
		handler, _ := c.Extras.String("handler")
		check("extras.handler", "", handler)
	}
}

// writtenExternalID is the external_id the writer uses as the uuid: trimmed, when it fits
// OpenMRS's char(38) (a longer one is OM-03 and replaced). A replacement is ASCII.
func writtenExternalID(id string) string {
	id = strings.TrimSpace(id)
	if len(id) > 38 {
		return ""
	}
	return id
}

// truncateRunes cuts s to n characters, as the writer cuts notes it may shorten.
func truncateRunes(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// checkMappingStorage runs OM-06, OM-07 and XR-06 on an active mapping whose concept is in
// the export, retired or not (the writer writes it). A Q-AND-A or CONCEPT-SET mapping
// counts whatever its target; one whose target is not in the export (which the writer
// skips) is already XR-01.
func (e *Engine) checkMappingStorage(m *ocl.Mapping, ci uint32) {
	if !e.concepts[ci].has(conceptSeen) {
		return // the writer skips a mapping from a concept the export does not hold
	}
	table, source, code, written := e.writtenMapping(m)
	if !written {
		return
	}
	if table != uuidReferenceMap && e.on(om06) {
		if w, ok := m.Weight(); ok && !openmrslimits.StorableNumber(w) {
			field := "extras.sort_weight"
			if m.SortWeight != nil {
				field = "sort_weight"
			}
			e.emit(om06, ci, Finding{MappingID: m.ID, Field: field,
				Message: fmt.Sprintf("%s is %v, which OpenMRS's sort_weight (a MySQL DOUBLE) cannot store", field, w)})
		}
	}
	if e.on(om07) {
		check := func(field, s string) {
			if why := openmrslimits.UnstorableText(s); why != "" {
				e.emit(om07, ci, Finding{MappingID: m.ID, Field: field, Message: field + ": " + why})
			}
		}
		check("external_id", writtenExternalID(m.ExternalID))
		if table == uuidReferenceMap {
			check("map_type", strings.TrimSpace(m.MapType))
			check("to_source_name", source)
			check("to_concept_code", code)
			check("to_concept_name", truncateRunes(strings.TrimSpace(m.ToConceptName), maxNameLength))
		}
	}
	if e.on(xr06) {
		e.claimMappingUUID(m, ci, table)
	}
}

// writtenMapping is the OpenMRS table the writer puts an active mapping in, and the
// target it names (trimmed); written is false when the writer skips it.
func (e *Engine) writtenMapping(m *ocl.Mapping) (table uuidTable, source, code string, written bool) {
	table = uuidReferenceMap
	switch e.mapTypes.of(m.MapType) {
	case mapQAndA:
		table = uuidAnswer
	case mapConceptSet:
		table = uuidSetMember
	}
	source, code = strings.TrimSpace(m.ToSourceName), strings.TrimSpace(m.ToConceptCode)
	if table == uuidReferenceMap && (source == "" || code == "") {
		return table, source, code, false // the writer skips a reference map without a target
	}
	return table, source, code, true
}

// claimMappingUUID runs XR-06 on a mapping the writer writes in table.
func (e *Engine) claimMappingUUID(m *ocl.Mapping, ci uint32, table uuidTable) {
	uuid, own := ownUUID(m.ExternalID, m.UUID)
	switch {
	case own:
	case m.ID == "":
		uuid = openmrslimits.RowUUID(m.ExternalID, m.UUID, "mapping", e.own.name, m.FromConceptCode, m.MapType, m.ToSourceName, m.ToConceptCode)
	default:
		uuid = openmrslimits.RowUUID(m.ExternalID, m.UUID, "mapping", e.own.name, m.ID)
	}
	e.claimUUID(table, uuid, ci, m.ID, "external_id", "")
}

// claimUUID runs XR-06: a later row of one OpenMRS table taking an earlier row's uuid.
// The index keeps a hash of (table, uuid), compared exactly as the writer compares them,
// and the first owner, unless the engine can be fed its input again (owners): then it
// keeps only the hashes, and the owners of the few uuids taken twice are found by
// reading the input again.
func (e *Engine) claimUUID(table uuidTable, uuid string, ci uint32, mappingID, field, locale string) {
	key := mix(nsUUID, uint64(table), e.hash.exact(uuid))
	if e.owners != nil {
		e.owners.claim(e, key, table, uuid, ci, mappingID, field, locale)
		return
	}
	var first itemOwner
	var taken bool
	if table == uuidName || table == uuidDescription {
		// Names and descriptions are owned by their concept alone: 4 bytes a value.
		var firstConcept uint32
		firstConcept, taken = e.idx.conceptUUIDs.add(key, ci)
		first = itemOwner(firstConcept)
	} else {
		var firstOwner uint64
		firstOwner, taken = e.idx.mappingUUIDs.add(key, uint64(newItemOwner(ci, mappingID)))
		first = itemOwner(firstOwner)
	}
	if !taken {
		return
	}
	e.emit(xr06, ci, Finding{MappingID: mappingID, Field: field, Locale: locale,
		Message: uuidTakenMessage(table, uuid, uuidOwnerText(table, first, e.code(first.concept())))})
}

// uuidOwnerText names the first owner of a uuid in table: first is its itemOwner, code
// its concept's code.
func uuidOwnerText(table uuidTable, first itemOwner, code string) string {
	switch {
	case first.mappingID() != "":
		return fmt.Sprintf("mapping %s (from concept %s)", first.mappingID(), code)
	case table == uuidName || table == uuidDescription:
		return fmt.Sprintf("a %s of concept %s", table.what(), code)
	}
	return "a mapping from concept " + code // a mapping whose id is not a number
}

func uuidTakenMessage(table uuidTable, uuid, owner string) string {
	return fmt.Sprintf("%s uuid %s is already the uuid of %s: each %s needs its own uuid in OpenMRS", table.what(), uuid, owner, table.what())
}
