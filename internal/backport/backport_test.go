package backport_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/backport"
	"github.com/shepherd-release/shepherd/internal/backport/backporttest"
)

const (
	lines   = "one\ntwo\nthree\nfour\nfive\n"
	changed = "one\nTWO\nthree\nfour\nfive\n"
)

// history makes main and release-1 from one commit, moves main on with a change that is
// not the PR's, and then merges the PR (a change of a.txt and a new d.txt) the given
// way. It returns the remote and the pick to make.
func history(t *testing.T, method string, releaseChange map[string]string) (*backporttest.TestRemote, backport.Pick) {
	t.Helper()
	r := backporttest.NewTestRemote(t, map[string]string{"a.txt": lines, "b.txt": "b\n"})
	r.Branch("release-1", releaseChange)
	r.Commit("not the PR's change", map[string]string{"c.txt": "c\n"})
	r.Git("checkout", "--quiet", "-b", "feature")
	r.Commit("change a", map[string]string{"a.txt": changed})
	head := r.Commit("add d", map[string]string{"d.txt": "d\n"})
	r.Git("push", "--quiet", "origin", "feature:refs/pull/7/head")
	r.Git("checkout", "--quiet", "main")
	switch method {
	case "merge":
		r.Git("merge", "--quiet", "--no-ff", "-m", "Merge pull request #7", "feature")
	case "squash":
		r.Git("merge", "--quiet", "--squash", "feature")
		r.Git("commit", "--quiet", "-m", "Change a, add d (#7)")
	case "rebase":
		r.Git("cherry-pick", "main..feature")
	}
	merge := r.Git("rev-parse", "HEAD")
	r.Git("push", "--quiet", "origin", "main")
	require.NotEqual(t, head, merge)
	return r, backport.Pick{PR: 7, Title: "Change a, add d", HeadRef: "refs/pull/7/head", BaseBranch: "main", MergeSHA: merge, Target: "release-1"}
}

// However the PR was merged, the pick carries its whole change, and nothing else of main.
func TestCherryPickCarriesThePullRequestsChange(t *testing.T) {
	for _, method := range []string{"merge", "squash", "rebase"} {
		t.Run(method, func(t *testing.T) {
			r, p := history(t, method, nil)
			res, err := r.Repo().CherryPick(context.Background(), p)
			require.NoError(t, err)
			assert.Empty(t, res.Conflicts)
			assert.False(t, res.AlreadyThere)
			assert.Equal(t, []string{"a.txt", "d.txt"}, res.Changed)
			require.NoError(t, r.Repo().Push(context.Background(), res.Commit, "backport-7"))

			a, _ := r.File("backport-7", "a.txt")
			assert.Equal(t, changed, a)
			d, ok := r.File("backport-7", "d.txt")
			assert.True(t, ok)
			assert.Equal(t, "d\n", d)
			_, ok = r.File("backport-7", "c.txt")
			assert.False(t, ok, "main's other change stays out")
			parent := r.Git("rev-parse", "origin/release-1")
			assert.Equal(t, parent, r.Git("rev-parse", res.Commit+"^"), "one commit on the release branch")
			msg := r.Git("log", "-1", "--format=%B", res.Commit)
			assert.Contains(t, msg, "Change a, add d (backport of #7 to release-1)")
			assert.Contains(t, msg, "(cherry picked from commit "+p.MergeSHA+")")
			assert.Equal(t, "Ada <ada@example.org>", r.Git("log", "-1", "--format=%an <%ae>", res.Commit), "the author stays")

			// The same pick again is the same commit, and pushing it again changes nothing.
			again, err := r.Repo().CherryPick(context.Background(), p)
			require.NoError(t, err)
			assert.Equal(t, res.Commit, again.Commit)
			require.NoError(t, r.Repo().Push(context.Background(), again.Commit, "backport-7"))
		})
	}
}

// A conflict commits the files that applied and leaves the conflicted ones as the target
// has them, listing them: no conflict markers, and no change dropped without a word.
func TestCherryPickWithAConflictKeepsTheCleanPartAndListsTheRest(t *testing.T) {
	release := "one\ndeux\nthree\nfour\nfive\n"
	r, p := history(t, "squash", map[string]string{"a.txt": release})
	res, err := r.Repo().CherryPick(context.Background(), p)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.txt"}, res.Conflicts)
	assert.Equal(t, []string{"d.txt"}, res.Changed)
	require.NoError(t, r.Repo().Push(context.Background(), res.Commit, "backport-7"))
	a, _ := r.File("backport-7", "a.txt")
	assert.Equal(t, release, a, "the conflicted file is the release branch's")
	d, _ := r.File("backport-7", "d.txt")
	assert.Equal(t, "d\n", d)
	assert.Contains(t, r.Git("log", "-1", "--format=%B", res.Commit), "conflicted and is not in this commit:\n  a.txt")
	assert.Empty(t, r.Git("status", "--porcelain"), "the checkout is left as it was")

	// What the draft's body tells a person to run finishes the pick.
	r.Git("fetch", "--quiet", "origin", "backport-7")
	r.Git("checkout", "--quiet", "FETCH_HEAD")
	diff := r.Git("diff", res.Base, res.Head, "--", "a.txt")
	assert.Contains(t, diff, "+TWO")
}

// A change the target has already is nothing to pick.
func TestCherryPickOfAChangeAlreadyThere(t *testing.T) {
	r, p := history(t, "merge", map[string]string{"a.txt": changed, "d.txt": "d\n"})
	res, err := r.Repo().CherryPick(context.Background(), p)
	require.NoError(t, err)
	assert.True(t, res.AlreadyThere)
	assert.Empty(t, res.Commit)
}

// A branch of the same name holding something else is not overwritten.
func TestPushRefusesToOverwriteAnotherBranch(t *testing.T) {
	r, p := history(t, "merge", nil)
	r.Git("push", "--quiet", "origin", "main:refs/heads/backport-7")
	res, err := r.Repo().CherryPick(context.Background(), p)
	require.NoError(t, err)
	err = r.Repo().Push(context.Background(), res.Commit, "backport-7")
	assert.ErrorContains(t, err, "branch backport-7 exists with other commits")
}

func TestCheckBranch(t *testing.T) {
	for _, ok := range []string{"release-1", "release/2026.1", "v1.x"} {
		assert.NoError(t, backport.CheckBranch(ok), ok)
	}
	for _, bad := range []string{"", "-rf", "a..b", "a b", "release/", "x.lock", "$(id)", "a//b"} {
		assert.Error(t, backport.CheckBranch(bad), bad)
	}
}
