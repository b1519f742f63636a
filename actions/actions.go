// Package actions maps the name of each of Shepherd's GitHub Actions to its body, so
// that one `shepherd` binary runs them all: `shepherd action poll-export` is what the
// poll-export action's action.yml runs.
package actions

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/shepherd-release/shepherd/actions/backport"
	"github.com/shepherd-release/shepherd/actions/command"
	createversion "github.com/shepherd-release/shepherd/actions/create-version"
	"github.com/shepherd-release/shepherd/actions/freeze"
	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
	"github.com/shepherd-release/shepherd/actions/janitor"
	pollexport "github.com/shepherd-release/shepherd/actions/poll-export"
	preview "github.com/shepherd-release/shepherd/actions/qa"
	"github.com/shepherd-release/shepherd/actions/site"
	startrelease "github.com/shepherd-release/shepherd/actions/start-release"
	"github.com/shepherd-release/shepherd/internal/buildinfo"
)

// bodies are the actions by the name of their folder under actions/.
var bodies = map[string]func(context.Context, *actionenv.Run) error{
	"backport":       backport.Run,
	"command":        command.Run,
	"create-version": createversion.Run,
	"freeze":         freeze.Run,
	"janitor":        janitor.Run,
	"poll-export":    pollexport.Run,
	"qa":             preview.Run,
	"site":           site.Run,
	"start-release":  startrelease.Run,
}

// Names lists the actions, sorted.
func Names() []string {
	names := make([]string, 0, len(bodies))
	for name := range bodies {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Known reports whether name is one of the actions.
func Known(name string) bool { _, ok := bodies[name]; return ok }

// Run runs the action name as the runner would: inputs from INPUT_* variables, the
// workflow's context from GITHUB_*, workflow commands written to stdout.
func Run(ctx context.Context, name string, stdout io.Writer, getenv func(string) string) error {
	body, ok := bodies[name]
	if !ok {
		return fmt.Errorf("no action %q (the actions are %v)", name, Names())
	}
	// Which binary ran is the first line of every action's log.
	fmt.Fprintf(stdout, "shepherd %s, action %s\n", buildinfo.String(), name)
	return actionenv.Execute(ctx, actionenv.Options{Getenv: getenv, Stdout: stdout}, body)
}
