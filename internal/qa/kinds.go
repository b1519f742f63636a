package qa

import (
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// maxCached bounds the small caches below, so hostile input cannot grow them without
// end; past the bound values are classified each time.
const maxCached = 1024

// nameKind is a name type after normalisation.
type nameKind uint8

const (
	nameSynonym nameKind = iota
	nameFSN
	nameShort
	nameIndexTerm
	nameUnknown
)

// nameKinds classifies name types. ocl.NormalizeNameType is exact but builds a replacer
// per call, so the spellings in use are classified once and remembered.
type nameKinds struct{ cache map[string]nameKind }

func (k *nameKinds) of(raw string) nameKind {
	switch raw { // the spellings of OpenMRS-style sources, without a lookup
	case "", "SYNONYM", "None":
		return nameSynonym
	case ocl.NameTypeFullySpecified:
		return nameFSN
	case ocl.NameTypeShort:
		return nameShort
	case ocl.NameTypeIndexTerm:
		return nameIndexTerm
	}
	if v, ok := k.cache[raw]; ok {
		return v
	}
	var v nameKind
	switch ocl.NormalizeNameType(raw) {
	case ocl.NameTypeSynonym:
		v = nameSynonym
	case ocl.NameTypeFullySpecified:
		v = nameFSN
	case ocl.NameTypeShort:
		v = nameShort
	case ocl.NameTypeIndexTerm:
		v = nameIndexTerm
	default:
		v = nameUnknown
	}
	if k.cache == nil {
		k.cache = map[string]nameKind{}
	}
	if len(k.cache) < maxCached {
		k.cache[raw] = v
	}
	return v
}

// mapTypeID is a normalised map type as a small number; the three the rules know come first.
type mapTypeID uint16

const (
	mapSameAs mapTypeID = iota
	mapQAndA
	mapConceptSet
)

// mapTypes numbers map types after ocl.NormalizeMapType, remembering raw spellings.
type mapTypes struct {
	byRaw  map[string]mapTypeID
	byNorm map[string]mapTypeID
	names  []string
}

func newMapTypes() mapTypes {
	t := mapTypes{byRaw: map[string]mapTypeID{}, byNorm: map[string]mapTypeID{}}
	for _, n := range []string{ocl.MapTypeSameAs, ocl.MapTypeQAndA, ocl.MapTypeConceptSet} {
		t.byNorm[n] = mapTypeID(len(t.names))
		t.names = append(t.names, n)
	}
	return t
}

func (t *mapTypes) of(raw string) mapTypeID {
	switch raw {
	case ocl.MapTypeSameAs:
		return mapSameAs
	case ocl.MapTypeQAndA:
		return mapQAndA
	case ocl.MapTypeConceptSet:
		return mapConceptSet
	}
	if id, ok := t.byRaw[raw]; ok {
		return id
	}
	norm := ocl.NormalizeMapType(raw)
	id, ok := t.byNorm[norm]
	if !ok {
		id = mapTypeID(len(t.names))
		t.names = append(t.names, norm)
		t.byNorm[norm] = id
	}
	if len(t.byRaw) < maxCached {
		t.byRaw[raw] = id
	}
	return id
}

func (t *mapTypes) name(id mapTypeID) string { return t.names[id] }

// sourceInfo is what the rules need to know of a target source name.
type sourceInfo struct {
	key uint64 // hash of the name lower-cased
	icd int    // 10 or 11 for an ICD source, else 0
}

func icdRevision(source string) int {
	u := strings.ToUpper(source)
	switch {
	case strings.Contains(u, "ICD-10"), strings.Contains(u, "ICD10"):
		return 10
	case strings.Contains(u, "ICD-11"), strings.Contains(u, "ICD11"):
		return 11
	}
	return 0
}
