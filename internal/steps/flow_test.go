package steps_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/steps"
)

const version = "v2026-11-22"

func newSandbox(t *testing.T, head dataset.Spec, plan ocltest.ExportPlan) *sandbox.Sandbox {
	t.Helper()
	if head.Concepts == 0 {
		head = dataset.Spec{Seed: 7, Concepts: 300}
	}
	sb, err := sandbox.New(context.Background(), sandbox.Options{Dir: t.TempDir(), Head: head, Plan: plan})
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	return sb
}

// openAndMerge opens the release PR, previews it, merges it and returns the manifest as
// merged and the merge commit.
func openAndMerge(t *testing.T, sb *sandbox.Sandbox) (*manifest.Manifest, string, *steps.PreviewResult) {
	t.Helper()
	ctx := context.Background()
	pr, created, err := sb.Env.StartRelease(ctx, version)
	require.NoError(t, err)
	require.True(t, created)
	preview, err := sb.Env.Preview(ctx, pr.Number, false)
	require.NoError(t, err)
	sha, err := sb.Env.GitHub.MergePullRequest(ctx, pr.Number, "Release "+version)
	require.NoError(t, err)
	content, err := sb.Env.GitHub.FileAt(ctx, manifest.ManifestPath(version), "main")
	require.NoError(t, err)
	m, err := manifest.ParseManifest(manifest.ManifestPath(version), []byte(content))
	require.NoError(t, err)
	return m, sha, preview
}

func pollUntilSettled(t *testing.T, sb *sandbox.Sandbox, maxTicks int) {
	t.Helper()
	for i := 0; i < maxTicks; i++ {
		sb.Clock.Advance(sb.Config.Poll.Interval)
		out, err := sb.Env.Poll(context.Background())
		require.NoError(t, err)
		if len(out) == 0 {
			return
		}
		for _, o := range out {
			require.NoError(t, o.Err)
		}
	}
}

func onlyIssue(t *testing.T, sb *sandbox.Sandbox) (number int, labels []string, body string) {
	t.Helper()
	issues := sb.GitHub.Issues(sandbox.Owner, sandbox.Repo)
	var tracking []int
	for _, i := range issues {
		if !i.IsPullRequest() {
			tracking = append(tracking, i.GetNumber())
			number, body = i.GetNumber(), i.GetBody()
			labels = nil
			for _, l := range i.Labels {
				labels = append(labels, l.GetName())
			}
		}
	}
	require.Len(t, tracking, 1, "exactly one tracking issue")
	return number, labels, body
}

func milestoneComments(t *testing.T, sb *sandbox.Sandbox, issue int) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, c := range sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, issue) {
		body := c.GetBody()
		if i := strings.Index(body, "<!-- shepherd:milestone "+version+"/"); i >= 0 {
			key := body[i+len("<!-- shepherd:milestone "+version+"/"):]
			out[key[:strings.Index(key, " ")]]++
		}
	}
	return out
}

