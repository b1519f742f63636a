package scaffold

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/scaffold/linttest"
	"github.com/shepherd-release/shepherd/internal/steps"
)

func render(t *testing.T, o Options) map[string]string {
	t.Helper()
	files, err := Files(o)
	require.NoError(t, err)
	out := map[string]string{}
	for _, f := range files {
		out[f.Path] = string(f.Data)
	}
	return out
}

var release = Options{Org: "CIEL", Source: "CIEL", Version: "v1.2.3"}

func TestFiles(t *testing.T) {
	files := render(t, release)
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	assert.ElementsMatch(t, []string{
		".github/CODEOWNERS.suggested", ".github/shepherd.yaml", "releases/README.md",
		".github/workflows/shepherd-backport.yml", ".github/workflows/shepherd-export-poll.yml", ".github/workflows/shepherd-freeze.yml", ".github/workflows/shepherd-janitor.yml",
		".github/workflows/shepherd-release-pr.yml", ".github/workflows/shepherd-release.yml",
		".github/workflows/shepherd-site.yml", ".github/workflows/shepherd-start-release.yml", ".github/workflows/shepherd-command.yml",
		".github/workflows/shepherd-maintenance-update.yml",
	}, paths)
	for _, wf := range Workflows {
		assert.Contains(t, files, ".github/workflows/"+wf, "Workflows names what init writes")
	}
	for p, data := range files {
		assert.NotContains(t, data, "[[", p)
		assert.NotContains(t, data, "<no value>", p)
	}
}

// A release pins itself; a development build pins main and says so in every workflow.
func TestWorkflowsPinTheRunningVersion(t *testing.T) {
	uses := regexp.MustCompile(`(?m)^\s+uses: (\S+)`)
	for _, tt := range []struct{ version, ref, note string }{
		{"v1.2.3", "v1.2.3", "Pinned to Shepherd v1.2.3"},
		{"dev", "main", "Pinned to main: the shepherd that wrote it was a development build (dev)"},
		{"v0.0.0-20261207120000-abcdef123456+dirty", "main", "development build"},
	} {
		o := release
		o.Version = tt.version
		for p, data := range render(t, o) {
			if !strings.HasPrefix(p, ".github/workflows/") {
				continue
			}
			m := uses.FindStringSubmatch(data)
			require.NotNil(t, m, p)
			name := strings.TrimPrefix(p, ".github/workflows/shepherd-")
			assert.Equal(t, "shepherd-release/shepherd/.github/workflows/"+name+"@"+tt.ref, m[1], p)
			assert.Contains(t, strings.Join(strings.Fields(strings.ReplaceAll(data, "\n#", "")), " "), tt.note, p)
		}
	}
}

// settingLine is a commented-out setting of the configuration template: a key, a list
// item or a rule id after "# ", as opposed to a comment in words.
var settingLine = regexp.MustCompile(`^(\s*)# (\s*(?:[a-z_]+|[A-Z]{2}-[0-9]{2}):( .*)?|\s*- .*)$`)

// uncomment turns every commented-out setting into a written one.
func uncomment(config string) string {
	lines := strings.Split(config, "\n")
	for i, l := range lines {
		if m := settingLine.FindStringSubmatch(l); m != nil {
			lines[i] = m[1] + m[2]
		}
	}
	return strings.Join(lines, "\n")
}

// tableField is a field of a table in docs/configuration.md: "| `storage.bucket` |".
var tableField = regexp.MustCompile("(?m)^\\| `([a-z_]+(?:\\.[a-z_]+)?)(?:\\[\\]\\.[a-z_]+)?` \\|")

// The configuration names every field docs/configuration.md documents: written for the
// OCL settings, commented out with a valid value for the rest. The file as written
// parses and points at OCL's staging server.
func TestConfigListsEveryField(t *testing.T) {
	config := render(t, release)[".github/shepherd.yaml"]

	cfg, err := manifest.ParseConfig(".github/shepherd.yaml", []byte(config))
	require.NoError(t, err)
	assert.Equal(t, OCLStaging, cfg.OCL.BaseURL)
	assert.True(t, cfg.Sets("ocl.org"))
	assert.False(t, cfg.Sets("storage.bucket"), "the bucket is the maintainer's to name")

	docs, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	require.NoError(t, err)
	all, err := manifest.ParseConfig(".github/shepherd.yaml", []byte(uncomment(config)))
	require.NoError(t, err, "with every setting uncommented:\n%s", uncomment(config))
	fields := tableField.FindAllStringSubmatch(string(docs), -1)
	require.Greater(t, len(fields), 40)
	for _, f := range fields {
		assert.True(t, all.Sets(f[1]), "docs/configuration.md documents %s; the template does not list it", f[1])
	}
}

func TestConfigWithAnApp(t *testing.T) {
	o := release
	o.App = true
	cfg, err := manifest.ParseConfig("x.yaml", []byte(render(t, o)[".github/shepherd.yaml"]))
	require.NoError(t, err)
	assert.True(t, cfg.Sets("github.app_id_env"))
	assert.True(t, cfg.Sets("github.app_key_env"))
}

func TestWriteRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	files, err := Files(release)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "releases"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "releases", "README.md"), []byte("mine"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".github"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".github", "shepherd.yaml"), []byte("{}\n"), 0o644))

	err = Write(dir, files, false)

	var exists *ExistsError
	require.ErrorAs(t, err, &exists)
	assert.Equal(t, []string{".github/shepherd.yaml", "releases/README.md"}, exists.Paths)
	assert.Contains(t, err.Error(), "nothing was written")
	assert.NoDirExists(t, filepath.Join(dir, ".github", "workflows"), "no file written")
	data, _ := os.ReadFile(filepath.Join(dir, "releases", "README.md"))
	assert.Equal(t, "mine", string(data))

	require.NoError(t, Write(dir, files, true))
	data, _ = os.ReadFile(filepath.Join(dir, "releases", "README.md"))
	assert.Contains(t, string(data), "# Releases")
}

// A fork's callers and Shepherd's own reusable workflows, linted together: actionlint
// checks every input and secret a caller passes against what the workflow it calls
// declares, which it cannot do for a call to another repository.
func TestForkCallersMatchTheReusableWorkflows(t *testing.T) {
	dir := t.TempDir()
	o := release
	o.Fork = true
	files, err := Files(o)
	require.NoError(t, err)
	require.NoError(t, Write(dir, files, false))
	reusable, err := filepath.Glob(filepath.Join("..", "..", ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	var lint []string
	for _, p := range reusable {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		if !strings.Contains(string(data), "workflow_call:") {
			continue
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, ".github", "workflows", filepath.Base(p)), data, 0o644))
		lint = append(lint, ".github/workflows/"+filepath.Base(p))
	}
	require.Len(t, lint, 10, "release-pr, release, export-poll, janitor, start-release, freeze, backport, site, command, maintenance-update")
	for _, f := range files {
		if strings.HasPrefix(f.Path, ".github/workflows/") {
			assert.Contains(t, string(f.Data), "uses: ./.github/workflows/", f.Path)
			lint = append(lint, f.Path)
		}
	}
	linttest.Run(t, dir, lint...)
}

// The site is rebuilt after every workflow that changes what it shows: the records
// (release, janitor, command), the HEAD report (release-pr) and the maintenance switch
// (maintenance-update, or a push of the switch's file). Each name is one init writes.
// The scheduled poll is not among them: a tick that moved a release starts the site
// itself (workflow_dispatch, which its caller grants with actions: write, naming the
// site's file as the reusable workflow's default does), and a tick that moved nothing
// starts no site run.
func TestSiteFollowsEveryChange(t *testing.T) {
	files := render(t, release)
	names := map[string]bool{}
	for p, data := range files {
		if m := regexp.MustCompile(`(?m)^name: (\S+)$`).FindStringSubmatch(data); m != nil && strings.HasPrefix(p, ".github/workflows/") {
			names[m[1]] = true
		}
	}
	var site struct {
		On struct {
			WorkflowRun struct {
				Workflows []string `yaml:"workflows"`
				Types     []string `yaml:"types"`
			} `yaml:"workflow_run"`
			Push struct {
				Paths []string `yaml:"paths"`
			} `yaml:"push"`
		} `yaml:"on"`
		Jobs map[string]struct {
			If string `yaml:"if"`
		} `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(files[".github/workflows/shepherd-site.yml"]), &site))
	assert.ElementsMatch(t, []string{"release", "janitor", "command", "release-pr", "maintenance-update"}, site.On.WorkflowRun.Workflows)
	for _, w := range site.On.WorkflowRun.Workflows {
		assert.True(t, names[w], "%s is the name of a workflow init writes", w)
	}
	assert.Equal(t, []string{"completed"}, site.On.WorkflowRun.Types)
	assert.Equal(t, []string{steps.MaintenanceFile}, site.On.Push.Paths)
	assert.Contains(t, site.Jobs["site"].If, "github.event.workflow_run.conclusion != 'skipped'")
	var siteOn struct {
		On map[string]any `yaml:"on"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(files[".github/workflows/shepherd-site.yml"]), &siteOn))
	assert.Contains(t, siteOn.On, "workflow_dispatch", "export-poll starts it")

	var poll struct {
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			With map[string]any `yaml:"with"`
		} `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(files[".github/workflows/shepherd-export-poll.yml"]), &poll))
	assert.Equal(t, "write", poll.Permissions["actions"])
	var reusable struct {
		On struct {
			WorkflowCall struct {
				Inputs map[string]struct {
					Default string `yaml:"default"`
				} `yaml:"inputs"`
			} `yaml:"workflow_call"`
		} `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			Permissions map[string]string `yaml:"permissions"`
		} `yaml:"jobs"`
	}
	data, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", "export-poll.yml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &reusable))
	siteFile := reusable.On.WorkflowCall.Inputs["site-workflow"].Default
	assert.Contains(t, files, ".github/workflows/"+siteFile, "the poll starts the site workflow init writes")
	if with, ok := poll.Jobs["poll"].With["site-workflow"]; ok {
		assert.Equal(t, siteFile, with)
	}
	// A called workflow's job that asks for more than its caller grants fails to start;
	// the reusable poll asks for nothing, so callers without actions: write keep polling.
	assert.Empty(t, reusable.Permissions)
	for name, job := range reusable.Jobs {
		assert.Empty(t, job.Permissions, name)
	}
}
