package doctor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/scaffold"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/store"
	"github.com/shepherd-release/shepherd/internal/words"
)

// RequiredStatus is the commit status the release PR preview sets and branch protection must
// require.
const RequiredStatus = "shepherd/qa"

// ShepherdWorkflows are the workflow files a release repository runs: the callers
// `shepherd init` writes (docs/setup.md).
var ShepherdWorkflows = scaffold.Workflows

// AppPermissions are what Shepherd's calls need of a GitHub App installation: tags,
// releases and the release branch (contents), tracking issues, labels and comments
// (issues), the release PR (pull_requests), the shepherd/qa status (statuses). Metadata
// read comes with every installation. Shepherd writes no check runs.
// https://docs.github.com/rest/authentication/permissions-required-for-github-apps
var AppPermissions = []struct{ Name, Level string }{
	{"contents", "write"}, {"issues", "write"}, {"pull_requests", "write"}, {"statuses", "write"}, {"metadata", "read"},
}

// scheduleInactivity is how long a public repository may go without activity before GitHub
// switches its scheduled workflows off, and scheduleWarning how early doctor warns.
// https://docs.github.com/actions/managing-workflow-runs-and-deployments/managing-workflow-runs/disabling-and-enabling-a-workflow
const (
	scheduleInactivity = 60 * 24 * time.Hour
	scheduleWarning    = 14 * 24 * time.Hour
)

const dateLayout = "2006-01-02"

func (d *run) getenv(name string) string { return strings.TrimSpace(d.o.Getenv(name)) }

func (d *run) inWorkflow() bool { return d.getenv("GITHUB_ACTIONS") == "true" }

func (d *run) checkCredentials(context.Context) Result {
	cfg := d.cfg
	var found, missing []string
	auth, err := steps.GitHubAuth(cfg, d.o.Getenv)
	d.auth, d.authErr = auth, err
	switch {
	case err != nil:
		missing = append(missing, err.Error())
	case auth.AppID != 0:
		found = append(found, fmt.Sprintf("GitHub App %d (%s, %s)", auth.AppID, cfg.GitHub.AppIDEnv, cfg.GitHub.AppKeyEnv))
	default:
		found = append(found, "GITHUB_TOKEN")
	}
	if d.getenv(cfg.OCL.TokenEnv) == "" {
		missing = append(missing, cfg.OCL.TokenEnv+" (OCL token)")
	} else {
		found = append(found, cfg.OCL.TokenEnv)
	}
	if cfg.Storage.Bucket != "" {
		for _, name := range d.s3KeyEnvs() {
			if d.getenv(name) == "" {
				missing = append(missing, name+" (bucket "+cfg.Storage.Bucket+")")
			} else {
				found = append(found, name)
			}
		}
	}
	if d.getenv(loadTestDSNEnv) != "" {
		found = append(found, loadTestDSNEnv)
	}
	if len(missing) > 0 {
		return failed("add the missing secrets under Settings → Secrets and variables → Actions and pass them to the workflow's env (locally: export them)",
			"missing: %s; set: %s", strings.Join(missing, "; "), listOrNone(found))
	}
	return ok("set: %s (values not shown)", strings.Join(found, ", "))
}

func (d *run) s3KeyEnvs() []string {
	ak, sk := d.cfg.Storage.AccessKeyEnv, d.cfg.Storage.SecretKeyEnv
	if ak == "" {
		ak = store.DefaultAccessKeyEnv
	}
	if sk == "" {
		sk = store.DefaultSecretKeyEnv
	}
	return []string{ak, sk}
}

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}

// connectGitHub builds the client and reads the repository once for the checks after it.
func (d *run) connectGitHub(ctx context.Context) error {
	if d.authErr != nil {
		return d.authErr
	}
	opts := d.o.GitHubOptions
	opts.Auth = d.auth
	if opts.BaseURL == "" {
		opts.BaseURL = d.cfg.GitHub.BaseURL
	}
	// As the actions do: a runner names its GitHub's API (Enterprise Server included).
	if opts.BaseURL == "" {
		opts.BaseURL = d.getenv("GITHUB_API_URL")
	}
	gh, err := github.New(ctx, d.o.Owner, d.o.Repo, opts)
	if err != nil {
		return err
	}
	d.gh = gh
	d.repo, err = gh.RepoSettings(ctx)
	return err
}

func (d *run) checkGitHubPermissions(ctx context.Context) Result {
	if err := d.connectGitHub(ctx); err != nil {
		d.ghErr = err
		fix := "check the credentials, that --repo names the repository, and that the token (or the App's installation) can see it"
		return failed(fix, "cannot read %s/%s: %s", d.o.Owner, d.o.Repo, oneLine(err))
	}
	if d.gh.UsesApp() {
		return d.appPermissions(ctx)
	}
	if d.repo.HasOAuthScopes {
		return d.classicScopes()
	}
	if d.inWorkflow() {
		return skipped("the workflow's GITHUB_TOKEN: each job's permissions: block sets what it may do, and GitHub does not report it back; Shepherd's workflows ask for what their steps need")
	}
	return skipped("a fine-grained personal access token (or installation token): GitHub does not report its permissions; the checks below show what it can read")
}

