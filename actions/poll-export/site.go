package pollexport

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// The release site is rebuilt by its own workflow (shepherd init writes it as
// shepherd-site.yml). The scheduled poll does not start it through workflow_run, which
// would start a site run after every tick, nearly all of which change nothing; this run
// starts it itself, once, and only when it changed what the site shows.

// moved lists the releases whose phase this run changed: each move is a new line on the
// release's timeline, which the site shows (an export ready, a publication, a failure, a
// release gone incomplete). A poll that only counted an attempt moves nothing, and the
// site shows no poll counts. A lease this run was the first to report stale counts too:
// the site shows it on a banner.
func moved(results []result) []string {
	var out []string
	for _, res := range results {
		if res.StaleLease || res.To != "" && res.From != res.To {
			out = append(out, res.Version)
		}
	}
	return out
}

// siteFollowUp says what became of the release site after this run, for the summary.
type siteFollowUp string

// rebuildSite starts the site workflow (a file name in .github/workflows/, "" for none)
// on the default branch when changed names releases this run moved, except those
// handedOn to the job that carries them further, which starts it when it ends: one site
// run for the tick, after its last change, as the site workflow's own workflow_run
// trigger gives the other workflows. A dry run starts nothing and says what it would do.
//
// Whatever goes wrong here is logged and never fails the run: the releases moved and
// were saved, and a red poll run would say otherwise. A repository without that
// workflow (no site, or its caller named otherwise) gets a notice; a workflow GitHub
// refuses to start (switched off, no workflow_dispatch trigger, the token without the
// actions write permission) a warning on the run saying what to change.
func rebuildSite(ctx context.Context, r *actionenv.Run, env *steps.Env, file string, changed, handedOn []string) siteFollowUp {
	changed = slices.DeleteFunc(slices.Clone(changed), func(v string) bool { return slices.Contains(handedOn, v) })
	switch {
	case len(changed) == 0 && len(handedOn) > 0:
		r.Log.Info("the release site is rebuilt when the job carrying the ready releases on ends", "handed_on", handedOn)
		return ""
	case len(changed) == 0:
		r.Log.Debug("nothing the release site shows changed: its workflow is not started")
		return ""
	case file == "":
		r.Log.Info("releases moved, but no site workflow is named (input site-workflow): the site is not rebuilt", "moved", changed)
		return ""
	case r.DryRun:
		r.Log.Info("dry run: would start the release site's workflow on the default branch", "workflow", file, "moved", changed)
		return siteFollowUp(fmt.Sprintf("Dry run: the release site's workflow `%s` would be started.", file))
	}
	gh, err := workflowClient(ctx, r, env)
	var ref string
	if err == nil {
		var settings *github.RepoSettings
		if settings, err = gh.RepoSettings(ctx); err == nil {
			ref = settings.DefaultBranch
			err = gh.DispatchWorkflow(ctx, file, ref)
		}
	}
	switch {
	case err == nil:
		r.Log.Info("started the release site's workflow", "workflow", file, "ref", ref, "moved", changed)
		return siteFollowUp(fmt.Sprintf("The release site's workflow `%s` was started on `%s`.", file, ref))
	case errors.Is(err, github.ErrNotFound):
		r.Log.Info("the repository has no workflow "+file+" to rebuild the release site with; the poll goes on without it", "moved", changed, "error", err.Error())
		return siteFollowUp(fmt.Sprintf("The repository has no workflow `%s`: no release site was rebuilt.", file))
	case errors.Is(err, github.ErrPermission):
		r.Log.Warn("the release site's workflow could not be started: give the poll's workflow the actions: write permission (shepherd init writes it in shepherd-export-poll.yml)",
			"workflow", file, "error", err.Error())
	case errors.Is(err, github.ErrInvalid):
		r.Log.Warn("GitHub refused to start the release site's workflow: it must be switched on and have the workflow_dispatch trigger",
			"workflow", file, "error", err.Error())
	default:
		r.Log.Warn("the release site's workflow could not be started; the next change starts it again", "workflow", file, "error", err.Error())
	}
	return siteFollowUp(fmt.Sprintf("The release site's workflow `%s` could not be started: %s", file, actionenv.Cell(err.Error())))
}

// workflowClient is GitHub with the workflow's own token, whose permissions the caller
// workflow grants (actions: write among them), even when a GitHub App does the rest: an
// App needs a permission more to start workflows. Outside Actions, or when the run
// already uses that token, it is the run's own client.
func workflowClient(ctx context.Context, r *actionenv.Run, env *steps.Env) (*github.Client, error) {
	token := r.Getenv("SHEPHERD_WORKFLOW_TOKEN")
	if token == "" || (token == r.Getenv("GITHUB_TOKEN") && !r.UsesApp()) {
		return env.GitHub, nil
	}
	base := r.Config.GitHub.BaseURL
	if base == "" {
		base = r.Getenv("GITHUB_API_URL")
	}
	return github.New(ctx, r.Owner, r.Repo, github.Options{BaseURL: base, Auth: github.Auth{Token: token}, WorkflowToken: true, Logger: r.Log})
}
