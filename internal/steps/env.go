package steps

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/store"
)

// Env is what every step runs with: the configuration, the three outside services behind
// their clients, a clock and a scratch folder. The demo and the tests build it with the
// same code as production; only base URLs, the clock and the store differ.
type Env struct {
	Config *manifest.Config
	GitHub *github.Client
	OCL    *ocl.Client
	Store  store.Store
	Now    func() time.Time
	Log    *slog.Logger
	// WorkDir holds downloads and artifacts while a step runs.
	WorkDir string
	// DryRun reads everything and changes nothing: every write is logged instead.
	DryRun bool
	// LoadTestDSN reaches the MariaDB/MySQL server for load tests ("" skips them with a
	// note on the status).
	LoadTestDSN string
	// LoadTestLiquibase, when set, is the Liquibase launcher the load tests apply the SQL
	// through (SHEPHERD_LIQUIBASE); otherwise it runs over the database driver.
	LoadTestLiquibase string
	// OnActions is true on a GitHub Actions runner (GITHUB_ACTIONS=true), whose disk is
	// gone when the job ends.
	OnActions bool
	// RepoDir is the checked-out release repository, where the maintenance switch is read.
	RepoDir string
	// RunURL is the attempt of the workflow run this process is (empty outside Actions):
	// a lease names it, and so does each transition and channel move the run makes.
	RunURL string
	// started is when this process began: transitions from then on are its own.
	started time.Time
	// sleep waits, for a lease another run holds (the sandbox's clock only advances).
	sleep func(context.Context, time.Duration) error
	// leases are the releases' leases this run holds, by version.
	leaseMu sync.Mutex
	leases  map[string]*Lease
	// getenv reads the secrets a step needs only when it runs (the signing key).
	getenv func(string) string
}

// EnvOptions say where to find the configuration and the credentials.
type EnvOptions struct {
	Config      *manifest.Config
	Owner, Repo string
	Getenv      func(string) string
	WorkDir     string
	// RepoDir is the checked-out release repository (default: GITHUB_WORKSPACE, else the
	// current folder).
	RepoDir string
	DryRun  bool
	Logger  *slog.Logger
	Now     func() time.Time
	// Sleep waits (default: time passing); the sandbox advances its clock instead.
	Sleep func(context.Context, time.Duration) error
	// HTTP settings for tests and the demo.
	GitHubOptions github.Options
	OCLOptions    []ocl.Option
	StoreOptions  []store.Option
}

// NewEnv connects to GitHub, OCL and the store as the configuration says, with the
// credentials from the environment variables it names.
func NewEnv(ctx context.Context, o EnvOptions) (*Env, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepFor
	}
	cfg := o.Config
	if cfg == nil {
		cfg = manifest.DefaultConfig()
	}
	if o.WorkDir == "" {
		dir, err := os.MkdirTemp("", "shepherd-")
		if err != nil {
			return nil, err
		}
		o.WorkDir = dir
	}
	if o.RepoDir == "" {
		o.RepoDir = o.Getenv("GITHUB_WORKSPACE")
	}
	if o.RepoDir == "" {
		o.RepoDir = "."
	}
	e := &Env{Config: cfg, RepoDir: o.RepoDir, RunURL: RunURL(o.Getenv), started: o.Now(), Now: o.Now, Log: o.Logger, WorkDir: o.WorkDir, DryRun: o.DryRun,
		LoadTestDSN: o.Getenv("SHEPHERD_LOAD_TEST_DSN"), LoadTestLiquibase: o.Getenv("SHEPHERD_LIQUIBASE"),
		OnActions: o.Getenv("GITHUB_ACTIONS") == "true", getenv: o.Getenv, sleep: o.Sleep}

	oclOpts := append(append([]ocl.Option{ocl.WithLogger(o.Logger), ocl.WithClock(o.Now)}, OCLOptions(cfg)...), o.OCLOptions...)
	var err error
	if e.OCL, err = ocl.NewClient(cfg.OCL.BaseURL, o.Getenv(cfg.OCL.TokenEnv), oclOpts...); err != nil {
		return nil, fmt.Errorf("OCL client: %w", err)
	}

	ghOpts := o.GitHubOptions
	if ghOpts.BaseURL == "" {
		ghOpts.BaseURL = cfg.GitHub.BaseURL
	}
	if ghOpts.Logger == nil {
		ghOpts.Logger = o.Logger
	}
	if ghOpts.Auth.Token == "" && ghOpts.Auth.AppID == 0 {
		if ghOpts.Auth, err = GitHubAuth(cfg, o.Getenv); err != nil {
			return nil, err
		}
	}
	if e.GitHub, err = github.New(ctx, o.Owner, o.Repo, ghOpts); err != nil {
		return nil, err
	}

	storeOpts := append([]store.Option{store.WithGetenv(o.Getenv), store.WithClock(o.Now)}, o.StoreOptions...)
	if e.Store, err = store.New(StoreConfig(cfg), storeOpts...); err != nil {
		// Steps that store nothing (a fork's PR preview, which gets no secrets) must still
		// run: the error waits for the first use of the store.
		e.Store = unavailableStore{err: &storageSetupError{fmt.Errorf("storage: %w", err)}}
	}
	return e, nil
}

