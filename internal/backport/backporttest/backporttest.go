// Package backporttest holds git repositories for tests of backports: a bare one standing
// for GitHub and a clone standing for a workflow's checkout.
package backporttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepherd-release/shepherd/internal/backport"
)

// TestRemote is a bare repository standing for GitHub's side and a clone of it standing
// for a workflow's checkout, for tests of picks with real git.
type TestRemote struct {
	t      testing.TB
	Bare   string
	Clone  string
	serial int
}

// NewTestRemote makes the two repositories, main holding files. Without git the test
// fails (git is as much a dependency of the backport as the Go toolchain of the build).
func NewTestRemote(t testing.TB, files map[string]string) *TestRemote {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("the backport tests need git on the PATH: %v", err)
	}
	dir := t.TempDir()
	r := &TestRemote{t: t, Bare: filepath.Join(dir, "origin.git"), Clone: filepath.Join(dir, "checkout")}
	r.run(dir, "init", "--quiet", "--bare", "--initial-branch=main", r.Bare)
	r.run(dir, "clone", "--quiet", r.Bare, r.Clone)
	r.Git("checkout", "--quiet", "-b", "main")
	r.Commit("Initial commit", files)
	r.Git("push", "--quiet", "origin", "main")
	return r
}

// Repo is the clone as a Repo.
func (r *TestRemote) Repo() *backport.Repo { return &backport.Repo{Dir: r.Clone, Remote: "origin"} }

func (r *TestRemote) run(dir string, args ...string) string {
	r.t.Helper()
	r.serial++
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	// A fixed identity and clock, each commit a second after the last.
	date := "2026-12-01T10:00:" + pad(r.serial%60) + "Z"
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.org",
		"GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@example.org", "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date,
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func pad(n int) string {
	if n < 10 {
		return "0" + string(rune('0'+n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

// Git runs git in the clone and returns its output.
func (r *TestRemote) Git(args ...string) string {
	r.t.Helper()
	return r.run(r.Clone, args...)
}

// Commit writes files in the clone ("" removes one) and commits them on the current
// branch; it returns the commit.
func (r *TestRemote) Commit(message string, files map[string]string) string {
	r.t.Helper()
	for path, content := range files {
		full := filepath.Join(r.Clone, filepath.FromSlash(path))
		if content == "" {
			r.Git("rm", "--quiet", "--", path)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
		r.Git("add", "--", path)
	}
	r.Git("commit", "--quiet", "--allow-empty", "-m", message)
	return r.Git("rev-parse", "HEAD")
}

// File reads path at ref in the bare repository; ok is false when it has no such file.
func (r *TestRemote) File(ref, path string) (string, bool) {
	r.t.Helper()
	cmd := exec.Command("git", "show", ref+":"+path)
	cmd.Dir = r.Bare
	out, err := cmd.Output()
	return string(out), err == nil
}

// Branch makes branch at the current commit, commits change on it when there is one,
// pushes it, and goes back to where the clone was.
func (r *TestRemote) Branch(name string, change map[string]string) {
	r.t.Helper()
	back := r.Git("rev-parse", "--abbrev-ref", "HEAD")
	r.Git("branch", name)
	if change != nil {
		r.Git("checkout", "--quiet", name)
		r.Commit("on "+name, change)
		r.Git("checkout", "--quiet", back)
	}
	r.Git("push", "--quiet", "origin", name)
}
