package release

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

// expected is written out by hand, phase by phase, so that it checks the machine
// rather than restating it. A missing pair must be refused.
var expected = map[Phase]map[Event]Phase{
	Configuration: {ManifestValid: QA, StepFailed: Failed, Aborted: Failed},
	QA:            {QAPassed: Deploy, StepFailed: Failed, Aborted: Failed},
	Deploy:        {VersionCreated: Exporting, VersionExisted: Exporting, StepFailed: Failed, Aborted: Failed},
	Exporting:     {ExportNotReady: Exporting, ExportReady: ExportQA, StepFailed: Failed, Aborted: Failed},
	ExportQA:      {ExportQAPassed: Scripts, StepFailed: Failed, Aborted: Failed},
	Scripts:       {ScriptsFinished: Publishing, StepFailed: Failed, Aborted: Failed},
	Publishing:    {Published: Done, StepFailed: Failed, Aborted: Failed},
	Done:          {},
	Failed:        {Retried: QA},                         // resumes where it failed: the fixture fails it in QA
	Incomplete:    {Retried: Exporting, Aborted: Failed}, // a person may give up on a stalled export
}

// inPhase builds a state that reached p the way a real release would.
func inPhase(t *testing.T, p Phase) *State {
	t.Helper()
	s := New("v2026-11-22", t0)
	path := map[Phase][]Event{
		Configuration: nil,
		QA:            {ManifestValid},
		Deploy:        {ManifestValid, QAPassed},
		Exporting:     {ManifestValid, QAPassed, VersionCreated},
		ExportQA:      {ManifestValid, QAPassed, VersionCreated, ExportReady},
		Scripts:       {ManifestValid, QAPassed, VersionCreated, ExportReady, ExportQAPassed},
		Publishing:    {ManifestValid, QAPassed, VersionCreated, ExportReady, ExportQAPassed, ScriptsFinished},
		Done:          {ManifestValid, QAPassed, VersionCreated, ExportReady, ExportQAPassed, ScriptsFinished, Published},
		Failed:        {ManifestValid, StepFailed},
		Incomplete:    {ManifestValid, QAPassed, VersionCreated},
	}[p]
	for i, ev := range path {
		require.NoError(t, s.Apply(ev, t0.Add(time.Duration(i+1)*time.Minute), string(ev), 0))
	}
	if p == Incomplete {
		require.NoError(t, s.Apply(ExportNotReady, t0.Add(time.Hour), "", 1))
	}
	require.Equal(t, p, s.Phase)
	return s
}

func TestEveryPhaseEventPair(t *testing.T) {
	for _, p := range Phases {
		for _, ev := range Events {
			t.Run(string(p)+"/"+string(ev), func(t *testing.T) {
				s := inPhase(t, p)
				before := len(s.Transitions)
				want, ok := expected[p][ev]
				err := s.Apply(ev, t0.Add(24*time.Hour), "because", 0)
				if !ok {
					require.Error(t, err)
					assert.True(t, errors.Is(err, ErrRefused))
					assert.Contains(t, err.Error(), string(p))
					assert.Equal(t, p, s.Phase, "a refused event must not move the release")
					assert.Len(t, s.Transitions, before)
					assert.False(t, inPhase(t, p).Can(ev))
					return
				}
				require.NoError(t, err)
				assert.Equal(t, want, s.Phase)
				assert.True(t, inPhase(t, p).Can(ev))
			})
		}
	}
}

func TestTransitionsRecordTimeAndReason(t *testing.T) {
	s := New("v2026-11-22", t0)
	require.NoError(t, s.Apply(ManifestValid, t0.Add(time.Minute), "manifest releases/v2026-11-22.yaml is valid", 0))
	require.NoError(t, s.Apply(StepFailed, t0.Add(2*time.Minute), "QA found 3 errors", 0))
	assert.Equal(t, []Transition{
		{To: Configuration, At: t0, Reason: "release v2026-11-22 opened"},
		{From: Configuration, To: QA, Event: ManifestValid, At: t0.Add(time.Minute), Reason: "manifest releases/v2026-11-22.yaml is valid"},
		{From: QA, To: Failed, Event: StepFailed, At: t0.Add(2 * time.Minute), Reason: "QA found 3 errors"},
	}, s.Transitions)
	assert.Equal(t, QA, s.FailedIn)
	assert.Equal(t, "QA found 3 errors", s.Last().Reason)
}

