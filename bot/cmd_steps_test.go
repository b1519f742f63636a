package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/sandbox"
)

// The operator's commands drive a release from a terminal, against the fakes through
// the configuration's base URLs, as they would against GitHub and OCL.
func TestStepCommandsCarryAReleaseThrough(t *testing.T) {
	ctx := context.Background()
	sb, err := sandbox.New(ctx, sandbox.Options{Dir: t.TempDir(), Head: dataset.Spec{Seed: 5, Concepts: 80},
		Plan: ocltest.ExportPlan{NonePolls: 1, Ready: ocltest.ReadyRedirect302}})
	require.NoError(t, err)
	defer sb.Close()

	work := t.TempDir()
	t.Chdir(work)
	config := filepath.Join(work, "shepherd.yaml")
	require.NoError(t, os.WriteFile(config, []byte(fmt.Sprintf(
		"ocl:\n  base_url: %s\ngithub:\n  base_url: %s\nstorage:\n  local_dir: %s\n",
		sb.OCL.URL(), sb.GitHub.URL(), filepath.Join(work, "store"))), 0o644))
	vars := map[string]string{
		"GITHUB_REPOSITORY": sandbox.Owner + "/" + sandbox.Repo,
		"GITHUB_TOKEN":      sandbox.GitHubToken,
		"OCL_TOKEN":         sandbox.OCLToken,
	}
	step := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		env := &environment{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }}
		code := run(ctx, env, append(args, "--config", config, "--work-dir", filepath.Join(work, "scratch")))
		return code, stdout.String(), stderr.String()
	}
	const version = "v2026-11-22"

	code, out, errs := step("start-release", "--version", version)
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "opened release pull request #1")
	code, out, _ = step("start-release", "--version", version)
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "found the open release pull request #1")

	code, out, errs = step("preview", "--pr", "1")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "Shepherd release preview")

	sha, err := sb.Env.GitHub.MergePullRequest(ctx, 1, "Release "+version)
	require.NoError(t, err)
	content, err := sb.Env.GitHub.FileAt(ctx, manifest.ManifestPath(version), "main")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(manifest.ReleasesDir, 0o755))
	require.NoError(t, os.WriteFile(manifest.ManifestPath(version), []byte(content), 0o644))

	writes := sb.GitHub.Writes()
	code, out, errs = step("merge", "--version", version, "--sha", sha, "--dry-run")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, errs, "dry run: would")
	assert.Equal(t, writes, sb.GitHub.Writes(), "a dry run writes nothing")
	_, exists := sb.OCL.Version("CIEL", "CIEL", version)
	assert.False(t, exists)

	code, out, errs = step("merge", "--version", version, "--sha", sha)
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "release "+version+": exporting")

	for i := 0; i < 3; i++ {
		code, _, errs = step("poll")
		require.Equal(t, exitOK, code, errs)
	}
	code, out, errs = step("status", "--version", version)
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "Release "+version+": done")

	code, out, errs = step("status", "--all")
	require.Equal(t, exitOK, code, errs)
	assert.Regexp(t, `(?m)^VERSION\s+PHASE\s+CHANNEL\s+DEPLOYABLE`, out)
	assert.Regexp(t, `(?m)^`+version+`\s+done\s+unverified\s+yes, the latest`, out, "a published release starts in the unverified channel")
	assert.Contains(t, out, "Latest deployable release: "+version)
	code, out, errs = step("status", "--all", "--json")
	require.Equal(t, exitOK, code, errs)
	var all struct {
		Releases []struct {
			Version    string `json:"version"`
			Phase      string `json:"phase"`
			Channel    string `json:"channel"`
			Deployable bool   `json:"deployable"`
			Latest     bool   `json:"latest_deployable"`
		} `json:"releases"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &all), out)
	require.Len(t, all.Releases, 1)
	assert.Equal(t, version, all.Releases[0].Version)
	assert.True(t, all.Releases[0].Deployable && all.Releases[0].Latest)
	assert.Equal(t, "unverified", all.Releases[0].Channel)
	code, _, errs = step("status")
	assert.Equal(t, exitCannot, code, "neither --version nor --all")
	assert.Contains(t, errs, "give either --version or --all")

	siteDir := filepath.Join(work, "site")
	code, out, errs = step("site", "--out", siteDir)
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "the latest deployable release is "+version)
	index, err := os.ReadFile(filepath.Join(siteDir, "index.html"))
	require.NoError(t, err)
	assert.Contains(t, string(index), `id="latest-deployable" data-version="`+version+`"`)
	head, err := os.ReadFile(filepath.Join(siteDir, "qa", "bulk-validation", "index.html"))
	require.NoError(t, err)
	assert.Contains(t, string(head), "QA Bulk Validation", "the stored HEAD report, under the site's navigation")
	assert.NotContains(t, string(head), "no-head-report")

	code, out, errs = step("retry", "--version", version)
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "done")
	code, _, errs = step("janitor")
	require.Equal(t, exitOK, code, errs)

	code, out, errs = step("wait-idle", "--timeout", "0s")
	require.Equal(t, exitOK, code, errs)
	assert.Equal(t, "no other Shepherd workflow run is unfinished\n", out)
	sb.GitHub.AddWorkflow(sandbox.Owner, sandbox.Repo, ".github/workflows/shepherd-janitor.yml", "janitor", githubtest.WorkflowActive)
	sb.GitHub.AddWorkflowRun(sandbox.Owner, sandbox.Repo, ".github/workflows/shepherd-janitor.yml", "queued")
	code, _, errs = step("wait-idle", "--timeout", "0s")
	assert.NotEqual(t, exitOK, code)
	assert.Contains(t, errs, "1 Shepherd workflow run(s) have not finished: shepherd-janitor.yml (queued)")

	// The release was not major: no freeze, and the merged release PR gets no status.
	code, out, errs = step("freeze")
	require.Equal(t, exitOK, code, errs)
	assert.Equal(t, "no code freeze in force\nno open pull request into the default branch\n", out)
	code, out, errs = step("freeze", "--pr", "1")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "#1: no status (closed, or not into the default branch)")
}

func TestStepCommandsNeedARepositoryAndCredentials(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := &environment{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	assert.Equal(t, exitCannot, run(context.Background(), env, []string{"poll"}))
	assert.Contains(t, stderr.String(), "--repo \"\": expected OWNER/NAME")
	stderr.Reset()
	assert.Equal(t, exitCannot, run(context.Background(), env, []string{"poll", "--repo", "a/b"}))
	assert.Contains(t, stderr.String(), "no GitHub credentials")
}
