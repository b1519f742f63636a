package qa

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// sourceIndex holds what the rules across concepts and mappings must remember. Keys are
// 64-bit hashes and values small numbers: no strings, except the mapping ids of the
// rare entries that may end up in a finding.
type sourceIndex struct {
	names       keyTable[uint32] // FR-09/FR-10: (locale, name) → first concept
	externalIDs keyTable[uint32] // XR-04: external_id → first concept
	// XR-06: (table, uuid) → first owner: the concept of a name or description, the
	// itemOwner of a mapping. Only when the input cannot be read again (the API): an
	// export keeps the hashes alone (uuidOwners).
	conceptUUIDs keyTable[uint32]
	mappingUUIDs keyTable[uint64]

	groups      keyTable[mapTypeID] // FR-12/FR-24: (concept, target) → first map type
	sameAsCount keyTable[uint8]     // FR-25: (concept, target source) → SAME-AS mappings
	claims      keyTable[uint64]    // FR-26: external target → earliest concept (itemOwner)

	multi    map[uint64]*mapGroup // groups with more than one mapping
	claimIDs map[uint64]string    // FR-26: a claim's mapping id when it is not a number
	reported map[uint64]bool      // FR-26: (target, concept) already reported
	fr26     []claimFinding

	pending []pendingTarget // own-source targets not seen yet when their mapping came
	members []memberEdge    // XR-05: CONCEPT-SET edges between concepts
}

func newSourceIndex() sourceIndex {
	return sourceIndex{
		multi:    map[uint64]*mapGroup{},
		claimIDs: map[uint64]string{},
		reported: map[uint64]bool{},
	}
}

// mapGroup is a (concept, target) reached by more than one mapping.
type mapGroup struct {
	concept      uint32
	types        []mapTypeID
	repeated     bool
	second       string // the second mapping's id, for FR-24
	source, code string
}

// claimFinding is an FR-26 finding waiting for Finish, when the earliest claim is known.
type claimFinding struct {
	key          uint64
	concept      uint32
	mappingID    string
	source, code string
}

// pendingTarget is a mapping to a concept that had not arrived when the mapping came.
type pendingTarget struct {
	concept   uint32
	mapType   mapTypeID
	mappingID string
	source    string // as the mapping names it ("" for the own source)
	code      string
}

type memberEdge struct{ set, member uint32 }

// target is where a mapping points, as the rules see it (ocl.Mapping.Target).
type target struct {
	source string // to_source_name, else read from the target's URL
	code   string // to_concept_code, else read from to_concept_url
	info   sourceInfo
	key    uint64 // the target's source key: the own source when it names none
	// sameSource: the target is in the source of the concept the mapping starts from.
	sameSource bool
}

func (e *Engine) target(m *ocl.Mapping, from *conceptRec) target {
	t := target{}
	t.source, t.code = m.Target()
	t.info = e.sourceInfo(t.source)
	t.key = t.info.key
	if t.source == "" {
		t.key = e.sourceKey("")
	}
	t.sameSource = t.key == e.recSources[from.source]
	return t
}

func (e *Engine) sourceInfo(name string) sourceInfo {
	if info, ok := e.sources[name]; ok {
		return info
	}
	info := sourceInfo{key: e.hash.lower(name), icd: icdRevision(name)}
	if len(e.sources) < maxCached {
		e.sources[name] = info
	}
	return info
}

// checkMapping runs the mapping rules. Retired mappings only meet JS-01; mappings from
// a retired concept only meet JS-01 and the schema rules.
func (e *Engine) checkMapping(m *ocl.Mapping, ci uint32) {
	for _, w := range m.WrongTypes { // JS-01 on every mapping: its retired flag may be the wrong value
		e.emitWrongType(ci, m.ID, w)
	}
	if m.Retired {
		return
	}
	e.checkMappingSchema(m, ci)
	e.checkMappingStorage(m, ci)
	from := &e.concepts[ci]
	if !from.active() {
		return
	}
	e.checkExtras(ci, m.ID, m.Extras, mappingVocabulary)
	mt := e.mapTypes.of(m.MapType)
	t := e.target(m, from)
	self := t.sameSource && e.hasCode(ci, t.code)
	switch mt {
	case mapSameAs:
		e.checkSameAs(m, ci, t, self)
	case mapQAndA:
		if from.has(conceptSeen) && !from.has(conceptCoded) && e.on(xr02) {
			e.emit(xr02, ci, Finding{MappingID: m.ID, Message: fmt.Sprintf("Q-AND-A mapping to %s from a concept whose datatype is not Coded", t.code)})
		}
	case mapConceptSet:
		from.flags |= conceptHasMembers
	}
	if (mt == mapQAndA || mt == mapConceptSet) && self && e.on(xr03) {
		e.emit(xr03, ci, Finding{MappingID: m.ID, Message: fmt.Sprintf("%s mapping from the concept to itself", e.mapTypes.name(mt))})
	}
	switch {
	case self:
	case t.code != "":
		e.resolveTarget(m, ci, mt, t)
	case mt == mapQAndA || mt == mapConceptSet:
		e.emitDangling(ci, mt, m.ID, "", t.source)
	}
	// Mappings to the concept itself belong to FR-13 and XR-03: grouping them would
	// report every self answer or member a second time beside the self SAME-AS.
	if t.source != "" && t.code != "" && !self {
		e.groupMapping(m, ci, mt, t)
	}
}

