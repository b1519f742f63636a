package createversion

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actiontest"
	"github.com/shepherd-release/shepherd/internal/github/githubtest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/steps"
)

const version = "v2026-11-22"

// pushAdding commits README.md, then files, then an edit of an older manifest to main
// on the fake GitHub and returns the push event GitHub would send for them.
func pushAdding(gh *githubtest.Server, files ...string) map[string]any {
	gh.SetFile(actiontest.Owner, actiontest.Repo, "main", "releases/v2026-01-01.yaml", "old\n")
	before := gh.BranchSHA(actiontest.Owner, actiontest.Repo, "main")
	gh.SetFile(actiontest.Owner, actiontest.Repo, "main", "README.md", "readme\n")
	for _, f := range files {
		gh.SetFile(actiontest.Owner, actiontest.Repo, "main", f, "added\n")
	}
	after := gh.SetFile(actiontest.Owner, actiontest.Repo, "main", "releases/v2026-01-01.yaml", "edited\n")
	return gh.PushEvent(actiontest.Owner, actiontest.Repo, "refs/heads/main", before, after, "alice")
}

func TestCreateVersionOnMerge(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.WriteManifest(version)
	w.Event("push", pushAdding(w.GitHub, "releases/"+version+".yaml"))
	w.Input("sha", mergeSHA)

	r, err := w.Start()
	require.NoError(t, err)
	require.NoError(t, Run(context.Background(), r))

	_, created := w.OCL.Version(dataset.DefaultOrg, dataset.DefaultSource, version)
	assert.True(t, created, "the version is created on OCL")
	out := w.Outputs()
	assert.Equal(t, "exporting", out["phase"])
	assert.Equal(t, "1", out["issue"])
	issues := w.GitHub.Issues(actiontest.Owner, actiontest.Repo)
	require.Len(t, issues, 1)
	assert.Equal(t, "Release "+version, issues[0].GetTitle())
	assert.Contains(t, w.GitHub.IssueLabels(actiontest.Owner, actiontest.Repo, 1), "release:exporting")
	assert.Contains(t, w.Summary(), "| `"+version+"` | exporting | [#1](https://github.example.org/openmrs/ciel-releases/issues/1) |")
	assert.Contains(t, w.Log(), "::add-mask::"+actiontest.OCLToken, "the OCL token is masked")
	assert.NotContains(t, strings.ReplaceAll(w.Log(), "::add-mask::"+actiontest.OCLToken, ""), actiontest.OCLToken,
		"the token appears nowhere but in its mask command")

	// Run again, as a re-run of the workflow would: nothing new happens.
	writes := w.GitHub.Writes()
	r, err = w.Start()
	require.NoError(t, err)
	require.NoError(t, Run(context.Background(), r))
	assert.Len(t, w.GitHub.Issues(actiontest.Owner, actiontest.Repo), 1, "no second tracking issue")
	assert.Equal(t, writes, w.GitHub.Writes(), "a release past version creation is left to the poll: no write")
}

func TestCreateVersionFailsWhenQAStopsTheRelease(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan, dataset.Injection{Rule: "FR-01", Index: -1})
	w.WriteManifest(version)
	w.Input("versions", version)

	r, err := w.Start()
	require.NoError(t, err)
	err = Run(context.Background(), r)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "release "+version+" failed")
	_, created := w.OCL.Version(dataset.DefaultOrg, dataset.DefaultSource, version)
	assert.False(t, created, "nothing is created on OCL")
	assert.Equal(t, "failed", w.Outputs()["phase"])
	assert.Contains(t, w.GitHub.IssueLabels(actiontest.Owner, actiontest.Repo, 1), "release:failed")
}

func TestCreateVersionDryRunChangesNothing(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.WriteManifest(version)
	w.Input("versions", version)
	w.Input("dry_run", "true")

	r, err := w.Start()
	require.NoError(t, err)
	require.NoError(t, Run(context.Background(), r))

	_, created := w.OCL.Version(dataset.DefaultOrg, dataset.DefaultSource, version)
	assert.False(t, created)
	assert.Empty(t, w.GitHub.Issues(actiontest.Owner, actiontest.Repo))
	assert.Contains(t, w.Summary(), "Dry run")
	assert.Contains(t, w.Log(), "dry run: would create version")
}

func TestCreateVersionWithoutAddedManifest(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.Event("push", pushAdding(w.GitHub, "docs/setup.md"))

	r, err := w.Start()
	require.NoError(t, err)
	require.NoError(t, Run(context.Background(), r))

	assert.Empty(t, w.GitHub.Issues(actiontest.Owner, actiontest.Repo))
	assert.Contains(t, w.Summary(), "nothing to release")
	assert.Equal(t, "", w.Outputs()["phase"])
}

func TestCreateVersionMissingManifest(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.Input("versions", version)

	r, err := w.Start()
	require.NoError(t, err)
	err = Run(context.Background(), r)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "release "+version)
	assert.Contains(t, w.Summary(), "error:")
}

