package doctor_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/doctor"
	"github.com/shepherd-release/shepherd/internal/export/openmrsdb/openmrsdbtest"
	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/github/githubtest"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/store"
	"github.com/shepherd-release/shepherd/internal/store/miniotest"
)

func TestMain(m *testing.M) { miniotest.Main(m) }

const (
	owner     = "openmrs"
	repoName  = "ciel-releases"
	ghToken   = "ghp_doctor"
	oclToken  = "ocl-doctor-token"
	mariaDSN  = openmrsdbtest.ServerDSN
	retention = 21 * 24 * time.Hour
)

// setup is a release repository set up as docs/setup.md says, on a fake GitHub, a fake OCL,
// a real MinIO bucket and the real MariaDB. Tests break one thing each.
type setup struct {
	t     *testing.T
	now   time.Time
	gh    *githubtest.Server
	ocl   *ocltest.Server
	s3    *miniotest.Server
	cfg   *manifest.Config
	env   map[string]string
	ghOpt github.Options
}

func newSetup(t *testing.T, ghOpts ...githubtest.Option) *setup {
	t.Helper()
	openmrsdbtest.NeedServer(t)
	now := time.Now().UTC()
	s := &setup{t: t, now: now}

	s.gh = githubtest.NewServer(append([]githubtest.Option{githubtest.WithToken(ghToken, "maintainer")}, ghOpts...)...)
	t.Cleanup(s.gh.Close)
	s.gh.AddRepo(owner, repoName, "main")
	for _, wf := range doctor.ShepherdWorkflows {
		s.gh.AddWorkflow(owner, repoName, ".github/workflows/"+wf, strings.TrimSuffix(wf, ".yml"), githubtest.WorkflowActive)
	}
	s.gh.SetBranchProtection(owner, repoName, "main", &githubtest.BranchRules{Contexts: []string{"shepherd/qa"}, Approvals: 1})
	s.gh.SetPushed(owner, repoName, now.Add(-10*24*time.Hour))
	s.ghOpt = github.Options{BaseURL: s.gh.URL(), Retries: 1}

	s.ocl = ocltest.NewServer()
	t.Cleanup(s.ocl.Close)
	s.ocl.AddSource("CIEL", "CIEL", &ocltest.SliceContent{}, []string{"en"})
	s.ocl.RequireToken(oclToken)

	s.s3 = miniotest.Shared(t)
	s.cfg = manifest.DefaultConfig()
	s.cfg.OCL.BaseURL = s.ocl.URL()
	s.cfg.Storage.Type = manifest.StorageS3
	s.cfg.Storage.Endpoint = s.s3.Endpoint
	s.cfg.Storage.Insecure = true
	s.cfg.Storage.Bucket = "doctor-" + randomHex(t, 6)
	s.cfg.Retention = retention

	s.env = map[string]string{
		"GITHUB_TOKEN":           ghToken,
		"OCL_TOKEN":              oclToken,
		"SHEPHERD_S3_ACCESS_KEY": s.s3.AccessKey,
		"SHEPHERD_S3_SECRET_KEY": s.s3.SecretKey,
		"SHEPHERD_LOAD_TEST_DSN": mariaDSN,
	}

	// The bucket as Shepherd leaves it after its first release: the retention rule set.
	st := s.store()
	ctx := context.Background()
	require.NoError(t, st.EnsureBucket(ctx))
	_, err := st.EnsureRetention(ctx, s.cfg.Storage.Prefix, 22)
	require.NoError(t, err)
	return s
}

