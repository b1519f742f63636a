package steps_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/backport"
	"github.com/shepherd-release/shepherd/internal/backport/backporttest"
	"github.com/shepherd-release/shepherd/internal/github/githubtest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// mirroredPicker picks and pushes with real git, then makes the same branch on the fake
// GitHub (whose commits are trees, not git objects), so that the fake accepts the pull
// request the step opens from it.
type mirroredPicker struct {
	t      *testing.T
	sb     *sandbox.Sandbox
	remote *backporttest.TestRemote
	target string
	pushes int
	last   *backport.Result
}

func (m *mirroredPicker) CherryPick(ctx context.Context, p backport.Pick) (*backport.Result, error) {
	res, err := m.remote.Repo().CherryPick(ctx, p)
	m.last = res
	return res, err
}

func (m *mirroredPicker) Push(ctx context.Context, commit, branch string) error {
	if err := m.remote.Repo().Push(ctx, commit, branch); err != nil {
		return err
	}
	m.pushes++
	files := map[string]string{}
	for _, path := range m.last.Changed {
		content, _ := m.remote.File(commit, path)
		files[path] = content
	}
	if m.sb.GitHub.BranchSHA(sandbox.Owner, sandbox.Repo, branch) == "" {
		m.sb.GitHub.PushCommit(sandbox.Owner, sandbox.Repo, branch, m.target, "backport", files)
	}
	return nil
}

type backportWorld struct {
	sb     *sandbox.Sandbox
	git    *mirroredPicker
	pr     int
	remote *backporttest.TestRemote
}

// newBackportWorld makes a git history where PR #pr (a change of a.txt and a new d.txt)
// merged into main after release-1 branched off, and the same PR on the fake GitHub,
// merged into that commit. releaseChange, when given, is committed on release-1 first.
func newBackportWorld(t *testing.T, releaseChange map[string]string) *backportWorld {
	t.Helper()
	sb := newSandbox(t, dataset.Spec{Seed: 81, Concepts: 20}, ocltest.ExportPlan{})
	sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, "maintainer", "maintain")
	sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, "helper", "triage")
	sb.GitHub.SetFile(sandbox.Owner, sandbox.Repo, "release-1", "a.txt", "one\ntwo\nthree\n")
	sb.GitHub.SetFile(sandbox.Owner, sandbox.Repo, "feature", "d.txt", "d\n")
	pr := sb.GitHub.AddPullRequest(sandbox.Owner, sandbox.Repo, "contributor", "feature", "main", "Fix two", "")

	r := backporttest.NewTestRemote(t, map[string]string{"a.txt": "one\ntwo\nthree\n"})
	r.Branch("release-1", releaseChange)
	r.Git("checkout", "--quiet", "-b", "feature")
	r.Commit("Fix two", map[string]string{"a.txt": "one\nTWO\nthree\n", "d.txt": "d\n"})
	r.Git("push", "--quiet", "origin", "feature:refs/pull/"+itoa(pr)+"/head")
	r.Git("checkout", "--quiet", "main")
	r.Git("merge", "--quiet", "--no-ff", "-m", "Merge pull request #"+itoa(pr), "feature")
	r.Git("push", "--quiet", "origin", "main")
	sb.GitHub.MarkMerged(sandbox.Owner, sandbox.Repo, pr, "maintainer", r.Git("rev-parse", "HEAD"))
	return &backportWorld{sb: sb, pr: pr, remote: r, git: &mirroredPicker{t: t, sb: sb, remote: r, target: "release-1"}}
}

func itoa(n int) string { return strconv.Itoa(n) }

func strconvItoa(n int64) string { return strconv.FormatInt(n, 10) }

func (w *backportWorld) ask(t *testing.T, login, body string) (*steps.BackportResult, int64) {
	t.Helper()
	id := w.sb.GitHub.AddComment(sandbox.Owner, sandbox.Repo, w.pr, login, body)
	res, err := w.sb.Env.Backport(context.Background(), steps.BackportRequest{Number: w.pr, IsPull: true, CommentID: id, Author: login, Body: body}, w.git)
	require.NoError(t, err)
	return res, id
}

// replies are the bot's answers to the comment id.
func (w *backportWorld) replies(id int64) []string {
	var out []string
	for _, c := range w.sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, w.pr) {
		if c.GetUser().GetLogin() == "shepherd-bot" && strings.Contains(c.GetBody(), "<!-- shepherd:backport "+strconvItoa(id)+" -->") {
			out = append(out, c.GetBody())
		}
	}
	return out
}

func (w *backportWorld) backportPRs() int {
	n := 0
	for _, p := range w.sb.GitHub.PullRequests(sandbox.Owner, sandbox.Repo) {
		if strings.HasPrefix(p.GetHead().GetRef(), "shepherd/backport-") {
			n++
		}
	}
	return n
}

