package pollexport

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actiontest"
	"github.com/shepherd-release/shepherd/internal/github/githubtest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// What one scheduled tick costs: the cheap first job of export-poll runs this action
// with exports-only (no database, no build), and the second job runs only for the
// releases it reports ready. docs/operations.md#what-a-tick-costs quotes these numbers.

// tickCost is what one exports-only run asked of GitHub and OCL.
type tickCost struct {
	reads, writes []string
	ocl           int
	ready         []string
}

func cheapTick(t *testing.T, w *actiontest.World) tickCost {
	t.Helper()
	w.Now = w.Now.Add(10 * time.Minute)
	require.NoError(t, os.WriteFile(w.Vars["GITHUB_OUTPUT"], nil, 0o644))
	ghBefore, oclBefore := len(w.GitHub.Requests()), len(w.OCL.Requests())
	w.Input("exports_only", "true")
	defer w.Input("exports_only", "")
	r, err := w.Start()
	require.NoError(t, err)
	require.NoError(t, Run(context.Background(), r))

	var c tickCost
	for _, req := range w.GitHub.Requests()[ghBefore:] {
		line := req.Method + " " + req.Route
		if req.IsWrite() {
			c.writes = append(c.writes, line)
		} else {
			c.reads = append(c.reads, line)
		}
	}
	c.ocl = len(w.OCL.Requests()) - oclBefore
	require.NoError(t, json.Unmarshal([]byte(w.Outputs()["ready"]), &c.ready))
	return c
}

const listIssues = "GET /repos/{owner}/{repo}/issues"

func TestIdleTickCostsTwoReads(t *testing.T) {
	t.Run("no release ever", func(t *testing.T) {
		w := actiontest.New(t, ocltest.DefaultExportPlan)
		c := cheapTick(t, w)
		assert.Equal(t, []string{listIssues, listIssues}, c.reads, "the bot's issues and the labelled ones")
		assert.Empty(t, c.writes)
		assert.Zero(t, c.ocl)
		assert.Empty(t, c.ready)
	})
	t.Run("past releases, none waiting", func(t *testing.T) {
		w := actiontest.New(t, ocltest.DefaultExportPlan)
		w.Publish("v2026-11-01")
		w.Publish("v2026-11-08")
		c := cheapTick(t, w)
		assert.Equal(t, []string{listIssues, listIssues}, c.reads)
		assert.Empty(t, c.writes, "labels already match the records")
		assert.Zero(t, c.ocl)
		assert.Empty(t, c.ready)
	})
}

// A release whose export is not ready yet costs one fresh read of its issue (the body
// is read again just before it is written, since GitHub has no conditional update) and
// one write: the poll count on its status, which is how max_attempts ends a wait.
func TestWaitingTickCost(t *testing.T) {
	w := actiontest.New(t, ocltest.ExportPlan{NonePolls: 1 << 30})
	w.Merge(version)

	c := cheapTick(t, w)

	assert.Equal(t, []string{listIssues, listIssues, "GET /repos/{owner}/{repo}/issues/{issue_number}"}, c.reads)
	assert.Equal(t, []string{"PATCH /repos/{owner}/{repo}/issues/{issue_number}"}, c.writes)
	assert.Equal(t, 1, c.ocl, "one export poll")
	assert.Empty(t, c.ready)
}

// A ready export moves the release to export-qa in the cheap job, which reports it; the
// job with the database carries it to done.
func TestReadyTickHandsOver(t *testing.T) {
	w := actiontest.New(t, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	w.Merge(version)

	c := cheapTick(t, w)

	assert.Equal(t, []string{version}, c.ready)
	assert.Empty(t, w.GitHub.Releases(actiontest.Owner, actiontest.Repo), "nothing published by the cheap job")
	assert.Contains(t, w.GitHub.IssueLabels(actiontest.Owner, actiontest.Repo, 1), "release:export-qa")
	// The move to export-qa: the status, and the phase label (made once per repository).
	assert.Equal(t, []string{listIssues, listIssues, "GET /repos/{owner}/{repo}/issues/{issue_number}", "GET /repos/{owner}/{repo}/labels/{name}"}, c.reads)
	assert.Equal(t, []string{"PATCH /repos/{owner}/{repo}/issues/{issue_number}", "POST /repos/{owner}/{repo}/labels",
		"POST /repos/{owner}/{repo}/issues/{issue_number}/labels", "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"}, c.writes)
	assert.Equal(t, 1, c.ocl, "one export poll; the download is the next job's")

	w.Input("version", version)
	results, err := tick(t, w)
	require.NoError(t, err)
	require.Len(t, results, 1)
	assert.Equal(t, result{Version: version, Issue: 1, From: "export-qa", To: "done", Attempts: 1, Reason: results[0].Reason}, results[0])
}

func TestExportsOnlyRefusesAVersion(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.Input("version", version)
	w.Input("exports_only", "true")
	r, err := w.Start()
	require.NoError(t, err)
	assert.ErrorContains(t, Run(context.Background(), r), "do not go together")
}

// With a GitHub App, a run first finds the App's installation on the repository (which
// also says who Shepherd is: the App's slug) and gets an installation token (a POST that
// changes nothing): two requests more than with the workflow's token, then the same two
// reads.
func TestIdleTickWithAnApp(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	// ghinstallation keeps a token until its expiry by the real clock, so the fake's clock
	// must be the real one too.
	w.Now = time.Now().UTC()
	w.Vars["SHEPHERD_APP_ID"] = "7"
	w.Vars["SHEPHERD_APP_PRIVATE_KEY"] = string(githubtest.AppKey(t))

	c := cheapTick(t, w)

	assert.Equal(t, []string{"GET /repos/{owner}/{repo}/installation",
		"POST /app/installations/{installation_id}/access_tokens", listIssues, listIssues}, c.reads)
	assert.Empty(t, c.writes)
	assert.Zero(t, c.ocl)
}

// A tick that moves a release and hands nothing on starts the release site's workflow:
// two requests more, with the workflow's own token: the repository (its default branch,
// which the site runs on) and the dispatch. A tick that moves nothing makes neither
// (TestTickThatMovesNothingStartsNoSiteRun).
func TestMovingTickCostsTheSiteTwoRequests(t *testing.T) {
	w := siteWorld(t, ocltest.ExportPlan{NonePolls: 1 << 30})
	w.WriteFile(".github/shepherd.yaml", "ocl:\n  base_url: "+w.OCL.URL()+"\nstorage:\n  type: local\n  local_dir: published\npoll:\n  max_attempts: 2\nexports: []\n")
	w.Merge(version)
	waiting := cheapTick(t, w)

	incomplete := cheapTick(t, w)

	assert.NotContains(t, waiting.reads, "GET /repos/{owner}/{repo}")
	assert.NotContains(t, waiting.writes, "POST "+dispatchRoute)
	assert.Equal(t, "GET /repos/{owner}/{repo}", incomplete.reads[len(incomplete.reads)-1], "last, once")
	assert.Equal(t, "POST "+dispatchRoute, incomplete.writes[len(incomplete.writes)-1], "last, once")
	assert.Equal(t, 1, w.GitHub.CountBy("GET", "/repos/{owner}/{repo}"))
	assert.Equal(t, 1, w.GitHub.CountBy("POST", dispatchRoute))
}
