package steps

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/release"
)

// recordIn is a record of version carried to phase through the real state machine.
func recordIn(t *testing.T, version string, phase release.Phase, at time.Time) *Record {
	t.Helper()
	st := release.New(version, at)
	path := []release.Event{release.ManifestValid, release.QAPassed, release.VersionCreated, release.ExportReady,
		release.ExportQAPassed, release.ScriptsFinished, release.Published}
	for _, ev := range path {
		if st.Phase == phase {
			break
		}
		at = at.Add(time.Minute)
		require.NoError(t, st.Apply(ev, at, "ok", 72))
	}
	rec := &Record{Release: *st, Org: "CIEL", Source: "CIEL"}
	if phase == release.Done {
		rec.UploadedAt = at
		rec.HeadQA, rec.ExportQA = &QAResult{At: at}, &QAResult{At: at}
		rec.Downloads = []Download{{File: "openmrs_concepts_2.sql.zip", Key: "releases/" + version + "/a.zip", URL: "https://bucket.example.org/a",
			ValidUntil: at.Add(7 * 24 * time.Hour), DeleteAt: at.Add(21 * 24 * time.Hour)}}
	}
	return rec
}

// Deployable means published with files that can still be downloaded; each other state
// gives one plain sentence, and verified (QA passed) stays a separate fact.
func TestBlockers(t *testing.T) {
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	soon := start.Add(24 * time.Hour)
	for _, p := range []release.Phase{release.Configuration, release.QA, release.Deploy, release.Exporting, release.ExportQA, release.Scripts, release.Publishing} {
		rec := recordIn(t, "v2026-11-01", p, start)
		require.Equal(t, p, rec.Release.Phase)
		assert.Equal(t, []string{"It is still in phase " + string(p) + ": " + phaseNotes[p] + "."}, Blockers(rec, soon), p)
	}

	done := recordIn(t, "v2026-11-01", release.Done, start)
	assert.Empty(t, Blockers(done, soon))
	assert.True(t, Verified(done))

	expired := recordIn(t, "v2026-11-01", release.Done, start)
	assert.Equal(t, []string{"The download link of openmrs_concepts_2.sql.zip expired on 2026-11-08 08:07 UTC; the janitor renews links daily."},
		Blockers(expired, start.Add(8*24*time.Hour)))
	assert.Equal(t, []string{"Its files are past their retention since 2026-11-22."}, Blockers(expired, start.Add(22*24*time.Hour)))

	rejected := recordIn(t, "v2026-11-01", release.Done, start)
	require.NoError(t, rejected.Release.ApplyCommand(release.Command{Event: release.Rejected, Actor: "alice", Reason: "wrong units"}, start.Add(time.Hour), 0))
	assert.Equal(t, []string{"It was rejected and withdrawn from every channel."}, Blockers(rejected, soon))
	rejected.Withdrawn = &Withdrawal{At: start.Add(time.Hour), Reason: "rejected by @alice: wrong units"}
	assert.Equal(t, []string{"It was withdrawn on 2026-11-01: rejected by @alice: wrong units."}, Blockers(rejected, soon))

	removed := recordIn(t, "v2026-11-01", release.Done, start)
	removed.RemovedAt = start.Add(22 * 24 * time.Hour)
	assert.Equal(t, []string{"Its files were deleted on 2026-11-23, at the end of the retention period."}, Blockers(removed, start.Add(23*24*time.Hour)))

	failed := recordIn(t, "v2026-11-01", release.ExportQA, start)
	require.NoError(t, failed.Release.Apply(release.StepFailed, start.Add(time.Hour), "QA of the export found 3 errors", 0))
	assert.Equal(t, []string{"It failed in export-qa: QA of the export found 3 errors."}, Blockers(failed, soon))
	failed.ExportQA = &QAResult{Errors: 3}
	failed.HeadQA = &QAResult{}
	assert.False(t, Verified(failed))

	known := []KnownRelease{
		{Version: "v2026-11-20", Issue: 3, Record: failed},
		{Version: "v2026-11-10", Issue: 2, Record: done},
		{Version: "v2026-11-05", Issue: 4, Err: errors.New("it names issue #9 as its tracking issue")},
		{Version: "v2026-11-01", Issue: 1, Record: recordIn(t, "v2026-11-01", release.Done, start)},
	}
	releases, problems := SiteReleases(known, soon)
	require.Len(t, releases, 3)
	assert.False(t, releases[0].Latest)
	assert.True(t, releases[1].Latest, "the newest deployable release")
	assert.True(t, releases[2].Deployable)
	assert.False(t, releases[2].Latest, "only one is the latest")
	assert.Equal(t, "failed in export-qa", releases[0].Outcome)
	assert.Equal(t, []string{"The record of release v2026-11-05 on issue #4 cannot be read, so it is left out: it names issue #9 as its tracking issue"}, problems)
}

