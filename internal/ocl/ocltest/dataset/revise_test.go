package dataset_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// A revision changes exactly the concepts it reports, each by its one edit, and adds
// concepts after the last code.
func TestReviseChangesOnlyWhatItReports(t *testing.T) {
	d, err := dataset.New(dataset.Spec{Seed: 9, Concepts: 200, RetiredFraction: 0.05})
	require.NoError(t, err)
	rev, err := dataset.Revise(d, dataset.Edits{Add: 2, Retire: 1, Unretire: 1, Datatype: 1, Class: 1,
		RemoveAnswer: 1, AddMember: 1, ChangeMapping: 1, Rename: 1})
	require.NoError(t, err)
	assert.Equal(t, 202, rev.Len())
	assert.Equal(t, []string{"201", "202"}, rev.Applied[dataset.EditAdd])

	edited := map[string]string{}
	for kind, codes := range rev.Applied {
		for _, c := range codes {
			_, taken := edited[c]
			assert.False(t, taken, "concept %s has one edit", c)
			edited[c] = kind
		}
	}
	assert.Len(t, edited, 10)
	for i := range d.Len() {
		base, baseMaps := d.Rows(i)
		got, gotMaps := rev.Rows(i)
		kind := edited[base.ID]
		if kind == "" {
			assert.Equal(t, base, got, "concept %s is untouched", base.ID)
			assert.Equal(t, baseMaps, gotMaps)
			continue
		}
		switch kind {
		case dataset.EditRetire:
			assert.True(t, got.Retired)
		case dataset.EditUnretire:
			assert.False(t, got.Retired)
		case dataset.EditDatatype:
			assert.Equal(t, "Text", got.Datatype)
		case dataset.EditClass:
			assert.Equal(t, "Finding", got.ConceptClass)
		case dataset.EditRemoveAnswer:
			assert.Len(t, gotMaps, len(baseMaps)-1)
		case dataset.EditAddMember:
			assert.Len(t, gotMaps, len(baseMaps)+1)
		}
	}
	added, maps := rev.Rows(200)
	assert.Equal(t, "201", added.ID)
	require.Len(t, maps, 1)
	assert.Equal(t, "201", maps[0].ToConceptCode, "an added concept maps SAME-AS to itself")

	_, err = dataset.Revise(d, dataset.Edits{Unretire: 500})
	assert.ErrorContains(t, err, `edit "unretire"`)
}