func TestHappyPathFromPullRequestToDownloads(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{}, ocltest.ExportPlan{NonePolls: 2, BuildingPolls: 2, Ready: ocltest.ReadyRedirect302})
	ctx := context.Background()
	m, sha, preview := openAndMerge(t, sb)
	assert.True(t, preview.Passed)
	assert.Empty(t, preview.Problems)
	require.NotNil(t, preview.Report)

	sb.GitHub.ResetRequests()
	rec, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	assert.Equal(t, release.Exporting, rec.Release.Phase)
	mergeRequests, mergeWrites := len(sb.GitHub.Requests()), sb.GitHub.Writes()
	t.Logf("merge flow: %d GitHub requests, %d writes", mergeRequests, mergeWrites)
	v, ok := sb.OCL.Version(sb.Config.OCL.Org, sb.Config.OCL.Source, version)
	require.True(t, ok, "the version exists on OCL")
	assert.Equal(t, version, v.ID)

	// Re-running the merge workflow changes nothing and writes nothing.
	sb.GitHub.ResetRequests()
	require.NoError(t, sb.Restart(ctx))
	rec, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	assert.Equal(t, release.Exporting, rec.Release.Phase)
	assert.Zero(t, sb.GitHub.Writes(), "a re-run that changes nothing makes no write")
	t.Logf("re-run of the merge flow: %d GitHub requests, %d writes", len(sb.GitHub.Requests()), sb.GitHub.Writes())

	pollUntilSettled(t, sb, 10)
	rec, err = sb.Env.Status(ctx, version)
	require.NoError(t, err)
	assert.Equal(t, release.Done, rec.Release.Phase)
	assert.Equal(t, 5, rec.Release.Attempts, "two 204s, two 208s, then ready")
	issue, labels, body := onlyIssue(t, sb)
	assert.ElementsMatch(t, []string{"release:done", "shepherd"}, labels)
	assert.Equal(t, 1, strings.Count(body, "<!-- shepherd:status:start -->"))
	assert.Equal(t, map[string]int{"export-ready": 1}, milestoneComments(t, sb, issue))
	assert.Equal(t, map[string]string{version: sha}, sb.GitHub.Tags(sandbox.Owner, sandbox.Repo))
	require.Len(t, sb.GitHub.Releases(sandbox.Owner, sandbox.Repo), 1)

	names := map[string]bool{}
	for _, d := range rec.Downloads {
		names[d.File] = true
		assert.False(t, d.ValidUntil.After(d.DeleteAt), "no link outlives the deletion time")
		data, err := os.ReadFile(strings.TrimPrefix(d.URL, "file://"))
		require.NoError(t, err, d.File)
		assert.Equal(t, d.Size, int64(len(data)))
	}
	for _, want := range []string{"openmrs_concepts_1.11_" + version + ".sql.zip", "openmrs_concepts_2_" + version + ".sql.zip", "SHA256SUMS", "manifest.json"} {
		assert.True(t, names[want], want)
	}

	// A later tick finds nothing to do and writes nothing.
	sb.GitHub.ResetRequests()
	pollUntilSettled(t, sb, 1)
	assert.Zero(t, sb.GitHub.Writes())

	// The janitor keeps links alive, then deletes the files when the retention ends.
	for day := 1; day <= 22; day++ {
		sb.Clock.Advance(24 * time.Hour)
		out, err := sb.Env.Janitor(ctx)
		require.NoError(t, err)
		for _, o := range out {
			require.NoError(t, o.Err)
		}
		rec, err = sb.Env.Status(ctx, version)
		require.NoError(t, err)
		if rec.RemovedAt.IsZero() {
			for _, d := range rec.Downloads {
				assert.True(t, d.ValidUntil.After(sb.Clock.Now()), "day %d: link of %s still valid", day, d.File)
			}
		}
	}
	assert.False(t, rec.RemovedAt.IsZero(), "files removed after 21 days")
	left, err := sb.Env.Store.List(ctx, sb.Config.Storage.Prefix+"/"+version)
	require.NoError(t, err)
	assert.Empty(t, left)
}

func TestQAErrorsStopTheReleaseWithNothingOnOCL(t *testing.T) {
	head := dataset.Spec{Seed: 3, Concepts: 200, Inject: []dataset.Injection{{Rule: "FR-01", Index: -1}}}
	sb := newSandbox(t, head, ocltest.ExportPlan{})
	ctx := context.Background()
	m, sha, preview := openAndMerge(t, sb)
	assert.False(t, preview.Passed)
	assert.Equal(t, 1, preview.Report.Errors())

	rec, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	assert.Equal(t, release.Failed, rec.Release.Phase)
	assert.Equal(t, release.QA, rec.Release.FailedIn)
	_, exists := sb.OCL.Version(sb.Config.OCL.Org, sb.Config.OCL.Source, version)
	assert.False(t, exists, "nothing is created on OCL")
	issue, labels, _ := onlyIssue(t, sb)
	assert.ElementsMatch(t, []string{"release:failed", "shepherd"}, labels)

	// Running it again posts nothing twice.
	_, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"qa-failed": 1}, milestoneComments(t, sb, issue))
}

