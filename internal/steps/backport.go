package steps

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shepherd-release/shepherd/internal/backport"
	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/words"
)

// BackportCommand is the comment command this step answers: `/shepherd backport BRANCH`
// on a merged pull request.
const BackportCommand = "/shepherd backport"

// ParseBackport finds the backport command in a comment: the first line that starts with
// it. ok is false for a comment without one (another /shepherd command, or none), which
// the step leaves alone; target is "" when the command names no single branch.
func ParseBackport(body string) (target string, ok bool) {
	for _, line := range strings.Split(body, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != "/shepherd" || fields[1] != "backport" {
			continue
		}
		if len(fields) == 3 {
			return fields[2], true
		}
		return "", true
	}
	return "", false
}

// BackportRequest is a comment on an issue or pull request.
type BackportRequest struct {
	Number    int  // the issue or pull request commented on
	IsPull    bool // whether it is a pull request
	CommentID int64
	Author    string
	Body      string
}

// BackportOutcome is what the step did with a comment.
type BackportOutcome string

const (
	BackportIgnored   BackportOutcome = "ignored"   // not a backport command
	BackportDuplicate BackportOutcome = "duplicate" // the comment was answered before
	BackportRefused   BackportOutcome = "refused"   // the reply says why
	BackportNothing   BackportOutcome = "nothing"   // the branch has the change already
	BackportOpened    BackportOutcome = "opened"
	BackportDraft     BackportOutcome = "draft" // conflicts: a draft holds the clean part
)

// BackportResult says what was done.
type BackportResult struct {
	Outcome   BackportOutcome
	Target    string
	Pull      *github.PullRequest
	Conflicts []string
	Reply     string
}

// Picker makes a cherry-pick and pushes it: backport.Repo on the workflow's checkout.
type Picker interface {
	CherryPick(context.Context, backport.Pick) (*backport.Result, error)
	Push(ctx context.Context, commit, branch string) error
}

// Backport answers `/shepherd backport BRANCH` on a merged pull request: it opens a pull
// request into BRANCH with the merged change cherry-picked, or, on a conflict, a draft
// holding the part that applied and listing the files that did not, and replies saying
// which. Only people who may write to the repository may ask. Each comment is answered
// once: the reply carries the comment's id in a marker, believed only in the bot's own
// comments, so a repeated delivery of the event finds it and does nothing.
func (e *Env) Backport(ctx context.Context, req BackportRequest, git Picker) (*BackportResult, error) {
	target, ok := ParseBackport(req.Body)
	if !ok {
		return &BackportResult{Outcome: BackportIgnored}, nil
	}
	res := &BackportResult{Target: target}
	id := strconv.FormatInt(req.CommentID, 10)
	if found, err := e.GitHub.FindMarked(ctx, req.Number, "backport", id); err != nil || found != nil {
		if found != nil {
			e.Log.Info("backport: the comment was answered already", "pr", req.Number, "comment", req.CommentID, "reply", found.ID)
			res.Outcome, res.Reply = BackportDuplicate, found.Body
		}
		return res, err
	}
	if err := e.act("acknowledge the command with a reaction", func() error {
		return e.GitHub.ReactToComment(ctx, req.CommentID, "eyes")
	}); err != nil {
		return nil, err
	}
	refusal, pr, err := e.checkBackport(ctx, req, target)
	if err != nil {
		return nil, err
	}
	if refusal != "" {
		res.Outcome = BackportRefused
		return res, e.replyBackport(ctx, req, res, refusal)
	}
	res, err = e.pickAndOpen(ctx, req, pr, target, git)
	if err != nil {
		e.tellFailure(ctx, req, target, err)
		return nil, err
	}
	return res, nil
}

// tellFailure says on the pull request that the backport could not be made, once per
// comment. Its marker is not the answer's: running the workflow again tries the
// backport again, and its answer still comes once.
func (e *Env) tellFailure(ctx context.Context, req BackportRequest, target string, cause error) {
	text := fmt.Sprintf("❌ The backport to `%s` could not be made: %s\n\nNothing was left half-done. Re-run the workflow once the cause is fixed, or ask again.",
		strings.ReplaceAll(target, "`", "'"), capText(cause.Error(), 2000))
	err := e.act(fmt.Sprintf("say on #%d that the backport failed", req.Number), func() error {
		_, _, err := e.GitHub.PostMarked(ctx, req.Number, "backport-failed", strconv.FormatInt(req.CommentID, 10), text)
		return err
	})
	if err != nil {
		e.Log.Error("backport: could not say that it failed", "pr", req.Number, "error", err.Error())
	}
}

