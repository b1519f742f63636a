package steps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/store"
	"github.com/shepherd-release/shepherd/internal/words"
)

// Lease is a run's hold on one release: an object in the release bucket at
// leases/<org>/<source>/<version>.json (LeaseKey), taken with a create-only write, so of
// two runs only one holds it. Every run that changes a release holds its lease while it
// does: a retry, the merge's run, the scheduled poll past the export poll, a command on
// the tracking issue, a withdrawal, the janitor. A second run waits a little
// (leaseWait) and then stops, saying whose run holds it; the poll does not wait, it
// leaves the release to the next tick.
//
// The lease is per release, not per source: the runs that touch several releases (the
// poll, the janitor) handle them one at a time, and two releases never share a step.
//
// Each save of the record is a heartbeat: a replace of the object conditional on the ETag
// this run last wrote, so a run whose lease was taken over or removed finds out at its
// next save and stops before writing. A save without the lease is refused (save in
// tracking.go). A run gives its lease back by writing it as released, again conditional
// on its ETag; a released lease is taken like a missing one. A lease runs out at Until
// (the workflow's job time limit and a margin), after which the next run takes it over,
// conditional on the ETag it read, so of two takers only one wins.
//
// A run that leaves a release finished for good (done, its files removed: finished)
// removes the lease object instead of giving it back, so leases/ does not grow by one
// object per release. MinIO does not evaluate a condition on a delete (internal/store/
// conditional.go), so the removal is a check of the ETag and then a delete, with a moment
// between them. That is safe for a lease this run holds and that holds for a while yet
// (leaseRemoveMargin): no other run writes a lease that holds; they take over only leases
// that were given back, ran out or are not trusted. The one exception is a person's
// `shepherd unlock --force`, which is theirs to decide.
type Lease struct {
	Holder  string `json:"holder"`
	Run     string `json:"run,omitempty"`
	Version string `json:"version"`
	// Token tells one taking of the lease from another with the same times.
	Token     string    `json:"token"`
	Since     time.Time `json:"since"`
	Heartbeat time.Time `json:"heartbeat"`
	Until     time.Time `json:"until"`
	// Released is when the holder gave it back (zero while held).
	Released time.Time `json:"released,omitzero"`

	// Problem says why a lease as read is not trusted (not JSON Shepherd writes, an unknown
	// holder, times Shepherd does not write): such a lease holds nothing and is reported.
	Problem string `json:"-"`
	// Key is the object the lease was read from or written to.
	Key  string `json:"-"`
	etag string
	// finished: the record this run last saved is finished for good, so the run removes
	// the lease object at its end instead of giving it back.
	finished bool
}

// The holders: what kind of run holds the lease.
const (
	LeaseRetry    = "retry"    // a retry, by hand or by /shepherd retry
	LeaseMerge    = "merge"    // the run of a merged release PR (create-version)
	LeasePoll     = "poll"     // the scheduled poll, carrying a release past its export poll
	LeaseCommand  = "command"  // a /shepherd command or a channel label on the tracking issue
	LeaseWithdraw = "withdraw" // shepherd withdraw
	LeaseJanitor  = "janitor"  // the janitor, tidying a published release
)

var leaseHolders = []string{LeaseRetry, LeaseMerge, LeasePoll, LeaseCommand, LeaseWithdraw, LeaseJanitor}

const (
	// leaseFor is how long a lease lasts: the release workflow's job time limit, and a
	// margin.
	leaseFor = 70 * time.Minute
	// leaseWait is how long a run other than the poll waits for a lease held by another
	// run, asking again every leaseRetry.
	leaseWait  = 3 * time.Minute
	leaseRetry = 15 * time.Second
	// leaseSkew is how far in the future a lease's start may be: runners' clocks differ.
	leaseSkew = 5 * time.Minute
	// leaseRemoveMargin is how long a lease must still hold for its run to remove it: a
	// lease about to run out could be taken over between the check and the delete.
	leaseRemoveMargin = 10 * time.Minute
)

// leaseFolder holds the leases of the releases of org/source.
func leaseFolder(org, source string) string { return "leases/" + org + "/" + source }

