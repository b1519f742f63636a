// Package sandbox runs Shepherd's production steps against built-in fakes: a fake GitHub,
// a fake OCL serving a generated dictionary, and the local-folder store, on a clock that
// only moves when told. The demo and the end-to-end tests use it; only the clients' base
// URLs, the clock and the store differ from a real run.
package sandbox

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/github/githubtest"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/store"
)

// The sandbox's repository and the credentials its fakes accept.
const (
	Owner       = "CIEL"
	Repo        = "ciel-releases"
	GitHubToken = "sandbox-github-token"
	OCLToken    = "sandbox-ocl-token"
)

// Clock is a settable clock; sleeps advance it instead of waiting.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now is the sandbox's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleep advances the clock by d: retries and rate-limit waits take no real time.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// Options shape a sandbox.
type Options struct {
	// Dir holds the store and the scratch folder.
	Dir string
	// Head is the dictionary OCL serves as HEAD (dataset.Small by default).
	Head dataset.Spec
	// Plan is how OCL's export evolves after the version is created.
	Plan ocltest.ExportPlan
	// Config is the repository configuration (defaults when nil); the sandbox points its
	// OCL base URL and storage at the fakes.
	Config *manifest.Config
	Start  time.Time
	Logger *slog.Logger
	// DryRun makes every step read only.
	DryRun bool
	// Env adds environment variables the steps read (storage keys, the load-test DSN).
	Env map[string]string
	// WrapGitHub and WrapStore let tests put faults between Shepherd and the fakes.
	WrapGitHub func(http.RoundTripper) http.RoundTripper
	WrapStore  func(store.Store) store.Store
}

// Sandbox is a running set of fakes and the Env wired to them.
type Sandbox struct {
	Clock  *Clock
	GitHub *githubtest.Server
	OCL    *ocltest.Server
	Head   *dataset.Dataset
	Config *manifest.Config
	Env    *steps.Env
	Dir    string
	opts   Options
}

// New starts the fakes and connects a steps.Env to them.
func New(ctx context.Context, o Options) (*Sandbox, error) {
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	}
	if o.Head.Concepts == 0 {
		o.Head = dataset.Small
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	head, err := dataset.New(o.Head)
	if err != nil {
		return nil, err
	}
	cfg := o.Config
	if cfg == nil {
		cfg = manifest.DefaultConfig()
	}
	s := &Sandbox{Clock: &Clock{now: o.Start}, Head: head, Dir: o.Dir, opts: o}
	s.GitHub = githubtest.NewServer(githubtest.WithToken(GitHubToken, "shepherd-bot"), githubtest.WithClock(s.Clock.Now),
		githubtest.WithSecondaryRetryAfter(30*time.Second))
	s.GitHub.AddRepo(Owner, Repo, "main")
	s.GitHub.SetFile(Owner, Repo, "main", "README.md", "# CIEL releases\n")
	s.OCL = ocltest.NewServer(ocltest.WithExportPlan(o.Plan), ocltest.WithClock(s.Clock.Now))
	s.OCL.RequireToken(OCLToken)
	s.OCL.AddSource(cfg.OCL.Org, cfg.OCL.Source, head, head.Version("HEAD").SupportedLocales)

	cfg.OCL.BaseURL = s.OCL.URL()
	cfg.GitHub.BaseURL = s.GitHub.URL()
	if cfg.Storage.Bucket == "" {
		cfg.Storage.Type = manifest.StorageLocal
		cfg.Storage.LocalDir = filepath.Join(o.Dir, "store")
	}
	s.Config = cfg
	if err := s.connect(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// connect builds a fresh Env, as a new workflow run would.
func (s *Sandbox) connect(ctx context.Context) error {
	env, err := s.newEnv(ctx, s.opts.WrapStore, "work")
	if err != nil {
		return err
	}
	s.Env = env
	return nil
}

// NewRun builds another Env beside s.Env, as a second workflow run running at the same
// time would be: same fakes, same store, its own scratch folder (work-NAME). wrapStore,
// when set, puts a test's hooks between that run and the store.
func (s *Sandbox) NewRun(ctx context.Context, name string, wrapStore func(store.Store) store.Store) (*steps.Env, error) {
	return s.newEnv(ctx, wrapStore, "work-"+name)
}

func (s *Sandbox) newEnv(ctx context.Context, wrapStore func(store.Store) store.Store, work string) (*steps.Env, error) {
	var transport http.RoundTripper = http.DefaultTransport
	if s.opts.WrapGitHub != nil {
		transport = s.opts.WrapGitHub(transport)
	}
	env, err := steps.NewEnv(ctx, steps.EnvOptions{
		Config: s.Config, Owner: Owner, Repo: Repo, WorkDir: filepath.Join(s.Dir, work), RepoDir: filepath.Join(s.Dir, "repo"), DryRun: s.opts.DryRun,
		Logger: s.opts.Logger, Now: s.Clock.Now, Sleep: s.Clock.Sleep,
		Getenv: func(k string) string {
			if v, ok := s.opts.Env[k]; ok {
				return v
			}
			return map[string]string{"GITHUB_TOKEN": GitHubToken, s.Config.OCL.TokenEnv: OCLToken}[k]
		},
		GitHubOptions: github.Options{Sleep: s.Clock.Sleep, Now: s.Clock.Now, Transport: transport},
		OCLOptions:    []ocl.Option{ocl.WithSleep(s.Clock.Sleep)},
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if wrapStore != nil {
		env.Store = wrapStore(env.Store)
	}
	return env, nil
}

// Restart replaces the Env, like a new process after a crash: nothing in memory survives,
// not even the scratch folder.
func (s *Sandbox) Restart(ctx context.Context) error {
	if err := os.RemoveAll(filepath.Join(s.Dir, "work")); err != nil {
		return err
	}
	return s.connect(ctx)
}

// SetFaults replaces the fault wrappers for the next Restart.
func (s *Sandbox) SetFaults(gh func(http.RoundTripper) http.RoundTripper, st func(store.Store) store.Store) {
	s.opts.WrapGitHub, s.opts.WrapStore = gh, st
}

// Close stops the fakes.
func (s *Sandbox) Close() {
	if s.GitHub != nil {
		s.GitHub.Close()
	}
	if s.OCL != nil {
		s.OCL.Close()
	}
}
