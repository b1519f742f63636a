package changelog

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// SchemaID names the JSON form of a changelog; docs/changelog.md describes it. It changes
// only when a field changes meaning or goes away (new fields may be added).
const SchemaID = "shepherd-changelog/1"

// Changelog is what changed from one release to the next.
type Changelog struct {
	Schema string `json:"schema"`
	Org    string `json:"org"`
	Source string `json:"source"`
	// From is the previous release ("" for the first release); To this one.
	From string `json:"from"`
	To   string `json:"to"`
	// First is set when there is no previous release: nothing is listed then.
	First  bool   `json:"first_release"`
	Counts Counts `json:"counts"`
	// Breaking lists what can break a site's forms, reports or stored observations, in
	// the order of the concepts.
	Breaking  []BreakingItem `json:"breaking"`
	Added     []ConceptRef   `json:"added"`
	Retired   []ConceptRef   `json:"retired"`
	Unretired []ConceptRef   `json:"unretired"`
	// Removed are concepts the previous release had and this one does not hold at all.
	Removed []ConceptRef    `json:"removed"`
	Changed []ConceptChange `json:"changed"`
}

// Counts are the sizes of the lists, and of the two releases.
type Counts struct {
	Before    int `json:"concepts_before"`
	After     int `json:"concepts_after"`
	Added     int `json:"added"`
	Retired   int `json:"retired"`
	Unretired int `json:"unretired"`
	Removed   int `json:"removed"`
	Changed   int `json:"changed"`
	Breaking  int `json:"breaking"`
}

// ConceptRef names a concept: its key (the code, or SOURCE/code for a concept of another
// source) and its display name in the source's default locale.
type ConceptRef struct {
	Concept string `json:"concept"`
	Name    string `json:"name"`
	// Retired marks an added concept that arrives retired.
	Retired bool `json:"retired,omitempty"`
}

// Breaking kinds.
const (
	BreakRetired       = "retired"
	BreakRemoved       = "removed"
	BreakDatatype      = "datatype"
	BreakClass         = "class"
	BreakAnswerRemoved = "answer-removed"
)

