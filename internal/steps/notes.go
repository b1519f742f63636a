package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
)

// releaseText is the GitHub Release's text for rec, with the manifest's notes. The notes
// are read from the manifest as merged (at the merge commit), not from the record: they
// are the reviewed text, they can be long, and the record must stay small enough for
// the issue.
func (e *Env) releaseText(ctx context.Context, rec *Record) (string, error) {
	if rec.MergeSHA == "" {
		return releaseNotes(rec, ""), nil
	}
	path := manifest.ManifestPath(rec.Release.Version)
	content, err := e.GitHub.FileAt(ctx, path, rec.MergeSHA)
	if errors.Is(err, github.ErrNotFound) {
		// Run by hand with a commit that lacks the manifest: nothing to quote.
		e.Log.Warn("the manifest is not in the merge commit: the GitHub Release has no notes", "release", rec.Release.Version, "commit", rec.MergeSHA)
		return releaseNotes(rec, ""), nil
	}
	if err != nil {
		return "", fmt.Errorf("read the release notes from %s at %s: %w", path, short(rec.MergeSHA), err)
	}
	m, err := manifest.ParseManifest(path, []byte(content))
	if err != nil {
		return "", fmt.Errorf("the manifest as merged: %w", err)
	}
	return releaseNotes(rec, m.Notes), nil
}