func (s *setup) store() *store.S3 {
	st, err := store.NewS3(store.Config{Endpoint: s.s3.Endpoint, DisableTLS: true, Bucket: s.cfg.Storage.Bucket, Region: "us-east-1"},
		store.WithStaticCredentials(s.s3.AccessKey, s.s3.SecretKey))
	require.NoError(s.t, err)
	return st
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

func (s *setup) run() *doctor.Report {
	s.t.Helper()
	return doctor.Run(context.Background(), doctor.Options{
		Config: s.cfg, Owner: owner, Repo: repoName, Now: func() time.Time { return s.now },
		Getenv:        func(k string) string { return s.env[k] },
		GitHubOptions: s.ghOpt,
	})
}

func byID(t *testing.T, r *doctor.Report, id string) doctor.Result {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %q", id)
	return doctor.Result{}
}

func text(r *doctor.Report) string {
	var b bytes.Buffer
	_ = doctor.WriteText(&b, r)
	return b.String()
}

func TestHealthySetupPassesEveryCheck(t *testing.T) {
	s := newSetup(t)
	r := s.run()
	out := text(r)
	t.Log("\n" + out)
	assert.Equal(t, 0, r.ExitCode(), out)
	for _, c := range r.Checks {
		switch c.ID {
		case "github-permissions":
			// A token without X-OAuth-Scopes: GitHub does not say what it may do.
			assert.Equal(t, doctor.Skipped, c.Status, out)
		case "bucket-policy":
			assert.Equal(t, doctor.Skipped, c.Status, "presigned links need no policy")
		default:
			assert.Equal(t, doctor.OK, c.Status, "%s: %s", c.ID, c.Found)
			assert.Empty(t, c.Fix, c.ID)
		}
		assert.Equal(t, "docs/doctor.md#"+c.ID, c.Docs)
	}
	assert.Contains(t, byID(t, r, "load-test-db").Found, "MariaDB")
	assert.Contains(t, byID(t, r, "bucket-lifecycle").Found, "after 22 days")
	assert.Contains(t, byID(t, r, "schedule-60-days").Found, s.now.Add(50*24*time.Hour).Format("2006-01-02"))
	for _, secret := range []string{ghToken, oclToken, s.s3.SecretKey} {
		assert.NotContains(t, out, secret, "no secret value is printed")
	}
}

// Each broken thing fails its own check, with a fix, and the run exits 1.
func TestEachBrokenThingFailsItsCheck(t *testing.T) {
	tests := []struct {
		name, check string
		breakIt     func(s *setup)
		found, fix  string
	}{
		{"Issues off", "issues", func(s *setup) { s.gh.SetIssuesEnabled(owner, repoName, false) },
			"Issues are turned off", "tick Issues"},
		{"Actions off", "actions", func(s *setup) { s.gh.SetActionsEnabled(owner, repoName, false) },
			"turned off", "allow actions"},
		{"a workflow disabled for inactivity", "workflows", func(s *setup) {
			s.gh.AddWorkflow(owner, repoName, ".github/workflows/shepherd-export-poll.yml", "export-poll", githubtest.WorkflowDisabledInactivity)
		}, "shepherd-export-poll.yml disabled_inactivity", "Enable workflow"},
		{"no branch protection", "branch-protection", func(s *setup) { s.gh.SetBranchProtection(owner, repoName, "main", nil) },
			"main is not protected", "shepherd/qa"},
		{"protection without shepherd/qa", "branch-protection", func(s *setup) {
			s.gh.SetBranchProtection(owner, repoName, "main", &githubtest.BranchRules{Contexts: []string{"ci"}, Approvals: 1})
		}, "does not require the status shepherd/qa", "require a pull request"},
		{"protection without a review", "branch-protection", func(s *setup) {
			s.gh.SetBranchProtection(owner, repoName, "main", &githubtest.BranchRules{Contexts: []string{"shepherd/qa"}})
		}, "does not require an approving review", "at least one approval"},
		{"missing OCL secret", "credentials", func(s *setup) { delete(s.env, "OCL_TOKEN") },
			"missing: OCL_TOKEN", "Secrets and variables"},
		{"missing S3 secret", "credentials", func(s *setup) { delete(s.env, "SHEPHERD_S3_SECRET_KEY") },
			"missing: SHEPHERD_S3_SECRET_KEY", "Secrets and variables"},
		{"bucket without lifecycle", "bucket-lifecycle", func(s *setup) {
			// An empty configuration deletes the bucket's lifecycle (minio-go SetBucketLifecycle).
			require.NoError(s.t, s.minio().SetBucketLifecycle(context.Background(), s.cfg.Storage.Bucket, lifecycle.NewConfiguration()))
		}, "no lifecycle rule for releases/", "after 22 days"},
		{"lifecycle shorter than retention + 1", "bucket-lifecycle", func(s *setup) {
			_, err := s.store().EnsureRetention(context.Background(), s.cfg.Storage.Prefix, 21)
			require.NoError(s.t, err)
		}, "after 21 days, before the 22 days", "after 22 days"},
		{"versioned bucket", "bucket-versioning", func(s *setup) {
			require.NoError(s.t, s.minio().EnableVersioning(context.Background(), s.cfg.Storage.Bucket))
		}, "versioning is on", "without versioning"},
		{"wrong S3 secret", "bucket", func(s *setup) { s.env["SHEPHERD_S3_SECRET_KEY"] = "not-the-secret" },
			"SignatureDoesNotMatch", "secret key"},
		{"public links without the policy", "bucket-policy", func(s *setup) { s.cfg.Storage.LinkMode = manifest.LinkPublic },
			"does not let anyone read releases/", "s3:GetObject"},
		{"unreachable database", "load-test-db", func(s *setup) { s.env["SHEPHERD_LOAD_TEST_DSN"] = "root@tcp(127.0.0.1:1)/" },
			"cannot reach the database at 127.0.0.1:1", "SHEPHERD_LOAD_TEST_DSN"},
		{"OCL refuses the token", "ocl-source", func(s *setup) { s.env["OCL_TOKEN"] = "revoked" },
			"OCL refused the token (401)", "valid API token in OCL_TOKEN"},
		{"OCL source missing", "ocl-source", func(s *setup) { s.cfg.OCL.Source = "NOPE" },
			"source CIEL/NOPE not found", "ocl.source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t)
			tt.breakIt(s)
			r := s.run()
			t.Log("\n" + text(r))
			c := byID(t, r, tt.check)
			assert.Equal(t, doctor.Fail, c.Status, "%s: %s", c.ID, c.Found)
			assert.Contains(t, c.Found, tt.found)
			assert.Contains(t, c.Fix, tt.fix)
			assert.Equal(t, 1, r.ExitCode())
			assert.Contains(t, text(r), "fix: "+c.Fix+" (docs/doctor.md#"+tt.check+")")
			for _, other := range r.Checks {
				if other.ID != tt.check && other.Status == doctor.Fail {
					assert.Contains(t, consequences[tt.check], other.ID, "%s failed too: %s", other.ID, other.Found)
				}
			}
		})
	}
}

