package steps

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/changelog"
	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/store"
)

// Record is everything Shepherd knows about one release. It lives as hidden JSON in the
// tracking issue's status section and is the source of truth: labels and the visible
// status are derived from it on every run.
type Record struct {
	Release     release.State `json:"release"`
	Org         string        `json:"org"`
	Source      string        `json:"source"`
	Description string        `json:"description"`
	Released    bool          `json:"released"`
	// Major is the manifest's major: true; its publication starts a code freeze (freeze.go).
	Major bool `json:"major,omitempty"`
	Issue int  `json:"issue"`
	// Exports names the configured exports this release produces.
	Exports []string `json:"exports"`
	// MergeSHA is the commit the release PR merged as: the tag points there.
	MergeSHA string `json:"merge_sha,omitempty"`

	HeadQA    *QAResult     `json:"head_qa,omitempty"`
	ExportQA  *QAResult     `json:"export_qa,omitempty"`
	Export    *ExportFile   `json:"export,omitempty"`
	OCL       *OCLState     `json:"ocl,omitempty"` // the version's marker, release flag and export requests
	Artifacts []ArtifactRef `json:"artifacts,omitempty"`
	// Counts is what the SQL holds, for manifest.json.
	Counts *export.Counts `json:"counts,omitempty"`
	// Changes is the summary of the changelog against the previous release.
	Changes   *changelog.Summary `json:"changes,omitempty"`
	Scripts   []ScriptRun        `json:"scripts,omitempty"`
	LoadTests []LoadTestRun      `json:"load_tests,omitempty"`
	Downloads []Download         `json:"downloads,omitempty"`
	// UploadedAt starts the retention period.
	UploadedAt time.Time `json:"uploaded_at,omitzero"`
	RemovedAt  time.Time `json:"removed_at,omitzero"`
	Tag        string    `json:"tag,omitempty"`
	ReleaseURL string    `json:"release_url,omitempty"`
	// Bundle is the offline bundle of every file (integrity.go).
	Bundle *ArtifactRef `json:"bundle,omitempty"`
	// Signature says who signed SHA256SUMS, or why the release is unsigned.
	Signature *Signature `json:"signature,omitempty"`
	// Withdrawn is set once the release is withdrawn.
	Withdrawn *Withdrawal `json:"withdrawn,omitempty"`
	// Milestones maps a milestone key to the id of the comment that announced it.
	Milestones map[string]int64 `json:"milestones,omitempty"`
	// Trouble counts the runs a transient error stopped in a row (errors.go).
	Trouble *Trouble `json:"trouble,omitempty"`
	// The release's lease lives in the bucket (lease.go): records written before kept a
	// "lease" here, which is read past and dropped at the next save.
	// Paused is the maintenance switch the last scheduled run found on (maintenance.go).
	Paused *Maintenance `json:"paused,omitempty"`
}

