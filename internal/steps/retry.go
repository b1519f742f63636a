package steps

import (
	"context"
	"fmt"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/release"
)

// Retry carries a release on by hand: a failed release resumes in the phase it failed
// in, an incomplete one goes back to polling with its attempts reset, and any other
// release simply runs its current step again (which is harmless: steps are idempotent).
func (e *Env) Retry(ctx context.Context, m *manifest.Manifest) (*Record, error) {
	t, err := e.find(ctx, m.Version)
	if err != nil {
		return nil, err
	}
	rec := t.rec
	if rec.Release.Phase == release.Failed || rec.Release.Phase == release.Incomplete {
		if err := e.move(ctx, t, release.Retried, fmt.Sprintf("retried by hand from %s", rec.Release.Phase)); err != nil {
			return rec, err
		}
	}
	switch rec.Release.Phase {
	case release.Configuration, release.QA, release.Deploy:
		return e.Merged(ctx, m, rec.MergeSHA)
	case release.Done:
		e.Log.Info("nothing to retry", "release", m.Version, "phase", rec.Release.Phase)
		return rec, nil
	}
	return rec, e.carryOn(ctx, t)
}

// Status reads a release's record from its tracking issue.
func (e *Env) Status(ctx context.Context, version string) (*Record, error) {
	t, err := e.find(ctx, version)
	if err != nil {
		return nil, err
	}
	return t.rec, nil
}
