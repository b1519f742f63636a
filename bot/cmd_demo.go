package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/bundle"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/site"
	"github.com/shepherd-release/shepherd/internal/sshsig"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/words"
)

// demoScenario is what the built-in fakes do differently, and the phase the release must
// end in for the demo to have shown what it should.
type demoScenario struct {
	end         release.Phase
	description string
}

var demoScenarios = map[string]demoScenario{
	"happy":              {release.Done, "everything goes well"},
	"qa-warnings":        {release.Done, "QA on HEAD finds a warning: the release goes on and says so"},
	"qa-errors":          {release.Failed, "QA on HEAD finds errors: the release stops, nothing is created on OCL"},
	"export-never-ready": {release.Incomplete, "OCL never builds the export: the release is incomplete after 72 polls"},
	"export-qa-errors":   {release.Failed, "the source is edited while version creation waits for approval: the export's QA stops the release"},
	"script-fails":       {release.Failed, "an extra export script exits non-zero: the release fails, quoting its log"},
	"rollout":            {release.Done, "the published release is promoted by comments to staged, waits out the grace period, and goes to production"},
}

func scenarioNames() []string {
	names := make([]string, 0, len(demoScenarios))
	for n := range demoScenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func runDemo(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "demo", "demo [--scenario happy] [--scale small|tiny|ciel] [--seed N] [--out DIR] [--force]")
	scenario := fs.String("scenario", "happy", "what happens: "+strings.Join(scenarioNames(), ", "))
	scale := fs.String("scale", "small", "size of the generated dictionary: tiny (50 concepts), small (2,000) or ciel (55,000)")
	seed := fs.Int64("seed", 1, "seed of the generated dictionary")
	out := fs.String("out", "shepherd-demo", "output folder: created, or replaced when an earlier demo wrote it (it holds "+demoMarker+")")
	force := fs.Bool("force", false, "replace --out even when no demo wrote it (everything in it is deleted)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := oneOf("scenario", *scenario, scenarioNames()...); err != nil {
		return err
	}
	if err := oneOf("scale", *scale, "tiny", "small", "ciel"); err != nil {
		return err
	}
	spec := map[string]dataset.Spec{"tiny": dataset.Tiny, "small": dataset.Small, "ciel": dataset.CIEL}[*scale]
	spec.Seed = *seed
	if err := prepareDemoFolder(*out, *force); err != nil {
		return err
	}
	return runDemoScenario(ctx, env, *scenario, spec, *out)
}

// demoMarker is the file a demo leaves in its output folder: a later demo replaces only a
// folder that holds it (or an empty one), never one it did not write.
const demoMarker = ".shepherd-demo"

// prepareDemoFolder makes out an empty folder holding the marker. An existing folder is
// cleared only when it is empty, holds the marker, or force is set.
func prepareDemoFolder(out string, force bool) error {
	info, err := os.Stat(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case !info.IsDir():
		return usageError("--out %s is a file, not a folder: choose another --out", out)
	default:
		entries, err := os.ReadDir(out)
		if err != nil {
			return err
		}
		_, markErr := os.Stat(filepath.Join(out, demoMarker))
		if len(entries) > 0 && markErr != nil && !force {
			return usageError("--out %s already exists and no demo wrote it (it has no %s file): choose another --out, or pass --force to delete everything in it",
				out, demoMarker)
		}
		if err := os.RemoveAll(out); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, demoMarker),
		[]byte("Written by `shepherd demo`: the next demo with this --out replaces this folder.\n"), 0o644)
}

// demoPlan is OCL's export: not there for two polls, being built for three, then ready.
var demoPlan = ocltest.ExportPlan{NonePolls: 2, BuildingPolls: 3, Ready: ocltest.ReadyRedirect302}