func TestPollingCountsAttemptsAndGivesUpAtTheLimit(t *testing.T) {
	s := inPhase(t, Exporting)
	transitions := len(s.Transitions)
	const limit = 72
	for i := 1; i < limit; i++ {
		require.NoError(t, s.Apply(ExportNotReady, t0.Add(time.Duration(i)*10*time.Minute), "204", limit))
		require.Equal(t, Exporting, s.Phase, "poll %d", i)
		require.Equal(t, i, s.Attempts)
	}
	assert.Len(t, s.Transitions, transitions, "polls that find nothing add no timeline lines")
	require.NoError(t, s.Apply(ExportNotReady, t0.Add(limit*10*time.Minute), "no export after 72 attempts", limit))
	assert.Equal(t, Incomplete, s.Phase)
	assert.Equal(t, limit, s.Attempts)
	assert.Equal(t, 710*time.Minute, s.Waited())
	assert.Equal(t, Incomplete, s.Last().To)

	require.NoError(t, s.Apply(Retried, t0.Add(48*time.Hour), "retried by an operator", limit))
	assert.Equal(t, Exporting, s.Phase)
	assert.Zero(t, s.Attempts)
	assert.Zero(t, s.Waited())
}

func TestExportReadyCountsTheSuccessfulPoll(t *testing.T) {
	s := inPhase(t, Exporting)
	require.NoError(t, s.Apply(ExportNotReady, t0.Add(10*time.Minute), "", 72))
	require.NoError(t, s.Apply(ExportReady, t0.Add(20*time.Minute), "export ready (302)", 72))
	assert.Equal(t, 2, s.Attempts)
	assert.Equal(t, 10*time.Minute, s.Waited())
}

func TestRetryResumesWhereItFailed(t *testing.T) {
	s := inPhase(t, Scripts)
	require.NoError(t, s.Apply(StepFailed, t0.Add(time.Hour), "script liquibase exited 1", 0))
	require.NoError(t, s.Apply(Retried, t0.Add(2*time.Hour), "script fixed", 0))
	assert.Equal(t, Scripts, s.Phase)
	assert.Empty(t, s.FailedIn)
}

func TestStateSurvivesJSON(t *testing.T) {
	s := inPhase(t, Exporting)
	require.NoError(t, s.Apply(ExportNotReady, t0.Add(10*time.Minute), "", 72))
	raw, err := json.Marshal(s)
	require.NoError(t, err)
	var back State
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, *s, back)
	assert.NoError(t, back.Apply(ExportReady, t0.Add(20*time.Minute), "", 72))
}

// Every state the machine can reach validates; each damage a person could make to the
// record is refused with what is wrong, and Last never panics.
func TestValidateAcceptsReachableStatesAndRefusesDamagedOnes(t *testing.T) {
	for _, p := range Phases {
		s := inPhase(t, p)
		require.NoError(t, s.Validate(), p)
		for _, ev := range Events {
			c := inPhase(t, p)
			if c.Apply(ev, t0.Add(24*time.Hour), "", 72) == nil {
				require.NoError(t, c.Validate(), "%s after %s", p, ev)
			}
		}
	}
	damage := map[string]func(s *State){
		"the timeline is empty":           func(s *State) { s.Transitions = []Transition{} },
		"does not start with the opening": func(s *State) { s.Transitions = s.Transitions[1:] },
		"is not where the timeline ends":  func(s *State) { s.Phase = Deploy },
		"dated before":                    func(s *State) { s.Transitions[2].At = t0.Add(-time.Hour) },
		"leads from":                      func(s *State) { s.Transitions[2].To = Done },
		"starts from":                     func(s *State) { s.Transitions[2].From = Publishing },
		"not a possible count":            func(s *State) { s.Attempts = -1 },
		"do not fit the number of polls":  func(s *State) { s.Attempts = 3 },
		"failed_in":                       func(s *State) { s.FailedIn = Scripts },
		"no version":                      func(s *State) { s.Version = "" },
		`event "published" refused`:       func(s *State) { s.Transitions[2].Event = Published },
	}
	for want, f := range damage {
		s := inPhase(t, Exporting)
		f(s)
		err := s.Validate()
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
	}
	var empty State
	assert.Equal(t, Transition{}, empty.Last())
}
