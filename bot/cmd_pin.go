package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/shepherd-release/shepherd/internal/scaffold"
)

// runPin points the release repository's caller workflows at another Shepherd release:
// the update of Shepherd itself, reviewed as a pull request like any other change.
func runPin(_ context.Context, env *environment, args []string) error {
	fs := newFlags(env, "pin", "pin VERSION [--repo-dir DIR]")
	dir := fs.String("repo-dir", ".", "the checked-out release repository")
	// The version comes first; the flags may follow it.
	version := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		version, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if version == "" && fs.NArg() == 1 {
		version = fs.Arg(0)
	} else if fs.NArg() > 0 || version == "" {
		return usageError("name one Shepherd release to pin, like: shepherd pin v1.4.0")
	}
	changed, err := scaffold.RepinWorkflows(*dir, version)
	if err != nil {
		return err
	}
	if len(changed) == 0 {
		fmt.Fprintf(env.stdout, "the Shepherd workflows already use %s\n", version)
		return nil
	}
	for _, p := range changed {
		rel, err := filepath.Rel(*dir, p)
		if err != nil {
			rel = p
		}
		fmt.Fprintf(env.stdout, "%s: now uses Shepherd %s\n", filepath.ToSlash(rel), version)
	}
	return nil
}
