package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/scaffold"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// runWaitIdle waits until no other run of Shepherd's caller workflows is unfinished (in
// progress, queued, requested, waiting or pending): what an upgrade waits for after
// switching maintenance on, so that no release is mid-step, and no run queued before the
// switch starts on the old version, when the workflows change.
func runWaitIdle(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "wait-idle", "wait-idle [--timeout 30m] [--interval 20s]")
	f := addStepFlags(fs, env)
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long, naming the runs not yet finished")
	interval := fs.Duration("interval", 20*time.Second, "how often to ask GitHub")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *timeout < 0 || *interval <= 0 {
		return usageError("--timeout must not be negative and --interval must be positive")
	}
	// Only GitHub is asked: no OCL or storage credentials are needed to wait.
	owner, repo, ok := strings.Cut(f.repo, "/")
	if !ok || owner == "" || repo == "" {
		return usageError("--repo %q: expected OWNER/NAME (or set GITHUB_REPOSITORY)", f.repo)
	}
	cfg, err := manifest.LoadConfig(f.config)
	if err != nil {
		return usageError("%v", err)
	}
	auth, err := steps.GitHubAuth(cfg, env.getenv)
	if err != nil {
		return err
	}
	gh, err := github.New(ctx, owner, repo, github.Options{BaseURL: cfg.GitHub.BaseURL, Auth: auth})
	if err != nil {
		return err
	}
	// The run doing the waiting ($GITHUB_RUN_ID in a workflow) does not wait for itself.
	self, _ := strconv.ParseInt(env.getenv("GITHUB_RUN_ID"), 10, 64)
	if err := gh.WaitIdle(ctx, scaffold.Workflows, self, *interval, *timeout); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "no other Shepherd workflow run is unfinished")
	return nil
}
