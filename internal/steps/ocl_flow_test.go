package steps_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// ourVersion is the release's version as the fake OCL holds it.
func ourVersion(t *testing.T, sb *sandbox.Sandbox) ocl.SourceVersion {
	t.Helper()
	v, ok := sb.OCL.Version(sb.Config.OCL.Org, sb.Config.OCL.Source, version)
	require.True(t, ok, "the version exists on OCL")
	return v
}

func merge(t *testing.T, sb *sandbox.Sandbox) *steps.Record {
	t.Helper()
	_, rec := mergeRelease(t, sb)
	return rec
}

// mergeRelease opens and merges the release PR and runs the merge's steps.
func mergeRelease(t *testing.T, sb *sandbox.Sandbox) (*manifest.Manifest, *steps.Record) {
	t.Helper()
	m, sha, _ := openAndMerge(t, sb)
	rec, err := sb.Env.Merged(context.Background(), m, sha)
	require.NoError(t, err)
	return m, rec
}

func status(t *testing.T, sb *sandbox.Sandbox) *steps.Record {
	t.Helper()
	rec, err := sb.Env.Status(context.Background(), version)
	require.NoError(t, err)
	return rec
}

// OCL's export task crashed: the export answers 204 forever. Once the version is no
// longer being seeded, Shepherd asks for the export again, once, and the release ends.
func TestCrashedExportIsAskedForAgainThenDone(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 11, Concepts: 120}, ocltest.ExportPlan{NonePolls: 1, BuildingPolls: 1, Ready: ocltest.ReadyRedirect302})
	sb.Config.Poll.RequestExportAfter = 3
	sb.Config.Poll.RequestExportEvery = time.Hour
	org, src := sb.Config.OCL.Org, sb.Config.OCL.Source
	// The version reads as being seeded for its first two reads: polls 3 and 4 must not ask.
	sb.OCL.CrashNextExport(org, src, 2)
	rec := merge(t, sb)
	require.Equal(t, release.Exporting, rec.Release.Phase)

	for attempt := 1; attempt <= 4; attempt++ {
		pollUntilSettled(t, sb, 1)
		assert.Zero(t, sb.OCL.Count(http.MethodPost, ocltest.RouteExport), "poll %d: no request yet", attempt)
	}
	pollUntilSettled(t, sb, 1) // 5: seeded, still 204: asked
	assert.Equal(t, 1, sb.OCL.Count(http.MethodPost, ocltest.RouteExport))
	rec = status(t, sb)
	require.NotNil(t, rec.OCL)
	require.Len(t, rec.OCL.ExportRequests, 1)
	assert.Equal(t, "202 (queued)", rec.OCL.ExportRequests[0].Answer)
	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, "export asked for again at "+sb.Clock.Now().UTC().Format("2006-01-02 15:04 UTC")+", OCL answered 202 (queued)")

	pollUntilSettled(t, sb, 10)
	rec = status(t, sb)
	assert.Equal(t, release.Done, rec.Release.Phase)
	assert.Equal(t, 1, sb.OCL.Count(http.MethodPost, ocltest.RouteExport),
		"the 204 right after the request came within request_export_every: not asked twice")
	assert.False(t, sb.OCL.ExportAskedWhileProcessing(org, src, version))
	assert.Equal(t, 8, rec.Release.Attempts, "five 204s, the new export's 204 and 208, then ready")
	assert.True(t, ourVersion(t, sb).Released, "marked released once published")
}

// An export OCL is building (208) is never asked for again, however long it takes.
func TestExportBeingBuiltIsNotAskedForAgain(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 12, Concepts: 80}, ocltest.ExportPlan{NonePolls: 1, BuildingPolls: 8, Ready: ocltest.ReadyRedirect302})
	sb.Config.Poll.RequestExportAfter = 2 // the first poll's 204 is normal; 208 from the second on
	merge(t, sb)
	pollUntilSettled(t, sb, 12)
	assert.Equal(t, release.Done, status(t, sb).Release.Phase)
	assert.Zero(t, sb.OCL.Count(http.MethodPost, ocltest.RouteExport))
	assert.Nil(t, status(t, sb).OCL.ExportRequests)
}

