package qa_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/qa"
)

// The realistic variants the generator writes: today's exports (retired names and
// descriptions, retire_reason, name_type null, weights at the top, in extras or both),
// 2015-era exports (the source as header, precise 0/1, null extras, weights in extras),
// and collection exports of CIEL concepts.
var realisticVariants = []struct {
	name                 string
	spec                 dataset.Spec
	wantSource, wantFrom string
	wantVersion          string
}{
	{"2026", dataset.Spec{Seed: 11, Concepts: 600}, "CIEL/CIEL", qa.SourceFromMetadata, injectedVersion},
	{"2026, weights in extras", dataset.Spec{Seed: 12, Concepts: 600, Weights: dataset.WeightExtras}, "CIEL/CIEL", qa.SourceFromMetadata, injectedVersion},
	{"2026, weights in both places", dataset.Spec{Seed: 13, Concepts: 600, Weights: dataset.WeightBoth}, "CIEL/CIEL", qa.SourceFromMetadata, injectedVersion},
	{"2015", dataset.Spec{Seed: 14, Concepts: 600, Era: ocltest.Era2015}, "CIEL/CIEL", qa.SourceFromMetadata, ""},
	{"collection", dataset.Spec{Seed: 15, Concepts: 600, Collection: "Starter"}, "CIEL/Starter", qa.SourceFromMetadata, injectedVersion},
	{"2015 collection", dataset.Spec{Seed: 16, Concepts: 600, Era: ocltest.Era2015, Collection: "Starter"}, "CIEL/Starter", qa.SourceFromMetadata, ""},
}

// checkVariant writes spec's export and runs QA as `shepherd qa --export` does without
// a configured source: what was checked comes from the export itself.
func checkVariant(t *testing.T, spec dataset.Spec) (*dataset.Dataset, *qa.Report) {
	t.Helper()
	d := newDataset(t, spec)
	path := filepath.Join(t.TempDir(), "export.zip")
	_, err := dataset.WriteExportFile(path, spec, injectedVersion)
	require.NoError(t, err)
	rep, err := qa.CheckExport(context.Background(), path, qa.Options{})
	require.NoError(t, err)
	return d, rep
}

func TestRealisticVariantsGiveNoUndeservedFinding(t *testing.T) {
	for _, v := range realisticVariants {
		t.Run(v.name, func(t *testing.T) {
			d, rep := checkVariant(t, v.spec)
			assert.Equal(t, []string{}, foundPlaces(rep), "a clean variant deserves no finding")
			assert.Equal(t, d.Len(), rep.Summary.ConceptsChecked)
			assert.Positive(t, rep.Summary.MappingsChecked)
			assert.Equal(t, v.wantSource, rep.Summary.Source)
			assert.Equal(t, v.wantFrom, rep.Summary.SourceFrom)
			assert.Equal(t, v.wantVersion, rep.Summary.Version)
		})
	}
}

// The close case: the same variants with every rule planted give exactly the planted
// findings, so the variants neither hide a finding nor add one.
func TestRealisticVariantsGiveExactlyThePlantedFindings(t *testing.T) {
	sev := defaultSeverities(t)
	for _, v := range realisticVariants {
		t.Run(v.name, func(t *testing.T) {
			spec := allRules(v.spec)
			spec.Concepts = 1000
			d, rep := checkVariant(t, spec)
			require.Len(t, d.Expected(), len(dataset.Rules))
			assert.Equal(t, expectedPlaces(sev, d.Expected()), foundPlaces(rep))
		})
	}
}

// HEAD read through the fake API (verbose listings with mappings) in both eras.
func TestRealisticVariantsThroughTheAPI(t *testing.T) {
	for _, v := range realisticVariants {
		if v.spec.Collection != "" {
			continue // the fake lists sources; a collection is only exported
		}
		t.Run(v.name, func(t *testing.T) {
			d := newDataset(t, v.spec)
			rep := checkHEAD(t, d)
			assert.Equal(t, []string{}, foundPlaces(rep))
			assert.Equal(t, d.Len(), rep.Summary.ConceptsChecked)
		})
	}
}
