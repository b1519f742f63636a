package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/site"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/words"
)

// stepFlags are the flags every release step shares.
type stepFlags struct {
	config, repo, workDir, logFormat string
	dryRun                           bool
}

func addStepFlags(fs *flag.FlagSet, env *environment) *stepFlags {
	f := &stepFlags{}
	fs.StringVar(&f.config, "config", defaultConfigPath, "repository configuration")
	fs.StringVar(&f.repo, "repo", env.getenv("GITHUB_REPOSITORY"), "OWNER/NAME of the release repository (default $GITHUB_REPOSITORY)")
	fs.StringVar(&f.workDir, "work-dir", "", "scratch folder for downloads and artifacts (default: a new temporary folder)")
	fs.StringVar(&f.logFormat, "log", "text", "log format on standard error: text or json")
	fs.BoolVar(&f.dryRun, "dry-run", false, "read everything, change nothing, and log what would be done")
	return f
}

// connect builds the steps' Env from the flags and the environment's credentials.
func (f *stepFlags) connect(ctx context.Context, env *environment) (*steps.Env, error) {
	owner, repo, ok := strings.Cut(f.repo, "/")
	if !ok || owner == "" || repo == "" {
		return nil, usageError("--repo %q: expected OWNER/NAME (or set GITHUB_REPOSITORY)", f.repo)
	}
	if err := oneOf("log", f.logFormat, "text", "json"); err != nil {
		return nil, err
	}
	cfg, err := manifest.LoadConfig(f.config)
	if err != nil {
		return nil, usageError("%v", err)
	}
	var handler slog.Handler = slog.NewTextHandler(env.stderr, nil)
	if f.logFormat == "json" {
		handler = slog.NewJSONHandler(env.stderr, nil)
	}
	e, err := steps.NewEnv(ctx, steps.EnvOptions{Config: cfg, Owner: owner, Repo: repo, Getenv: env.getenv,
		WorkDir: f.workDir, DryRun: f.dryRun, Logger: slog.New(handler)})
	if err != nil {
		return nil, usageError("%v", err)
	}
	return e, nil
}

// loadReleaseManifest reads releases/<version>.yaml from the working tree.
func loadReleaseManifest(version string) (*manifest.Manifest, error) {
	if version == "" {
		return nil, usageError("--version is required")
	}
	if _, err := manifest.ParseVersion(version); err != nil {
		return nil, usageError("--version %q: %v", version, err)
	}
	m, err := manifest.LoadManifest(manifest.ManifestPath(version))
	if err != nil {
		return nil, usageError("%v", err)
	}
	return m, nil
}

// reportRecord prints where a release stands, and fails (exit 1) when it failed.
func reportRecord(env *environment, rec *steps.Record) error {
	fmt.Fprintf(env.stdout, "release %s: %s (issue #%d) — %s\n", rec.Release.Version, rec.Release.Phase, rec.Issue, rec.Release.Last().Reason)
	if rec.Release.Phase == release.Failed {
		return findings("release %s failed", rec.Release.Version)
	}
	return nil
}

func runMerge(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "merge", "merge --version vYYYY-MM-DD [--sha COMMIT] [--dry-run]")
	f := addStepFlags(fs, env)
	version := fs.String("version", "", "the release to run (its manifest is read from releases/)")
	sha := fs.String("sha", env.getenv("GITHUB_SHA"), "the merge commit the tag will point at")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := loadReleaseManifest(*version)
	if err != nil {
		return err
	}
	e, err := f.connect(ctx, env)
	if err != nil {
		return err
	}
	rec, err := e.Merged(ctx, m, *sha)
	if err != nil {
		return err
	}
	return reportRecord(env, rec)
}

func runPoll(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "poll", "poll [--version vYYYY-MM-DD] [--dry-run]")
	f := addStepFlags(fs, env)
	version := fs.String("version", "", "poll only this release (default: every release waiting for its export)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	e, err := f.connect(ctx, env)
	if err != nil {
		return err
	}
	if *version != "" {
		rec, err := e.PollOne(ctx, *version)
		if err != nil {
			return err
		}
		return reportRecord(env, rec)
	}
	out, err := e.Poll(ctx)
	if paused, ok := errors.AsType[*steps.PausedError](err); ok {
		fmt.Fprintln(env.stdout, paused.Error())
		return nil
	}
	if err != nil {
		return err
	}
	failed := 0
	for _, o := range out {
		status := "ok"
		if o.Err != nil {
			status, failed = "error: "+o.Err.Error(), failed+1
		}
		fmt.Fprintf(env.stdout, "release %s (issue #%d): %s → %s, %s\n", o.Version, o.Issue, o.From, o.To, status)
	}
	if len(out) == 0 {
		fmt.Fprintln(env.stdout, "no release is waiting for its export")
	}
	if failed > 0 {
		return fmt.Errorf("%s could not be polled; the next run tries again", words.Count(failed, "release", "releases"))
	}
	return nil
}

