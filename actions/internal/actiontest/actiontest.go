// Package actiontest runs Shepherd's actions in tests, as the runner would, against the
// fake GitHub and the fake OCL: inputs and the workflow's variables come from a map,
// outputs and the step summary go to temporary files that tests read back.
package actiontest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
	"github.com/shepherd-release/shepherd/internal/github/githubtest"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// Owner, Repo and Token are the fake repository and the workflow's token.
const (
	Owner    = "openmrs"
	Repo     = "ciel-releases"
	Token    = "ghs_workflowtoken"
	OCLToken = "ocl-secret-token"
)

// World is one test's GitHub, OCL, checked-out repository and runner environment.
type World struct {
	t         testing.TB
	GitHub    *githubtest.Server
	OCL       *ocltest.Server
	Workspace string
	Vars      map[string]string
	Stdout    bytes.Buffer
	Now       time.Time
}

// New starts the fakes with the tiny dataset (plus the injected QA violations) as the
// source's HEAD, and writes a configuration that points Shepherd at them, keeps
// artifacts in a local folder and builds the OpenMRS 2 SQL only.
func New(t testing.TB, plan ocltest.ExportPlan, inject ...dataset.Injection) *World {
	t.Helper()
	spec := dataset.Tiny
	spec.Inject = inject
	return NewWithSpec(t, plan, spec)
}

// NewWithSpec is New with another generated source as HEAD.
func NewWithSpec(t testing.TB, plan ocltest.ExportPlan, spec dataset.Spec) *World {
	t.Helper()
	w := &World{t: t, Workspace: t.TempDir(), Now: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return w.Now }
	w.GitHub = githubtest.NewServer(githubtest.WithToken(Token, "github-actions[bot]"), githubtest.WithClock(clock))
	t.Cleanup(w.GitHub.Close)
	w.GitHub.AddRepo(Owner, Repo, "main")
	w.OCL = ocltest.NewServer(ocltest.WithExportPlan(plan), ocltest.WithClock(clock))
	t.Cleanup(w.OCL.Close)
	head, err := dataset.New(spec)
	require.NoError(t, err)
	w.OCL.AddSource(dataset.DefaultOrg, dataset.DefaultSource, head, head.Version(ocltest.HeadVersion).SupportedLocales)

	tmp := t.TempDir()
	w.Vars = map[string]string{
		"GITHUB_ACTIONS":    "true",
		"GITHUB_REPOSITORY": Owner + "/" + Repo,
		"GITHUB_API_URL":    w.GitHub.URL(),
		"GITHUB_SERVER_URL": "https://github.example.org",
		"GITHUB_WORKSPACE":  w.Workspace,
		"GITHUB_TOKEN":      Token,
		// What every action.yml passes beside the token input (see actionenv.Run.Env).
		"SHEPHERD_WORKFLOW_TOKEN": Token,
		"GITHUB_OUTPUT":           filepath.Join(tmp, "output"),
		"GITHUB_STEP_SUMMARY":     filepath.Join(tmp, "summary"),
		"RUNNER_TEMP":             tmp,
		"OCL_TOKEN":               OCLToken,
	}
	w.WriteFile(manifest.ConfigPath, fmt.Sprintf(`ocl:
  base_url: %s
storage:
  type: local # a test's runner keeps its folder; a real runner's vanishes (see steps.Env.Merged)
  local_dir: published
exports:
  - format: openmrs-2
`, w.OCL.URL()))
	return w
}

