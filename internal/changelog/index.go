// Package changelog describes what changed in a dictionary between two releases: a
// compact index of each release's concepts, kept after the release's files expire, and
// the comparison of two indexes rendered as Markdown, HTML and JSON.
package changelog

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/shepherd-release/shepherd/internal/memlimit"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
	"github.com/shepherd-release/shepherd/internal/qa"
)

// Index is what a changelog needs of one release: every concept's code, state, datatype,
// class, names, answers, set members and other mappings. Descriptions, extras, uuids and
// dates are left out: they are not what a site's forms and reports depend on.
type Index struct {
	Org     string `json:"org"`
	Source  string `json:"source"`
	Version string `json:"version"`
	// Home is the source most concepts belong to: the source itself, or for a collection
	// the source of its concepts. Concepts of other sources carry theirs.
	Home string `json:"home"`
	// Locale is the source's default locale: the names a changelog shows are in it.
	Locale string `json:"locale"`
	// Concepts are sorted by Key (compareKeys).
	Concepts []Concept `json:"-"`
}

// Concept is one concept of an index. Its lists are held packed (pack.go) and sorted,
// so that two releases compare list by list; answers and set members are compared as
// sets (their order is a sort weight a site rarely depends on). Make one with
// NewConcept.
type Concept struct {
	// Source is the concept's own source when it is not the index's Home (a collection
	// may hold concepts of several sources); "" otherwise.
	Source   string
	Code     string
	Retired  bool
	Datatype string
	Class    string
	names    string
	answers  string
	members  string
	mappings string
}

// NewConcept returns c with its lists set (the slices are sorted in place).
func NewConcept(c Concept, names []Name, answers, members []string, mappings []Mapping) Concept {
	c.names, c.answers, c.members, c.mappings = packNames(names), packCodes(answers), packCodes(members), packMappings(mappings)
	return c
}

// Names are the concept's names, sorted.
func (c *Concept) Names() []Name { return unpackNames(c.names) }

// Answers are the codes its active Q-AND-A mappings point to, sorted.
func (c *Concept) Answers() []string { return unpackCodes(c.answers) }

// Members are the codes its active CONCEPT-SET mappings point to, sorted.
func (c *Concept) Members() []string { return unpackCodes(c.members) }

// Mappings are its other active mappings, sorted.
func (c *Concept) Mappings() []Mapping { return unpackMappings(c.mappings) }

// Name is one name of a concept. It is written as a JSON array
// [locale, type, preferred, retired, text] to keep the index small.
type Name struct {
	Locale    string
	Type      string // after ocl.NormalizeNameType: "" is a synonym
	Preferred bool
	Retired   bool
	Text      string
}

// Mapping is one active mapping other than an answer or a set member, written as a JSON
// array [map type, target source, target code].
type Mapping struct {
	MapType string // after ocl.NormalizeMapType
	Source  string
	Code    string
}

// Key names the concept inside its index: the code, prefixed by its source when that is
// not the index's Home.
func (c *Concept) Key() string {
	if c.Source != "" {
		return c.Source + "/" + c.Code
	}
	return c.Code
}

// DisplayName is the name a changelog shows for the concept: the preferred fully
// specified name in locale, else any active name in locale, else the first active name.
func (c *Concept) DisplayName(locale string) string {
	best, rank := "", 0
	for _, n := range c.Names() {
		if n.Retired {
			continue
		}
		r := 1
		if n.Locale == locale {
			r = 2
			if n.Type == ocl.NameTypeFullySpecified {
				r = 3
				if n.Preferred {
					r = 4
				}
			}
		}
		if r > rank {
			best, rank = n.Text, r
		}
	}
	return best
}