// LeaseKey is where the lease on a release of org/source is kept.
func LeaseKey(org, source, version string) (string, error) {
	key := leaseFolder(org, source) + "/" + version + ".json"
	if err := store.ValidateKey(key); err != nil {
		return "", fmt.Errorf("the lease of %s/%s %s: %w", org, source, version, err)
	}
	return key, nil
}

func (e *Env) leaseKey(version string) (string, error) {
	return LeaseKey(e.Config.OCL.Org, e.Config.OCL.Source, version)
}

// check says what makes a lease as read untrustworthy ("" when nothing does).
func (l *Lease) check(version string, now time.Time) string {
	switch {
	case !slices.Contains(leaseHolders, l.Holder):
		return fmt.Sprintf("lease holder %q is unknown", capText(oneLine(l.Holder), 60))
	case l.Version != version:
		return fmt.Sprintf("the lease names release %q, not %s", capText(oneLine(l.Version), 40), version)
	case l.Token == "":
		return "the lease has no token"
	case l.Since.IsZero() || l.Heartbeat.IsZero() || l.Until.IsZero():
		return "the lease lacks a time Shepherd writes"
	case !l.Until.After(l.Since) || l.Until.Sub(l.Since) > leaseFor ||
		l.Heartbeat.Before(l.Since) || l.Heartbeat.After(l.Until) || l.Since.After(now.Add(leaseSkew)) ||
		(!l.Released.IsZero() && l.Released.Before(l.Since)):
		return "the lease's times are not ones Shepherd writes"
	case l.Run != "" && checkRunLink(l.Run) != nil:
		return "the lease's run is not a link Shepherd writes"
	}
	return ""
}

// held reports whether the lease holds at now: a lease not trusted, given back or run
// out holds nothing.
func (l *Lease) held(now time.Time) bool {
	return l != nil && l.Problem == "" && l.Released.IsZero() && now.Before(l.Until)
}

// Stale reports whether a held lease's holder has shown no sign of life for longer than
// staleAfter.
func (l *Lease) Stale(now time.Time, staleAfter time.Duration) bool {
	return l.held(now) && now.Sub(l.Heartbeat) > staleAfter
}

// Describe says whose the lease is: holder, run, since when, last heartbeat, until.
func (l *Lease) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "held by %s", capText(oneLine(l.Holder), 60))
	if l.Run != "" && checkRunLink(l.Run) == nil {
		fmt.Fprintf(&b, " (run %s)", l.Run)
	}
	// Times, not ages: a status showing this stays the same from one tick to the next.
	if !l.Since.IsZero() {
		fmt.Fprintf(&b, " since %s", l.Since.UTC().Format(timeLayout))
	}
	if !l.Heartbeat.IsZero() {
		fmt.Fprintf(&b, ", last heartbeat %s", l.Heartbeat.UTC().Format(timeLayout))
	}
	if !l.Until.IsZero() {
		fmt.Fprintf(&b, ", until %s", l.Until.UTC().Format(timeLayout))
	}
	return b.String()
}

// State says in a few words what the lease is worth at now: whether it holds, and if not
// why.
func (l *Lease) State(now time.Time, staleAfter time.Duration) string {
	switch {
	case l.Problem != "":
		return "not trusted (" + l.Problem + "): it holds nothing"
	case !l.Released.IsZero():
		return "given back at " + l.Released.UTC().Format(timeLayout) + ": it holds nothing"
	case !now.Before(l.Until):
		return "run out at " + l.Until.UTC().Format(timeLayout) + ", never given back (its run died): it holds nothing"
	case l.Stale(now, staleAfter):
		return fmt.Sprintf("stale: no heartbeat for %s (lease.stale_after is %s), so its run has most likely died", words.Duration(now.Sub(l.Heartbeat)), words.Duration(staleAfter))
	}
	return "live: its run may still be changing the release"
}

// Notice is the warning a status, a log and the site give about a lease: one not trusted,
// or one gone stale ("" when there is nothing to warn of).
func (l *Lease) Notice(now time.Time, staleAfter time.Duration) string {
	switch {
	case l == nil:
		return ""
	case l.Problem != "":
		return fmt.Sprintf("the lease %s is not trusted (%s) and holds nothing; `shepherd unlock --version %s` shows and removes it", l.Key, l.Problem, l.Version)
	case l.Stale(now, staleAfter):
		return fmt.Sprintf("stale lease: %s; no sign of life for more than %s, so its run has most likely died. `shepherd unlock --version %s` shows and removes it",
			l.Describe(), words.Duration(staleAfter), l.Version)
	}
	return ""
}

