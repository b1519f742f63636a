package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/store"
)

// demoScenarios name what the built-in fake OCL does differently, and the phase the
// release must end in for the demo to have shown what it should.
var demoScenarios = map[string]release.Phase{
	"happy":              release.Done,
	"qa-warnings":        release.Done,
	"qa-errors":          release.Failed,
	"export-never-ready": release.Incomplete,
	"export-qa-errors":   release.Failed,
}

func scenarioNames() []string {
	names := make([]string, 0, len(demoScenarios))
	for n := range demoScenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// demo is one run of the release flow against the built-in fake OCL server, a generated
// dictionary and the local-folder store, on a simulated clock.
type demo struct {
	env      *environment
	out      string
	now      time.Time
	state    *release.State
	cfg      *manifest.Config
	client   *ocl.Client
	srv      *ocltest.Server
	org, src string
	version  string
}

func runDemo(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "demo", "demo [--scenario happy] [--scale small|tiny|ciel] [--seed N] [--out DIR]")
	scenario := fs.String("scenario", "happy", "what happens: "+strings.Join(scenarioNames(), ", "))
	scale := fs.String("scale", "small", "size of the generated dictionary: tiny (50 concepts), small (2,000) or ciel (55,000)")
	seed := fs.Int64("seed", 1, "seed of the generated dictionary")
	out := fs.String("out", "shepherd-demo", "output folder (replaced)")
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
	if err := os.RemoveAll(*out); err != nil {
		return err
	}
	d := &demo{env: env, out: *out, cfg: manifest.DefaultConfig(), now: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
	d.org, d.src = d.cfg.OCL.Org, d.cfg.OCL.Source
	d.version = manifest.VersionForDate(d.now)
	return d.run(ctx, *scenario, spec)
}

func (d *demo) logf(format string, args ...any) {
	fmt.Fprintf(d.env.stdout, "%s  %s\n", d.now.Format("2006-01-02 15:04"), fmt.Sprintf(format, args...))
}

// move applies an event to the release and prints the transition.
func (d *demo) move(ev release.Event, reason string) error {
	from := d.state.Phase
	if err := d.state.Apply(ev, d.now, reason, d.cfg.Poll.MaxAttempts); err != nil {
		return err
	}
	if d.state.Phase != from {
		d.logf("%-13s → %-13s %s", from, d.state.Phase, reason)
	}
	return nil
}

func (d *demo) run(ctx context.Context, scenario string, spec dataset.Spec) error {
	head, err := demoDataset(spec, scenario == "qa-errors", scenario == "qa-warnings")
	if err != nil {
		return err
	}
	plan := ocltest.ExportPlan{NonePolls: 2, BuildingPolls: 3, Ready: ocltest.ReadyRedirect302}
	if scenario == "export-never-ready" {
		plan = ocltest.ExportPlan{NonePolls: 1 << 30}
	}
	d.srv = ocltest.NewServer(ocltest.WithExportPlan(plan), ocltest.WithClock(func() time.Time { return d.now }))
	defer d.srv.Close()
	d.srv.AddSource(d.org, d.src, head, head.Version("HEAD").SupportedLocales)
	if d.client, err = ocl.NewClient(d.srv.URL(), "demo-token"); err != nil {
		return err
	}
	fmt.Fprintf(d.env.stdout, "Shepherd demo: releasing %s/%s %s (%d concepts, scenario %s) against a built-in fake OCL\n\n",
		d.org, d.src, d.version, head.Len(), scenario)

	d.state = release.New(d.version, d.now)
	m := manifest.DefaultManifest(d.version, d.cfg)
	eff, err := m.Effective(d.cfg)
	if err != nil {
		return err
	}
	if err := d.move(release.ManifestValid, "manifest "+manifest.ManifestPath(d.version)+" is valid"); err != nil {
		return err
	}
	runErr := d.flow(ctx, eff, scenario, spec)
	if werr := d.writeSummary(); werr != nil && runErr == nil {
		runErr = werr
	}
	if runErr != nil {
		return runErr
	}
	fmt.Fprintf(d.env.stdout, "\nFinal phase: %s. Look in %s/: timeline.md, reports/, artifacts/, store/, requests.log\n", d.state.Phase, d.out)
	if want := demoScenarios[scenario]; d.state.Phase != want {
		return findings("scenario %s should end in phase %s, not %s: %s", scenario, want, d.state.Phase, d.state.Last().Reason)
	}
	return nil
}

func (d *demo) flow(ctx context.Context, eff manifest.Effective, scenario string, spec dataset.Spec) error {
	// QA on HEAD, through the API.
	opts := steps.QAOptions(eff.QA, d.org, d.src)
	opts.Version, opts.Now = "HEAD", func() time.Time { return d.now }
	report, err := qa.CheckAPI(ctx, &steps.APISource{Client: d.client, Org: d.org, Source: d.src, VersionID: "HEAD"}, opts)
	if err != nil {
		return err
	}
	if err := d.writeReports("head", report); err != nil {
		return err
	}
	if report.Errors() > 0 {
		return d.move(release.StepFailed, fmt.Sprintf("QA on HEAD found %d errors (%d warnings): nothing was created on OCL", report.Errors(), report.Warnings()))
	}
	if err := d.move(release.QAPassed, fmt.Sprintf("QA on HEAD: no errors, %d warnings", report.Warnings())); err != nil {
		return err
	}

	if scenario == "export-qa-errors" {
		// Someone edits the source between QA and the version: the export shows it.
		dirty, err := demoDataset(spec, true, false)
		if err != nil {
			return err
		}
		d.srv.SetHead(d.org, d.src, dirty)
	}
	created, err := steps.CreateVersion(ctx, d.client, d.org, d.src, ocl.NewVersion{ID: d.version, Description: eff.Description, Released: eff.Released})
	if err != nil {
		return d.move(release.StepFailed, err.Error())
	}
	ev := release.VersionCreated
	if !created {
		ev = release.VersionExisted
	}
	if err := d.move(ev, fmt.Sprintf("version %s created on OCL", d.version)); err != nil {
		return err
	}

	// The scheduled poll, on a simulated clock: no real waiting.
	for d.state.Phase == release.Exporting {
		d.now = d.now.Add(d.cfg.Poll.Interval)
		poll, err := steps.PollExport(ctx, d.client, d.org, d.src, d.version)
		if err != nil {
			return d.move(release.StepFailed, err.Error())
		}
		if poll.Ready {
			if err := d.move(release.ExportReady, fmt.Sprintf("export ready after %d polls: %s", d.state.Attempts+1, poll.Status)); err != nil {
				return err
			}
			break
		}
		reason := fmt.Sprintf("no export after %d attempts over %s (last answer: %s); retry with workflow_dispatch once OCL has built it",
			d.state.Attempts+1, d.now.Sub(d.state.Transitions[len(d.state.Transitions)-1].At), poll.Status)
		if err := d.move(release.ExportNotReady, reason); err != nil {
			return err
		}
	}
	if d.state.Phase != release.ExportQA {
		return nil
	}

	exportDir := filepath.Join(d.out, "download")
	if err := os.MkdirAll(exportDir, 0o755); err != nil {
		return err
	}
	dl, err := d.client.DownloadExport(ctx, d.org, d.src, d.version, filepath.Join(exportDir, d.src+"_"+d.version+".zip"), 2<<30)
	if err != nil {
		return d.move(release.StepFailed, err.Error())
	}
	d.logf("downloaded the export: %d bytes, sha256 %s", dl.Size, dl.SHA256[:16]+"…")
	opts.Version = d.version
	exportReport, err := qa.CheckExport(ctx, dl.Path, opts)
	if err != nil {
		return d.move(release.StepFailed, err.Error())
	}
	if err := d.writeReports(d.version, exportReport); err != nil {
		return err
	}
	if exportReport.Errors() > 0 {
		return d.move(release.StepFailed, fmt.Sprintf("QA of the export found %d errors: the export scripts did not run", exportReport.Errors()))
	}
	if err := d.move(release.ExportQAPassed, fmt.Sprintf("QA of the export: no errors, %d warnings", exportReport.Warnings())); err != nil {
		return err
	}

	var formats []export.Format
	for _, e := range eff.Exports {
		if f, err := export.ParseFormat(string(e.Format)); err == nil {
			formats = append(formats, f)
		}
	}
	artDir := filepath.Join(d.out, "artifacts")
	arts, err := steps.BuildSQL(ctx, dl.Path, artDir, d.version, formats)
	if err == nil {
		err = steps.WriteIndex(artDir, d.org+"/"+d.src, d.version, arts, &exportReport.Summary, d.now, d.cfg.Retention)
	}
	if err != nil {
		return d.move(release.StepFailed, err.Error())
	}
	names := make([]string, len(arts))
	for i, a := range arts {
		names[i] = fmt.Sprintf("%s (%d bytes)", a.Name, a.Size)
	}
	if err := d.move(release.ScriptsFinished, "built "+strings.Join(names, ", ")+", SHA256SUMS, manifest.json"); err != nil {
		return err
	}

	st, err := store.NewLocal(filepath.Join(d.out, "store"), store.WithClock(func() time.Time { return d.now }))
	if err != nil {
		return err
	}
	if _, err := st.EnsureRetention(ctx, d.cfg.Storage.Prefix, int(d.cfg.Retention/(24*time.Hour))); err != nil {
		return err
	}
	downloads, err := steps.Publish(ctx, st, d.cfg.Storage.Prefix, d.version, artDir, arts, d.now, d.now, d.cfg.Retention)
	if err != nil {
		return d.move(release.StepFailed, err.Error())
	}
	for _, dl := range downloads {
		d.logf("stored %s, link valid until %s, deleted on %s", dl.Key, dl.ValidUntil.Format("2006-01-02 15:04"), dl.DeleteAt.Format("2006-01-02"))
	}
	return d.move(release.Published, fmt.Sprintf("%d files stored for %s", len(downloads), manifest.FormatDuration(d.cfg.Retention)))
}

// demoDataset generates HEAD, with one error or one warning planted when asked.
func demoDataset(spec dataset.Spec, withError, withWarning bool) (*dataset.Dataset, error) {
	switch {
	case withError:
		spec.Inject = []dataset.Injection{{Rule: "FR-01", Index: -1}, {Rule: "XR-01", Index: -1}}
	case withWarning:
		spec.Inject = []dataset.Injection{{Rule: "FR-19", Index: -1}}
	}
	return dataset.New(spec)
}

func (d *demo) writeReports(name string, r *qa.Report) error {
	dir := filepath.Join(d.out, "reports")
	for _, f := range []struct{ format, ext string }{{"json", "json"}, {"md", "md"}, {"html", "html"}} {
		renderer, err := render.Format(f.format, render.Options{RuleTitle: ruleTitle})
		if err != nil {
			return err
		}
		path := filepath.Join(dir, "qa-"+name+"."+f.ext)
		if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return renderer(w, r) }); err != nil {
			return err
		}
	}
	d.logf("QA of %s: %d concepts, %d mappings → %d errors, %d warnings (reports/qa-%s.{json,md,html})",
		name, r.Summary.ConceptsChecked, r.Summary.MappingsChecked, r.Errors(), r.Warnings(), name)
	return nil
}

// writeSummary records the timeline and every request the fake OCL received.
func (d *demo) writeSummary() error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Release %s: %s\n\n| time (UTC) | from | to | reason |\n| --- | --- | --- | --- |\n", d.version, d.state.Phase)
	for _, t := range d.state.Transitions {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.At.Format("2006-01-02 15:04"), t.From, t.To, t.Reason)
	}
	fmt.Fprintf(&b, "\nExport polls: %d over %s.\n", d.state.Attempts, d.state.Waited())
	if err := atomicfile.WriteBytes(filepath.Join(d.out, "timeline.md"), 0o644, []byte(b.String())); err != nil {
		return err
	}
	var log strings.Builder
	for _, r := range d.srv.Requests() {
		q := ""
		if r.Query != "" {
			q = "?" + r.Query
		}
		fmt.Fprintf(&log, "%s %s %s%s → %d\n", r.Origin, r.Method, r.Path, q, r.Status)
	}
	return atomicfile.WriteBytes(filepath.Join(d.out, "requests.log"), 0o644, []byte(log.String()))
}