// compareCodes orders codes as numbers when both are (CIEL's codes are), else as text;
// numbers come first.
func compareCodes(a, b string) int {
	na, aerr := strconv.ParseUint(a, 10, 64)
	nb, berr := strconv.ParseUint(b, 10, 64)
	switch {
	case aerr == nil && berr == nil:
		if c := cmp.Compare(na, nb); c != 0 {
			return c
		}
		return strings.Compare(a, b) // "07" and "7"
	case aerr == nil:
		return -1
	case berr == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// compareConcepts orders the concepts of the index's own source first, then by source,
// then by code.
func compareConcepts(a, b *Concept) int {
	if c := strings.Compare(strings.ToLower(a.Source), strings.ToLower(b.Source)); c != 0 {
		return c
	}
	return compareCodes(a.Code, b.Code)
}

func compareNames(a, b Name) int {
	return cmp.Or(strings.Compare(a.Locale, b.Locale), strings.Compare(a.Type, b.Type),
		boolCompare(a.Preferred, b.Preferred), boolCompare(a.Retired, b.Retired), strings.Compare(a.Text, b.Text))
}

func compareMappings(a, b Mapping) int {
	return cmp.Or(strings.Compare(a.MapType, b.MapType), strings.Compare(a.Source, b.Source), compareCodes(a.Code, b.Code))
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// interner keeps one copy of the strings that repeat across concepts (locales, name
// types, datatypes, classes, map types, sources), so that a CIEL-size index holds them
// once.
type interner map[string]string

func (in interner) get(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	in[s] = s
	return s
}

// Build reads an export (a zip from OCL or export.json) and indexes it. The organisation,
// source and version are the export's own (qa.Identify); an export that names no version
// (OCL's 2015 exports of a whole source) gets its file's name. Concepts are held
// compactly while the export streams; mappings are attached to the concept they start
// from.
func Build(ctx context.Context, exportPath string, lim exportfile.Limits) (*Index, error) {
	defer softMemoryLimit()()
	src, err := exportfile.Open(exportPath, lim)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	ix := &Index{}
	b := builder{ix: ix, in: interner{}, byKey: map[ocl.ConceptKey]int32{}}
	_, err = src.Decode(ctx, exportfile.Handler{
		Version: func(v *ocl.SourceVersion) error {
			id := qa.Identify(v)
			ix.Org, ix.Source, ix.Version, ix.Locale = id.Org, id.Source, id.Version, v.DefaultLocale
			if ix.Version == "" {
				ix.Version = strings.TrimSuffix(filepath.Base(exportPath), filepath.Ext(exportPath))
			}
			if ix.Locale == "" {
				ix.Locale = "en"
			}
			return nil
		},
		Concept: b.concept,
		Mapping: b.mapping,
	})
	if err != nil {
		return nil, err
	}
	return b.finish()
}

// memoryFloor is the soft memory limit an index is built or read under, to start with
// (internal/memlimit). A CIEL-size index holds about 25 MB; decoding the export adds
// batches of concepts in flight.
const memoryFloor = 80 << 20

// softMemoryLimit follows the live heap from memoryFloor and returns what restores the
// process's limit.
func softMemoryLimit() func() { return memlimit.Follow(memoryFloor) }

type builder struct {
	ix    *Index
	in    interner
	byKey map[ocl.ConceptKey]int32
	// lists holds each concept's mappings as they stream, packed with their kind.
	lists [][]byte
	names []Name // reused for every concept
}

func (b *builder) concept(c *ocl.Concept) error {
	k := ocl.KeyOf(c, b.ix.Source)
	ck := k.Canonical()
	if _, dup := b.byKey[ck]; dup {
		return fmt.Errorf("concept %s/%s appears twice in the export", k.Source, k.Code)
	}
	b.byKey[ck] = int32(len(b.ix.Concepts))
	out := Concept{Code: k.Code, Retired: c.Retired,
		Datatype: b.in.get(strings.TrimSpace(c.Datatype)), Class: b.in.get(strings.TrimSpace(c.ConceptClass))}
	if !strings.EqualFold(k.Source, b.ix.Source) {
		out.Source = b.in.get(k.Source)
	}
	names := b.names[:0]
	for _, n := range c.Names {
		names = append(names, Name{Locale: n.Locale, Type: ocl.NormalizeNameType(n.NameType),
			Preferred: n.LocalePreferred, Retired: n.Retired, Text: n.Name})
	}
	b.names = names
	out.names = packNames(names)
	b.ix.Concepts = append(b.ix.Concepts, out)
	b.lists = append(b.lists, nil)
	return nil
}

// List kinds of a mapping while the export streams: the packed record is prefixed with
// its kind, and finish sorts each concept's records into its three lists.
const (
	listAnswer byte = iota
	listMember
	listMapping
)

func (b *builder) mapping(m *ocl.Mapping) error {
	if m.Retired {
		return nil // a retired mapping is history: it answers nothing and maps nothing
	}
	fromSource, fromCode := m.From()
	if fromSource == "" {
		fromSource = b.ix.Source
	}
	i, ok := b.byKey[ocl.ConceptKey{Source: fromSource, Code: fromCode}.Canonical()]
	if !ok {
		return nil // from a concept outside the export: nothing of the release changes with it
	}
	c := &b.ix.Concepts[i]
	toSource, toCode := m.Target()
	if toSource == "" {
		toSource = b.ix.Source
	}
	p := packer(b.lists[i])
	switch mt := ocl.NormalizeMapType(m.MapType); mt {
	case ocl.MapTypeQAndA, ocl.MapTypeConceptSet:
		target := toCode
		if !strings.EqualFold(toSource, cmp.Or(c.Source, b.ix.Source)) {
			target = toSource + "/" + toCode
		}
		kind := listAnswer
		if mt == ocl.MapTypeConceptSet {
			kind = listMember
		}
		p = append(p, kind)
		p.str(target)
	default:
		p = append(p, listMapping)
		p.str(mt)
		p.str(toSource)
		p.str(toCode)
	}
	b.lists[i] = p
	return nil
}

func (b *builder) finish() (*Index, error) {
	b.byKey = nil
	ix := b.ix
	bySource := map[string]int{}
	for i := range ix.Concepts {
		bySource[cmp.Or(ix.Concepts[i].Source, ix.Source)]++
	}
	ix.Home = ix.Source
	for s, n := range bySource {
		if n > bySource[ix.Home] || n == bySource[ix.Home] && s < ix.Home {
			ix.Home = s
		}
	}
	var answers, members []string
	var maps []Mapping
	for i := range ix.Concepts {
		c := &ix.Concepts[i]
		if own := cmp.Or(c.Source, ix.Source); strings.EqualFold(own, ix.Home) {
			c.Source = ""
		} else {
			c.Source = own
		}
		answers, members, maps = answers[:0], members[:0], maps[:0]
		for u := (unpacker{string(b.lists[i])}); u.more(); {
			kind := u.s[0]
			u.s = u.s[1:]
			switch kind {
			case listAnswer:
				answers = append(answers, u.str())
			case listMember:
				members = append(members, u.str())
			default:
				maps = append(maps, Mapping{MapType: u.str(), Source: u.str(), Code: u.str()})
			}
		}
		b.lists[i] = nil
		c.answers, c.members, c.mappings = packCodes(answers), packCodes(members), packMappings(maps)
	}
	b.lists = nil
	slices.SortFunc(ix.Concepts, func(a, c Concept) int { return compareConcepts(&a, &c) })
	return ix, nil
}

// Vocabularies counts the active mappings of active concepts by target source: the
// external vocabularies (ICD-10-WHO, SNOMED-CT, LOINC, …) the release maps to. Answers,
// set members and mappings inside the concept's own source are not counted.
func (ix *Index) Vocabularies() map[string]int {
	out := map[string]int{}
	for i := range ix.Concepts {
		c := &ix.Concepts[i]
		if c.Retired {
			continue
		}
		own := cmp.Or(c.Source, ix.Home)
		for _, m := range c.Mappings() {
			if !strings.EqualFold(m.Source, own) {
				out[m.Source]++
			}
		}
	}
	return out
}

// Counts are the concepts of the index and their active mappings of every kind (answers
// and set members included).
func (ix *Index) Counts() (concepts, mappings int) {
	for i := range ix.Concepts {
		c := &ix.Concepts[i]
		mappings += countPacked(c.answers, 1) + countPacked(c.members, 1) + countPacked(c.mappings, 3)
	}
	return len(ix.Concepts), mappings
}
