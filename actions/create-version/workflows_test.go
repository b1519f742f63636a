package createversion

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type workflow struct {
	Concurrency *concurrency `yaml:"concurrency"`
	Jobs        map[string]struct {
		Concurrency *concurrency `yaml:"concurrency"`
		Steps       []struct {
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

type concurrency struct {
	Group            string `yaml:"group"`
	CancelInProgress bool   `yaml:"cancel-in-progress"`
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", name))
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(data, &w), name)
	return w
}

// Every job of the release workflow that changes a release waits in that release's own
// group, whatever started it (a merge, a re-run or a retry), and is never cancelled. No
// scheduled workflow uses those groups, so a person's waiting run is never replaced by a
// tick (GitHub keeps one pending run per group).
func TestReleaseRunsQueuePerReleaseAndNoScheduleJoinsThem(t *testing.T) {
	release := readWorkflow(t, "release.yml")
	assert.Nil(t, release.Concurrency, "no run-wide group: a merge knows its release only after the first job")
	for _, name := range []string{"qa", "create-version"} {
		job := release.Jobs[name]
		require.NotNil(t, job.Concurrency, name)
		assert.Equal(t, "shepherd-release-${{ matrix.version }}", job.Concurrency.Group, name)
		assert.False(t, job.Concurrency.CancelInProgress, name)
	}
	for _, scheduled := range []string{"export-poll.yml", "janitor.yml"} {
		w := readWorkflow(t, scheduled)
		require.NotNil(t, w.Concurrency, scheduled)
		assert.False(t, strings.HasPrefix(w.Concurrency.Group, "shepherd-release-"), scheduled)
	}
}

// A PR comes from a fork when its head repository is another one; head.repo.fork is true
// for every PR of a repository that was itself made by forking.
func TestPreviewTellsForksByRepositoryName(t *testing.T) {
	w := readWorkflow(t, "release-pr.yml")
	fork := w.Jobs["preview"].Steps[1].With["fork"]
	assert.Equal(t, "${{ github.event.pull_request.head.repo.full_name != github.repository }}", fork)
}