// A version that is still being seeded is never asked for its export: the release ends
// incomplete, and the notice says what helps.
func TestVersionStillSeededIsNeverAskedForItsExport(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 13, Concepts: 80}, ocltest.ExportPlan{NonePolls: 1, Ready: ocltest.ReadyRedirect302})
	sb.Config.Poll.MaxAttempts = 6
	sb.Config.Poll.RequestExportAfter = 2
	sb.Config.Poll.RequestExportEvery = 10 * time.Minute
	sb.OCL.CrashNextExport(sb.Config.OCL.Org, sb.Config.OCL.Source, 100)
	merge(t, sb)
	pollUntilSettled(t, sb, 10)
	rec := status(t, sb)
	assert.Equal(t, release.Incomplete, rec.Release.Phase)
	assert.Zero(t, sb.OCL.Count(http.MethodPost, ocltest.RouteExport))
	issue, _, body := onlyIssue(t, sb)
	assert.NotContains(t, body, "export asked for again")
	comments := sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, issue)
	notice := comments[len(comments)-1].GetBody()
	assert.Contains(t, notice, "is incomplete")
	assert.Contains(t, notice, "`POST "+sb.Config.OCL.BaseURL+"/orgs/CIEL/sources/CIEL/"+version+"/export/`")
	assert.Contains(t, notice, "task queue")
	assert.Contains(t, notice, "shepherd retry --version "+version)
	assert.False(t, ourVersion(t, sb).Released)
}

// Export QA that fails leaves the version unreleased, so latest/ never points at it.
func TestExportQAFailureLeavesTheVersionUnreleased(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 14, Concepts: 150}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	ctx := context.Background()
	m, sha, _ := openAndMerge(t, sb)
	rec, err := sb.Env.MergedUntil(ctx, m, sha, release.Deploy)
	require.NoError(t, err)
	require.Equal(t, release.Deploy, rec.Release.Phase, "HEAD passed QA")
	// Someone breaks HEAD between its QA and the version's creation.
	bad, err := dataset.New(dataset.Spec{Seed: 14, Concepts: 150, Inject: []dataset.Injection{{Rule: "FR-01", Index: -1}}})
	require.NoError(t, err)
	sb.OCL.SetHead(sb.Config.OCL.Org, sb.Config.OCL.Source, bad)
	_, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	assert.False(t, ourVersion(t, sb).Released, "created unreleased")

	pollUntilSettled(t, sb, 3)
	rec = status(t, sb)
	require.Equal(t, release.Failed, rec.Release.Phase)
	assert.Equal(t, release.ExportQA, rec.Release.FailedIn)
	assert.False(t, ourVersion(t, sb).Released)
	assert.Zero(t, sb.OCL.ReleasePatches(sb.Config.OCL.Org, sb.Config.OCL.Source, version))
	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, "| Released on OCL | no: the release stopped before its export passed QA")
}

// The close case of the one above: a clean export is released, once, after publishing.
func TestCleanExportIsReleasedOnceAfterPublishing(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 15, Concepts: 100}, ocltest.ExportPlan{NonePolls: 1, Ready: ocltest.ReadyRedirect302})
	ctx := context.Background()
	m, sha, _ := openAndMerge(t, sb)
	_, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	pollUntilSettled(t, sb, 1)
	rec := status(t, sb)
	require.Equal(t, release.Exporting, rec.Release.Phase)
	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, "| Released on OCL | not yet:")
	assert.False(t, ourVersion(t, sb).Released)

	pollUntilSettled(t, sb, 3)
	rec = status(t, sb)
	require.Equal(t, release.Done, rec.Release.Phase)
	assert.True(t, ourVersion(t, sb).Released)
	assert.False(t, rec.OCL.ReleasedAt.Before(rec.UploadedAt), "released after the upload began")
	latest, err := sb.Env.OCL.LatestVersion(ctx, sb.Config.OCL.Org, sb.Config.OCL.Source)
	require.NoError(t, err)
	assert.Equal(t, version, latest.ID)

	// A retry of the done release, and a re-run of the publish, PATCH nothing more.
	require.NoError(t, sb.Restart(ctx))
	_, err = sb.Env.Retry(ctx, m)
	require.NoError(t, err)
	assert.Equal(t, 1, sb.OCL.ReleasePatches(sb.Config.OCL.Org, sb.Config.OCL.Source, version))
	_, _, body = onlyIssue(t, sb)
	assert.Contains(t, body, "| Released on OCL | yes, since ")
}

