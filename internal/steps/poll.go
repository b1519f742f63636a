package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/words"
)

// PollOutcome says what one scheduled run did to one release.
type PollOutcome struct {
	Version string
	Issue   int
	From    release.Phase
	To      release.Phase
	// Record is the release as the run left it (nil when its record could not be read).
	Record *Record
	Err    error
	// StaleLease is true when another run holds the release's lease and this run was the
	// first to report it stale, on the tracking issue: the run leaves the release alone
	// (To is From), but the release site, which shows such a lease, has news.
	StaleLease bool
}

// Poll is the scheduled job: every release waiting for its export is polled once, and a
// release whose export is ready (or that a crash left half-way) is carried to its end.
// Releases are handled independently: one failing never blocks another. A tick that
// finds nothing new posts no comment and makes one write of the record per release (the
// poll count), under the release's lease; a release another run holds is left alone.
func (e *Env) Poll(ctx context.Context) ([]PollOutcome, error) {
	return e.poll(ctx, false)
}

// PollExports is the cheap half of the scheduled job, for a runner without the load-test
// database: every release waiting for its export is polled once, and a release whose
// export is ready moves to export-qa and stops there. Its outcome (To is past exporting)
// tells the caller to run PollOne for it where the database is; so does a release that
// a crash left past exporting.
func (e *Env) PollExports(ctx context.Context) ([]PollOutcome, error) {
	return e.poll(ctx, true)
}

// poll is Poll, or PollExports when exportsOnly.
func (e *Env) poll(ctx context.Context, exportsOnly bool) ([]PollOutcome, error) {
	if err := e.pausedForMaintenance(ctx, LeasePoll); err != nil {
		return nil, err
	}
	issues, err := e.GitHub.ListTracking(ctx)
	if err != nil {
		return nil, err
	}
	var out []PollOutcome
	for _, issue := range issues {
		rec, ok, err := e.readRecord(issue)
		if err != nil {
			out = append(out, PollOutcome{Version: issue.Version, Issue: issue.Number, Err: err})
			continue
		}
		if !ok {
			continue
		}
		t := &tracked{rec: rec, issue: issue}
		if !pollable(rec.Release.Phase) && rec.Paused == nil {
			// Nothing to do, and no request to the bucket. Labels follow the record on every
			// run, so a run that died between the status and the labels leaves nothing
			// stuck; matching labels cost no request.
			if err := e.reconcileLabels(ctx, t); err != nil {
				out = append(out, PollOutcome{Version: rec.Release.Version, Issue: issue.Number, From: rec.Release.Phase, To: rec.Release.Phase, Err: err})
			}
			continue
		}
		o := PollOutcome{Version: rec.Release.Version, Issue: issue.Number, From: rec.Release.Phase, Record: rec}
		held, reported, err := e.pollHolding(ctx, t, exportsOnly)
		if held {
			if err != nil {
				e.Log.Warn("the stale lease could not be reported on the tracking issue", "release", o.Version, "error", err.Error())
			}
			if reported {
				o.To, o.StaleLease = o.From, true
				out = append(out, o)
			}
			continue // another run holds the release: it is that run's this tick
		}
		o.Err = e.yielded(t, err)
		o.To = t.rec.Release.Phase
		if o.Err != nil {
			e.Log.Error("release step failed; the next run tries again", "release", o.Version, "phase", o.To, "error", o.Err.Error())
		}
		if pollable(o.From) || o.Err != nil {
			out = append(out, o)
		}
	}
	return out, nil
}

// PollOne runs the scheduled job for one release only.
func (e *Env) PollOne(ctx context.Context, version string) (*Record, error) {
	t, err := e.find(ctx, version)
	if err != nil {
		return nil, err
	}
	if !pollable(t.rec.Release.Phase) {
		e.Log.Info("nothing to poll", "release", version, "phase", t.rec.Release.Phase)
		return t.rec, nil
	}
	held, _, err := e.pollHolding(ctx, t, false)
	if held {
		if err != nil {
			e.Log.Warn("the stale lease could not be reported on the tracking issue", "release", version, "error", err.Error())
		}
		return t.rec, nil // another run carries it on
	}
	return t.rec, err
}

// pollHolding does the scheduled poll's work on one release (clearing a maintenance
// notice, polling its export, the steps after it) holding the release's lease, and
// gives the lease back afterwards. Every write of the record needs the lease, the export
// poll's count of polls too. When another run holds it the poll never waits: it reports
// held, leaves the release to that run, and warns of a lease gone stale. A lease that
// cannot be taken (the storage failing or refusing) writes nothing either: the error is
// the outcome, and the next tick tries again, the poll not counted. reported is true when
// the lease another run holds was reported stale for the first time.
func (e *Env) pollHolding(ctx context.Context, t *tracked, exportsOnly bool) (held, reported bool, err error) {
	v := t.rec.Release.Version
	if e.heldLease(v) == nil { // not already this run's (a retry's, or the merge's)
		l, err := e.takeLease(ctx, v, LeasePoll, 0)
		var other *LeaseHeldError
		if errors.As(err, &other) {
			reported, err := e.reportStaleLease(ctx, t, other.Lease)
			return true, reported, err
		}
		if err != nil {
			return false, false, err
		}
		if l != nil { // nil in a dry run, which takes none
			defer func() {
				if gerr := e.giveBack(ctx, l); err == nil {
					err = gerr
				}
			}()
		}
	}
	if err := e.resumeAfterMaintenance(ctx, t); err != nil || !pollable(t.rec.Release.Phase) {
		return false, false, err
	}
	return false, false, e.carryOn(ctx, t, exportsOnly)
}