func runDemoScenario(ctx context.Context, env *environment, scenario string, spec dataset.Spec, out string) error {
	sc := demoScenarios[scenario]
	cfg := manifest.DefaultConfig()
	plan := demoPlan
	dirty := spec
	dirty.Inject = []dataset.Injection{{Rule: "FR-01", Index: -1}, {Rule: "XR-01", Index: -1}}
	switch scenario {
	case "qa-errors":
		spec = dirty
	case "qa-warnings":
		spec.Inject = []dataset.Injection{{Rule: "FR-19", Index: -1}}
	case "export-never-ready":
		plan = ocltest.ExportPlan{Ready: ocltest.NeverReady}
	case "script-fails":
		cfg.Exports = append(cfg.Exports, manifest.ExportSpec{Name: "liquibase-check", Format: manifest.FormatScript, Timeout: time.Minute,
			Command: []string{"/bin/sh", "-c", `echo "checking $SHEPHERD_EXPORT for $SHEPHERD_VERSION"; echo "ERROR: changeset 2.2-42 failed: table concept_numeric has no column precise" >&2; exit 3`}})
	}

	demoEnv, err := demoSigningKey(cfg, out)
	if err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(out, "shepherd.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	timeline := &timelinePrinter{w: env.stdout}
	sb, err := sandbox.New(ctx, sandbox.Options{
		Dir: filepath.Join(out, ".sandbox"), Head: spec, Plan: plan, Config: cfg, Env: demoEnv,
		Logger: slog.New(&demoHandler{json: slog.NewJSONHandler(logFile, nil), timeline: timeline}),
	})
	if err != nil {
		return err
	}
	defer sb.Close()
	timeline.now = sb.Clock.Now
	version := manifest.VersionForDate(sb.Clock.Now())
	fmt.Fprintf(env.stdout, "Shepherd demo, scenario %q: %s.\nReleasing %s/%s %s: %s, built-in fake GitHub and OCL, local store, simulated clock.\n\n",
		scenario, sc.description, cfg.OCL.Org, cfg.OCL.Source, version, words.Count(sb.Head.Len(), "concept", "concepts"))

	rec, runErr := demoRelease(ctx, sb, timeline, version, scenario, dirty)
	if err := writeDemoOutputs(ctx, sb, version, out); err != nil && runErr == nil {
		runErr = err
	}
	if runErr == nil {
		runErr = writeDemoSite(ctx, sb, timeline, filepath.Join(out, "site"))
	}
	if runErr != nil {
		return runErr
	}
	fmt.Fprintf(env.stdout, "\nFinal phase: %s. Read the release in %s/: site/index.html, status.md, comments/, reports/, artifacts/, requests.log (and shepherd.log, every decision as JSON).\n", rec.Release.Phase, out)
	if rec.Bundle != nil {
		if err := demoVerify(ctx, env, out, rec.Bundle.Name); err != nil {
			return err
		}
	}
	if rec.Release.Phase != sc.end {
		return findings("scenario %s should end in phase %s, not %s: %s", scenario, sc.end, rec.Release.Phase, rec.Release.Last().Reason)
	}
	return nil
}

// demoRelease is what people and GitHub do, in order, around Shepherd's steps.
func demoRelease(ctx context.Context, sb *sandbox.Sandbox, tl *timelinePrinter, version, scenario string, dirty dataset.Spec) (*steps.Record, error) {
	e := sb.Env
	pr, _, err := e.StartRelease(ctx, version)
	if err != nil {
		return nil, err
	}
	tl.say("a maintainer starts the release from the Actions tab: PR #%d adds %s", pr.Number, manifest.ManifestPath(version))
	preview, err := e.Preview(ctx, pr.Number, false)
	if err != nil {
		return nil, err
	}
	if preview.Report != nil {
		tl.say("PR preview: QA on HEAD found %s; status shepherd/qa set; one comment on the PR", render.Verdict(preview.Report.Errors(), preview.Report.Warnings(), 0))
	}
	sb.Clock.Advance(2 * time.Hour)
	sha, err := e.GitHub.MergePullRequest(ctx, pr.Number, "Release "+version)
	if err != nil {
		return nil, err
	}
	tl.say("reviewers approve; PR #%d is merged as %s", pr.Number, sha[:7])
	content, err := e.GitHub.FileAt(ctx, manifest.ManifestPath(version), "main")
	if err != nil {
		return nil, err
	}
	m, err := manifest.ParseManifest(manifest.ManifestPath(version), []byte(content))
	if err != nil {
		return nil, err
	}
	stop := release.Exporting
	if scenario == "export-qa-errors" {
		stop = release.Deploy // a GitHub environment holds version creation for approval
	}
	rec, err := e.MergedUntil(ctx, m, sha, stop)
	if err != nil {
		return rec, err
	}
	if scenario == "export-qa-errors" && rec.Release.Phase == release.Deploy {
		head, err := dataset.New(dirty)
		if err != nil {
			return rec, err
		}
		sb.OCL.SetHead(sb.Config.OCL.Org, sb.Config.OCL.Source, head)
		sb.Clock.Advance(time.Hour)
		tl.say("while version creation waits for approval, an editor changes the source on OCL; then the environment's reviewer approves")
		if rec, err = e.Merged(ctx, m, sha); err != nil {
			return rec, err
		}
	}
	// The scheduled workflow: every 10 minutes, as many ticks as the release needs.
	for tick := 0; tick < sb.Config.Poll.MaxAttempts+5; tick++ {
		if rec.Release.Phase.Terminal() {
			break
		}
		sb.Clock.Advance(sb.Config.Poll.Interval)
		if _, err := e.Poll(ctx); err != nil {
			return rec, err
		}
		if rec, err = e.Status(ctx, version); err != nil {
			return rec, err
		}
	}
	if scenario == "rollout" && rec.Release.Phase == release.Done {
		return demoRollout(ctx, sb, tl, rec)
	}
	return rec, nil
}

// demoRollout is people moving the published release through the channels by comments on
// its tracking issue, over the grace period on the simulated clock.
func demoRollout(ctx context.Context, sb *sandbox.Sandbox, tl *timelinePrinter, rec *steps.Record) (*steps.Record, error) {
	sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, "maria", "maintain")
	sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, "tom", "triage")
	say := func(login, body string) error {
		id := sb.GitHub.AddComment(sandbox.Owner, sandbox.Repo, rec.Issue, login, body)
		out, err := sb.Env.Command(ctx, steps.CommandInput{Issue: rec.Issue, Comment: id, Body: body, Author: login})
		if err != nil {
			return err
		}
		what := "done"
		if !out.Acted {
			what = "not done; Shepherd replies: " + strings.SplitN(out.Reply, "\n", 2)[0]
		}
		tl.say("@%s comments `%s` on issue #%d: %s", login, body, rec.Issue, what)
		return nil
	}
	grace := sb.Config.Rollout.GracePeriod
	steps := []struct {
		wait        time.Duration
		login, body string
	}{
		{time.Hour, "maria", "/shepherd promote \"checked on the demo server\""},
		{time.Hour, "tom", "/shepherd promote"},
		{2 * 24 * time.Hour, "maria", "/shepherd promote"},
		{grace, "maria", "/shepherd promote"},
		{3 * 24 * time.Hour, "maria", "/shepherd done success \"three sites loaded it\""},
	}
	for _, st := range steps {
		sb.Clock.Advance(st.wait)
		if err := say(st.login, st.body); err != nil {
			return rec, err
		}
	}
	// The daily janitor keeps production's files and links past the 21 days.
	if _, err := sb.Env.Janitor(ctx); err != nil {
		return rec, err
	}
	rec, err := sb.Env.Status(ctx, rec.Release.Version)
	if err != nil {
		return rec, err
	}
	if ch := rec.Release.Channel(); ch != release.Production {
		return rec, findings("the rollout should end in production, not %s", ch)
	}
	return rec, nil
}