// ErrLeaseHeld: another run holds the release's lease.
var ErrLeaseHeld = errors.New("another run holds the release's lease")

// LeaseHeldError is a run that did not get a release's lease; its text is the one line
// the log, the status and the person read.
type LeaseHeldError struct {
	Lease  *Lease
	Age    time.Duration
	Waited time.Duration
}

func (e *LeaseHeldError) Error() string {
	l := e.Lease
	waited := ""
	if e.Waited > 0 {
		waited = fmt.Sprintf(" after waiting %s", words.Duration(e.Waited))
	}
	return fmt.Sprintf("release %s is being changed by another run: lease %s, %s, for %s; this run stops%s. If that run has died, `shepherd unlock --version %s` removes its lease",
		l.Version, l.Key, l.Describe(), words.Duration(e.Age), waited, l.Version)
}

func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// ErrLeaseLost: the lease this run held was taken over or removed; the run stops.
var ErrLeaseLost = errors.New("this run's lease on the release was taken over or removed")

// readLease reads a release's lease (nil when there is none). A lease Shepherd could not
// have written comes back with its Problem set, never as an error: it is reported, not
// trusted.
func (e *Env) readLease(ctx context.Context, version string) (*Lease, error) {
	key, err := e.leaseKey(version)
	if err != nil {
		return nil, err
	}
	data, etag, err := e.Store.ReadSmall(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the lease of release %s: %w", version, err)
	}
	l := &Lease{}
	if err := json.Unmarshal(data, l); err != nil {
		l = &Lease{Problem: "it is not JSON Shepherd writes: " + capText(err.Error(), 120)}
	} else {
		l.Problem = l.check(version, e.Now())
	}
	l.Key, l.etag = key, etag
	if l.Version == "" || l.Problem != "" {
		l.Version = version
	}
	return l, nil
}

// finishLease says the release is finished for good: this run removes its lease at its
// end instead of giving it back. A dry run, which holds none, says it would.
func (e *Env) finishLease(version string) {
	if l := e.heldLease(version); l != nil {
		l.finished = true
	} else if e.DryRun {
		e.Log.Info("dry run: would remove the lease: the release is finished", "release", version)
	}
}

// heldLease is this run's lease on version (nil when it holds none).
func (e *Env) heldLease(version string) *Lease {
	e.leaseMu.Lock()
	defer e.leaseMu.Unlock()
	return e.leases[version]
}

func (e *Env) keepLease(l *Lease) {
	e.leaseMu.Lock()
	defer e.leaseMu.Unlock()
	if e.leases == nil {
		e.leases = map[string]*Lease{}
	}
	if l == nil {
		return
	}
	e.leases[l.Version] = l
}

func (e *Env) forgetLease(version string) {
	e.leaseMu.Lock()
	defer e.leaseMu.Unlock()
	delete(e.leases, version)
}

// withLease runs fn holding the lease on version, and gives the lease back afterwards,
// whatever fn returned. A run that holds it already just runs fn. wait bounds how long
// it waits for a lease another run holds.
func (e *Env) withLease(ctx context.Context, version, holder string, wait time.Duration, fn func() error) (err error) {
	if e.heldLease(version) != nil {
		return fn()
	}
	l, err := e.takeLease(ctx, version, holder, wait)
	if err != nil {
		// Held by another run, or the storage failed or refused: either way this run
		// writes nothing of the release.
		return err
	}
	if l == nil { // a dry run
		return fn()
	}
	defer func() {
		if gerr := e.giveBack(ctx, l); err == nil {
			err = gerr
		}
	}()
	return fn()
}

