package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/words"
)

// reminderPrefix starts the milestone key of a reminder; the UTC day ends it, so a
// release gets at most one reminder a day however often the janitor runs.
const reminderPrefix = "reminder-"

// Remind posts the daily reminder on every release that has waited in its phase longer
// than reminders.<phase> allows: one comment on its tracking issue, saying since when and
// what helps, mentioning the configured owners who may push to the repository. A reminder
// changes nothing else: no release is closed, retried or moved by it.
func (e *Env) Remind(ctx context.Context) ([]string, error) {
	issues, err := e.GitHub.ListTracking(ctx)
	if err != nil {
		return nil, err
	}
	var reminded []string
	var owners []string
	ownersRead := false
	for _, issue := range issues {
		rec, ok, err := e.readRecord(issue)
		if err != nil || !ok {
			continue
		}
		st := &rec.Release
		limit := e.Config.Reminders.After[string(st.Phase)]
		waited := e.Now().Sub(st.Last().At)
		if limit <= 0 || waited < limit {
			continue
		}
		key := reminderPrefix + e.Now().UTC().Format("2006-01-02")
		if rec.Milestones[key] != 0 {
			continue
		}
		if !ownersRead {
			owners, ownersRead = e.ownersInside(ctx), true
		}
		t := &tracked{rec: rec, issue: issue}
		body := reminderText(rec, limit, owners)
		if err := e.milestone(ctx, t, key, body); err != nil {
			return reminded, e.yielded(t, err)
		}
		if err := e.yielded(t, e.save(ctx, t)); err != nil {
			return reminded, err
		}
		e.Log.Info("reminder posted", "release", st.Version, "phase", st.Phase, "waited", waited.String(), "limit", limit.String(), "mentioned", strings.Join(owners, " "))
		reminded = append(reminded, st.Version)
	}
	return reminded, nil
}

// ownersInside are the configured owners who may push to the repository: a reminder
// never mentions anyone else (a name that left, or a typo that is someone's login).
func (e *Env) ownersInside(ctx context.Context) []string {
	var inside []string
	for _, login := range e.Config.Reminders.Owners {
		_, ok, err := e.GitHub.CanWrite(ctx, login)
		if err != nil || !ok {
			e.Log.Warn("reminders: an owner is left out: not someone who may push to the repository", "owner", login, "error", fmt.Sprint(err))
			continue
		}
		inside = append(inside, login)
	}
	return inside
}

func reminderText(rec *Record, limit time.Duration, owners []string) string {
	st := &rec.Release
	var b strings.Builder
	fmt.Fprintf(&b, "### ⏰ Release %s has waited in %s since %s\n\n", st.Version, st.Phase, st.Last().At.UTC().Format(timeLayout))
	note := phaseNotes[st.Phase]
	fmt.Fprintf(&b, "That is longer than the %s this phase is given (`reminders.%s` in the configuration). %s.",
		words.Duration(limit), strings.ReplaceAll(string(st.Phase), "-", "_"), capitalise(note))
	if st.Phase == release.Failed || st.Phase == release.Incomplete {
		fmt.Fprintf(&b, " Why: %s. Once the cause is fixed: %s.", oneLine(st.Last().Reason), RetryHow(st.Version))
	}
	if len(owners) > 0 {
		b.WriteString("\n\n")
		for i, o := range owners {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString("@" + o)
		}
	}
	b.WriteString("\n\nShepherd reminds once a day while the release waits; it never closes or retries anything by itself.")
	return b.String()
}
