// Command shepherd is the operator's and maintainer's entry point to every step of a
// dictionary release: validate a manifest, write a new one, run QA, build exports, and
// run the whole flow on built-in defaults with `shepherd demo`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"
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
		{"status", "show a release's status", runStatus},
		{"maintenance", "switch maintenance on or off: scheduled runs stop while it is on", runMaintenance},
		{"action", "run one of Shepherd's GitHub Actions (what each action.yml runs)", runAction},
		{"doctor", "check the repository's set-up: secrets, permissions, settings, OCL, bucket, database", runDoctor},
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
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr, cmds)
		if len(args) == 0 {
			return exitCannot
		}
		return exitOK
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
	fmt.Fprintln(w, "\nRun 'shepherd <command> -h' for a command's flags.")
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(env *environment, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "usage: shepherd %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses and turns flag errors into exit code 2.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
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
