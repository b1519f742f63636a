package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plainConfig drops the positions a parsed configuration remembers, for comparisons.
func plainConfig(c *Config) Config {
	p := *c
	p.pos = positions{}
	return p
}

func TestConfigDefaults(t *testing.T) {
	parsed, err := ParseConfig(ConfigPath, []byte("{}\n"))
	require.NoError(t, err)
	sqlExport := func(f ExportFormat) ExportSpec { return ExportSpec{Name: string(f), Format: f, LoadTest: true} }

	tests := []struct {
		field string
		get   func(c *Config) any
		want  any
	}{
		{"ocl.base_url", func(c *Config) any { return c.OCL.BaseURL }, "https://api.openconceptlab.org"},
		{"ocl.org", func(c *Config) any { return c.OCL.Org }, "CIEL"},
		{"ocl.source", func(c *Config) any { return c.OCL.Source }, "CIEL"},
		{"ocl.token_env", func(c *Config) any { return c.OCL.TokenEnv }, "OCL_TOKEN"},
		{"poll.interval", func(c *Config) any { return c.Poll.Interval }, 10 * time.Minute},
		{"poll.max_attempts", func(c *Config) any { return c.Poll.MaxAttempts }, 72},
		{"retention", func(c *Config) any { return c.Retention }, 21 * 24 * time.Hour},
		{"storage.type", func(c *Config) any { return c.Storage.Type }, StorageLocal},
		{"storage.endpoint", func(c *Config) any { return c.Storage.Endpoint }, ""},
		{"storage.region", func(c *Config) any { return c.Storage.Region }, "us-east-1"},
		{"storage.bucket", func(c *Config) any { return c.Storage.Bucket }, ""},
		{"storage.prefix", func(c *Config) any { return c.Storage.Prefix }, "releases"},
		{"storage.path_style", func(c *Config) any { return c.Storage.PathStyle }, true},
		{"storage.insecure", func(c *Config) any { return c.Storage.Insecure }, false},
		{"storage.access_key_env", func(c *Config) any { return c.Storage.AccessKeyEnv }, "SHEPHERD_S3_ACCESS_KEY"},
		{"storage.secret_key_env", func(c *Config) any { return c.Storage.SecretKeyEnv }, "SHEPHERD_S3_SECRET_KEY"},
		{"storage.link_mode", func(c *Config) any { return c.Storage.LinkMode }, LinkPresigned},
		{"storage.public_base_url", func(c *Config) any { return c.Storage.PublicBaseURL }, ""},
		{"storage.local_dir", func(c *Config) any { return c.Storage.LocalDir }, "shepherd-artifacts"},
		{"storage.part_size", func(c *Config) any { return c.Storage.PartSize }, int64(16 << 20)},
		{"exports", func(c *Config) any { return c.Exports }, []ExportSpec{sqlExport(FormatOpenMRS111), sqlExport(FormatOpenMRS2)}},
		{"qa.severity", func(c *Config) any { return c.QA.Severity }, map[string]string(nil)},
		{"qa.disabled", func(c *Config) any { return c.QA.Disabled }, []string(nil)},
		{"qa.max_findings", func(c *Config) any { return c.QA.MaxFindings }, 100000},
		{"export_limits", func(c *Config) any { return c.ExportLimits }, ExportLimits{MaxJSONMiB: 8192, MaxValueMiB: 64, MaxRatio: 200}},
		{"labels", func(c *Config) any { return c.Labels.All() }, []string{
			"release:qa", "release:deploy", "release:exporting", "release:export-qa", "release:scripts",
			"release:publishing", "release:done", "release:failed", "release:incomplete"}},
		{"github.environment", func(c *Config) any { return c.GitHub.Environment }, ""},
		{"github.app_id_env", func(c *Config) any { return c.GitHub.AppIDEnv }, "SHEPHERD_APP_ID"},
		{"github.app_key_env", func(c *Config) any { return c.GitHub.AppKeyEnv }, "SHEPHERD_APP_PRIVATE_KEY"},
		{"github.base_url", func(c *Config) any { return c.GitHub.BaseURL }, ""},
		{"signing", func(c *Config) any { return c.Signing }, SigningConfig{KeyEnv: "SHEPHERD_SIGNING_KEY", Required: true}},
		{"ocl.release_on", func(c *Config) any { return c.OCL.ReleaseOn }, ReleaseOnExportQA},
		{"ocl.page_size", func(c *Config) any { return c.OCL.PageSize }, 500},
		{"ocl.request_timeout", func(c *Config) any { return c.OCL.RequestTimeout }, 5 * time.Minute},
		{"ocl.listing_rereads", func(c *Config) any { return c.OCL.ListingRereads }, 3},
		{"poll.request_export_after", func(c *Config) any { return c.Poll.RequestExportAfter }, 6},
		{"poll.request_export_every", func(c *Config) any { return c.Poll.RequestExportEvery }, 6 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.get(DefaultConfig()), "DefaultConfig")
			assert.Equal(t, tt.want, tt.get(parsed), "an empty file")
		})
	}
	require.NoError(t, DefaultConfig().Validate())
}