// BreakingItem is one change a site may have to act on.
type BreakingItem struct {
	ConceptRef
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Fields that a change can touch, in the order a changelog lists them.
const (
	FieldNames    = "names"
	FieldDatatype = "datatype"
	FieldClass    = "class"
	FieldAnswers  = "answers"
	FieldMembers  = "set_members"
	FieldMappings = "mappings"
)

// ConceptChange is a concept present in both releases whose fields differ. Retiring or
// un-retiring alone is not a change: those concepts are listed apart.
type ConceptChange struct {
	ConceptRef
	Fields   []string             `json:"fields"`
	Datatype *ValueChange         `json:"datatype,omitempty"`
	Class    *ValueChange         `json:"class,omitempty"`
	Names    *ListChange[Name]    `json:"names,omitempty"`
	Answers  *ListChange[string]  `json:"answers,omitempty"`
	Members  *ListChange[string]  `json:"set_members,omitempty"`
	Mappings *ListChange[Mapping] `json:"mappings,omitempty"`
}

// ValueChange is a field's value before and after.
type ValueChange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// ListChange is what a list gained and lost.
type ListChange[T any] struct {
	Added   []T `json:"added"`
	Removed []T `json:"removed"`
}

// Compare lists what changed from old to new. old is nil for the first release. Both
// indexes must be of the same source.
func Compare(old, new *Index) (*Changelog, error) {
	cl := &Changelog{Schema: SchemaID, Org: new.Org, Source: new.Source, To: new.Version,
		Breaking: []BreakingItem{}, Added: []ConceptRef{}, Retired: []ConceptRef{}, Unretired: []ConceptRef{},
		Removed: []ConceptRef{}, Changed: []ConceptChange{}}
	cl.Counts.After = len(new.Concepts)
	if old == nil {
		cl.First = true
		return cl, nil
	}
	if !strings.EqualFold(old.Source, new.Source) || !strings.EqualFold(old.Home, new.Home) {
		return nil, fmt.Errorf("the releases are of different sources: %s (of %s) and %s (of %s)", old.Source, old.Home, new.Source, new.Home)
	}
	cl.From = old.Version
	cl.Counts.Before = len(old.Concepts)
	i, j := 0, 0
	for i < len(old.Concepts) || j < len(new.Concepts) {
		var c int
		switch {
		case i == len(old.Concepts):
			c = 1
		case j == len(new.Concepts):
			c = -1
		default:
			c = compareConcepts(&old.Concepts[i], &new.Concepts[j])
		}
		switch {
		case c < 0:
			o := &old.Concepts[i]
			ref := ConceptRef{Concept: o.Key(), Name: o.DisplayName(old.Locale)}
			cl.Removed = append(cl.Removed, ref)
			cl.Breaking = append(cl.Breaking, BreakingItem{ConceptRef: ref, Kind: BreakRemoved,
				Detail: "no longer in the release"})
			i++
		case c > 0:
			n := &new.Concepts[j]
			cl.Added = append(cl.Added, ConceptRef{Concept: n.Key(), Name: n.DisplayName(new.Locale), Retired: n.Retired})
			j++
		default:
			cl.compareConcept(&old.Concepts[i], &new.Concepts[j], new.Locale)
			i++
			j++
		}
	}
	cl.Counts.Added, cl.Counts.Retired, cl.Counts.Unretired = len(cl.Added), len(cl.Retired), len(cl.Unretired)
	cl.Counts.Removed, cl.Counts.Changed, cl.Counts.Breaking = len(cl.Removed), len(cl.Changed), len(cl.Breaking)
	return cl, nil
}

func (cl *Changelog) compareConcept(o, n *Concept, locale string) {
	ref := ConceptRef{Concept: n.Key(), Name: n.DisplayName(locale)}
	switch {
	case !o.Retired && n.Retired:
		cl.Retired = append(cl.Retired, ref)
		cl.Breaking = append(cl.Breaking, BreakingItem{ConceptRef: ref, Kind: BreakRetired,
			Detail: "retired: forms and new observations should stop using it"})
	case o.Retired && !n.Retired:
		cl.Unretired = append(cl.Unretired, ref)
	}
	ch := ConceptChange{ConceptRef: ref}
	if o.Datatype != n.Datatype {
		ch.Fields = append(ch.Fields, FieldDatatype)
		ch.Datatype = &ValueChange{From: o.Datatype, To: n.Datatype}
		cl.Breaking = append(cl.Breaking, BreakingItem{ConceptRef: ref, Kind: BreakDatatype,
			Detail: fmt.Sprintf("datatype %s → %s", o.Datatype, n.Datatype)})
	}
	if o.Class != n.Class {
		ch.Fields = append(ch.Fields, FieldClass)
		ch.Class = &ValueChange{From: o.Class, To: n.Class}
		cl.Breaking = append(cl.Breaking, BreakingItem{ConceptRef: ref, Kind: BreakClass,
			Detail: fmt.Sprintf("class %s → %s", o.Class, n.Class)})
	}
	if ch.Names = diffPacked(o.names, n.names, unpackNames, compareNames); ch.Names != nil {
		ch.Fields = append(ch.Fields, FieldNames)
	}
	if ch.Answers = diffPacked(o.answers, n.answers, unpackCodes, compareCodes); ch.Answers != nil {
		ch.Fields = append(ch.Fields, FieldAnswers)
		if len(ch.Answers.Removed) > 0 {
			cl.Breaking = append(cl.Breaking, BreakingItem{ConceptRef: ref, Kind: BreakAnswerRemoved,
				Detail: "answers removed: " + strings.Join(ch.Answers.Removed, ", ")})
		}
	}
	if ch.Members = diffPacked(o.members, n.members, unpackCodes, compareCodes); ch.Members != nil {
		ch.Fields = append(ch.Fields, FieldMembers)
	}
	if ch.Mappings = diffPacked(o.mappings, n.mappings, unpackMappings, compareMappings); ch.Mappings != nil {
		ch.Fields = append(ch.Fields, FieldMappings)
	}
	if len(ch.Fields) > 0 {
		slices.SortFunc(ch.Fields, func(a, b string) int { return cmp.Compare(fieldOrder(a), fieldOrder(b)) })
		cl.Changed = append(cl.Changed, ch)
	}
}

func fieldOrder(f string) int {
	return slices.Index([]string{FieldNames, FieldDatatype, FieldClass, FieldAnswers, FieldMembers, FieldMappings}, f)
}

// diffPacked compares two packed lists, unpacking them only when they differ; nil when
// they are equal (packing is canonical).
func diffPacked[T any](a, b string, unpack func(string) []T, compare func(T, T) int) *ListChange[T] {
	if a == b {
		return nil
	}
	return diffSorted(unpack(a), unpack(b), compare)
}

// diffSorted compares two sorted lists as multisets; nil when they are equal.
func diffSorted[T any](a, b []T, compare func(T, T) int) *ListChange[T] {
	d := &ListChange[T]{Added: []T{}, Removed: []T{}}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var c int
		switch {
		case i == len(a):
			c = 1
		case j == len(b):
			c = -1
		default:
			c = compare(a[i], b[j])
		}
		switch {
		case c < 0:
			d.Removed = append(d.Removed, a[i])
			i++
		case c > 0:
			d.Added = append(d.Added, b[j])
			j++
		default:
			i++
			j++
		}
	}
	if len(d.Added) == 0 && len(d.Removed) == 0 {
		return nil
	}
	return d
}