// sleepFor waits d, or less when ctx ends.
func sleepFor(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// StoreConfig is the store the configuration describes.
func StoreConfig(cfg *manifest.Config) store.Config {
	sc := cfg.Storage
	return store.Config{
		Endpoint: sc.Endpoint, Region: sc.Region, Bucket: sc.Bucket, Prefix: sc.Prefix, PathStyle: sc.PathStyle,
		DisableTLS: sc.Insecure, AccessKeyEnv: sc.AccessKeyEnv, SecretKeyEnv: sc.SecretKeyEnv, PartSize: sc.PartSize,
		Public: sc.LinkMode == manifest.LinkPublic, PublicBaseURL: sc.PublicBaseURL, Dir: sc.LocalDir,
	}
}

// unavailableStore stands in for a store that could not be set up.
type unavailableStore struct{ err error }

func (u unavailableStore) Put(context.Context, string, io.Reader, int64, string, string) (store.PutResult, error) {
	return store.PutResult{}, u.err
}
func (u unavailableStore) Get(context.Context, string) (io.ReadCloser, error) {
	return nil, u.err
}
func (u unavailableStore) Stat(context.Context, string) (store.ObjectInfo, error) {
	return store.ObjectInfo{}, u.err
}
func (u unavailableStore) List(context.Context, string) ([]store.ObjectInfo, error) {
	return nil, u.err
}
func (u unavailableStore) Delete(context.Context, string) error              { return u.err }
func (u unavailableStore) DeletePrefix(context.Context, string) (int, error) { return 0, u.err }
func (u unavailableStore) Link(context.Context, string, time.Duration) (string, time.Time, error) {
	return "", time.Time{}, u.err
}
func (u unavailableStore) EnsureRetention(context.Context, string, int) (store.Rule, error) {
	return store.Rule{}, u.err
}
func (u unavailableStore) EnsurePublicRead(context.Context, string) error { return u.err }
func (u unavailableStore) ReadSmall(context.Context, string) ([]byte, string, error) {
	return nil, "", u.err
}
func (u unavailableStore) Create(context.Context, string, []byte) (string, error) { return "", u.err }
func (u unavailableStore) Replace(context.Context, string, []byte, string) (string, error) {
	return "", u.err
}
func (u unavailableStore) DeleteIf(context.Context, string, string) error { return u.err }

// GitHubAuth reads the GitHub credentials from the environment variables the configuration
// names. It prefers a GitHub App (its pushes and PRs trigger workflows) and falls back to
// the workflow's token.
func GitHubAuth(cfg *manifest.Config, getenv func(string) string) (github.Auth, error) {
	if idText := strings.TrimSpace(getenv(cfg.GitHub.AppIDEnv)); idText != "" {
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			return github.Auth{}, fmt.Errorf("%s is not a GitHub App id (a number)", cfg.GitHub.AppIDEnv)
		}
		key := getenv(cfg.GitHub.AppKeyEnv)
		if path := getenv(cfg.GitHub.AppKeyEnv + "_FILE"); key == "" && path != "" {
			data, err := os.ReadFile(path)
			if err != nil {
				return github.Auth{}, fmt.Errorf("read the GitHub App key from %s_FILE: %w", cfg.GitHub.AppKeyEnv, err)
			}
			key = string(data)
		}
		if key == "" {
			return github.Auth{}, fmt.Errorf("%s is set but %s (or %s_FILE) holds no private key", cfg.GitHub.AppIDEnv, cfg.GitHub.AppKeyEnv, cfg.GitHub.AppKeyEnv)
		}
		inst, _ := strconv.ParseInt(getenv("SHEPHERD_APP_INSTALLATION_ID"), 10, 64)
		return github.Auth{AppID: id, AppPrivateKey: []byte(key), InstallationID: inst}, nil
	}
	if tok := getenv("GITHUB_TOKEN"); tok != "" {
		return github.Auth{Token: tok}, nil
	}
	return github.Auth{}, fmt.Errorf("no GitHub credentials: set GITHUB_TOKEN, or %s and %s for a GitHub App", cfg.GitHub.AppIDEnv, cfg.GitHub.AppKeyEnv)
}

// act runs a side effect, or only says what it would do in a dry run.
func (e *Env) act(what string, fn func() error) error {
	if e.DryRun {
		e.Log.Info("dry run: would "+what, "dry_run", true)
		return nil
	}
	return fn()
}
