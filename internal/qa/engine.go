// Package qa checks an OCL source against the QA rule catalogue (docs/qa-rules.md) and
// reports what it finds.
//
// The Engine is fed as a stream: version metadata, then concepts in source order, then
// (in the export form) mappings in any order. Rules about one concept run as it
// arrives; rules across the source keep compact hashed indexes and finish in Finish.
package qa

import (
	"slices"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// SchemaVersion is the version of the JSON report's layout.
const SchemaVersion = 1

// progressEvery is how many concepts and mappings pass between Progress calls.
const progressEvery = 4096

// Engine runs the rules over a stream of concepts and mappings. It is not safe for
// concurrent use: feed it from one goroutine.
type Engine struct {
	opts    Options
	rules   ruleConfig
	started time.Time
	max     int

	versionID string
	supported []string
	own       ownSource
	extras    map[string]bool // extras keys added by the configuration

	hash      *hasher
	nameKinds nameKinds
	mapTypes  mapTypes
	sources   map[string]sourceInfo

	concepts []conceptRec
	codes    []byte // the concepts' codes, end to end (conceptRec.codeAt)
	// recSources are the keys (hasher.lower) of the sources of concepts, numbered in
	// recSourceIDs, so that a record holds a 4-byte number instead of an 8-byte key.
	recSources   []uint64
	recSourceIDs map[uint64]uint32
	byKey        keyTable[uint32] // (source, code) → concept, see conceptKey
	idx          sourceIndex
	// conceptSources are the sources concepts have arrived from: a mapping to one of them
	// may name a concept still to come (API listings); others are outside the export.
	conceptSources map[uint64]bool
	sourceNames    map[uint64]string // for messages: a source key's name as first written
	lastFrom       fromConcept       // the concept the previous mapping came from
	scratch        conceptScratch
	owners         *uuidOwners // XR-06 with owners found by a second reading (owners.go)

	conceptCount, mappingCount int
	findings                   []Finding
	counts                     [numRules]int
	omitted                    int
	report                     *Report // set by Finish
}

// fromConcept remembers which concept the previous mapping came from: an export lists a
// concept's mappings together, so most mappings find their concept without hashing. The
// source and code are copied, not kept from the mapping.
type fromConcept struct {
	source, code []byte
	ci           uint32
	ok           bool
}

func (f *fromConcept) is(source, code string) bool {
	return f.ok && string(f.code) == code && string(f.source) == source
}

func (f *fromConcept) set(source, code string, ci uint32) {
	f.source, f.code = append(f.source[:0], source...), append(f.code[:0], code...)
	f.ci, f.ok = ci, true
}

// ownSource is the source (or collection) being checked: the report's label, the base
// of concept URLs, and the source of concepts and targets that name none.
type ownSource struct {
	org, name string
	url       string // "/orgs/ORG/sources/SOURCE/" or "/orgs/ORG/collections/NAME/"
	from      string // where org and name came from, for the report
	resolved  bool
}

// Where the own source came from when the options did not give it.
const (
	SourceFromMetadata = "export metadata"
	SourceFromConcepts = "concept URLs"
)

// conceptRec is what the engine remembers of each concept: enough for mappings, which
// arrive after every concept in the export form, and for the rules that finish at the end.
// It holds no pointer, so the collector never scans the list, and the codes sit end to
// end in Engine.codes instead of one allocation each.
type conceptRec struct {
	codeAt     uint32 // the code is Engine.codes[codeAt : codeAt+codeLen]
	codeLen    uint32
	source     uint32 // the concept's own source: its key is Engine.recSources[source]
	flags      conceptFlags
	selfSameAs uint8 // SAME-AS mappings to its own code, saturating
}

type conceptFlags uint8

const (
	conceptSeen       conceptFlags = 1 << iota // arrived as a concept (not only named by a mapping)
	conceptRetired                             // retired
	conceptCoded                               // datatype Coded
	conceptFSNOther                            // a fully specified name says "other"
	conceptIsSet                               // a set by class or extras.is_set
	conceptHasMembers                          // has an active CONCEPT-SET mapping
)

func (c *conceptRec) has(f conceptFlags) bool { return c.flags&f != 0 }

// addRec appends a concept record with its code and returns its index.
func (e *Engine) addRec(code string, source uint64, flags conceptFlags) uint32 {
	ci := uint32(len(e.concepts))
	id, ok := e.recSourceIDs[source]
	if !ok {
		id = uint32(len(e.recSources))
		e.recSources = append(e.recSources, source)
		e.recSourceIDs[source] = id
	}
	e.concepts = append(e.concepts, conceptRec{codeAt: uint32(len(e.codes)), codeLen: uint32(len(code)), source: id, flags: flags})
	e.codes = append(e.codes, code...)
	return ci
}

// code is concept ci's code.
func (e *Engine) code(ci uint32) string {
	c := &e.concepts[ci]
	return string(e.codes[c.codeAt : c.codeAt+c.codeLen])
}

// hasCode reports whether concept ci's code is code, without copying it.
func (e *Engine) hasCode(ci uint32, code string) bool {
	c := &e.concepts[ci]
	return string(e.codes[c.codeAt:c.codeAt+c.codeLen]) == code
}

// active is a concept the editorial rules apply to. A code named only by a mapping
// counts as active: nothing says otherwise.
func (c *conceptRec) active() bool { return !c.has(conceptRetired) }

// NewEngine prepares a run. Options should have passed Validate: unknown rule ids and
// severities are ignored here.
func NewEngine(opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Engine{
		opts:    opts,
		rules:   resolveRules(opts),
		started: opts.Now(),
		max:     opts.MaxFindings,
		hash:    newHasher(),
		sources: map[string]sourceInfo{},

		conceptSources: map[uint64]bool{},
		recSourceIDs:   map[uint64]uint32{},
		sourceNames:    map[uint64]string{},
		extras:         map[string]bool{},
		idx:            newSourceIndex(),
	}
	if e.max <= 0 {
		e.max = DefaultMaxFindings
	}
	for _, k := range opts.KnownExtras {
		e.extras[k] = true
	}
	e.mapTypes = newMapTypes()
	e.versionID = opts.Version
	return e
}

// SetVersion takes the version's metadata: which source and version it is (unless the
// options say), its supported locales (FR-08), and values of the wrong JSON type (JS-01).
func (e *Engine) SetVersion(v *ocl.SourceVersion) {
	if v == nil {
		return
	}
	id := Identify(v)
	e.lastFrom.ok = false // the own source, which a mapping naming none is from, may change
	if e.versionID == "" {
		e.versionID = id.Version
	}
	e.supported = e.supported[:0]
	for _, l := range v.SupportedLocales {
		if l = strings.TrimSpace(l); l != "" {
			e.supported = append(e.supported, l)
		}
	}
	if !e.own.resolved {
		e.resolveOwn(id.Org, id.Source, id.repoKind, SourceFromMetadata)
	}
	for _, w := range v.WrongTypes {
		e.emitWrongType(noConcept, "", w)
	}
}

// resolveOwn settles the own source from the options, else from the given hints.
// kind is "sources" or "collections", the URL segment of the repository.
func (e *Engine) resolveOwn(orgHint, nameHint, kind, from string) {
	org, name := e.opts.Org, e.opts.Source
	if name != "" {
		from = e.opts.SourceFrom
	}
	if org == "" {
		org = orgHint
	}
	if name == "" {
		name = nameHint
	}
	if name == "" {
		return // try again with the next hint
	}
	if kind == "" || e.opts.Source != "" {
		kind = "sources"
	}
	e.own = ownSource{org: org, name: name, from: from, resolved: true}
	if org != "" {
		e.own.url = "/orgs/" + org + "/" + kind + "/" + name + "/"
	}
}

// Concept checks one concept. Its Mappings, when present (API listings), are checked
// as its own.
func (e *Engine) Concept(c *ocl.Concept) {
	if c == nil {
		return
	}
	if !e.own.resolved {
		org, name, kind := repoFromURL(c.URL)
		if name == "" {
			org, name = c.Owner, c.Source
		}
		e.resolveOwn(org, name, kind, SourceFromConcepts)
	}
	e.conceptCount++
	e.lastFrom.ok = false // a concept may take the place of a code only mappings named
	ci := e.addConcept(c)
	e.checkConcept(c, ci)
	for i := range c.Mappings {
		e.mappingCount++
		e.checkMapping(&c.Mappings[i], ci)
	}
	e.progress()
}

// Mapping checks one mapping of the export form, found by its from_concept_code.
func (e *Engine) Mapping(m *ocl.Mapping) {
	if m == nil {
		return
	}
	e.mappingCount++
	source, code := m.From()
	if code == "" {
		code = m.FromConceptCode
	}
	if e.lastFrom.is(source, code) {
		e.checkMapping(m, e.lastFrom.ci)
		e.progress()
		return
	}
	sourceKey := e.sourceKey(source)
	key := conceptKey(sourceKey, e.hash.exact(code))
	ref, added := e.byKey.ref(key)
	if added {
		// A mapping from a code that is no concept of the export: remember the code so
		// that its mappings are still grouped together.
		*ref = e.addRec(code, sourceKey, 0)
	}
	ci := *ref
	e.lastFrom.set(source, code, ci)
	e.checkMapping(m, ci)
	e.progress()
}

func (e *Engine) addConcept(c *ocl.Concept) uint32 {
	source, flags := e.sourceKey(c.SourceName()), conceptSeen
	if c.Retired {
		flags |= conceptRetired
	}
	if strings.EqualFold(strings.TrimSpace(c.Datatype), "Coded") {
		flags |= conceptCoded
	}
	if isSetConcept(c) {
		flags |= conceptIsSet
	}
	ci := e.addRec(c.ID, source, flags)
	if len(e.conceptSources) < maxCached {
		e.conceptSources[source] = true
	}
	key := conceptKey(source, e.hash.exact(strings.TrimSpace(c.ID)))
	if prev, added := e.byKey.ref(key); added || !e.concepts[*prev].has(conceptSeen) {
		*prev = ci
	}
	return ci
}

// sourceKey is the key of a source name (ignoring case); a concept or target that names
// no source belongs to the own source (ocl.KeyOf, ocl.TargetKey).
func (e *Engine) sourceKey(name string) uint64 {
	if name == "" {
		name = e.own.name
	}
	k := e.hash.lower(name)
	if _, ok := e.sourceNames[k]; !ok && len(e.sourceNames) < maxCached {
		e.sourceNames[k] = name
	}
	return k
}

// sourceName is a source key's name as first written, for messages.
func (e *Engine) sourceName(key uint64) string {
	if name, ok := e.sourceNames[key]; ok {
		return name
	}
	return e.own.name
}

// conceptKey is the index key of a concept: its source's key and its code's.
func conceptKey(source, code uint64) uint64 { return mix(nsConcept, source, code) }

// hasConcept reports whether the export holds a concept with key k (one that arrived as
// a concept, not one only named by a mapping): the test of ocl.InternalTarget.
func (e *Engine) hasConcept(k ocl.ConceptKey) (uint32, bool) {
	ci, ok := e.byKey.get(conceptKey(e.sourceKey(k.Source), e.hash.exact(k.Code)))
	return ci, ok && e.concepts[ci].has(conceptSeen)
}

func (e *Engine) progress() {
	if e.opts.Progress != nil && (e.conceptCount+e.mappingCount)%progressEvery == 0 {
		e.opts.Progress(e.conceptCount, e.mappingCount)
	}
}

// on reports whether a rule runs; callers check it before building a message.
func (e *Engine) on(r rule) bool { return e.rules.enabled[r] }

// noConcept stands for "no concept" in emit: a finding about the version's metadata.
const noConcept = ^uint32(0)

// emit records a finding of rule r about concept ci.
func (e *Engine) emit(r rule, ci uint32, f Finding) {
	if !e.rules.enabled[r] {
		return
	}
	e.counts[r]++
	if len(e.findings) >= e.max {
		e.omitted++
		return
	}
	f.Rule = r.id()
	f.Severity = e.rules.severity[r]
	if ci != noConcept {
		f.ConceptID = e.code(ci)
		f.ConceptURL = e.conceptURL(f.ConceptID)
	}
	e.findings = append(e.findings, f)
}

func (e *Engine) conceptURL(code string) string {
	if e.own.url == "" || code == "" {
		return ""
	}
	return e.own.url + "concepts/" + code + "/"
}

// Finish runs the rules that need the whole source and returns the report. Later calls
// return the same report. Feed nothing to the engine after it.
func (e *Engine) Finish() *Report {
	if e.report != nil {
		return e.report
	}
	if e.owners != nil && len(e.owners.pending) > 0 {
		panic("qa: Finish before resolveUUIDOwners")
	}
	e.finishMappings()
	e.finishConcepts()
	e.finishCycles()
	if e.opts.Progress != nil {
		e.opts.Progress(e.conceptCount, e.mappingCount)
	}
	sortFindings(e.findings)
	findings := e.findings
	if findings == nil {
		findings = []Finding{}
	}
	e.report = &Report{SchemaVersion: SchemaVersion, Summary: e.summary(), Findings: findings}
	return e.report
}

// finishConcepts runs the per-concept rules that depend on mappings (FR-13, CE-04).
func (e *Engine) finishConcepts() {
	for i := range e.concepts {
		c := &e.concepts[i]
		if !c.has(conceptSeen) || !c.active() {
			continue
		}
		ci := uint32(i)
		if c.selfSameAs != 1 && e.on(fr13) {
			e.emit(fr13, ci, Finding{Message: selfSameAsMessage(e.code(ci), int(c.selfSameAs), e.sourceName(e.recSources[c.source]))})
		}
		if c.has(conceptIsSet) && !c.has(conceptHasMembers) && e.on(ce04) {
			e.emit(ce04, ci, Finding{Message: "set concept has no CONCEPT-SET mapping (no members)"})
		}
	}
}

func (e *Engine) summary() Summary {
	s := Summary{
		Source:          e.sourceLabel(),
		SourceFrom:      e.own.from,
		Version:         e.versionID,
		Input:           e.opts.Input,
		ConceptsChecked: e.conceptCount,
		MappingsChecked: e.mappingCount,
		BySeverity:      map[Severity]int{SeverityError: 0, SeverityWarning: 0, SeverityInfo: 0},
		ByRule:          map[string]int{},
		Overrides:       slices.Clone(e.rules.overrides),
		StartedAt:       e.started,
		DurationSeconds: e.opts.Now().Sub(e.started).Seconds(),
		FindingsOmitted: e.omitted,
		RulesRun:        []string{},
	}
	if s.Overrides == nil {
		s.Overrides = []Override{}
	}
	for r := rule(0); r < numRules; r++ {
		if !e.rules.enabled[r] {
			continue
		}
		s.ByRule[r.id()] = e.counts[r]
		s.BySeverity[e.rules.severity[r]] += e.counts[r]
		s.RulesRun = append(s.RulesRun, r.id())
	}
	slices.Sort(s.RulesRun)
	return s
}

func (e *Engine) sourceLabel() string {
	switch {
	case e.own.org != "" && e.own.name != "":
		return e.own.org + "/" + e.own.name
	case e.own.name != "":
		return e.own.name
	}
	return ""
}

// sortFindings orders findings by rule, concept code (numerically when numeric),
// mapping id, locale, message, then field.
func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		if c := compareCodes(a.ConceptID, b.ConceptID); c != 0 {
			return c
		}
		if c := compareCodes(a.MappingID, b.MappingID); c != 0 {
			return c
		}
		if c := strings.Compare(a.Locale, b.Locale); c != 0 {
			return c
		}
		if c := strings.Compare(a.Message, b.Message); c != 0 {
			return c
		}
		return strings.Compare(a.Field, b.Field)
	})
}
