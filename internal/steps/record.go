package steps

import (
	"time"

	"github.com/shepherd-release/shepherd/internal/export"

	"github.com/shepherd-release/shepherd/internal/release"
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
	Issue       int           `json:"issue"`
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
	Counts    *export.Counts `json:"counts,omitempty"`
	Scripts   []ScriptRun    `json:"scripts,omitempty"`
	LoadTests []LoadTestRun  `json:"load_tests,omitempty"`
	Downloads []Download     `json:"downloads,omitempty"`
	// UploadedAt starts the retention period.
	UploadedAt time.Time `json:"uploaded_at,omitzero"`
	RemovedAt  time.Time `json:"removed_at,omitzero"`
	Tag        string    `json:"tag,omitempty"`
	ReleaseURL string    `json:"release_url,omitempty"`
	// Milestones maps a milestone key to the id of the comment that announced it.
	Milestones map[string]int64 `json:"milestones,omitempty"`
	// Trouble counts the runs a transient error stopped in a row (errors.go).
	Trouble *Trouble `json:"trouble,omitempty"`
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
