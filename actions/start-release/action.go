// Package startrelease is the start-release action (`shepherd action start-release`) that
// opens a release PR: a branch with the default manifest of a version, and the pull
// request that merges it.
package startrelease

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
	"github.com/shepherd-release/shepherd/internal/manifest"
)

func Run(ctx context.Context, r *actionenv.Run) error {
	version := r.Input("version")
	if version == "" {
		version = manifest.VersionForDate(time.Now())
	}
	if _, err := manifest.ParseVersion(version); err != nil {
		return fmt.Errorf("input version %q: %w", version, err)
	}
	env, err := r.Env(ctx)
	if err != nil {
		return err
	}
	pr, created, err := env.StartRelease(ctx, version)
	if err != nil {
		return fmt.Errorf("start release %s: %w", version, err)
	}
	// Without an App, the PR is opened with the workflow's token, and GitHub starts no
	// workflow for it: the calling workflow runs the preview itself.
	openedWith := "token"
	if r.UsesApp() {
		openedWith = "app"
	}
	number := ""
	if pr.Number > 0 {
		number = strconv.Itoa(pr.Number)
	}
	r.SetOutput("pr", number)
	r.SetOutput("url", pr.URL)
	r.SetOutput("opened_with", openedWith)
	r.SetOutput("version", version)

	switch {
	case r.DryRun:
		r.Summary(fmt.Sprintf("### Shepherd: start release %s\n\nDry run: the pull request from `%s` was not opened.\n", version, pr.Head))
	case created:
		r.Summary(fmt.Sprintf("### Shepherd: start release %s\n\nOpened [#%d](%s) with the default manifest `%s` (as the %s). Review it, edit the manifest on its branch if needed, and merge it to release.\n",
			version, pr.Number, pr.URL, manifest.ManifestPath(version), who(openedWith)))
	default:
		r.Summary(fmt.Sprintf("### Shepherd: start release %s\n\nThe release pull request was already open: [#%d](%s). Nothing changed.\n", version, pr.Number, pr.URL))
	}
	return nil
}

func who(openedWith string) string {
	if openedWith == "app" {
		return "GitHub App"
	}
	return "workflow's token"
}
