package steps

import (
	"errors"
	"fmt"
	"time"
)

// Lease says that a retry started by a person is carrying the release on. The scheduled
// poll runs in a concurrency group of its own (a retry queued there would be dropped by
// the next tick: a group keeps one pending run), so the retry runs in its release's
// group and leaves this mark in the record: the poll keeps off a release with a live
// lease, and a poll already working on it stops at its next save, which finds the record
// changed. A lease outlives a crashed run only until Until.
type Lease struct {
	Holder string    `json:"holder"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
}

// LeaseRetry is the only holder: the poll and the merge need none (the merge stops
// where the poll starts, at exporting; the poll yields on a changed record).
const LeaseRetry = "retry"

// leaseFor is how long a retry's lease lasts: the release workflow's job time limit,
// and a margin.
const leaseFor = 70 * time.Minute

func (l *Lease) validate() error {
	if l == nil {
		return nil
	}
	if l.Holder != LeaseRetry {
		return fmt.Errorf("lease holder %q is unknown", l.Holder)
	}
	if !l.Until.After(l.Since) || l.Until.Sub(l.Since) > leaseFor {
		return errors.New("the lease's times are not ones Shepherd writes")
	}
	return nil
}

// live reports whether the lease still holds at now.
func (l *Lease) live(now time.Time) bool { return l != nil && now.Before(l.Until) }

// heldByRetry reports whether a person's retry is carrying the release on right now.
func (e *Env) heldByRetry(t *tracked) bool {
	if !t.rec.Lease.live(e.Now()) {
		return false
	}
	e.Log.Info("a retry is carrying this release on; the poll leaves it alone", "release", t.rec.Release.Version,
		"since", t.rec.Lease.Since, "until", t.rec.Lease.Until)
	return true
}