func TestAddedManifests(t *testing.T) {
	gh := githubtest.NewServer()
	t.Cleanup(gh.Close)
	gh.AddRepo(actiontest.Owner, actiontest.Repo, "main")
	tests := []struct {
		name  string
		event map[string]any
		want  []string
	}{
		{"one added", pushAdding(gh, "releases/v2026-11-22.yaml"), []string{"v2026-11-22"}},
		{"two, deduplicated, in order", map[string]any{"commits": []any{
			map[string]any{"added": []any{"releases/v2026-11-22.yaml", "releases/v2026-12-01.yaml"}},
			map[string]any{"added": []any{"releases/v2026-11-22.yaml"}},
		}}, []string{"v2026-11-22", "v2026-12-01"}},
		{"not a manifest", pushAdding(gh, "releases/notes.md", "releases/sub/v2026-11-22.yaml", "v2026-11-22.yaml", "releases/latest.yaml"), nil},
		{"no commits (a dispatch)", map[string]any{"inputs": map[string]any{}}, nil},
		{"malformed commits", map[string]any{"commits": "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, addedManifests(tt.event))
		})
	}
}

func TestCreateVersionRetryAfterTheFix(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan, dataset.Injection{Rule: "FR-01", Index: -1})
	w.WriteManifest(version)
	w.Input("versions", version)
	r, err := w.Start()
	require.NoError(t, err)
	require.Error(t, Run(context.Background(), r), "QA on HEAD stops the release")

	// The maintainers fix the dictionary on OCL, then retry from the release workflow.
	clean, err := dataset.New(dataset.Tiny)
	require.NoError(t, err)
	w.OCL.SetHead(dataset.DefaultOrg, dataset.DefaultSource, clean)
	w.Input("retry", "true")
	r, err = w.Start()
	require.NoError(t, err)
	require.NoError(t, Run(context.Background(), r))

	_, created := w.OCL.Version(dataset.DefaultOrg, dataset.DefaultSource, version)
	assert.True(t, created)
	assert.Equal(t, "exporting", w.Outputs()["phase"])
	assert.Contains(t, w.Summary(), "release retried")
	assert.Len(t, w.GitHub.Issues(actiontest.Owner, actiontest.Repo), 1, "the same tracking issue")
}

// The two jobs of release.yml: QA first, then version creation (which an environment's
// reviewers may hold back).
func TestCreateVersionInTwoJobs(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.WriteManifest(version)
	w.Event("push", pushAdding(w.GitHub, "releases/"+version+".yaml"))
	w.Input("sha", mergeSHA)
	w.Input("stop_before_deploy", "true")

	r, err := w.Start()
	require.NoError(t, err)
	require.NoError(t, Run(context.Background(), r))
	assert.Equal(t, "deploy", w.Outputs()["phase"])
	_, created := w.OCL.Version(dataset.DefaultOrg, dataset.DefaultSource, version)
	assert.False(t, created, "QA job: nothing on OCL yet")

	w.Input("stop_before_deploy", "false")
	r, err = w.Start()
	require.NoError(t, err)
	require.NoError(t, Run(context.Background(), r))
	assert.Equal(t, "exporting", w.Outputs()["phase"])
	_, created = w.OCL.Version(dataset.DefaultOrg, dataset.DefaultSource, version)
	assert.True(t, created)
	assert.Len(t, w.GitHub.Issues(actiontest.Owner, actiontest.Repo), 1)
}

// mergeSHA is the commit a push merged, as GitHub names it: 40 hex digits.
const mergeSHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// On Actions, a repository with no bucket would publish links into a runner that is gone
// when the job ends: the merge refuses before the tracking issue, and nothing reaches OCL.
func TestCreateVersionRefusesALocalStoreOnActions(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.WriteFile(".github/shepherd.yaml", "ocl:\n  base_url: "+w.OCL.URL()+"\nexports:\n  - format: openmrs-2\n")
	w.WriteManifest("v2026-11-22")
	w.Input("versions", "v2026-11-22")
	r, err := w.Start()
	require.NoError(t, err)

	err = Run(context.Background(), r)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "no storage bucket is configured")
	assert.Contains(t, err.Error(), "docs/storage.md")
	// Nothing on GitHub says what to do next, so the run's error does.
	assert.Contains(t, err.Error(), "once that is fixed, run the release workflow by hand with version v2026-11-22 to try again")
	assert.Empty(t, w.GitHub.Issues(actiontest.Owner, actiontest.Repo), "no tracking issue")
	assert.Zero(t, w.OCL.Count("POST", ocltest.RouteVersions), "no version on OCL")
}

// The advice goes only where nothing else says what to do: a release with a tracking
// issue shows its next step on its status, and a retry's errors name theirs.
func TestTryAgainOnlyWithoutATrackingIssue(t *testing.T) {
	const v = version
	assert.Contains(t, tryAgain(v, nil, false), "run the release workflow by hand with version "+v+" to try again")
	assert.Contains(t, tryAgain(v, &steps.Record{}, false), "to try again", "a record not yet on an issue")
	assert.Empty(t, tryAgain(v, &steps.Record{Issue: 7}, false))
	assert.Empty(t, tryAgain(v, nil, true))
}