func TestBackportOpensAPullRequestWithThePickedChange(t *testing.T) {
	w := newBackportWorld(t, nil)
	res, id := w.ask(t, "maintainer", "Needed on the release too.\n/shepherd backport release-1\n")
	assert.Equal(t, steps.BackportOpened, res.Outcome)
	require.NotNil(t, res.Pull)
	branch := "shepherd/backport-" + itoa(w.pr) + "-to-release-1"
	a, _ := w.remote.File(branch, "a.txt")
	assert.Equal(t, "one\nTWO\nthree\n", a, "the branch holds the merged change")
	d, _ := w.remote.File(branch, "d.txt")
	assert.Equal(t, "d\n", d)

	prs := w.sb.GitHub.PullRequests(sandbox.Owner, sandbox.Repo)
	opened := prs[len(prs)-1]
	assert.Equal(t, "release-1", opened.GetBase().GetRef())
	assert.Equal(t, branch, opened.GetHead().GetRef())
	assert.False(t, opened.GetDraft())
	assert.Equal(t, "[release-1] Fix two (backport of #"+itoa(w.pr)+")", opened.GetTitle())
	replies := w.replies(id)
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0], "Backport of #"+itoa(w.pr)+" to `release-1` opened: #"+itoa(opened.GetNumber()))
	assert.Equal(t, []string{"shepherd-bot:eyes"}, w.sb.GitHub.Reactions(sandbox.Owner, sandbox.Repo, id), "acknowledged")

	// The same event delivered again: found answered, nothing more made.
	again, err := w.sb.Env.Backport(context.Background(), steps.BackportRequest{Number: w.pr, IsPull: true, CommentID: id, Author: "maintainer",
		Body: "Needed on the release too.\n/shepherd backport release-1\n"}, w.git)
	require.NoError(t, err)
	assert.Equal(t, steps.BackportDuplicate, again.Outcome)
	assert.Equal(t, 1, w.backportPRs())
	assert.Len(t, w.replies(id), 1)
	assert.Equal(t, 1, w.git.pushes)
}

func TestBackportWithAConflictOpensADraftListingTheFiles(t *testing.T) {
	w := newBackportWorld(t, map[string]string{"a.txt": "one\ndeux\nthree\n"})
	res, id := w.ask(t, "maintainer", "/shepherd backport release-1")
	assert.Equal(t, steps.BackportDraft, res.Outcome)
	assert.Equal(t, []string{"a.txt"}, res.Conflicts)
	branch := "shepherd/backport-" + itoa(w.pr) + "-to-release-1"
	a, _ := w.remote.File(branch, "a.txt")
	assert.Equal(t, "one\ndeux\nthree\n", a, "the conflicted file as release-1 has it, no markers")
	d, _ := w.remote.File(branch, "d.txt")
	assert.Equal(t, "d\n", d, "the clean part is there")

	prs := w.sb.GitHub.PullRequests(sandbox.Owner, sandbox.Repo)
	draft := prs[len(prs)-1]
	assert.True(t, draft.GetDraft())
	assert.Contains(t, draft.GetBody(), "## ⚠️ Conflicts: this draft is not the whole change")
	assert.Contains(t, draft.GetBody(), "- `a.txt`\n")
	assert.Contains(t, draft.GetBody(), "git diff "+w.git.last.Base+" "+w.git.last.Head+" -- 'a.txt' | git apply -3")
	replies := w.replies(id)
	require.Len(t, replies, 1)
	assert.Contains(t, replies[0], "has conflicts in 1 file.** Draft #"+itoa(draft.GetNumber()))
	assert.Contains(t, replies[0], "- `a.txt`")
}

func TestBackportRefusals(t *testing.T) {
	w := newBackportWorld(t, nil)
	for _, tc := range []struct{ login, body, reply string }{
		{"helper", "/shepherd backport release-1", "@helper, only people with write, maintain or admin permission on this repository may ask for a backport (yours is read). Nothing was done."},
		{"stranger", "/shepherd backport release-1", "(yours is none)"},
		{"maintainer", "/shepherd backport", "takes one branch name"},
		{"maintainer", "/shepherd backport nowhere", "There is no branch `nowhere` to backport to."},
		{"maintainer", "/shepherd backport main", "merged into `main` itself"},
		{"maintainer", "/shepherd backport a..b", "`a..b` is not a branch name."},
	} {
		res, id := w.ask(t, tc.login, tc.body)
		assert.Equal(t, steps.BackportRefused, res.Outcome, tc.body)
		replies := w.replies(id)
		require.Len(t, replies, 1, tc.body)
		assert.Contains(t, replies[0], tc.reply)
	}
	assert.Zero(t, w.backportPRs(), "nothing created")
	assert.Zero(t, w.git.pushes)
	_, pushed := w.remote.File("shepherd/backport-"+itoa(w.pr)+"-to-release-1", "a.txt")
	assert.False(t, pushed)
}

