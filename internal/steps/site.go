package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/site"
	"github.com/shepherd-release/shepherd/internal/store"
)

// KnownRelease is a release on its tracking issue, or why its record could not be read.
type KnownRelease struct {
	Version  string
	Issue    int
	IssueURL string
	Record   *Record // nil when Err is set
	Err      error
}

// Releases reads every release the bot tracks, the way the poll and the janitor find
// them, newest version first. A record that does not validate is listed with its error.
func (e *Env) Releases(ctx context.Context) ([]KnownRelease, error) {
	issues, err := e.GitHub.ListTracking(ctx)
	if err != nil {
		return nil, err
	}
	var out []KnownRelease
	for _, issue := range issues {
		rec, ok, err := e.readRecord(issue)
		if !ok && err == nil {
			continue // a tracking issue the bot has not written its record on yet
		}
		out = append(out, KnownRelease{Version: issue.Version, Issue: issue.Number, IssueURL: issue.URL, Record: rec, Err: err})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Version > out[j].Version })
	return out, nil
}

// Blockers say why a release may not be deployed at now, one plain sentence each; none
// means it is deployable. Deployable is kept apart from verified (QA passed): a verified
// release is not deployable until it is published, while its files can be downloaded.
func Blockers(rec *Record, now time.Time) []string {
	var why []string
	st := &rec.Release
	switch st.Phase {
	case release.Done:
	case release.Failed:
		why = append(why, fmt.Sprintf("It failed in %s: %s", st.FailedIn, sentence(oneLine(st.Last().Reason))))
	case release.Incomplete:
		why = append(why, "OCL did not build its export in time; it can be retried.")
	default:
		why = append(why, fmt.Sprintf("It is still in phase %s: %s.", st.Phase, phaseNotes[st.Phase]))
	}
	if st.Phase != release.Done {
		return why
	}
	switch {
	case rec.Withdrawn != nil:
		why = append(why, fmt.Sprintf("It was withdrawn on %s: %s", rec.Withdrawn.At.UTC().Format("2006-01-02"), sentence(oneLine(rec.Withdrawn.Reason))))
	case st.Channel() == release.Withdrawn:
		why = append(why, "It was rejected and withdrawn from every channel.")
	}
	switch {
	case !rec.RemovedAt.IsZero():
		why = append(why, fmt.Sprintf("Its files were deleted on %s, at the end of the retention period.", rec.RemovedAt.UTC().Format("2006-01-02")))
	case len(rec.Downloads) == 0:
		why = append(why, "It has no files to download.")
	default:
		for _, d := range rec.Downloads {
			if !d.DeleteAt.IsZero() && !d.DeleteAt.After(now) {
				why = append(why, fmt.Sprintf("Its files are past their retention since %s.", d.DeleteAt.UTC().Format("2006-01-02")))
				break
			}
			if !d.ValidUntil.IsZero() && !d.ValidUntil.After(now) {
				why = append(why, fmt.Sprintf("The download link of %s expired on %s; the janitor renews links daily.", d.File, d.ValidUntil.UTC().Format(timeLayout)))
				break
			}
		}
	}
	return why
}

// Verified reports whether QA found no errors in HEAD nor in the export.
func Verified(rec *Record) bool {
	return rec.HeadQA != nil && rec.HeadQA.Errors == 0 && rec.ExportQA != nil && rec.ExportQA.Errors == 0
}

