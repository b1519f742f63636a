package site_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/changelog"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/site"
)

var built = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// latest is the newest deployable release of the fixture; a newer one is still publishing.
const latest = "v2026-12-01"

// fixtureSite holds a release in every phase, one on every channel (a held one among them),
// a failed and an incomplete one, one whose files were deleted, a maintenance notice and a
// stale lease.
func fixtureSite(t *testing.T) *site.Site {
	t.Helper()
	s := &site.Site{Title: "CIEL/CIEL", RepositoryURL: "https://github.com/example/ciel-releases", Built: built,
		Maintenance: &site.MaintenanceNotice{By: "octocat", Reason: "moving the bucket", Since: built.Add(-2 * time.Hour)},
		StaleLeases: []site.LeaseNotice{{Version: "v2026-11-14", Holder: "retry", RunURL: "https://github.com/example/ciel-releases/actions/runs/42", Age: 3 * time.Hour}},
		Problems:    []string{"The record of release v2026-10-01 on issue #9 cannot be read, so it is left out: its timeline is empty"},
	}
	day := 0
	add := func(version string, phase release.Phase, r site.Release) {
		day++
		r.Version, r.Phase = version, string(phase)
		r.Started = built.AddDate(0, 0, -day*3)
		r.Updated = r.Started.Add(5 * time.Hour)
		r.Timeline = []site.Step{{At: r.Started, To: "configuration", Reason: "the release PR was merged"}}
		if phase != release.Configuration {
			r.Timeline = append(r.Timeline, site.Step{At: r.Updated, From: "configuration", To: string(phase), Reason: "moved on to " + string(phase),
				Run: fmt.Sprintf("https://github.com/example/ciel-releases/actions/runs/%d", 500+day)})
		}
		r.Issue = 100 + day
		r.IssueURL = fmt.Sprintf("https://github.com/example/ciel-releases/issues/%d", r.Issue)
		if !r.Deployable && len(r.Blockers) == 0 {
			r.Blockers = []string{"It is still in phase " + string(phase) + "."}
		}
		s.Releases = append(s.Releases, r)
	}
	files := func(until time.Time) []site.Download {
		return []site.Download{
			{File: "openmrs_concepts_2.sql.zip", Size: 38 << 20, SHA256: "ab12cd34ef56ab12cd34ef56", URL: "https://bucket.example.org/ciel/f.zip?X-Amz-Signature=1", ValidUntil: until, DeleteAt: built.AddDate(0, 0, 14)},
			{File: "SHA256SUMS", Size: 213, SHA256: "0011223344556677", URL: "https://bucket.example.org/ciel/SHA256SUMS?X-Amz-Signature=2", ValidUntil: until, DeleteAt: built.AddDate(0, 0, 14)},
		}
	}
	qaRuns := []site.QASummary{
		{Name: "QA on HEAD", At: built.AddDate(0, 0, -6), Concepts: 55000, Mappings: 310000, Warnings: 2, ReportURL: "https://bucket.example.org/ciel/qa-head.html", ReportUntil: built.AddDate(0, 0, 3)},
		{Name: "QA of the export", At: built.AddDate(0, 0, -6), Concepts: 55000, Mappings: 310000},
	}
	for i, p := range []release.Phase{release.Configuration, release.QA, release.Deploy, release.Exporting, release.ExportQA, release.Scripts, release.Publishing} {
		add(fmt.Sprintf("v2026-12-%02d", 8-i), p, site.Release{})
	}
	add(latest, release.Done, site.Release{Channel: "production", Outcome: "published", Deployable: true, Latest: true, Verified: true,
		Published: built.AddDate(0, 0, -6), QA: qaRuns, Downloads: files(built.AddDate(0, 0, 5)), ReleaseURL: "https://github.com/example/ciel-releases/releases/tag/" + latest,
		Changes: &changelog.Summary{From: "v2026-11-01", Concepts: 55000, Added: 12, Retired: 3, Changed: 40, Breaking: 2, TopBreaking: []string{"1234 Fever: answer removed"}}})
	add("v2026-11-26", release.Done, site.Release{Channel: "staged", Held: true, Outcome: "published", Deployable: true, Verified: true, Published: built.AddDate(0, 0, -10), Downloads: files(built.AddDate(0, 0, 5)),
		Moves: []site.Move{
			{At: built.AddDate(0, 0, -9), Command: "promoted", From: "unverified", To: "staged", By: "alice"},
			{At: built.AddDate(0, 0, -8), Command: "held", From: "staged", To: "staged", By: "bob", Reason: "waiting for the lab's sign-off"},
		}})
	add("v2026-11-22", release.Done, site.Release{Channel: "unverified", Outcome: "published", Verified: true, Published: built.AddDate(0, 0, -14), Downloads: files(built.AddDate(0, 0, -1)),
		Blockers: []string{"The download link of openmrs_concepts_2.sql.zip expired on 2026-12-06 12:00 UTC; the janitor renews links daily."}})
	add("v2026-11-18", release.Done, site.Release{Channel: "withdrawn", Outcome: "published, then rejected", Withdrawn: true, Verified: true, Published: built.AddDate(0, 0, -18), Downloads: files(built.AddDate(0, 0, 5)),
		Moves:    []site.Move{{At: built.AddDate(0, 0, -17), Command: "rejected", From: "production", To: "withdrawn", By: "alice", Outcome: "reject", Reason: "a wrong answer set"}},
		Blockers: []string{"It was rejected and withdrawn from every channel."}})
	add("v2026-11-16", release.Done, site.Release{Channel: "superseded", Outcome: "published; outcome success", Deployable: true, Verified: true, Published: built.AddDate(0, 0, -20), Downloads: files(built.AddDate(0, 0, 5)),
		Moves: []site.Move{{At: built.AddDate(0, 0, -17), Command: "replaced", From: "production", To: "superseded", By: "alice"}}})
	add("v2026-11-14", release.Failed, site.Release{Outcome: "failed in export-qa", QA: qaRuns[:1], Blockers: []string{"It failed in export-qa: QA of the export found 3 errors."}})
	add("v2026-11-10", release.Incomplete, site.Release{Outcome: "incomplete: no export", Blockers: []string{"OCL did not build its export in time; it can be retried."}})
	add("v2026-11-01", release.Done, site.Release{Outcome: "published", Verified: true, Published: built.AddDate(0, 0, -40), FilesRemoved: built.AddDate(0, 0, -19), Downloads: files(built.AddDate(0, 0, -30)),
		Changes: &changelog.Summary{First: true, Concepts: 54900}, Blockers: []string{"Its files were deleted on 2026-11-18, at the end of the retention period."}})

	var report bytes.Buffer
	require.NoError(t, render.HTML(&report, &qa.Report{Summary: qa.Summary{Source: "CIEL/CIEL", Version: "HEAD", ConceptsChecked: 55000}}, render.HTMLOptions{}))
	s.HeadReport = &site.HeadReport{HTML: report.Bytes()}
	return s
}