// Other /shepherd commands are not this step's: it does nothing at all with them.
func TestBackportIgnoresOtherCommands(t *testing.T) {
	w := newBackportWorld(t, nil)
	w.sb.GitHub.ResetRequests()
	id := w.sb.GitHub.AddComment(sandbox.Owner, sandbox.Repo, w.pr, "maintainer", "/shepherd promote")
	res, err := w.sb.Env.Backport(context.Background(), steps.BackportRequest{Number: w.pr, IsPull: true, CommentID: id, Author: "maintainer", Body: "/shepherd promote"}, w.git)
	require.NoError(t, err)
	assert.Equal(t, steps.BackportIgnored, res.Outcome)
	assert.Empty(t, w.sb.GitHub.Requests(), "not one request")
}

func TestParseBackport(t *testing.T) {
	for body, want := range map[string]struct {
		target string
		ok     bool
	}{
		"/shepherd backport release-1":            {"release-1", true},
		"please\n  /shepherd backport v2.x  \nty": {"v2.x", true},
		"/shepherd backport a b":                  {"", true},
		"/shepherd status":                        {"", false},
		"see /shepherd backport release-1":        {"", false},
	} {
		target, ok := steps.ParseBackport(body)
		assert.Equal(t, want.target, target, body)
		assert.Equal(t, want.ok, ok, body)
	}
}

// A run that stops after opening the pull request but before replying (GitHub failing the
// reply) leaves no answer; the event run again finds the branch holding its commit and the
// open pull request, and replies: one pull request, one reply.
func TestBackportRunAgainAfterAFailedReplyOpensNoSecondPullRequest(t *testing.T) {
	w := newBackportWorld(t, nil)
	body := "/shepherd backport release-1"
	id := w.sb.GitHub.AddComment(sandbox.Owner, sandbox.Repo, w.pr, "maintainer", body)
	req := steps.BackportRequest{Number: w.pr, IsPull: true, CommentID: id, Author: "maintainer", Body: body}
	w.sb.GitHub.FailNext(githubtest.Match{Method: "POST", Route: "/repos/{owner}/{repo}/issues/{issue_number}/comments"}, 4, githubtest.ServerError)
	_, err := w.sb.Env.Backport(context.Background(), req, w.git)
	require.Error(t, err)
	assert.Equal(t, 1, w.backportPRs(), "the pull request was opened")
	assert.Empty(t, w.replies(id))

	res, err := w.sb.Env.Backport(context.Background(), req, w.git)
	require.NoError(t, err)
	assert.Equal(t, steps.BackportOpened, res.Outcome)
	assert.Equal(t, 1, w.backportPRs())
	assert.Len(t, w.replies(id), 1)
}

type failingPicker struct{ steps.Picker }

func (failingPicker) CherryPick(context.Context, backport.Pick) (*backport.Result, error) {
	return nil, errors.New("git fetch: could not read from remote repository")
}

// A backport that fails says so on the pull request, and is tried again when the
// workflow runs again: the failure is not taken for an answer.
func TestBackportThatFailsSaysSoAndCanBeRunAgain(t *testing.T) {
	w := newBackportWorld(t, nil)
	body := "/shepherd backport release-1"
	id := w.sb.GitHub.AddComment(sandbox.Owner, sandbox.Repo, w.pr, "maintainer", body)
	req := steps.BackportRequest{Number: w.pr, IsPull: true, CommentID: id, Author: "maintainer", Body: body}
	for range 2 {
		_, err := w.sb.Env.Backport(context.Background(), req, failingPicker{w.git})
		require.ErrorContains(t, err, "could not read from remote repository")
	}
	var failures []string
	for _, c := range w.sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, w.pr) {
		if strings.Contains(c.GetBody(), "<!-- shepherd:backport-failed "+strconvItoa(id)+" -->") {
			failures = append(failures, c.GetBody())
		}
	}
	require.Len(t, failures, 1, "said once")
	assert.Contains(t, failures[0], "❌ The backport to `release-1` could not be made: cherry-pick of #"+itoa(w.pr)+" onto release-1: git fetch: could not read from remote repository")
	assert.Zero(t, w.backportPRs())

	res, err := w.sb.Env.Backport(context.Background(), req, w.git)
	require.NoError(t, err)
	assert.Equal(t, steps.BackportOpened, res.Outcome)
	assert.Len(t, w.replies(id), 1)
}
