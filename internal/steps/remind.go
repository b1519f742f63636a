package steps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/words"
)

// reminderPrefix starts the milestone key of a reminder; the UTC day ends it, so an item
// gets at most one reminder a day however often the janitor runs.
const reminderPrefix = "reminder-"

// Reminder is one reminder the janitor posted: the daily digest lists them.
type Reminder struct {
	// Item is the release ("v2026-01-01") or the release PR ("PR #12").
	Item string
	// Number is the issue or PR the reminder was posted on.
	Number int
	// Waiting says what it waits for and since when: "in phase incomplete since …".
	Waiting string
	// Mentioned are the people and teams it named, without "@": only those who may act.
	Mentioned []string
}

// reminderKey is today's reminder key: one reminder per item per UTC day.
func (e *Env) reminderKey() string { return reminderPrefix + e.Now().UTC().Format("2006-01-02") }

// Remind posts the daily reminder on every release that has waited in its phase, or in
// its channel once published, longer than reminders.<phase or channel> allows: one
// comment on its tracking issue a UTC day, saying since when and what helps, mentioning
// the people who can act (mayAct): the release PR's author and approvers, the
// configured owners and the rollout teams. A reminder changes nothing else: no release
// is closed, retried or moved by it. A release whose reminder could not be worked out
// (GitHub failed) is left for the next run and its error returned with the others.
func (e *Env) Remind(ctx context.Context) ([]Reminder, error) {
	issues, err := e.GitHub.ListTracking(ctx)
	if err != nil {
		return nil, err
	}
	who := e.newActors()
	key := e.reminderKey()
	var reminded []Reminder
	var errs []error
	for _, issue := range issues {
		rec, ok, err := e.readRecord(issue)
		if err != nil || !ok {
			continue
		}
		st := &rec.Release
		where, config, since, due := e.waiting(rec)
		if !due || rec.Milestones[key] != 0 {
			continue
		}
		limit := e.Config.Reminders.After[config]
		mentioned, err := e.releaseActors(ctx, who, rec)
		if err != nil {
			errs = append(errs, fmt.Errorf("release %s: %w", st.Version, err))
			continue
		}
		t := &tracked{rec: rec, issue: issue}
		body := reminderText(rec, where, config, since, limit, mentioned)
		// The reminder's key goes into the record, so it is posted holding the release's
		// lease; a release another run holds is reminded of on the next janitor run.
		posted := false
		err = e.withLease(ctx, st.Version, LeaseJanitor, 0, func() error {
			if err := e.milestone(ctx, t, key, body); err != nil {
				return err
			}
			posted = true
			forgetOlderReminders(rec, key)
			return e.save(ctx, t)
		})
		if err := e.yielded(t, err); err != nil {
			errs = append(errs, fmt.Errorf("release %s: %w", st.Version, err))
			continue
		}
		if !posted {
			continue
		}
		waited := e.Now().Sub(since)
		e.Log.Info("reminder posted", "release", st.Version, "waiting", where, "waited", waited.String(), "limit", limit.String(), "mentioned", strings.Join(mentioned, " "))
		reminded = append(reminded, Reminder{Item: st.Version, Number: issue.Number,
			Waiting: fmt.Sprintf("%s since %s", where, since.UTC().Format(timeLayout)), Mentioned: mentioned})
	}
	return reminded, errors.Join(errs...)
}

// waiting says where a release waits ("in phase incomplete", "in the staged channel"),
// the reminders key of its limit, since when, and whether it has waited past the limit.
// A published release waits in its channel until its outcome is recorded; a held one
// waits by a person's decision, and a withdrawn one or one whose files are gone (past
// its retention) for nobody: none of those is reminded of.
func (e *Env) waiting(rec *Record) (where, config string, since time.Time, due bool) {
	st := &rec.Release
	if st.Phase != release.Done {
		where, config, since = "in phase "+string(st.Phase), string(st.Phase), st.Last().At
	} else {
		r := st.Rollout
		if (r != nil && (r.Held || r.Outcome != "")) || rec.Withdrawn != nil || !rec.RemovedAt.IsZero() {
			return "", "", time.Time{}, false
		}
		ch := st.Channel()
		where, config, since = fmt.Sprintf("in the %s channel", ch), string(ch), channelSince(st)
	}
	limit := e.Config.Reminders.After[config]
	return where, config, since, limit > 0 && e.Now().Sub(since) >= limit
}

// channelSince is when a published release entered the channel it is in: its last move
// into it, or its publication for the unverified channel it starts in.
func channelSince(st *release.State) time.Time {
	ch := st.Channel()
	if st.Rollout != nil {
		for _, m := range slices.Backward(st.Rollout.Moves) {
			if m.To == ch && m.From != ch {
				return m.At
			}
		}
	}
	return st.Last().At
}

// forgetOlderReminders drops the keys of earlier days' reminders from the record, so a
// release waiting for months keeps one reminder key, not one a day; their comments stay.
func forgetOlderReminders(rec *Record, today string) {
	for k := range maps.Keys(rec.Milestones) {
		if strings.HasPrefix(k, reminderPrefix) && k != today {
			delete(rec.Milestones, k)
		}
	}
}

