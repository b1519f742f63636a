package githubtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckRunLifecycle(t *testing.T) {
	s, gh := newFake(t)
	sha := s.BranchSHA(owner, name, "main")

	run, resp, err := gh.Checks.CreateCheckRun(ctx, owner, name, github.CreateCheckRunOptions{
		Name: "shepherd/qa", HeadSHA: sha, Status: github.String("in_progress"),
		Output: &github.CheckRunOutput{Title: github.String("QA"), Summary: github.String("running")},
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "in_progress", run.GetStatus())
	assert.Nil(t, run.Conclusion)
	assert.Nil(t, run.CompletedAt)

	done, _, err := gh.Checks.UpdateCheckRun(ctx, owner, name, run.GetID(), github.UpdateCheckRunOptions{
		Name: "shepherd/qa", Conclusion: github.String("success"),
		Output: &github.CheckRunOutput{Title: github.String("QA"), Summary: github.String("passed")},
	})
	require.NoError(t, err)
	assert.Equal(t, "completed", done.GetStatus(), "a conclusion completes the run")
	assert.Equal(t, "success", done.GetConclusion())
	assert.NotNil(t, done.CompletedAt)
	assert.Equal(t, "passed", done.GetOutput().GetSummary())

	got, _, err := gh.Checks.GetCheckRun(ctx, owner, name, run.GetID())
	require.NoError(t, err)
	assert.Equal(t, "success", got.GetConclusion())
}

func TestListCheckRunsKeepsTheLatestPerNameByDefault(t *testing.T) {
	s, gh := newFake(t)
	sha := s.BranchSHA(owner, name, "main")
	for _, conclusion := range []string{"failure", "success"} {
		_, _, err := gh.Checks.CreateCheckRun(ctx, owner, name, github.CreateCheckRunOptions{
			Name: "shepherd/qa", HeadSHA: sha, Conclusion: github.String(conclusion),
		})
		require.NoError(t, err)
	}
	_, _, err := gh.Checks.CreateCheckRun(ctx, owner, name, github.CreateCheckRunOptions{Name: "shepherd/export", HeadSHA: sha})
	require.NoError(t, err)

	tests := []struct {
		name string
		opts *github.ListCheckRunsOptions
		want []string
	}{
		{"latest", nil, []string{"shepherd/export:queued:", "shepherd/qa:completed:success"}},
		{"all", &github.ListCheckRunsOptions{Filter: github.String("all")}, []string{"shepherd/export:queued:", "shepherd/qa:completed:success", "shepherd/qa:completed:failure"}},
		{"by name", &github.ListCheckRunsOptions{CheckName: github.String("shepherd/qa")}, []string{"shepherd/qa:completed:success"}},
		{"by status", &github.ListCheckRunsOptions{Status: github.String("queued")}, []string{"shepherd/export:queued:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _, err := gh.Checks.ListCheckRunsForRef(ctx, owner, name, "main", tt.opts)
			require.NoError(t, err)
			var got []string
			for _, r := range res.CheckRuns {
				got = append(got, r.GetName()+":"+r.GetStatus()+":"+r.GetConclusion())
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, len(tt.want), res.GetTotal())
		})
	}
	assert.Len(t, s.CheckRuns(owner, name, sha), 3)
}

func TestCheckRunErrors(t *testing.T) {
	s, gh := newFake(t)
	sha := s.BranchSHA(owner, name, "main")
	tests := []struct {
		name string
		opts github.CreateCheckRunOptions
		want func(t *testing.T, err error)
	}{
		{"no name", github.CreateCheckRunOptions{HeadSHA: sha}, func(t *testing.T, err error) {
			requireValidation(t, err, "CheckRun", "name", "missing_field")
		}},
		{"unknown commit", github.CreateCheckRunOptions{Name: "n", HeadSHA: strings.Repeat("a", 40)}, func(t *testing.T, err error) {
			errorResponse(t, err, http.StatusUnprocessableEntity)
		}},
		{"completed without conclusion", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Status: github.String("completed")}, func(t *testing.T, err error) {
			requireValidation(t, err, "CheckRun", "conclusion", "missing_field")
		}},
		{"unknown conclusion", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Conclusion: github.String("great")}, func(t *testing.T, err error) {
			requireValidation(t, err, "CheckRun", "conclusion", "invalid")
		}},
		{"summary over the limit", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha,
			Output: &github.CheckRunOutput{Title: github.String("t"), Summary: github.String(strings.Repeat("x", 65536))}},
			func(t *testing.T, err error) {
				er := errorResponse(t, err, http.StatusUnprocessableEntity)
				assert.Contains(t, er.Message, "Only 65535 characters are allowed; 65536 were supplied.")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := gh.Checks.CreateCheckRun(ctx, owner, name, tt.opts)
			tt.want(t, err)
		})
	}
	assert.Empty(t, s.CheckRuns(owner, name, sha))

	_, _, err := gh.Checks.UpdateCheckRun(ctx, owner, name, 999, github.UpdateCheckRunOptions{Name: "n"})
	errorResponse(t, err, http.StatusNotFound)
}

// A commit has one check suite per App: runs of one App share it, another App's runs get
// their own (https://docs.github.com/rest/checks/suites).
func TestCheckSuitesArePerAppAndCommit(t *testing.T) {
	s, gh := newFake(t)
	sha := s.BranchSHA(owner, name, "main")
	create := func(gh *github.Client, runName string) *github.CheckRun {
		t.Helper()
		run, _, err := gh.Checks.CreateCheckRun(ctx, owner, name, github.CreateCheckRunOptions{Name: runName, HeadSHA: sha})
		require.NoError(t, err)
		return run
	}
	first, second := create(gh, "a"), create(gh, "b")
	assert.Equal(t, first.GetCheckSuite().GetID(), second.GetCheckSuite().GetID(), "one App, one commit: one suite")
	assert.Equal(t, "github-actions", first.GetApp().GetSlug())

	token := installationToken(t, s)
	app := create(s.ClientWithToken(t, token.GetToken()), "c")
	assert.Equal(t, "shepherd-release", app.GetApp().GetSlug())
	assert.NotEqual(t, first.GetCheckSuite().GetID(), app.GetCheckSuite().GetID(), "another App's runs are in a suite of their own")
}
