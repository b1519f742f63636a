package qa

import (
	"errors"
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// XR-06 needs every uuid of every name, description and mapping, but the first owner of
// a uuid only for the rare uuid taken twice. At several times CIEL's size the owners were
// a fifth of what the engine keeps. An engine that can be fed its input again (an export
// file can be read twice) keeps only the uuids' hashes while reading, puts a finding in
// place for each uuid taken again, and names the owners in a second reading that stops
// as soon as every owner it needs is found.

// replayFunc feeds the engine's input again, in the same order: the concepts (with the
// mappings they hold) and the top-level mappings, the latter only when mappings is set.
// It stops with the error a callback returns.
type replayFunc func(concept func(*ocl.Concept) error, mapping func(*ocl.Mapping) error, mappings bool) error

// uuidOwners is XR-06's state in an engine whose input can be replayed.
type uuidOwners struct {
	taken   keyTable[none] // hashes of (table, uuid), as claimUUID makes them
	pending []pendingUUID  // findings that wait for their owner's name
	// found is the owner of each uuid a pending finding names, "" until the replay finds
	// it; missing counts those still "".
	found          map[uint64]string
	missing        int
	mappingsNeeded bool // an owner may be a top-level mapping

	// During the replay: the code of the concept being replayed (the owner of what it
	// holds), and which concepts have arrived (by index), as a mapping's concept must
	// have for the mapping to take a uuid.
	code    string
	arrived []uint64
}

// pendingUUID is an XR-06 finding whose message waits for the first owner's name.
type pendingUUID struct {
	finding int // index in Engine.findings
	key     uint64
	table   uuidTable
	uuid    string
}

// errOwnersFound stops the replay once every owner is known.
var errOwnersFound = errors.New("qa: every owner found")

// deferUUIDOwners makes XR-06 keep only the hashes of uuids; the caller then calls
// resolveUUIDOwners with a replay of the same input before Finish. Call it before
// feeding the engine.
func (e *Engine) deferUUIDOwners() {
	e.owners = &uuidOwners{found: map[uint64]string{}}
}

// claim is claimUUID in an engine with deferred owners. While replaying, the first item
// to claim a uuid a finding waits for is its owner.
func (o *uuidOwners) claim(e *Engine, key uint64, table uuidTable, uuid string, ci uint32, mappingID, field, locale string) {
	if o.arrived != nil {
		if owner, ok := o.found[key]; ok && owner == "" {
			o.found[key] = uuidOwnerText(table, newItemOwner(0, mappingID), o.code)
			o.missing--
		}
		return
	}
	if _, taken := o.taken.add(key, none{}); !taken {
		return
	}
	n := len(e.findings)
	e.emit(xr06, ci, Finding{MappingID: mappingID, Field: field, Locale: locale})
	if len(e.findings) == n {
		return // over the limit of findings: only counted, no message to write
	}
	o.pending = append(o.pending, pendingUUID{finding: n, key: key, table: table, uuid: uuid})
	if _, ok := o.found[key]; !ok {
		o.found[key] = ""
		o.missing++
	}
	if table != uuidName && table != uuidDescription {
		o.mappingsNeeded = true
	}
}

// resolveUUIDOwners names the first owners in the findings that wait for them, reading
// the input again through replay when there are any.
func (e *Engine) resolveUUIDOwners(replay replayFunc) error {
	o := e.owners
	if o == nil || len(o.pending) == 0 {
		return nil
	}
	o.arrived = make([]uint64, len(e.concepts)/64+1)
	defer func() { o.arrived = nil }()
	err := replay(e.replayConcept, e.replayMapping, o.mappingsNeeded)
	if err != nil && !errors.Is(err, errOwnersFound) {
		return err
	}
	if o.missing > 0 {
		return errors.New("qa: the export read differently the second time (did it change while it was checked?)")
	}
	for _, p := range o.pending {
		e.findings[p.finding].Message = uuidTakenMessage(p.table, p.uuid, o.found[p.key])
	}
	o.pending = nil
	return nil
}

// replayConcept claims the uuids of a concept and of the mappings it holds as Concept
// did, naming the owners the pending findings wait for.
func (e *Engine) replayConcept(c *ocl.Concept) error {
	o := e.owners
	key := conceptKey(e.sourceKey(c.SourceName()), e.hash.exact(strings.TrimSpace(c.ID)))
	if ci, ok := e.byKey.get(key); ok {
		// The concept mappings find under this key (the first to arrive with it) has
		// arrived: Mapping only checks the mappings from a concept that has.
		o.arrived[ci/64] |= 1 << (ci % 64)
	}
	o.code = c.ID
	if e.on(xr06) {
		e.claimConceptUUIDs(c, noConcept)
	}
	for i := range c.Mappings {
		m := &c.Mappings[i]
		if !m.Retired {
			if table, _, _, written := e.writtenMapping(m); written {
				e.claimMappingUUID(m, noConcept, table)
			}
		}
	}
	return o.done()
}

// replayMapping claims the uuid of a top-level mapping as Mapping did.
func (e *Engine) replayMapping(m *ocl.Mapping) error {
	o := e.owners
	if m.Retired {
		return nil
	}
	source, code := m.From()
	if code == "" {
		code = m.FromConceptCode
	}
	ci, ok := e.byKey.get(conceptKey(e.sourceKey(source), e.hash.exact(code)))
	if !ok || !e.concepts[ci].has(conceptSeen) || o.arrived[ci/64]&(1<<(ci%64)) == 0 {
		return nil // the first reading met the mapping before its concept: not written
	}
	if table, _, _, written := e.writtenMapping(m); written {
		o.code = e.code(ci)
		e.claimMappingUUID(m, ci, table)
	}
	return o.done()
}

func (o *uuidOwners) done() error {
	if o.missing == 0 {
		return errOwnersFound
	}
	return nil
}
