package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/release"
)

// tracked is a release and the issue it is tracked on. The issue holds the text the
// record was read from (or last written as): a save that finds another record there
// stops instead of overwriting what another run did.
type tracked struct {
	rec   *Record
	issue *github.Issue
}

// readRecord decodes and checks the record of the release tracked on i (i.Version); ok
// is false when there is none yet. The record is read only from what the bot wrote: the
// body of an issue it opened, or its status comment on an issue a person opened. A
// record that does not validate is refused with a log line saying why, and nothing acts
// on it.
func (e *Env) readRecord(i *github.Issue) (*Record, bool, error) {
	var rec Record
	err := github.ReadState(i.StatusText(), &rec)
	if errors.Is(err, github.ErrNoState) {
		return nil, false, nil
	}
	if err == nil {
		err = rec.validate(i.Version, i.Number, e.Config.Storage.Prefix, e.Now())
	}
	if err != nil {
		err = fmt.Errorf("issue #%d: the record of release %s there is refused: %w", i.Number, i.Version, err)
		e.Log.Error("release record refused; nothing is done with it until it is repaired", "issue", i.Number, "release", i.Version, "error", err.Error())
		return nil, false, err
	}
	rec.Issue = i.Number
	return &rec, true, nil
}

// ErrNoLease: a save of a record by a run that does not hold the release's lease.
var ErrNoLease = errors.New("this run holds no lease on the release, so it does not write its record")

// save writes the record and its visible status where the issue keeps them, and
// reconciles the labels. Nothing is sent when both already match. A person's edits of
// the issue since it was read are kept (the text is read again just before writing).
// Only a run holding the release's lease saves (a dry run writes nothing anyway):
// GitHub has no conditional update of an issue, so the check that no other run saved
// meanwhile leaves a moment in which two writers could cross, and the lease keeps the
// second writer away.
func (e *Env) save(ctx context.Context, t *tracked) error {
	if !e.DryRun && e.heldLease(t.rec.Release.Version) == nil {
		return fmt.Errorf("release %s: %w", t.rec.Release.Version, ErrNoLease)
	}
	e.stampRun(t.rec)
	// Each save is the heartbeat of this run's lease: a run whose lease was taken over
	// stops here, before writing over what the new holder does.
	if err := e.heartbeat(ctx, t.rec); err != nil {
		return err
	}
	section, err := github.RenderSection(RenderStatus(t.rec, e.Config, e.Now()), t.rec)
	if err != nil {
		return err
	}
	compact, err := github.RenderSection(renderStatus(t.rec, e.Config, e.Now(), true), t.rec)
	if err != nil {
		return err
	}
	if e.DryRun {
		e.Log.Info("dry run: would update the status", "release", t.rec.Release.Version, "phase", t.rec.Release.Phase, "issue", t.issue.Number)
		if t.rec.finished() {
			e.Log.Info("dry run: would remove the release's lease at the end of the run: the release is finished", "release", t.rec.Release.Version)
		}
		return nil
	}
	if _, err := e.GitHub.SaveSection(ctx, t.issue, section, compact); err != nil {
		return err
	}
	return e.reconcileLabels(ctx, t)
}

// stampRun names this run on the transitions and channel moves it made, so the status's
// timeline and channel moves link the run whose artifacts hold the decision log with each
// one's reasons.
func (e *Env) stampRun(rec *Record) {
	if e.RunURL == "" {
		return
	}
	ts := rec.Release.Transitions
	for i := len(ts) - 1; i >= 0 && !ts[i].At.Before(e.started); i-- {
		if ts[i].Run == "" {
			ts[i].Run = e.RunURL
		}
	}
	if r := rec.Release.Rollout; r != nil {
		for i := len(r.Moves) - 1; i >= 0 && !r.Moves[i].At.Before(e.started); i-- {
			if r.Moves[i].Run == "" {
				r.Moves[i].Run = e.RunURL
			}
		}
	}
}

// yielded turns the discovery that another run moved the release meanwhile into a log
// line: that run carries the release on, and this one leaves it alone.
func (e *Env) yielded(t *tracked, err error) error {
	if errors.Is(err, github.ErrConflict) {
		e.Log.Info("another run moved the release meanwhile; leaving it to that run", "release", t.rec.Release.Version, "issue", t.issue.Number)
		return nil
	}
	if errors.Is(err, ErrLeaseHeld) {
		return nil // logged, naming the holder, where the lease was refused
	}
	return err
}

