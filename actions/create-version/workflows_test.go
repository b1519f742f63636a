package createversion

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/scaffold"
)

type workflow struct {
	Concurrency *concurrency `yaml:"concurrency"`
	Jobs        map[string]struct {
		If          string         `yaml:"if"`
		Environment string         `yaml:"environment"`
		Services    map[string]any `yaml:"services"`
		Concurrency *concurrency   `yaml:"concurrency"`
		Steps       []struct {
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

type concurrency struct {
	Group            string `yaml:"group"`
	CancelInProgress bool   `yaml:"cancel-in-progress"`
}

func parseWorkflow(t *testing.T, name string, data []byte) workflow {
	t.Helper()
	var w workflow
	require.NoError(t, yaml.Unmarshal(data, &w), name)
	return w
}

// readWorkflow reads one of Shepherd's reusable workflows.
func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", name))
	require.NoError(t, err)
	return parseWorkflow(t, name, data)
}

// callerWorkflow reads one of the workflows `shepherd init` writes into a release
// repository, which hold the triggers and the workflow-wide concurrency groups.
func callerWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	files, err := scaffold.Files(scaffold.Options{Org: "CIEL", Source: "CIEL", Version: "v1.2.3"})
	require.NoError(t, err)
	for _, f := range files {
		if f.Path == ".github/workflows/"+name {
			return parseWorkflow(t, name, f.Data)
		}
	}
	t.Fatalf("shepherd init writes no %s", name)
	return workflow{}
}

// Every job of the release workflow that changes a release waits in that release's own
// group, whatever started it (a merge, a re-run or a retry), and is never cancelled. No
// scheduled workflow uses those groups, so a person's waiting run is never replaced by a
// tick (GitHub keeps one pending run per group).
func TestReleaseRunsQueuePerReleaseAndNoScheduleJoinsThem(t *testing.T) {
	release := readWorkflow(t, "release.yml")
	assert.Nil(t, release.Concurrency, "no run-wide group: a merge knows its release only after the first job")
	assert.Nil(t, callerWorkflow(t, "shepherd-release.yml").Concurrency)
	for _, name := range []string{"release", "qa", "create-version"} {
		job := release.Jobs[name]
		require.NotNil(t, job.Concurrency, name)
		assert.Equal(t, "shepherd-release-${{ matrix.version }}", job.Concurrency.Group, name)
		assert.False(t, job.Concurrency.CancelInProgress, name)
	}
	for _, scheduled := range []string{"shepherd-export-poll.yml", "shepherd-janitor.yml"} {
		w := callerWorkflow(t, scheduled)
		require.NotNil(t, w.Concurrency, scheduled)
		assert.False(t, strings.HasPrefix(w.Concurrency.Group, "shepherd-release-"), scheduled)
		assert.False(t, w.Concurrency.CancelInProgress, scheduled)
	}
}

// Without an environment, one job per release runs QA and creates the version: the binary
// is fetched (or built) once. With one, QA runs outside it and version creation inside.
func TestReleaseFetchesTheBinaryOncePerRelease(t *testing.T) {
	release := readWorkflow(t, "release.yml")
	assert.Contains(t, release.Jobs["release"].If, "inputs.environment == ''")
	assert.Contains(t, release.Jobs["qa"].If, "inputs.environment != ''")
	assert.Contains(t, release.Jobs["create-version"].If, "inputs.environment != ''")
	assert.Equal(t, "${{ inputs.environment }}", release.Jobs["create-version"].Environment)
	assert.Empty(t, release.Jobs["qa"].Environment)
	assert.Equal(t, "true", release.Jobs["qa"].Steps[1].With["stop-before-deploy"])
	assert.Empty(t, release.Jobs["release"].Steps[1].With["stop-before-deploy"])
}

// An idle tick starts no database: only the job that builds the SQL has the service, and
// it runs only for releases the first job reported ready.
func TestExportPollStartsTheDatabaseOnlyToPublish(t *testing.T) {
	poll := readWorkflow(t, "export-poll.yml")
	assert.Empty(t, poll.Jobs["poll"].Services)
	assert.Equal(t, "true", poll.Jobs["poll"].Steps[1].With["exports-only"])
	assert.Contains(t, poll.Jobs["publish"].Services, "mariadb")
	assert.Contains(t, poll.Jobs["publish"].If, "needs.poll.outputs.ready != '[]'")
	assert.Equal(t, "${{ matrix.version }}", poll.Jobs["publish"].Steps[1].With["version"])
}

// A PR comes from a fork when its head repository is another one; head.repo.fork is true
// for every PR of a repository that was itself made by forking.
func TestPreviewTellsForksByRepositoryName(t *testing.T) {
	w := readWorkflow(t, "release-pr.yml")
	fork := w.Jobs["preview"].Steps[1].With["fork"]
	assert.Equal(t, "${{ github.event.pull_request.head.repo.full_name != github.repository }}", fork)
}

var actionUse = regexp.MustCompile(`^shepherd-release/shepherd/actions/([a-z-]+)@(\S+)$`)

type actionInputs struct {
	Inputs map[string]any `yaml:"inputs"`
}

// The reusable workflows call Shepherd's actions at one ref (scripts/pin-actions.sh sets
// it; the dist workflow checks it equals the tag), and pass only inputs the actions
// declare: actionlint cannot check that for a remote action.
func TestReusableWorkflowsPinOneRefAndPassDeclaredInputs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	refs := map[string]bool{}
	uses := 0
	for _, p := range files {
		w := readWorkflow(t, filepath.Base(p))
		for job, j := range w.Jobs {
			for _, step := range j.Steps {
				m := actionUse.FindStringSubmatch(step.Uses)
				if m == nil {
					assert.NotContains(t, step.Uses, "./actions/", "%s %s: a reusable workflow runs in the caller's checkout", p, job)
					continue
				}
				uses++
				refs[m[2]] = true
				data, err := os.ReadFile(filepath.Join("..", m[1], "action.yml"))
				require.NoError(t, err, "%s calls actions/%s", p, m[1])
				var meta actionInputs
				require.NoError(t, yaml.Unmarshal(data, &meta))
				for input := range step.With {
					assert.Contains(t, meta.Inputs, input, "%s %s passes %s to actions/%s", p, job, input, m[1])
				}
			}
		}
	}
	assert.Equal(t, 14, uses)
	assert.Len(t, refs, 1, "one ref for every action: %v", refs)
}