// reportStaleLease warns of a lease another run holds but has not renewed for longer
// than lease.stale_after (its run has most likely died): in the poll's log on every
// tick, and once per lease in a comment on the tracking issue. The status is not
// written: only the lease's holder writes the record, and the comment is no part of it.
// posted is true when this call wrote the comment.
func (e *Env) reportStaleLease(ctx context.Context, t *tracked, l *Lease) (posted bool, err error) {
	notice := l.Notice(e.Now(), e.Config.Lease.StaleAfter)
	if notice == "" {
		return false, nil
	}
	v := t.rec.Release.Version
	e.Log.Warn(notice, "release", v, "key", l.Key, "run", l.Run)
	body := fmt.Sprintf("### ⚠️ %s\n\nThe scheduled poll leaves release %s alone while the lease holds (until %s); once it runs out, the next tick takes it over and carries the release on.",
		capitalise(notice), v, l.Until.UTC().Format(timeLayout))
	err = e.act(fmt.Sprintf("comment on #%d about the stale lease", t.issue.Number), func() error {
		var perr error
		_, posted, perr = e.GitHub.PostMarked(ctx, t.issue.Number, "stale-lease", v+"/"+l.Token, body)
		if posted {
			e.Log.Info("stale lease reported on the tracking issue", "release", v, "issue", t.issue.Number)
		}
		return perr
	})
	return posted, err
}

func pollable(p release.Phase) bool {
	return p == release.Exporting || p == release.ExportQA || p == release.Scripts || p == release.Publishing
}

// find loads a release's record from its tracking issue.
func (e *Env) find(ctx context.Context, version string) (*tracked, error) {
	issue, err := e.GitHub.FindIssue(ctx, version)
	if err != nil {
		return nil, err
	}
	if issue == nil {
		return nil, fmt.Errorf("release %s has no tracking issue yet (has its PR been merged?)", version)
	}
	rec, ok, err := e.readRecord(issue)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("issue #%d of release %s carries no Shepherd status", issue.Number, version)
	}
	return &tracked{rec: rec, issue: issue}, nil
}

// carryOn runs steps from the current phase until the release waits, ends or fails;
// with exportsOnly, no further than polling its export. The run holds the release's
// lease (pollHolding, retry).
func (e *Env) carryOn(ctx context.Context, t *tracked, exportsOnly bool) error {
	for {
		before := t.rec.Release.Phase
		if exportsOnly && before != release.Exporting {
			return nil
		}
		var err error
		switch before {
		case release.Exporting:
			err = e.pollExport(ctx, t)
			if err == nil && t.rec.Release.Phase == release.Exporting {
				// Not ready yet: pollExport recorded the poll; the next tick asks again.
				return e.conclude(ctx, t, Outcome{Kind: OutcomeWait, Until: e.Now().Add(e.Config.Poll.Interval)})
			}
		case release.ExportQA:
			err = e.exportQA(ctx, t)
		case release.Scripts:
			err = e.scripts(ctx, t)
		case release.Publishing:
			err = e.publish(ctx, t)
		default:
			return nil
		}
		if err = e.settle(ctx, t, err); err != nil {
			return err
		}
		if t.rec.Release.Phase == before {
			return nil
		}
	}
}

func (e *Env) pollExport(ctx context.Context, t *tracked) error {
	rec := t.rec
	v := rec.Release.Version
	poll, err := PollExport(ctx, e.OCL, rec.Org, rec.Source, v)
	if err != nil {
		if isPermanentOCL(err) {
			return e.conclude(ctx, t, refused("OCL refused the export status: "+err.Error()))
		}
		return err // an outage: this attempt is not counted, the next tick asks again
	}
	if poll.Ready {
		rec.Export = &ExportFile{Status: poll.Status}
		return e.move(ctx, t, release.ExportReady, fmt.Sprintf("export ready after %s: %s", words.Count(rec.Release.Attempts+1, "poll", "polls"), poll.Status))
	}
	attempt := rec.Release.Attempts + 1
	now := e.Now()
	if poll.State == ocl.ExportNone && attempt < e.Config.Poll.MaxAttempts {
		if err := e.askForExportAgain(ctx, t, attempt); err != nil {
			return err
		}
	}
	reason := fmt.Sprintf("no export after %s over %s (OCL's last answer: %s)",
		words.Count(attempt, "poll", "polls"), words.Duration(now.Sub(pollStart(rec, now))), poll.Status)
	if err := rec.Release.Apply(release.ExportNotReady, now, reason, e.Config.Poll.MaxAttempts); err != nil {
		return err
	}
	e.Log.Info("export not ready", "release", v, "attempt", attempt, "max", e.Config.Poll.MaxAttempts, "ocl", poll.Status)
	if rec.Release.Phase == release.Incomplete {
		body := incompleteComment(rec, e.Config.OCL.BaseURL, poll.Status)
		if err := e.milestone(ctx, t, MilestoneIncomplete, body); err != nil {
			return err
		}
	}
	return e.save(ctx, t)
}

