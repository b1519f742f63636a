package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/store"
)

// JanitorOutcome says what the daily job did for one release.
type JanitorOutcome struct {
	Version  string
	Removed  bool
	Reissued int
	// Reminded: the release had waited too long in its phase or channel, or the release
	// PR for a review, and got its daily reminder (Reminder says what and whom).
	Reminded bool
	Reminder *Reminder
	// PR is the release PR a review reminder was posted on (Version then reads "PR #n").
	PR  int
	Err error
}

// Janitor deletes every release past its retention (some servers apply lifecycle rules
// late or never), records the removal on the release's status, and re-issues download
// links that would expire before the next run, so a download works for the whole
// retention period and never after. The current production release and the one before
// it (for rollback) are kept, and their links re-issued, however old they are. A release
// whose files it removes is finished for good: its lease object goes with them, and so
// does any lease object left of an earlier finished release (removeFinishedLeases).
func (e *Env) Janitor(ctx context.Context) ([]JanitorOutcome, error) {
	if err := e.pausedForMaintenance(ctx, LeaseJanitor); err != nil {
		return nil, err
	}
	issues, err := e.GitHub.ListTracking(ctx)
	if err != nil {
		return nil, err
	}
	// Without knowing what production holds, nothing may be deleted.
	kept, err := e.keptByChannels(ctx)
	if err != nil {
		return nil, fmt.Errorf("read what the production channel holds: %w", err)
	}
	var out []JanitorOutcome
	seen := map[string]bool{}
	finished := map[string]bool{}
	for _, issue := range issues {
		rec, ok, err := e.readRecord(issue) // a refused record is logged there and left alone
		if ok && rec.finished() {
			finished[rec.Release.Version] = true
		}
		if err != nil || !ok || rec.Release.Phase != release.Done || !rec.RemovedAt.IsZero() {
			if err != nil {
				out = append(out, JanitorOutcome{Version: issue.Version, Err: err})
			}
			continue
		}
		seen[rec.Release.Version] = true
		t := &tracked{rec: rec, issue: issue}
		o := JanitorOutcome{Version: rec.Release.Version}
		o.Err = e.withLease(ctx, o.Version, LeaseJanitor, 0, func() error {
			var err error
			o.Removed, o.Reissued, err = e.tidy(ctx, t, kept[rec.Release.Version])
			return err
		})
		o.Err = e.yielded(t, o.Err)
		if o.Err != nil {
			e.Log.Error("janitor: release not tidied; the next run tries again", "release", o.Version, "error", o.Err.Error())
		}
		out = append(out, o)
	}
	if err := e.removeFinishedLeases(ctx, finished); err != nil {
		out = append(out, JanitorOutcome{Version: "leases", Err: err})
	}
	reminded, err := e.Remind(ctx)
	for _, r := range reminded {
		out = append(out, JanitorOutcome{Version: r.Item, Reminded: true, Reminder: &r})
	}
	if err != nil {
		out = append(out, JanitorOutcome{Version: "reminders", Err: err})
	}
	prs, err := e.RemindReviews(ctx)
	for _, r := range prs {
		out = append(out, JanitorOutcome{Version: r.Item, PR: r.Number, Reminded: true, Reminder: &r})
	}
	if err != nil {
		out = append(out, JanitorOutcome{Version: "review reminders", Err: err})
	}
	// Releases without a record (or whose issue was deleted) expire by their upload time.
	objects, err := e.Store.List(ctx, e.Config.Storage.Prefix)
	if err != nil {
		return out, err
	}
	for _, folder := range store.Expired(e.Config.Storage.Prefix, objects, e.Config.Retention, e.Now()) {
		version := folder[strings.LastIndex(folder, "/")+1:]
		if seen[version] || kept[version] {
			continue
		}
		n := 0
		err := e.act("delete "+folder, func() error {
			var err error
			n, err = store.RemoveFolder(ctx, e.Store, folder, nil)
			return err
		})
		e.Log.Info("janitor: deleted an expired release without a status", "folder", folder, "objects", n)
		out = append(out, JanitorOutcome{Version: version, Removed: err == nil, Err: err})
	}
	return out, nil
}