// WriteFile writes a file of the checked-out repository.
func (w *World) WriteFile(rel, content string) {
	w.t.Helper()
	path := filepath.Join(w.Workspace, rel)
	require.NoError(w.t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(w.t, os.WriteFile(path, []byte(content), 0o644))
}

// WriteManifest writes the default manifest of a version into the repository and
// returns its text.
func (w *World) WriteManifest(version string) string {
	w.t.Helper()
	data, err := manifest.Marshal(manifest.DefaultManifest(version, nil))
	require.NoError(w.t, err)
	w.WriteFile(manifest.ManifestPath(version), string(data))
	return string(data)
}

// Event writes the workflow's event payload.
func (w *World) Event(name string, payload any) {
	w.t.Helper()
	data, err := json.Marshal(payload)
	require.NoError(w.t, err)
	path := filepath.Join(w.Vars["RUNNER_TEMP"], "event.json")
	require.NoError(w.t, os.WriteFile(path, data, 0o644))
	w.Vars["GITHUB_EVENT_NAME"] = name
	w.Vars["GITHUB_EVENT_PATH"] = path
}

// Input sets an action input as the composite action's env mapping does.
func (w *World) Input(name, value string) {
	w.Vars["INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))] = value
}

// Getenv reads the fake environment.
func (w *World) Getenv(key string) string { return w.Vars[key] }

// Start begins an action run in this world; the steps run on the world's clock and
// keep their scratch files in the test's temporary folder.
func (w *World) Start() (*actionenv.Run, error) {
	return actionenv.Start(actionenv.Options{
		Getenv: w.Getenv,
		Stdout: &w.Stdout,
		Tune: func(o *steps.EnvOptions) {
			o.Now = func() time.Time { return w.Now }
			o.WorkDir = w.t.TempDir()
			// Retries after a fault happen at once: tests never wait.
			noSleep := func(context.Context, time.Duration) error { return nil }
			o.OCLOptions = append(o.OCLOptions, ocl.WithSleep(noSleep))
			o.GitHubOptions.Sleep = noSleep
		},
	})
}

// Outputs reads back the step outputs the run set (the last value of each wins).
func (w *World) Outputs() map[string]string {
	w.t.Helper()
	data, err := os.ReadFile(w.Vars["GITHUB_OUTPUT"])
	if os.IsNotExist(err) {
		return map[string]string{}
	}
	require.NoError(w.t, err)
	out := map[string]string{}
	const delim = "_GitHubActionsFileCommandDelimeter_"
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		name, ok := strings.CutSuffix(lines[i], "<<"+delim)
		if !ok {
			continue
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			value = append(value, lines[i])
		}
		out[name] = strings.Join(value, "\n")
	}
	return out
}

// Summary reads back the step summary.
func (w *World) Summary() string {
	data, err := os.ReadFile(w.Vars["GITHUB_STEP_SUMMARY"])
	if os.IsNotExist(err) {
		return ""
	}
	require.NoError(w.t, err)
	return string(data)
}

// Log is what the run printed: log lines and workflow commands.
func (w *World) Log() string { return w.Stdout.String() }

// Env builds the steps environment an action run in this world would use.
func (w *World) Env() *steps.Env {
	w.t.Helper()
	r, err := w.Start()
	require.NoError(w.t, err)
	env, err := r.Env(context.Background())
	require.NoError(w.t, err)
	return env
}

// Merge runs what the merge of a release PR runs for version, so that a test can
// start from a release waiting for its export.
func (w *World) Merge(version string) *steps.Record {
	w.t.Helper()
	w.WriteManifest(version)
	env := w.Env()
	m, err := manifest.LoadManifest(filepath.Join(w.Workspace, manifest.ManifestPath(version)))
	require.NoError(w.t, err)
	rec, err := env.Merged(context.Background(), m, w.GitHub.BranchSHA(Owner, Repo, "main"))
	require.NoError(w.t, err)
	w.Stdout.Reset()
	return rec
}

// Publish carries a merged release through every poll until it is done.
func (w *World) Publish(version string) *steps.Record {
	w.t.Helper()
	w.Merge(version)
	env := w.Env()
	for range 10 {
		w.Now = w.Now.Add(10 * time.Minute)
		rec, err := env.PollOne(context.Background(), version)
		require.NoError(w.t, err)
		if rec.Release.Phase != "exporting" {
			require.Equal(w.t, "done", string(rec.Release.Phase), rec.Release.Last().Reason)
			w.Stdout.Reset()
			return rec
		}
	}
	w.t.Fatalf("release %s still waits for its export after 10 polls", version)
	return nil
}
