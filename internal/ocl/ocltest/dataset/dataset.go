// Package dataset generates deterministic synthetic OCL sources, from a few dozen
// concepts to CIEL's scale, realistic in shape and clean under every QA rule, with
// chosen rule violations injected at known places.
//
// A Dataset never holds its concepts: concept i and its mappings are computed from the
// seed and i alone, so any concept comes in O(1) and a CIEL-size export streams in
// constant memory. The same Spec always gives byte-identical exports.
//
// Exports are written from rows holding every field OCL stores (ocltest.ConceptRow),
// in the shape OCL's serializers give them, whatever the product's model reads.
// Spec selects the variants real exports come in:
//
//   - Era2026 (the default): names and descriptions carry "retired"; about 3% of the
//     concepts keep a retired English synonym and 1.5% a retired description, both
//     unique texts no rule may count; retired concepts carry "retire_reason";
//     checksums and the other fields of today's serializers; synonyms without a type
//     have "name_type": null.
//   - Era2015: the export opens with the source itself ("type": "Source", "id" the
//     source, no "version", supported_locales one string), dates are created_at and
//     updated_at, extras of concepts without any are null, numeric concepts say
//     "precise": 0 or 1 instead of allow_decimal, answers and set members keep their
//     order in extras.sort_weight, and Q-AND-A and CONCEPT-SET mappings and
//     descriptions have no external_id; there is no export_time.
//   - Collection: the export is a version of a collection holding the source's
//     concepts, whose URLs and mappings keep naming the source (to_source_name
//     "CIEL"), with one reference per concept.
//   - Weights: an answer's or member's order at the top (sort_weight, since 2022-12),
//     in extras.sort_weight (real CIEL), or both.
//
// Concepts carrying an injection keep today's data (the 2015 changes to extras and
// external ids leave them alone), so each injection stays exactly one finding.
package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// Spec describes a dataset.
type Spec struct {
	Seed     int64
	Concepts int    // at least MinConcepts
	Org      string // default "CIEL"
	Source   string // default "CIEL"
	// Locales of the names; must include "en". Default: DefaultLocales.
	Locales []string
	// RetiredFraction is the share of retired concepts: 0 means DefaultRetiredFraction,
	// a negative value none at all. At most 0.5.
	RetiredFraction float64
	// Inject lists the rule violations to plant, at most one per concept.
	Inject []Injection

	// Era is the OCL generation whose data and export shape are written (see the
	// package documentation): ocltest.Era2026, the default, or ocltest.Era2015.
	Era ocltest.Era
	// Collection, when set, writes the export as a version of this collection of the
	// source's concepts (see ocltest.Shape).
	Collection string
	// Weights says where answers and set members carry their order. Era2015 always
	// writes them in extras.
	Weights Weights
}

// Weights is where a Q-AND-A or CONCEPT-SET mapping carries its sort weight.
type Weights int

const (
	// WeightTop: the top-level sort_weight, which OCL writes since 2022-12.
	WeightTop Weights = iota
	// WeightExtras: extras.sort_weight only, as older exports have it.
	WeightExtras
	// WeightBoth: both, as real CIEL mappings carry them today.
	WeightBoth
)

// Defaults and limits of a Spec.
const (
	DefaultOrg             = "CIEL"
	DefaultSource          = "CIEL"
	DefaultRetiredFraction = 0.01
	MinConcepts            = 10
)

// DefaultLocales are CIEL's main locales plus a few that some concepts have.
var DefaultLocales = []string{"en", "fr", "es", "sw", "pt", "ht", "rw", "ar"}

// Presets, from a quick unit test to CIEL's size. Copy one and change what you need.
var (
	Tiny  = Spec{Seed: 1, Concepts: 50}
	Small = Spec{Seed: 1, Concepts: 2000}
	CIEL  = Spec{Seed: 1, Concepts: 55000} // about 300,000 mappings
)

// Dataset is a generated source. It implements ocltest.Content and is safe for
// concurrent use.
type Dataset struct {
	spec      Spec
	seed      uint64
	en        int // position of "en" in spec.Locales
	width     int // syllables of each concept's unique word
	sourceURL string
	plans     map[int]*plan
	expected  []Expected

	countsOnce sync.Once
	counts     Counts
}

var (
	_ ocltest.RowContent = (*Dataset)(nil)
	_ ocltest.Shaped     = (*Dataset)(nil)
)

// Shape implements ocltest.Shaped: how the dataset's exports are written.
func (d *Dataset) Shape() ocltest.Shape {
	return ocltest.Shape{Era: d.spec.Era, Collection: d.spec.Collection}
}

// New checks a Spec, fills in its defaults and places its injections.
func New(spec Spec) (*Dataset, error) {
	spec, err := normalize(spec)
	if err != nil {
		return nil, err
	}
	d := &Dataset{
		spec:      spec,
		seed:      uint64(spec.Seed),
		en:        slices.Index(spec.Locales, "en"),
		width:     uniqueWordWidth(spec.Concepts),
		sourceURL: "/orgs/" + spec.Org + "/sources/" + spec.Source + "/",
	}
	if err := d.resolve(spec.Inject); err != nil {
		return nil, err
	}
	return d, nil
}

