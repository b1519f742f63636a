package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/words"
)

// Merged runs what follows the merge of a release PR: the tracking issue, QA on HEAD,
// and the version on OCL. It is safe to run again at any point: a finished step is not
// repeated, and a release already past version creation is left to the scheduled poll.
// It returns the record as it stands at the end.
func (e *Env) Merged(ctx context.Context, m *manifest.Manifest, mergeSHA string) (*Record, error) {
	return e.MergedUntil(ctx, m, mergeSHA, release.Exporting)
}

// MergedUntil is Merged stopping once the release reaches stop. With a GitHub environment
// guarding version creation, the workflow runs QA in one job (stop = deploy) and, after
// the environment's reviewers approve, the rest in a second job.
func (e *Env) MergedUntil(ctx context.Context, m *manifest.Manifest, mergeSHA string, stop release.Phase) (*Record, error) {
	if err := e.storageOutlivesTheRun(); err != nil {
		return nil, err
	}
	eff, err := m.Effective(e.Config)
	if err != nil {
		return nil, err
	}
	var rec *Record
	err = e.withLease(ctx, m.Version, LeaseMerge, leaseWait, func() error {
		rec, err = e.mergedHolding(ctx, eff, mergeSHA, stop)
		return err
	})
	return rec, err
}

// mergedHolding is MergedUntil once the run holds the release's lease.
func (e *Env) mergedHolding(ctx context.Context, eff manifest.Effective, mergeSHA string, stop release.Phase) (*Record, error) {
	t, err := e.open(ctx, eff, mergeSHA)
	if err != nil {
		return nil, err
	}
	for {
		before := t.rec.Release.Phase
		if err := e.advanceMerge(ctx, t, eff); err != nil {
			return t.rec, e.yielded(t, e.settle(ctx, t, err))
		}
		if t.rec.Release.Phase == before || t.rec.Release.Phase == stop {
			// Nothing more to do here: make sure what the issue shows matches the record
			// (a run may have died between the two); this writes nothing when it does.
			return t.rec, e.yielded(t, e.save(ctx, t))
		}
	}
}

// open finds or creates the tracking issue and its record.
func (e *Env) open(ctx context.Context, eff manifest.Effective, mergeSHA string) (*tracked, error) {
	title := fmt.Sprintf("Release %s", eff.Version)
	var issue *github.Issue
	if e.DryRun {
		found, err := e.GitHub.FindIssue(ctx, eff.Version)
		if err != nil {
			return nil, err
		}
		issue = found
		if issue == nil {
			e.Log.Info("dry run: would open the tracking issue", "release", eff.Version, "title", title)
			issue = &github.Issue{Title: title, Version: eff.Version}
		}
	} else {
		var created bool
		var err error
		issue, created, err = e.GitHub.EnsureIssue(ctx, eff.Version, title, eff.Issue)
		if err != nil {
			return nil, err
		}
		if created {
			e.Log.Info("tracking issue opened", "release", eff.Version, "issue", issue.Number, "url", issue.URL)
		}
	}
	rec, ok, err := e.readRecord(issue)
	if err != nil {
		return nil, err
	}
	if !ok {
		rec = &Record{Release: *release.New(eff.Version, e.Now()), Org: eff.Org, Source: eff.Source,
			Description: eff.Description, Released: eff.Released, Major: eff.Major, Exports: []string{}}
		for _, x := range eff.Exports {
			rec.Exports = append(rec.Exports, x.Name)
		}
	}
	rec.Issue = issue.Number
	if rec.MergeSHA == "" {
		rec.MergeSHA = mergeSHA
	}
	return &tracked{rec: rec, issue: issue}, nil
}

// advanceMerge runs the step of the current phase, up to version creation.
func (e *Env) advanceMerge(ctx context.Context, t *tracked, eff manifest.Effective) error {
	rec := t.rec
	switch rec.Release.Phase {
	case release.Configuration:
		return e.move(ctx, t, release.ManifestValid, fmt.Sprintf("manifest %s is valid", manifest.ManifestPath(rec.Release.Version)))
	case release.QA:
		return e.headQA(ctx, t, eff)
	case release.Deploy:
		return e.createVersion(ctx, t)
	}
	if rec.Release.Phase == release.Failed || rec.Release.Phase == release.Incomplete {
		// A run without the retry box leaves such a release as it is: a warning, which the
		// run's page shows, says what carries it on.
		e.Log.Warn("nothing to do on merge", "release", rec.Release.Version, "phase", rec.Release.Phase,
			"reason", "the release is "+string(rec.Release.Phase)+"; only a retry carries it on: "+RetryHow(rec.Release.Version))
		return nil
	}
	e.Log.Info("nothing to do on merge", "release", rec.Release.Version, "phase", rec.Release.Phase,
		"reason", "the release is past version creation; the scheduled poll carries it on")
	return nil
}

