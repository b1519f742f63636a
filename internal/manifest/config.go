package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
)

// ConfigPath is where the repository configuration lives.
const ConfigPath = ".github/shepherd.yaml"

// Config is the repository configuration. DefaultConfig holds every default; a
// configuration file only needs the fields it changes.
type Config struct {
	// File is the name the configuration was read from ("" for DefaultConfig).
	File      string
	OCL       OCLConfig
	Poll      PollConfig
	Retention time.Duration // how long published files stay downloadable
	Storage   StorageConfig
	Exports   []ExportSpec // the artifacts every release produces, in order
	QA        QAConfig
	// ExportLimits bound what an export file may make Shepherd read.
	ExportLimits ExportLimits
	Labels       Labels
	GitHub       GitHubConfig
	// Freeze is the code freeze after a major release.
	Freeze FreezeConfig
	// Lease says when a run's hold on a release is reported as stale.
	Lease   LeaseConfig
	Signing SigningConfig
	// Reminders say how long a release may wait in a phase before the daily reminder.
	Reminders RemindersConfig
	// Rollout governs the channels a published release moves through (docs/rollout.md).
	Rollout RolloutConfig

	pos positions
}

// OCLConfig names the OCL server and the source released from it.
type OCLConfig struct {
	BaseURL  string
	Org      string
	Source   string
	TokenEnv string // the environment variable holding the API token
	// ReleaseOn says when the version is marked released on OCL, which makes it latest/.
	ReleaseOn ReleaseOn
	// PageSize is the number of concepts asked per listing page (QA on HEAD), 1 to 1000.
	PageSize int
	// RequestTimeout bounds the wait for one answer from OCL (its headers): a verbose
	// listing page is serialised whole before OCL answers.
	RequestTimeout time.Duration
	// ListingRereads is how many times a HEAD listing that moved while it was read (an
	// edit reorders it) is read again before QA on HEAD gives up for this run.
	ListingRereads int
}

// RolloutConfig governs the channels a published release moves through.
type RolloutConfig struct {
	// GracePeriod is how long a release stays staged before promote to production is
	// accepted without an override.
	GracePeriod time.Duration
	// Teams are "org/team-slug": active members of these teams may move releases
	// although the repository gives them less than write permission.
	Teams []string
}