// consequences are the checks that may fail with another because they need what it found
// broken.
var consequences = map[string][]string{
	"credentials": {"ocl-source", "ocl-create-version", "bucket"},
}

func (s *setup) minio() *minio.Client {
	mc, err := minio.New(s.s3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.s3.AccessKey, s.s3.SecretKey, "")})
	require.NoError(s.t, err)
	return mc
}

func TestPublicModeChecksThePolicyReadBack(t *testing.T) {
	s := newSetup(t)
	s.cfg.Storage.LinkMode = manifest.LinkPublic
	require.NoError(t, s.store().EnsurePublicRead(context.Background(), s.cfg.Storage.Prefix))
	r := s.run()
	assert.Equal(t, doctor.OK, byID(t, r, "bucket-policy").Status, byID(t, r, "bucket-policy").Found)

	// A second statement letting anyone list the bucket is more than public mode asks for.
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"ListAll","Effect":"Allow","Principal":{"AWS":["*"]},` +
		`"Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::` + s.cfg.Storage.Bucket + `"]}]}`
	require.NoError(t, s.minio().SetBucketPolicy(context.Background(), s.cfg.Storage.Bucket, policy))
	require.NoError(t, s.store().EnsurePublicRead(context.Background(), s.cfg.Storage.Prefix))
	c := byID(t, s.run(), "bucket-policy")
	assert.Equal(t, doctor.Fail, c.Status)
	assert.Contains(t, c.Found, "ListAll")
}

func TestRulesetsCountAsProtection(t *testing.T) {
	s := newSetup(t)
	s.gh.SetBranchProtection(owner, repoName, "main", nil)
	s.gh.AddRuleset(owner, repoName, "main", githubtest.BranchRules{Contexts: []string{"shepherd/qa"}, Approvals: 2})
	c := byID(t, s.run(), "branch-protection")
	assert.Equal(t, doctor.OK, c.Status, c.Found)
	assert.Contains(t, c.Found, "2 approving reviews (rulesets)")
}

// A workflow's GITHUB_TOKEN never holds administration: doctor says it cannot see classic
// protection or the Actions settings (a warning), and does not call that a failure.
func TestWorkflowTokenWithoutAdministrationWarns(t *testing.T) {
	s := newSetup(t, githubtest.WithTokenPermissions("ghs_workflow", "github-actions[bot]", githubtest.Permissions{
		"contents": "write", "issues": "write", "pull_requests": "write", "statuses": "write", "actions": "read",
	}))
	s.env["GITHUB_TOKEN"] = "ghs_workflow"
	s.env["GITHUB_ACTIONS"] = "true"
	r := s.run()
	assert.Equal(t, 0, r.ExitCode(), text(r))
	perms := byID(t, r, "github-permissions")
	assert.Equal(t, doctor.Skipped, perms.Status)
	assert.Contains(t, perms.Found, "permissions: block")
	for _, id := range []string{"actions", "branch-protection"} {
		c := byID(t, r, id)
		assert.Equal(t, doctor.Warn, c.Status, "%s: %s", id, c.Found)
		assert.Contains(t, c.Found, "administration: read")
	}
}

func TestAppInstallationPermissions(t *testing.T) {
	s := newSetup(t, githubtest.WithInstallationPermissions(githubtest.Permissions{
		"contents": "write", "issues": "write", "pull_requests": "write", "statuses": "read",
	}))
	delete(s.env, "GITHUB_TOKEN")
	s.env["SHEPHERD_APP_ID"] = "1"
	s.env["SHEPHERD_APP_PRIVATE_KEY"] = string(githubtest.AppKey(t))
	r := s.run()
	c := byID(t, r, "github-permissions")
	assert.Equal(t, doctor.Fail, c.Status, c.Found)
	assert.Contains(t, c.Found, "statuses: write (has read)")
	assert.Contains(t, byID(t, r, "credentials").Found, "GitHub App 1 (SHEPHERD_APP_ID, SHEPHERD_APP_PRIVATE_KEY)")

	good := newSetup(t) // the fake's default installation: what Shepherd's App asks for
	delete(good.env, "GITHUB_TOKEN")
	good.env["SHEPHERD_APP_ID"] = "1"
	good.env["SHEPHERD_APP_PRIVATE_KEY"] = string(githubtest.AppKey(t))
	c = byID(t, good.run(), "github-permissions")
	assert.Equal(t, doctor.OK, c.Status, c.Found)
	assert.Contains(t, c.Found, "statuses: write")
}

func TestSixtyDayRuleWarnsTwoWeeksAhead(t *testing.T) {
	s := newSetup(t)
	s.gh.SetPushed(owner, repoName, s.now.Add(-50*24*time.Hour))
	r := s.run()
	c := byID(t, r, "schedule-60-days")
	assert.Equal(t, doctor.Warn, c.Status, c.Found)
	assert.Contains(t, c.Found, "switches export-poll and janitor off on "+s.now.Add(10*24*time.Hour).Format("2006-01-02")+" (in 10 days)")
	assert.Contains(t, c.Fix, "push a commit before")
	assert.Equal(t, 0, r.ExitCode(), "a warning is not a failure")
}

func TestJSONReport(t *testing.T) {
	s := newSetup(t)
	s.gh.SetIssuesEnabled(owner, repoName, false)
	var b bytes.Buffer
	require.NoError(t, doctor.WriteJSON(&b, s.run()))
	var got struct {
		Repository string
		Checks     []doctor.Result
		Failed     int
		ExitCode   int `json:"exit_code"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &got), b.String())
	assert.Equal(t, owner+"/"+repoName, got.Repository)
	assert.Equal(t, 1, got.Failed)
	assert.Equal(t, 1, got.ExitCode)
	assert.Len(t, got.Checks, 15)
	assert.Equal(t, "issues", got.Checks[2].ID)
	assert.Equal(t, doctor.Fail, got.Checks[2].Status)
}