// writeDemoSite builds the release site as the site workflow would after the release.
func writeDemoSite(ctx context.Context, sb *sandbox.Sandbox, tl *timelinePrinter, dir string) error {
	start := time.Now()
	model, err := sb.Env.SiteModel(ctx)
	if err != nil {
		return err
	}
	if err := site.Build(model, dir); err != nil {
		return err
	}
	tl.say("the site workflow rebuilds the release site (%s): %s in %s",
		filepath.Join(filepath.Base(filepath.Dir(dir)), "site", "index.html"), words.Count(len(model.Releases), "release", "releases"), time.Since(start).Round(time.Millisecond))
	return nil
}

// writeDemoOutputs copies what the release left on the fakes into plain files.
func writeDemoOutputs(ctx context.Context, sb *sandbox.Sandbox, version, out string) error {
	var issueBody string
	var trackingIssue int
	for _, i := range sb.GitHub.Issues(sandbox.Owner, sandbox.Repo) {
		if !i.IsPullRequest() && strings.Contains(i.GetBody(), "<!-- shepherd:release "+version+" -->") {
			issueBody, trackingIssue = i.GetBody(), i.GetNumber()
			break
		}
	}
	if err := atomicfile.WriteBytes(filepath.Join(out, "status.md"), 0o644, []byte(visibleStatus(issueBody)+"\n")); err != nil {
		return err
	}
	// Comments in the order they were posted: the PR's preview, then the issue's milestones.
	n := 0
	for _, number := range commentThreads(sb, trackingIssue) {
		for _, c := range sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, number) {
			n++
			name := fmt.Sprintf("%02d-%s-%d.md", n, threadName(sb, number), number)
			if err := atomicfile.WriteBytes(filepath.Join(out, "comments", name), 0o644, []byte(c.GetBody()+"\n")); err != nil {
				return err
			}
		}
	}
	if err := copyStored(ctx, sb, sb.Config.Storage.Prefix+"/"+version, out); err != nil {
		return err
	}
	var log strings.Builder
	log.WriteString("# GitHub (fake) — every request, in order\n")
	for _, r := range sb.GitHub.Requests() {
		q := ""
		if r.Query != "" {
			q = "?" + r.Query
		}
		fmt.Fprintf(&log, "github %s %s%s → %d\n", r.Method, r.Path, q, r.Status)
	}
	log.WriteString("\n# OCL (fake) — every request, in order\n")
	for _, r := range sb.OCL.Requests() {
		q := ""
		if r.Query != "" {
			q = "?" + r.Query
		}
		fmt.Fprintf(&log, "%s %s %s%s → %d\n", r.Origin, r.Method, r.Path, q, r.Status)
	}
	return atomicfile.WriteBytes(filepath.Join(out, "requests.log"), 0o644, []byte(log.String()))
}

