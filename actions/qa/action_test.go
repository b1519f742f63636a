package preview

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actiontest"
	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

const version = "v2026-11-22"

// openPR opens a release PR that adds a manifest with the given text.
func openPR(t *testing.T, w *actiontest.World, file, content string) int {
	t.Helper()
	w.GitHub.SetFile(actiontest.Owner, actiontest.Repo, "release/"+version, file, content)
	return w.GitHub.AddPullRequest(actiontest.Owner, actiontest.Repo, "alice", "release/"+version, "main", "Release "+version, "")
}

func defaultManifest(t *testing.T) string {
	data, err := manifest.Marshal(manifest.DefaultManifest(version, nil))
	require.NoError(t, err)
	return string(data)
}

func TestPreview(t *testing.T) {
	tests := []struct {
		name        string
		inject      []dataset.Injection
		file        string
		content     func(t *testing.T) string
		fork        string
		wantErr     string
		wantOutputs map[string]string
		wantStatus  string
		wantComment []string
		wantLog     []string
	}{
		{
			name: "clean release", file: manifest.ManifestPath(version), content: defaultManifest, fork: "false",
			wantOutputs: map[string]string{"errors": "0", "warnings": "0", "valid": "true"},
			wantStatus:  github.StatusSuccess,
			wantComment: []string{"Shepherd release preview", "QA on HEAD found no errors: merging starts the release", "is valid"},
		},
		{
			name: "QA errors fail the job", inject: []dataset.Injection{{Rule: "FR-01", Index: -1}, {Rule: "FR-19", Index: -1}},
			file: manifest.ManifestPath(version), content: defaultManifest, fork: "false",
			wantErr:     "QA on HEAD found 1 error and 1 warning",
			wantOutputs: map[string]string{"errors": "1", "warnings": "1", "valid": "true"},
			wantStatus:  github.StatusFailure,
			wantLog:     []string{"::error title=QA FR-01::", "::warning title=QA FR-19::"},
		},
		{
			name: "a fork gets validation only", inject: []dataset.Injection{{Rule: "FR-01", Index: -1}},
			file: manifest.ManifestPath(version), content: defaultManifest, fork: "true",
			wantOutputs: map[string]string{"errors": "0", "warnings": "0", "valid": "true"},
			wantStatus:  github.StatusSuccess,
			wantComment: []string{"comes from a fork"},
		},
		{
			name: "invalid manifest", file: "releases/v2026-11-23.yaml", content: defaultManifest, fork: "false",
			wantErr:     "1 problem with the release manifest",
			wantOutputs: map[string]string{"errors": "0", "warnings": "0", "valid": "false"},
			wantStatus:  github.StatusFailure,
			wantComment: []string{"cannot go ahead"},
			wantLog:     []string{"::error title=Release manifest::releases/v2026-11-23.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := actiontest.New(t, ocltest.DefaultExportPlan, tt.inject...)
			pr := openPR(t, w, tt.file, tt.content(t))
			w.Input("pr", strconv.Itoa(pr))
			w.Input("fork", tt.fork)
			r, err := w.Start()
			require.NoError(t, err)

			err = Run(context.Background(), r)

			if tt.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			}
			out := w.Outputs()
			for k, v := range tt.wantOutputs {
				assert.Equal(t, v, out[k], k)
			}
			sha := w.GitHub.BranchSHA(actiontest.Owner, actiontest.Repo, "release/"+version)
			statuses := w.GitHub.Statuses(actiontest.Owner, actiontest.Repo, sha)
			require.NotEmpty(t, statuses)
			assert.Equal(t, github.QAContext, statuses[0].GetContext())
			assert.Equal(t, tt.wantStatus, statuses[0].GetState())
			comments := w.GitHub.Comments(actiontest.Owner, actiontest.Repo, pr)
			require.Len(t, comments, 1)
			for _, want := range tt.wantComment {
				assert.Contains(t, comments[0].GetBody(), want)
				assert.Contains(t, w.Summary(), want, "the step summary carries the report")
			}
			for _, want := range tt.wantLog {
				assert.Contains(t, w.Log(), want)
			}
		})
	}
}

func TestPreviewReadsThePullRequestEvent(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan, dataset.Injection{Rule: "FR-01", Index: -1})
	w.GitHub.AddFork(actiontest.Owner, actiontest.Repo, "mallory")
	w.GitHub.SetFile("mallory", actiontest.Repo, "release/"+version, manifest.ManifestPath(version), defaultManifest(t))
	pr := w.GitHub.AddPullRequest(actiontest.Owner, actiontest.Repo, "mallory", "mallory:release/"+version, "main", "Release "+version, "")
	w.Event("pull_request", w.GitHub.PullRequestEvent(actiontest.Owner, actiontest.Repo, pr, "opened", "", "mallory"))
	r, err := w.Start()
	require.NoError(t, err)

	require.NoError(t, Run(context.Background(), r), "a fork's PR is validated only, so HEAD's errors do not show")

	comments := w.GitHub.Comments(actiontest.Owner, actiontest.Repo, pr)
	require.Len(t, comments, 1)
	assert.Contains(t, comments[0].GetBody(), "comes from a fork")
}

func TestPreviewNeedsAPullRequest(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	r, err := w.Start()
	require.NoError(t, err)

	assert.ErrorContains(t, Run(context.Background(), r), "no pull request")
}

func TestAnnotationsAreCapped(t *testing.T) {
	var inject []dataset.Injection
	for i := range 45 {
		inject = append(inject, dataset.Injection{Rule: "FR-01", Index: i}, dataset.Injection{Rule: "FR-19", Index: i + 45})
	}
	w := actiontest.NewWithSpec(t, ocltest.DefaultExportPlan, dataset.Spec{Seed: 1, Concepts: 200, Inject: inject})
	pr := openPR(t, w, manifest.ManifestPath(version), defaultManifest(t))
	w.Input("pr", strconv.Itoa(pr))
	r, err := w.Start()
	require.NoError(t, err)

	require.Error(t, Run(context.Background(), r))

	log := w.Log()
	errorsShown := strings.Count(log, "::error title=QA ")
	warningsShown := strings.Count(log, "::warning title=QA ")
	assert.Equal(t, 45, errorsShown, "errors come first")
	assert.Equal(t, maxAnnotations-45, warningsShown)
	assert.Contains(t, log, "::notice::40 more errors and warnings are not annotated")
}

func TestPreviewNeedsNoBucketCredentials(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.WriteFile(".github/shepherd.yaml", "ocl:\n  base_url: "+w.OCL.URL()+"\nstorage:\n  endpoint: https://s3.example.org\n  bucket: releases\n")
	pr := openPR(t, w, manifest.ManifestPath(version), defaultManifest(t))
	w.Input("pr", strconv.Itoa(pr))
	w.Input("fork", "true")
	r, err := w.Start()
	require.NoError(t, err)

	require.NoError(t, Run(context.Background(), r), "a fork's PR has no S3 keys, and the preview needs none")

	assert.Equal(t, "true", w.Outputs()["valid"])
}
