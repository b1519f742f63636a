// Command shepherd is the operator's and maintainer's entry point to every step of a
// dictionary release: validate a manifest, write a new one, run QA, build exports, and
// run the whole flow on built-in defaults with `shepherd demo`.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/shepherd-release/shepherd/internal/buildinfo"
)

// timeNow is the clock for defaults such as today's version.
var timeNow = time.Now

// Exit codes scripts can rely on.
const (
	exitOK       = 0
	exitFindings = 1 // the check ran and found problems (QA errors, a failed release)
	exitCannot   = 2 // the command could not run: bad input, bad flags, network
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

// environment is what a command may touch: its streams and the process environment.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// exitError carries an exit code through the error chain.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// findings marks a run that worked but found problems (exit 1).
func findings(format string, args ...any) error {
	return &exitError{code: exitFindings, err: fmt.Errorf(format, args...)}
}

// usageError marks bad flags or arguments (exit 2).
func usageError(format string, args ...any) error {
	return &exitError{code: exitCannot, err: fmt.Errorf(format, args...)}
}

func commands() []command {
	return []command{
		{"validate", "check release manifests and the repository configuration", runValidate},
		{"new", "write a release manifest with defaults (releases/vYYYY-MM-DD.yaml)", runNew},
		{"init", "write a new release repository: configuration, workflows, releases/README.md", runInit},
		{"qa", "run QA bulk validation on an export file or a source's HEAD", runQA},
		{"export", "convert an export file into OpenMRS SQL (outside any release)", runExport},
		{"changelog", "list what changed between two releases (exports or kept indexes)", runChangelog},
		{"demo", "run a release end to end on built-in fakes and write what it did", runDemo},
		{"start-release", "open the release pull request for a version", runStartRelease},
		{"preview", "check a release pull request: manifests, QA, PR comment and status", runPreview},
		{"merge", "run what follows a merge: tracking issue, QA on HEAD, version on OCL", runMerge},
		{"poll", "the scheduled job: poll exports and finish releases whose export is ready", runPoll},
		{"janitor", "delete releases past retention and re-issue download links", runJanitor},
		{"freeze", "set the shepherd/freeze status of open pull requests (the code freeze after a major release)", runFreeze},
		{"retry", "carry a failed or incomplete release on", runRetry},
		{"status", "show a release's status, or every release's with --all", runStatus},
		{"site", "write the release site: deployable release, every release, HEAD QA report, exports, Atom feed", runSite},
		{"unlock", "show and remove a release's lease (the bucket object a run holds while it changes the release)", runUnlock},
		{"maintenance", "switch maintenance on or off: scheduled runs stop while it is on", runMaintenance},
		{"wait-idle", "wait until no other run of the repository's Shepherd workflows is unfinished (in progress, queued, waiting, ...)", runWaitIdle},
		{"pin", "point the repository's Shepherd workflows at another Shepherd release", runPin},
		{"verify", "check a release bundle offline: checksums, signature, manifest, BOM", runVerify},
		{"withdraw", "mark a published release withdrawn (GitHub Release, status, beside its bundle)", runWithdraw},
		{"action", "run one of Shepherd's GitHub Actions (what each action.yml runs)", runAction},
		{"doctor", "check the repository's set-up: secrets, permissions, settings, OCL, bucket, database", runDoctor},
		{"version", "print Shepherd's version and the commit it was built from", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first SIGINT or SIGTERM cancels ctx and every command winds down, leaving
	// nothing half-written; a second one ends the process at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, &environment{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, env *environment, args []string) int {
	cmds := commands()
	switch {
	case len(args) == 0:
		// Not a request for help: the usage goes where errors go.
		usage(env.stderr, cmds)
		return exitCannot
	case args[0] == "-h" || args[0] == "--help" || args[0] == "-help":
		usage(env.stdout, cmds)
		return exitOK
	case args[0] == "help" && len(args) == 1:
		usage(env.stdout, cmds)
		return exitOK
	case args[0] == "help":
		// "shepherd help qa" is "shepherd qa -h".
		args = []string{args[1], "-h"}
	case args[0] == "--version" || args[0] == "-version":
		args = []string{"version"}
	}
	for _, c := range cmds {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		if err == nil {
			return exitOK
		}
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			fmt.Fprintf(env.stderr, "shepherd %s: interrupted; stopped before finishing, nothing half-written was left\n", c.name)
			return exitCannot
		}
		fmt.Fprintf(env.stderr, "shepherd %s: %v\n", c.name, err)
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return exitCannot
	}
	fmt.Fprintf(env.stderr, "shepherd: unknown command %q\n\n", args[0])
	usage(env.stderr, cmds)
	return exitCannot
}

func usage(w io.Writer, cmds []command) {
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	fmt.Fprintln(w, "usage: shepherd <command> [flags]\n\ncommands:")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'shepherd <command> -h' for a command's flags, 'shepherd --version' for the version.\n"+
		"Exit codes: 0 success, 1 the check ran and found problems, 2 it could not run (bad input, bad flags, network).")
}

func runVersion(_ context.Context, env *environment, args []string) error {
	fs := newFlags(env, "version", "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected arguments %q", fs.Args())
	}
	fmt.Fprintf(env.stdout, "shepherd %s (commit %s, %s)\n", buildinfo.Version(), buildinfo.Commit(), runtime.Version())
	return nil
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(env *environment, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(&flagOutput{stdout: env.stdout, stderr: env.stderr})
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: shepherd %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// flagOutput holds what the flag package prints while it parses, until parseFlags knows
// where it belongs: asked-for help on standard output, a usage error on standard error.
// After parsing it writes to standard error directly.
type flagOutput struct {
	stdout, stderr io.Writer
	held           bytes.Buffer
	parsed         bool
}

func (o *flagOutput) Write(p []byte) (int, error) {
	if o.parsed {
		return o.stderr.Write(p)
	}
	return o.held.Write(p)
}

// parseFlags parses and turns flag errors into exit code 2.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if o, ok := fs.Output().(*flagOutput); ok {
		o.parsed = true
		to := o.stderr
		if errors.Is(err, flag.ErrHelp) {
			to = o.stdout
		}
		if _, werr := o.held.WriteTo(to); werr != nil && err == nil {
			return werr
		}
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError("%v", err)
	}
	return nil
}

// oneOf validates a flag value against a fixed set.
func oneOf(flagName, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return usageError("--%s %q: expected one of %s", flagName, value, strings.Join(allowed, ", "))
}
