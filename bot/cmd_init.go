package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/shepherd-release/shepherd/internal/buildinfo"
	"github.com/shepherd-release/shepherd/internal/scaffold"
)

// runInit writes a new release repository: the configuration, the caller workflows
// pinned to this shepherd's version, releases/README.md and a suggested CODEOWNERS.
func runInit(_ context.Context, env *environment, args []string) error {
	fs := newFlags(env, "init", "init [--org ORG] [--source SOURCE] [--app] [--fork] [--force] [DIR]")
	org := fs.String("org", "CIEL", "the OCL org that owns the source")
	source := fs.String("source", "CIEL", "the OCL source the repository releases")
	app := fs.Bool("app", false, "configure a GitHub App (secrets SHEPHERD_APP_ID, SHEPHERD_APP_PRIVATE_KEY) instead of the workflow token")
	force := fs.Bool("force", false, "overwrite files that exist already")
	fork := fs.Bool("fork", false, "DIR is a fork of Shepherd's repository: call its own reusable workflows")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError("give at most one folder (got %d)", fs.NArg())
	}
	dir := "."
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	version := buildinfo.Version()
	files, err := scaffold.Files(scaffold.Options{Org: *org, Source: *source, App: *app, Version: version, Fork: *fork})
	if err != nil {
		return usageError("%v", err)
	}
	if err := scaffold.Write(dir, files, *force); err != nil {
		var exists *scaffold.ExistsError
		if errors.As(err, &exists) {
			return usageError("in %s, %v", dir, err)
		}
		return err
	}
	for _, f := range files {
		fmt.Fprintf(env.stdout, "wrote %s\n", filepath.Join(dir, filepath.FromSlash(f.Path)))
	}
	ref := scaffold.Ref(version)
	switch {
	case *fork:
		fmt.Fprintln(env.stdout, "\nThe workflows call this fork's own reusable workflows in .github/workflows/.")
	default:
		fmt.Fprintf(env.stdout, "\nThe workflows use Shepherd %s (%s/.github/workflows/*.yml@%s).\n", ref, scaffold.Repository, ref)
	}
	if ref == scaffold.DevRef && !*fork {
		fmt.Fprintf(env.stdout, "This shepherd is a development build (%s): at %s the actions build Shepherd from source on every run.\nPin a release tag (like v1.2.3) in .github/workflows/shepherd-*.yml instead.\n", version, scaffold.DevRef)
	}
	fmt.Fprintf(env.stdout, `
Next (docs/setup.md has every step):
  1. OCL: .github/shepherd.yaml points at OCL's staging server (%s);
     add the repository secret OCL_TOKEN with a token of that server.
  2. Storage: name a bucket in .github/shepherd.yaml and add the secrets
     SHEPHERD_S3_ACCESS_KEY and SHEPHERD_S3_SECRET_KEY (docs/storage.md).
`, scaffold.OCLStaging)
	if *app {
		fmt.Fprintln(env.stdout, "  3. GitHub App: add the secrets SHEPHERD_APP_ID and SHEPHERD_APP_PRIVATE_KEY.")
	} else {
		fmt.Fprintln(env.stdout, "  3. GitHub: the workflows write with their GITHUB_TOKEN; allow Actions to create pull requests.")
	}
	fmt.Fprintln(env.stdout, "  4. Review .github/CODEOWNERS.suggested, rename it to .github/CODEOWNERS, and run shepherd validate.")
	return nil
}
