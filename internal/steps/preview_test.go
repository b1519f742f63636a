package steps_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
)

// The comment opens with the worst of what the preview found: never an all-clear above
// errors that would stop the release.
func TestPreviewHeadlineIsTheWorstResult(t *testing.T) {
	for _, tc := range []struct {
		name     string
		inject   []dataset.Injection
		headline string
		absent   []string
		status   string
	}{
		{name: "clean", headline: "✅ **QA on HEAD found no errors: merging starts the release.** Manifest `releases/v2026-11-22.yaml` is valid.",
			status: "QA on HEAD: no errors"},
		{name: "warnings only", inject: []dataset.Injection{{Rule: "FR-19", Index: -1}},
			headline: "⚠️ **QA on HEAD found 1 warning and no errors: merging starts the release**", absent: []string{"✅"},
			status: "QA on HEAD: no errors, 1 warning"},
		{name: "errors", inject: []dataset.Injection{{Rule: "FR-01", Index: -1}, {Rule: "FR-19", Index: -1}},
			headline: "❌ **QA on HEAD found 1 error, 1 warning: merging now would stop the release before anything is created on OCL.**",
			absent:   []string{"✅", "merging starts"}, status: "QA on HEAD: 1 error, 1 warning"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := newSandbox(t, dataset.Spec{Seed: 61, Concepts: 60, Inject: tc.inject}, ocltest.ExportPlan{})
			ctx := context.Background()
			pr, _, err := sb.Env.StartRelease(ctx, version)
			require.NoError(t, err)
			res, err := sb.Env.Preview(ctx, pr.Number, false)
			require.NoError(t, err)
			lines := strings.SplitN(res.Comment, "\n", 4)
			require.Len(t, lines, 4)
			assert.Equal(t, "## Shepherd release preview", lines[0])
			assert.True(t, strings.HasPrefix(lines[2], tc.headline), "headline: %s", lines[2])
			for _, a := range tc.absent {
				assert.NotContains(t, res.Comment[:strings.Index(res.Comment, "## QA report")], a)
			}
			statuses := sb.GitHub.Statuses(sandbox.Owner, sandbox.Repo, res.HeadSHA)
			require.NotEmpty(t, statuses)
			assert.Equal(t, tc.status, statuses[0].GetDescription()) // newest first
		})
	}
}

func TestPreviewRefusesAnUnknownRuleWithItsPlace(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 62, Concepts: 60}, ocltest.ExportPlan{})
	ctx := context.Background()
	pr, _, err := sb.Env.StartRelease(ctx, version)
	require.NoError(t, err)
	sb.GitHub.SetFile(sandbox.Owner, sandbox.Repo, pr.Head, manifest.ManifestPath(version), "version: "+version+"\nqa:\n  disabled: [FR-01, EX-06]\n")
	res, err := sb.Env.Preview(ctx, pr.Number, false)
	require.NoError(t, err)
	assert.False(t, res.Passed)
	assert.Nil(t, res.Report, "no QA runs on an invalid manifest")
	assert.Contains(t, res.Comment, "❌ **This release cannot go ahead as it is:**")
	assert.Contains(t, res.Comment, `releases/v2026-11-22.yaml:3:21: qa.disabled[1]: "EX-06" is not a QA rule, did you mean EX-05?`)
	statuses := sb.GitHub.Statuses(sandbox.Owner, sandbox.Repo, res.HeadSHA)
	require.NotEmpty(t, statuses)
	assert.Equal(t, "1 problem with the release manifest", statuses[0].GetDescription()) // newest first
}

// Running the release workflow again without the retry box leaves a failed release as
// it is, and the run says what would carry it on.
func TestARunWithoutRetryTellsHowToRetryAFailedRelease(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 63, Concepts: 60, Inject: []dataset.Injection{{Rule: "FR-01", Index: -1}}}, ocltest.ExportPlan{})
	ctx := context.Background()
	m, sha, _ := openAndMerge(t, sb)
	rec, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	require.Equal(t, release.Failed, rec.Release.Phase)

	var log bytes.Buffer
	sb.Env.Log = slog.New(slog.NewTextHandler(&log, nil))
	rec, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	assert.Equal(t, release.Failed, rec.Release.Phase)
	assert.Contains(t, log.String(), "level=WARN msg=\"nothing to do on merge\"")
	assert.Contains(t, log.String(), "only a retry carries it on: Actions → release → Run workflow, with version `"+version+"` and **retry** ticked")
}
