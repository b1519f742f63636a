package main

import (
	"context"
	"strings"

	"github.com/shepherd-release/shepherd/actions"
)

// runAction runs one of Shepherd's GitHub Actions. Each action.yml under actions/ runs
// `shepherd action <name>` with its inputs in INPUT_* variables, as the runner passes
// them to an action; outputs, the step summary and annotations go where the runner's
// GITHUB_* variables say.
func runAction(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "action", "action <"+strings.Join(actions.Names(), "|")+">")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError("name one action: %s", strings.Join(actions.Names(), ", "))
	}
	name := fs.Arg(0)
	if !actions.Known(name) {
		return usageError("no action %q (the actions are %s)", name, strings.Join(actions.Names(), ", "))
	}
	if err := actions.Run(ctx, name, env.stdout, env.getenv); err != nil {
		// The action has said why as an error annotation; the run failed (exit 1).
		return findings("%v", err)
	}
	return nil
}