// githubTeam is "org/team-slug" as GitHub spells them: the org a login, the slug
// lower-case letters, digits, "-" and "_".
var githubTeam = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([a-z0-9][a-z0-9_-]*)$`)

func (rc RolloutConfig) check(r *reporter) {
	if rc.GracePeriod < 0 {
		r.atValue("rollout.grace_period", "must not be negative (%s; 0 lets a release go to production at once)", durationExamples)
	}
	first := map[string]int{}
	for i, team := range rc.Teams {
		p := indexPath("rollout.teams", i)
		key := strings.ToLower(team)
		j, repeated := first[key]
		switch {
		case !githubTeam.MatchString(team):
			r.atValue(p, "%s is not a team: write org/team-slug, the slug as in the team's URL (https://github.com/orgs/ORG/teams/SLUG)", quote(team))
		case repeated:
			r.atValue(p, "%s is already rollout.teams[%d]", quote(team), j)
		default:
			first[key] = i
		}
	}
}

// CheckTeamsOwner reports every rollout team outside owner's organization: GitHub only
// answers for teams of the repository's owner, so such a team could never allow anyone.
func (c *Config) CheckTeamsOwner(owner string) error {
	r := &reporter{file: c.File, pos: c.pos}
	for i, team := range c.Rollout.Teams {
		if org, _, ok := strings.Cut(team, "/"); ok && !strings.EqualFold(org, owner) {
			r.atValue(indexPath("rollout.teams", i), "%s is a team of %s, not of %s, which owns the repository", quote(team), org, owner)
		}
	}
	return r.errs.err()
}

// ReleaseOn is when a version is marked released on OCL.
type ReleaseOn string

const (
	// ReleaseOnCreate creates the version released: it is latest/ before its export exists.
	ReleaseOnCreate ReleaseOn = "create"
	// ReleaseOnExportQA creates it unreleased and marks it released once its export
	// passed QA and the artifacts are published.
	ReleaseOnExportQA ReleaseOn = "export-qa"
	// ReleaseOnManual creates it unreleased and never marks it released.
	ReleaseOnManual ReleaseOn = "manual"
)

// PollConfig paces the wait for OCL to build an export.
type PollConfig struct {
	Interval    time.Duration
	MaxAttempts int // polls made without an export before the release is incomplete
	// RequestExportAfter is the number of polls answered "no export" (with the version no
	// longer processing) after which OCL is asked to build the export again: its export
	// task may have crashed, and nothing on OCL retries it.
	RequestExportAfter int
	// RequestExportEvery is the least time between two such requests.
	RequestExportEvery time.Duration
}

// StorageType selects where artifacts are published.
type StorageType string

const (
	StorageS3    StorageType = "s3"
	StorageLocal StorageType = "local"
)

// LinkMode selects how download links are made.
type LinkMode string

const (
	// LinkPresigned links are signed, expire within 7 days and are re-issued.
	LinkPresigned LinkMode = "presigned"
	// LinkPublic links are plain URLs to objects the bucket lets anyone read.
	LinkPublic LinkMode = "public"
)

// StorageConfig says where artifacts go and how people download them.
type StorageConfig struct {
	Type          StorageType
	Endpoint      string // host:port or URL; "" for AWS S3
	Region        string
	Bucket        string
	Prefix        string // keys are <prefix>/<version>/<file>
	PathStyle     bool   // bucket in the path, as RustFS and MinIO expect
	Insecure      bool   // plain http
	AccessKeyEnv  string // the environment variable holding the access key
	SecretKeyEnv  string // the environment variable holding the secret key
	LinkMode      LinkMode
	PublicBaseURL string // the base of public links; "" for the endpoint's own URL
	LocalDir      string // the folder of the local store
	PartSize      int64  // multipart upload part size in bytes
}

// ExportFormat is the kind of an export.
type ExportFormat string

const (
	FormatOpenMRS111 ExportFormat = "openmrs-1.11"
	FormatOpenMRS2   ExportFormat = "openmrs-2"
	FormatScript     ExportFormat = "script"
)

// IsSQL reports whether the format is one of the OpenMRS SQL formats.
func (f ExportFormat) IsSQL() bool {
	return f == FormatOpenMRS111 || f == FormatOpenMRS2
}

// ExportSpec is one artifact to produce from an OCL export.
type ExportSpec struct {
	Name     string
	Format   ExportFormat
	LoadTest bool              // SQL formats: load the SQL into MySQL/MariaDB and check it
	Command  []string          // scripts: program and arguments
	Timeout  time.Duration     // scripts: time limit
	Env      map[string]string // scripts: extra environment variables
}

// QAConfig is how QA runs: rule overrides and a bound on the report's size.
type QAConfig struct {
	QAOverrides
	MaxFindings int // findings kept in a report; the counts stay exact
}

// ExportLimits guard against broken or hostile export files, in MiB and as a ratio.
type ExportLimits struct {
	MaxJSONMiB  int // the size of export.json, as declared and as read
	MaxValueMiB int // one value: a top-level field, or one concept, mapping or reference
	MaxRatio    int // export.json's size to the zip file's size, for exports over 64 MiB
}

// Labels are the GitHub label names that mirror a release's phase.
type Labels struct {
	QA         string
	Deploy     string
	Exporting  string
	ExportQA   string
	Scripts    string
	Publishing string
	Done       string
	Failed     string
	Incomplete string
}

// LeaseConfig bounds a run's hold on a release (its lease): one whose last sign of life
// is older than StaleAfter is reported loudly on the status and in the logs, because the
// run that took it has most likely died.
type LeaseConfig struct {
	StaleAfter time.Duration
}

// RemindersConfig: a release that has waited in a phase, or once published in a
// channel, longer than that phase's or channel's limit (0: never) gets one reminder a
// day on its tracking issue, mentioning who can act: the release PR's author and
// approvers, Owners and the rollout teams (only those who may act in the repository).
// Nothing is ever closed or retried by a reminder.
type RemindersConfig struct {
	// After maps a phase or channel name to its limit; those not named have none.
	After  map[string]time.Duration
	Owners []string
	// ReviewDays is how many days an open release PR with a green preview may wait for an
	// approving review before the daily reminder on it (0: never).
	ReviewDays int
}

// ReminderPhases are the phases a reminder can be about: the ones a release can wait in.
var ReminderPhases = []string{"qa", "deploy", "exporting", "export-qa", "scripts", "publishing", "failed", "incomplete"}

// ReminderChannels are the channels a published release can wait in for a person's
// promotion: production is where it stays, superseded and withdrawn are ends.
var ReminderChannels = []string{"unverified", "staged"}

// reminderKeys are the phases and channels with a reminder limit each.
func reminderKeys() []string { return append(slices.Clone(ReminderPhases), ReminderChannels...) }

// FreezeConfig is the code freeze after a major release: for Days after the release is
// published, a pull request to the default branch may merge only with one of
// AllowedLabels (the shepherd/freeze commit status says so).
type FreezeConfig struct {
	Days          int // 0 turns the freeze off
	AllowedLabels []string
}

// Until is when a freeze that began at start ends.
func (f FreezeConfig) Until(start time.Time) time.Time {
	return start.Add(time.Duration(f.Days) * day)
}

// Allows reports whether a pull request with labels may merge during a freeze. GitHub
// compares label names without case.
func (f FreezeConfig) Allows(labels []string) (string, bool) {
	for _, l := range labels {
		for _, allowed := range f.AllowedLabels {
			if strings.EqualFold(l, allowed) {
				return l, true
			}
		}
	}
	return "", false
}

// GitHubConfig holds GitHub settings beyond the workflow's own token.
type GitHubConfig struct {
	Environment string // a GitHub environment whose reviewers guard version creation
	AppIDEnv    string // the environment variable holding the GitHub App id
	AppKeyEnv   string // the environment variable holding the App's private key
	BaseURL     string // the API URL of GitHub Enterprise; "" for github.com
}

// SigningConfig is how a release's SHA256SUMS is signed (docs/integrity.md).
type SigningConfig struct {
	// AllowedSigners is the allowed_signers file in the repository that the signing key
	// must be listed in; "" leaves releases unsigned, with a warning on their status.
	AllowedSigners string
	// KeyEnv is the environment variable holding the OpenSSH private key.
	KeyEnv string
	// Required fails a release whose key is missing; when false, such a release is
	// published unsigned with a warning. A key that is present but not allowed always
	// fails the release.
	Required bool
	// Attest writes the published files' checksums for a GitHub artifact attestation
	// (actions/attest-build-provenance) to the file SHEPHERD_ATTEST_SUBJECTS names.
	Attest bool
}

// Signs reports whether releases are to be signed.
func (s SigningConfig) Signs() bool { return s.AllowedSigners != "" }

// DefaultConfig returns the configuration used when the repository has none.
func DefaultConfig() *Config {
	return &Config{
		OCL: OCLConfig{
			BaseURL:  "https://api.openconceptlab.org",
			Org:      "CIEL",
			Source:   "CIEL",
			TokenEnv: "OCL_TOKEN",
			// A page of 1000 verbose CIEL concepts with mappings can take well over a
			// minute to serialise; 500 keeps a page under gateway time-outs, and 5
			// minutes leaves room beyond the 128 s the OpenMRS OCL module waits.
			ReleaseOn:      ReleaseOnExportQA,
			PageSize:       500,
			RequestTimeout: 5 * time.Minute,
			ListingRereads: 3,
		},
		Poll: PollConfig{Interval: 10 * time.Minute, MaxAttempts: 72,
			RequestExportAfter: 6, RequestExportEvery: 6 * time.Hour},
		Retention: 21 * day,
		Storage: StorageConfig{
			Type:         StorageLocal,
			Region:       "us-east-1",
			Prefix:       "releases",
			PathStyle:    true,
			AccessKeyEnv: "SHEPHERD_S3_ACCESS_KEY",
			SecretKeyEnv: "SHEPHERD_S3_SECRET_KEY",
			LinkMode:     LinkPresigned,
			LocalDir:     "shepherd-artifacts",
			PartSize:     16 << 20,
		},
		Exports: []ExportSpec{
			{Name: string(FormatOpenMRS111), Format: FormatOpenMRS111, LoadTest: true},
			{Name: string(FormatOpenMRS2), Format: FormatOpenMRS2, LoadTest: true},
		},
		QA:           QAConfig{MaxFindings: 100000},
		ExportLimits: ExportLimits{MaxJSONMiB: 8 << 10, MaxValueMiB: 64, MaxRatio: 200},
		Labels: Labels{
			QA:         "release:qa",
			Deploy:     "release:deploy",
			Exporting:  "release:exporting",
			ExportQA:   "release:export-qa",
			Scripts:    "release:scripts",
			Publishing: "release:publishing",
			Done:       "release:done",
			Failed:     "release:failed",
			Incomplete: "release:incomplete",
		},
		GitHub: GitHubConfig{
			AppIDEnv:  "SHEPHERD_APP_ID",
			AppKeyEnv: "SHEPHERD_APP_PRIVATE_KEY",
		},
		Freeze: FreezeConfig{Days: 7, AllowedLabels: []string{"bug", "docs", "hotfix", "security"}},
		Lease:  LeaseConfig{StaleAfter: 45 * time.Minute},
		// Unsigned until the repository names its signers: a first release needs no
		// secret, and its status says it is unsigned.
		Signing: SigningConfig{KeyEnv: "SHEPHERD_SIGNING_KEY", Required: true},
		Reminders: RemindersConfig{After: map[string]time.Duration{"qa": 0, "deploy": 2 * day, "exporting": 0, "export-qa": 0,
			"scripts": 0, "publishing": 0, "failed": 2 * day, "incomplete": 2 * day, "unverified": 0, "staged": 0}, Owners: []string{}, ReviewDays: 3},
		Rollout: RolloutConfig{GracePeriod: 7 * day, Teams: []string{}},
	}
}

const defaultScriptTimeout = 30 * time.Minute

// LoadConfig reads the configuration file; a missing file means the defaults.
func LoadConfig(filename string) (*Config, error) {
	data, err := readLimited(filename)
	if errors.Is(err, fs.ErrNotExist) {
		cfg := DefaultConfig()
		cfg.File = filename
		return cfg, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseConfig(filename, data)
}

// ParseConfig parses and validates a configuration file. The error, if any, is an
// Errors listing every problem.
func ParseConfig(filename string, data []byte) (*Config, error) {
	r := &reporter{file: filename, pos: newPositions()}
	root, ok := parseRoot(r, data, "delete it to use the defaults, or write {}")
	if !ok {
		return nil, r.errs.err()
	}
	c := DefaultConfig()
	c.File = filename
	c.pos = r.pos
	r.pos.values[""] = nodePosition(root)
	d := &decoder{r}
	d.object(root, "", c.fields(d))
	// Storage defaults to S3 as soon as a bucket is named.
	if !r.pos.present("storage.type") && c.Storage.Bucket != "" {
		c.Storage.Type = StorageS3
	}
	checks := &reporter{file: filename, pos: r.pos}
	c.check(checks)
	if errs := mergeChecks(r.errs, checks.errs); len(errs) > 0 {
		return nil, errs.err()
	}
	return c, nil
}

func (c *Config) fields(d *decoder) []field {
	return []field{
		{"ocl", d.nested([]field{
			{"base_url", setText(d, &c.OCL.BaseURL)},
			{"org", setText(d, &c.OCL.Org)},
			{"source", setText(d, &c.OCL.Source)},
			{"token_env", d.setEnvName(&c.OCL.TokenEnv)},
			{"release_on", setText(d, &c.OCL.ReleaseOn)},
			{"page_size", d.setPositive(&c.OCL.PageSize, "a page size")},
			{"request_timeout", d.setDuration(&c.OCL.RequestTimeout)},
			{"listing_rereads", d.setCount(&c.OCL.ListingRereads, "a number of re-reads")},
		})},
		{"poll", d.nested([]field{
			{"interval", d.setDuration(&c.Poll.Interval)},
			{"max_attempts", d.setPositive(&c.Poll.MaxAttempts, "a number of attempts")},
			{"request_export_after", d.setPositive(&c.Poll.RequestExportAfter, "a number of polls")},
			{"request_export_every", d.setDuration(&c.Poll.RequestExportEvery)},
		})},
		{"retention", d.setDuration(&c.Retention)},
		{"rollout", d.nested([]field{
			{"grace_period", d.setDuration(&c.Rollout.GracePeriod)},
			{"teams", d.setTextList(&c.Rollout.Teams)},
		})},
		{"storage", d.nested(c.Storage.fields(d))},
		{"exports", c.decodeExports(d)},
		{"qa", d.nested(append(d.qaOverrideFields(&c.QA.QAOverrides),
			field{"max_findings", d.setPositive(&c.QA.MaxFindings, "a number of findings")}))},
		{"export_limits", d.nested([]field{
			{"max_json_mib", d.setPositive(&c.ExportLimits.MaxJSONMiB, "a size in MiB")},
			{"max_value_mib", d.setPositive(&c.ExportLimits.MaxValueMiB, "a size in MiB")},
			{"max_ratio", d.setPositive(&c.ExportLimits.MaxRatio, "a compression ratio")},
		})},
		{"labels", d.nested(c.Labels.fields(d))},
		{"github", d.nested([]field{
			{"environment", setText(d, &c.GitHub.Environment)},
			{"app_id_env", d.setEnvName(&c.GitHub.AppIDEnv)},
			{"app_key_env", d.setEnvName(&c.GitHub.AppKeyEnv)},
			{"base_url", setText(d, &c.GitHub.BaseURL)},
		})},
		{"freeze", d.nested([]field{
			{"days", d.setCount(&c.Freeze.Days, "a number of days")},
			{"allowed_labels", d.setTextList(&c.Freeze.AllowedLabels)},
		})},
		{"lease", d.nested([]field{
			{"stale_after", d.setDuration(&c.Lease.StaleAfter)},
		})},
		{"signing", d.nested([]field{
			{"allowed_signers", setText(d, &c.Signing.AllowedSigners)},
			{"key_env", d.setEnvName(&c.Signing.KeyEnv)},
			{"required", d.setBool(&c.Signing.Required)},
			{"attest", d.setBool(&c.Signing.Attest)},
		})},
		{"reminders", d.nested(c.Reminders.fields(d))},
	}
}

func (s *StorageConfig) fields(d *decoder) []field {
	return []field{
		{"type", setText(d, &s.Type)},
		{"endpoint", setText(d, &s.Endpoint)},
		{"region", setText(d, &s.Region)},
		{"bucket", setText(d, &s.Bucket)},
		{"prefix", setText(d, &s.Prefix)},
		{"path_style", d.setBool(&s.PathStyle)},
		{"insecure", d.setBool(&s.Insecure)},
		{"access_key_env", d.setEnvName(&s.AccessKeyEnv)},
		{"secret_key_env", d.setEnvName(&s.SecretKeyEnv)},
		{"link_mode", setText(d, &s.LinkMode)},
		{"public_base_url", setText(d, &s.PublicBaseURL)},
		{"local_dir", setText(d, &s.LocalDir)},
		{"part_size", d.setSize(&s.PartSize)},
	}
}

// decodeExports replaces the default export list with the file's. Items stay at their
// index even when broken, so that later checks point at the right one.
func (c *Config) decodeExports(d *decoder) func(ast.Node, string) {
	return func(n ast.Node, path string) {
		items, ok := d.list(n, path)
		if !ok {
			return
		}
		specs := make([]ExportSpec, len(items))
		for i, item := range items {
			if item == nil {
				continue
			}
			itemPath := indexPath(path, i)
			spec := &specs[i]
			d.object(item, itemPath, spec.fields(d))
			if !d.pos.present(joinPath(itemPath, "name")) && spec.Format.IsSQL() {
				spec.Name = string(spec.Format)
			}
			if !d.pos.present(joinPath(itemPath, "timeout")) && spec.Format == FormatScript {
				spec.Timeout = defaultScriptTimeout
			}
		}
		c.Exports = specs
	}
}

func (e *ExportSpec) fields(d *decoder) []field {
	return []field{
		{"name", setText(d, &e.Name)},
		{"format", setText(d, &e.Format)},
		{"load_test", d.setBool(&e.LoadTest)},
		{"command", d.setTextList(&e.Command)},
		{"timeout", d.setDuration(&e.Timeout)},
		{"env", d.setTextMap(&e.Env)},
	}
}

// labelKeys pairs each label's key in the file with its field.
func (l *Labels) labelKeys() []struct {
	key  string
	name *string
} {
	return []struct {
		key  string
		name *string
	}{
		{"qa", &l.QA}, {"deploy", &l.Deploy}, {"exporting", &l.Exporting},
		{"export_qa", &l.ExportQA}, {"scripts", &l.Scripts}, {"publishing", &l.Publishing},
		{"done", &l.Done}, {"failed", &l.Failed}, {"incomplete", &l.Incomplete},
	}
}

func (l *Labels) fields(d *decoder) []field {
	var fields []field
	for _, k := range l.labelKeys() {
		fields = append(fields, field{k.key, setText(d, k.name)})
	}
	return fields
}

// All returns every label name, in phase order.
func (l Labels) All() []string {
	var names []string
	for _, k := range l.labelKeys() {
		names = append(names, *k.name)
	}
	return names
}

// Sets reports whether the configuration file itself gives the setting at path (like
// "ocl.source"), rather than leaving it to the defaults.
func (c *Config) Sets(path string) bool { return c.pos.present(path) }

// Export returns the configured export with that name.
func (c *Config) Export(name string) (ExportSpec, bool) {
	for _, e := range c.Exports {
		if e.Name == name {
			return e, true
		}
	}
	return ExportSpec{}, false
}

func (c *Config) hasExport(name string) bool {
	_, ok := c.Export(name)
	return ok
}

func (c *Config) exportNames() string {
	if len(c.Exports) == 0 {
		return "none"
	}
	names := make([]string, len(c.Exports))
	for i, e := range c.Exports {
		names[i] = e.Name
	}
	return strings.Join(names, ", ")
}

// Validate checks every field. Problems carry the position of the field in the file
// the configuration was parsed from.
func (c *Config) Validate() error {
	r := &reporter{file: c.File, pos: c.pos}
	c.check(r)
	return r.errs.err()
}

func (c *Config) check(r *reporter) {
	c.OCL.check(r)
	if c.Poll.Interval <= 0 {
		r.atValue("poll.interval", "must be longer than 0 (%s)", durationExamples)
	}
	if c.Poll.MaxAttempts < 1 {
		r.atValue("poll.max_attempts", "must be at least 1")
	}
	if c.Poll.RequestExportAfter < 1 {
		r.atValue("poll.request_export_after", "must be at least 1")
	}
	if c.Poll.RequestExportEvery < c.Poll.Interval {
		r.atValue("poll.request_export_every", "%s is shorter than poll.interval (%s): OCL would be asked on every poll",
			FormatDuration(c.Poll.RequestExportEvery), FormatDuration(c.Poll.Interval))
	}
	switch {
	case c.Retention < day:
		r.atValue("retention", "%s is shorter than a day (%s)", FormatDuration(c.Retention), durationExamples)
	case c.Retention%day != 0:
		r.atValue("retention", "%s is not a whole number of days (bucket lifecycle rules count in days)", FormatDuration(c.Retention))
	}
	c.Rollout.check(r)
	c.Storage.check(r)
	c.checkExports(r)
	c.QA.QAOverrides.check(r, "qa")
	if c.QA.MaxFindings < 1 {
		r.atValue("qa.max_findings", "must be at least 1")
	}
	if c.ExportLimits.MaxValueMiB > c.ExportLimits.MaxJSONMiB {
		r.atValue("export_limits.max_value_mib", "%d MiB is more than export_limits.max_json_mib (%d MiB)", c.ExportLimits.MaxValueMiB, c.ExportLimits.MaxJSONMiB)
	}
	c.Labels.check(r)
	c.GitHub.check(r)
	c.Freeze.check(r)
	c.Reminders.check(r)
	// A staged release may not go to production before the grace period ends: a reminder
	// before then would ask for a promotion that is refused.
	if staged := c.Reminders.After["staged"]; staged > 0 && staged < c.Rollout.GracePeriod {
		r.atValue("reminders.staged", "%s is shorter than rollout.grace_period (%s): the reminder would ask for a promotion the grace period still refuses",
			FormatDuration(staged), FormatDuration(c.Rollout.GracePeriod))
	}
	if c.Lease.StaleAfter < 10*time.Minute || c.Lease.StaleAfter > 7*day {
		r.atValue("lease.stale_after", "%s is not between 10m and 7d", FormatDuration(c.Lease.StaleAfter))
	}
	c.Signing.check(r)
}

func (s SigningConfig) check(r *reporter) {
	checkEnvName(r, "signing.key_env", s.KeyEnv)
	p := s.AllowedSigners
	if p != "" && (strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") || strings.ContainsAny(p, "\\\n")) {
		r.atValue("signing.allowed_signers", "%s is not a path inside the repository (expected e.g. .github/allowed_signers)", quote(p))
	}
}

// maxFreezeDays bounds the freeze: a longer one is a typo, or a branch protection rule.
const maxFreezeDays = 90

func (f FreezeConfig) check(r *reporter) {
	if f.Days > maxFreezeDays {
		r.atValue("freeze.days", "%d is more than %d days (0 turns the freeze off)", f.Days, maxFreezeDays)
	}
	first := map[string]int{}
	for i, name := range f.AllowedLabels {
		p := indexPath("freeze.allowed_labels", i)
		key := strings.ToLower(name)
		j, repeated := first[key]
		switch {
		case !checkLabelName(r, p, name):
		case repeated:
			r.atValue(p, "%s is already freeze.allowed_labels[%d] (GitHub compares label names without case)", quote(name), j)
		default:
			first[key] = i
		}
	}
}

func checkEnvName(r *reporter, path, name string) {
	if !envNamePattern.MatchString(name) {
		// The value is not repeated: it may be a secret pasted in the wrong place.
		r.atValue(path, "expected the name of an environment variable in capitals, like OCL_TOKEN (the value is not shown in case it is a secret)")
	}
}

func (o OCLConfig) check(r *reporter) {
	if err := checkHTTPURL(o.BaseURL); err != nil {
		r.atValue("ocl.base_url", "%s %v", quote(o.BaseURL), err)
	}
	for _, f := range []struct{ path, value string }{{"ocl.org", o.Org}, {"ocl.source", o.Source}} {
		if !mnemonicPattern.MatchString(f.value) {
			r.atValue(f.path, "%s is not an OCL id (expected letters, digits, '.', '_', '-' or '@', like CIEL)", quote(f.value))
		}
	}
	checkEnvName(r, "ocl.token_env", o.TokenEnv)
	switch o.ReleaseOn {
	case ReleaseOnCreate, ReleaseOnExportQA, ReleaseOnManual:
	default:
		r.atValue("ocl.release_on", "%s is not a release moment (expected create, export-qa or manual)", quote(string(o.ReleaseOn)))
	}
	if o.PageSize < 1 || o.PageSize > maxOCLPageSize {
		// OCL silently serves 25 items for a limit above 1000.
		r.atValue("ocl.page_size", "%d is outside 1 to %d (OCL serves 25 items for a larger limit)", o.PageSize, maxOCLPageSize)
	}
	if o.RequestTimeout < time.Second {
		r.atValue("ocl.request_timeout", "must be at least 1s (%s)", durationExamples)
	}
	if o.ListingRereads < 0 || o.ListingRereads > maxListingRereads {
		r.atValue("ocl.listing_rereads", "%d is outside 0 to %d", o.ListingRereads, maxListingRereads)
	}
}

// maxOCLPageSize is the largest listing page OCL serves.
const maxOCLPageSize = 1000

// maxListingRereads bounds the re-reads of a moving listing: each is a full read of HEAD.
const maxListingRereads = 10

var bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func (s StorageConfig) check(r *reporter) {
	switch s.Type {
	case StorageS3:
		if s.Bucket == "" {
			r.atKey("storage.bucket", "required for storage type s3")
		}
		if _, _, err := s.S3Endpoint(); err != nil {
			r.atValue("storage.endpoint", "%v", err)
		}
	case StorageLocal:
	default:
		r.atValue("storage.type", "%s is not a storage type (expected s3 or local)", quote(string(s.Type)))
	}
	if s.Bucket != "" && !bucketPattern.MatchString(s.Bucket) {
		r.atValue("storage.bucket", "%s is not a bucket name (expected 3 to 63 lower-case letters, digits, '.' or '-')", quote(s.Bucket))
	}
	if s.Region == "" {
		r.atValue("storage.region", "must not be empty (expected e.g. us-east-1)")
	}
	if err := checkPrefix(s.Prefix); err != nil {
		r.atValue("storage.prefix", "%s %v", quote(s.Prefix), err)
	}
	checkEnvName(r, "storage.access_key_env", s.AccessKeyEnv)
	checkEnvName(r, "storage.secret_key_env", s.SecretKeyEnv)
	switch s.LinkMode {
	case LinkPresigned:
		if s.PublicBaseURL != "" {
			r.atValue("storage.public_base_url", "is only used when link_mode is public")
		}
	case LinkPublic:
		if s.PublicBaseURL != "" {
			if err := checkHTTPURL(s.PublicBaseURL); err != nil {
				r.atValue("storage.public_base_url", "%s %v", quote(s.PublicBaseURL), err)
			}
		}
	default:
		r.atValue("storage.link_mode", "%s is not a link mode (expected presigned or public)", quote(string(s.LinkMode)))
	}
	if s.LocalDir == "" {
		r.atValue("storage.local_dir", "must not be empty (expected a folder, like shepherd-artifacts)")
	}
	const minPart, maxPart = 5 << 20, 5 << 30 // what S3 accepts for all but the last part
	if s.PartSize < minPart || s.PartSize > maxPart {
		r.atValue("storage.part_size", "%s is outside the range S3 accepts (5MiB to 5GiB)", FormatSize(s.PartSize))
	}
}

var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)

// checkPrefix keeps object keys predictable: plain segments, no "..", no empty parts.
func checkPrefix(prefix string) error {
	if !prefixPattern.MatchString(prefix) {
		return errors.New("is not a key prefix (expected segments of letters, digits, '.', '_' or '-' separated by '/', like releases or ciel/releases)")
	}
	for _, segment := range strings.Split(prefix, "/") {
		if segment == "." || segment == ".." {
			return errors.New("must not contain . or .. segments")
		}
	}
	first, _, _ := strings.Cut(prefix, "/")
	if what, ok := reservedFolders[first]; ok {
		return fmt.Errorf("must not start with %s/: Shepherd keeps its %s there, outside the prefix, so that the retention of the prefix never removes them", first, what)
	}
	return nil
}

// reservedFolders are the bucket's top-level folders Shepherd keeps beside the release
// prefix, with what each holds: they must outlive the files' retention, so the prefix may
// not reach into them.
var reservedFolders = map[string]string{"leases": "run leases", "channels": "channel indexes", "indexes": "changelog indexes"}

// S3Endpoint returns the endpoint as S3 clients take it, host and optional port, and
// whether to use TLS. An endpoint written as a URL must agree with Insecure, so that a
// typo cannot quietly send credentials over plain http.
func (s StorageConfig) S3Endpoint() (host string, secure bool, err error) {
	if s.Endpoint == "" {
		return "s3.amazonaws.com", !s.Insecure, nil
	}
	if !strings.Contains(s.Endpoint, "://") {
		if strings.ContainsAny(s.Endpoint, "/?# ") {
			return "", false, fmt.Errorf("%s is not host:port or a URL", quote(s.Endpoint))
		}
		return s.Endpoint, !s.Insecure, nil
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil || u.Host == "" || u.User != nil {
		return "", false, fmt.Errorf("%s is not host:port or a URL", quote(s.Endpoint))
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false, fmt.Errorf("%s has a path: S3 endpoints are a host and port only", quote(s.Endpoint))
	}
	switch {
	case u.Scheme == "http" && !s.Insecure:
		return "", false, fmt.Errorf("%s is plain http but storage.insecure is false (set insecure: true, or use https://)", quote(s.Endpoint))
	case u.Scheme == "https" && s.Insecure:
		return "", false, fmt.Errorf("%s is https but storage.insecure is true (remove one)", quote(s.Endpoint))
	case u.Scheme != "http" && u.Scheme != "https":
		return "", false, fmt.Errorf("%s must start with https:// or http://", quote(s.Endpoint))
	}
	return u.Host, u.Scheme == "https", nil
}

func (c *Config) checkExports(r *reporter) {
	firstIndex := map[string]int{}
	for i, e := range c.Exports {
		p := indexPath("exports", i)
		e.check(r, p)
		if e.Name == "" {
			continue
		}
		if first, seen := firstIndex[e.Name]; seen {
			r.atValue(joinPath(p, "name"), "%s is already the name of exports[%d] (names must be unique)", quote(e.Name), first)
			continue
		}
		firstIndex[e.Name] = i
	}
}

func (e ExportSpec) check(r *reporter, p string) {
	switch {
	case e.Format == "":
		r.atKey(joinPath(p, "format"), "required (expected openmrs-1.11, openmrs-2 or script)")
	case !e.Format.IsSQL() && e.Format != FormatScript:
		r.atValue(joinPath(p, "format"), "%s is not an export format (expected openmrs-1.11, openmrs-2 or script)", quote(string(e.Format)))
	}
	switch {
	case e.Name == "" && e.Format == FormatScript:
		r.atKey(joinPath(p, "name"), "required for a script export (a short name, like extra-csv)")
	case e.Name == "" && e.Format.IsSQL():
		r.atKey(joinPath(p, "name"), "required (the default is the format)")
	case e.Name == "":
		// Nothing to say before the format is right.
	case !exportNamePattern.MatchString(e.Name):
		r.atValue(joinPath(p, "name"), "%s is not an export name (expected up to 64 letters, digits, '.', '_' or '-')", quote(e.Name))
	}
	if e.Format == FormatScript {
		e.checkScript(r, p)
		return
	}
	// SQL formats (or an unknown format, already reported): script settings do not apply.
	for _, f := range []struct {
		name, what string
		set        bool
	}{{"command", "a command", len(e.Command) > 0}, {"timeout", "a timeout", e.Timeout != 0}, {"env", "env", len(e.Env) > 0}} {
		if f.set {
			r.atKey(joinPath(p, f.name), "only script exports take %s", f.what)
		}
	}
}

func (e ExportSpec) checkScript(r *reporter, p string) {
	if e.LoadTest {
		r.atValue(joinPath(p, "load_test"), "only SQL exports (openmrs-1.11, openmrs-2) can be load-tested")
	}
	commandPath := joinPath(p, "command")
	if len(e.Command) == 0 {
		r.atKey(commandPath, "required for a script export (the program and its arguments, like [python3, scripts/extra.py])")
	} else if e.Command[0] == "" {
		r.atValue(indexPath(commandPath, 0), "the program must not be empty")
	}
	if e.Timeout <= 0 {
		r.atValue(joinPath(p, "timeout"), "must be longer than 0 (%s)", durationExamples)
	}
	for _, name := range sortedKeys(e.Env) {
		if !envNamePattern.MatchString(name) {
			r.atKey(joinPath(joinPath(p, "env"), name), "%s is not an environment variable name (expected capitals, digits and _, like EXTRA_FLAGS)", quote(name))
		}
	}
}

const maxLabel = 50 // GitHub's limit on label names

// checkLabelName reports a label name GitHub would refuse; ok is false when it did.
func checkLabelName(r *reporter, p, name string) (ok bool) {
	switch {
	case strings.TrimSpace(name) == "":
		r.atValue(p, "must not be empty")
	case utf8.RuneCountInString(name) > maxLabel:
		r.atValue(p, "%s is longer than %d characters (GitHub's limit)", quote(name), maxLabel)
	default:
		return true
	}
	return false
}

func (l Labels) check(r *reporter) {
	firstPath := map[string]string{}
	for _, k := range l.labelKeys() {
		p := joinPath("labels", k.key)
		name := *k.name
		first, repeated := firstPath[name]
		switch {
		case !checkLabelName(r, p, name):
		case repeated && !r.pos.present(p) && r.pos.present(first):
			// Blame the label the file wrote, not the default it collides with.
			r.atValue(first, "%s is also the label of %s (labels must differ)", quote(name), p)
		case repeated:
			r.atValue(p, "%s is also the label of %s (labels must differ)", quote(name), first)
		default:
			firstPath[name] = p
		}
	}
}

func (g GitHubConfig) check(r *reporter) {
	if strings.ContainsAny(g.Environment, "\r\n") || utf8.RuneCountInString(g.Environment) > 255 {
		r.atValue("github.environment", "expected the name of a GitHub environment (one line, at most 255 characters)")
	}
	checkEnvName(r, "github.app_id_env", g.AppIDEnv)
	checkEnvName(r, "github.app_key_env", g.AppKeyEnv)
	if g.BaseURL != "" {
		if err := checkHTTPURL(g.BaseURL); err != nil {
			r.atValue("github.base_url", "%s %v", quote(g.BaseURL), err)
		}
	}
}

// fields are one duration per phase (written with "_" for "-") and channel, the owners
// and review_days.
func (rc *RemindersConfig) fields(d *decoder) []field {
	if rc.After == nil {
		rc.After = map[string]time.Duration{}
	}
	var fields []field
	for _, phase := range reminderKeys() {
		fields = append(fields, field{strings.ReplaceAll(phase, "-", "_"), func(n ast.Node, path string) {
			var v time.Duration
			d.setDuration(&v)(n, path)
			rc.After[phase] = v
		}})
	}
	return append(fields, field{"owners", d.setTextList(&rc.Owners)},
		field{"review_days", d.setCount(&rc.ReviewDays, "a number of days")})
}

// maxReviewDays bounds reminders.review_days: a longer wait is a typo.
const maxReviewDays = 365

// githubLogin is what GitHub accepts as a user name.
var githubLogin = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)

func (rc RemindersConfig) check(r *reporter) {
	for _, phase := range reminderKeys() {
		if v := rc.After[phase]; v != 0 && v < time.Hour {
			r.atValue("reminders."+strings.ReplaceAll(phase, "-", "_"), "%s is shorter than an hour (0s turns the reminder off)", FormatDuration(v))
		}
	}
	if rc.ReviewDays > maxReviewDays {
		r.atValue("reminders.review_days", "%d is more than %d days (0 turns the reminder off)", rc.ReviewDays, maxReviewDays)
	}
	for i, login := range rc.Owners {
		if !githubLogin.MatchString(login) {
			r.atValue(indexPath("reminders.owners", i), "%s is not a GitHub user name", quote(login))
		}
	}
}