func TestReleaseOnCreateAndManual(t *testing.T) {
	for _, tt := range []struct {
		on           manifest.ReleaseOn
		released     bool
		createdWith  bool
		statusPhrase string
	}{
		{manifest.ReleaseOnCreate, true, true, "yes, since it was created"},
		{manifest.ReleaseOnManual, false, false, "not yet: it is marked released when the release is promoted to production"},
	} {
		t.Run(string(tt.on), func(t *testing.T) {
			sb := newSandbox(t, dataset.Spec{Seed: 16, Concepts: 80}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
			sb.Config.OCL.ReleaseOn = tt.on
			merge(t, sb)
			assert.Equal(t, tt.createdWith, ourVersion(t, sb).Released, "as created")
			pollUntilSettled(t, sb, 4)
			rec := status(t, sb)
			require.Equal(t, release.Done, rec.Release.Phase)
			assert.Equal(t, tt.released, ourVersion(t, sb).Released)
			assert.Zero(t, sb.OCL.Count(http.MethodPatch, ocltest.RouteVersion), "never PATCHed")
			_, _, body := onlyIssue(t, sb)
			assert.Contains(t, body, "| Released on OCL | "+tt.statusPhrase)
		})
	}
}

// A version of the same name someone else made: the release fails and nothing on OCL
// changes. The close case is a re-run finding the version this release made.
func TestVersionMadeBySomeoneElseIsLeftAlone(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 17, Concepts: 80}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	ctx := context.Background()
	org, src := sb.Config.OCL.Org, sb.Config.OCL.Source
	m, sha, _ := openAndMerge(t, sb)
	// Someone creates the version by hand, released, after the PR was reviewed.
	require.NoError(t, sb.Env.OCL.CreateVersion(ctx, org, src, ocl.NewVersion{ID: version, Description: "by hand", Released: true}))
	before := sb.OCL.Counts()

	rec, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	assert.Equal(t, release.Failed, rec.Release.Phase)
	assert.Equal(t, release.Deploy, rec.Release.FailedIn)
	reason := rec.Release.Last().Reason
	assert.Contains(t, reason, "already exists on OCL and was not created by this release")
	assert.Contains(t, reason, "nothing was changed on OCL")
	after := sb.OCL.Counts()
	assert.Equal(t, before["POST versions"]+1, after["POST versions"], "one create, refused with 409")
	assert.Equal(t, before["PATCH version"], after["PATCH version"])
	assert.Equal(t, before["POST export"], after["POST export"])
	v := ourVersion(t, sb)
	assert.Equal(t, "by hand", v.Description)
	assert.True(t, v.Released)
	pollUntilSettled(t, sb, 3)
	assert.Equal(t, release.Failed, status(t, sb).Release.Phase, "the poll leaves a failed release alone")
	assert.Zero(t, sb.OCL.Count(http.MethodGet, ocltest.RouteExport))
}

func TestVersionThisReleaseMadeIsAcceptedOnARerun(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 18, Concepts: 80}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	ctx := context.Background()
	m, sha, _ := openAndMerge(t, sb)
	rec, err := sb.Env.MergedUntil(ctx, m, sha, release.Deploy)
	require.NoError(t, err)
	// The run that created the version died before recording it: the create happened,
	// the record still says deploy.
	marker := steps.VersionMarker(sandbox.Owner+"/"+sandbox.Repo, rec.Issue, version)
	require.NoError(t, sb.Env.OCL.CreateVersion(ctx, sb.Config.OCL.Org, sb.Config.OCL.Source, ocl.NewVersion{ID: version, ExternalID: marker}))

	rec, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	assert.Equal(t, release.Exporting, rec.Release.Phase)
	assert.Equal(t, release.VersionExisted, rec.Release.Last().Event)
	assert.Equal(t, marker, ourVersion(t, sb).ExternalID)
}

