package actions

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeGH stands in for the GitHub CLI in the maintenance-update scripts: it logs each
// call and keeps the one pull request it was asked to open, as `gh pr list --json number
// --jq '.[0].number // empty'` would show it (https://cli.github.com/manual/gh_pr_list).
const fakeGH = `#!/usr/bin/env bash
echo "gh $*" >>"$GH_LOG"
case "$1 $2" in
  "pr list") [ -f "$GH_STATE" ] && cat "$GH_STATE"; exit 0 ;;
  "pr create") echo 7 >"$GH_STATE"; exit 0 ;;
  "pr edit") exit 0 ;;
esac
echo "unexpected gh call: $*" >&2
exit 1
`

// updateSteps are the run scripts of the maintenance-update workflow's steps, by name.
func updateSteps(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", ".github", "workflows", "maintenance-update.yml"))
	require.NoError(t, err)
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string `yaml:"name"`
				Run  string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(data, &wf))
	out := map[string]string{}
	for _, s := range wf.Jobs["update"].Steps {
		if s.Run != "" {
			out[s.Name] = s.Run
		}
	}
	require.Contains(t, out, "Maintenance on")
	require.Contains(t, out, "Open or update the pull request")
	return out
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

// The push-button update, its scripts run as the workflow runs them against a local
// origin: maintenance goes on with one commit on the default branch (and is left as it
// is when already on); the pin change and the switch's deletion go to one pull request,
// so maintenance ends exactly when it is merged; run again, the same branch and pull
// request are updated, not duplicated; keep_maintenance leaves the switch in place; a
// default branch that refuses the push fails the job saying so, with nothing changed.
func TestMaintenanceUpdateOpensOnePullRequestAndEndsMaintenanceOnItsMerge(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	steps := updateSteps(t)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "shepherd"), "../bot")
	built, err := build.CombinedOutput()
	require.NoError(t, err, "%s", built)
	require.NoError(t, os.WriteFile(filepath.Join(bin, "gh"), []byte(fakeGH), 0o755))

	origin := filepath.Join(tmp, "origin.git")
	git(t, tmp, "init", "-q", "--bare", "-b", "main", origin)
	seed := filepath.Join(tmp, "seed")
	git(t, tmp, "clone", "-q", origin, seed)
	caller := "name: janitor\n# Pinned to Shepherd v1.0.0, change it with shepherd pin.\njobs:\n  janitor:\n    uses: shepherd-release/shepherd/.github/workflows/janitor.yml@v1.0.0\n"
	require.NoError(t, os.MkdirAll(filepath.Join(seed, ".github", "workflows"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(seed, ".github", "workflows", "shepherd-janitor.yml"), []byte(caller), 0o644))
	git(t, seed, "add", "-A")
	git(t, seed, "commit", "-q", "-m", "seed")
	git(t, seed, "push", "-q", "origin", "HEAD:refs/heads/main")

	run := func(step string, env ...string) (string, error) {
		t.Helper()
		work := filepath.Join(tmp, "run")
		require.NoError(t, os.RemoveAll(work))
		git(t, tmp, "clone", "-q", "-b", "main", origin, work)
		cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", steps[step])
		cmd.Dir = work
		cmd.Env = append(os.Environ(), append([]string{
			"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
			"GITHUB_STEP_SUMMARY=" + filepath.Join(tmp, "summary.md"),
			"GH_LOG=" + filepath.Join(tmp, "gh.log"), "GH_STATE=" + filepath.Join(tmp, "gh.state"),
			"DEFAULT_BRANCH=main", "GITHUB_ACTOR=alice",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org",
		}, env...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	show := func(ref, path string) (string, bool) {
		cmd := exec.Command("git", "show", ref+":"+path)
		cmd.Dir = origin
		out, err := cmd.Output()
		return string(out), err == nil
	}
	ghCalls := func() string {
		data, _ := os.ReadFile(filepath.Join(tmp, "gh.log"))
		return string(data)
	}

	// Maintenance on: one commit on main; run again, nothing more.
	out, err := run("Maintenance on", "REASON=upgrading Shepherd to v1.4.0")
	require.NoError(t, err, out)
	switchText, on := show("main", ".github/shepherd/MAINTENANCE")
	require.True(t, on, "the switch is on the default branch")
	assert.Contains(t, switchText, "upgrading Shepherd to v1.4.0")
	mainAfterOn := git(t, origin, "rev-parse", "main")
	out, err = run("Maintenance on", "REASON=something else")
	require.NoError(t, err, out)
	assert.Equal(t, mainAfterOn, git(t, origin, "rev-parse", "main"), "already on: no second commit")

	// The pull request: the pin and the switch's deletion, nothing pushed to main.
	out, err = run("Open or update the pull request", "VERSION=v1.4.0", "KEEP=false")
	require.NoError(t, err, out)
	assert.Equal(t, mainAfterOn, git(t, origin, "rev-parse", "main"), "the update goes to a branch, never to main")
	pinned, _ := show("shepherd-update-v1.4.0", ".github/workflows/shepherd-janitor.yml")
	assert.Contains(t, pinned, "janitor.yml@v1.4.0")
	assert.Contains(t, pinned, "Pinned to Shepherd v1.4.0,")
	_, stillOn := show("shepherd-update-v1.4.0", ".github/shepherd/MAINTENANCE")
	assert.False(t, stillOn, "merging the pull request ends maintenance")
	assert.Equal(t, 1, strings.Count(ghCalls(), "gh pr create"))
	assert.Contains(t, ghCalls(), "--base main --head shepherd-update-v1.4.0")

	// Run again (main moved meanwhile): the same branch, rebuilt on main, and the same pull
	// request, edited.
	git(t, seed, "pull", "-q", "origin", "main")
	require.NoError(t, os.WriteFile(filepath.Join(seed, "README.md"), []byte("moved\n"), 0o644))
	git(t, seed, "add", "-A")
	git(t, seed, "commit", "-q", "-m", "meanwhile")
	git(t, seed, "push", "-q", "origin", "HEAD:refs/heads/main")
	out, err = run("Open or update the pull request", "VERSION=v1.4.0", "KEEP=false")
	require.NoError(t, err, out)
	assert.Equal(t, 1, strings.Count(ghCalls(), "gh pr create"), "no second pull request")
	assert.Contains(t, ghCalls(), "gh pr edit 7 --title Shepherd v1.4.0")
	assert.Equal(t, git(t, origin, "rev-parse", "main"), git(t, origin, "rev-parse", "shepherd-update-v1.4.0^"), "the branch is one commit on the current main")

	// keep_maintenance: the switch stays in the pull request's tree.
	out, err = run("Open or update the pull request", "VERSION=v1.5.0", "KEEP=true")
	require.NoError(t, err, out)
	_, kept := show("shepherd-update-v1.5.0", ".github/shepherd/MAINTENANCE")
	assert.True(t, kept)

	// Not a release tag: refused before any branch is made.
	out, err = run("Open or update the pull request", "VERSION=main", "KEEP=false")
	require.Error(t, err)
	assert.Contains(t, out, "is not a Shepherd release tag")

	// A default branch that refuses pushes (as branch protection does): the job fails and
	// says how to go on; main is unchanged.
	git(t, seed, "pull", "-q", "origin", "main")
	git(t, seed, "rm", "-q", ".github/shepherd/MAINTENANCE")
	git(t, seed, "commit", "-q", "-m", "Maintenance off")
	git(t, seed, "push", "-q", "origin", "HEAD:refs/heads/main")
	before := git(t, origin, "rev-parse", "main")
	hook := filepath.Join(origin, "hooks", "pre-receive")
	require.NoError(t, os.WriteFile(hook, []byte("#!/bin/sh\necho 'GH006: Protected branch update failed' >&2\nexit 1\n"), 0o755))
	out, err = run("Maintenance on", "REASON=upgrading")
	require.Error(t, err)
	assert.Contains(t, out, "branch protection refused the maintenance switch on main")
	summary, _ := os.ReadFile(filepath.Join(tmp, "summary.md"))
	assert.Contains(t, string(summary), "switch maintenance on through a pull request")
	assert.Equal(t, before, git(t, origin, "rev-parse", "main"))
}
