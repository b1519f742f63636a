// Package backport cherry-picks a merged pull request onto another branch with git, in a
// clone of the repository (the workflow's checkout): git's own three-way merge finds the
// conflicts, which a patch applied through GitHub's API could not.
//
// What is picked is the pull request's own change, whatever way it was merged: the
// difference between its head and the point where it left the base branch (the merge
// base of its head and the merge commit's first parent). That is what GitHub shows as
// the pull request's files, and it is the same for a merge commit, a squash and a
// rebase, where picking the merge commit alone would take only the last of several
// rebased commits.
//
// On a conflict nothing is dropped silently and nothing half-merged is committed: the
// files that applied cleanly are committed, the conflicted ones are left as they are on
// the target branch and listed, so a person can finish the pick from the branch.
package backport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/words"
)

// Repo is a clone of the repository with a remote to fetch from and push to.
type Repo struct {
	Dir    string
	Remote string // "origin" in a workflow's checkout
	// Committer names who commits the pick: the author stays the merged commit's.
	CommitterName, CommitterEmail string
}

// Pick is one pull request to pick onto a branch.
type Pick struct {
	PR    int
	Title string
	// HeadRef is the ref of the pull request's head on the remote: refs/pull/N/head,
	// which GitHub keeps after the merge (and for pull requests from forks).
	HeadRef    string
	BaseBranch string // the branch the pull request merged into
	MergeSHA   string // the commit its merge made on BaseBranch
	Target     string // the branch to pick onto
}

// Result is a pick made as a commit on the target branch, not yet pushed.
type Result struct {
	Commit string
	// Target is the target branch's commit the pick was made on.
	Target string
	// Base and Head are the ends of the pull request's change, for finishing it by hand.
	Base, Head string
	// Changed are the files the commit changes; Conflicts those whose change could not
	// be applied and is not in the commit.
	Changed, Conflicts []string
	// AlreadyThere is true when the target branch holds the whole change already.
	AlreadyThere bool
}

// The refs a pick fetches into, out of the way of the checkout's branches.
const (
	refHead   = "refs/shepherd/backport/head"
	refBase   = "refs/shepherd/backport/base"
	refTarget = "refs/shepherd/backport/target"
)