// checkMappingSchema runs OM-03 and OM-05 on a mapping.
func (e *Engine) checkMappingSchema(m *ocl.Mapping, ci uint32) {
	if n := runeLen(m.ExternalID); n > maxExternalID && e.on(om03) {
		e.emit(om03, ci, Finding{MappingID: m.ID, Field: "external_id", Message: longExternalID("mapping", m.ExternalID, n)})
	}
	if n := runeLen(m.ToSourceName); n > maxSourceLength && e.on(om05) {
		e.emit(om05, ci, Finding{MappingID: m.ID, Message: fmt.Sprintf("target source name of %d characters (OpenMRS keeps at most %d): %q",
			n, maxSourceLength, m.ToSourceName)})
	}
}

// checkSameAs runs FR-13's count, FR-23, FR-25 and FR-26 on a SAME-AS mapping.
func (e *Engine) checkSameAs(m *ocl.Mapping, ci uint32, t target, self bool) {
	from := &e.concepts[ci]
	if self {
		if from.selfSameAs < 255 {
			from.selfSameAs++
		}
		return
	}
	if t.info.icd != 0 && isResidualICD(t.info.icd, t.code) && !from.has(conceptFSNOther) && e.on(fr23) {
		e.emit(fr23, ci, Finding{MappingID: m.ID, Message: fmt.Sprintf("SAME-AS to the residual code %s:%s, but no fully specified name says \"other\"",
			t.source, t.code)})
	}
	if t.sameSource || t.source == "" {
		return // FR-13 covers SAME-AS within the concept's own source
	}
	if e.on(fr25) {
		key := mix(nsSameAsSource, uint64(ci), t.info.key)
		count, _ := e.idx.sameAsCount.ref(key)
		n := *count
		if n < 255 {
			*count = n + 1
		}
		if n == 1 {
			e.emit(fr25, ci, Finding{MappingID: m.ID, Message: fmt.Sprintf("a second SAME-AS mapping to source %s (to %s)", t.source, t.code)})
		}
	}
	if t.code != "" && e.on(fr26) {
		e.claimTarget(m, ci, t)
	}
}

func isResidualICD(revision int, code string) bool {
	switch revision {
	case 10:
		return strings.HasSuffix(code, ".8")
	case 11:
		return strings.HasSuffix(code, "Y") && !strings.ContainsAny(code, "&/")
	}
	return false
}

// claimTarget runs FR-26. Mappings may arrive in any order, so the earliest concept
// (in source order) seen so far holds the claim; every other concept is reported once.
func (e *Engine) claimTarget(m *ocl.Mapping, ci uint32, t target) {
	key := mix(nsClaim, t.info.key, e.hash.exact(t.code))
	ref, added := e.idx.claims.ref(key)
	c := itemOwner(*ref)
	switch {
	case added:
		*ref = uint64(e.claimOwner(key, ci, m.ID))
	case c.concept() == ci:
	case c.concept() < ci:
		e.reportClaim(key, ci, m.ID, t)
	default:
		earlierID := e.claimMappingID(key, c)
		*ref = uint64(e.claimOwner(key, ci, m.ID))
		e.reportClaim(key, c.concept(), earlierID, t)
	}
}

// claimOwner packs a claim; a mapping id that is not a number waits beside the index.
func (e *Engine) claimOwner(key uint64, ci uint32, mappingID string) itemOwner {
	if _, packed := decimalID(mappingID); !packed && mappingID != "" {
		e.idx.claimIDs[key] = mappingID
	} else if len(e.idx.claimIDs) > 0 {
		delete(e.idx.claimIDs, key)
	}
	return newItemOwner(ci, mappingID)
}

// claimMappingID is the mapping id of the claim o on key.
func (e *Engine) claimMappingID(key uint64, o itemOwner) string {
	if id, ok := e.idx.claimIDs[key]; ok {
		return id
	}
	return o.mappingID()
}

func (e *Engine) reportClaim(key uint64, ci uint32, mappingID string, t target) {
	done := mix(nsClaimReported, key, uint64(ci))
	if e.idx.reported[done] {
		return
	}
	e.idx.reported[done] = true
	e.idx.fr26 = append(e.idx.fr26, claimFinding{key: key, concept: ci, mappingID: mappingID, source: t.source, code: t.code})
}

