package site_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/changelog"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/site"
)

// cielHistory is a site at CIEL's scale after three years of weekly releases: n releases,
// newest first, each with its full timeline, both QA runs, a changelog summary with its
// ten breaking lines, a dozen files and the channel moves a rollout leaves. As retention
// works, only the newest few and the production release still have their files; every
// fifteenth release came out incomplete and every other tenth failed (9 and 10 of 150),
// two were rejected. The HEAD report holds that many findings.
func cielHistory(tb testing.TB, n, findings int) *site.Site {
	tb.Helper()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	s := &site.Site{Title: "CIEL/CIEL", RepositoryURL: "https://github.com/example/ciel-releases", Built: now}
	files := []string{"openmrs_concepts_1.11.sql.zip", "openmrs_concepts_2.sql.zip", "manifest.json", "SHA256SUMS", "SHA256SUMS.sig",
		"bundle.tar.gz", "bundle.tar.gz.sha256", "changelog.md", "changelog.html", "changelog.json", "bom.cdx.json", "concept-index.json.gz"}
	production := -1 // the newest release in production, once found
	for i := range n {
		start := now.AddDate(0, 0, -7*i-1)
		version := "v" + start.Format("2006-01-02")
		r := site.Release{Version: version, Started: start, Issue: 1000 - i,
			IssueURL: fmt.Sprintf("%s/issues/%d", s.RepositoryURL, 1000-i)}
		run := func(k int) string { return fmt.Sprintf("%s/actions/runs/%d", s.RepositoryURL, 90000+10*i+k) }
		at := start
		path := []string{"configuration", "qa", "deploy", "exporting", "export-qa", "scripts", "publishing", "done"}
		end := len(path)
		switch {
		case i > 0 && i%15 == 0:
			end = 4 // stuck exporting, then incomplete
		case i > 0 && i%10 == 0:
			end = 6 // a script failed
		}
		for k, to := range path[:end] {
			from := ""
			if k > 0 {
				from = path[k-1]
			}
			r.Timeline = append(r.Timeline, site.Step{At: at, From: from, To: to, Reason: "the " + to + " step went through: QA on HEAD: no errors, 3 warnings, over 55012 concepts", Run: run(k)})
			at = at.Add(37 * time.Minute)
			if to == "exporting" {
				at = at.Add(5 * time.Hour)
			}
		}
		r.Phase = path[end-1]
		qaRun := func(name string, errors int) site.QASummary {
			return site.QASummary{Name: name, At: start.Add(time.Hour), Errors: errors, Warnings: 3, Infos: 12, Concepts: 55012, Mappings: 310420,
				ReportURL: "https://bucket.example.org/ciel/releases/" + version + "/qa-" + name + ".html?X-Amz-Signature=0123456789abcdef", ReportUntil: start.AddDate(0, 0, 7)}
		}
		r.QA = []site.QASummary{qaRun("QA on HEAD", 0)}
		r.Changes = &changelog.Summary{From: "v" + start.AddDate(0, 0, -7).Format("2006-01-02"), Concepts: 55012 - i, Added: 40, Retired: 6, Unretired: 1, Changed: 210, Removed: 0, Breaking: 25}
		for k := range changelog.SummaryLimit {
			r.Changes.TopBreaking = append(r.Changes.TopBreaking, fmt.Sprintf("%d Concept number %d: answer %d removed from its question set, which sites' forms still use", 160000+k, k, 5000+k))
		}
		switch {
		case end == 4:
			r.Phase, r.Outcome = "incomplete", "incomplete: no export"
			r.Timeline = append(r.Timeline, site.Step{At: at, From: "exporting", To: "incomplete", Reason: "OCL did not build the export after 72 polls", Run: run(9)})
			r.Blockers = []string{"OCL did not build its export in time; it can be retried."}
		case end == 6:
			r.Phase, r.Outcome = "failed", "failed in scripts"
			r.QA = append(r.QA, qaRun("QA of the export", 0))
			r.Timeline = append(r.Timeline, site.Step{At: at, From: "scripts", To: "failed", Reason: "the script load-test failed with exit code 1", Run: run(9)})
			r.Blockers = []string{"It failed in scripts: the script load-test failed with exit code 1."}
		default:
			r.Outcome, r.Verified, r.Published = "published; outcome success", true, at
			r.QA = append(r.QA, qaRun("QA of the export", 0))
			r.ReleaseURL = s.RepositoryURL + "/releases/tag/" + version
			promote := []site.Move{
				{At: at.Add(time.Hour), Command: "promoted", From: "unverified", To: "staged", By: "alice"},
				{At: at.Add(8 * 24 * time.Hour), Command: "promoted", From: "staged", To: "production", By: "alice"},
				{At: at.Add(9 * 24 * time.Hour), Command: "concluded", From: "production", To: "production", By: "bob", Outcome: "success", Reason: "installed at three sites"},
			}
			switch {
			case i < 2:
				r.Channel, r.Outcome, r.Moves = "unverified", "published", nil
			case i == 2:
				r.Channel, r.Outcome, r.Moves = "staged", "published", promote[:1]
			case i == 37 || i == 88:
				r.Channel, r.Outcome, r.Withdrawn = "withdrawn", "published, then rejected", true
				r.Moves = append(promote[:1:1], site.Move{At: at.Add(2 * 24 * time.Hour), Command: "rejected", From: "staged", To: "withdrawn", By: "bob", Outcome: "reject", Reason: "wrong units on 40 numeric concepts"})
				r.Blockers = []string{"It was rejected and withdrawn from every channel."}
			case production < 0:
				production = i
				r.Channel, r.Moves = "production", promote
			default:
				r.Channel = "superseded"
				r.Moves = append(promote, site.Move{At: at.Add(7 * 24 * time.Hour), Command: "replaced", From: "production", To: "superseded", By: "alice"})
			}
			keep := i < 3 || i == production
			deleteAt := at.AddDate(0, 0, 21)
			if i == production {
				deleteAt = now.AddDate(0, 0, 21)
			}
			for k, f := range files {
				d := site.Download{File: f, Size: int64(1+k) << 20, SHA256: fmt.Sprintf("%064x", i*100+k), DeleteAt: deleteAt,
					URL:        "https://bucket.example.org/ciel/releases/" + version + "/" + f + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=604800&X-Amz-Signature=" + fmt.Sprintf("%064x", i*100+k),
					ValidUntil: now.AddDate(0, 0, 6)}
				if !keep {
					d.ValidUntil = at.AddDate(0, 0, 7)
				}
				r.Downloads = append(r.Downloads, d)
			}
			if !keep {
				r.FilesRemoved = deleteAt
				if !r.Withdrawn {
					r.Blockers = []string{fmt.Sprintf("Its files were deleted on %s, at the end of the retention period.", deleteAt.Format("2006-01-02"))}
				}
			}
			r.Deployable = len(r.Blockers) == 0
		}
		r.Updated = r.Timeline[len(r.Timeline)-1].At
		if len(r.Moves) > 0 {
			r.Updated = r.Moves[len(r.Moves)-1].At
		}
		s.Releases = append(s.Releases, r)
	}
	for i := range s.Releases {
		if s.Releases[i].Deployable {
			s.Releases[i].Latest = true
			break
		}
	}

	report := &qa.Report{Summary: qa.Summary{Source: "CIEL/CIEL", Version: "HEAD", ConceptsChecked: 55012, MappingsChecked: 310420}}
	for k := range findings {
		report.Findings = append(report.Findings, qa.Finding{Rule: "FR-19", Severity: qa.SeverityWarning, ConceptID: fmt.Sprint(1000 + k),
			ConceptURL: fmt.Sprintf("/orgs/CIEL/sources/CIEL/concepts/%d/", 1000+k), Locale: "en", Message: "preferred name contains ' and '"})
	}
	var html bytes.Buffer
	require.NoError(tb, render.HTML(&html, report, render.HTMLOptions{}))
	s.HeadReport = &site.HeadReport{HTML: html.Bytes()}
	return s
}

