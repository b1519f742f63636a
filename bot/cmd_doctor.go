package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/shepherd-release/shepherd/internal/doctor"
	"github.com/shepherd-release/shepherd/internal/manifest"
)

func runDoctor(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "doctor", "doctor [--config .github/shepherd.yaml] [--repo OWNER/REPO] [--format text|json]")
	configPath := flags.String("config", defaultConfigPath, "repository configuration (defaults apply when the file is missing)")
	repoFlag := flags.String("repo", env.getenv("GITHUB_REPOSITORY"), "OWNER/NAME of the release repository (default $GITHUB_REPOSITORY)")
	format := flags.String("format", "text", "output: text or json")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return usageError("unexpected argument %q", flags.Arg(0))
	}
	if err := oneOf("format", *format, "text", "json"); err != nil {
		return err
	}
	owner, repo, ok := strings.Cut(*repoFlag, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return usageError("--repo %q: expected OWNER/NAME (or set GITHUB_REPOSITORY)", *repoFlag)
	}
	cfg, err := manifest.LoadConfig(*configPath)
	if err != nil {
		return usageError("%v", err)
	}
	if _, err := os.Stat(*configPath); errors.Is(err, fs.ErrNotExist) {
		cfg.File = *configPath + " is missing: defaults apply"
	}
	report := doctor.Run(ctx, doctor.Options{Config: cfg, Owner: owner, Repo: repo, Getenv: env.getenv})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	write := doctor.WriteText
	if *format == "json" {
		write = doctor.WriteJSON
	}
	if err := write(env.stdout, report); err != nil {
		return err
	}
	if n := report.Failed(); n > 0 {
		return findings("%d of %d checks failed; each says how to fix it", n, len(report.Checks))
	}
	return nil
}