// incompleteComment says what helps when OCL has not built the export: OCL builds it only
// once, after seeding the version, so a crashed export task stays crashed until someone
// asks again.
func incompleteComment(rec *Record, baseURL, lastAnswer string) string {
	v := rec.Release.Version
	var b strings.Builder
	fmt.Fprintf(&b, "### ⚠️ Release %s is incomplete\n\nOCL had not built the export after %s over %s (its last answer: %s).",
		v, words.Count(rec.Release.Attempts, "poll", "polls"), words.Duration(rec.Release.Waited()), lastAnswer)
	if rec.OCL != nil && len(rec.OCL.ExportRequests) > 0 {
		last := rec.OCL.ExportRequests[len(rec.OCL.ExportRequests)-1]
		fmt.Fprintf(&b, " Shepherd asked OCL to build it again %s; the last time, %s, OCL answered %s.",
			words.Count(len(rec.OCL.ExportRequests), "time", "times"), last.At.UTC().Format(timeLayout), oneLine(last.Answer))
	}
	exportURL := strings.TrimRight(baseURL, "/") + fmt.Sprintf("/orgs/%s/sources/%s/%s/export/", rec.Org, rec.Source, v)
	fmt.Fprintf(&b, "\n\nWhat helps:\n\n"+
		"1. Ask OCL to build the export: `POST %s` with the token of a user of the source. "+
		"An answer of 202 means queued, 409 already queued, 208 being built, 303 already there.\n"+
		"2. If it keeps answering 204 (no export) or 208 (being built) for hours, OCL's export task is failing or stuck: "+
		"ask OCL's administrators to look at their task queue for the export task of this version and its error.\n"+
		"3. Once `GET %s` answers with the file (200, 302 or 303), retry: %s. The polls start again from 0.",
		exportURL, exportURL, RetryHow(v))
	return b.String()
}

// pollStart is when polling began: the first poll, or now for the first one.
func pollStart(rec *Record, now time.Time) time.Time {
	if !rec.Release.FirstPoll.IsZero() {
		return rec.Release.FirstPoll
	}
	return now
}

// exportDir is the scratch folder of one release.
func (e *Env) exportDir(version string) string { return filepath.Join(e.WorkDir, version) }

func (e *Env) exportZip(version string) string {
	return filepath.Join(e.exportDir(version), "export.zip")
}

// download fetches the export, unless this run already has it.
func (e *Env) download(ctx context.Context, t *tracked) (string, error) {
	rec := t.rec
	path := e.exportZip(rec.Release.Version)
	if _, err := os.Stat(path); err == nil && rec.Export != nil && rec.Export.SHA256 != "" {
		return path, nil // this run downloaded it already
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	dl, err := e.OCL.DownloadExport(ctx, rec.Org, rec.Source, rec.Release.Version, path, maxExportBytes)
	if err != nil {
		return "", fmt.Errorf("download the export: %w", err)
	}
	status := "ready"
	if rec.Export != nil {
		status = rec.Export.Status
	}
	rec.Export = &ExportFile{Size: dl.Size, SHA256: dl.SHA256, Status: status}
	e.Log.Info("export downloaded", "release", rec.Release.Version, "bytes", dl.Size, "sha256", dl.SHA256)
	return path, nil
}

// maxExportBytes caps an export download: CIEL is about 75 MB zipped.
const maxExportBytes = 2 << 30

func (e *Env) exportQA(ctx context.Context, t *tracked) error {
	rec := t.rec
	v := rec.Release.Version
	path, err := e.download(ctx, t)
	if err != nil {
		return err
	}
	opts := QAOptions(e.Config.QA, rec.Org, rec.Source)
	opts.Version, opts.Now = v, e.Now
	opts.ExportLimits = ExportLimits(e.Config.ExportLimits)
	report, err := qa.CheckExport(ctx, path, opts)
	if err != nil {
		// A broken export file is OCL's doing, not a passing outage: stop and say so.
		return e.fail(ctx, t, MilestoneFailed, "the export could not be read: "+err.Error(), "")
	}
	res, err := e.storeReport(ctx, v, "qa-export", report, false)
	if err != nil {
		return err
	}
	rec.ExportQA = res
	if report.Errors() > 0 {
		return e.failWithReport(ctx, t, MilestoneExportQAFailed,
			fmt.Sprintf("QA of the export found %s; the export scripts did not run", render.Verdict(report.Errors(), report.Warnings(), 0)), report, res.ReportURL)
	}
	return e.move(ctx, t, release.ExportQAPassed, "QA of the export: "+render.Verdict(0, report.Warnings(), 0))
}
