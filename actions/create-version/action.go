// Package createversion is the create-version action (`shepherd action create-version`),
// run when a release PR merges: for each release manifest the merge added, it opens the
// tracking issue, runs QA on HEAD and creates the version on OCL (or, with retry, carries
// a failed or incomplete release on).
package createversion

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// outcome is what happened to one release in this run.
type outcome struct {
	version string
	rec     *steps.Record
	err     error
}

func Run(ctx context.Context, r *actionenv.Run) error {
	versions, err := versionsToRun(r)
	if err != nil {
		return err
	}
	if len(versions) == 0 {
		r.Action.Noticef("no release manifest was added: nothing to release")
		r.Summary("### Shepherd\n\nNo release manifest (`releases/vYYYY-MM-DD.yaml`) was added by this push: nothing to release.\n")
		r.SetOutput("phase", "")
		r.SetOutput("issue", "")
		return nil
	}
	retry, err := r.BoolInput("retry")
	if err != nil {
		return err
	}
	stopBeforeDeploy, err := r.BoolInput("stop_before_deploy")
	if err != nil {
		return err
	}
	sha := r.Input("sha")
	if sha == "" {
		sha = r.Getenv("GITHUB_SHA")
	}
	env, err := r.Env(ctx)
	if err != nil {
		return err
	}
	var outcomes []outcome
	for _, v := range versions {
		outcomes = append(outcomes, runOne(ctx, r, env, v, sha, retry, stopBeforeDeploy))
	}
	writeResults(r, outcomes, retry)
	return failure(outcomes)
}

// versionsToRun are the versions named by the input or, when it is empty, the release
// manifests added by the pushed commits.
func versionsToRun(r *actionenv.Run) ([]string, error) {
	if list := r.Input("versions"); list != "" {
		return actionenv.Versions(list)
	}
	gh, err := r.Action.Context()
	if err != nil {
		return nil, fmt.Errorf("read the workflow's event: %w", err)
	}
	return addedManifests(gh.Event), nil
}

// addedManifests reads commits[].added of a push event and keeps release manifests.
func addedManifests(event map[string]any) []string {
	commits, _ := event["commits"].([]any)
	var out []string
	seen := map[string]bool{}
	for _, c := range commits {
		commit, _ := c.(map[string]any)
		added, _ := commit["added"].([]any)
		for _, a := range added {
			file, _ := a.(string)
			if path.Dir(file) != manifest.ReleasesDir || !strings.HasSuffix(file, ".yaml") {
				continue
			}
			v := strings.TrimSuffix(path.Base(file), ".yaml")
			if _, err := manifest.ParseVersion(v); err != nil || seen[v] {
				continue
			}
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func runOne(ctx context.Context, r *actionenv.Run, env *steps.Env, version, sha string, retry, stopBeforeDeploy bool) outcome {
	m, err := manifest.LoadManifest(r.Path(manifest.ManifestPath(version)))
	if err != nil {
		return outcome{version: version, err: fmt.Errorf("release %s: %w", version, err)}
	}
	var rec *steps.Record
	switch {
	case retry:
		rec, err = env.Retry(ctx, m)
	case stopBeforeDeploy:
		// QA only: version creation runs in a later job that an environment may guard.
		rec, err = env.MergedUntil(ctx, m, sha, release.Deploy)
	default:
		rec, err = env.Merged(ctx, m, sha)
	}
	if err != nil {
		err = fmt.Errorf("release %s: %w%s", version, err, tryAgain(version, rec, retry))
	}
	return outcome{version: version, rec: rec, err: err}
}

// tryAgain is the advice for an error of the merge's run that left nothing on a tracking
// issue to say what to do (the storage refusing the run's lease, say): a release with a
// record shows its own next step on its status, and a retry's errors name theirs. The
// release has not failed, so the workflow takes it up again without the retry box
// (TroubleLine in internal/steps says the same on a status).
func tryAgain(version string, rec *steps.Record, retry bool) string {
	if retry || (rec != nil && rec.Issue > 0) {
		return ""
	}
	return fmt.Sprintf("; once that is fixed, run the release workflow by hand with version %s to try again (Actions → release → Run workflow), or re-run this run", version)
}

// writeResults sets the outputs (one value per release, space separated, in order)
// and the step summary.
func writeResults(r *actionenv.Run, outcomes []outcome, retry bool) {
	var phases, issues []string
	var b strings.Builder
	title := "merged"
	if retry {
		title = "retried"
	}
	fmt.Fprintf(&b, "### Shepherd: release %s\n\n| Release | Phase | Tracking issue | What happened |\n| --- | --- | --- | --- |\n", title)
	for _, o := range outcomes {
		phase, issue, what := "", "", ""
		if o.rec != nil {
			phase = string(o.rec.Release.Phase)
			if o.rec.Issue > 0 {
				issue = strconv.Itoa(o.rec.Issue)
			}
			what = o.rec.Release.Last().Reason
		}
		if o.err != nil {
			what = "error: " + o.err.Error()
		}
		phases, issues = append(phases, phase), append(issues, issue)
		link := "—"
		if issue != "" {
			link = fmt.Sprintf("[#%s](%s)", issue, r.IssueURL(o.rec.Issue))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", o.version, orDash(phase), link, actionenv.Cell(what))
	}
	if r.DryRun {
		b.WriteString("\nDry run: nothing was changed on GitHub, OCL or the store.\n")
	}
	r.SetOutput("phase", strings.Join(phases, " "))
	r.SetOutput("issue", strings.Join(issues, " "))
	r.Summary(b.String())
}

// failure is the run's error: any step error, or any release that failed.
func failure(outcomes []outcome) error {
	var errs []error
	for _, o := range outcomes {
		switch {
		case o.err != nil:
			errs = append(errs, o.err)
		case o.rec != nil && o.rec.Release.Phase == release.Failed:
			errs = append(errs, fmt.Errorf("release %s failed: %s", o.version, o.rec.Release.Last().Reason))
		}
	}
	return errors.Join(errs...)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