// A rule someone added by hand (another id) on the release prefix does the job too.
func TestLifecycleRuleAddedByHandCounts(t *testing.T) {
	s := newSetup(t)
	cfg := lifecycle.NewConfiguration()
	cfg.Rules = []lifecycle.Rule{{ID: "by-hand", Status: minio.Enabled,
		RuleFilter: lifecycle.Filter{Prefix: "releases/"}, Expiration: lifecycle.Expiration{Days: 22}}}
	require.NoError(t, s.minio().SetBucketLifecycle(context.Background(), s.cfg.Storage.Bucket, cfg))
	c := byID(t, s.run(), "bucket-lifecycle")
	assert.Equal(t, doctor.OK, c.Status, c.Found)
	assert.Contains(t, c.Found, "lifecycle rule by-hand expires releases/ after 22 days")
}

// A classic personal access token says its scopes (X-OAuth-Scopes): repo is enough, and
// public_repo is enough only on a public repository.
func TestClassicTokenScopes(t *testing.T) {
	tests := []struct {
		scopes  string
		private bool
		want    doctor.Status
	}{
		{"repo, workflow", false, doctor.OK},
		{"public_repo", false, doctor.OK},
		{"public_repo", true, doctor.Fail},
		{"gist, read:org", false, doctor.Fail},
		{"", false, doctor.Fail},
	}
	for _, tt := range tests {
		t.Run(tt.scopes+" private="+strconv.FormatBool(tt.private), func(t *testing.T) {
			s := newSetup(t, githubtest.WithTokenScopes("ghp_classic", "maintainer", tt.scopes))
			s.gh.SetPrivate(owner, repoName, tt.private)
			s.env["GITHUB_TOKEN"] = "ghp_classic"
			r := s.run()
			c := byID(t, r, "github-permissions")
			assert.Equal(t, tt.want, c.Status, c.Found)
			assert.Contains(t, c.Found, "classic personal access token with scopes")
			if tt.want == doctor.Fail {
				assert.Contains(t, c.Fix, "repo scope")
			}
			if tt.private {
				sched := byID(t, r, "schedule-60-days")
				assert.Equal(t, doctor.Skipped, sched.Status)
				assert.Contains(t, sched.Found, "private repository")
			}
		})
	}
}

