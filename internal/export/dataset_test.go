package export

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// A generated dataset of realistic shape loads with its foreign keys intact and the
// rows its generator says an OpenMRS load must hold.
func TestLoadGeneratedSmallDataset(t *testing.T) {
	mariaDB(t)
	path := filepath.Join(t.TempDir(), "CIEL_CIEL_v2026-11-22.zip")
	want, err := dataset.WriteExportFile(path, dataset.Small, "v2026-11-22")
	require.NoError(t, err)

	artifacts, err := Build(context.Background(), path, t.TempDir(), Formats, SQLOptions{})
	require.NoError(t, err)
	rows := artifacts[0].Counts.Rows
	assert.EqualValues(t, want.Concepts, rows["concept"])
	assert.EqualValues(t, want.Names, rows["concept_name"])
	// Retired descriptions are left out of OpenMRS; retired names stay, voided.
	assert.EqualValues(t, want.Descriptions-want.RetiredDescriptions, rows["concept_description"])
	assert.EqualValues(t, want.Answers, rows["concept_answer"])
	assert.EqualValues(t, want.SetMembers, rows["concept_set"])
	assert.EqualValues(t, want.ReferenceMaps, rows["concept_reference_map"])
	assert.EqualValues(t, want.Numeric, rows["concept_numeric"])
	assert.EqualValues(t, want.Complex, rows["concept_complex"])
	assert.EqualValues(t, want.RetiredMappings, artifacts[0].Counts.Skipped[SkipRetiredMapping])

	for _, a := range artifacts {
		t.Run(a.Format, func(t *testing.T) {
			res, err := LoadTest(context.Background(), LoadOptions{DSN: serverDSN, SQLZip: a.Path, Expected: *a.Counts})
			require.NoError(t, err)
			assert.EqualValues(t, want.Concepts, res.Rows["concept"])
		})
	}
}
