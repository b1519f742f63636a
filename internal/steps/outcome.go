package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/words"
)

// OutcomeKind is what a step's run means for the release.
type OutcomeKind int

const (
	// OutcomeDone: the step finished (the release moved on, or had nothing to do here).
	OutcomeDone OutcomeKind = iota
	// OutcomeWait: the release waits on someone else (OCL building the export) and the
	// step has recorded the wait; nothing is counted and the next run looks again.
	OutcomeWait
	// OutcomePermanent: only a person can fix it; the release fails once with Reason.
	OutcomePermanent
	// OutcomeTransient: an outage; counted on the record's Trouble, the next run tries
	// again, and after MaxTransientAttempts runs in a row the release fails.
	OutcomeTransient
	// OutcomeInterrupted: the run was cancelled, the release already ended, or another
	// run moved it; nothing is recorded and Err is returned as it is.
	OutcomeInterrupted
)

// Outcome is the one value a step's run comes to; Env.conclude turns it into the
// record's change.
type Outcome struct {
	Kind OutcomeKind
	// Until is when the next look is due (OutcomeWait).
	Until time.Time
	// What names the trouble's source, e.g. "storage unreachable" (OutcomeTransient).
	What string
	// Reason and Details are the failure people read (OutcomePermanent).
	Reason, Details string
	Err             error
}

// outcomeOf classifies a step's error: nil is done; a cancelled run, an ended release or
// a conflict with another run is interrupted; otherwise errorClass decides.
func (e *Env) outcomeOf(ctx context.Context, t *tracked, err error) Outcome {
	if err == nil {
		return Outcome{Kind: OutcomeDone}
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || t.rec.Release.Phase.Terminal() || errors.Is(err, github.ErrConflict) {
		return Outcome{Kind: OutcomeInterrupted, Err: err}
	}
	what, permanent := errorClass(err)
	if permanent {
		reason := err.Error()
		if !strings.HasPrefix(reason, what) {
			reason = what + ": " + reason
		}
		return Outcome{Kind: OutcomePermanent, What: what, Reason: reason, Err: err}
	}
	return Outcome{Kind: OutcomeTransient, What: what, Err: err}
}

// failedStep is the permanent outcome of a *stepError (a failure of the release itself,
// not an outage); details, when set, replaces the error's own. ok is false for any other
// error.
func failedStep(err error, details string) (o Outcome, ok bool) {
	var se *stepError
	if !errors.As(err, &se) {
		return Outcome{}, false
	}
	if details == "" {
		details = se.details
	}
	return Outcome{Kind: OutcomePermanent, Reason: se.reason, Details: details, Err: err}, true
}

// refused is the permanent outcome of a refusal whose reason the step words itself.
func refused(reason string) Outcome {
	return Outcome{Kind: OutcomePermanent, Reason: reason}
}

// settle concludes a step's error: see outcomeOf and conclude.
func (e *Env) settle(ctx context.Context, t *tracked, err error) error {
	return e.conclude(ctx, t, e.outcomeOf(ctx, t, err))
}

// conclude makes the record change an outcome calls for. Done clears trouble a past
// phase left (saved with the next change). A permanent outcome fails the release with
// its reason and one comment, and the run goes on to other releases. A transient one is
// counted on the status and its error returned (the run shows it). Waiting and an
// interrupted run change nothing.
func (e *Env) conclude(ctx context.Context, t *tracked, o Outcome) error {
	rec := t.rec
	switch o.Kind {
	case OutcomeDone:
		if rec.Trouble != nil && !troubleCurrent(rec) {
			rec.Trouble = nil
		}
		return nil
	case OutcomeWait:
		e.Log.Debug("release waits", "release", rec.Release.Version, "phase", rec.Release.Phase, "until", o.Until)
		return nil
	case OutcomePermanent:
		return e.fail(ctx, t, MilestoneFailed, o.Reason, o.Details)
	case OutcomeInterrupted:
		return o.Err
	}
	err := o.Err
	now := e.Now()
	if !troubleCurrent(rec) {
		rec.Trouble = &Trouble{Phase: rec.Release.Phase, Since: now}
	}
	tr := rec.Trouble
	tr.Attempts++
	tr.What, tr.Error = o.What, truncateUTF8(err.Error(), 500)
	e.Log.Warn("release step failed; the next run tries again", "release", rec.Release.Version, "phase", rec.Release.Phase,
		"trouble", o.What, "attempt", tr.Attempts, "max", MaxTransientAttempts, "error", err.Error())
	if tr.Attempts >= MaxTransientAttempts {
		reason := fmt.Sprintf("%s: gave up after %s over %s; the last error: %v",
			o.What, words.Count(tr.Attempts, "attempt", "attempts"), words.Duration(now.Sub(tr.Since)), err)
		if ferr := e.fail(ctx, t, MilestoneFailed, reason, ""); ferr != nil {
			return errors.Join(err, ferr)
		}
		return nil
	}
	if e.DryRun {
		return err
	}
	if serr := e.save(ctx, t); serr != nil {
		e.Log.Warn("the attempt could not be recorded on the status", "release", rec.Release.Version, "error", serr.Error())
	}
	return err
}
