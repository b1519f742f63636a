package steps

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/release"
)

// FuzzIssueBodyToStatus feeds arbitrary issue bodies through what every step does with
// one: read the hidden record, validate it, render the status from it and write it back.
// Nothing may panic, and a record that was accepted must be accepted again as written.
func FuzzIssueBodyToStatus(f *testing.F) {
	at := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	st := release.New("v2026-11-22", at)
	for _, ev := range []release.Event{release.ManifestValid, release.QAPassed, release.VersionCreated, release.ExportReady} {
		require.NoError(f, st.Apply(ev, at.Add(time.Minute), "ok", 0))
	}
	good, err := github.RenderSection("status", &Record{Release: *st, Org: "CIEL", Source: "CIEL", Exports: []string{"openmrs-2"}})
	require.NoError(f, err)
	f.Add(good)
	f.Add("Plan.\n\n" + good)
	f.Add(strings.Replace(good, `"transitions":[`, `"transitions":[],"x":[`, 1))
	f.Add(strings.Replace(good, `"phase":"export-qa"`, `"phase":"done"`, 1))
	f.Add("<!-- shepherd:status:start -->\n<!-- shepherd:state {\"schema\":1,\"state\":{\"release\":{\"version\":\"v2026-11-22\",\"transitions\":null}}} -->\n<!-- shepherd:status:end -->")
	f.Add("")
	cfg := manifest.DefaultConfig()
	e := &Env{Config: cfg, Now: func() time.Time { return at.Add(time.Hour) }, Log: slog.New(slog.DiscardHandler)}
	f.Fuzz(func(t *testing.T, body string) {
		rec, ok, err := e.readRecord(&github.Issue{Number: 1, Body: body, Version: "v2026-11-22"})
		if err != nil || !ok {
			return
		}
		for _, compact := range []bool{false, true} {
			section, err := github.RenderSection(renderStatus(rec, cfg, e.Now(), compact), rec)
			if err != nil {
				t.Fatalf("an accepted record cannot be written: %v", err)
			}
			if _, ok, err := e.readRecord(&github.Issue{Number: 1, Body: github.ReplaceSection(body, section), Version: "v2026-11-22"}); !ok || err != nil {
				t.Fatalf("an accepted record is refused once written back: %v", err)
			}
		}
	})
}

// Each field a person could set to steer a step is refused unless it is one the bot
// could have written; the record as the bot writes it passes.
func TestRecordValidateRefusesWhatTheBotNeverWrites(t *testing.T) {
	at := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	now := at.Add(48 * time.Hour)
	done := func() *Record {
		st := release.New("v2026-11-22", at)
		for _, ev := range []release.Event{release.ManifestValid, release.QAPassed, release.VersionCreated, release.ExportReady,
			release.ExportQAPassed, release.ScriptsFinished, release.Published} {
			require.NoError(t, st.Apply(ev, at.Add(time.Hour), "ok", 0))
		}
		return &Record{Release: *st, Org: "CIEL", Source: "CIEL", Exports: []string{"openmrs-2"},
			MergeSHA: strings.Repeat("ab", 20), Tag: "v2026-11-22", UploadedAt: at.Add(time.Hour),
			HeadQA:    &QAResult{ReportKey: "releases/v2026-11-22/qa-head.html", ReportURL: "https://s3.example.org/r?X-Amz-Signature=1"},
			Downloads: []Download{{File: "SHA256SUMS", Key: "releases/v2026-11-22/SHA256SUMS", URL: "https://s3.example.org/s"}}}
	}
	require.NoError(t, done().validate("v2026-11-22", 7, "releases", now))
	// Run links stored before they named the attempt read back beside ones that do.
	withRuns := done()
	withRuns.Release.Transitions[0].Run = "https://github.example.org/o/r/actions/runs/42"
	withRuns.Release.Transitions[1].Run = "https://github.example.org/o/r/actions/runs/42/attempts/2"
	require.NoError(t, withRuns.validate("v2026-11-22", 7, "releases", now))
	cases := map[string]func(r *Record){
		`release "v2026-11-01"`:         func(r *Record) { r.Release.Version = "v2026-11-01"; r.Release.Transitions[0].Reason = "x" },
		"names issue #3":                func(r *Record) { r.Issue = 3 },
		"are not OCL ids":               func(r *Record) { r.Source = "CIEL/../other" },
		"is not a commit id":            func(r *Record) { r.MergeSHA = "main" },
		"is not the release's version":  func(r *Record) { r.Tag = "v1" },
		"outside the release's folder":  func(r *Record) { r.Downloads[0].Key = "releases/v2026-11-01/SHA256SUMS" },
		"QA report has key":             func(r *Record) { r.HeadQA.ReportKey = "secrets/keys.html" },
		"is not a link Shepherd writes": func(r *Record) { r.Downloads[0].URL = "javascript:alert(1)" },
		"before the release reached":    func(r *Record) { r.UploadedAt = at.Add(-20 * 24 * time.Hour) },
		"is in the future":              func(r *Record) { r.UploadedAt = now.Add(48 * time.Hour) },
		"no upload time":                func(r *Record) { r.UploadedAt = time.Time{} },
		"removed before":                func(r *Record) { r.RemovedAt = at },
		"trouble count":                 func(r *Record) { r.Trouble = &Trouble{Phase: release.Done, Attempts: 1000, Since: now} },
		"milestone":                     func(r *Record) { r.Milestones = map[string]int64{"failed": -1} },
		"the timeline is empty":         func(r *Record) { r.Release.Transitions = nil },
		"javascript:alert(2)": func(r *Record) {
			require.NoError(t, r.Release.ApplyCommand(release.Command{Event: release.Promoted, Actor: "alice"}, at.Add(2*time.Hour), 0))
			r.Release.Rollout.Moves[0].Run = "javascript:alert(2)"
		},
	}
	for want, damage := range cases {
		r := done()
		damage(r)
		err := r.validate("v2026-11-22", 7, "releases", now)
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
	}
}
