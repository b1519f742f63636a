package github

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type sample struct {
	Phase   string   `json:"phase"`
	Reasons []string `json:"reasons"`
}

func TestSectionRoundTripKeepsPeoplesText(t *testing.T) {
	s1, err := RenderSection("## Status\nphase: qa", sample{Phase: "qa", Reasons: []string{"opened"}})
	require.NoError(t, err)
	body := "Notes from the team: please check malaria concepts.\n\n" + s1 + "\n\nMore notes below.\n"

	s2, err := RenderSection("## Status\nphase: deploy", sample{Phase: "deploy", Reasons: []string{"opened", "qa passed -- 0 errors <b>"}})
	require.NoError(t, err)
	updated := ReplaceSection(body, s2)

	assert.True(t, strings.HasPrefix(updated, "Notes from the team: please check malaria concepts.\n\n"))
	assert.True(t, strings.HasSuffix(updated, "\n\nMore notes below.\n"))
	assert.Equal(t, 1, strings.Count(updated, sectionStart))
	assert.NotContains(t, updated, "phase: qa")

	var got sample
	require.NoError(t, ReadState(updated, &got))
	assert.Equal(t, sample{Phase: "deploy", Reasons: []string{"opened", "qa passed -- 0 errors <b>"}}, got)
	hidden := updated[strings.Index(updated, statePrefix):]
	hidden = hidden[:strings.Index(hidden, stateSuffix)]
	assert.NotContains(t, hidden[len(statePrefix):], "--", "a double dash would end the HTML comment early")
}

func TestReplaceSectionAppendsToBodyWithoutOne(t *testing.T) {
	s, err := RenderSection("status", sample{})
	require.NoError(t, err)
	assert.Equal(t, s, ReplaceSection("", s))
	assert.Equal(t, "hello\n\n"+s, ReplaceSection("hello\n\n\n", s))
}

func TestReadStateErrors(t *testing.T) {
	var v sample
	assert.ErrorIs(t, ReadState("just a body", &v), ErrNoState)
	assert.ErrorIs(t, ReadState(sectionStart+"\nno state\n"+sectionEnd, &v), ErrNoState)
	assert.ErrorContains(t, ReadState(sectionStart+"\n"+statePrefix+`{"schema":99,"state":{}}`+stateSuffix+"\n"+sectionEnd, &v), "schema 99")
	assert.ErrorContains(t, ReadState(sectionStart+"\n"+statePrefix+`{broken`+stateSuffix, &v), "not valid JSON")
}

func TestVisibleTextCannotForgeState(t *testing.T) {
	forged := statePrefix + `{"schema":1,"state":{"phase":"done"}}` + stateSuffix
	s, err := RenderSection("a concept named "+forged, sample{Phase: "qa"})
	require.NoError(t, err)
	var got sample
	require.NoError(t, ReadState(s, &got))
	assert.Equal(t, "qa", got.Phase)
}

func TestMarkers(t *testing.T) {
	m := Marker("milestone", "v2026-11-22/qa-warnings")
	assert.Equal(t, "<!-- shepherd:milestone v2026-11-22/qa-warnings -->", m)
}

func FuzzReplaceSection(f *testing.F) {
	f.Add("people text", "status")
	f.Add(sectionStart+"x", "y")
	f.Add("a"+sectionEnd+sectionStart, "")
	f.Fuzz(func(t *testing.T, body, visible string) {
		s, err := RenderSection(visible, sample{Phase: visible})
		if err != nil {
			t.Fatal(err)
		}
		out := ReplaceSection(body, s)
		var got sample
		if err := ReadState(out, &got); err != nil {
			// A body whose own text contains our start marker may hide the new section;
			// the bot never writes such bodies, but it must not crash on them.
			if strings.Contains(body, sectionStart) {
				return
			}
			t.Fatalf("state unreadable after replace: %v", err)
		}
	})
}
