package pollexport

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actiontest"
	"github.com/shepherd-release/shepherd/internal/github/githubtest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

const siteWorkflow = ".github/workflows/shepherd-site.yml"

// siteWorld is a repository with the site workflow shepherd init writes, named to the
// action as the reusable export-poll workflow names it.
func siteWorld(t *testing.T, plan ocltest.ExportPlan) *actiontest.World {
	t.Helper()
	return siteWorldIn(t, plan, githubtest.WorkflowActive)
}

// siteWorldIn is siteWorld with the site workflow in state, or without the file when
// state is "".
func siteWorldIn(t *testing.T, plan ocltest.ExportPlan, state string) *actiontest.World {
	t.Helper()
	w := actiontest.New(t, plan)
	if state != "" {
		w.GitHub.AddWorkflow(actiontest.Owner, actiontest.Repo, siteWorkflow, "site", state)
	}
	w.Input("site_workflow", "shepherd-site.yml")
	require.NoError(t, os.WriteFile(w.Vars["GITHUB_OUTPUT"], nil, 0o644))
	return w
}

// siteRuns are the runs of the site workflow started so far, each on its branch.
func siteRuns(w *actiontest.World) []string {
	var out []string
	for _, r := range w.GitHub.WorkflowRuns(actiontest.Owner, actiontest.Repo) {
		if r.Path == siteWorkflow {
			out = append(out, r.Event+" on "+r.Branch)
		}
	}
	return out
}

// cheap runs the scheduled poll's first job (exports-only) once.
func cheap(t *testing.T, w *actiontest.World) {
	t.Helper()
	w.Input("exports_only", "true")
	defer w.Input("exports_only", "")
	_, err := tick(t, w)
	require.NoError(t, err)
}

const dispatchRoute = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches"

// Ticks that move nothing start no site run: none waiting, and one whose export is not
// ready yet (its poll count is saved, which the site does not show).
func TestTickThatMovesNothingStartsNoSiteRun(t *testing.T) {
	w := siteWorld(t, ocltest.ExportPlan{NonePolls: 1 << 30})
	cheap(t, w)
	w.Merge(version)
	for range 3 {
		cheap(t, w)
		assert.Equal(t, "false", w.Outputs()["changed"])
	}
	assert.Empty(t, siteRuns(w))
	assert.Zero(t, w.GitHub.CountBy("POST", dispatchRoute), "not even a refused one")
	assert.NotContains(t, w.Summary(), "release site")
}

