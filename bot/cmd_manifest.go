package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/manifest"
)

// defaultConfigPath is where a repository keeps Shepherd's configuration.
const defaultConfigPath = ".github/shepherd.yaml"

func runValidate(_ context.Context, env *environment, args []string) error {
	fs := newFlags(env, "validate", "validate [--config FILE] [MANIFEST ...]")
	configPath := fs.String("config", defaultConfigPath, "repository configuration (defaults apply when the file is missing)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	files := fs.Args()
	cfg, err := manifest.LoadConfig(*configPath)
	if err != nil {
		fmt.Fprintln(env.stdout, err)
		return usageError("the configuration %s is invalid", *configPath)
	}
	if len(files) == 0 {
		files, err = filepath.Glob(filepath.Join(manifest.ReleasesDir, "*.yaml"))
		if err != nil {
			return err
		}
		sort.Strings(files)
		if len(files) == 0 {
			fmt.Fprintf(env.stdout, "%s: valid (no manifests in %s/)\n", *configPath, manifest.ReleasesDir)
			return nil
		}
	}
	bad := 0
	for _, f := range files {
		m, err := manifest.LoadManifest(f)
		if err == nil {
			err = m.Validate(cfg)
		}
		if err != nil {
			bad++
			fmt.Fprintln(env.stdout, err)
			continue
		}
		fmt.Fprintf(env.stdout, "%s: valid (version %s)\n", f, m.Version)
	}
	if bad > 0 {
		return usageError("%d of %d manifests are invalid", bad, len(files))
	}
	return nil
}

func runNew(_ context.Context, env *environment, args []string) error {
	fs := newFlags(env, "new", "new [--version vYYYY-MM-DD] [--dir releases] [--config FILE] [--force]")
	version := fs.String("version", manifest.VersionForDate(time.Now()), "version to release (default: v + today's UTC date)")
	dir := fs.String("dir", manifest.ReleasesDir, "folder of release manifests")
	configPath := fs.String("config", defaultConfigPath, "repository configuration")
	force := fs.Bool("force", false, "overwrite an existing manifest")
	dryRun := fs.Bool("dry-run", false, "print the manifest instead of writing it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected arguments %q", fs.Args())
	}
	if _, err := manifest.ParseVersion(*version); err != nil {
		return usageError("--version %q: %v", *version, err)
	}
	cfg, err := manifest.LoadConfig(*configPath)
	if err != nil {
		return err
	}
	data, err := manifest.Marshal(manifest.DefaultManifest(*version, cfg))
	if err != nil {
		return err
	}
	path := filepath.Join(*dir, *version+".yaml")
	// What we write must read back as a valid manifest.
	if m, err := manifest.ParseManifest(path, data); err != nil {
		return fmt.Errorf("internal error: the new manifest does not validate: %w", err)
	} else if err := m.Validate(cfg); err != nil {
		return fmt.Errorf("internal error: the new manifest does not validate: %w", err)
	}
	if *dryRun {
		_, err := env.stdout.Write(data)
		return err
	}
	if _, err := os.Stat(path); err == nil && !*force {
		return usageError("%s already exists (use --force to overwrite)", path)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := atomicfile.WriteBytes(path, 0o644, data); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s\nNext: commit it on a branch and open a pull request; Shepherd previews QA on it.\n", path)
	return nil
}
