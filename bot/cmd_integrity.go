package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/shepherd-release/shepherd/internal/bundle"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/sshsig"
)

// parseWithArguments parses flags given before, between or after the positional
// arguments (flag stops at the first argument that is not a flag) and returns the
// arguments.
func parseWithArguments(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runVerify(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "verify", "verify PATH|URL [--allowed-signers FILE] [--trust-bundled-signers] [--allow-unsigned] [--json]")
	allowedFile := fs.String("allowed-signers", "", "the allowed_signers file you trust (from the dictionary's repository or documentation)")
	trustBundled := fs.Bool("trust-bundled-signers", false, "trust the allowed_signers inside the release itself: proves only that its files agree with each other")
	allowUnsigned := fs.Bool("allow-unsigned", false, "accept a release without SHA256SUMS.sig")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	rest, err := parseWithArguments(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError("give one bundle (.tar.gz), unpacked folder or https URL of a bundle")
	}
	o := bundle.VerifyOptions{TrustBundledSigners: *trustBundled, AllowUnsigned: *allowUnsigned}
	if *allowedFile != "" {
		data, err := os.ReadFile(*allowedFile)
		if err != nil {
			return usageError("--allowed-signers: %v", err)
		}
		if o.AllowedSigners, err = sshsig.ParseAllowedSigners(*allowedFile, data); err != nil {
			return usageError("--allowed-signers: %v", err)
		}
	}
	report, err := bundle.Verify(ctx, rest[0], o)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return usageError("%v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		printVerifyReport(env, report)
	}
	switch {
	case len(report.Problems) > 0:
		return findings("%s: %d problems; do not load these files", rest[0], len(report.Problems))
	case report.Withdrawn != "":
		return findings("%s is withdrawn: %s", rest[0], report.Withdrawn)
	}
	return nil
}

func printVerifyReport(env *environment, r *bundle.Report) {
	name := r.Target
	if r.Version != "" {
		name = r.Source + " " + r.Version
	}
	fmt.Fprintf(env.stdout, "%s\n", name)
	fmt.Fprintf(env.stdout, "  %d files match SHA256SUMS\n", r.Files)
	if r.Signer != "" {
		fmt.Fprintf(env.stdout, "  SHA256SUMS signed by %s\n", r.Signer)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(env.stdout, "  note: %s\n", n)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(env.stdout, "  PROBLEM %s\n", p)
	}
	if r.Withdrawn != "" {
		fmt.Fprintf(env.stdout, "  WITHDRAWN %s\n", r.Withdrawn)
	}
	if r.OK() {
		fmt.Fprintln(env.stdout, "  good")
	}
}

func runWithdraw(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "withdraw", `withdraw VERSION "why" [--dry-run]`)
	f := addStepFlags(fs, env)
	rest, err := parseWithArguments(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return usageError(`give the version and the reason: shepherd withdraw v2026-11-22 "wrong units on CD4 count"`)
	}
	version, reason := rest[0], rest[1]
	if _, err := manifest.ParseVersion(version); err != nil {
		return usageError("%q: %v", version, err)
	}
	e, err := f.connect(ctx, env)
	if err != nil {
		return err
	}
	rec, err := e.Withdraw(ctx, version, reason)
	if err != nil {
		return err
	}
	verb := "withdrawn"
	if f.dryRun {
		verb = "would be withdrawn (dry run)"
	}
	fmt.Fprintf(env.stdout, "release %s %s: %s\n", rec.Release.Version, verb, rec.Withdrawn.Reason)
	return nil
}