func TestWarningsProceedWithTheirMilestone(t *testing.T) {
	head := dataset.Spec{Seed: 4, Concepts: 200, Inject: []dataset.Injection{{Rule: "FR-19", Index: -1}}}
	sb := newSandbox(t, head, ocltest.ExportPlan{Ready: ocltest.ReadyStream200})
	m, sha, _ := openAndMerge(t, sb)
	rec, err := sb.Env.Merged(context.Background(), m, sha)
	require.NoError(t, err)
	assert.Equal(t, release.Exporting, rec.Release.Phase)
	issue, _, _ := onlyIssue(t, sb)
	assert.Equal(t, map[string]int{"qa-warnings": 1}, milestoneComments(t, sb, issue))
	pollUntilSettled(t, sb, 5)
	rec, err = sb.Env.Status(context.Background(), version)
	require.NoError(t, err)
	assert.Equal(t, release.Done, rec.Release.Phase)
}

func TestTwoMergeRunsAtOnceLeaveOneOfEverything(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{}, ocltest.ExportPlan{})
	m, sha, _ := openAndMerge(t, sb)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = sb.Env.Merged(context.Background(), m, sha)
		}()
	}
	wg.Wait()
	// A run that lost a race may have stopped on a refused transition; the next run
	// (the workflow's concurrency group serialises real runs) converges.
	rec, err := sb.Env.Merged(context.Background(), m, sha)
	require.NoError(t, err)
	assert.Equal(t, release.Exporting, rec.Release.Phase)
	open := 0
	for _, i := range sb.GitHub.Issues(sandbox.Owner, sandbox.Repo) {
		if !i.IsPullRequest() && i.GetState() == "open" {
			open++
		}
	}
	assert.Equal(t, 1, open)
	assert.Equal(t, 1, sb.OCL.Count("POST", ocltest.RouteVersions)-countRefused(sb))
}

func countRefused(sb *sandbox.Sandbox) int {
	n := 0
	for _, r := range sb.OCL.Requests() {
		if r.Method == "POST" && r.Route == ocltest.RouteVersions && r.Status == 409 {
			n++
		}
	}
	return n
}

func TestExportNeverReadyBecomesIncompleteAfterTheConfiguredAttempts(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 5, Concepts: 100}, ocltest.ExportPlan{Ready: ocltest.NeverReady})
	sb.Config.Poll.MaxAttempts = 6
	m, sha, _ := openAndMerge(t, sb)
	_, err := sb.Env.Merged(context.Background(), m, sha)
	require.NoError(t, err)
	pollUntilSettled(t, sb, 1)
	// A tick that finds nothing new: no comment, at most four requests: the two listings
	// of tracking issues (the bot's own, the labelled ones), the issue read again just
	// before the write that counts the poll, and that write.
	sb.GitHub.ResetRequests()
	pollUntilSettled(t, sb, 1)
	assert.LessOrEqual(t, len(sb.GitHub.Requests()), 4, "%v", sb.GitHub.Requests())
	assert.Equal(t, 1, sb.GitHub.Writes())
	for _, r := range sb.GitHub.Requests() {
		assert.NotContains(t, r.Path, "/comments")
	}
	pollUntilSettled(t, sb, 20)
	rec, err := sb.Env.Status(context.Background(), version)
	require.NoError(t, err)
	assert.Equal(t, release.Incomplete, rec.Release.Phase)
	assert.Equal(t, 6, rec.Release.Attempts)
	issue, labels, _ := onlyIssue(t, sb)
	assert.ElementsMatch(t, []string{"release:incomplete", "shepherd"}, labels)
	assert.Equal(t, map[string]int{"incomplete": 1}, milestoneComments(t, sb, issue))
}