func runJanitor(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "janitor", "janitor [--dry-run]")
	f := addStepFlags(fs, env)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	e, err := f.connect(ctx, env)
	if err != nil {
		return err
	}
	out, err := e.Janitor(ctx)
	if paused, ok := errors.AsType[*steps.PausedError](err); ok {
		fmt.Fprintln(env.stdout, paused.Error())
		return nil
	}
	if err != nil {
		return err
	}
	failed := 0
	for _, o := range out {
		switch {
		case o.Err != nil:
			failed++
			fmt.Fprintf(env.stdout, "release %s: error: %v\n", o.Version, o.Err)
		case o.Removed:
			fmt.Fprintf(env.stdout, "release %s: files removed (retention over)\n", o.Version)
		case o.Reissued > 0:
			fmt.Fprintf(env.stdout, "release %s: %s re-issued\n", o.Version, words.Count(o.Reissued, "download link", "download links"))
		case o.Reminded && o.PR != 0:
			fmt.Fprintf(env.stdout, "PR #%d: review reminder posted (its preview is green and it has waited for an approval longer than reminders.review_days)%s\n", o.PR, whoCanAct(o.Reminder))
		case o.Reminded:
			fmt.Fprintf(env.stdout, "release %s: reminder posted (it has waited in its phase or channel longer than reminders allow)%s\n", o.Version, whoCanAct(o.Reminder))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%s could not be tidied; the next run tries again", words.Count(failed, "release", "releases"))
	}
	return nil
}

func runRetry(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "retry", "retry --version vYYYY-MM-DD [--dry-run]")
	f := addStepFlags(fs, env)
	version := fs.String("version", "", "the failed or incomplete release to carry on")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := loadReleaseManifest(*version)
	if err != nil {
		return err
	}
	e, err := f.connect(ctx, env)
	if err != nil {
		return err
	}
	rec, err := e.Retry(ctx, m)
	if err != nil {
		return err
	}
	return reportRecord(env, rec)
}

func runStatus(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "status", "status --version vYYYY-MM-DD | --all [--json]")
	f := addStepFlags(fs, env)
	version := fs.String("version", "", "the release to show")
	all := fs.Bool("all", false, "every release the bot knows: phase, channel, and which one is deployable")
	asJSON := fs.Bool("json", false, "print the whole record (with --all: every release) as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*version == "") == !*all {
		return usageError("give either --version or --all")
	}
	e, err := f.connect(ctx, env)
	if err != nil {
		return err
	}
	if *all {
		return statusAll(ctx, env, e, *asJSON)
	}
	rec, err := e.Status(ctx, *version)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rec)
	}
	fmt.Fprintln(env.stdout, steps.RenderStatus(rec, e.Config, e.Now()))
	return nil
}

// statusAll prints every release the bot knows as a table or as JSON; a record that
// cannot be read is listed and makes the command exit 1.
func statusAll(ctx context.Context, env *environment, e *steps.Env, asJSON bool) error {
	known, err := e.Releases(ctx)
	if err != nil {
		return err
	}
	releases, problems := steps.SiteReleases(known, e.Now())
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		if releases == nil {
			releases = []site.Release{}
		}
		if err := enc.Encode(struct {
			Releases []site.Release `json:"releases"`
			Problems []string       `json:"problems,omitempty"`
		}{releases, problems}); err != nil {
			return err
		}
	} else {
		writeStatusTable(env.stdout, releases, problems)
	}
	if len(problems) > 0 {
		return findings("%s could not be read", words.Count(len(problems), "release record", "release records"))
	}
	return nil
}

