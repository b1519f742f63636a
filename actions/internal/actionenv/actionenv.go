// Package actionenv is what every Shepherd action shares: reading inputs and the
// workflow's context through go-githubactions, masking secrets, logging through the
// runner, and building the steps environment.
package actionenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	githubactions "github.com/sethvargo/go-githubactions"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// Options say where a run reads its environment and writes its log; tests fill them
// with fakes, Main with the process's own.
type Options struct {
	Getenv func(string) string
	Stdout io.Writer
	// Tune adjusts the steps environment before it is built (tests: clock, folders).
	Tune func(*steps.EnvOptions)
}

// Run is one invocation of an action.
type Run struct {
	Action *githubactions.Action
	Getenv func(string) string
	Config *manifest.Config
	// Workspace is the checked-out repository; relative paths are read from there.
	Workspace   string
	Owner, Repo string
	DryRun      bool
	Log         *slog.Logger
	tune        func(*steps.EnvOptions)
	// decisionLog receives every log line at info level and above as JSON.
	decisionLog *os.File
}

// DecisionLogDir is where, under RUNNER_TEMP, an action writes its decision log: one JSON
// object per line, each decision with its reasons. The reusable workflows upload the
// folder as an artifact (actions/upload-artifact), so it outlives the runner.
const DecisionLogDir = "shepherd-log"

// openDecisionLog starts the decision log file; outside Actions (no RUNNER_TEMP) there is
// none, and the log goes to the terminal only.
func (r *Run) openDecisionLog() (slog.Handler, error) {
	tmp := r.Getenv("RUNNER_TEMP")
	if tmp == "" {
		return nil, nil
	}
	dir := filepath.Join(tmp, DecisionLogDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("decision log folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "decisions-*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("decision log: %w", err)
	}
	r.decisionLog = f
	return slog.NewJSONHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo}), nil
}

func (r *Run) closeDecisionLog() error {
	if r.decisionLog == nil {
		return nil
	}
	return r.decisionLog.Close()
}

// Execute runs an action's body with the environment o gives and, when it fails, says
// why as an error annotation. The caller turns a non-nil error into exit code 1.
func Execute(ctx context.Context, o Options, body func(context.Context, *Run) error) error {
	r, err := Start(o)
	if err == nil {
		err = body(ctx, r)
		if cerr := r.closeDecisionLog(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		out := o.Stdout
		if out == nil {
			out = os.Stdout
		}
		githubactions.New(githubactions.WithWriter(out)).Errorf("%s", err.Error())
	}
	return err
}

// Start reads what every action needs: the repository, the configuration and the
// dry-run switch. Secrets are masked before anything is logged.
func Start(o Options) (*Run, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	a := githubactions.New(githubactions.WithGetenv(o.Getenv), githubactions.WithWriter(o.Stdout))
	r := &Run{Action: a, Getenv: o.Getenv, tune: o.Tune, Workspace: o.Getenv("GITHUB_WORKSPACE")}
	if r.Workspace == "" {
		r.Workspace = "."
	}
	// The default names first: a configuration that fails to load may still be logged.
	masks := &masker{action: a, getenv: o.Getenv, done: map[string]bool{}}
	masks.variables(secretVariables(manifest.DefaultConfig()))
	r.Log = slog.New(NewHandler(a, slog.LevelDebug))
	if file, err := r.openDecisionLog(); err != nil {
		return nil, err
	} else if file != nil {
		r.Log = slog.New(slog.NewMultiHandler(NewHandler(a, slog.LevelDebug), file))
	}

	var err error
	if r.Owner, r.Repo, err = repository(o.Getenv("GITHUB_REPOSITORY")); err != nil {
		return nil, err
	}
	if r.DryRun, err = r.BoolInput("dry_run"); err != nil {
		return nil, err
	}
	configPath := r.Input("config")
	if configPath == "" {
		configPath = manifest.ConfigPath
	}
	if r.Config, err = manifest.LoadConfig(r.Path(configPath)); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	masks.variables(secretVariables(r.Config))
	if r.Config.Storage.LocalDir != "" {
		r.Config.Storage.LocalDir = r.Path(r.Config.Storage.LocalDir)
	}
	return r, nil
}

// repository splits GITHUB_REPOSITORY ("owner/name").
func repository(s string) (owner, repo string, err error) {
	owner, repo, ok := strings.Cut(s, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return "", "", fmt.Errorf("GITHUB_REPOSITORY is %q, not owner/name: is this running in GitHub Actions?", s)
	}
	return owner, repo, nil
}

// secretVariables names every environment variable that may hold a secret.
func secretVariables(cfg *manifest.Config) []string {
	return []string{
		cfg.OCL.TokenEnv, cfg.Storage.AccessKeyEnv, cfg.Storage.SecretKeyEnv,
		cfg.GitHub.AppKeyEnv, "GITHUB_TOKEN", "SHEPHERD_WORKFLOW_TOKEN", "SHEPHERD_LOAD_TEST_DSN",
	}
}

// masker tells the runner to hide secret values in the log, each value once.
type masker struct {
	action *githubactions.Action
	getenv func(string) string
	done   map[string]bool
}

// variables masks the values of environment variables (and of the files named by
// their _FILE variants).
func (m *masker) variables(names []string) {
	for _, name := range names {
		m.value(m.getenv(name))
		if path := m.getenv(name + "_FILE"); path != "" {
			if data, err := os.ReadFile(path); err == nil {
				m.value(string(data))
			}
		}
	}
}

// value masks v, and a multi-line value (a PEM key) line by line too, since the
// runner matches masks within a line. Lines too short to be secret (a blank, "==")
// are left alone so that they do not hide half the log.
func (m *masker) value(v string) {
	m.add(strings.TrimSpace(v))
	if !strings.Contains(v, "\n") {
		return
	}
	for _, line := range strings.Split(v, "\n") {
		if line = strings.TrimSpace(line); len(line) >= 8 {
			m.add(line)
		}
	}
}

func (m *masker) add(v string) {
	if v == "" || m.done[v] {
		return
	}
	m.done[v] = true
	m.action.AddMask(v)
}

// Path resolves a path of the repository against the workspace.
func (r *Run) Path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.Workspace, p)
}

