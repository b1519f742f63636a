package actions

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actiontest"
	"github.com/shepherd-release/shepherd/internal/buildinfo"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

// Every folder under actions/ with an action.yml has a body the binary runs.
func TestEveryActionHasABody(t *testing.T) {
	assert.Equal(t, []string{"backport", "command", "create-version", "freeze", "janitor", "poll-export", "qa", "site", "start-release"}, Names())
	for _, name := range actionFolders(t) {
		if name == "setup" {
			continue // puts shepherd on the PATH; runs nothing itself
		}
		assert.True(t, Known(name), "actions/%s/action.yml runs `shepherd action %s`, which has no body", name, name)
	}
}

// Run reads inputs and writes outputs as the runner passes them, through the registry.
func TestRunGoesThroughTheRunnersEnvironment(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.Input("version", "v2026-12-01")

	require.NoError(t, Run(context.Background(), "start-release", &w.Stdout, w.Getenv))

	assert.Equal(t, "v2026-12-01", w.Outputs()["version"])
	assert.Len(t, w.GitHub.PullRequests(actiontest.Owner, actiontest.Repo), 1)
	assert.True(t, strings.HasPrefix(w.Log(), "shepherd "+buildinfo.String()+", action start-release\n"), w.Log())
}

// A failing action says why as an error annotation, which the runner shows on the run.
func TestRunAnnotatesAFailure(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	w.Input("version", "2026-12-01")

	err := Run(context.Background(), "start-release", &w.Stdout, w.Getenv)

	require.Error(t, err)
	assert.Contains(t, w.Log(), "::error::")
	assert.Contains(t, w.Log(), "2026-12-01")
}

func TestRunRefusesAnUnknownAction(t *testing.T) {
	w := actiontest.New(t, ocltest.DefaultExportPlan)
	assert.ErrorContains(t, Run(context.Background(), "deploy", &w.Stdout, w.Getenv), `no action "deploy"`)
}

type actionMetadata struct {
	Runs struct {
		Using string           `yaml:"using"`
		Steps []map[string]any `yaml:"steps"`
	} `yaml:"runs"`
}

// Every action finds its binary the same way (the four steps around actions/shepherd.sh)
// and then runs `shepherd action <its folder>` with the workflow's token beside its own;
// setup puts the binary on the PATH instead.
func TestEveryActionFindsItsBinaryTheSameWay(t *testing.T) {
	var first []map[string]any
	for _, name := range actionFolders(t) {
		data, err := os.ReadFile(filepath.Join(name, "action.yml"))
		require.NoError(t, err)
		var meta actionMetadata
		require.NoError(t, yaml.Unmarshal(data, &meta), name)
		assert.Equal(t, "composite", meta.Runs.Using, name)
		require.Len(t, meta.Runs.Steps, 5, name)
		if first == nil {
			first = meta.Runs.Steps[:4]
		}
		assert.Equal(t, first, meta.Runs.Steps[:4], "%s: the binary steps differ from the other actions'", name)
		run := meta.Runs.Steps[4]
		if name == "setup" {
			assert.Equal(t, `dirname "$SHEPHERD" >> "$GITHUB_PATH"`, run["run"])
			continue
		}
		assert.Equal(t, `"$SHEPHERD" action `+name, run["run"], name)
		env, _ := run["env"].(map[string]any)
		assert.Equal(t, "${{ steps.binary.outputs.path }}", env["SHEPHERD"], name)
		assert.Equal(t, "${{ github.token }}", env["SHEPHERD_WORKFLOW_TOKEN"], name)
		assert.Equal(t, "${{ inputs.token }}", env["GITHUB_TOKEN"], name)
	}
	require.NotNil(t, first)
	assert.Contains(t, first[0]["run"], "shepherd.sh\" plan")
	assert.Contains(t, first[3]["run"], "shepherd.sh\" install")
}
