package release

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Channel is where a published release stands for the people who download it. It is a
// dimension of its own: a release is done publishing, then moves through channels.
type Channel string

// The channels, in the order a release is promoted through them. Superseded is the
// previous production release, replaced by a newer one (and put back if that one is
// rejected); Withdrawn is where a rejected release ends, out of every channel.
const (
	Unverified Channel = "unverified"
	Staged     Channel = "staged"
	Production Channel = "production"
	Superseded Channel = "superseded"
	Withdrawn  Channel = "withdrawn"
)

// Channels lists every channel in promotion order, Withdrawn last.
var Channels = []Channel{Unverified, Staged, Production, Superseded, Withdrawn}

// Outcome is how a release ended, recorded by a person when it closes.
type Outcome string

// The outcomes.
const (
	Success Outcome = "success"
	Warning Outcome = "warning"
	Reject  Outcome = "reject"
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{Success, Warning, Reject}

// The events people cause with commands on the tracking issue. Each carries its actor.
const (
	Promoted  Event = "promoted"  // to the next channel
	HeldBack  Event = "held"      // no promotion until the hold is lifted
	Unheld    Event = "unheld"    // the hold lifted
	Rejected  Event = "rejected"  // withdrawn from every channel; the outcome is reject
	Concluded Event = "concluded" // the outcome recorded (success or warning)
	Aborted   Event = "aborted"   // a person stopped a release still on its way: failed
)

// The moves another release's promotion or rejection causes. Their actor is the person
// who moved that other release.
const (
	Replaced Event = "replaced" // a newer release went to production: this one is superseded
	Restored Event = "restored" // the release that replaced it was rejected: back to production
)

// Command is one person's request: the event it asks for, who asked, why, and the
// comment it came in (0 for a label).
type Command struct {
	Event   Event
	Actor   string
	Reason  string
	Outcome Outcome // for Concluded
	// Override is the reason given to promote to production before the grace period
	// ends; empty when none was given.
	Override string
	Comment  int64
}

// Move is one recorded change of a release's channel, hold or outcome.
type Move struct {
	Event    Event     `json:"event"`
	From     Channel   `json:"from"`
	To       Channel   `json:"to"`
	Actor    string    `json:"actor"`
	At       time.Time `json:"at"`
	Reason   string    `json:"reason,omitempty"`
	Outcome  Outcome   `json:"outcome,omitempty"`
	Override string    `json:"override,omitempty"` // why the grace period was cut short
	Comment  int64     `json:"comment,omitempty"`  // the command's comment: it acts once
	// Run is the workflow run that made the move (its page keeps the run's decision log);
	// empty when it was made from a terminal.
	Run string `json:"run,omitempty"`
}

// Rollout is a published release's place in the channels. A release recorded before
// channels existed has none: it reads as unverified.
type Rollout struct {
	Channel Channel `json:"channel"`
	Held    bool    `json:"held,omitempty"`
	Outcome Outcome `json:"outcome,omitempty"`
	Moves   []Move  `json:"moves,omitempty"`
}

// channelRule is what one command does in one channel.
type channelRule struct {
	to Channel
	// when, if set, refuses the command in a state the channel alone does not tell
	// apart (held or not, an outcome recorded or not), in one plain sentence.
	when func(r *Rollout, c Command) string
}

func notHeld(r *Rollout, _ Command) string {
	if r.Held {
		return "the release is on hold; lift the hold first (/shepherd hold cancel)"
	}
	return ""
}

func open(r *Rollout, _ Command) string {
	if r.Outcome != "" {
		return fmt.Sprintf("the release already ended with the outcome %s", r.Outcome)
	}
	return ""
}

func isHeld(r *Rollout, _ Command) string {
	if !r.Held {
		return "the release is not on hold"
	}
	return ""
}

func both(checks ...func(*Rollout, Command) string) func(*Rollout, Command) string {
	return func(r *Rollout, c Command) string {
		for _, check := range checks {
			if s := check(r, c); s != "" {
				return s
			}
		}
		return ""
	}
}

func concludes(r *Rollout, c Command) string {
	if s := open(r, c); s != "" {
		return s
	}
	if c.Outcome != Success && c.Outcome != Warning {
		return fmt.Sprintf("%q is not an outcome (success, warning or reject)", c.Outcome)
	}
	return ""
}

// channelRules is the one table that decides which command a channel accepts and where
// it leads. Commands, labels and the replay of a record read from GitHub all go
// through it.
var channelRules = map[Channel]map[Event]channelRule{
	Unverified: {
		Promoted: {Staged, both(open, notHeld)},
		HeldBack: {Unverified, both(open, notHeld)},
		Unheld:   {Unverified, isHeld},
		Rejected: {Withdrawn, nil},
	},
	Staged: {
		Promoted: {Production, both(open, notHeld)},
		HeldBack: {Staged, both(open, notHeld)},
		Unheld:   {Staged, isHeld},
		Rejected: {Withdrawn, nil},
	},
	Production: {
		Concluded: {Production, concludes},
		Rejected:  {Withdrawn, nil},
		Replaced:  {Superseded, nil},
	},
	Superseded: {
		Concluded: {Superseded, concludes},
		Rejected:  {Withdrawn, nil},
		Restored:  {Production, nil},
	},
	Withdrawn: {},
}

// phaseCommands are the commands a release still on its way (or stopped) accepts: they
// act on the phase, not the channel.
var phaseCommands = map[Event]func(p Phase) bool{
	Aborted: func(p Phase) bool { return p != Done && p != Failed },
	Retried: func(p Phase) bool { return p == Failed || p == Incomplete },
}

// Accepts reports whether the release accepts the command's event now and, if not, why,
// in one plain sentence. It does not check the grace period (see Blockers).
func (s *State) Accepts(c Command) error {
	if ok, known := phaseCommands[c.Event]; known {
		if !ok(s.Phase) {
			return &RefusedError{Phase: s.Phase, Event: c.Event}
		}
		return nil
	}
	if s.Phase != Done {
		return &CommandRefusedError{Event: c.Event, Why: fmt.Sprintf("the release is in phase %s; channels start once it is done publishing", s.Phase)}
	}
	r := s.rollout()
	rule, ok := channelRules[r.Channel][c.Event]
	if !ok {
		return &CommandRefusedError{Event: c.Event, Why: fmt.Sprintf("a release in the %s channel does not accept it", r.Channel)}
	}
	if rule.when != nil {
		if why := rule.when(r, c); why != "" {
			return &CommandRefusedError{Event: c.Event, Why: why}
		}
	}
	return nil
}

// CommandRefusedError is a command the release does not accept in its state.
type CommandRefusedError struct {
	Event Event
	Why   string
}

func (e *CommandRefusedError) Error() string { return fmt.Sprintf("%s refused: %s", e.Event, e.Why) }

// Is makes errors.Is(err, ErrRefused) true.
func (e *CommandRefusedError) Is(target error) bool { return target == ErrRefused }

// rollout is the release's rollout, the unverified start when none is recorded yet.
func (s *State) rollout() *Rollout {
	if s.Rollout == nil {
		return &Rollout{Channel: Unverified}
	}
	return s.Rollout
}

// Channel is where the release stands: empty while it is not done publishing.
func (s *State) Channel() Channel {
	if s.Phase != Done {
		return ""
	}
	return s.rollout().Channel
}

// Handled reports whether the command in comment id was already acted on: an event
// delivered twice acts once.
func (s *State) Handled(comment int64) bool {
	if comment == 0 {
		return false
	}
	for _, t := range s.Transitions {
		if t.Comment == comment {
			return true
		}
	}
	return s.Rollout != nil && slices.ContainsFunc(s.Rollout.Moves, func(m Move) bool { return m.Comment == comment })
}

// StagedSince is when the release entered the staged channel (zero if it has not).
func (s *State) StagedSince() time.Time {
	r := s.rollout()
	for i := len(r.Moves) - 1; i >= 0; i-- {
		if m := r.Moves[i]; m.To == Staged && m.From != Staged {
			return m.At
		}
	}
	return time.Time{}
}

// GraceLeft is how long the release must still stay staged at now before promote to
// production is accepted without an override; 0 when it may go.
func (s *State) GraceLeft(now time.Time, grace time.Duration) time.Duration {
	if s.Channel() != Staged {
		return 0
	}
	return max(0, s.StagedSince().Add(grace).Sub(now))
}

// ErrGracePeriod is a promotion to production asked for before the grace period ended.
var ErrGracePeriod = errors.New("the grace period has not ended")

// ApplyCommand acts on a person's command: the one place channel moves and phase
// commands are decided. grace is how long a release must stay staged before it may go
// to production without an override.
func (s *State) ApplyCommand(c Command, at time.Time, grace time.Duration) error {
	if err := s.Accepts(c); err != nil {
		return err
	}
	switch c.Event {
	case Aborted, Retried:
		return s.applyPhaseCommand(c, at)
	case Promoted:
		if left := s.GraceLeft(at, grace); left > 0 && c.Override == "" {
			return fmt.Errorf("%w: the release must stay staged until %s", ErrGracePeriod, s.StagedSince().Add(grace).UTC().Format(time.RFC3339))
		}
	}
	if c.Event != Promoted || s.GraceLeft(at, grace) == 0 {
		c.Override = "" // an override recorded only where it cut the grace period short
	}
	r := s.rollout()
	to := channelRules[r.Channel][c.Event].to
	m := Move{Event: c.Event, From: r.Channel, To: to, Actor: c.Actor, At: at, Reason: c.Reason, Override: c.Override, Comment: c.Comment}
	switch c.Event {
	case Concluded:
		m.Outcome = c.Outcome
	case Rejected:
		m.Outcome = Reject
	}
	next := *r
	next.Moves = append(slices.Clip(r.Moves), m)
	next.apply(m)
	s.Rollout = &next
	return nil
}

func (s *State) applyPhaseCommand(c Command, at time.Time) error {
	if err := s.Apply(c.Event, at, c.Reason, 0); err != nil {
		return err
	}
	last := &s.Transitions[len(s.Transitions)-1]
	last.Actor, last.Comment = c.Actor, c.Comment
	return nil
}

// apply updates the rollout for a move already decided.
func (r *Rollout) apply(m Move) {
	r.Channel = m.To
	switch m.Event {
	case HeldBack:
		r.Held = true
	case Unheld, Promoted, Rejected:
		r.Held = false
	}
	if m.Outcome != "" {
		r.Outcome = m.Outcome
	}
}

// validateRollout replays the recorded moves through channelRules, as Validate does for
// the timeline: a record whose moves the table would not have accepted is refused.
func (s *State) validateRollout() error {
	if s.Rollout == nil {
		return nil
	}
	if s.Phase != Done {
		return fmt.Errorf("a channel is recorded but the release is in phase %q", s.Phase)
	}
	done := s.Transitions[len(s.Transitions)-1].At
	replay := Rollout{Channel: Unverified}
	prev := done
	for i, m := range s.Rollout.Moves {
		n := i + 1
		if m.At.Before(prev) {
			return fmt.Errorf("channel move %d is dated before the move or phase above it", n)
		}
		prev = m.At
		if m.From != replay.Channel {
			return fmt.Errorf("channel move %d starts from %q but the release was in %q", n, m.From, replay.Channel)
		}
		rule, ok := channelRules[replay.Channel][m.Event]
		if !ok {
			return fmt.Errorf("channel move %d: %q is not accepted in the %s channel", n, m.Event, replay.Channel)
		}
		c := Command{Event: m.Event, Actor: m.Actor, Outcome: m.Outcome}
		if rule.when != nil {
			if why := rule.when(&replay, c); why != "" {
				return fmt.Errorf("channel move %d: %s", n, why)
			}
		}
		if m.To != rule.to {
			return fmt.Errorf("channel move %d: %q leads from %q to %q, not %q", n, m.Event, m.From, rule.to, m.To)
		}
		if m.Actor == "" {
			return fmt.Errorf("channel move %d names nobody who asked for it", n)
		}
		want := map[Event]Outcome{Rejected: Reject}[m.Event]
		if m.Event == Concluded {
			want = m.Outcome
		}
		if m.Outcome != want {
			return fmt.Errorf("channel move %d: %q does not record the outcome %q", n, m.Event, m.Outcome)
		}
		replay.apply(m)
	}
	if s.Rollout.Channel != replay.Channel || s.Rollout.Held != replay.Held || s.Rollout.Outcome != replay.Outcome {
		return fmt.Errorf("the channel %q (held %t, outcome %q) is not where the moves end (%q, held %t, outcome %q)",
			s.Rollout.Channel, s.Rollout.Held, s.Rollout.Outcome, replay.Channel, replay.Held, replay.Outcome)
	}
	return nil
}
