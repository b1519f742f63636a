package actionenv

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	githubactions "github.com/sethvargo/go-githubactions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fakeEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func baseVars(t *testing.T) map[string]string {
	return map[string]string{"GITHUB_REPOSITORY": "openmrs/ciel-releases", "GITHUB_WORKSPACE": t.TempDir()}
}

func TestStartMasksEverySecret(t *testing.T) {
	vars := baseVars(t)
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	require.NoError(t, os.WriteFile(keyFile, []byte("-----BEGIN KEY-----\nfilekeyline1234\n-----END KEY-----\n"), 0o600))
	vars["OCL_TOKEN"] = "ocl-token-1"
	vars["SHEPHERD_S3_ACCESS_KEY"] = "access-1"
	vars["SHEPHERD_S3_SECRET_KEY"] = "secret-1"
	vars["SHEPHERD_APP_PRIVATE_KEY"] = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----\n"
	vars["SHEPHERD_APP_PRIVATE_KEY_FILE"] = keyFile
	vars["SHEPHERD_LOAD_TEST_DSN"] = "root:pw@tcp(db:3306)/"
	vars["GITHUB_TOKEN"] = "ghs_x"
	var out bytes.Buffer

	_, err := Start(Options{Getenv: fakeEnv(vars), Stdout: &out})
	require.NoError(t, err)

	log := out.String()
	for _, secret := range []string{"ocl-token-1", "access-1", "secret-1", "MIIEowIBAAKCAQEA", "filekeyline1234", "root:pw@tcp(db:3306)/", "ghs_x"} {
		assert.Contains(t, log, "::add-mask::"+secret+"\n", secret)
	}
	assert.NotContains(t, log, "::add-mask::abc\n", "a short line of a key is not masked on its own")
	assert.Equal(t, 1, strings.Count(log, "::add-mask::ocl-token-1\n"), "each value is masked once")
}

func TestStartMasksTheConfiguredVariables(t *testing.T) {
	vars := baseVars(t)
	vars["MY_OCL"] = "configured-token"
	cfgPath := filepath.Join(vars["GITHUB_WORKSPACE"], ".github", "shepherd.yaml")
	require.NoError(t, os.MkdirAll(filepath.Dir(cfgPath), 0o755))
	require.NoError(t, os.WriteFile(cfgPath, []byte("ocl:\n  token_env: MY_OCL\n"), 0o644))
	var out bytes.Buffer

	r, err := Start(Options{Getenv: fakeEnv(vars), Stdout: &out})
	require.NoError(t, err)

	assert.Contains(t, out.String(), "::add-mask::configured-token\n")
	assert.Equal(t, "MY_OCL", r.Config.OCL.TokenEnv)
	assert.Equal(t, filepath.Join(vars["GITHUB_WORKSPACE"], "shepherd-artifacts"), r.Config.Storage.LocalDir,
		"the local store lives in the workspace")
}

func TestStartRefuses(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"no repository", map[string]string{"GITHUB_REPOSITORY": ""}, "not owner/name"},
		{"bad repository", map[string]string{"GITHUB_REPOSITORY": "a/b/c"}, "not owner/name"},
		{"bad dry run", map[string]string{"INPUT_DRY_RUN": "perhaps"}, "input dry_run is \"perhaps\""},
		{"bad config", map[string]string{"INPUT_CONFIG": "bad.yaml"}, "configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := baseVars(t)
			require.NoError(t, os.WriteFile(filepath.Join(vars["GITHUB_WORKSPACE"], "bad.yaml"), []byte("poll: [\n"), 0o644))
			for k, v := range tt.set {
				vars[k] = v
			}
			_, err := Start(Options{Getenv: fakeEnv(vars), Stdout: &bytes.Buffer{}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestInputs(t *testing.T) {
	vars := baseVars(t)
	vars["INPUT_DRY_RUN"] = " true "
	vars["INPUT_PR"] = "42"
	vars["INPUT_FORK"] = "nah"
	r, err := Start(Options{Getenv: fakeEnv(vars), Stdout: &bytes.Buffer{}})
	require.NoError(t, err)

	assert.True(t, r.DryRun)
	assert.Equal(t, "openmrs", r.Owner)
	assert.Equal(t, "ciel-releases", r.Repo)
	n, err := r.IntInput("pr")
	require.NoError(t, err)
	assert.Equal(t, 42, n)
	_, err = r.BoolInput("fork")
	assert.ErrorContains(t, err, "not true or false")
	missing, err := r.IntInput("missing")
	require.NoError(t, err)
	assert.Zero(t, missing)
}

func TestOutputsOutsideActionsAreLogged(t *testing.T) {
	vars := baseVars(t)
	var out bytes.Buffer
	r, err := Start(Options{Getenv: fakeEnv(vars), Stdout: &out})
	require.NoError(t, err)

	r.SetOutput("phase", "exporting")
	r.Summary("### hello")

	assert.Contains(t, out.String(), "output phase=exporting")
	assert.Contains(t, out.String(), "### hello")
}

func TestVersions(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"v2026-11-22", []string{"v2026-11-22"}, ""},
		{" v2026-11-22, v2026-12-01\nv2026-11-22 ", []string{"v2026-11-22", "v2026-12-01"}, ""},
		{"", nil, ""},
		{"v2026-11-22 2026-12-01", []string{"v2026-11-22"}, `version "2026-12-01"`},
		{"v2026-02-30", nil, "not a real date"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Versions(tt.in)
			assert.Equal(t, tt.want, got)
			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tt.wantErr)
			}
		})
	}
}

func TestHandlerWritesThroughTheRunner(t *testing.T) {
	tests := []struct {
		name string
		log  func(*slog.Logger)
		want string
	}{
		{"info is a plain line", func(l *slog.Logger) { l.Info("release moved", "from", "qa", "to", "deploy") }, "release moved  from=qa to=deploy\n"},
		{"warning is an annotation", func(l *slog.Logger) { l.Warn("release failed", "reason", "QA found 3 errors") }, "::warning::release failed  reason=\"QA found 3 errors\"\n"},
		{"error is an annotation, new lines escaped", func(l *slog.Logger) { l.Error("step failed\nbadly") }, "::error::step failed%0Abadly\n"},
		{"debug is a debug message", func(l *slog.Logger) { l.Debug("ocl: answer", "status", 200) }, "::debug::ocl: answer  status=200\n"},
		{"attributes and groups carry over", func(l *slog.Logger) { l.With("release", "v1").WithGroup("g").Info("hi", "k", 1) }, "hi  release=v1 g.k=1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			a := githubactions.New(githubactions.WithWriter(&out), githubactions.WithGetenv(func(string) string { return "" }))
			tt.log(slog.New(NewHandler(a, slog.LevelDebug)))
			assert.Equal(t, tt.want, out.String())
		})
	}
}

func TestHandlerLevel(t *testing.T) {
	var out bytes.Buffer
	a := githubactions.New(githubactions.WithWriter(&out))
	l := slog.New(NewHandler(a, slog.LevelInfo))
	l.Debug("hidden")
	l.Info("shown")
	assert.Equal(t, "shown\n", out.String())
}
