package steps

import (
	"context"
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
// an approving review, mentioning its author and the configured owners who may push to
// the repository. It returns the numbers of the PRs reminded; no PR is changed otherwise.
func (e *Env) RemindReviews(ctx context.Context) ([]int, error) {
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
	key := reminderPrefix + e.Now().UTC().Format("2006-01-02")
	var reminded []int
	var owners []string
	ownersRead := false
	for _, pr := range prs {
		if pr.Draft {
			continue // not yet asking for a review
		}
		state, since, err := e.GitHub.StatusSince(ctx, pr.HeadSHA, github.QAContext)
		if err != nil {
			return reminded, fmt.Errorf("PR #%d: %w", pr.Number, err)
		}
		waited := e.Now().Sub(since)
		if state != github.StatusSuccess || waited <= limit {
			continue
		}
		files, err := e.GitHub.ChangedFiles(ctx, pr.Number)
		if err != nil {
			return reminded, fmt.Errorf("PR #%d: %w", pr.Number, err)
		}
		if !slices.ContainsFunc(files, isManifestPath) {
			continue
		}
		approved, err := e.GitHub.Approved(ctx, pr.Number)
		if err != nil {
			return reminded, fmt.Errorf("PR #%d: %w", pr.Number, err)
		}
		if approved {
			continue
		}
		if !ownersRead {
			owners, ownersRead = e.ownersInside(ctx), true
		}
		mentioned := slices.Clone(owners)
		if pr.Author != "" && !slices.Contains(mentioned, pr.Author) {
			if _, ok, err := e.GitHub.CanWrite(ctx, pr.Author); err == nil && ok {
				mentioned = append([]string{pr.Author}, mentioned...)
			}
		}
		if e.DryRun {
			e.Log.Info("dry run: would remind on a release PR waiting for review", "pr", pr.Number)
			continue
		}
		_, posted, err := e.GitHub.PostMilestone(ctx, pr.Number, reviewReminderKind+"-"+strconv.Itoa(pr.Number), key,
			reviewReminderText(since, days, mentioned), 0)
		if err != nil {
			return reminded, fmt.Errorf("PR #%d: %w", pr.Number, err)
		}
		if posted {
			e.Log.Info("review reminder posted", "pr", pr.Number, "waited", waited.String(), "mentioned", strings.Join(mentioned, " "))
			reminded = append(reminded, pr.Number)
		}
	}
	return reminded, nil
}

func reviewReminderText(since time.Time, days int, mentioned []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### ⏰ This release PR has waited for a review since %s\n\n", since.UTC().Format(timeLayout))
	fmt.Fprintf(&b, "Its preview (`shepherd/qa`) is green and no one has approved it for more than %s (`reminders.review_days` in the configuration). A review and merge start the release.",
		words.Count(days, "day", "days"))
	if len(mentioned) > 0 {
		b.WriteString("\n\n@" + strings.Join(mentioned, " @"))
	}
	b.WriteString("\n\nShepherd reminds once a day while the PR waits; it never closes or changes it.")
	return b.String()
}
