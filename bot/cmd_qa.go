package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/words"
)

func runQA(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "qa", "qa (--export FILE | --version HEAD [--source ORG/SOURCE]) [--format json|md|html] [--out FILE] [--previous REPORT.json]")
	exportPath := fs.String("export", "", "an OCL export file (zip holding export.json, or export.json itself)")
	version := fs.String("version", "", "a version to read through the OCL API, usually HEAD")
	sourceFlag := fs.String("source", "", "ORG/SOURCE to check (default: the configuration's; for --export, the export's own metadata unless the configuration names a source)")
	format := fs.String("format", "md", "report format: json, md or html")
	out := fs.String("out", "", "write the report to this file (default: standard output)")
	previous := fs.String("previous", "", "a previous JSON report: say what is new, fixed and unchanged")
	configPath := fs.String("config", defaultConfigPath, "repository configuration (QA overrides, OCL settings)")
	quiet := fs.Bool("quiet", false, "no progress on standard error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*exportPath == "") == (*version == "") {
		return usageError("give exactly one of --export FILE or --version HEAD")
	}
	if err := oneOf("format", *format, "json", "md", "markdown", "html"); err != nil {
		return err
	}
	cfg, err := manifest.LoadConfig(*configPath)
	if err != nil {
		return usageError("%v", err)
	}
	org, source := cfg.OCL.Org, cfg.OCL.Source
	configured := cfg.Sets("ocl.org") || cfg.Sets("ocl.source")
	sourceFrom := "configuration"
	if !configured {
		sourceFrom = "default"
	}
	if *exportPath != "" && !configured {
		// An export says which source and version it holds: a default would mislabel a
		// collection or another source's export.
		org, source, sourceFrom = "", "", ""
	}
	if *sourceFlag != "" {
		o, s, ok := strings.Cut(*sourceFlag, "/")
		if !ok || o == "" || s == "" || strings.Contains(s, "/") {
			return usageError("--source %q: expected ORG/SOURCE, like CIEL/CIEL", *sourceFlag)
		}
		org, source, sourceFrom = o, s, "--source"
	}
	var prev *qa.Report
	if *previous != "" {
		if prev, err = readReport(*previous); err != nil {
			return usageError("--previous: %v", err)
		}
	}
	renderer, err := render.Format(*format, render.Options{RuleTitle: ruleTitle})
	if err != nil {
		return usageError("%v", err)
	}
	opts := steps.QAOptions(cfg.QA, org, source)
	opts.SourceFrom = sourceFrom
	opts.ExportLimits = steps.ExportLimits(cfg.ExportLimits)
	if !*quiet {
		opts.Progress = progressPrinter(env.stderr)
	}
	if err := opts.Validate(); err != nil {
		return usageError("%v", err)
	}

	var report *qa.Report
	if *exportPath != "" {
		report, err = qa.CheckExport(ctx, *exportPath, opts)
	} else {
		token := env.getenv(cfg.OCL.TokenEnv)
		client, cerr := ocl.NewClient(cfg.OCL.BaseURL, token, steps.OCLOptions(cfg)...)
		if cerr != nil {
			return usageError("%v", cerr)
		}
		opts.Version = *version
		report, err = steps.CheckAPI(ctx, steps.NewAPISource(client, cfg, org, source, *version), opts)
		if err != nil && token == "" && errors.Is(err, ocl.ErrUnauthorized) {
			err = fmt.Errorf("%w (no token was sent: %s is not set)", err, cfg.OCL.TokenEnv)
		}
	}
	if err != nil {
		return err // cannot run: exit 2, the error names the file and place
	}
	if prev != nil {
		report.Comparison = qa.Compare(prev, report)
	}
	if err := writeOutput(env.stdout, *out, func(w io.Writer) error { return renderer(w, report) }); err != nil {
		return err
	}
	s := report.Summary
	shownVersion := s.Version
	if shownVersion == "" {
		shownVersion = "(no version)" // a 2015-era export of a whole source
	}
	how := s.Input
	if s.SourceFrom != "" {
		how += ", source from " + s.SourceFrom
	}
	fmt.Fprintf(env.stderr, "QA of %s %s (%s): %s, %s: %s\n",
		s.Source, shownVersion, how, words.Count(s.ConceptsChecked, "concept", "concepts"), words.Count(s.MappingsChecked, "mapping", "mappings"),
		render.Verdict(report.Errors(), report.Warnings(), s.BySeverity[qa.SeverityInfo]))
	if report.Errors() > 0 {
		return findings("%s found: the release would stop", words.Count(report.Errors(), "error", "errors"))
	}
	return nil
}

func readReport(path string) (*qa.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := qa.ReadReport(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// writeOutput writes to a file atomically, or to stdout when path is empty.
func writeOutput(stdout io.Writer, path string, fill func(io.Writer) error) error {
	if path == "" {
		return fill(stdout)
	}
	return atomicfile.Write(path, 0o644, fill)
}

// ruleTitle gives the renderers each rule's one-line description.
func ruleTitle(id string) string {
	for _, r := range qa.Rules() {
		if r.ID == id {
			return r.Title
		}
	}
	return ""
}

// progressPrinter reports long runs on stderr at most every two seconds.
func progressPrinter(w io.Writer) func(concepts, mappings int) {
	var last time.Time
	start := time.Now()
	return func(concepts, mappings int) {
		if time.Since(last) < 2*time.Second {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "… %s, %s checked (%s)\n", words.Count(concepts, "concept", "concepts"), words.Count(mappings, "mapping", "mappings"), words.Duration(time.Since(start)))
	}
}
