package release

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const week = 7 * 24 * time.Hour

// done is a published release at t0+1h, with no channel move yet.
func done(t *testing.T) *State {
	t.Helper()
	return inPhase(t, Done)
}

func cmd(ev Event) Command { return Command{Event: ev, Actor: "maria", Reason: "because"} }

// TestChannelCommandsTable writes the channel table out by hand, as TestEveryPhaseEventPair
// does for phases: every pair missing here must be refused.
func TestChannelCommandsTable(t *testing.T) {
	expected := map[Channel]map[Event]Channel{
		Unverified: {Promoted: Staged, HeldBack: Unverified, Rejected: Withdrawn},
		Staged:     {Promoted: Production, HeldBack: Staged, Rejected: Withdrawn},
		Production: {Concluded: Production, Rejected: Withdrawn, Replaced: Superseded},
		Superseded: {Concluded: Superseded, Rejected: Withdrawn, Restored: Production},
		Withdrawn:  {},
	}
	reach := map[Channel][]Event{Unverified: nil, Staged: {Promoted}, Production: {Promoted, Promoted},
		Superseded: {Promoted, Promoted, Replaced}, Withdrawn: {Rejected}}
	for _, ch := range Channels {
		for _, ev := range []Event{Promoted, HeldBack, Unheld, Rejected, Concluded, Replaced, Restored} {
			t.Run(string(ch)+"/"+string(ev), func(t *testing.T) {
				s := done(t)
				at := t0.Add(time.Hour)
				for _, e := range reach[ch] {
					at = at.Add(week)
					require.NoError(t, s.ApplyCommand(cmd(e), at, week))
				}
				c := cmd(ev)
				c.Outcome = Success
				before := *rolloutCopy(s)
				err := s.ApplyCommand(c, at.Add(week), week)
				want, ok := expected[ch][ev]
				if !ok {
					require.Error(t, err)
					assert.ErrorIs(t, err, ErrRefused)
					assert.Equal(t, before, *rolloutCopy(s), "a refused command changes nothing")
					return
				}
				require.NoError(t, err)
				assert.Equal(t, want, s.Channel())
				assert.NoError(t, s.Validate(), "every accepted move replays")
			})
		}
	}
}

// rolloutCopy is the rollout or its empty start, for comparing before and after.
func rolloutCopy(s *State) *Rollout {
	r := *s.rollout()
	return &r
}

func TestChannelsStartOnlyWhenDone(t *testing.T) {
	s := inPhase(t, Publishing)
	err := s.ApplyCommand(cmd(Promoted), t0.Add(time.Hour), week)
	require.ErrorIs(t, err, ErrRefused)
	assert.Contains(t, err.Error(), "phase publishing")
	assert.Equal(t, Channel(""), s.Channel())
}

func TestGracePeriodIsEnforcedAndAnOverrideIsRecorded(t *testing.T) {
	s := done(t)
	staged := t0.Add(2 * time.Hour)
	require.NoError(t, s.ApplyCommand(cmd(Promoted), staged, week))
	assert.Equal(t, Staged, s.Channel())
	assert.Equal(t, 3*24*time.Hour, s.GraceLeft(staged.Add(4*24*time.Hour), week))

	err := s.ApplyCommand(cmd(Promoted), staged.Add(6*24*time.Hour), week)
	require.ErrorIs(t, err, ErrGracePeriod)
	assert.Contains(t, err.Error(), staged.Add(week).Format(time.RFC3339))
	assert.Equal(t, Staged, s.Channel())

	early := cmd(Promoted)
	early.Override = "a site needs the fix for a go-live on Monday"
	require.NoError(t, s.ApplyCommand(early, staged.Add(6*24*time.Hour), week))
	assert.Equal(t, Production, s.Channel())
	last := s.Rollout.Moves[len(s.Rollout.Moves)-1]
	assert.Equal(t, "a site needs the fix for a go-live on Monday", last.Override)
	assert.Equal(t, "maria", last.Actor)
	require.NoError(t, s.Validate())
}

func TestOverrideIsNotRecordedWhenTheGracePeriodHadEnded(t *testing.T) {
	s := done(t)
	require.NoError(t, s.ApplyCommand(cmd(Promoted), t0.Add(2*time.Hour), week))
	c := cmd(Promoted)
	c.Override = "not needed"
	require.NoError(t, s.ApplyCommand(c, t0.Add(2*time.Hour+week), week))
	assert.Empty(t, s.Rollout.Moves[1].Override)
}

func TestHoldBlocksPromotionUntilLifted(t *testing.T) {
	s := done(t)
	at := t0.Add(2 * time.Hour)
	require.NoError(t, s.ApplyCommand(cmd(HeldBack), at, week))
	err := s.ApplyCommand(cmd(Promoted), at.Add(time.Minute), week)
	require.ErrorIs(t, err, ErrRefused)
	assert.Contains(t, err.Error(), "on hold")
	require.NoError(t, s.ApplyCommand(cmd(Unheld), at.Add(2*time.Minute), week))
	require.NoError(t, s.ApplyCommand(cmd(Promoted), at.Add(3*time.Minute), week))
	assert.Equal(t, Staged, s.Channel())
	require.NoError(t, s.Validate())
}