func (e *Env) tidy(ctx context.Context, t *tracked, kept bool) (removed bool, reissued int, err error) {
	rec := t.rec
	now := e.Now()
	// A release production kept past its retention lives on until the latest deletion
	// date its links promised.
	deleteAt := rec.UploadedAt.Add(e.Config.Retention)
	for _, d := range rec.Downloads {
		if d.DeleteAt.After(deleteAt) {
			deleteAt = d.DeleteAt
		}
	}
	retentionStart := deleteAt.Add(-e.Config.Retention)
	if kept {
		// Kept by the production channel: its files stay another retention period from
		// every run, and its links are re-issued as if it had just been uploaded.
		retentionStart = now
		for i := range rec.Downloads {
			if d := &rec.Downloads[i]; d.DeleteAt.Before(now.Add(e.Config.Retention)) && store.NeedsReissue(d.ValidUntil, now, store.DefaultReissueMargin) {
				d.DeleteAt = now.Add(e.Config.Retention)
			}
		}
	}
	if !now.Before(deleteAt) && !kept {
		folder, err := store.ReleaseFolder(e.Config.Storage.Prefix, rec.Release.Version)
		if err != nil {
			return false, 0, err
		}
		n := 0
		err = e.act("delete "+folder, func() error {
			var err error
			n, err = store.RemoveFolder(ctx, e.Store, folder, recordedKeys(rec))
			return err
		})
		if err != nil {
			return false, 0, err
		}
		rec.RemovedAt = now
		e.Log.Info("janitor: release removed at the end of its retention", "release", rec.Release.Version, "objects", n)
		return true, 0, e.save(ctx, t)
	}
	for i := range rec.Downloads {
		d := &rec.Downloads[i]
		if !store.NeedsReissue(d.ValidUntil, now, store.DefaultReissueMargin) || !d.ValidUntil.Before(d.DeleteAt) {
			continue
		}
		validFor, _ := store.LinkValidity(now, retentionStart, e.Config.Retention, store.MaxPresignValidity)
		if validFor <= 0 {
			continue
		}
		if e.DryRun {
			e.Log.Info("dry run: would re-issue a link", "file", d.File, "expires", d.ValidUntil)
			continue
		}
		url, expires, err := e.Store.Link(ctx, d.Key, validFor)
		if err != nil {
			return false, reissued, fmt.Errorf("re-issue the link of %s: %w", d.File, err)
		}
		d.URL, d.ValidUntil = url, expires
		reissued++
	}
	if reissued, err = e.reissueReportLinks(ctx, rec, now, reissued); err != nil {
		return false, reissued, err
	}
	if reissued == 0 {
		return false, 0, nil
	}
	e.Log.Info("janitor: links re-issued", "release", rec.Release.Version, "links", reissued)
	if rec.Tag != "" && !e.DryRun {
		text, err := e.releaseText(ctx, rec)
		if err != nil {
			return false, reissued, err
		}
		if _, _, err := e.GitHub.EnsureRelease(ctx, rec.Tag, releaseName(rec), text); err != nil {
			return false, reissued, err
		}
	}
	return false, reissued, e.save(ctx, t)
}

// removeFinishedLeases removes the lease objects left of releases finished for good
// (done, files removed): given back by a command on such a release, by a run from before
// leases were removed, or left where a removal failed. It lists the leases folder once,
// and only when there is a finished release; each lease found is taken (never waited
// for: one another run holds is left to the next janitor run) and removed as this run's
// own, which is what makes the removal safe on a server that does not evaluate a
// condition on a delete (lease.go). A dry run removes nothing and says what it would.
func (e *Env) removeFinishedLeases(ctx context.Context, finished map[string]bool) error {
	if len(finished) == 0 {
		return nil
	}
	folder := leaseFolder(e.Config.OCL.Org, e.Config.OCL.Source)
	objects, err := e.Store.List(ctx, folder)
	if err != nil {
		return fmt.Errorf("list the leases in %s: %w", folder, err)
	}
	var errs []error
	for _, o := range objects {
		version, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, folder+"/"), ".json")
		if !ok || !finished[version] {
			continue
		}
		err := e.withLease(ctx, version, LeaseJanitor, 0, func() error {
			e.finishLease(version)
			return nil
		})
		if err != nil && !errors.Is(err, ErrLeaseHeld) {
			errs = append(errs, fmt.Errorf("release %s: %w", version, err))
		}
	}
	return errors.Join(errs...)
}
