package steps

import (
	"context"
	"fmt"

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
	if err != nil {
		return "", fmt.Errorf("read the release notes from %s at %s: %w", path, short(rec.MergeSHA), err)
	}
	m, err := manifest.ParseManifest(path, []byte(content))
	if err != nil {
		return "", fmt.Errorf("the manifest as merged: %w", err)
	}
	return releaseNotes(rec, m.Notes), nil
}