func normalize(spec Spec) (Spec, error) {
	if spec.Concepts < MinConcepts {
		return spec, fmt.Errorf("dataset: %d concepts asked, at least %d needed", spec.Concepts, MinConcepts)
	}
	if spec.Org == "" {
		spec.Org = DefaultOrg
	}
	if spec.Source == "" {
		spec.Source = DefaultSource
	}
	if len(spec.Locales) == 0 {
		spec.Locales = DefaultLocales
	}
	spec.Locales = slices.Clone(spec.Locales)
	for k, loc := range spec.Locales {
		if loc == "" || slices.Index(spec.Locales, loc) != k {
			return spec, fmt.Errorf("dataset: locale %d (%q) is empty or repeated", k, loc)
		}
	}
	if !slices.Contains(spec.Locales, "en") {
		return spec, errors.New(`dataset: locales must include "en": every concept has an English preferred name (CE-01)`)
	}
	switch {
	case spec.RetiredFraction == 0:
		spec.RetiredFraction = DefaultRetiredFraction
	case spec.RetiredFraction < 0:
		spec.RetiredFraction = 0
	case spec.RetiredFraction > 0.5:
		return spec, fmt.Errorf("dataset: retired fraction %g above 0.5", spec.RetiredFraction)
	}
	spec.Inject = slices.Clone(spec.Inject)
	if spec.Era != ocltest.Era2026 && spec.Era != ocltest.Era2015 {
		return spec, fmt.Errorf("dataset: unknown era %d", spec.Era)
	}
	if spec.Weights < WeightTop || spec.Weights > WeightBoth {
		return spec, fmt.Errorf("dataset: unknown weights placement %d", spec.Weights)
	}
	if spec.Era == ocltest.Era2015 {
		spec.Weights = WeightExtras // no top-level sort_weight before 2022-12
	}
	return spec, nil
}

// Spec returns the Spec with its defaults filled in.
func (d *Dataset) Spec() Spec {
	s := d.spec
	s.Locales = slices.Clone(s.Locales)
	s.Inject = slices.Clone(s.Inject)
	return s
}

// Len implements ocltest.Content: the number of concepts, retired ones included.
func (d *Dataset) Len() int { return d.spec.Concepts }

// Version is the metadata of version id (e.g. "v2026-11-22" or "HEAD") of this source.
func (d *Dataset) Version(id string) ocl.SourceVersion {
	return ocl.SourceVersion{
		ID:               id,
		Version:          id,
		Name:             d.spec.Source,
		FullName:         d.spec.Source + " (synthetic)",
		Description:      fmt.Sprintf("Synthetic dictionary of %d concepts, seed %d", d.spec.Concepts, d.spec.Seed),
		DefaultLocale:    "en",
		SupportedLocales: slices.Clone(d.spec.Locales),
		URL:              d.sourceURL + id + "/",
		Owner:            d.spec.Org,
		Released:         id != "HEAD",
		CreatedOn:        d.versionDate(id),
	}
}

var datedVersion = regexp.MustCompile(`^v(\d{4}-\d{2}-\d{2})`)

// versionDate is the date a dated version id names, else a date drawn from the id.
func (d *Dataset) versionDate(id string) string {
	if m := datedVersion.FindStringSubmatch(id); m != nil {
		if t, err := time.Parse(time.DateOnly, m[1]); err == nil {
			return t.Add(7*time.Hour + 30*time.Minute + 36*time.Second).Format(time.RFC3339)
		}
	}
	var h uint64
	for _, c := range []byte(id) {
		h = mix(h + uint64(c))
	}
	const start = 1735689600 // 2025-01-01
	return time.Unix(start+int64(mix(h^d.seed)%(365*24*3600)), 0).UTC().Format(time.RFC3339)
}

// WriteExport writes the export zip of version versionID.
func (d *Dataset) WriteExport(w io.Writer, versionID string) error {
	return ocltest.WriteExport(w, d.Version(versionID), d)
}

// WriteExportFile generates spec's export of version into path atomically: it is
// written beside path under a temporary name and renamed into place when complete.
func WriteExportFile(path string, spec Spec, version string) (Counts, error) {
	d, err := New(spec)
	if err != nil {
		return Counts{}, err
	}
	err = atomicfile.Write(path, 0o644, func(w io.Writer) error {
		buf := bufio.NewWriterSize(w, 1<<20)
		if err := d.WriteExport(buf, version); err != nil {
			return err
		}
		return buf.Flush()
	})
	if err != nil {
		return Counts{}, fmt.Errorf("dataset: writing %s: %w", path, err)
	}
	return d.Counts(), nil
}