// takeLease takes the lease on version for holder: created when there is none, taken
// over when the one there is given back, run out or not trusted, and waited for (at most
// wait) when another run holds it. A dry run takes nothing (nil) and only says whose it is.
func (e *Env) takeLease(ctx context.Context, version, holder string, wait time.Duration) (*Lease, error) {
	key, err := e.leaseKey(version)
	if err != nil {
		return nil, err
	}
	start := e.Now()
	logged := false
	// A lease that keeps changing hands under this run's reads is bounded too.
	for attempt := 1; ; attempt++ {
		now := e.Now()
		current, err := e.readLease(ctx, version)
		if err != nil {
			return nil, fmt.Errorf("take the lease of release %s: %w", version, err)
		}
		if current.held(now) && e.DryRun {
			e.Log.Info("dry run: another run holds the release's lease; a real run would wait for it, then stop", "release", version, "lease", current.Describe())
			return nil, nil
		}
		if current.held(now) {
			waited := now.Sub(start)
			if waited+leaseRetry > wait || attempt > 100 {
				held := &LeaseHeldError{Lease: current, Age: max(now.Sub(current.Since), 0), Waited: waited}
				if wait == 0 {
					// The scheduled runs (the poll, the janitor) never wait: the release is
					// theirs again on a later run.
					e.Log.Info("another run holds the release's lease; this run leaves the release alone", "release", version, "lease", current.Describe())
				} else {
					e.Log.Warn(held.Error(), "release", version, "holder", current.Holder, "run", current.Run, "since", current.Since, "heartbeat", current.Heartbeat)
				}
				return nil, held
			}
			if !logged {
				e.Log.Info("waiting for another run's lease on the release", "release", version, "lease", current.Describe(), "wait", wait)
				logged = true
			}
			if err := e.sleep(ctx, leaseRetry); err != nil {
				return nil, err
			}
			continue
		}
		if current != nil && current.Released.IsZero() {
			// Not given back: its run died, or it is not a lease Shepherd wrote.
			why := current.Problem
			if why == "" {
				why = "it ran out before its run gave it back"
			}
			e.Log.Warn("taking over a lease that holds nothing: "+why, "release", version, "key", key, "lease", current.Describe())
		}
		if e.DryRun {
			e.Log.Info("dry run: would take the lease", "release", version, "key", key, "holder", holder)
			return nil, nil
		}
		mine := &Lease{Holder: holder, Run: e.RunURL, Version: version, Token: newLeaseToken(), Since: now, Heartbeat: now, Until: now.Add(leaseFor), Key: key}
		data, err := json.Marshal(mine)
		if err != nil {
			return nil, err
		}
		if current == nil {
			mine.etag, err = e.Store.Create(ctx, key, data)
		} else {
			mine.etag, err = e.Store.Replace(ctx, key, data, current.etag)
		}
		if errors.Is(err, store.ErrPreconditionFailed) && attempt <= 100 {
			continue // another run got there first: read again
		}
		if err != nil {
			return nil, fmt.Errorf("take the lease of release %s: %w", version, err)
		}
		e.Log.Info("lease taken", "release", version, "key", key, "holder", holder, "run", e.RunURL, "until", mine.Until)
		e.keepLease(mine)
		return mine, nil
	}
}

// heartbeat renews this run's lease on the release of rec, if it holds one: the object is
// replaced only while it is the one this run wrote, so a lease taken over or removed
// stops the run. It notes whether rec is finished for good: the run then removes the
// lease at its end.
func (e *Env) heartbeat(ctx context.Context, rec *Record) error {
	l := e.heldLease(rec.Release.Version)
	if l == nil || e.DryRun {
		return nil
	}
	l.finished = rec.finished()
	next := *l
	next.Heartbeat = earlier(e.Now(), next.Until)
	return e.rewriteLease(ctx, l, &next, "renew")
}

// giveBack writes this run's lease as released, also when the run failed or its context
// ended: the next run then takes it at once instead of after it runs out. The lease of a
// release this run left finished for good is removed instead.
func (e *Env) giveBack(ctx context.Context, l *Lease) error {
	defer e.forgetLease(l.Version)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if l.finished {
		removed, err := e.removeOwnLease(ctx, l)
		if removed || err != nil {
			return err
		}
	}
	next := *l
	now := e.Now()
	next.Heartbeat = earlier(now, next.Until)
	next.Released = next.Since
	if now.After(next.Since) {
		next.Released = now
	}
	if err := e.rewriteLease(ctx, l, &next, "give back"); err != nil {
		return err
	}
	e.Log.Info("lease given back", "release", l.Version, "key", l.Key, "holder", l.Holder)
	return nil
}

