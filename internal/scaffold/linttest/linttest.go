// Package linttest runs actionlint, the workflow checker `make test` installs, from tests.
package linttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Path finds actionlint where scripts/tools.sh installs it ($SHEPHERD_TOOLS, else
// ~/.cache/shepherd/tools). Without it the test skips, except under CI=true, where it
// fails: CI must never pass having skipped the check.
func Path(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SHEPHERD_TOOLS")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err == nil {
			dir = filepath.Join(cache, "shepherd", "tools")
		}
	}
	p := filepath.Join(dir, "actionlint")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("actionlint is not installed at %s (scripts/tools.sh actionlint installs it)", p)
		}
		t.Skipf("actionlint is not installed at %s; scripts/tools.sh actionlint installs it", p)
	}
	return p
}

// Run checks the workflow files with actionlint from dir and fails the test with its
// report when it finds anything. dir is made a project root for actionlint (a .git
// folder) when it is none: only inside a project does actionlint read the reusable
// workflows a local call names (uses: ./.github/workflows/X.yml) and check the inputs
// and secrets passed to them.
func Run(t testing.TB, dir string, files ...string) {
	t.Helper()
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	cmd := exec.Command(Path(t), append([]string{"-no-color"}, files...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("actionlint %v in %s: %v\n%s", files, dir, err, out)
	}
}
