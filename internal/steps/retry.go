package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/release"
)

// Retry carries a release on by hand: a failed release resumes in the phase it failed
// in, an incomplete one goes back to polling with its attempts reset, and any other
// release simply runs its current step again (which is harmless: steps are idempotent).
func (e *Env) Retry(ctx context.Context, m *manifest.Manifest) (*Record, error) {
	return e.retry(ctx, m, release.Command{Event: release.Retried})
}

// retry is Retry on behalf of by: a person's /shepherd retry records who asked, and its
// comment, on the timeline; an operator's command line records nobody.
func (e *Env) retry(ctx context.Context, m *manifest.Manifest, by release.Command) (rec *Record, err error) {
	// A release without a tracking issue gets no lease object.
	if _, err := e.findNamed(ctx, m); err != nil {
		return nil, err
	}
	err = e.withLease(ctx, m.Version, LeaseRetry, leaseWait, func() error {
		rec, err = e.retryHolding(ctx, m, by)
		return err
	})
	return rec, err
}

// retryHolding is retry once the run holds the release's lease.
func (e *Env) retryHolding(ctx context.Context, m *manifest.Manifest, by release.Command) (*Record, error) {
	var t *tracked
	var err error
	// A poll working on the release may save between this run's read and its first
	// write: read again and retry, so that a person's retry is not lost to a tick.
	for attempt := 1; ; attempt++ {
		if t, err = e.findNamed(ctx, m); err != nil {
			return nil, err
		}
		err = e.startRetry(ctx, t, by)
		if !errors.Is(err, github.ErrConflict) || attempt == 3 {
			break
		}
		e.Log.Info("the release moved while the retry started; reading it again", "release", m.Version)
	}
	rec := t.rec
	if err != nil {
		return rec, err
	}
	switch rec.Release.Phase {
	case release.Configuration, release.QA, release.Deploy:
		return e.Merged(ctx, m, rec.MergeSHA)
	case release.Done:
		e.Log.Info("nothing to retry", "release", m.Version, "phase", rec.Release.Phase)
		return rec, nil
	}
	return rec, e.carryOn(ctx, t, false)
}

// findNamed finds the release's tracking issue; for an issue a person opened and the
// manifest names, also when someone took its label away (the label is how the poll
// finds such an issue, and this run's save puts it back).
func (e *Env) findNamed(ctx context.Context, m *manifest.Manifest) (*tracked, error) {
	t, err := e.find(ctx, m.Version)
	if err == nil || m.Issue == 0 {
		return t, err
	}
	issue, nerr := e.GitHub.CheckNamedIssue(ctx, m.Issue, m.Version)
	if nerr != nil || issue.Status == nil {
		return nil, err
	}
	rec, ok, rerr := e.readRecord(issue)
	if rerr != nil {
		return nil, rerr
	}
	if !ok {
		return nil, err
	}
	return &tracked{rec: rec, issue: issue}, nil
}

// startRetry moves a failed or incomplete release on (the run holds its lease, which
// keeps the scheduled poll off it).
func (e *Env) startRetry(ctx context.Context, t *tracked, by release.Command) error {
	rec := t.rec
	from := rec.Release.Phase
	if from == release.Failed || from == release.Incomplete {
		by.Reason = fmt.Sprintf("retried by hand from %s", from)
		if by.Actor != "" {
			by.Reason = fmt.Sprintf("retried by @%s from %s", by.Actor, from)
		}
		if err := rec.Release.ApplyCommand(by, e.Now(), e.Config.Rollout.GracePeriod); err != nil {
			return err
		}
		e.Log.Info("release moved", "release", rec.Release.Version, "from", from, "to", rec.Release.Phase, "event", release.Retried, "by", by.Actor)
		return e.save(ctx, t)
	}
	return nil
}

// Status reads a release's record from its tracking issue.
func (e *Env) Status(ctx context.Context, version string) (*Record, error) {
	t, err := e.find(ctx, version)
	if err != nil {
		return nil, err
	}
	return t.rec, nil
}