func TestOutcomeEndsTheRollout(t *testing.T) {
	s := done(t)
	require.NoError(t, s.ApplyCommand(cmd(Promoted), t0.Add(2*time.Hour), week))
	require.NoError(t, s.ApplyCommand(cmd(Promoted), t0.Add(2*time.Hour+week), week))
	c := cmd(Concluded)
	c.Outcome = "great"
	require.ErrorIs(t, s.ApplyCommand(c, t0.Add(3*time.Hour+week), week), ErrRefused)
	c.Outcome = Warning
	require.NoError(t, s.ApplyCommand(c, t0.Add(3*time.Hour+week), week))
	assert.Equal(t, Warning, s.Rollout.Outcome)
	require.ErrorIs(t, s.ApplyCommand(c, t0.Add(4*time.Hour+week), week), ErrRefused, "one outcome")
	// A problem found later still withdraws it.
	require.NoError(t, s.ApplyCommand(cmd(Rejected), t0.Add(5*time.Hour+week), week))
	assert.Equal(t, Withdrawn, s.Channel())
	assert.Equal(t, Reject, s.Rollout.Outcome)
	require.NoError(t, s.Validate())
}

func TestAbortAndRetryAreCommandsWithAnActor(t *testing.T) {
	s := inPhase(t, Exporting)
	c := Command{Event: Aborted, Actor: "maria", Reason: "aborted by @maria: wrong source", Comment: 41}
	require.NoError(t, s.ApplyCommand(c, t0.Add(time.Hour), week))
	assert.Equal(t, Failed, s.Phase)
	assert.Equal(t, Exporting, s.FailedIn)
	assert.Equal(t, "maria", s.Last().Actor)
	assert.True(t, s.Handled(41))
	assert.False(t, s.Handled(42))
	require.ErrorIs(t, s.ApplyCommand(c, t0.Add(2*time.Hour), week), ErrRefused, "a failed release cannot be aborted")
	require.NoError(t, s.ApplyCommand(Command{Event: Retried, Actor: "maria", Comment: 42}, t0.Add(3*time.Hour), week))
	assert.Equal(t, Exporting, s.Phase)
	require.NoError(t, s.Validate())
	require.ErrorIs(t, done(t).ApplyCommand(c, t0.Add(time.Hour), week), ErrRefused, "a done release cannot be aborted")
}

// TestValidateReplaysChannelMovesThroughTheTable: a record edited on GitHub cannot claim
// a move the table refuses.
func TestValidateReplaysChannelMovesThroughTheTable(t *testing.T) {
	at := t0.Add(2 * time.Hour)
	cases := map[string]func(s *State){
		"skips staged": func(s *State) {
			s.Rollout = &Rollout{Channel: Production, Moves: []Move{{Event: Promoted, From: Unverified, To: Production, Actor: "x", At: at}}}
		},
		"promotes while held": func(s *State) {
			s.Rollout = &Rollout{Channel: Staged, Moves: []Move{
				{Event: HeldBack, From: Unverified, To: Unverified, Actor: "x", At: at},
				{Event: Promoted, From: Unverified, To: Staged, Actor: "x", At: at}}}
		},
		"back from withdrawn": func(s *State) {
			s.Rollout = &Rollout{Channel: Staged, Moves: []Move{
				{Event: Rejected, From: Unverified, To: Withdrawn, Actor: "x", At: at, Outcome: Reject},
				{Event: Promoted, From: Withdrawn, To: Staged, Actor: "x", At: at}}}
		},
		"no actor": func(s *State) {
			s.Rollout = &Rollout{Channel: Staged, Moves: []Move{{Event: Promoted, From: Unverified, To: Staged, At: at}}}
		},
		"channel not where moves end": func(s *State) {
			s.Rollout = &Rollout{Channel: Production, Moves: []Move{{Event: Promoted, From: Unverified, To: Staged, Actor: "x", At: at}}}
		},
		"dated before done": func(s *State) {
			s.Rollout = &Rollout{Channel: Staged, Moves: []Move{{Event: Promoted, From: Unverified, To: Staged, Actor: "x", At: t0}}}
		},
		"reject without its outcome": func(s *State) {
			s.Rollout = &Rollout{Channel: Withdrawn, Outcome: Reject, Moves: []Move{{Event: Rejected, From: Unverified, To: Withdrawn, Actor: "x", At: at}}}
		},
		"a phase event as a move": func(s *State) {
			s.Rollout = &Rollout{Channel: Unverified, Moves: []Move{{Event: Published, From: Unverified, To: Unverified, Actor: "x", At: at}}}
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			s := done(t)
			edit(s)
			assert.Error(t, s.Validate())
		})
	}
	t.Run("channel before done", func(t *testing.T) {
		s := inPhase(t, Publishing)
		s.Rollout = &Rollout{Channel: Unverified}
		assert.ErrorContains(t, s.Validate(), "phase")
	})
}

// TestStateWithoutRolloutStillLoads: a record written before channels existed reads as
// unverified and accepts its first promotion.
func TestStateWithoutRolloutStillLoads(t *testing.T) {
	old := done(t)
	data, err := json.Marshal(old)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "rollout")
	var s State
	require.NoError(t, json.Unmarshal(data, &s))
	require.NoError(t, s.Validate())
	assert.Equal(t, Unverified, s.Channel())
	require.NoError(t, s.ApplyCommand(cmd(Promoted), t0.Add(time.Hour), week))
	assert.Equal(t, Staged, s.Channel())
	assert.False(t, errors.Is(s.Validate(), ErrRefused))
}