func TestDryRunChangesNothing(t *testing.T) {
	dir := t.TempDir()
	sb, err := sandbox.New(context.Background(), sandbox.Options{Dir: dir, Head: dataset.Spec{Seed: 2, Concepts: 100}, DryRun: true})
	require.NoError(t, err)
	defer sb.Close()
	m := manifest.DefaultManifest(version, sb.Config)
	before := sb.GitHub.Writes()
	rec, err := sb.Env.Merged(context.Background(), m, "abc")
	require.NoError(t, err)
	assert.Equal(t, release.Exporting, rec.Release.Phase, "the dry run walks the steps in memory")
	assert.Equal(t, before, sb.GitHub.Writes())
	_, exists := sb.OCL.Version(sb.Config.OCL.Org, sb.Config.OCL.Source, version)
	assert.False(t, exists)
	_, err = os.Stat(filepath.Join(dir, "store", sb.Config.Storage.Prefix))
	assert.True(t, os.IsNotExist(err), "nothing stored")
}

// An extra script that runs past its time limit fails the release, and the failure
// comment quotes the end of its log.
func TestScriptTimeoutFailsTheRelease(t *testing.T) {
	cfg := manifest.DefaultConfig()
	cfg.Exports = append(cfg.Exports, manifest.ExportSpec{Name: "slow-check", Format: manifest.FormatScript,
		Timeout: time.Second, Command: []string{"/bin/sh", "-c", "echo starting the slow check; sleep 30"}})
	sb, err := sandbox.New(context.Background(), sandbox.Options{Dir: t.TempDir(), Head: dataset.Spec{Seed: 8, Concepts: 60},
		Plan: ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302}, Config: cfg})
	require.NoError(t, err)
	defer sb.Close()
	m, sha, _ := openAndMerge(t, sb)
	_, err = sb.Env.Merged(context.Background(), m, sha)
	require.NoError(t, err)
	pollUntilSettled(t, sb, 3)
	rec, err := sb.Env.Status(context.Background(), version)
	require.NoError(t, err)
	assert.Equal(t, release.Failed, rec.Release.Phase)
	assert.Equal(t, release.Scripts, rec.Release.FailedIn)
	assert.Contains(t, rec.Release.Last().Reason, "slow-check")
	issue, labels, _ := onlyIssue(t, sb)
	assert.ElementsMatch(t, []string{"release:failed", "shepherd"}, labels)
	assert.Equal(t, map[string]int{"failed": 1}, milestoneComments(t, sb, issue))
	comments := sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, issue)
	failure := comments[len(comments)-1].GetBody()
	assert.Contains(t, failure, "starting the slow check")
	assert.Empty(t, sb.GitHub.Tags(sandbox.Owner, sandbox.Repo), "nothing published")

	// The whole log is stored with the release's files and linked from the status and the
	// comment.
	require.Len(t, rec.Scripts, 1)
	logURL := rec.Scripts[0].LogURL
	require.NotEmpty(t, logURL, "the failed script's log is linked")
	u, err := url.Parse(logURL)
	require.NoError(t, err)
	require.Equal(t, "file", u.Scheme, "the sandbox's local store links files")
	assert.Equal(t, "slow-check.log", filepath.Base(u.Path))
	log, err := os.ReadFile(u.Path)
	require.NoError(t, err)
	assert.Equal(t, "starting the slow check\n", string(log))
	assert.Regexp(t, `\| Script slow-check \| exit -1 in [0-9.]+ s · \[log\]\(`+regexp.QuoteMeta(logURL)+`\) \|`, steps.RenderStatus(rec, sb.Config, sb.Clock.Now()))
	assert.Contains(t, failure, "The end of its log ([the whole log]("+logURL+")):")
	assert.NotContains(t, failure, sb.Env.WorkDir, "no path of the runner's scratch folder")
}
