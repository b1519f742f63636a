// Package site writes the release site: a static, self-contained folder of HTML pages and an
// Atom feed telling which release is deployable, every release's phase, channel and
// timeline, the latest QA report of HEAD and the files each version can be downloaded as.
// It knows nothing of GitHub or the store: internal/steps reads those into a Site.
package site

import (
	"time"

	"github.com/shepherd-release/shepherd/internal/changelog"
)

// Site is everything the site shows.
type Site struct {
	// Title names the dictionary, e.g. "CIEL/CIEL".
	Title string `json:"title"`
	// RepositoryURL is the release repository on GitHub ("" leaves issue links out).
	RepositoryURL string `json:"repository_url,omitempty"`
	// Built is when the model was read: every "expired" on the site is as of then.
	Built time.Time `json:"built"`
	// Releases, newest first.
	Releases []Release `json:"releases"`
	// HeadReport is the latest QA report of the source's HEAD; nil when none is stored.
	HeadReport *HeadReport `json:"-"`
	// Maintenance, when set, shows a banner on every page.
	Maintenance *MaintenanceNotice `json:"maintenance,omitempty"`
	// StaleLeases are leases that outlived the run holding them: a warning on every page.
	StaleLeases []LeaseNotice `json:"stale_leases,omitempty"`
	// Problems are tracking issues whose record could not be read, one sentence each.
	Problems []string `json:"problems,omitempty"`

	// unstamped leaves the build time out of the pages, for Digest.
	unstamped bool
}

// MaintenanceNotice says that someone switched the bot to maintenance.
type MaintenanceNotice struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
	// Problem says what in the switch's file could not be read; the switch holds anyway.
	Problem string `json:"problem,omitempty"`
}

// LeaseNotice is a lease on a release that its holder no longer renews.
type LeaseNotice struct {
	Version string        `json:"version"`
	Holder  string        `json:"holder"`
	RunURL  string        `json:"run_url,omitempty"`
	Age     time.Duration `json:"age"`
}

// HeadReport is the stored HTML QA report of HEAD, shown as it is: it says when it ran.
type HeadReport struct {
	HTML []byte
}

// Release is one release as the site and `shepherd status --all` show it.
type Release struct {
	Version string `json:"version"`
	Phase   string `json:"phase"`
	// Channel is where the release is rolled out ("" while releases have none).
	Channel string `json:"channel,omitempty"`
	// Outcome is how the release ended, in a few words ("" while it runs).
	Outcome string `json:"outcome,omitempty"`
	// Withdrawn releases are shown as such and are never deployable.
	Withdrawn bool `json:"withdrawn,omitempty"`
	// Verified: QA found no errors in HEAD nor in the export. Not the same as deployable.
	Verified bool `json:"verified"`
	// Deployable: published, its files still downloadable, on a channel sites deploy from.
	Deployable bool `json:"deployable"`
	// Blockers say why a release is not deployable, one plain sentence each.
	Blockers []string `json:"blockers,omitempty"`
	// Latest marks the newest deployable release.
	Latest bool `json:"latest_deployable,omitempty"`
	// Held: someone put a hold on its promotion.
	Held bool `json:"held,omitempty"`

	Started    time.Time `json:"started"`
	Updated    time.Time `json:"updated"`
	Published  time.Time `json:"published,omitzero"`
	Issue      int       `json:"issue,omitempty"`
	IssueURL   string    `json:"issue_url,omitempty"`
	ReleaseURL string    `json:"release_url,omitempty"`

	Timeline []Step `json:"timeline,omitempty"`
	// Moves are the changes of its channel, hold or outcome, oldest first.
	Moves     []Move             `json:"channel_moves,omitempty"`
	QA        []QASummary        `json:"qa,omitempty"`
	Changes   *changelog.Summary `json:"changes,omitempty"`
	Downloads []Download         `json:"downloads,omitempty"`
	// FilesRemoved is when the retention period ended and the files were deleted.
	FilesRemoved time.Time `json:"files_removed,omitzero"`

	// builtAt is the Site's Built, copied by Render: downloads are judged as of then.
	builtAt time.Time
}

// Step is one line of a release's timeline.
type Step struct {
	At     time.Time `json:"at"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	// Run is the workflow run that made the move: its page keeps the run's decision log.
	Run string `json:"run,omitempty"`
}

// Move is one change of a published release's channel, hold or outcome, by a person's
// command (or by another release's promotion or rejection).
type Move struct {
	At       time.Time `json:"at"`
	Command  string    `json:"command"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	By       string    `json:"by"`
	Outcome  string    `json:"outcome,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Override string    `json:"override,omitempty"`
	// Run is the workflow run that made the move: its page keeps the run's decision log.
	Run string `json:"run,omitempty"`
}

// QASummary is one QA run of a release.
type QASummary struct {
	Name      string    `json:"name"` // "QA on HEAD", "QA of the export"
	At        time.Time `json:"at"`
	Errors    int       `json:"errors"`
	Warnings  int       `json:"warnings"`
	Infos     int       `json:"infos"`
	Concepts  int       `json:"concepts"`
	Mappings  int       `json:"mappings"`
	ReportURL string    `json:"report_url,omitempty"`
	// ReportUntil is when ReportURL stops working (zero: it does not expire).
	ReportUntil time.Time `json:"report_until,omitzero"`
}

// Download is one file of a release.
type Download struct {
	File   string `json:"file"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	URL    string `json:"url,omitempty"`
	// ValidUntil is when URL stops working (zero: a public link that does not expire).
	ValidUntil time.Time `json:"valid_until,omitzero"`
	DeleteAt   time.Time `json:"delete_at"`
}

// LatestDeployable is the newest deployable release, or nil.
func (s *Site) LatestDeployable() *Release {
	for i := range s.Releases {
		if s.Releases[i].Latest {
			return &s.Releases[i]
		}
	}
	return nil
}
