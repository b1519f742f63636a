package steps_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/site"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// A command run that moves a release's channel writes no transition; its move names the
// run's attempt instead, and the status's channel moves and the site link it (the
// attempt's page keeps its decision log). Moves from a terminal link nothing.
func TestChannelMovesLinkTheRunThatMadeThem(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	sb.Clock.Advance(time.Hour)
	say(t, sb, issue, "alice", "/shepherd promote") // from a terminal
	// The second attempt of run 8: its link opens that attempt, also after later re-runs.
	run := steps.RunURL(func(k string) string {
		return map[string]string{"GITHUB_SERVER_URL": "https://github.example.org", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "8", "GITHUB_RUN_ATTEMPT": "2"}[k]
	})
	require.Equal(t, "https://github.example.org/o/r/actions/runs/8/attempts/2", run)
	sb.Clock.Advance(time.Hour)
	require.NoError(t, sb.Restart(t.Context()))
	sb.Env.RunURL = run
	say(t, sb, issue, "alice", `/shepherd hold "waiting for the lab"`)

	rec := status(t, sb)
	moves := rec.Release.Rollout.Moves
	require.Len(t, moves, 2)
	assert.Empty(t, moves[0].Run)
	assert.Equal(t, run, moves[1].Run)
	body, _ := issueBody(sb, issue)
	assert.Contains(t, body, "| held | staged | staged | @alice | waiting for the lab · [run and decision log]("+run+") |")

	r := steps.SiteRelease(steps.KnownRelease{Version: rec.Release.Version, Issue: issue, Record: rec}, sb.Clock.Now())
	assert.Equal(t, []string{"", run}, []string{r.Moves[0].Run, r.Moves[1].Run})
	files, err := site.Render(&site.Site{Title: "CIEL/CIEL", Built: sb.Clock.Now(), Releases: []site.Release{r}})
	require.NoError(t, err)
	assert.Contains(t, string(files["releases/"+rec.Release.Version+"/index.html"]), `waiting for the lab · <a href="`+run+`" data-run>run and decision log</a>`)
	assert.Equal(t, release.Staged, rec.Release.Channel())
}