// BenchmarkBuildCIELHistory builds the site of three years of weekly CIEL releases into a
// folder, as `shepherd site` and the site action do, and reports its size:
//
//	go test -run '^$' -bench BuildCIELHistory -benchtime 5x ./internal/site/
func BenchmarkBuildCIELHistory(b *testing.B) {
	s := cielHistory(b, 150, 500)
	files, err := site.Render(s)
	require.NoError(b, err)
	total, largest := 0, 0
	for name, f := range files {
		total += len(f)
		if name != "qa/bulk-validation/index.html" {
			largest = max(largest, len(f))
		}
	}
	dir := filepath.Join(b.TempDir(), "site")
	for b.Loop() {
		require.NoError(b, site.Build(s, dir))
	}
	b.ReportMetric(float64(total), "site-bytes")
	b.ReportMetric(float64(len(files)), "files")
	b.ReportMetric(float64(len(files["index.html"])), "index-bytes")
	b.ReportMetric(float64(largest), "largest-page-bytes")
	b.ReportMetric(float64(len(files["qa/bulk-validation/index.html"])), "head-report-bytes")
}

// A long history keeps every page small enough for a phone, the HEAD report aside (its
// size is the report's own): the front page lists the newest releases and each year has
// a page of its own, the exports page lists deleted files in a line, the feed carries the
// newest fifty. Every release keeps its page.
func TestCIELHistoryStaysSmall(t *testing.T) {
	s := cielHistory(t, 150, 0)
	files, err := site.Render(s)
	require.NoError(t, err)
	for _, r := range s.Releases {
		assert.Contains(t, files, "releases/"+r.Version+"/index.html")
	}
	for name, f := range files {
		limit := 48 << 10
		if name == "qa/bulk-validation/index.html" {
			continue
		}
		assert.LessOrEqual(t, len(f), limit, "%s is %d bytes", name, len(f))
	}
	assert.LessOrEqual(t, len(files["index.html"]), 32<<10)
	assert.Equal(t, 50, bytes.Count(files["feed.xml"], []byte("<entry>")))
}