func writeStatusTable(w io.Writer, releases []site.Release, problems []string) {
	if len(releases) == 0 && len(problems) == 0 {
		fmt.Fprintln(w, "Shepherd knows no release yet.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tPHASE\tCHANNEL\tDEPLOYABLE\tLAST CHANGE\tISSUE")
	for _, r := range releases {
		channel := r.Channel
		if channel == "" {
			channel = "-"
		}
		deployable := "yes"
		switch {
		case r.Latest:
			deployable = "yes, the latest"
		case r.Withdrawn:
			deployable = "no: withdrawn"
		case !r.Deployable:
			deployable = "no: " + r.Blockers[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t#%d\n", r.Version, r.Phase, channel, deployable, r.Updated.UTC().Format("2006-01-02 15:04"), r.Issue)
	}
	tw.Flush()
	latest := "none"
	for _, r := range releases {
		if r.Latest {
			latest = r.Version
		}
	}
	fmt.Fprintf(w, "\nLatest deployable release: %s\n", latest)
	for _, p := range problems {
		fmt.Fprintln(w, p)
	}
}

// runSite writes the release site.
func runSite(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "site", "site --out DIR")
	f := addStepFlags(fs, env)
	out := fs.String("out", "", "folder to write the site into (replaced)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError("--out is required")
	}
	e, err := f.connect(ctx, env)
	if err != nil {
		return err
	}
	return writeSite(ctx, env, e, *out)
}

// writeSite builds the site from what e knows and says what it wrote.
func writeSite(ctx context.Context, env *environment, e *steps.Env, out string) error {
	model, err := e.SiteModel(ctx)
	if err != nil {
		return err
	}
	if err := site.Build(model, out); err != nil {
		return err
	}
	latest := "no release is deployable"
	if l := model.LatestDeployable(); l != nil {
		latest = "the latest deployable release is " + l.Version
	}
	fmt.Fprintf(env.stdout, "site written to %s: %s, %s\n", out, words.Count(len(model.Releases), "release", "releases"), latest)
	return nil
}

func runStartRelease(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "start-release", "start-release [--version vYYYY-MM-DD] [--dry-run]")
	f := addStepFlags(fs, env)
	version := fs.String("version", manifest.VersionForDate(timeNow()), "version to release (default: v + today's UTC date)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	e, err := f.connect(ctx, env)
	if err != nil {
		return err
	}
	pr, created, err := e.StartRelease(ctx, *version)
	if err != nil {
		return err
	}
	verb := "found the open"
	if created {
		verb = "opened"
	}
	fmt.Fprintf(env.stdout, "%s release pull request #%d %s\n", verb, pr.Number, pr.URL)
	return nil
}

func runPreview(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "preview", "preview --pr N [--fork] [--dry-run]")
	f := addStepFlags(fs, env)
	pr := fs.Int("pr", 0, "the release pull request")
	fork := fs.Bool("fork", false, "the PR comes from a fork: validate the manifests only")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *pr <= 0 {
		return usageError("--pr is required")
	}
	e, err := f.connect(ctx, env)
	if err != nil {
		return err
	}
	res, err := e.Preview(ctx, *pr, *fork)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, res.Comment)
	if !res.Passed {
		return findings("the release pull request cannot merge as it is")
	}
	return nil
}

func runFreeze(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "freeze", "freeze [--pr N] [--dry-run]")
	f := addStepFlags(fs, env)
	pr := fs.Int("pr", 0, "set the status of this pull request only (default: every open one into the default branch)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	e, err := f.connect(ctx, env)
	if err != nil {
		return err
	}
	w, err := e.ActiveFreeze(ctx)
	if err != nil {
		return err
	}
	if w == nil {
		fmt.Fprintln(env.stdout, "no code freeze in force")
	} else {
		fmt.Fprintf(env.stdout, "code freeze after %s (issue #%d) until %s\n", w.Version, w.Issue.Number, w.Until.UTC().Format("2006-01-02 15:04 UTC"))
	}
	var checks []*steps.FreezeCheck
	if *pr > 0 {
		c, err := e.CheckFreeze(ctx, *pr)
		if err != nil {
			return err
		}
		checks = append(checks, c)
	} else if checks, err = e.RecheckFreeze(ctx); err != nil {
		return err
	}
	if len(checks) == 0 {
		fmt.Fprintln(env.stdout, "no open pull request into the default branch")
	}
	for _, c := range checks {
		if c.State == "" {
			fmt.Fprintf(env.stdout, "#%d: no status (closed, or not into the default branch)\n", c.PR)
			continue
		}
		fmt.Fprintf(env.stdout, "#%d: %s: %s\n", c.PR, c.State, c.Description)
	}
	return nil
}

// whoCanAct is the end of a reminder's line: whom it named.
func whoCanAct(r *steps.Reminder) string {
	if r == nil || len(r.Mentioned) == 0 {
		return "; it could name nobody who may act"
	}
	return "; who can act: @" + strings.Join(r.Mentioned, " @")
}