// Signature is how SHA256SUMS was signed: by whom, or why not.
type Signature struct {
	Principal   string `json:"principal,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// Unsigned is why the release is not signed ("" when it is).
	Unsigned string `json:"unsigned,omitempty"`
}

// Withdrawal is a release taken back: when, and why.
type Withdrawal struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// QAResult is what the status shows of a QA run; the full report is stored and linked.
type QAResult struct {
	At        time.Time      `json:"at"`
	Errors    int            `json:"errors"`
	Warnings  int            `json:"warnings"`
	Infos     int            `json:"infos"`
	Concepts  int            `json:"concepts"`
	Mappings  int            `json:"mappings"`
	ByRule    map[string]int `json:"by_rule,omitempty"`
	ReportURL string         `json:"report_url,omitempty"`
	ReportKey string         `json:"report_key,omitempty"`
	// ReportLinkUntil is when ReportURL stops working (zero: a public link, or unknown).
	ReportLinkUntil time.Time `json:"report_link_until,omitzero"`
}

// ExportFile is the downloaded OCL export.
type ExportFile struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Status string `json:"status"` // how OCL answered when it was ready
}

// ArtifactRef is a produced file.
type ArtifactRef struct {
	Name   string `json:"name"`
	Format string `json:"format,omitempty"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ScriptRun is one extra script's outcome.
type ScriptRun struct {
	Name     string  `json:"name"`
	ExitCode int     `json:"exit_code"`
	Seconds  float64 `json:"seconds"`
	LogURL   string  `json:"log_url,omitempty"`
}

// LoadTestRun is one SQL file loaded into a scratch MariaDB/MySQL database and checked.
type LoadTestRun struct {
	File    string  `json:"file"`
	Seconds float64 `json:"seconds"`
	Rows    int64   `json:"rows"`
	Skipped string  `json:"skipped,omitempty"` // why it did not run
}

// Milestone keys: each is announced by one comment per release, at most.
const (
	MilestoneQAFailed       = "qa-failed"
	MilestoneQAWarnings     = "qa-warnings"
	MilestoneExportQAFailed = "export-qa-failed"
	MilestoneFailed         = "failed"
	MilestoneIncomplete     = "incomplete"
	MilestoneExportReady    = "export-ready"
)

// oclID is what OCL accepts as an owner or repository id (OpenConceptLab/oclapi2
// core/common/constants.py NAMESPACE_REGEX).
var oclID = regexp.MustCompile(`^[a-zA-Z0-9\-._@]{1,100}$`)

var commitSHA = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// finished reports whether the release is finished for good: published (done) and its
// files removed at the end of their retention, withdrawn or not. Nothing carries it on
// again, so its lease has nothing left to guard; a person's command on it later takes a
// new one.
func (r *Record) finished() bool {
	return r.Release.Phase == release.Done && !r.RemovedAt.IsZero()
}

// validate checks a record read from GitHub before any step acts on it: it must be the
// record of version, kept on issue, and every field must be one the bot could have
// written. prefix is the storage prefix the release's files live under. The record is
// the bot's own text, but its section can be edited by people with triage rights:
// nothing in it may make a step panic, delete or link files outside the release's
// folder, or tell a date that contradicts its own timeline.
func (r *Record) validate(version string, issue int, prefix string, now time.Time) error {
	if err := r.Release.Validate(); err != nil {
		return err
	}
	if r.Release.Version != version {
		return fmt.Errorf("it is the record of release %q, not %s", r.Release.Version, version)
	}
	if r.Issue != 0 && r.Issue != issue {
		return fmt.Errorf("it names issue #%d as its tracking issue", r.Issue)
	}
	if !oclID.MatchString(r.Org) || !oclID.MatchString(r.Source) {
		return fmt.Errorf("org %q / source %q are not OCL ids", r.Org, r.Source)
	}
	for _, x := range r.Exports {
		if strings.TrimSpace(x) == "" {
			return errors.New("it lists an export without a name")
		}
	}
	if r.MergeSHA != "" && !commitSHA.MatchString(r.MergeSHA) {
		return fmt.Errorf("merge_sha %q is not a commit id", r.MergeSHA)
	}
	if r.Tag != "" && r.Tag != version {
		return fmt.Errorf("tag %q is not the release's version", r.Tag)
	}
	for key, id := range r.Milestones {
		if id < 0 {
			return fmt.Errorf("milestone %q names comment %d", key, id)
		}
	}
	for _, u := range []string{r.ReleaseURL, reportURL(r.HeadQA), reportURL(r.ExportQA)} {
		if err := checkLink(u); err != nil {
			return err
		}
	}
	for _, s := range r.Scripts {
		if err := checkLink(s.LogURL); err != nil {
			return err
		}
	}
	for _, t := range r.Release.Transitions {
		if err := checkLink(t.Run); err != nil {
			return err
		}
	}
	if ro := r.Release.Rollout; ro != nil {
		for _, m := range ro.Moves {
			if err := checkLink(m.Run); err != nil {
				return err
			}
		}
	}
	if r.Changes != nil {
		if err := r.Changes.Validate(); err != nil {
			return err
		}
	}
	if err := r.validateIntegrity(); err != nil {
		return err
	}
	if err := r.validateFiles(version, prefix, now); err != nil {
		return err
	}
	if err := r.validateTrouble(); err != nil {
		return err
	}
	return r.Paused.validate(now)
}

// maxWithdrawReason bounds the reason a withdrawal gives: it heads the GitHub Release.
const maxWithdrawReason = 1000

// validateIntegrity checks the signature and withdrawal: their text goes onto the status
// and the GitHub Release.
func (r *Record) validateIntegrity() error {
	if s := r.Signature; s != nil {
		for _, text := range []string{s.Principal, s.Fingerprint, s.Unsigned} {
			if strings.ContainsAny(text, "\r\n") || len(text) > maxWithdrawReason {
				return errors.New("the signature is not one Shepherd records")
			}
		}
	}
	if w := r.Withdrawn; w != nil {
		if strings.TrimSpace(w.Reason) == "" || len(w.Reason) > maxWithdrawReason || w.At.IsZero() {
			return errors.New("the withdrawal has no reason or time, or a reason longer than Shepherd writes")
		}
	}
	return nil
}

// validateTrouble checks the count of failed runs: a count at the limit fails the release
// at the next outage, so it must be one the bot could have reached.
func (r *Record) validateTrouble() error {
	tr := r.Trouble
	if tr == nil {
		return nil
	}
	if tr.Attempts < 0 || tr.Attempts > MaxTransientAttempts || !slices.Contains(release.Phases, tr.Phase) {
		return fmt.Errorf("the trouble count (%d runs in %q) is not one Shepherd writes", tr.Attempts, tr.Phase)
	}
	if tr.Since.Before(r.Release.Transitions[0].At) {
		return errors.New("the trouble began before the release did")
	}
	return nil
}

// validateFiles checks the published files: their keys in the release's folder, and the
// upload time (which starts the retention the janitor deletes by) inside the timeline.
func (r *Record) validateFiles(version, prefix string, now time.Time) error {
	folder, err := store.ReleaseFolder(prefix, version)
	if err != nil {
		return err
	}
	inFolder := func(key string) bool { return strings.HasPrefix(key, folder+"/") && !strings.Contains(key, "..") }
	for _, q := range []*QAResult{r.HeadQA, r.ExportQA} {
		// The janitor signs new links to these keys: only the release's own reports.
		if q != nil && q.ReportKey != "" && !inFolder(q.ReportKey) {
			return fmt.Errorf("a QA report has key %q outside the release's folder %s/", q.ReportKey, folder)
		}
	}
	for _, d := range r.Downloads {
		if !inFolder(d.Key) {
			return fmt.Errorf("download %q has key %q outside the release's folder %s/", d.File, d.Key, folder)
		}
		if err := checkLink(d.URL); err != nil {
			return err
		}
		if d.Size < 0 {
			return fmt.Errorf("download %q has a negative size", d.File)
		}
	}
	st := &r.Release
	if r.UploadedAt.IsZero() {
		if st.Phase == release.Done || len(r.Downloads) > 0 {
			return errors.New("files are recorded as published but there is no upload time")
		}
		return nil
	}
	var publishing time.Time
	for _, t := range st.Transitions {
		if t.To == release.Publishing && publishing.IsZero() {
			publishing = t.At
		}
	}
	switch {
	case publishing.IsZero():
		return errors.New("an upload time is recorded but the release never reached publishing")
	case r.UploadedAt.Before(publishing):
		return fmt.Errorf("the upload time %s is before the release reached publishing (%s)", r.UploadedAt.UTC().Format(time.RFC3339), publishing.UTC().Format(time.RFC3339))
	case r.UploadedAt.After(now.Add(time.Hour)):
		return fmt.Errorf("the upload time %s is in the future", r.UploadedAt.UTC().Format(time.RFC3339))
	case !r.RemovedAt.IsZero() && r.RemovedAt.Before(r.UploadedAt):
		return errors.New("the files are recorded as removed before they were uploaded")
	}
	return nil
}

func reportURL(q *QAResult) string {
	if q == nil {
		return ""
	}
	return q.ReportURL
}

// checkLink accepts the links the bot writes: web addresses and, with the local store,
// file paths; nothing that could break out of a Markdown link.
func checkLink(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file") || strings.ContainsAny(s, " \t\n()<>\"") {
		return fmt.Errorf("%q is not a link Shepherd writes", s)
	}
	return nil
}