// HEAD edited while QA reads it: the concept moved to page 1 is checked once, the one it
// pushed along once, and the report says the listing was read twice.
func TestHeadListingThatMovesGivesOneFindingSet(t *testing.T) {
	spec := dataset.Spec{Seed: 19, Concepts: 300, Inject: []dataset.Injection{{Rule: "FR-01", Index: 249}, {Rule: "FR-19", Index: 50}}}
	sb := newSandbox(t, spec, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	sb.Config.OCL.PageSize = 50
	ctx := context.Background()
	org, src := sb.Config.OCL.Org, sb.Config.OCL.Source

	calm, err := sb.Env.RunHeadQA(ctx, sb.Config.QA, org, src)
	require.NoError(t, err)
	require.Empty(t, calm.Summary.Notes)
	require.Equal(t, 1, calm.Summary.ByRule["FR-01"])

	// Concept 250 (with the error) is edited once page 1 has been served.
	sb.OCL.EditDuringListing(org, src, "250", 1)
	moved, err := sb.Env.RunHeadQA(ctx, sb.Config.QA, org, src)
	require.NoError(t, err)
	assert.Equal(t, calm.Summary.ConceptsChecked, moved.Summary.ConceptsChecked)
	assert.Equal(t, calm.Summary.MappingsChecked, moved.Summary.MappingsChecked)
	assert.Equal(t, calm.Summary.BySeverity, moved.Summary.BySeverity)
	assert.ElementsMatch(t, calm.Findings, moved.Findings, "one finding set, whatever the order of reading")
	require.Len(t, moved.Summary.Notes, 1)
	assert.Contains(t, moved.Summary.Notes[0], "it took 2 reads to see every concept once")

	// Without re-reads the same edit stops QA as a passing problem: the release stays in qa.
	m, sha, _ := openAndMerge(t, sb)
	sb.Config.OCL.ListingRereads = 0
	sb.OCL.EditDuringListing(org, src, "240", 1)
	rec, err := sb.Env.Merged(ctx, m, sha)
	require.ErrorIs(t, err, ocl.ErrListingMoved)
	assert.False(t, errors.Is(err, ocl.ErrNotFound))
	assert.Contains(t, err.Error(), "kept changing while it was read")
	assert.Equal(t, release.QA, rec.Release.Phase)
	_, exists := sb.OCL.Version(org, src, version)
	assert.False(t, exists, "nothing created on OCL")
	// The next run, with HEAD quiet, reads it whole: its one error stops the release.
	rec, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	assert.Equal(t, release.Failed, rec.Release.Phase)
	assert.True(t, strings.HasPrefix(rec.Release.Last().Reason, "QA on HEAD found 1 error,"), rec.Release.Last().Reason)
}

// Someone asked OCL for the export by hand already: OCL answers 409 (already queued), and
// the status says so; the export then comes as usual.
func TestExportAlreadyAskedForByHandIsRecordedAsQueued(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 20, Concepts: 80}, ocltest.ExportPlan{NonePolls: 3, BuildingPolls: 1, Ready: ocltest.ReadyRedirect302})
	sb.Config.Poll.RequestExportAfter = 2
	ctx := context.Background()
	org, src := sb.Config.OCL.Org, sb.Config.OCL.Source
	sb.OCL.CrashNextExport(org, src, 0)
	merge(t, sb)
	pollUntilSettled(t, sb, 1)
	assert.Zero(t, sb.OCL.Count(http.MethodPost, ocltest.RouteExport), "one 204 is normal")
	res, err := sb.Env.OCL.RequestExport(ctx, org, src, version, false)
	require.NoError(t, err)
	require.Equal(t, ocl.ExportQueued, res.Outcome, "the maintainer's request")

	pollUntilSettled(t, sb, 1)
	rec := status(t, sb)
	require.Len(t, rec.OCL.ExportRequests, 1)
	assert.Equal(t, "409 (already queued)", rec.OCL.ExportRequests[0].Answer)
	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, "OCL answered 409 (already queued)")
	pollUntilSettled(t, sb, 6)
	assert.Equal(t, release.Done, status(t, sb).Release.Phase)
}
