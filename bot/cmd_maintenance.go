package main

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/words"
)

// runMaintenance switches maintenance on or off in a checkout of the release repository.
// It writes or deletes the file and prints the commit that makes it count: the switch is
// what the default branch holds, so the change goes through the repository's own review
// and history rather than around them.
func runMaintenance(_ context.Context, env *environment, args []string) error {
	fs := newFlags(env, "maintenance", "maintenance on|off|status [--reason TEXT] [--by NAME] [--repo-dir DIR]")
	reason := fs.String("reason", "", "why (shown on every open release's status and in every scheduled run's log)")
	by := fs.String("by", firstSet(env.getenv("GITHUB_ACTOR"), env.getenv("USER")), "who switches it on (default $GITHUB_ACTOR, else $USER)")
	dir := fs.String("repo-dir", ".", "the checked-out release repository")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		return usageError("say on, off or status: shepherd maintenance on --reason TEXT")
	}
	what := args[0]
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected arguments %q (quote a reason with spaces)", fs.Args())
	}
	path := filepath.Join(*dir, steps.MaintenanceFile)
	switch what {
	case "status":
		m, err := steps.ReadMaintenance(*dir)
		if err != nil {
			return err
		}
		if m == nil {
			fmt.Fprintf(env.stdout, "maintenance is off (%s does not exist)\n", steps.MaintenanceFile)
			return nil
		}
		fmt.Fprintf(env.stdout, "maintenance is on: %s\n", m.Line(timeNow()))
		return nil
	case "on":
		if strings.TrimSpace(*reason) == "" {
			fmt.Fprintln(env.stderr, "shepherd maintenance: no --reason; statuses will say \"no reason given\"")
		}
		m := steps.Maintenance{By: *by, Since: timeNow().UTC(), Reason: *reason}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := writeFileAtomic(path, []byte(m.Text())); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "wrote %s. Scheduled runs stop once it is on the default branch:\n  git add %s && git commit -m 'Maintenance on' && git push\n", path, steps.MaintenanceFile)
		return nil
	case "off":
		err := os.Remove(path)
		if errors.Is(err, iofs.ErrNotExist) {
			fmt.Fprintf(env.stdout, "maintenance is already off (%s does not exist)\n", steps.MaintenanceFile)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "removed %s. Waiting work resumes on the first scheduled run after:\n  git add -A %s && git commit -m 'Maintenance off' && git push\n", path, steps.MaintenanceFile)
		return nil
	}
	return usageError("maintenance %q: say on, off or status", what)
}

func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// writeFileAtomic writes through a temporary file and a rename, so a reader never sees
// half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".shepherd-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// runUnlock removes a release's lease and says whose it was.
func runUnlock(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "unlock", "unlock --version vYYYY-MM-DD [--force] [--dry-run]")
	f := addStepFlags(fs, env)
	version := fs.String("version", "", "the release whose lease to remove")
	force := fs.Bool("force", false, "remove a lease that is still live and fresh (its run may still be working)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *version == "" {
		return usageError("--version is required")
	}
	e, err := f.connect(ctx, env)
	if err != nil {
		return err
	}
	res, err := e.Unlock(ctx, *version, *force)
	if res.Lease == nil {
		if err == nil {
			fmt.Fprintf(env.stdout, "release %s: no lease (%s does not exist): no run holds the release; nothing to remove\n"+
				"  a run creates it when it starts changing the release, and it is removed once the release is finished (done, its files removed)\n", *version, res.Key)
		}
		return err
	}
	l := res.Lease
	what := "found"
	switch {
	case res.Removed:
		what = "removed"
	case err == nil && e.DryRun:
		what = "dry run: would remove"
	}
	age := ""
	if !l.Since.IsZero() {
		age = ", taken " + words.Duration(res.Age) + " ago"
	}
	fmt.Fprintf(env.stdout, "release %s: %s lease %s, %s%s\n  it is %s\n", *version, what, res.Key, l.Describe(), age,
		l.State(e.Now(), e.Config.Lease.StaleAfter))
	if errors.Is(err, steps.ErrLeaseLive) {
		return &exitError{code: exitFindings, err: err} // found, and left where it is
	}
	return err
}
