package qa_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// These tests run the real engine over generated sources whose violations sit at places
// the generator knows, so every rule is checked end to end: export file or API listing
// in, exactly the planted findings out.

const injectedVersion = "v2026-11-22"

// place is where a finding is, with the severity it must carry; the message is left
// out because the generator does not know it.
type place struct {
	Rule, Severity, ConceptID, MappingID, Locale, Field string
}

func (p place) String() string {
	return fmt.Sprintf("%s/%s concept=%s mapping=%s locale=%s field=%s",
		p.Rule, p.Severity, p.ConceptID, p.MappingID, p.Locale, p.Field)
}

// defaultSeverities maps each rule of the catalogue to its default severity.
func defaultSeverities(t *testing.T) map[string]qa.Severity {
	t.Helper()
	sev := map[string]qa.Severity{}
	for _, r := range qa.Rules() {
		sev[r.ID] = r.DefaultSeverity
	}
	require.Subset(t, keys(sev), dataset.Rules, "every injectable rule is in the catalogue")
	return sev
}

func keys(m map[string]qa.Severity) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// expectedPlaces turns the generator's expectations into sorted places.
func expectedPlaces(sev map[string]qa.Severity, es []dataset.Expected) []string {
	out := make([]string, len(es))
	for k, e := range es {
		out[k] = place{e.Rule, string(sev[e.Rule]), e.ConceptID, e.MappingID, e.Locale, e.Field}.String()
	}
	slices.Sort(out)
	return out
}

// foundPlaces turns a report's findings into sorted places.
func foundPlaces(rep *qa.Report) []string {
	out := make([]string, len(rep.Findings))
	for k, f := range rep.Findings {
		out[k] = place{f.Rule, string(f.Severity), f.ConceptID, f.MappingID, f.Locale, f.Field}.String()
	}
	slices.Sort(out)
	return out
}

func newDataset(t *testing.T, spec dataset.Spec) *dataset.Dataset {
	t.Helper()
	d, err := dataset.New(spec)
	require.NoError(t, err)
	return d
}

// checkExport writes spec's export and runs QA over it.
func checkExport(t *testing.T, spec dataset.Spec) (*dataset.Dataset, *qa.Report) {
	t.Helper()
	d := newDataset(t, spec)
	path := filepath.Join(t.TempDir(), "CIEL_CIEL_"+injectedVersion+".zip")
	_, err := dataset.WriteExportFile(path, spec, injectedVersion)
	require.NoError(t, err)
	rep, err := qa.CheckExport(context.Background(), path, injectedOptions(d))
	require.NoError(t, err)
	return d, rep
}

func injectedOptions(d *dataset.Dataset) qa.Options {
	s := d.Spec()
	return qa.Options{Org: s.Org, Source: s.Source, Version: injectedVersion}
}

// allRules injects every rule once, half at their default places and half packed
// together, so that neighbouring injections would show if they disturbed each other.
func allRules(spec dataset.Spec) dataset.Spec {
	spec.Inject = nil
	for k, rule := range dataset.Rules {
		index := -1
		if k%2 == 1 {
			index = spec.Concepts/2 + k
		}
		spec.Inject = append(spec.Inject, dataset.Injection{Rule: rule, Index: index})
	}
	return spec
}

func TestCleanSourceHasNoFindings(t *testing.T) {
	d, rep := checkExport(t, dataset.Small)
	assert.Empty(t, foundPlaces(rep))
	assert.Equal(t, d.Len(), rep.Summary.ConceptsChecked)
	assert.Positive(t, rep.Summary.MappingsChecked)
}

func TestEachInjectedRuleIsFoundAloneWhereItWasPlanted(t *testing.T) {
	sev := defaultSeverities(t)
	for k, rule := range dataset.Rules {
		t.Run(rule, func(t *testing.T) {
			t.Parallel()
			spec := dataset.Spec{Seed: int64(100 + k), Concepts: 400}
			spec.Inject = []dataset.Injection{{Rule: rule, Index: -1}}
			d, rep := checkExport(t, spec)
			require.Len(t, d.Expected(), 1)
			assert.Equal(t, expectedPlaces(sev, d.Expected()), foundPlaces(rep))
		})
	}
}

func TestAllInjectedRulesAreFoundTogether(t *testing.T) {
	sev := defaultSeverities(t)
	d, rep := checkExport(t, allRules(dataset.Spec{Seed: 7, Concepts: 1000}))
	require.Len(t, d.Expected(), len(dataset.Rules))
	assert.Equal(t, expectedPlaces(sev, d.Expected()), foundPlaces(rep))
	for _, rule := range dataset.Rules {
		assert.Equal(t, 1, rep.Summary.ByRule[rule], "findings of %s in the summary", rule)
	}
}

// The API form (concepts with their mappings, page by page) must find what the export
// form finds.
func TestCheckAPIFindsWhatCheckExportFinds(t *testing.T) {
	spec := allRules(dataset.Spec{Seed: 7, Concepts: 1000})
	d, fromExport := checkExport(t, spec)

	fromAPI := checkHEAD(t, d)

	require.Len(t, fromExport.Findings, len(dataset.Rules))
	assert.Equal(t, foundPlaces(fromExport), foundPlaces(fromAPI))
	assert.Equal(t, fromExport.Summary.ConceptsChecked, fromAPI.Summary.ConceptsChecked)
	assert.Equal(t, qa.InputAPI, fromAPI.Summary.Input)
}

// checkHEAD serves d as a source of the fake OCL and runs QA on its HEAD through the API.
func checkHEAD(t *testing.T, d *dataset.Dataset) *qa.Report {
	t.Helper()
	srv := ocltest.NewServer()
	t.Cleanup(srv.Close)
	s := d.Spec()
	srv.AddSource(s.Org, s.Source, d, s.Locales)
	client, err := ocl.NewClient(srv.URL(), "")
	require.NoError(t, err)
	src := &steps.APISource{Client: client, Org: s.Org, Source: s.Source, VersionID: ocltest.HeadVersion}
	rep, err := qa.CheckAPI(context.Background(), src, qa.Options{Org: s.Org, Source: s.Source, Version: ocltest.HeadVersion})
	require.NoError(t, err)
	return rep
}