func commentThreads(sb *sandbox.Sandbox, trackingIssue int) []int {
	var out []int
	for _, pr := range sb.GitHub.PullRequests(sandbox.Owner, sandbox.Repo) {
		out = append(out, pr.GetNumber())
	}
	if trackingIssue > 0 {
		out = append(out, trackingIssue)
	}
	return out
}

func threadName(sb *sandbox.Sandbox, number int) string {
	for _, pr := range sb.GitHub.PullRequests(sandbox.Owner, sandbox.Repo) {
		if pr.GetNumber() == number {
			return "pr"
		}
	}
	return "issue"
}

// copyStored copies the release's stored files: QA reports to reports/, the rest to artifacts/.
func copyStored(ctx context.Context, sb *sandbox.Sandbox, folder, out string) error {
	objects, err := sb.Env.Store.List(ctx, folder)
	if err != nil {
		return err
	}
	for _, o := range objects {
		name := o.Key[strings.LastIndex(o.Key, "/")+1:]
		dest := filepath.Join(out, "artifacts", name)
		if strings.HasPrefix(name, "qa-") {
			dest = filepath.Join(out, "reports", name)
		}
		src := filepath.Join(sb.Config.Storage.LocalDir, filepath.FromSlash(o.Key))
		err := atomicfile.Write(dest, 0o644, func(w io.Writer) error {
			f, err := os.Open(src)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// visibleStatus is the bot's section as people see it: the hidden state left out.
func visibleStatus(body string) string {
	var keep []string
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "<!-- shepherd:") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.TrimSpace(strings.Join(keep, "\n"))
}

// timelinePrinter prints what happens with the simulated time.
type timelinePrinter struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

func (p *timelinePrinter) say(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := ""
	if p.now != nil {
		at = p.now().UTC().Format("01-02 15:04")
	}
	fmt.Fprintf(p.w, "%s  %s\n", at, fmt.Sprintf(format, args...))
}

// demoHandler writes every log record as JSON to a file and prints the decisions people
// follow (transitions, milestones, uploads) on the timeline.
type demoHandler struct {
	json     slog.Handler
	timeline *timelinePrinter
}

func (h *demoHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.json.Enabled(ctx, l) }

func (h *demoHandler) Handle(ctx context.Context, r slog.Record) error {
	attrs := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	switch r.Message {
	case "release moved", "release failed":
		if r.Message == "release moved" {
			h.timeline.say("%-11s → %-11s %s", attrs["from"], attrs["to"], attrs["reason"])
		} else {
			h.timeline.say("%-11s → %-11s %s", attrs["in"], "failed", attrs["reason"])
		}
	case "milestone posted":
		h.timeline.say("comment posted on the tracking issue: %s", attrs["milestone"])
	case "tracking issue opened":
		h.timeline.say("tracking issue #%s opened", attrs["issue"])
	case "export not ready":
		if a := attrs["attempt"]; a == "1" || strings.HasSuffix(a, "0") {
			h.timeline.say("poll %s of %s: %s", a, attrs["max"], attrs["ocl"])
		}
	case "export downloaded":
		n, _ := strconv.Atoi(attrs["bytes"])
		h.timeline.say("export downloaded: %s, sha256 %.16s…", words.Count(n, "byte", "bytes"), attrs["sha256"])
	}
	return h.json.Handle(ctx, r)
}

func (h *demoHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &demoHandler{json: h.json.WithAttrs(as), timeline: h.timeline}
}

func (h *demoHandler) WithGroup(name string) slog.Handler {
	return &demoHandler{json: h.json.WithGroup(name), timeline: h.timeline}
}

// demoSigningKey makes a throw-away signing key for the demo, lists it in
// out/demo-allowed_signers and points the configuration at it; it returns the
// environment that holds the key. The key is labelled as a demo key everywhere it shows.
func demoSigningKey(cfg *manifest.Config, out string) (map[string]string, error) {
	key, public, err := sshsig.NewKey("DEMO KEY made by shepherd demo, not a release key")
	if err != nil {
		return nil, err
	}
	// Absolute: a relative path is read from the release repository, the sandbox's own.
	path, err := filepath.Abs(filepath.Join(out, demoAllowedSigners))
	if err != nil {
		return nil, err
	}
	cfg.Signing.AllowedSigners = path
	line := "# A key the demo made for this run only: it signs nothing real.\n" + demoPrincipal + " " + public + "\n"
	if err := atomicfile.WriteBytes(cfg.Signing.AllowedSigners, 0o644, []byte(line)); err != nil {
		return nil, err
	}
	return map[string]string{cfg.Signing.KeyEnv: string(key)}, nil
}

const (
	demoAllowedSigners = "demo-allowed_signers"
	demoPrincipal      = "demo-key@shepherd-demo.invalid"
)

// demoVerify checks the release's bundle offline, as a site would, and says so.
func demoVerify(ctx context.Context, env *environment, out, bundleName string) error {
	path := filepath.Join(out, "artifacts", bundleName)
	allowedPath := filepath.Join(out, demoAllowedSigners)
	data, err := os.ReadFile(allowedPath)
	if err != nil {
		return err
	}
	allowed, err := sshsig.ParseAllowedSigners(allowedPath, data)
	if err != nil {
		return err
	}
	report, err := bundle.Verify(ctx, path, bundle.VerifyOptions{AllowedSigners: allowed})
	if err != nil {
		return err
	}
	if !report.OK() {
		return findings("the demo's bundle does not verify: %v", report.Problems)
	}
	unpacked, err := bundle.Extract(path, filepath.Join(out, "bundle"))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Offline check of %s: %d files match SHA256SUMS, signed by the demo key (%s); the same as\n  shepherd verify %s --allowed-signers %s\nUnpacked in %s: open index.html, read RUNBOOK.md.\n",
		bundleName, report.Files, demoPrincipal, path, allowedPath, unpacked)
	return nil
}