// reconcileLabels makes the issue's labels match the record: the tracking label and
// the phase's.
func (e *Env) reconcileLabels(ctx context.Context, t *tracked) error {
	if e.DryRun {
		return nil
	}
	managed := append(e.Config.Labels.All(), github.TrackingLabel, LabelStaged, LabelProduction)
	want := append(e.labelsFor(t.rec.Release.Phase), github.TrackingLabel)
	return e.GitHub.ReconcileLabels(ctx, t.issue, append(want, channelLabelsFor(&t.rec.Release)...), managed)
}

// labelsFor is the phase label a release carries.
func (e *Env) labelsFor(p release.Phase) []string {
	l := e.Config.Labels
	name := map[release.Phase]string{
		release.QA: l.QA, release.Deploy: l.Deploy, release.Exporting: l.Exporting, release.ExportQA: l.ExportQA,
		release.Scripts: l.Scripts, release.Publishing: l.Publishing, release.Done: l.Done, release.Failed: l.Failed,
		release.Incomplete: l.Incomplete,
	}[p]
	if name == "" {
		return nil
	}
	return []string{name}
}

// move applies an event, logs the decision with its reason, and saves.
func (e *Env) move(ctx context.Context, t *tracked, ev release.Event, reason string) error {
	reason = capReason(reason)
	from := t.rec.Release.Phase
	if err := t.rec.Release.Apply(ev, e.Now(), reason, e.Config.Poll.MaxAttempts); err != nil {
		return err
	}
	e.Log.Info("release moved", "release", t.rec.Release.Version, "from", from, "to", t.rec.Release.Phase, "event", ev, "reason", reason)
	return e.save(ctx, t)
}

// fail records a failure with its reason and announces it once, under the milestone
// key that names what failed.
func (e *Env) fail(ctx context.Context, t *tracked, milestone, reason, details string) error {
	reason = capReason(reason)
	if err := t.rec.Release.Apply(release.StepFailed, e.Now(), reason, 0); err != nil {
		return err
	}
	e.Log.Warn("release failed", "release", t.rec.Release.Version, "in", t.rec.Release.FailedIn, "reason", reason)
	if err := e.milestone(ctx, t, milestone, failureComment(t.rec, reason, details)); err != nil {
		return err
	}
	return e.save(ctx, t)
}

// failWithReport is fail for a QA that found errors: the one comment carries the report.
func (e *Env) failWithReport(ctx context.Context, t *tracked, milestone, reason string, r *qa.Report, reportURL string) error {
	var md strings.Builder
	room := commentRoom - len(failureComment(t.rec, reason, ""))
	if err := render.Markdown(&md, r, render.MarkdownOptions{MaxChars: room, FullReportURL: reportURL}); err != nil {
		return err
	}
	return e.fail(ctx, t, milestone, reason, md.String())
}

func failureComment(rec *Record, reason, details string) string {
	v := rec.Release.Version
	phase := rec.Release.FailedIn
	if phase == "" {
		phase = rec.Release.Phase
	}
	body := fmt.Sprintf("### ❌ Release %s failed in %s\n\n%s\n", v, phase, reason)
	if details != "" {
		body += "\n" + details + "\n"
	}
	return body + "\nFix the cause, then retry: " + RetryHow(v) + ". The release goes on from the phase it failed in."
}

// milestone posts a milestone comment at most once per release and key.
func (e *Env) milestone(ctx context.Context, t *tracked, key, body string) error {
	if t.rec.Milestones == nil {
		t.rec.Milestones = map[string]int64{}
	}
	known := t.rec.Milestones[key]
	if e.DryRun {
		if known == 0 {
			e.Log.Info("dry run: would post a milestone comment", "release", t.rec.Release.Version, "milestone", key)
		}
		return nil
	}
	if known == 0 {
		// A comment cannot be taken back by a later save: make sure no other run has
		// taken the release over first.
		if err := e.GitHub.CheckUnchanged(ctx, t.issue); err != nil {
			return err
		}
	}
	id, posted, err := e.GitHub.PostMilestone(ctx, t.issue.Number, t.rec.Release.Version, key, body, known)
	if err != nil {
		return err
	}
	if posted {
		e.Log.Info("milestone posted", "release", t.rec.Release.Version, "milestone", key, "comment", id)
	}
	t.rec.Milestones[key] = id
	return nil
}

// maxReasonChars bounds a reason kept in the record: reasons quote servers' errors, and
// the record must stay far below GitHub's limit for the issue body.
const maxReasonChars = 1000

func capReason(s string) string { return capText(s, maxReasonChars) }
