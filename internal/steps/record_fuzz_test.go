package steps

import (
	"log/slog"
	"strings"
	"testing"
	"time"

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