// A tick whose export is ready starts the site once, at its end: the cheap job hands the
// release on without starting it, and the job that publishes starts it when done.
func TestReadyTickStartsTheSiteOnceWhenPublished(t *testing.T) {
	w := siteWorld(t, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	w.Merge(version)

	cheap(t, w)
	assert.Equal(t, "true", w.Outputs()["changed"], "the release moved to export-qa")
	assert.Empty(t, siteRuns(w), "handed on: the publishing job starts the site")
	assert.Contains(t, w.Log(), "rebuilt when the job carrying the ready releases on ends")

	w.Input("version", version)
	results, err := tick(t, w)
	require.NoError(t, err)
	require.Equal(t, "done", results[0].To)
	assert.Equal(t, []string{"workflow_dispatch on main"}, siteRuns(w))
	assert.Contains(t, w.Summary(), "The release site's workflow `shepherd-site.yml` was started on `main`.")

	// The same release polled again moves nothing and starts nothing more.
	_, err = tick(t, w)
	require.NoError(t, err)
	assert.Len(t, siteRuns(w), 1)
}

// A release that goes incomplete moves in the cheap job, which hands nothing on: that job
// starts the site, once, however many releases moved.
func TestIncompleteTickStartsTheSiteOnce(t *testing.T) {
	w := siteWorld(t, ocltest.ExportPlan{NonePolls: 1 << 30})
	w.WriteFile(".github/shepherd.yaml", "ocl:\n  base_url: "+w.OCL.URL()+"\nstorage:\n  type: local\n  local_dir: published\npoll:\n  max_attempts: 2\nexports: []\n")
	w.Merge(version)
	w.Merge("v2026-11-23")

	cheap(t, w)
	assert.Empty(t, siteRuns(w), "the first poll of each only counts")
	cheap(t, w)

	assert.Contains(t, w.GitHub.IssueLabels(actiontest.Owner, actiontest.Repo, 1), "release:incomplete")
	assert.Contains(t, w.GitHub.IssueLabels(actiontest.Owner, actiontest.Repo, 2), "release:incomplete")
	assert.Equal(t, []string{"workflow_dispatch on main"}, siteRuns(w))
	assert.Equal(t, 1, w.GitHub.CountBy("POST", dispatchRoute))
}

// The scheduled poll in one job (without exports-only) starts the site once a release
// it carried to its end is published.
func TestWholePollStartsTheSiteOnce(t *testing.T) {
	w := siteWorld(t, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	w.Merge(version)

	results, err := tick(t, w)

	require.NoError(t, err)
	assert.Equal(t, "done", results[0].To)
	assert.Equal(t, []string{"workflow_dispatch on main"}, siteRuns(w))
}

// A dry run moves nothing on GitHub and starts nothing; it says what it would do.
func TestDryRunStartsNoSiteRun(t *testing.T) {
	w := siteWorld(t, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	w.Merge(version)
	w.Input("dry_run", "true")

	results, err := tick(t, w)

	require.NoError(t, err)
	assert.NotEqual(t, "exporting", results[0].To, "moved, in memory")
	assert.Equal(t, "true", w.Outputs()["changed"])
	assert.Empty(t, siteRuns(w))
	assert.Zero(t, w.GitHub.CountBy("POST", dispatchRoute))
	assert.Contains(t, w.Log(), "dry run: would start the release site's workflow")
	assert.Contains(t, w.Summary(), "Dry run: the release site's workflow `shepherd-site.yml` would be started.")
}

// A repository without the site workflow publishes no site: the poll says so, and does
// not fail.
func TestNoSiteWorkflowIsNotAnError(t *testing.T) {
	w := siteWorldIn(t, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302}, "")
	w.Merge(version)

	results, err := tick(t, w)

	require.NoError(t, err)
	assert.Equal(t, "done", results[0].To)
	assert.Equal(t, 1, w.GitHub.CountBy("POST", dispatchRoute), "asked once")
	assert.Contains(t, w.Log(), "the repository has no workflow shepherd-site.yml")
	assert.NotRegexp(t, "::warning::.*site", w.Log())
	assert.Contains(t, w.Summary(), "The repository has no workflow `shepherd-site.yml`: no release site was rebuilt.")
}

// A site workflow GitHub will not start (here switched off) is a warning on the run,
// never a failure: the release was published.
func TestRefusedSiteRunIsAWarning(t *testing.T) {
	w := siteWorldIn(t, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302}, githubtest.WorkflowDisabledManually)
	w.Merge(version)

	results, err := tick(t, w)

	require.NoError(t, err)
	assert.Equal(t, "done", results[0].To)
	assert.Empty(t, siteRuns(w))
	assert.Contains(t, w.Log(), "::warning::GitHub refused to start the release site's workflow")
	assert.Contains(t, w.Summary(), "could not be started")
}

// With a GitHub App the site is started with the workflow's own token, whose actions
// permission the caller grants: the App's installation token has none (the fake's App
// holds Shepherd's documented permissions only), so starting it with the App would fail.
func TestSiteRunUsesTheWorkflowsTokenBesideAnApp(t *testing.T) {
	w := siteWorld(t, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	// ghinstallation keeps a token until its expiry by the real clock.
	w.Now = time.Now().UTC()
	w.Vars["SHEPHERD_APP_ID"] = "7"
	w.Vars["SHEPHERD_APP_PRIVATE_KEY"] = string(githubtest.AppKey(t))
	w.Merge(version) // the App opens the tracking issue: the releases it polls are its own

	results, err := tick(t, w)

	require.NoError(t, err, w.Log())
	require.Len(t, results, 1, w.Log())
	assert.Equal(t, "done", results[0].To)
	assert.Equal(t, []string{"workflow_dispatch on main"}, siteRuns(w))
	assert.NotRegexp(t, "::warning::.*site", w.Log())
}

// Without a site workflow named, nothing is started, even when a release moved.
func TestNoSiteWorkflowNamedStartsNothing(t *testing.T) {
	w := siteWorld(t, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	w.Input("site_workflow", "")
	w.Merge(version)

	_, err := tick(t, w)

	require.NoError(t, err)
	assert.Empty(t, siteRuns(w))
	assert.Equal(t, "true", w.Outputs()["changed"])
}

// A run that died holding a release's lease: the first tick to find the lease stale
// reports it on the tracking issue and starts the site, which shows it on a banner; it
// hands the release on to nobody (the lease is that run's), and the ticks after it, with
// nothing new to say, start nothing.
func TestStaleLeaseTickStartsTheSiteOnce(t *testing.T) {
	w := siteWorld(t, ocltest.ExportPlan{NonePolls: 1 << 30})
	w.Merge(version)
	cheap(t, w)
	require.Empty(t, siteRuns(w))

	// A retry's lease, last renewed 50 minutes ago (lease.stale_after is 45 minutes by
	// default) and held for 15 more, as steps.Lease writes it.
	since := w.Now.Add(-50 * time.Minute).UTC().Format(time.RFC3339)
	w.WriteFile("published/leases/CIEL/CIEL/"+version+".json", `{"holder":"retry","run":"https://github.example.org/o/r/actions/runs/42/attempts/1","version":"`+version+
		`","token":"0123456789abcdef","since":"`+since+`","heartbeat":"`+since+`","until":"`+w.Now.Add(15*time.Minute).UTC().Format(time.RFC3339)+`"}`)

	cheap(t, w)
	assert.Equal(t, "true", w.Outputs()["changed"])
	assert.Equal(t, "[]", w.Outputs()["ready"], "the release is the lease holder's to carry on")
	assert.Equal(t, []string{"workflow_dispatch on main"}, siteRuns(w))
	assert.Contains(t, w.Summary(), "another run holds its lease, gone stale")

	cheap(t, w)
	assert.Equal(t, "false", w.Outputs()["changed"], "reported already")
	assert.Len(t, siteRuns(w), 1)
}

// A release another run holds is never handed on, whatever phase it was left in.
func TestReadyVersionsLeaveHeldReleasesAlone(t *testing.T) {
	results := []result{
		{Version: "v2026-11-22", From: "publishing", To: "publishing", StaleLease: true},
		{Version: "v2026-11-23", From: "exporting", To: "export-qa"},
	}
	assert.Equal(t, []string{"v2026-11-23"}, readyVersions(results))
}
