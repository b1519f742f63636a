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

// tracked is a release and the issue it is tracked on.
type tracked struct {
	rec   *Record
	issue *github.Issue
}

// readRecord decodes the record in an issue's body; ok is false when there is none.
func readRecord(i *github.Issue) (*Record, bool, error) {
	var rec Record
	err := github.ReadState(i.Body, &rec)
	if errors.Is(err, github.ErrNoState) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("issue #%d: %w", i.Number, err)
	}
	return &rec, true, nil
}

// save writes the record and its visible status into the issue and reconciles the phase
// labels. Nothing is sent when both already match.
func (e *Env) save(ctx context.Context, t *tracked) error {
	section, err := github.RenderSection(RenderStatus(t.rec, e.Config, e.Now()), t.rec)
	if err != nil {
		return err
	}
	if e.DryRun {
		e.Log.Info("dry run: would update the status", "release", t.rec.Release.Version, "phase", t.rec.Release.Phase, "issue", t.issue.Number)
		return nil
	}
	if _, err := e.GitHub.UpdateSection(ctx, t.issue, section); err != nil {
		return err
	}
	return e.reconcileLabels(ctx, t)
}

// reconcileLabels makes the issue's phase label match the record.
func (e *Env) reconcileLabels(ctx context.Context, t *tracked) error {
	if e.DryRun {
		return nil
	}
	return e.GitHub.ReconcileLabels(ctx, t.issue, e.labelsFor(t.rec.Release.Phase), e.Config.Labels.All())
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
	return body + "\nFix the cause, then re-run the release: Actions → release → Run workflow, with version `" + v + "`."
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