func (d *run) appPermissions(ctx context.Context) Result {
	perms, err := d.gh.InstallationPermissions(ctx)
	if err != nil {
		return failed("install the GitHub App on the repository (App settings → Install App)", "cannot read the App's installation: %s", oneLine(err))
	}
	var have, lacking []string
	for _, p := range AppPermissions {
		got := perms[p.Name]
		if got == "write" || got == p.Level {
			have = append(have, p.Name+": "+got)
			continue
		}
		if got == "" {
			got = "none"
		}
		lacking = append(lacking, fmt.Sprintf("%s: %s (has %s)", p.Name, p.Level, got))
	}
	if len(lacking) > 0 {
		return failed("App settings → Permissions & events → Repository permissions: grant them, then accept the change on the installation (Settings → GitHub Apps → Configure)",
			"the App's installation lacks %s", strings.Join(lacking, ", "))
	}
	note := ""
	if perms["administration"] == "" {
		note = "; without administration: read, doctor cannot read classic branch protection"
	}
	return ok("GitHub App installation has %s%s", strings.Join(have, ", "), note)
}

// classicScopes judges a classic personal access token by its X-OAuth-Scopes: "repo" covers
// everything Shepherd does; "public_repo" does on a public repository.
// https://docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps
func (d *run) classicScopes() Result {
	var scopes []string
	for _, s := range strings.Split(d.repo.OAuthScopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			scopes = append(scopes, s)
		}
	}
	enough := slices.Contains(scopes, "repo") || (d.repo.Public && slices.Contains(scopes, "public_repo"))
	if !enough {
		return failed("create the token with the repo scope (public_repo is enough for a public repository), or use a GitHub App",
			"classic personal access token with scopes: %s", listOrNone(scopes))
	}
	return ok("classic personal access token with scopes: %s", strings.Join(scopes, ", "))
}

// needRepo is the result of a repository check that cannot run without the repository.
func (d *run) needRepo() (Result, bool) {
	if d.repo != nil {
		return Result{}, true
	}
	return skipped("the repository could not be read: see github-permissions"), false
}

func (d *run) checkIssues(context.Context) Result {
	if r, ok := d.needRepo(); !ok {
		return r
	}
	if !d.repo.HasIssues {
		return failed("Settings → General → Features: tick Issues (every release is tracked on an issue)", "Issues are turned off")
	}
	return ok("Issues are on")
}

// permissionWarning turns a 403 into a warning saying which permission the token lacks.
func permissionWarning(err error, permission, what string) (Result, bool) {
	if !errors.Is(err, github.ErrPermission) {
		return Result{}, false
	}
	return warned("look at it by hand, or run doctor with a token that has "+permission+" (locally: an admin's token)",
		"the token may not read %s (it needs %s; a workflow's GITHUB_TOKEN never has administration)", what, permission), true
}

func (d *run) checkActions(ctx context.Context) Result {
	if r, ok := d.needRepo(); !ok {
		return r
	}
	enabled, err := d.gh.ActionsEnabled(ctx)
	if r, isPerm := permissionWarning(err, "administration: read", "the Actions settings"); isPerm {
		return r
	}
	if err != nil {
		return failed("re-run when GitHub answers", "cannot read the Actions settings: %s", oneLine(err))
	}
	if !enabled {
		return failed("Settings → Actions → General → Actions permissions: allow actions", "GitHub Actions are turned off for the repository")
	}
	return ok("GitHub Actions are on")
}

func (d *run) checkWorkflows(ctx context.Context) Result {
	if r, ok := d.needRepo(); !ok {
		return r
	}
	all, err := d.gh.Workflows(ctx)
	if r, isPerm := permissionWarning(err, "actions: read", "the workflows"); isPerm {
		return r
	}
	if err != nil {
		return failed("re-run when GitHub answers", "cannot list the workflows: %s", oneLine(err))
	}
	state := map[string]string{}
	for _, wf := range all {
		state[strings.TrimPrefix(wf.Path, ".github/workflows/")] = wf.State
	}
	var missing, off, on []string
	for _, name := range ShepherdWorkflows {
		switch s, found := state[name]; {
		case !found:
			missing = append(missing, name)
		case s != "active":
			off = append(off, name+" "+s)
		default:
			on = append(on, name)
		}
	}
	if len(missing)+len(off) > 0 {
		var found []string
		if len(off) > 0 {
			found = append(found, "disabled: "+strings.Join(off, ", "))
		}
		if len(missing) > 0 {
			found = append(found, "missing: "+strings.Join(missing, ", "))
		}
		return failed("enable each under Actions → the workflow → Enable workflow (gh workflow enable NAME); write missing files with shepherd init (it names the ones in the way; --force overwrites)",
			"%s", strings.Join(found, "; "))
	}
	return ok("active: %s", strings.Join(on, ", "))
}

