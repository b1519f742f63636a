package steps

import (
	"context"
	"fmt"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
)

// StartRelease opens the release PR for a version: a branch, the default manifest on
// it, and the pull request. Run again, it finds the same branch and PR and changes
// nothing; created says whether the PR is new.
func (e *Env) StartRelease(ctx context.Context, version string) (*github.PullRequest, bool, error) {
	if _, err := manifest.ParseVersion(version); err != nil {
		return nil, false, fmt.Errorf("version %q: %w", version, err)
	}
	data, err := manifest.Marshal(manifest.DefaultManifest(version, e.Config))
	if err != nil {
		return nil, false, err
	}
	base, sha, err := e.GitHub.DefaultBranch(ctx)
	if err != nil {
		return nil, false, err
	}
	path := manifest.ManifestPath(version)
	if _, err := e.GitHub.FileAt(ctx, path, base); err == nil {
		return nil, false, fmt.Errorf("%s is already on %s: release %s was merged before: its tracking issue follows it, and a failed or incomplete one goes on with a retry (%s)", path, base, version, RetryHow(version))
	}
	branch := "release/" + version
	title := "Release " + version
	body := fmt.Sprintf("Adds `%s` with the default manifest.\n\nShepherd previews QA on this pull request. "+
		"Edit the manifest on this branch if needed (description, notes, QA overrides); merging starts the release.", path)
	if e.DryRun {
		e.Log.Info("dry run: would open the release pull request", "branch", branch, "base", base, "file", path)
		return &github.PullRequest{Head: branch}, false, nil
	}
	if err := e.GitHub.EnsureBranch(ctx, branch, sha); err != nil {
		return nil, false, err
	}
	if _, err := e.GitHub.EnsureFile(ctx, branch, path, string(data), title); err != nil {
		return nil, false, err
	}
	pr, created, err := e.GitHub.EnsurePullRequest(ctx, branch, base, title, body)
	if err != nil {
		return nil, false, err
	}
	e.Log.Info("release pull request", "version", version, "pr", pr.Number, "created", created, "url", pr.URL)
	return pr, created, nil
}