// In a workflow the runner's GITHUB_API_URL names GitHub, as for the actions.
func TestGitHubFromTheRunnersAPIURL(t *testing.T) {
	s := newSetup(t)
	s.ghOpt.BaseURL = ""
	s.env["GITHUB_API_URL"] = s.gh.URL()
	c := byID(t, s.run(), "issues")
	assert.Equal(t, doctor.OK, c.Status, c.Found)
}

// Without a bucket a release refuses to start on GitHub Actions, unless the configuration
// chooses the local folder on purpose.
func TestNoBucket(t *testing.T) {
	s := newSetup(t)
	s.cfg.Storage.Bucket = ""
	s.cfg.Storage.Type = manifest.StorageLocal
	r := s.run()
	c := byID(t, r, "bucket")
	assert.Equal(t, doctor.Fail, c.Status, c.Found)
	assert.Contains(t, c.Fix, "storage.type: local")
	assert.Equal(t, doctor.Skipped, byID(t, r, "bucket-lifecycle").Status)

	chosen, err := manifest.ParseConfig("shepherd.yaml", []byte("storage:\n  type: local\n"))
	require.NoError(t, err)
	chosen.OCL = s.cfg.OCL
	s.cfg = chosen
	r = s.run()
	c = byID(t, r, "bucket")
	assert.Equal(t, doctor.Skipped, c.Status, c.Found)
	assert.Contains(t, c.Found, "storage.type: local")
}