// releaseActors are whom a release's reminder mentions: its release PR's author and the
// reviewers whose approval stands, the configured owners, then the rollout teams (their
// members may give any command on the tracking issue), each only if it may act.
func (e *Env) releaseActors(ctx context.Context, who *actors, rec *Record) ([]string, error) {
	var logins []string
	if rec.MergeSHA != "" {
		pr, err := e.GitHub.MergedPullRequest(ctx, rec.MergeSHA)
		if err != nil {
			return nil, err
		}
		if pr != nil {
			approvers, err := e.GitHub.Approvers(ctx, pr.Number)
			if err != nil {
				return nil, err
			}
			logins = append(append(logins, pr.Author), approvers...)
		}
	}
	logins = append(logins, e.Config.Reminders.Owners...)
	return who.filter(ctx, logins, e.Config.Rollout.Teams)
}

// actors decides who a reminder may mention, asking GitHub once per login or team in a
// janitor run: a person with write, maintain or admin permission on the repository (as
// the collaborator API states it; triage and read cannot approve a release PR in a way
// that counts, nor give Shepherd's commands), or a team of the repository's owner that
// has access to it. Anyone else is left out, with a warning: a reminder never mentions
// people outside the repository.
type actors struct {
	e     *Env
	users map[string]bool
	teams map[string]bool
}

func (e *Env) newActors() *actors {
	return &actors{e: e, users: map[string]bool{}, teams: map[string]bool{}}
}

// filter keeps, in order and once each, the logins and then the teams ("org/slug") that
// may be mentioned. Only GitHub failing is an error; a refusal just leaves one out.
func (a *actors) filter(ctx context.Context, logins, teams []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	keep := func(names []string, may func(context.Context, string) (bool, error)) error {
		for _, name := range names {
			if name == "" || seen[strings.ToLower(name)] {
				continue
			}
			seen[strings.ToLower(name)] = true
			ok, err := may(ctx, name)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, name)
			}
		}
		return nil
	}
	if err := keep(logins, a.user); err != nil {
		return nil, err
	}
	if err := keep(teams, a.team); err != nil {
		return nil, err
	}
	return out, nil
}

func (a *actors) user(ctx context.Context, login string) (bool, error) {
	key := strings.ToLower(login)
	if ok, known := a.users[key]; known {
		return ok, nil
	}
	// Shepherd itself (a release PR it opened) is no one to remind.
	if bot, err := a.e.GitHub.IsBot(ctx, login); err != nil || bot {
		a.users[key] = false
		return false, err
	}
	permission, ok, err := a.e.GitHub.CanWrite(ctx, login)
	if err != nil && !errors.Is(err, github.ErrNotFound) {
		return false, err
	}
	if !ok {
		a.e.Log.Warn("reminders: left out: not someone who may push to the repository", "login", login, "permission", permission, "error", fmt.Sprint(err))
	}
	a.users[key] = ok
	return ok, nil
}

func (a *actors) team(ctx context.Context, team string) (bool, error) {
	key := strings.ToLower(team)
	if ok, known := a.teams[key]; known {
		return ok, nil
	}
	org, slug, _ := strings.Cut(team, "/")
	ok := false
	if !strings.EqualFold(org, a.e.GitHub.Owner()) {
		a.e.Log.Warn("reminders: team left out: not a team of the repository's owner", "team", team)
	} else {
		access, _, err := a.e.GitHub.TeamAccess(ctx, org, slug)
		switch {
		case errors.Is(err, github.ErrPermission):
			// A GITHUB_TOKEN has no organization permissions: the team cannot be checked.
			a.e.Log.Warn("reminders: team left out: its access could not be checked (needs the organization permission Members: read)", "team", team, "error", err.Error())
		case err != nil:
			return false, err
		case !access:
			a.e.Log.Warn("reminders: team left out: it has no access to the repository", "team", team)
		default:
			ok = true
		}
	}
	a.teams[key] = ok
	return ok, nil
}

// mentions writes "@a @b @org/team".
func mentions(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "@" + strings.Join(names, " @")
}

func reminderText(rec *Record, where, config string, since time.Time, limit time.Duration, mentioned []string) string {
	st := &rec.Release
	var b strings.Builder
	fmt.Fprintf(&b, "### ⏰ Release %s has waited %s since %s\n\n", st.Version, where, since.UTC().Format(timeLayout))
	what := "phase"
	if st.Phase == release.Done {
		what = "channel"
	}
	fmt.Fprintf(&b, "That is longer than the %s this %s is given (`reminders.%s` in the configuration). ",
		words.Duration(limit), what, strings.ReplaceAll(config, "-", "_"))
	switch {
	case st.Phase == release.Done && st.Channel() == release.Staged:
		b.WriteString("What helps: `/shepherd promote` to production once it has proved itself, `/shepherd hold` to keep it staged on purpose, or `/shepherd reject \"why\"`.")
	case st.Phase == release.Done:
		b.WriteString("What helps: `/shepherd promote` to the staged channel once someone has tried it, `/shepherd hold` to keep it here on purpose, or `/shepherd reject \"why\"`.")
	default:
		b.WriteString(capitalise(phaseNotes[st.Phase]) + ".")
		if st.Phase == release.Failed || st.Phase == release.Incomplete {
			fmt.Fprintf(&b, " Why: %s. Once the cause is fixed: %s.", oneLine(st.Last().Reason), RetryHow(st.Version))
		}
	}
	if len(mentioned) > 0 {
		b.WriteString("\n\nWho can act: " + mentions(mentioned))
	}
	b.WriteString("\n\nShepherd reminds once a day while the release waits; it never closes or retries anything by itself.")
	return b.String()
}