// checkSchedule dates the 60-day rule: in a public repository GitHub switches scheduled
// workflows off after 60 days without activity. The last push (pushed_at) is the activity
// the API shows; GitHub may count other activity too, so the date is the earliest it can be.
func (d *run) checkSchedule(context.Context) Result {
	if r, ok := d.needRepo(); !ok {
		return r
	}
	if !d.repo.Public {
		return skipped("a private repository: GitHub does not switch its scheduled workflows off for inactivity")
	}
	if d.repo.PushedAt.IsZero() {
		return warned("push a commit", "GitHub reports no push to the repository: scheduled workflows (export-poll, janitor) may be switched off at any time")
	}
	deadline := d.repo.PushedAt.Add(scheduleInactivity)
	left := deadline.Sub(d.o.Now())
	fix := fmt.Sprintf("push a commit before %s (any change resets the 60 days); re-enable a workflow GitHub switched off under Actions", deadline.UTC().Format(dateLayout))
	last := d.repo.PushedAt.UTC().Format(dateLayout)
	switch {
	case left <= 0:
		return warned(fix, "last push %s: the 60 days ran out on %s; GitHub may switch export-poll and janitor off at any time", last, deadline.UTC().Format(dateLayout))
	case left < scheduleWarning:
		return warned(fix, "last push %s: without activity, GitHub switches export-poll and janitor off on %s (in %s)", last, deadline.UTC().Format(dateLayout), days(left))
	}
	return ok("last push %s: scheduled workflows stay on until at least %s without activity (in %s)", last, deadline.UTC().Format(dateLayout), days(left))
}

// days counts whole days, a part of a day as one: "in 10 days" until a deadline 9.9 days off.
func days(d time.Duration) string {
	n := int(math.Ceil(d.Hours() / 24))
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

func (d *run) checkBranchProtection(ctx context.Context) Result {
	if r, ok := d.needRepo(); !ok {
		return r
	}
	branch := d.repo.DefaultBranch
	classic, classicErr := d.gh.BranchProtection(ctx, branch)
	rulesets, rulesetErr := d.gh.BranchRulesets(ctx, branch)
	if rulesetErr != nil && !errors.Is(rulesetErr, github.ErrNotFound) {
		return failed("re-run when GitHub answers", "cannot read the rulesets of %s: %s", branch, oneLine(rulesetErr))
	}
	unreadable := errors.Is(classicErr, github.ErrPermission)
	switch {
	case unreadable, errors.Is(classicErr, github.ErrNotFound):
		classic = nil
	case classicErr != nil:
		return failed("re-run when GitHub answers", "cannot read the protection of %s: %s", branch, oneLine(classicErr))
	}
	merged := &github.MergeRules{}
	var sources []string
	for _, r := range []*github.MergeRules{classic, rulesets} {
		if r == nil || (len(r.Contexts) == 0 && r.Approvals == 0) {
			continue
		}
		merged.Contexts = append(merged.Contexts, r.Contexts...)
		merged.Approvals = max(merged.Approvals, r.Approvals)
		if r == classic {
			sources = append(sources, "branch protection")
		} else {
			sources = append(sources, "rulesets")
		}
	}
	fix := fmt.Sprintf("Settings → Branches (or Rules → Rulesets) for %s: require a pull request with at least one approval, and the status check %s", branch, RequiredStatus)
	var lacking []string
	if !merged.Requires(RequiredStatus) {
		lacking = append(lacking, "the status "+RequiredStatus)
	}
	if merged.Approvals < 1 {
		lacking = append(lacking, "an approving review")
	}
	switch {
	case len(lacking) == 0:
		return ok("%s requires %s and %s (%s)", branch, RequiredStatus, words.Count(merged.Approvals, "approving review", "approving reviews"), strings.Join(sources, " and "))
	case unreadable:
		return warned("look at Settings → Branches by hand, or run doctor with an admin's token: "+fix,
			"the token may not read the classic protection of %s (it needs administration: read, which a workflow's GITHUB_TOKEN never has); rulesets lack %s",
			branch, strings.Join(lacking, " and "))
	case len(sources) == 0:
		return failed(fix, "%s is not protected: no branch protection rule and no ruleset", branch)
	}
	return failed(fix, "%s (%s) does not require %s", branch, strings.Join(sources, " and "), strings.Join(lacking, " or "))
}
