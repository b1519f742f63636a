package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/release"
)

// FreezeWindow is the code freeze a published major release holds: from its publication
// until freeze.days later.
//
// It starts at the publication (the release reaching done), not at the merge of its
// manifest: a major release that fails or stays incomplete reached no site, and should
// hold back nobody's work; and the days count from when sites can download it, which is
// what the freeze protects.
type FreezeWindow struct {
	Version  string
	Issue    *github.Issue
	From     time.Time
	Until    time.Time
	IssueURL string
}

// publishedAt is when the release reached done; zero when it has not.
func publishedAt(st *release.State) time.Time {
	for _, t := range st.Transitions {
		if t.To == release.Done {
			return t.At
		}
	}
	return time.Time{}
}

// ActiveFreeze finds the freeze in force now, or nil. Of several, the one ending last
// wins. The release records are read from the tracking issues as every step reads
// them: a record that does not validate is logged and holds no freeze.
func (e *Env) ActiveFreeze(ctx context.Context) (*FreezeWindow, error) {
	if e.Config.Freeze.Days == 0 {
		return nil, nil
	}
	issues, err := e.GitHub.ListTracking(ctx)
	if err != nil {
		return nil, err
	}
	now := e.Now()
	var active *FreezeWindow
	for _, issue := range issues {
		rec, ok, err := e.readRecord(issue)
		if err != nil || !ok || !rec.Major {
			continue
		}
		from := publishedAt(&rec.Release)
		if from.IsZero() {
			continue
		}
		until := e.Config.Freeze.Until(from)
		if now.Before(from) || !now.Before(until) {
			continue
		}
		if active == nil || until.After(active.Until) {
			active = &FreezeWindow{Version: rec.Release.Version, Issue: issue, From: from, Until: until, IssueURL: issue.URL}
		}
	}
	return active, nil
}

// FreezeCheck is the shepherd/freeze status one PR got.
type FreezeCheck struct {
	PR          int
	State       string // "" when the PR gets no status (closed, or not into the default branch)
	Description string
	// Noticed is true when this run posted the freeze notice on the PR.
	Noticed bool
}

// CheckFreeze sets the shepherd/freeze status of one PR (a pull_request event: opened,
// synchronize, reopened, labeled, unlabeled).
func (e *Env) CheckFreeze(ctx context.Context, number int) (*FreezeCheck, error) {
	pr, err := e.GitHub.GetPullRequest(ctx, number)
	if err != nil {
		return nil, err
	}
	base, w, err := e.freezeNow(ctx)
	if err != nil {
		return nil, err
	}
	return e.checkFreeze(ctx, pr, base, w)
}

// freezeNow is the default branch and the freeze in force (nil for none).
func (e *Env) freezeNow(ctx context.Context) (string, *FreezeWindow, error) {
	base, _, err := e.GitHub.DefaultBranch(ctx)
	if err != nil {
		return "", nil, err
	}
	w, err := e.ActiveFreeze(ctx)
	return base, w, err
}

// RecheckFreeze sets the status of every open PR into the default branch: the scheduled
// run that turns them red when a freeze begins and green when it ends by itself.
func (e *Env) RecheckFreeze(ctx context.Context) ([]*FreezeCheck, error) {
	base, w, err := e.freezeNow(ctx)
	if err != nil {
		return nil, err
	}
	prs, err := e.GitHub.OpenPullRequests(ctx, base)
	if err != nil {
		return nil, err
	}
	var out []*FreezeCheck
	for _, pr := range prs {
		c, err := e.checkFreeze(ctx, pr, base, w)
		if err != nil {
			return out, fmt.Errorf("PR #%d: %w", pr.Number, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func (e *Env) checkFreeze(ctx context.Context, pr *github.PullRequest, defaultBranch string, w *FreezeWindow) (*FreezeCheck, error) {
	c := &FreezeCheck{PR: pr.Number}
	if !pr.Open || pr.Base != defaultBranch {
		e.Log.Info("freeze: the PR is not an open one into the default branch; no status", "pr", pr.Number, "base", pr.Base)
		return c, nil
	}
	f := e.Config.Freeze
	targetURL := ""
	switch {
	case w == nil:
		c.State, c.Description = github.StatusSuccess, "No code freeze"
	default:
		targetURL = w.IssueURL
		until := w.Until.UTC().Format(timeLayout)
		if label, ok := f.Allows(pr.Labels); ok {
			c.State, c.Description = github.StatusSuccess, fmt.Sprintf("Code freeze until %s; label %s may merge", until, label)
			break
		}
		c.State = github.StatusFailure
		c.Description = fmt.Sprintf("Code freeze after %s until %s: needs a label %s", w.Version, until, orList(f.AllowedLabels))
		if len(f.AllowedLabels) == 0 {
			c.Description = fmt.Sprintf("Code freeze after %s until %s: nothing merges", w.Version, until)
		}
		err := e.act(fmt.Sprintf("post the freeze notice on #%d", pr.Number), func() error {
			var err error
			_, c.Noticed, err = e.GitHub.PostMarked(ctx, pr.Number, "freeze", w.Version, freezeNotice(w, f.AllowedLabels, defaultBranch))
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	e.Log.Info("freeze: status", "pr", pr.Number, "state", c.State, "description", c.Description)
	err := e.act(fmt.Sprintf("set %s %s on #%d", github.FreezeContext, c.State, pr.Number), func() error {
		_, err := e.GitHub.SetStatus(ctx, pr.HeadSHA, github.FreezeContext, c.State, c.Description, targetURL)
		return err
	})
	return c, err
}

// freezeNotice is the one comment a PR gets during a freeze.
func freezeNotice(w *FreezeWindow, allowed []string, base string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### 🧊 Code freeze until %s\n\n", w.Until.UTC().Format(timeLayout))
	fmt.Fprintf(&b, "Release %s ([#%d](%s)) is a major release, published %s. ", w.Version, w.Issue.Number, w.IssueURL, w.From.UTC().Format(timeLayout))
	if len(allowed) == 0 {
		fmt.Fprintf(&b, "Until the freeze ends, no pull request into `%s` merges.\n\n", base)
	} else {
		quoted := make([]string, len(allowed))
		for i, l := range allowed {
			quoted[i] = "`" + l + "`"
		}
		fmt.Fprintf(&b, "Until the freeze ends, pull requests into `%s` merge only with one of these labels: %s.\n\n", base, strings.Join(quoted, ", "))
		b.WriteString("If this pull request is a fix or documentation, add the label that says so; the `shepherd/freeze` status turns green. ")
	}
	b.WriteString("Otherwise there is nothing to do: the status turns green by itself when the freeze ends.")
	return b.String()
}

// orList writes "a", "a or b", "a, b or c".
func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