var branchName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$`)

// CheckBranch refuses a branch name that is not a plain git branch name, before it
// reaches a command line.
func CheckBranch(name string) error {
	if !branchName.MatchString(name) || strings.Contains(name, "..") || strings.Contains(name, "//") ||
		strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".lock") || strings.HasSuffix(name, ".") {
		return fmt.Errorf("%q is not a branch name (letters, digits, '.', '_', '-' and '/')", name)
	}
	return nil
}

// CherryPick fetches what the pick needs and commits the pull request's change on top of
// the target branch. The commit is the same for the same inputs (its dates are the
// merged commit's), so a run repeated after a crash pushes nothing new.
func (r *Repo) CherryPick(ctx context.Context, p Pick) (*Result, error) {
	for _, b := range []string{p.BaseBranch, p.Target} {
		if err := CheckBranch(b); err != nil {
			return nil, err
		}
	}
	if !regexp.MustCompile(`^refs/pull/[0-9]+/head$`).MatchString(p.HeadRef) || !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(p.MergeSHA) {
		return nil, fmt.Errorf("the pull request's head %q or merge commit %q is not one GitHub names", p.HeadRef, p.MergeSHA)
	}
	if _, err := r.git(ctx, nil, "fetch", "--no-tags", "--quiet", r.Remote,
		"+"+p.HeadRef+":"+refHead, "+refs/heads/"+p.BaseBranch+":"+refBase, "+refs/heads/"+p.Target+":"+refTarget); err != nil {
		return nil, err
	}
	if _, err := r.git(ctx, nil, "cat-file", "-e", p.MergeSHA+"^{commit}"); err != nil {
		return nil, fmt.Errorf("the merge commit %s of #%d is not in %s after fetching it: %w", p.MergeSHA, p.PR, p.BaseBranch, err)
	}
	res := &Result{}
	var err error
	if res.Head, err = r.rev(ctx, refHead); err != nil {
		return nil, err
	}
	if res.Target, err = r.rev(ctx, refTarget); err != nil {
		return nil, err
	}
	parent, err := r.rev(ctx, p.MergeSHA+"^1")
	if err != nil {
		return nil, err
	}
	if res.Base, err = r.out(ctx, nil, "merge-base", res.Head, parent); err != nil {
		return nil, fmt.Errorf("where #%d left %s: %w", p.PR, p.BaseBranch, err)
	}
	author, err := r.out(ctx, nil, "log", "-1", "--format=%an%x00%ae%x00%aI%x00%cI", p.MergeSHA)
	if err != nil {
		return nil, err
	}
	who := strings.Split(author, "\x00")
	if len(who) != 4 {
		return nil, fmt.Errorf("read the author of %s: %q", p.MergeSHA, author)
	}
	name, email := r.CommitterName, r.CommitterEmail
	if name == "" {
		name, email = "Shepherd", "shepherd@users.noreply.github.com"
	}
	env := []string{"GIT_AUTHOR_NAME=" + who[0], "GIT_AUTHOR_EMAIL=" + who[1], "GIT_AUTHOR_DATE=" + who[2],
		"GIT_COMMITTER_NAME=" + name, "GIT_COMMITTER_EMAIL=" + email, "GIT_COMMITTER_DATE=" + who[3]}

	// The change as one commit: the head's tree on the base it left from.
	change, err := r.out(ctx, env, "commit-tree", res.Head+"^{tree}", "-p", res.Base, "-m", fmt.Sprintf("#%d as one change", p.PR))
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "shepherd-backport-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	tree := filepath.Join(work, "tree")
	if _, err := r.git(ctx, nil, "worktree", "add", "--quiet", "--detach", tree, res.Target); err != nil {
		return nil, err
	}
	defer r.git(context.WithoutCancel(ctx), nil, "worktree", "remove", "--force", tree) //nolint:errcheck // the temporary folder goes anyway
	wt := &Repo{Dir: tree, Remote: r.Remote}
	if _, pickErr := wt.git(ctx, env, "cherry-pick", "--no-commit", change); pickErr != nil {
		unmerged, err := wt.out(ctx, nil, "diff", "--name-only", "--diff-filter=U", "-z")
		if err != nil {
			return nil, err
		}
		res.Conflicts = splitZ(unmerged)
		if len(res.Conflicts) == 0 {
			return nil, fmt.Errorf("cherry-pick of #%d onto %s: %w", p.PR, p.Target, pickErr)
		}
		for _, path := range res.Conflicts {
			if err := wt.keepTargets(ctx, path); err != nil {
				return nil, err
			}
		}
	}
	treeID, err := wt.out(ctx, nil, "write-tree")
	if err != nil {
		return nil, err
	}
	if _, err := wt.git(ctx, nil, "cherry-pick", "--quit"); err != nil {
		return nil, err
	}
	changed, err := r.out(ctx, nil, "diff", "--name-only", "-z", res.Target, treeID)
	if err != nil {
		return nil, err
	}
	res.Changed = splitZ(changed)
	if len(res.Changed) == 0 && len(res.Conflicts) == 0 {
		res.AlreadyThere = true
		return res, nil
	}
	if res.Commit, err = r.out(ctx, env, "commit-tree", treeID, "-p", res.Target, "-m", message(p, res)); err != nil {
		return nil, err
	}
	return res, nil
}

// keepTargets leaves a conflicted path as the target branch has it (or absent, when the
// target has no such file).
func (r *Repo) keepTargets(ctx context.Context, path string) error {
	if _, err := r.git(ctx, nil, "cat-file", "-e", "HEAD:"+path); err == nil {
		_, err := r.git(ctx, nil, "checkout", "HEAD", "--", path)
		return err
	}
	if _, err := r.git(ctx, nil, "rm", "--quiet", "--force", "--cached", "--ignore-unmatch", "--", path); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(r.Dir, filepath.FromSlash(path))); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func message(p Pick, res *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (backport of #%d to %s)\n\n", p.Title, p.PR, p.Target)
	if len(res.Conflicts) > 0 {
		fmt.Fprintf(&b, "Partial: the change to these files conflicted and is not in this commit:\n")
		for _, c := range res.Conflicts {
			fmt.Fprintf(&b, "  %s\n", c)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "(cherry picked from commit %s)\n", p.MergeSHA)
	return b.String()
}

// Push puts commit on the remote as branch. A branch already there is left alone when it
// holds the commit (a repeated run, or people's commits on top of it); any other branch of
// that name is refused rather than overwritten.
func (r *Repo) Push(ctx context.Context, commit, branch string) error {
	if err := CheckBranch(branch); err != nil {
		return err
	}
	_, pushErr := r.git(ctx, nil, "push", "--quiet", r.Remote, commit+":refs/heads/"+branch)
	if pushErr == nil {
		return nil
	}
	if _, err := r.git(ctx, nil, "fetch", "--no-tags", "--quiet", r.Remote, "+refs/heads/"+branch+":refs/shepherd/backport/pushed"); err != nil {
		return pushErr
	}
	if _, err := r.git(ctx, nil, "merge-base", "--is-ancestor", commit, "refs/shepherd/backport/pushed"); err != nil {
		return fmt.Errorf("branch %s exists with other commits; delete it to backport again: %w", branch, pushErr)
	}
	return nil
}

func (r *Repo) rev(ctx context.Context, ref string) (string, error) {
	return r.out(ctx, nil, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
}

func (r *Repo) out(ctx context.Context, env []string, args ...string) (string, error) {
	s, err := r.git(ctx, env, args...)
	return strings.TrimRight(s, "\n"), err
}

// git runs one git command in the repository; its error quotes git's own message.
func (r *Repo) git(ctx context.Context, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Dir
	// No pager, no prompt for credentials, no editor: nobody is there to answer.
	cmd.Env = append(append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_EDITOR=true", "GIT_PAGER=cat", "LC_ALL=C"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("git %s (after %s): %w: %s", args[0], words.Duration(time.Since(start)), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func splitZ(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\x00") {
		if p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
