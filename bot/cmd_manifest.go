package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/words"
)

// defaultConfigPath is where a repository keeps Shepherd's configuration.
const defaultConfigPath = ".github/shepherd.yaml"

func runValidate(_ context.Context, env *environment, args []string) error {
	fs := newFlags(env, "validate", "validate [--config FILE] [FILE ...]\n\n"+
		"Checks release manifests and the configuration, each against its own schema; a file is told\n"+
		"apart by its path (.github/shepherd.yaml, releases/) or else by its fields. Without FILEs it\n"+
		"checks the repository in the current folder: the configuration and every file in releases/.")
	configPath := fs.String("config", defaultConfigPath, "the configuration manifests are checked against (defaults apply when this default path is missing)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	configNamed := false
	fs.Visit(func(f *flag.Flag) { configNamed = configNamed || f.Name == "config" })
	v := &validation{env: env, knownRules: qa.RuleIDs()}
	files := fs.Args()
	repository := len(files) == 0
	if repository {
		var err error
		if files, err = repositoryFiles(); err != nil {
			return err
		}
		if len(files) == 0 {
			fmt.Fprintf(env.stdout, "%s/: no release manifests\n", manifest.ReleasesDir)
		}
	}
	var manifests []string
	var configs []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			v.fail(fmt.Errorf("%s: cannot be read: %w", f, unwrapPathError(err)))
			continue
		}
		kind, why := manifest.KindOf(f, data)
		switch kind {
		case manifest.KindConfig:
			configs = append(configs, f)
		case manifest.KindManifest:
			manifests = append(manifests, f)
		default:
			v.fail(errors.New(why))
		}
	}
	switch {
	case len(configs) > 1:
		return usageError("more than one configuration given (%s): a repository has one, %s", strings.Join(configs, ", "), defaultConfigPath)
	case len(configs) == 1 && configNamed && configs[0] != *configPath:
		return usageError("--config %s and the configuration %s among the files: give one", *configPath, configs[0])
	case len(configs) == 1:
		*configPath, configNamed = configs[0], true
	}
	// Named files alone are checked: the configuration only when named, or when there are
	// manifests to check against it.
	var cfg *manifest.Config
	if repository || configNamed || len(manifests) > 0 {
		cfg = v.config(*configPath, configNamed)
	}
	for _, f := range manifests {
		v.manifest(f, cfg)
	}
	if v.bad > 0 {
		verb := "are"
		if v.bad == 1 {
			verb = "is"
		}
		return usageError("%d of %s %s invalid", v.bad, words.Count(v.checked, "file", "files"), verb)
	}
	return nil
}

// validation checks files one by one, printing each one's verdict or problems.
type validation struct {
	env        *environment
	knownRules []string
	checked    int
	bad        int
}

func (v *validation) fail(err error) {
	v.checked++
	v.bad++
	fmt.Fprintln(v.env.stdout, err)
}

func (v *validation) pass(format string, args ...any) {
	v.checked++
	fmt.Fprintf(v.env.stdout, format+"\n", args...)
}

// config reads and checks the configuration. A missing file is the defaults when it is
// the default path nobody named, and an error when someone named it. An invalid one
// returns nil: manifests are then checked without it.
func (v *validation) config(path string, named bool) *manifest.Config {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && !named {
		fmt.Fprintf(v.env.stdout, "%s: not present, the defaults apply (docs/configuration.md)\n", path)
		return manifest.DefaultConfig()
	} else if err != nil {
		v.fail(fmt.Errorf("%s: cannot be read: %w", path, unwrapPathError(err)))
		return nil
	}
	cfg, err := manifest.LoadConfig(path)
	if err == nil {
		err = cfg.CheckRuleIDs(v.knownRules)
	}
	if err != nil {
		v.fail(err)
		return nil
	}
	v.pass("%s: valid (configuration)", path)
	return cfg
}

// manifest checks one release manifest against cfg (nil: without the configuration).
func (v *validation) manifest(path string, cfg *manifest.Config) {
	m, err := manifest.LoadManifest(path)
	if err == nil {
		err = errors.Join(m.Validate(cfg), m.CheckRuleIDs(v.knownRules), m.PickedUp())
	}
	if err != nil {
		v.fail(err)
		return
	}
	v.pass("%s: valid (release manifest, version %s)", path, m.Version)
}

// repositoryFiles are what a repository gives Shepherd: every YAML file in releases/,
// whatever its name (a manifest the workflows would ignore is reported, not skipped),
// and the configuration, which validate handles on its own.
func repositoryFiles() ([]string, error) {
	entries, err := os.ReadDir(manifest.ReleasesDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, filepath.Join(manifest.ReleasesDir, e.Name()))
		}
	}
	sort.Strings(files)
	return files, nil
}

// unwrapPathError keeps the reason of an *fs.PathError, whose text repeats the path.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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