// Input is an action input, trimmed ("" when not given).
func (r *Run) Input(name string) string { return r.Action.GetInput(name) }

// BoolInput reads a yes/no input; empty means false.
func (r *Run) BoolInput(name string) (bool, error) {
	v := r.Input(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("input %s is %q, not true or false", name, v)
	}
	return b, nil
}

// IntInput reads a whole-number input; empty means 0.
func (r *Run) IntInput(name string) (int, error) {
	v := r.Input(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("input %s is %q, not a whole number", name, v)
	}
	return n, nil
}

// Env connects to GitHub, OCL and the store. GitHub is reached at GITHUB_API_URL (so a
// GitHub Enterprise runner needs no configuration) unless the configuration names a
// base URL.
func (r *Run) Env(ctx context.Context) (*steps.Env, error) {
	o := steps.EnvOptions{
		Config: r.Config, Owner: r.Owner, Repo: r.Repo, Getenv: r.Getenv, DryRun: r.DryRun, Logger: r.Log, Now: time.Now,
	}
	if r.Config.GitHub.BaseURL == "" {
		o.GitHubOptions.BaseURL = r.Getenv("GITHUB_API_URL")
	}
	// Each action.yml passes the workflow's own token beside the token input: when they
	// are the same, Shepherd writes as github-actions[bot] and need not ask who it is.
	if workflowToken := r.Getenv("SHEPHERD_WORKFLOW_TOKEN"); workflowToken != "" && workflowToken == r.Getenv("GITHUB_TOKEN") {
		o.GitHubOptions.WorkflowToken = true
	}
	if tmp := r.Getenv("RUNNER_TEMP"); tmp != "" {
		dir, err := os.MkdirTemp(tmp, "shepherd-")
		if err != nil {
			return nil, fmt.Errorf("scratch folder in RUNNER_TEMP: %w", err)
		}
		o.WorkDir = dir
	}
	if r.tune != nil {
		r.tune(&o)
	}
	return steps.NewEnv(ctx, o)
}

// UsesApp reports whether a GitHub App is configured: its id variable is set.
func (r *Run) UsesApp() bool {
	return strings.TrimSpace(r.Getenv(r.Config.GitHub.AppIDEnv)) != ""
}

// SetOutput sets a step output. Outside Actions (no GITHUB_OUTPUT) it is logged, so
// that an action can be tried from a terminal.
func (r *Run) SetOutput(name, value string) {
	if r.Getenv("GITHUB_OUTPUT") == "" {
		r.Action.Infof("output %s=%s", name, value)
		return
	}
	r.Action.SetOutput(name, value)
}

// Summary appends Markdown to the job's step summary (logged outside Actions).
func (r *Run) Summary(markdown string) {
	if r.Getenv("GITHUB_STEP_SUMMARY") == "" {
		r.Action.Infof("%s", markdown)
		return
	}
	r.Action.AddStepSummary(markdown)
}

// Versions splits a list of versions written with spaces, commas or new lines, and
// checks each name.
func Versions(list string) ([]string, error) {
	fields := strings.FieldsFunc(list, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\t' || c == '\r' })
	var out []string
	seen := map[string]bool{}
	var errs []error
	for _, v := range fields {
		if _, err := manifest.ParseVersion(v); err != nil {
			errs = append(errs, fmt.Errorf("version %q: %w", v, err))
			continue
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, errors.Join(errs...)
}

// IssueURL links an issue or pull request of the repository on the web.
func (r *Run) IssueURL(number int) string {
	server := r.Getenv("GITHUB_SERVER_URL")
	if server == "" {
		server = "https://github.com"
	}
	return fmt.Sprintf("%s/%s/%s/issues/%d", strings.TrimSuffix(server, "/"), r.Owner, r.Repo, number)
}

// Cell makes outside text safe inside a Markdown table cell.
func Cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

// Paused ends a scheduled action that found the maintenance switch on: its log and
// summary say why, since when and by whom, each named output is an empty JSON list (so
// the workflow's later jobs start nothing), and the run stays green: stopping is what
// maintenance asks for.
func Paused(r *Run, p *steps.PausedError, emptyOutputs ...string) error {
	line := p.Maintenance.Line(time.Now())
	r.Action.Warningf("Shepherd is %s. This scheduled run stops here; delete %s to resume.", line, steps.MaintenanceFile)
	r.SetOutput("summary", "[]")
	for _, name := range emptyOutputs {
		r.SetOutput(name, "[]")
	}
	r.Summary(fmt.Sprintf("### Shepherd: paused for maintenance\n\n%s.\n\nNothing was polled or changed except each open release's status notice. Delete `%s` and the next scheduled run resumes the waiting work.\n",
		Cell(capitalise(line)), steps.MaintenanceFile))
	return nil
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
