package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/words"
)

// Lease says that a retry started by a person is carrying the release on. The scheduled
// poll runs in a concurrency group of its own (a retry queued there would be dropped by
// the next tick: a group keeps one pending run), so the retry runs in its release's
// group and leaves this mark in the record: the poll keeps off a release with a live
// lease, and a poll already working on it stops at its next save, which finds the record
// changed. A lease outlives a crashed run only until Until.
//
// Run names the run holding it (its URL on GitHub, empty from a terminal) and Heartbeat
// is the holder's last save: a lease whose heartbeat is older than lease.stale_after is
// reported loudly (StaleNotice), and `shepherd unlock` removes it.
type Lease struct {
	Holder    string    `json:"holder"`
	Run       string    `json:"run,omitempty"`
	Since     time.Time `json:"since"`
	Until     time.Time `json:"until"`
	Heartbeat time.Time `json:"heartbeat,omitzero"`
	// Problem says why a lease as read is not trusted (an unknown holder, times Shepherd
	// does not write): such a lease holds nothing and is reported until it is removed.
	Problem string `json:"-"`
}

// LeaseRetry is the only holder: the poll and the merge need none (the merge stops
// where the poll starts, at exporting; the poll yields on a changed record).
const LeaseRetry = "retry"

// leaseFor is how long a retry's lease lasts: the release workflow's job time limit,
// and a margin.
const leaseFor = 70 * time.Minute

// check says what makes a lease as read untrustworthy ("" when nothing does).
func (l *Lease) check() string {
	if l.Holder != LeaseRetry {
		return fmt.Sprintf("lease holder %q is unknown", capText(l.Holder, 60))
	}
	if !l.Until.After(l.Since) || l.Until.Sub(l.Since) > leaseFor ||
		(!l.Heartbeat.IsZero() && (l.Heartbeat.Before(l.Since) || l.Heartbeat.After(l.Until))) {
		return "the lease's times are not ones Shepherd writes"
	}
	if l.Run != "" && checkLink(l.Run) != nil {
		return "the lease's run is not a link Shepherd writes"
	}
	return ""
}

// live reports whether the lease still holds at now: a lease that is not trusted never does.
func (l *Lease) live(now time.Time) bool { return l != nil && l.Problem == "" && now.Before(l.Until) }

// lastSign is the holder's latest sign of life.
func (l *Lease) lastSign() time.Time {
	if l.Heartbeat.After(l.Since) {
		return l.Heartbeat
	}
	return l.Since
}

// Stale reports whether the holder has shown no sign of life for longer than staleAfter.
func (l *Lease) Stale(now time.Time, staleAfter time.Duration) bool {
	return l != nil && now.Sub(l.lastSign()) > staleAfter
}

// Describe says whose the lease is, since when and its last heartbeat.
func (l *Lease) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "held by %s", l.Holder)
	if l.Run != "" {
		fmt.Fprintf(&b, " (run %s)", l.Run)
	}
	// Times, not ages: a status showing this stays the same from one tick to the next.
	fmt.Fprintf(&b, " since %s", l.Since.UTC().Format(timeLayout))
	if !l.Heartbeat.IsZero() {
		fmt.Fprintf(&b, ", last heartbeat %s", l.Heartbeat.UTC().Format(timeLayout))
	}
	fmt.Fprintf(&b, ", until %s", l.Until.UTC().Format(timeLayout))
	return b.String()
}

// LeaseNotice is the warning a status and a log give about a release's lease: one not
// trusted, or one gone stale ("" when there is nothing to warn of).
func LeaseNotice(rec *Record, now time.Time, staleAfter time.Duration) string {
	l := rec.Lease
	switch {
	case l == nil:
		return ""
	case l.Problem != "":
		return fmt.Sprintf("the lease in this record is not trusted (%s) and holds nothing; `shepherd unlock --version %s` removes it", l.Problem, rec.Release.Version)
	case l.Stale(now, staleAfter):
		return fmt.Sprintf("stale lease: %s; no sign of life for more than %s, so its run has most likely died. `shepherd unlock --version %s` shows and removes it",
			l.Describe(), words.Duration(staleAfter), rec.Release.Version)
	}
	return ""
}

// heldByRetry reports whether a person's retry is carrying the release on right now. It
// is also where the scheduled poll reports a lease: one not trusted or gone stale is
// logged as a warning and shown on the status (written only when that changes it), and
// one that ran out, its run having died, is taken back with a warning naming that run.
func (e *Env) heldByRetry(ctx context.Context, t *tracked) (bool, error) {
	l, now := t.rec.Lease, e.Now()
	if l == nil {
		return false, nil
	}
	if notice := LeaseNotice(t.rec, now, e.Config.Lease.StaleAfter); notice != "" {
		e.Log.Warn(notice, "release", t.rec.Release.Version, "run", l.Run)
	}
	switch {
	case l.Problem != "":
		return false, nil
	case !l.live(now):
		e.Log.Warn("the lease ran out before its run gave the release back; the poll takes it over", "release", t.rec.Release.Version,
			"holder", l.Holder, "run", l.Run, "since", l.Since, "until", l.Until, "heartbeat", l.Heartbeat)
		t.rec.Lease = nil
		return false, nil
	}
	e.Log.Info("a retry is carrying this release on; the poll leaves it alone", "release", t.rec.Release.Version,
		"run", l.Run, "since", l.Since, "until", l.Until)
	notice := LeaseNotice(t.rec, now, e.Config.Lease.StaleAfter)
	if notice != "" && !strings.Contains(t.issue.StatusText(), escapeCell(capitalise(notice))) {
		return true, e.save(ctx, t) // the warning on the status, once
	}
	return true, nil
}

// ErrLeaseLive stops an unlock without --force: the lease's run may still be working.
var ErrLeaseLive = errors.New("the lease is live: its run may still be working")

// Unlock removes a release's lease and returns it (nil when there was none). A live,
// trusted lease that is not stale is removed only with force, since its run may still
// be carrying the release on.
func (e *Env) Unlock(ctx context.Context, version string, force bool) (*Lease, error) {
	t, err := e.find(ctx, version)
	if err != nil {
		return nil, err
	}
	l := t.rec.Lease
	if l == nil {
		return nil, nil
	}
	now := e.Now()
	if !force && l.live(now) && !l.Stale(now, e.Config.Lease.StaleAfter) {
		return l, fmt.Errorf("%w (%s); --force removes it anyway", ErrLeaseLive, l.Describe())
	}
	e.Log.Warn("lease removed by hand", "release", version, "holder", l.Holder, "run", l.Run, "since", l.Since, "problem", l.Problem)
	t.rec.Lease = nil
	return l, e.save(ctx, t)
}