func TestParseConfigEverything(t *testing.T) {
	input := `ocl:
  base_url: https://ocl.example.org/api
  org: PIH
  source: PIH-TERMS
  token_env: PIH_OCL_TOKEN
  release_on: manual
  page_size: 200
  request_timeout: 2m
  listing_rereads: 0
poll:
  interval: 15m
  max_attempts: 48
  request_export_after: 4
  request_export_every: 3h
retention: 504h
rollout:
  grace_period: 3d
  teams: [PIH/release-managers, PIH/terminology_leads]
storage:
  type: s3
  endpoint: https://rustfs.example.org:9000
  region: eu-west-1
  bucket: pih-releases
  prefix: dictionary/releases
  path_style: false
  insecure: false
  access_key_env: RUSTFS_KEY
  secret_key_env: RUSTFS_SECRET
  link_mode: public
  public_base_url: https://downloads.example.org
  local_dir: out
  part_size: 64MiB
exports:
  - format: openmrs-2
    load_test: true
  - name: legacy
    format: openmrs-1.11
  - name: csv
    format: script
    command: [python3, scripts/to_csv.py, --all]
    timeout: 1h
    env:
      CSV_DIALECT: excel
qa:
  severity:
    FR-19: info
  disabled: [FR-23]
  max_findings: 5000
export_limits:
  max_json_mib: 2048
  max_value_mib: 16
  max_ratio: 50
labels:
  qa: "phase: qa"
  deploy: deploy
  exporting: exporting
  export_qa: export-qa
  scripts: scripts
  publishing: publishing
  done: done
  failed: failed
  incomplete: incomplete
github:
  environment: release-approval
  app_id_env: BOT_APP_ID
  app_key_env: BOT_APP_KEY
  base_url: https://ghe.example.org/api/v3
freeze:
  days: 14
  allowed_labels: [bug, documentation]
lease:
  stale_after: 90m
signing:
  allowed_signers: .github/allowed_signers
  key_env: PIH_SIGNING_KEY
  required: false
  attest: true
reminders:
  export_qa: 1d
  failed: 0s
  staged: 14d
  owners: [alice, bob-2]
  review_days: 5
`
	cfg, err := ParseConfig(ConfigPath, []byte(input))
	require.NoError(t, err)
	assert.Equal(t, Config{
		File: ConfigPath,
		OCL: OCLConfig{BaseURL: "https://ocl.example.org/api", Org: "PIH", Source: "PIH-TERMS", TokenEnv: "PIH_OCL_TOKEN",
			ReleaseOn: ReleaseOnManual, PageSize: 200, RequestTimeout: 2 * time.Minute, ListingRereads: 0},
		Poll:      PollConfig{Interval: 15 * time.Minute, MaxAttempts: 48, RequestExportAfter: 4, RequestExportEvery: 3 * time.Hour},
		Retention: 21 * 24 * time.Hour,
		Storage: StorageConfig{
			Type: StorageS3, Endpoint: "https://rustfs.example.org:9000", Region: "eu-west-1", Bucket: "pih-releases",
			Prefix: "dictionary/releases", PathStyle: false, Insecure: false, AccessKeyEnv: "RUSTFS_KEY",
			SecretKeyEnv: "RUSTFS_SECRET", LinkMode: LinkPublic, PublicBaseURL: "https://downloads.example.org",
			LocalDir: "out", PartSize: 64 << 20,
		},
		Exports: []ExportSpec{
			{Name: "openmrs-2", Format: FormatOpenMRS2, LoadTest: true},
			{Name: "legacy", Format: FormatOpenMRS111},
			{Name: "csv", Format: FormatScript, Command: []string{"python3", "scripts/to_csv.py", "--all"},
				Timeout: time.Hour, Env: map[string]string{"CSV_DIALECT": "excel"}},
		},
		QA:           QAConfig{QAOverrides: QAOverrides{Severity: map[string]string{"FR-19": "info"}, Disabled: []string{"FR-23"}}, MaxFindings: 5000},
		ExportLimits: ExportLimits{MaxJSONMiB: 2048, MaxValueMiB: 16, MaxRatio: 50},
		Labels: Labels{QA: "phase: qa", Deploy: "deploy", Exporting: "exporting", ExportQA: "export-qa", Scripts: "scripts",
			Publishing: "publishing", Done: "done", Failed: "failed", Incomplete: "incomplete"},
		GitHub: GitHubConfig{Environment: "release-approval", AppIDEnv: "BOT_APP_ID", AppKeyEnv: "BOT_APP_KEY",
			BaseURL: "https://ghe.example.org/api/v3"},
		Freeze:  FreezeConfig{Days: 14, AllowedLabels: []string{"bug", "documentation"}},
		Lease:   LeaseConfig{StaleAfter: 90 * time.Minute},
		Signing: SigningConfig{AllowedSigners: ".github/allowed_signers", KeyEnv: "PIH_SIGNING_KEY", Required: false, Attest: true},
		Reminders: RemindersConfig{After: map[string]time.Duration{"qa": 0, "deploy": 48 * time.Hour, "exporting": 0, "export-qa": 24 * time.Hour,
			"scripts": 0, "publishing": 0, "failed": 0, "incomplete": 48 * time.Hour, "unverified": 0, "staged": 14 * 24 * time.Hour},
			Owners: []string{"alice", "bob-2"}, ReviewDays: 5},
		Rollout: RolloutConfig{GracePeriod: 3 * day, Teams: []string{"PIH/release-managers", "PIH/terminology_leads"}},
	}, plainConfig(cfg))

	csv, ok := cfg.Export("csv")
	require.True(t, ok)
	assert.Equal(t, FormatScript, csv.Format)
	_, ok = cfg.Export("openmrs-1.11")
	assert.False(t, ok, "the default list is replaced, not extended")
}