// The site warns of a lease gone stale and of one not trusted, naming the run; a fresh
// lease, or one given back, is no news.
func TestStaleLeasesOnTheSite(t *testing.T) {
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	run := "https://github.example.org/o/r/actions/runs/9"
	lease := func(version string, since time.Time) *Lease {
		return &Lease{Holder: LeaseRetry, Run: run, Version: version, Token: "t", Since: since, Heartbeat: since, Until: since.Add(leaseFor)}
	}
	fresh := lease("v2026-11-03", start.Add(50*time.Minute))
	stale := lease("v2026-11-02", start)
	given := lease("v2026-11-04", start)
	given.Released = start.Add(5 * time.Minute)
	untrusted := &Lease{Holder: "someone", Run: "javascript:x", Version: "v2026-11-01", Since: start, Until: start.Add(time.Hour), Problem: `lease holder "someone" is unknown`}

	got := staleLeases([]*Lease{fresh, stale, given, untrusted}, start.Add(time.Hour), 45*time.Minute)
	require.Len(t, got, 2)
	assert.Equal(t, "v2026-11-02", got[0].Version)
	assert.Equal(t, run, got[0].RunURL)
	assert.Equal(t, time.Hour, got[0].Age)
	assert.Equal(t, "v2026-11-01", got[1].Version)
	assert.Contains(t, got[1].Holder, "not trusted")
	assert.Empty(t, got[1].RunURL, "a link Shepherd would not write is not shown")
}

// The site and `status --all` show each published release's channel, hold and outcome as
// the record's rollout says, and its channel moves; runs that made a transition are
// linked from its timeline.
func TestSiteReleaseChannelsAndOutcomes(t *testing.T) {
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	soon := start.Add(24 * time.Hour)
	command := func(rec *Record, at time.Duration, c release.Command) {
		t.Helper()
		c.Actor = "alice"
		require.NoError(t, rec.Release.ApplyCommand(c, start.Add(at), 0))
	}
	published := recordIn(t, "v2026-11-01", release.Done, start)
	staged := recordIn(t, "v2026-11-01", release.Done, start)
	command(staged, time.Hour, release.Command{Event: release.Promoted})
	held := recordIn(t, "v2026-11-01", release.Done, start)
	command(held, time.Hour, release.Command{Event: release.Promoted})
	command(held, 2*time.Hour, release.Command{Event: release.HeldBack, Reason: "waiting for the lab"})
	production := recordIn(t, "v2026-11-01", release.Done, start)
	command(production, time.Hour, release.Command{Event: release.Promoted})
	command(production, 2*time.Hour, release.Command{Event: release.Promoted})
	command(production, 3*time.Hour, release.Command{Event: release.Concluded, Outcome: release.Success})
	superseded := recordIn(t, "v2026-11-01", release.Done, start)
	command(superseded, time.Hour, release.Command{Event: release.Promoted})
	command(superseded, 2*time.Hour, release.Command{Event: release.Promoted})
	command(superseded, 3*time.Hour, release.Command{Event: release.Replaced})
	rejected := recordIn(t, "v2026-11-01", release.Done, start)
	command(rejected, time.Hour, release.Command{Event: release.Rejected, Reason: "wrong units"})
	withdrawn := recordIn(t, "v2026-11-01", release.Done, start)
	withdrawn.Withdrawn = &Withdrawal{At: start.Add(time.Hour), Reason: "a wrong answer set"}
	failed := recordIn(t, "v2026-11-01", release.Scripts, start)
	require.NoError(t, failed.Release.Apply(release.StepFailed, start.Add(time.Hour), "a script failed", 0))
	incomplete := recordIn(t, "v2026-11-01", release.Exporting, start)
	require.NoError(t, incomplete.Release.Apply(release.ExportNotReady, start.Add(time.Hour), "no export", 1))
	running := recordIn(t, "v2026-11-01", release.Exporting, start)
	running.Release.Transitions[1].Run = "https://github.com/o/r/actions/runs/7"

	for _, c := range []struct {
		name               string
		rec                *Record
		channel, outcome   string
		withdrawn, held    bool
		deployable, movers int
	}{
		{"published", published, "unverified", "published", false, false, 1, 0},
		{"staged", staged, "staged", "published", false, false, 1, 1},
		{"held", held, "staged", "published", false, true, 1, 2},
		{"production", production, "production", "published; outcome success", false, false, 1, 3},
		{"superseded", superseded, "superseded", "published", false, false, 1, 3},
		{"rejected", rejected, "withdrawn", "published, then rejected", true, false, 0, 1},
		{"withdrawn", withdrawn, "unverified", "published, then withdrawn", true, false, 0, 0},
		{"failed", failed, "", "failed in scripts", false, false, 0, 0},
		{"incomplete", incomplete, "", "incomplete: no export", false, false, 0, 0},
		{"running", running, "", "", false, false, 0, 0},
	} {
		r := SiteRelease(KnownRelease{Version: "v2026-11-01", Issue: 1, Record: c.rec}, soon)
		assert.Equal(t, c.channel, r.Channel, c.name)
		assert.Equal(t, c.outcome, r.Outcome, c.name)
		assert.Equal(t, c.withdrawn, r.Withdrawn, c.name)
		assert.Equal(t, c.held, r.Held, c.name)
		assert.Equal(t, c.deployable == 1, r.Deployable, c.name)
		assert.Len(t, r.Moves, c.movers, c.name)
	}
	r := SiteRelease(KnownRelease{Version: "v2026-11-01", Record: production}, soon)
	assert.Equal(t, "concluded", r.Moves[2].Command)
	assert.Equal(t, "success", r.Moves[2].Outcome)
	assert.Equal(t, "alice", r.Moves[2].By)
	assert.Equal(t, "https://github.com/o/r/actions/runs/7", SiteRelease(KnownRelease{Version: "v2026-11-01", Record: running}, soon).Timeline[1].Run)
}