// pickAndOpen cherry-picks the merged change, pushes it and opens the pull request, then
// answers the comment.
func (e *Env) pickAndOpen(ctx context.Context, req BackportRequest, pr *github.PullRequest, target string, git Picker) (*BackportResult, error) {
	res := &BackportResult{Target: target}
	picked, err := git.CherryPick(ctx, backport.Pick{PR: pr.Number, Title: pr.Title, HeadRef: fmt.Sprintf("refs/pull/%d/head", pr.Number),
		BaseBranch: pr.Base, MergeSHA: pr.MergeCommitSHA, Target: target})
	if err != nil {
		return nil, fmt.Errorf("cherry-pick of #%d onto %s: %w", pr.Number, target, err)
	}
	if picked.AlreadyThere {
		res.Outcome = BackportNothing
		return res, e.replyBackport(ctx, req, res, fmt.Sprintf("Nothing to backport: `%s` has the change of #%d already.", target, pr.Number))
	}
	branch := fmt.Sprintf("shepherd/backport-%d-to-%s", pr.Number, target)
	res.Conflicts = picked.Conflicts
	res.Outcome = BackportOpened
	if len(res.Conflicts) > 0 {
		res.Outcome = BackportDraft
	}
	err = e.act(fmt.Sprintf("push %s and open a pull request into %s", branch, target), func() error {
		if err := git.Push(ctx, picked.Commit, branch); err != nil {
			return err
		}
		var err error
		res.Pull, _, err = e.GitHub.EnsurePull(ctx, github.NewPull{Head: branch, Base: target, Draft: len(res.Conflicts) > 0,
			Title: fmt.Sprintf("[%s] %s (backport of #%d)", target, pr.Title, pr.Number), Body: backportBody(pr, req, target, branch, picked)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, e.replyBackport(ctx, req, res, backportReply(pr, target, res))
}

// checkBackport says why a backport cannot be made, or returns the merged pull request.
func (e *Env) checkBackport(ctx context.Context, req BackportRequest, target string) (string, *github.PullRequest, error) {
	if target == "" {
		return "`/shepherd backport` takes one branch name, like `/shepherd backport release-1`.", nil, nil
	}
	permission, allowed, err := e.GitHub.CanWrite(ctx, req.Author)
	if err != nil {
		return "", nil, err
	}
	if !allowed {
		return fmt.Sprintf("@%s, only people with write, maintain or admin permission on this repository may ask for a backport (yours is %s). Nothing was done.", req.Author, permission), nil, nil
	}
	if !req.IsPull {
		return "A backport picks what a merged pull request changed: ask on the pull request.", nil, nil
	}
	if err := backport.CheckBranch(target); err != nil {
		return fmt.Sprintf("`%s` is not a branch name. Nothing was done.", strings.ReplaceAll(target, "`", "'")), nil, nil
	}
	pr, err := e.GitHub.GetPullRequest(ctx, req.Number)
	if err != nil {
		return "", nil, err
	}
	switch {
	case !pr.Merged || pr.MergeCommitSHA == "":
		return fmt.Sprintf("#%d is not merged: a backport picks what a merged pull request changed. Ask again once it is merged.", pr.Number), nil, nil
	case pr.Base == target:
		return fmt.Sprintf("#%d merged into `%s` itself: there is nothing to backport there.", pr.Number, target), nil, nil
	}
	exists, err := e.GitHub.BranchExists(ctx, target)
	if err != nil {
		return "", nil, err
	}
	if !exists {
		return fmt.Sprintf("There is no branch `%s` to backport to. Nothing was done.", target), nil, nil
	}
	return "", pr, nil
}

// replyBackport answers the comment once, with its id in the reply's marker.
func (e *Env) replyBackport(ctx context.Context, req BackportRequest, res *BackportResult, text string) error {
	res.Reply = text
	e.Log.Info("backport: replying", "pr", req.Number, "comment", req.CommentID, "outcome", res.Outcome)
	return e.act(fmt.Sprintf("reply on #%d", req.Number), func() error {
		_, _, err := e.GitHub.PostMarked(ctx, req.Number, "backport", strconv.FormatInt(req.CommentID, 10), text)
		return err
	})
}

func backportReply(pr *github.PullRequest, target string, res *BackportResult) string {
	if len(res.Conflicts) == 0 {
		return fmt.Sprintf("Backport of #%d to `%s` opened: #%d.", pr.Number, target, res.Pull.Number)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "⚠️ **The backport of #%d to `%s` has conflicts in %s.** Draft #%d holds the part that applied cleanly; "+
		"the change to these files is **not** in it yet:\n\n", pr.Number, target, words.Count(len(res.Conflicts), "file", "files"), res.Pull.Number)
	writeFiles(&b, res.Conflicts)
	b.WriteString("\nThe draft's description says how to finish it; mark it ready for review once the conflicts are resolved.")
	return b.String()
}

func backportBody(pr *github.PullRequest, req BackportRequest, target, branch string, picked *backport.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Backport of #%d to `%s`, asked for by @%s: the change of #%d (merged as %s) cherry-picked onto `%s`.\n",
		pr.Number, target, req.Author, pr.Number, pr.MergeCommitSHA, target)
	if len(picked.Conflicts) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "\n## ⚠️ Conflicts: this draft is not the whole change\n\n"+
		"It holds the files that applied cleanly. The change of #%d to these files conflicted with `%s`; "+
		"they are left as `%s` has them, without conflict markers, and the change to them is **not** here yet:\n\n", pr.Number, target, target)
	writeFiles(&b, picked.Conflicts)
	quoted := make([]string, len(picked.Conflicts))
	for i, f := range picked.Conflicts {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", `'\''`) + "'"
	}
	fmt.Fprintf(&b, "\nTo finish it, apply that change with a three-way merge, resolve the conflicts, and push:\n\n```sh\n"+
		"git fetch origin %s pull/%d/head\n"+
		"git switch %s\n"+
		"git diff %s %s -- %s | git apply -3\n"+
		"# resolve the conflicts git marks, then\n"+
		"git commit -a -m 'Resolve the conflicts of the backport of #%d'\n"+
		"git push origin %s\n```\n\n"+
		"Then mark this pull request ready for review.\n",
		branch, pr.Number, branch, picked.Base, picked.Head, strings.Join(quoted, " "), pr.Number, branch)
	return b.String()
}

// writeFiles lists file names, each as code.
func writeFiles(b *strings.Builder, files []string) {
	for _, f := range files {
		fmt.Fprintf(b, "- `%s`\n", strings.ReplaceAll(f, "`", "'"))
	}
}