func TestConfigFieldDefaultsThatDependOnOthers(t *testing.T) {
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, c *Config)
	}{
		{"a bucket makes the storage s3", "storage:\n  bucket: releases\n", func(t *testing.T, c *Config) {
			assert.Equal(t, StorageS3, c.Storage.Type)
		}},
		{"an explicit type wins over the bucket", "storage:\n  type: local\n  bucket: releases\n", func(t *testing.T, c *Config) {
			assert.Equal(t, StorageLocal, c.Storage.Type)
		}},
		{"SQL export name defaults to the format", "exports:\n  - format: openmrs-1.11\n", func(t *testing.T, c *Config) {
			assert.Equal(t, []ExportSpec{{Name: "openmrs-1.11", Format: FormatOpenMRS111}}, c.Exports)
		}},
		{"script timeout defaults to 30m", "exports:\n  - name: x\n    format: script\n    command: [x]\n", func(t *testing.T, c *Config) {
			assert.Equal(t, 30*time.Minute, c.Exports[0].Timeout)
		}},
		{"an empty export list means none", "exports: []\n", func(t *testing.T, c *Config) {
			assert.Empty(t, c.Exports)
			assert.NotNil(t, c.Exports)
		}},
		{"null keeps the default", "poll:\n  interval:\nretention: ~\n", func(t *testing.T, c *Config) {
			assert.Equal(t, 10*time.Minute, c.Poll.Interval)
			assert.Equal(t, 21*24*time.Hour, c.Retention)
		}},
		{"one label changed", "labels:\n  done: shipped\n", func(t *testing.T, c *Config) {
			assert.Equal(t, "shipped", c.Labels.Done)
			assert.Equal(t, "release:failed", c.Labels.Failed)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig(ConfigPath, []byte(tt.input))
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestCheckTeamsOwnerNamesTeamsOfAnotherOrganization(t *testing.T) {
	c, err := ParseConfig(".github/shepherd.yaml", []byte("rollout:\n  teams:\n    - PIH/release-managers\n    - other-org/release-managers\n"))
	require.NoError(t, err)
	same, err := ParseConfig(".github/shepherd.yaml", []byte("rollout:\n  teams: [PIH/release-managers]\n"))
	require.NoError(t, err)
	require.NoError(t, same.CheckTeamsOwner("pih"), "GitHub compares organization names without case")
	err = c.CheckTeamsOwner("PIH")
	require.EqualError(t, err, `.github/shepherd.yaml:4:7: rollout.teams[1]: "other-org/release-managers" is a team of other-org, not of PIH, which owns the repository`)
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{
			name:  "unknown fields",
			input: "pol:\n  interval: 10m\nstorage:\n  bukket: x\n",
			want: []string{
				`.github/shepherd.yaml:1:1: unknown field "pol", did you mean "poll"? (known fields: ocl, poll, retention, rollout, storage, exports, qa, export_limits, labels, github, freeze, lease, signing, reminders)`,
				`.github/shepherd.yaml:4:3: storage: unknown field "bukket", did you mean "bucket"? (known fields: type, endpoint, region, bucket, prefix, ` +
					`path_style, insecure, access_key_env, secret_key_env, link_mode, public_base_url, local_dir, part_size)`,
			},
		},
		{
			name:  "durations",
			input: "poll:\n  interval: ten minutes\nretention: 21\nexports:\n  - {name: x, format: script, command: [x], timeout: 0s}\n",
			want: []string{
				`.github/shepherd.yaml:2:13: poll.interval: "ten minutes" is not a duration (expected e.g. 10m, 1h, 21d)`,
				`.github/shepherd.yaml:3:12: retention: expected a duration (expected e.g. 10m, 1h, 21d), got the number 21`,
				`.github/shepherd.yaml:5:54: exports[0].timeout: must be longer than 0 (expected e.g. 10m, 1h, 21d)`,
			},
		},
		{
			name:  "rollout teams",
			input: "rollout:\n  teams: [release-managers, PIH/Release-Managers, PIH/release-managers, PIH/release-managers]\n",
			want: []string{
				`.github/shepherd.yaml:2:11: rollout.teams[0]: "release-managers" is not a team: write org/team-slug, the slug as in the team's URL (https://github.com/orgs/ORG/teams/SLUG)`,
				`.github/shepherd.yaml:2:29: rollout.teams[1]: "PIH/Release-Managers" is not a team: write org/team-slug, the slug as in the team's URL (https://github.com/orgs/ORG/teams/SLUG)`,
				`.github/shepherd.yaml:2:73: rollout.teams[3]: "PIH/release-managers" is already rollout.teams[2]`,
			},
		},
		{
			name:  "export limits",
			input: "export_limits:\n  max_json_mib: 32\n  max_value_mib: 64\n  max_ratio: 0\n",
			want: []string{
				`.github/shepherd.yaml:3:18: export_limits.max_value_mib: 64 MiB is more than export_limits.max_json_mib (32 MiB)`,
				`.github/shepherd.yaml:4:14: export_limits.max_ratio: 0 is not a compression ratio (expected a whole number from 1)`,
			},
		},
		{
			name:  "retention in whole days",
			input: "retention: 36h\n",
			want:  []string{`.github/shepherd.yaml:1:12: retention: 36h is not a whole number of days (bucket lifecycle rules count in days)`},
		},
		{
			name:  "retention too short",
			input: "retention: 90m\n",
			want:  []string{`.github/shepherd.yaml:1:12: retention: 1h30m is shorter than a day (expected e.g. 10m, 1h, 21d)`},
		},
		{
			name:  "poll numbers",
			input: "poll:\n  interval: -5m\n  max_attempts: 0\n",
			want: []string{
				`.github/shepherd.yaml:2:13: poll.interval: must be longer than 0 (expected e.g. 10m, 1h, 21d)`,
				`.github/shepherd.yaml:3:17: poll.max_attempts: 0 is not a number of attempts (expected a whole number from 1)`,
			},
		},
		{
			name:  "ocl",
			input: "ocl:\n  base_url: api.openconceptlab.org\n  org: \"\"\n  source: CIEL/x\n  token_env: 0123abcdef\n",
			want: []string{
				`.github/shepherd.yaml:2:13: ocl.base_url: "api.openconceptlab.org" must start with https:// (or http://)`,
				`.github/shepherd.yaml:3:8: ocl.org: "" is not an OCL id (expected letters, digits, '.', '_', '-' or '@', like CIEL)`,
				`.github/shepherd.yaml:4:11: ocl.source: "CIEL/x" is not an OCL id (expected letters, digits, '.', '_', '-' or '@', like CIEL)`,
				`.github/shepherd.yaml:5:14: ocl.token_env: expected the name of an environment variable in capitals, like OCL_TOKEN (the value is not shown in case it is a secret)`,
			},
		},
		{
			name:  "ocl release and listing settings",
			input: "ocl:\n  release_on: merge\n  page_size: 1001\n  request_timeout: 10ms\n  listing_rereads: -1\n",
			want: []string{
				`.github/shepherd.yaml:2:15: ocl.release_on: "merge" is not a release moment (expected create, export-qa or manual)`,
				`.github/shepherd.yaml:3:14: ocl.page_size: 1001 is outside 1 to 1000 (OCL serves 25 items for a larger limit)`,
				`.github/shepherd.yaml:4:20: ocl.request_timeout: must be at least 1s (expected e.g. 10m, 1h, 21d)`,
				`.github/shepherd.yaml:5:20: ocl.listing_rereads: -1 is not a number of re-reads (expected a whole number from 0)`,
			},
		},
		{
			name:  "export requests no more often than polls",
			input: "poll:\n  interval: 1h\n  request_export_after: 0\n  request_export_every: 30m\n",
			want: []string{
				`.github/shepherd.yaml:3:25: poll.request_export_after: 0 is not a number of polls (expected a whole number from 1)`,
				`.github/shepherd.yaml:4:25: poll.request_export_every: 30m is shorter than poll.interval (1h): OCL would be asked on every poll`,
			},
		},
		{
			name:  "a secret is never repeated",
			input: "storage:\n  secret_key_env: 12345\n  access_key_env: wJalrXUtnFEMI/K7MDENG\n",
			want: []string{
				`.github/shepherd.yaml:2:19: storage.secret_key_env: expected the name of an environment variable, like OCL_TOKEN (the value is not shown in case it is a secret)`,
				`.github/shepherd.yaml:3:19: storage.access_key_env: expected the name of an environment variable in capitals, like OCL_TOKEN (the value is not shown in case it is a secret)`,
			},
		},
		{
			name:  "storage",
			input: "storage:\n  type: gcs\n  bucket: My_Bucket\n  region: \"\"\n  prefix: /releases/\n  link_mode: direct\n  local_dir: \"\"\n  part_size: 1MiB\n",
			want: []string{
				`.github/shepherd.yaml:2:9: storage.type: "gcs" is not a storage type (expected s3 or local)`,
				`.github/shepherd.yaml:3:11: storage.bucket: "My_Bucket" is not a bucket name (expected 3 to 63 lower-case letters, digits, '.' or '-')`,
				`.github/shepherd.yaml:4:11: storage.region: must not be empty (expected e.g. us-east-1)`,
				`.github/shepherd.yaml:5:11: storage.prefix: "/releases/" is not a key prefix (expected segments of letters, digits, '.', '_' or '-' separated by '/', like releases or ciel/releases)`,
				`.github/shepherd.yaml:6:14: storage.link_mode: "direct" is not a link mode (expected presigned or public)`,
				`.github/shepherd.yaml:7:14: storage.local_dir: must not be empty (expected a folder, like shepherd-artifacts)`,
				`.github/shepherd.yaml:8:14: storage.part_size: 1MiB is outside the range S3 accepts (5MiB to 5GiB)`,
			},
		},
		{
			name:  "a prefix inside a folder Shepherd keeps",
			input: "storage:\n  prefix: leases/ciel\n",
			want: []string{`.github/shepherd.yaml:2:11: storage.prefix: "leases/ciel" must not start with leases/: Shepherd keeps its run leases there, ` +
				`outside the prefix, so that the retention of the prefix never removes them`},
		},
		{
			name:  "s3 needs a bucket",
			input: "storage:\n  type: s3\n",
			want:  []string{`.github/shepherd.yaml:2:3: storage.bucket: required for storage type s3`},
		},
		{
			name:  "endpoint and insecure disagree",
			input: "storage:\n  bucket: releases\n  endpoint: http://127.0.0.1:9000\n",
			want: []string{`.github/shepherd.yaml:3:13: storage.endpoint: "http://127.0.0.1:9000" is plain http but storage.insecure is false ` +
				`(set insecure: true, or use https://)`},
		},
		{
			name:  "public base url only for public links",
			input: "storage:\n  public_base_url: https://dl.example.org\n",
			want:  []string{`.github/shepherd.yaml:2:20: storage.public_base_url: is only used when link_mode is public`},
		},
		{
			name:  "sizes",
			input: "storage:\n  part_size: 16 megs\n",
			want:  []string{`.github/shepherd.yaml:2:14: storage.part_size: "16 megs" is not a size (expected e.g. 16MiB, 8MB or a number of bytes)`},
		},
		{
			name: "exports",
			input: "exports:\n  - format: script\n  - format: openmrs-2\n    command: [x]\n    timeout: 5m\n    env: {A: b}\n" +
				"  - format: openmrs-3\n  - name: openmrs-2\n    format: openmrs-1.11\n" +
				"  - name: bad name\n    format: script\n    command: [\"\"]\n    load_test: true\n    env:\n      lower: x\n  - 12\n",
			want: []string{
				`.github/shepherd.yaml:2:5: exports[0].name: required for a script export (a short name, like extra-csv)`,
				`.github/shepherd.yaml:2:5: exports[0].command: required for a script export (the program and its arguments, like [python3, scripts/extra.py])`,
				`.github/shepherd.yaml:4:5: exports[1].command: only script exports take a command`,
				`.github/shepherd.yaml:5:5: exports[1].timeout: only script exports take a timeout`,
				`.github/shepherd.yaml:6:5: exports[1].env: only script exports take env`,
				`.github/shepherd.yaml:7:13: exports[2].format: "openmrs-3" is not an export format (expected openmrs-1.11, openmrs-2 or script)`,
				`.github/shepherd.yaml:8:11: exports[3].name: "openmrs-2" is already the name of exports[1] (names must be unique)`,
				`.github/shepherd.yaml:10:11: exports[4].name: "bad name" is not an export name (expected up to 64 letters, digits, '.', '_' or '-')`,
				`.github/shepherd.yaml:12:15: exports[4].command[0]: the program must not be empty`,
				`.github/shepherd.yaml:13:16: exports[4].load_test: only SQL exports (openmrs-1.11, openmrs-2) can be load-tested`,
				`.github/shepherd.yaml:15:7: exports[4].env.lower: "lower" is not an environment variable name (expected capitals, digits and _, like EXTRA_FLAGS)`,
				`.github/shepherd.yaml:16:5: exports[5]: expected fields (key: value), got the number 12`,
			},
		},
		{
			name:  "qa",
			input: "qa:\n  severity:\n    FR-1: info\n  disabled: FR-23\n  max_findings: 0\n",
			want: []string{
				`.github/shepherd.yaml:3:5: qa.severity.FR-1: "FR-1" is not a rule id (expected two capital letters, a dash and two digits, like FR-01)`,
				`.github/shepherd.yaml:4:13: qa.disabled: expected a list, got the text "FR-23"`,
				`.github/shepherd.yaml:5:17: qa.max_findings: 0 is not a number of findings (expected a whole number from 1)`,
			},
		},
		{
			name:  "labels",
			input: "labels:\n  qa: \"\"\n  done: release:failed\n  scripts: " + strings.Repeat("x", 51) + "\n  deploy: release:exporting\n",
			want: []string{
				`.github/shepherd.yaml:2:7: labels.qa: must not be empty`,
				`.github/shepherd.yaml:3:9: labels.done: "release:failed" is also the label of labels.failed (labels must differ)`,
				`.github/shepherd.yaml:4:12: labels.scripts: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" is longer than 50 characters (GitHub's limit)`,
				`.github/shepherd.yaml:5:11: labels.deploy: "release:exporting" is also the label of labels.exporting (labels must differ)`,
			},
		},
		{
			name:  "github",
			input: "github:\n  base_url: https://ghe.example.org/api/v3?x=1\n  environment: \"a\\nb\"\n",
			want: []string{
				`.github/shepherd.yaml:2:13: github.base_url: "https://ghe.example.org/api/v3?x=1" must not have a query (?) or fragment (#)`,
				`.github/shepherd.yaml:3:16: github.environment: expected the name of a GitHub environment (one line, at most 255 characters)`,
			},
		},
		{
			name:  "signing",
			input: "signing:\n  allowed_signers: ../keys/allowed_signers\n  key_env: ssh-ed25519 AAAA\n",
			want: []string{
				`.github/shepherd.yaml:2:20: signing.allowed_signers: "../keys/allowed_signers" is not a path inside the repository (expected e.g. .github/allowed_signers)`,
				`.github/shepherd.yaml:3:12: signing.key_env: expected the name of an environment variable in capitals, like OCL_TOKEN (the value is not shown in case it is a secret)`,
			},
		},
		{
			name:  "wrong shapes",
			input: "ocl: CIEL\npoll: []\nstorage:\n  path_style: \"yes\"\n",
			want: []string{
				`.github/shepherd.yaml:1:6: ocl: expected fields (key: value), got the text "CIEL"`,
				`.github/shepherd.yaml:2:7: poll: expected fields (key: value), got a list`,
				`.github/shepherd.yaml:4:15: storage.path_style: expected true or false, got the text "yes"`,
			},
		},
		{
			name:  "reminders",
			input: "reminders:\n  qa: 10m\n  owners: [\"not a login\"]\n  review_days: 400\n  unverified: 5m\n",
			want: []string{
				`.github/shepherd.yaml:2:7: reminders.qa: 10m is shorter than an hour (0s turns the reminder off)`,
				`.github/shepherd.yaml:3:12: reminders.owners[0]: "not a login" is not a GitHub user name`,
				`.github/shepherd.yaml:4:16: reminders.review_days: 400 is more than 365 days (0 turns the reminder off)`,
				`.github/shepherd.yaml:5:15: reminders.unverified: 5m is shorter than an hour (0s turns the reminder off)`,
			},
		},
		{
			name:  "reminders staged within the grace period",
			input: "rollout:\n  grace_period: 7d\nreminders:\n  staged: 3d\n",
			want: []string{
				`.github/shepherd.yaml:4:11: reminders.staged: 3d is shorter than rollout.grace_period (7d): the reminder would ask for a promotion the grace period still refuses`,
			},
		},
		{
			name:  "lease",
			input: "lease:\n  stale_after: 5m\n",
			want:  []string{`.github/shepherd.yaml:2:16: lease.stale_after: 5m is not between 10m and 7d`},
		},
		{
			name:  "freeze",
			input: "freeze:\n  days: 120\n  allowed_labels: [bug, \"\", Bug, \"" + strings.Repeat("x", 51) + "\"]\n",
			want: []string{
				`.github/shepherd.yaml:2:9: freeze.days: 120 is more than 90 days (0 turns the freeze off)`,
				`.github/shepherd.yaml:3:25: freeze.allowed_labels[1]: must not be empty`,
				`.github/shepherd.yaml:3:29: freeze.allowed_labels[2]: "Bug" is already freeze.allowed_labels[0] (GitHub compares label names without case)`,
				`.github/shepherd.yaml:3:34: freeze.allowed_labels[3]: "` + strings.Repeat("x", 51) + `" is longer than 50 characters (GitHub's limit)`,
			},
		},
		{
			name:  "freeze days negative",
			input: "freeze:\n  days: -1\n",
			want:  []string{`.github/shepherd.yaml:2:9: freeze.days: -1 is not a number of days (expected a whole number from 0)`},
		},
		{
			name:  "empty file",
			input: "\n",
			want:  []string{`.github/shepherd.yaml:1:1: the file is empty: delete it to use the defaults, or write {}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig(ConfigPath, []byte(tt.input))
			require.Error(t, err)
			assert.Nil(t, cfg)
			assert.Equal(t, tt.want, strings.Split(err.Error(), "\n"))
		})
	}
}

func TestLabelDuplicatesPointAtTheLabelWritten(t *testing.T) {
	// labels.qa is written second in the file but comes first in phase order.
	_, err := ParseConfig(ConfigPath, []byte("labels:\n  deploy: x\n  qa: x\n"))
	assert.EqualError(t, err, `.github/shepherd.yaml:2:11: labels.deploy: "x" is also the label of labels.qa (labels must differ)`)
}

func TestValidateConfigBuiltInCode(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Exports = append(cfg.Exports, ExportSpec{Name: "csv", Format: FormatScript, Command: []string{"x"}})
	cfg.Storage.Type = ""
	assert.EqualError(t, cfg.Validate(), strings.Join([]string{
		`storage.type: "" is not a storage type (expected s3 or local)`,
		`exports[2].timeout: must be longer than 0 (expected e.g. 10m, 1h, 21d)`,
	}, "\n"))
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "shepherd.yaml")
	cfg, err := LoadConfig(missing)
	require.NoError(t, err, "a missing file means the defaults")
	want := DefaultConfig()
	want.File = missing
	assert.Equal(t, *want, plainConfig(cfg))

	require.NoError(t, os.WriteFile(missing, []byte("poll:\n  interval: 5m\n"), 0o644))
	cfg, err = LoadConfig(missing)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute, cfg.Poll.Interval)

	require.NoError(t, os.WriteFile(missing, []byte("poll:\n  interval: 5\n"), 0o644))
	_, err = LoadConfig(missing)
	assert.EqualError(t, err, missing+`:2:13: poll.interval: expected a duration (expected e.g. 10m, 1h, 21d), got the number 5`)
}

func TestS3Endpoint(t *testing.T) {
	tests := []struct {
		endpoint   string
		insecure   bool
		wantHost   string
		wantSecure bool
		wantErr    string
	}{
		{"", false, "s3.amazonaws.com", true, ""},
		{"rustfs.example.org:9000", false, "rustfs.example.org:9000", true, ""},
		{"127.0.0.1:9000", true, "127.0.0.1:9000", false, ""},
		{"https://rustfs.example.org", false, "rustfs.example.org", true, ""},
		{"http://127.0.0.1:9000/", true, "127.0.0.1:9000", false, ""},
		{"http://127.0.0.1:9000", false, "", false, `"http://127.0.0.1:9000" is plain http but storage.insecure is false (set insecure: true, or use https://)`},
		{"https://x.org", true, "", false, `"https://x.org" is https but storage.insecure is true (remove one)`},
		{"https://x.org/bucket", false, "", false, `"https://x.org/bucket" has a path: S3 endpoints are a host and port only`},
		{"ftp://x.org", false, "", false, `"ftp://x.org" must start with https:// or http://`},
		{"x.org/bucket", false, "", false, `"x.org/bucket" is not host:port or a URL`},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			host, secure, err := StorageConfig{Endpoint: tt.endpoint, Insecure: tt.insecure}.S3Endpoint()
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantHost, host)
			assert.Equal(t, tt.wantSecure, secure)
		})
	}
}

func TestDurations(t *testing.T) {
	tests := []struct {
		in     string
		want   time.Duration
		format string
		bad    bool
	}{
		{in: "10m", want: 10 * time.Minute, format: "10m"},
		{in: "21d", want: 21 * 24 * time.Hour, format: "21d"},
		{in: "504h", want: 21 * 24 * time.Hour, format: "21d"},
		{in: "1d12h", want: 36 * time.Hour, format: "36h"},
		{in: "1h30m", want: 90 * time.Minute, format: "1h30m"},
		{in: "90s", want: 90 * time.Second, format: "1m30s"},
		{in: "0d", want: 0, format: "0s"},
		{in: "d", bad: true},
		{in: "1.5d", bad: true},
		{in: "1d-1h", bad: true},
		{in: "1dd", bad: true},
		{in: "99999999d", bad: true},
		{in: "ten minutes", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.bad {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.format, FormatDuration(got))
		})
	}
}

func TestSizes(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		format string
		bad    bool
	}{
		{in: "16MiB", want: 16 << 20, format: "16MiB"},
		{in: "8MB", want: 8_000_000, format: "8000000"},
		{in: "5 GiB", want: 5 << 30, format: "5GiB"},
		{in: "1024", want: 1024, format: "1KiB"},
		{in: "100B", want: 100, format: "100"},
		{in: "16mib", bad: true},
		{in: "-1MiB", bad: true},
		{in: "99999999999GiB", bad: true},
		{in: "MiB", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if tt.bad {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.format, FormatSize(got))
		})
	}
}
