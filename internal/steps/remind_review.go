package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/words"
)

// reviewReminderKind names the milestone marker of a review reminder; the key ends with
// the UTC day, so a PR gets at most one a day however often the janitor runs.
const reviewReminderKind = "review"

// RemindReviews posts the daily reminder on every open release PR into the default branch
// whose shepherd/qa preview has been green for longer than reminders.review_days without
// an approving review, mentioning who can act on it (mayAct): its author, the reviewers
// and teams whose review is requested, and the configured owners. It returns the
// reminders posted; no PR is changed otherwise. A PR whose reminder could not be worked
// out (GitHub failed) is left for the next run and its error returned with the others.
func (e *Env) RemindReviews(ctx context.Context) ([]Reminder, error) {
	days := e.Config.Reminders.ReviewDays
	if days <= 0 {
		return nil, nil
	}
	limit := time.Duration(days) * 24 * time.Hour
	base, _, err := e.GitHub.DefaultBranch(ctx)
	if err != nil {
		return nil, err
	}
	prs, err := e.GitHub.OpenPullRequests(ctx, base)
	if err != nil {
		return nil, err
	}
	key := e.reminderKey()
	who := e.newActors()
	var reminded []Reminder
	var errs []error
	for _, pr := range prs {
		if pr.Draft {
			continue // not yet asking for a review
		}
		r, err := e.remindReview(ctx, who, pr, key, days, limit)
		if err != nil {
			errs = append(errs, fmt.Errorf("PR #%d: %w", pr.Number, err))
		} else if r != nil {
			reminded = append(reminded, *r)
		}
	}
	return reminded, errors.Join(errs...)
}

// remindReview reminds on one PR if it is due: nil when it is not, or was today already.
func (e *Env) remindReview(ctx context.Context, who *actors, pr *github.PullRequest, key string, days int, limit time.Duration) (*Reminder, error) {
	state, since, err := e.GitHub.StatusSince(ctx, pr.HeadSHA, github.QAContext)
	if err != nil {
		return nil, err
	}
	waited := e.Now().Sub(since)
	if state != github.StatusSuccess || waited <= limit {
		return nil, nil
	}
	files, err := e.GitHub.ChangedFiles(ctx, pr.Number)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(files, isManifestPath) {
		return nil, nil
	}
	approved, err := e.GitHub.Approved(ctx, pr.Number)
	if err != nil || approved {
		return nil, err
	}
	logins := append(append([]string{pr.Author}, pr.RequestedReviewers...), e.Config.Reminders.Owners...)
	mentioned, err := who.filter(ctx, logins, pr.RequestedTeams)
	if err != nil {
		return nil, err
	}
	if e.DryRun {
		e.Log.Info("dry run: would remind on a release PR waiting for review", "pr", pr.Number, "mentioned", strings.Join(mentioned, " "))
		return nil, nil
	}
	_, posted, err := e.GitHub.PostMilestone(ctx, pr.Number, reviewReminderKind+"-"+strconv.Itoa(pr.Number), key,
		reviewReminderText(since, days, mentioned), 0)
	if err != nil || !posted {
		return nil, err
	}
	e.Log.Info("review reminder posted", "pr", pr.Number, "waited", waited.String(), "mentioned", strings.Join(mentioned, " "))
	return &Reminder{Item: fmt.Sprintf("PR #%d", pr.Number), Number: pr.Number,
		Waiting: "for a review since " + since.UTC().Format(timeLayout), Mentioned: mentioned}, nil
}

func reviewReminderText(since time.Time, days int, mentioned []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### ⏰ This release PR has waited for a review since %s\n\n", since.UTC().Format(timeLayout))
	fmt.Fprintf(&b, "Its preview (`shepherd/qa`) is green and no one has approved it for more than %s (`reminders.review_days` in the configuration). A review and merge start the release.",
		words.Count(days, "day", "days"))
	if len(mentioned) > 0 {
		b.WriteString("\n\nWho can act: " + mentions(mentioned))
	}
	b.WriteString("\n\nShepherd reminds once a day while the PR waits; it never closes or changes it.")
	return b.String()
}