// groupMapping runs FR-12 at once and prepares FR-24: mappings of a concept grouped by
// target (source lower-cased, code).
func (e *Engine) groupMapping(m *ocl.Mapping, ci uint32, mt mapTypeID, t target) {
	key := mix(nsGroup, uint64(ci), t.info.key, e.hash.exact(t.code))
	first, ok := e.idx.groups.add(key, mt)
	if !ok {
		return
	}
	g := e.idx.multi[key]
	if g == nil {
		g = &mapGroup{concept: ci, types: []mapTypeID{first}, second: m.ID, source: t.source, code: t.code}
		e.idx.multi[key] = g
	}
	if slices.Contains(g.types, mt) {
		g.repeated = true
		if e.on(fr12) {
			e.emit(fr12, ci, Finding{MappingID: m.ID, Message: fmt.Sprintf("duplicate %s mapping to %s:%s", e.mapTypes.name(mt), t.source, t.code)})
		}
		return
	}
	g.types = append(g.types, mt)
}

// resolveTarget runs FR-22 and XR-01 and records XR-05 edges for a mapping to another
// concept. The target is internal when the export holds it (ocl.InternalTarget),
// whatever the export's own name: a collection holds CIEL concepts whose mappings say
// CIEL. A target not seen yet waits for Finish when it may still come: always for an
// answer or member, else only when concepts of its source are in the export (mappings
// to SNOMED or ICD would otherwise all wait).
func (e *Engine) resolveTarget(m *ocl.Mapping, ci uint32, mt mapTypeID, t target) {
	var ti uint32
	internal := ocl.InternalTarget(m, e.own.name, func(k ocl.ConceptKey) bool {
		var ok bool
		ti, ok = e.hasConcept(k)
		return ok
	})
	if internal {
		e.targetFound(ci, mt, m.ID, ti)
		return
	}
	if mt == mapQAndA || mt == mapConceptSet || e.conceptSources[t.key] {
		e.idx.pending = append(e.idx.pending, pendingTarget{concept: ci, mapType: mt, mappingID: m.ID, source: t.source, code: t.code})
	}
}

func (e *Engine) targetFound(ci uint32, mt mapTypeID, mappingID string, ti uint32) {
	to := &e.concepts[ti]
	if !to.active() {
		if e.on(fr22) {
			e.emit(fr22, ci, Finding{MappingID: mappingID, Message: fmt.Sprintf("%s mapping to the retired concept %s", e.mapTypes.name(mt), e.code(ti))})
		}
		return
	}
	if mt == mapConceptSet {
		e.idx.members = append(e.idx.members, memberEdge{set: ci, member: ti})
	}
}

// emitDangling reports XR-01 for a Q-AND-A or CONCEPT-SET target missing from the export.
func (e *Engine) emitDangling(ci uint32, mt mapTypeID, mappingID, code, source string) {
	if !e.on(xr01) {
		return
	}
	role := "answer"
	if mt == mapConceptSet {
		role = "member"
	}
	where := "in " + e.own.name
	if source != "" && !strings.EqualFold(source, e.own.name) {
		where = "in " + e.own.name + " (it points to " + source + ")"
	}
	if code == "" {
		code = "(no code)"
	}
	e.emit(xr01, ci, Finding{MappingID: mappingID, Message: fmt.Sprintf("%s %s %s does not exist %s", e.mapTypes.name(mt), role, code, where)})
}

// finishMappings settles what waited for the whole source: pending own-source
// targets, FR-24 groups and FR-26 claims.
func (e *Engine) finishMappings() {
	for _, p := range e.idx.pending {
		source := p.source
		if source == "" {
			source = e.own.name
		}
		if ti, ok := e.hasConcept(ocl.ConceptKey{Source: source, Code: p.code}); ok {
			e.targetFound(p.concept, p.mapType, p.mappingID, ti)
			continue
		}
		if p.mapType == mapQAndA || p.mapType == mapConceptSet {
			e.emitDangling(p.concept, p.mapType, p.mappingID, p.code, p.source)
		}
	}
	e.idx.pending = nil
	if e.on(fr24) {
		for _, g := range e.idx.multi {
			if g.repeated || len(g.types) < 2 {
				continue
			}
			names := make([]string, len(g.types))
			for i, t := range g.types {
				names[i] = e.mapTypes.name(t)
			}
			e.emit(fr24, g.concept, Finding{MappingID: g.second, Message: fmt.Sprintf("%s:%s is reached with %s map types: %s",
				g.source, g.code, countWord(len(names)), strings.Join(names, ", "))})
		}
	}
	for _, f := range e.idx.fr26 {
		owner, _ := e.idx.claims.get(f.key)
		first := e.code(itemOwner(owner).concept())
		e.emit(fr26, f.concept, Finding{MappingID: f.mappingID, Message: fmt.Sprintf("SAME-AS %s:%s, which concept %s already claims",
			f.source, f.code, first)})
	}
}
