package actions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
)

// Every job of the reusable workflows that runs a Shepherd action keeps the decision log
// the action writes under RUNNER_TEMP (actionenv.DecisionLogDir) as an artifact of the
// run, also when the job failed: a release's status links the run that moved it, and the
// run's page is where that log is found. Matrix jobs name the version, every name the
// attempt, so that no two uploads of one run collide (upload-artifact@v4 refuses a name
// used before in the run: https://github.com/actions/upload-artifact#breaking-changes).
func TestEveryShepherdJobKeepsItsDecisionLog(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	type step struct {
		Uses string            `yaml:"uses"`
		If   string            `yaml:"if"`
		With map[string]string `yaml:"with"`
	}
	var jobs int
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var wf struct {
			Jobs map[string]struct {
				Strategy *struct{} `yaml:"strategy"`
				Steps    []step    `yaml:"steps"`
			} `yaml:"jobs"`
		}
		require.NoError(t, yaml.Unmarshal(data, &wf), f)
		names := map[string]string{}
		for id, job := range wf.Jobs {
			at := -1
			for i, s := range job.Steps {
				if strings.HasPrefix(s.Uses, "shepherd-release/shepherd/actions/") && !strings.HasPrefix(s.Uses, "shepherd-release/shepherd/actions/setup@") {
					at = i
					break
				}
			}
			if at < 0 {
				continue
			}
			jobs++
			where := filepath.Base(f) + " job " + id
			var upload *step
			for i := at + 1; i < len(job.Steps); i++ {
				if s := job.Steps[i]; strings.HasPrefix(s.Uses, "actions/upload-artifact@") && strings.HasSuffix(strings.TrimSuffix(s.With["path"], "/"), "/"+actionenv.DecisionLogDir) {
					upload = &job.Steps[i]
				}
			}
			if !assert.NotNil(t, upload, "%s runs a Shepherd action and keeps no decision log", where) {
				continue
			}
			assert.Equal(t, "${{ runner.temp }}/"+actionenv.DecisionLogDir+"/", upload.With["path"], where)
			assert.Equal(t, "always()", upload.If, "%s: the log of a failed job is kept too", where)
			name := upload.With["name"]
			assert.True(t, strings.HasPrefix(name, "shepherd-log-"), "%s: %s", where, name)
			assert.Contains(t, name, "${{ github.run_attempt }}", where)
			if job.Strategy != nil {
				assert.Contains(t, name, "${{ matrix.version }}", where)
			}
			assert.NotContains(t, names, name, "%s: the name %s is used by job %s too", where, name, names[name])
			names[name] = id
		}
	}
	assert.GreaterOrEqual(t, jobs, 12, "the jobs of release, export-poll, janitor, command, release-pr, start-release, freeze, backport and site")
}