// removeOwnLease removes the object of lease l, which this run holds, once the release is
// finished for good. It reports false when the lease is to be given back instead: too
// close to running out to be removed safely, or a storage that refuses the delete (a key
// without s3:DeleteObject on leases/*), which only leaves the object where it was.
func (e *Env) removeOwnLease(ctx context.Context, l *Lease) (bool, error) {
	if !e.Now().Add(leaseRemoveMargin).Before(l.Until) {
		e.Log.Info("the release is finished, but the lease runs out too soon to be removed safely; it is given back", "release", l.Version, "key", l.Key, "until", l.Until)
		return false, nil
	}
	err := e.Store.DeleteIf(ctx, l.Key, l.etag)
	switch {
	case err == nil:
		e.Log.Info("lease removed: the release is finished (done, its files removed)", "release", l.Version, "key", l.Key, "holder", l.Holder)
		return true, nil
	case errors.Is(err, store.ErrPreconditionFailed):
		e.Log.Error("this run's lease was taken over or removed; it is left alone", "release", l.Version, "key", l.Key, "error", err.Error())
		return false, fmt.Errorf("remove the lease of release %s: %w (%w)", l.Version, ErrLeaseLost, err)
	}
	e.Log.Warn("the lease of a finished release could not be removed; it is given back and the janitor removes it later", "release", l.Version, "key", l.Key, "error", err.Error())
	return false, nil
}

// rewriteLease replaces the object of lease l with next, conditional on l's ETag.
func (e *Env) rewriteLease(ctx context.Context, l, next *Lease, what string) error {
	data, err := json.Marshal(next)
	if err != nil {
		return err
	}
	etag, err := e.Store.Replace(ctx, l.Key, data, l.etag)
	if errors.Is(err, store.ErrPreconditionFailed) {
		e.forgetLease(l.Version)
		e.Log.Error("this run's lease was taken over or removed; it stops changing the release", "release", l.Version, "key", l.Key, "error", err.Error())
		return fmt.Errorf("%s the lease of release %s: %w (%w)", what, l.Version, ErrLeaseLost, err)
	}
	if err != nil {
		return fmt.Errorf("%s the lease of release %s: %w", what, l.Version, err)
	}
	next.etag = etag
	*l = *next
	return nil
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func newLeaseToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// UnlockResult says what `shepherd unlock` found and did.
type UnlockResult struct {
	Key     string
	Lease   *Lease // nil when there was no lease object
	Age     time.Duration
	Removed bool
}

// ErrLeaseLive stops an unlock without --force: the lease's run may still be working.
var ErrLeaseLive = errors.New("the lease is live: its run may still be working")

// Unlock removes a release's lease object and says whose it was. A lease that holds and
// is not stale is removed only with force, since its run may still be changing the
// release. The object is removed only while it is the one shown (conditional on its
// ETag). A dry run removes nothing.
func (e *Env) Unlock(ctx context.Context, version string, force bool) (UnlockResult, error) {
	key, err := e.leaseKey(version)
	if err != nil {
		return UnlockResult{}, err
	}
	res := UnlockResult{Key: key}
	l, err := e.readLease(ctx, version)
	if err != nil || l == nil {
		return res, err
	}
	now := e.Now()
	res.Lease = l
	if !l.Since.IsZero() {
		res.Age = max(now.Sub(l.Since), 0)
	}
	if !force && l.held(now) && !l.Stale(now, e.Config.Lease.StaleAfter) {
		return res, fmt.Errorf("%w (%s); --force removes it anyway", ErrLeaseLive, l.Describe())
	}
	if e.DryRun {
		e.Log.Info("dry run: would remove the lease", "release", version, "key", key, "lease", l.Describe())
		return res, nil
	}
	if err := e.Store.DeleteIf(ctx, key, l.etag); err != nil {
		if errors.Is(err, store.ErrPreconditionFailed) {
			return res, fmt.Errorf("the lease changed while it was shown (another run took or renewed it); nothing removed, run unlock again to see it: %w", err)
		}
		return res, err
	}
	res.Removed = true
	e.Log.Warn("lease removed by hand", "release", version, "key", key, "holder", l.Holder, "run", l.Run, "since", l.Since, "problem", l.Problem, "forced", force)
	return res, nil
}