func (e *Env) headQA(ctx context.Context, t *tracked, eff manifest.Effective) error {
	v := t.rec.Release.Version
	report, err := e.RunHeadQA(ctx, eff.QA, t.rec.Org, t.rec.Source)
	if err != nil {
		// OCL unreachable is not the dictionary's fault: the run fails and can be repeated,
		// the release stays in QA.
		return fmt.Errorf("QA on HEAD of %s/%s could not run: %w", t.rec.Org, t.rec.Source, err)
	}
	res, err := e.storeReport(ctx, v, "qa-head", report, true)
	if err != nil {
		return err
	}
	t.rec.HeadQA = res
	if report.Errors() > 0 {
		return e.failWithReport(ctx, t, MilestoneQAFailed,
			fmt.Sprintf("QA on HEAD found %s; nothing was created on OCL", render.Verdict(report.Errors(), report.Warnings(), 0)), report, res.ReportURL)
	}
	if report.Warnings() > 0 {
		body, err := reportComment(fmt.Sprintf("### ⚠️ QA on HEAD passed with %s: release %s goes on", words.Count(report.Warnings(), "warning", "warnings"), v), report, res.ReportURL)
		if err != nil {
			return err
		}
		if err := e.milestone(ctx, t, MilestoneQAWarnings, body); err != nil {
			return err
		}
	}
	return e.move(ctx, t, release.QAPassed, fmt.Sprintf("QA on HEAD: %s, over %s", render.Verdict(0, report.Warnings(), 0), words.Count(report.Summary.ConceptsChecked, "concept", "concepts")))
}

func (e *Env) createVersion(ctx context.Context, t *tracked) error {
	rec := t.rec
	v := rec.Release.Version
	if rec.OCL == nil || rec.OCL.Marker == "" {
		// Decided once, before the first request: a re-run after a crash sends the same.
		rec.OCL = &OCLState{Marker: VersionMarker(e.GitHub.Repo(), rec.Issue, v), ReleaseOn: e.Config.OCL.ReleaseOn, Released: rec.Released}
	}
	nv := ocl.NewVersion{ID: v, Description: rec.Description, Released: rec.OCL.releasedAtCreate(), ExternalID: rec.OCL.Marker}
	created := false
	err := e.act(fmt.Sprintf("create version %s of %s/%s on OCL (released: %t)", v, rec.Org, rec.Source, nv.Released), func() error {
		var err error
		created, err = CreateVersion(ctx, e.OCL, rec.Org, rec.Source, nv)
		return err
	})
	var notOurs *NotOursError
	if errors.As(err, &notOurs) {
		return e.conclude(ctx, t, refused(notOurs.Error()+"; nothing was changed on OCL. "+
			"Release under another version name, or delete that version on OCL if it is a mistake, then retry."))
	}
	if err != nil {
		// A refusal by OCL (bad request, forbidden) needs a person; a network problem a re-run.
		if isPermanentOCL(err) {
			return e.conclude(ctx, t, refused("OCL refused to create the version: "+err.Error()))
		}
		return err
	}
	how := "unreleased: it is marked released once its export has passed QA and the files are published"
	switch {
	case nv.Released:
		how = "released"
	case !rec.OCL.Released || rec.OCL.ReleaseOn == manifest.ReleaseOnManual:
		how = "unreleased"
	}
	if created || e.DryRun {
		return e.move(ctx, t, release.VersionCreated, fmt.Sprintf("version %s created on OCL, %s", v, how))
	}
	return e.move(ctx, t, release.VersionExisted, fmt.Sprintf("version %s was already on OCL with this release's marker (an earlier run created it)", v))
}

// storageOutlivesTheRun refuses a release on GitHub Actions with no bucket configured:
// the local folder store would keep the files on a runner that is thrown away when the
// job ends, and publish links to nothing. It runs before the tracking issue and long
// before anything is created on OCL. Outside Actions (the demo, a run by hand) the local
// folder is fine, and a repository that writes storage.type: local has chosen it (a
// self-hosted runner with a lasting disk).
func (e *Env) storageOutlivesTheRun() error {
	s := e.Config.Storage
	if !e.OnActions || s.Type != manifest.StorageLocal || e.Config.Sets("storage.type") {
		return nil
	}
	return fmt.Errorf("no storage bucket is configured, and on GitHub Actions the local folder store (%s) "+
		"vanishes with the runner when the job ends, so the release's download links would lead nowhere: "+
		"set storage.bucket, storage.endpoint and the key secrets in %s (docs/storage.md), "+
		"or write storage.type: local if this runner keeps its disk on purpose; nothing was created",
		s.LocalDir, manifest.ConfigPath)
}