func sentence(s string) string {
	if s == "" || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

// SiteRelease is a release as the site and `shepherd status --all` show it.
func SiteRelease(k KnownRelease, now time.Time) site.Release {
	rec := k.Record
	st := &rec.Release
	r := site.Release{
		Version: st.Version, Phase: string(st.Phase), Verified: Verified(rec), Blockers: Blockers(rec, now),
		Started: st.Transitions[0].At, Updated: st.Last().At, Issue: k.Issue, IssueURL: k.IssueURL,
		ReleaseURL: rec.ReleaseURL, Changes: rec.Changes, FilesRemoved: rec.RemovedAt,
	}
	r.Deployable = len(r.Blockers) == 0
	r.Channel = string(st.Channel())
	r.Withdrawn = rec.Withdrawn != nil || st.Channel() == release.Withdrawn
	r.Outcome = siteOutcome(rec)
	if st.Phase == release.Done {
		r.Published = rec.UploadedAt
	}
	if st.Rollout != nil {
		r.Held = st.Rollout.Held
		for _, m := range st.Rollout.Moves {
			r.Moves = append(r.Moves, site.Move{At: m.At, Command: string(m.Event), From: string(m.From), To: string(m.To),
				By: m.Actor, Outcome: string(m.Outcome), Reason: m.Reason, Override: m.Override, Run: m.Run})
		}
	}
	for _, t := range st.Transitions {
		r.Timeline = append(r.Timeline, site.Step{At: t.At, From: string(t.From), To: string(t.To), Reason: t.Reason, Run: t.Run})
	}
	for _, q := range []struct {
		name string
		res  *QAResult
	}{{"QA on HEAD", rec.HeadQA}, {"QA of the export", rec.ExportQA}} {
		if q.res == nil {
			continue
		}
		r.QA = append(r.QA, site.QASummary{Name: q.name, At: q.res.At, Errors: q.res.Errors, Warnings: q.res.Warnings, Infos: q.res.Infos,
			Concepts: q.res.Concepts, Mappings: q.res.Mappings, ReportURL: q.res.ReportURL, ReportUntil: q.res.ReportLinkUntil})
	}
	for _, d := range rec.Downloads {
		r.Downloads = append(r.Downloads, site.Download{File: d.File, Size: d.Size, SHA256: d.SHA256, URL: d.URL, ValidUntil: d.ValidUntil, DeleteAt: d.DeleteAt})
	}
	return r
}

// siteOutcome is how the release ended, in a few words; "" while it is on its way.
func siteOutcome(rec *Record) string {
	st := &rec.Release
	switch st.Phase {
	case release.Failed:
		return "failed in " + string(st.FailedIn)
	case release.Incomplete:
		return "incomplete: no export"
	case release.Done:
	default:
		if rec.Withdrawn != nil {
			return "withdrawn before it was published"
		}
		return ""
	}
	switch {
	case rec.Withdrawn != nil:
		return "published, then withdrawn"
	case st.Rollout != nil && st.Rollout.Outcome == release.Reject:
		return "published, then rejected"
	case st.Rollout != nil && st.Rollout.Outcome != "":
		return "published; outcome " + string(st.Rollout.Outcome)
	}
	return "published"
}

// SiteReleases turns the known releases into the site's, marking the newest deployable
// one; records that could not be read come back as sentences.
func SiteReleases(known []KnownRelease, now time.Time) (releases []site.Release, problems []string) {
	for _, k := range known {
		if k.Err != nil {
			problems = append(problems, fmt.Sprintf("The record of release %s on issue #%d cannot be read, so it is left out: %v", k.Version, k.Issue, k.Err))
			continue
		}
		releases = append(releases, SiteRelease(k, now))
	}
	for i := range releases {
		if releases[i].Deployable {
			releases[i].Latest = true
			break
		}
	}
	return releases, problems
}

// maxHeadReport bounds the stored HEAD report the site copies.
const maxHeadReport = 256 << 20

// SiteModel reads what the site shows: every release the bot knows and the latest QA
// report of HEAD from the store.
func (e *Env) SiteModel(ctx context.Context) (*site.Site, error) {
	known, err := e.Releases(ctx)
	if err != nil {
		return nil, err
	}
	now := e.Now()
	s := &site.Site{Title: e.Config.OCL.Org + "/" + e.Config.OCL.Source, Built: now}
	s.Releases, s.Problems = SiteReleases(known, now)
	for _, k := range known {
		if base, _, ok := strings.Cut(k.IssueURL, "/issues/"); ok {
			s.RepositoryURL = base
			break
		}
	}
	if s.HeadReport, err = e.headReport(ctx); err != nil {
		return nil, err
	}
	m, err := ReadMaintenance(e.RepoDir)
	if err != nil {
		return nil, err
	}
	if m != nil {
		s.Maintenance = &site.MaintenanceNotice{By: m.By, Reason: m.Reason, Since: m.Since, Problem: m.Problem}
	}
	leases, err := e.leasesInBucket(ctx)
	if err != nil {
		return nil, err
	}
	s.StaleLeases = staleLeases(leases, now, e.Config.Lease.StaleAfter)
	return s, nil
}

// leasesInBucket reads every lease of the source's releases, whatever release it names.
func (e *Env) leasesInBucket(ctx context.Context) ([]*Lease, error) {
	folder := leaseFolder(e.Config.OCL.Org, e.Config.OCL.Source)
	objects, err := e.Store.List(ctx, folder)
	if err != nil {
		return nil, fmt.Errorf("list the leases in %s: %w", folder, err)
	}
	var leases []*Lease
	for _, o := range objects {
		version, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, folder+"/"), ".json")
		if !ok || strings.Contains(version, "/") {
			continue // not one Shepherd writes; reading it would say nothing of a release
		}
		l, err := e.readLease(ctx, version)
		if err != nil {
			return nil, err
		}
		if l != nil {
			leases = append(leases, l)
		}
	}
	return leases, nil
}

// staleLeases are the leases the site warns of: those gone stale and those not trusted.
func staleLeases(leases []*Lease, now time.Time, staleAfter time.Duration) []site.LeaseNotice {
	var out []site.LeaseNotice
	for _, l := range leases {
		if l.Problem == "" && !l.Stale(now, staleAfter) {
			continue
		}
		holder := capText(oneLine(l.Holder), 60)
		if l.Problem != "" {
			holder = fmt.Sprintf("%s (not trusted: %s)", holder, l.Problem)
		}
		run := l.Run
		if checkRunLink(run) != nil {
			run = ""
		}
		age := time.Duration(0)
		if !l.Since.IsZero() {
			age = max(now.Sub(l.Since), 0)
		}
		out = append(out, site.LeaseNotice{Version: l.Version, Holder: holder, RunURL: run, Age: age})
	}
	return out
}

func (e *Env) headReport(ctx context.Context) (*site.HeadReport, error) {
	key := store.HeadReportKey("html")
	info, err := e.Store.Stat(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the latest HEAD report %s: %w", key, err)
	}
	if info.Size > maxHeadReport {
		return nil, fmt.Errorf("the latest HEAD report %s is %d bytes, more than the site copies (%d)", key, info.Size, maxHeadReport)
	}
	r, err := e.Store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("the latest HEAD report %s: %w", key, err)
	}
	defer r.Close()
	html, err := io.ReadAll(io.LimitReader(r, maxHeadReport+1))
	if err != nil {
		return nil, fmt.Errorf("read the latest HEAD report %s: %w", key, err)
	}
	if len(html) > maxHeadReport {
		return nil, fmt.Errorf("the latest HEAD report %s grew past %d bytes while read", key, maxHeadReport)
	}
	return &site.HeadReport{HTML: html}, nil
}
