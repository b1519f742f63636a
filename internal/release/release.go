// Package release is the release state machine: the phases a dictionary release goes
// through, the events that move it between them, and the record of every transition.
// It is pure: no I/O, no clock. Callers pass the time of each event.
package release

import (
	"errors"
	"fmt"
	"time"
)

// Phase is where a release stands.
type Phase string

// The phases, in the order a successful release passes them.
const (
	Configuration Phase = "configuration"
	QA            Phase = "qa"
	Deploy        Phase = "deploy"
	Exporting     Phase = "exporting"
	ExportQA      Phase = "export-qa"
	Scripts       Phase = "scripts"
	Publishing    Phase = "publishing"
	Done          Phase = "done"
	Failed        Phase = "failed"
	Incomplete    Phase = "incomplete"
)

// Phases lists every phase, in flow order, the end states last.
var Phases = []Phase{Configuration, QA, Deploy, Exporting, ExportQA, Scripts, Publishing, Done, Failed, Incomplete}

// Terminal reports whether no step runs in this phase without a retry.
func (p Phase) Terminal() bool { return p == Done || p == Failed || p == Incomplete }

// Event is something that happened to a release.
type Event string

// The events. Each names what happened, not what to do.
const (
	ManifestValid   Event = "manifest-valid"
	QAPassed        Event = "qa-passed"
	VersionCreated  Event = "version-created"
	VersionExisted  Event = "version-existed" // a re-run found our version already on OCL
	ExportNotReady  Event = "export-not-ready"
	ExportReady     Event = "export-ready"
	ExportQAPassed  Event = "export-qa-passed"
	ScriptsFinished Event = "scripts-finished"
	Published       Event = "published"
	StepFailed      Event = "step-failed" // QA errors, a script failed, OCL refused, …
	Retried         Event = "retried"     // an operator asked to try a failed or incomplete release again
)

// Events lists every event.
var Events = []Event{ManifestValid, QAPassed, VersionCreated, VersionExisted, ExportNotReady, ExportReady,
	ExportQAPassed, ScriptsFinished, Published, StepFailed, Retried, Aborted,
	Promoted, HeldBack, Unheld, Rejected, Concluded}

// forward is the happy path: the phase each event leads to from the phase it belongs to.
var forward = map[Phase]map[Event]Phase{
	Configuration: {ManifestValid: QA},
	QA:            {QAPassed: Deploy},
	Deploy:        {VersionCreated: Exporting, VersionExisted: Exporting},
	Exporting:     {ExportReady: ExportQA}, // ExportNotReady is handled apart: it counts attempts
	ExportQA:      {ExportQAPassed: Scripts},
	Scripts:       {ScriptsFinished: Publishing},
	Publishing:    {Published: Done},
}

// Transition is one recorded move, with the reason people read on the status.
type Transition struct {
	From   Phase     `json:"from"`
	To     Phase     `json:"to"`
	Event  Event     `json:"event"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
	// Run is the workflow run that made the transition (its page lists the run's
	// decision log artifact); empty when it was made from a terminal.
	Run string `json:"run,omitempty"`
	// Actor is the person whose command caused the move (retry, abort); empty for the
	// bot's own steps. Comment is the command's comment, so that it acts once.
	Actor   string `json:"actor,omitempty"`
	Comment int64  `json:"comment,omitempty"`
}

// State is everything the machine knows about one release. It is serialised into the
// tracking issue, so field names are part of a versioned format.
type State struct {
	Version     string       `json:"version"`
	Phase       Phase        `json:"phase"`
	FailedIn    Phase        `json:"failed_in,omitempty"` // the phase a failure happened in: where a retry resumes
	Attempts    int          `json:"attempts"`            // export polls made in the current exporting run
	FirstPoll   time.Time    `json:"first_poll,omitzero"`
	LastPoll    time.Time    `json:"last_poll,omitzero"`
	Transitions []Transition `json:"transitions"`
	// Rollout is the published release's channel (rollout.go); nil until the first move.
	Rollout *Rollout `json:"rollout,omitempty"`
}

// New starts a release in the configuration phase.
func New(version string, at time.Time) *State {
	return &State{Version: version, Phase: Configuration, Transitions: []Transition{{
		From: "", To: Configuration, Event: "", At: at, Reason: "release " + version + " opened",
	}}}
}

// ErrRefused means the event makes no sense in the release's phase.
var ErrRefused = errors.New("event refused")

// RefusedError says which event was refused in which phase.
type RefusedError struct {
	Phase Phase
	Event Event
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("event %q refused: the release is in phase %q", e.Event, e.Phase)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Apply moves the release on. For ExportNotReady, maxAttempts > 0 turns the poll that
// reaches it into the move to Incomplete; other events ignore it.
func (s *State) Apply(ev Event, at time.Time, reason string, maxAttempts int) error {
	next, err := s.next(ev, maxAttempts)
	if err != nil {
		return err
	}
	switch ev {
	case ExportNotReady:
		s.countPoll(at)
		if next == Exporting {
			return nil // a poll that found nothing is not a transition worth a timeline line
		}
	case ExportReady:
		s.countPoll(at)
	case StepFailed, Aborted:
		s.FailedIn = s.Phase
	case Retried:
		if s.Phase == Incomplete {
			s.Attempts, s.FirstPoll, s.LastPoll = 0, time.Time{}, time.Time{}
		}
		s.FailedIn = ""
	}
	s.Transitions = append(s.Transitions, Transition{From: s.Phase, To: next, Event: ev, At: at, Reason: reason})
	s.Phase = next
	return nil
}

// Can reports whether Apply would accept the event now.
func (s *State) Can(ev Event) bool {
	_, err := s.next(ev, 0)
	return err == nil
}

func (s *State) next(ev Event, maxAttempts int) (Phase, error) {
	refused := &RefusedError{Phase: s.Phase, Event: ev}
	switch ev {
	case ExportNotReady:
		if s.Phase != Exporting {
			return "", refused
		}
		if maxAttempts > 0 && s.Attempts+1 >= maxAttempts {
			return Incomplete, nil
		}
		return Exporting, nil
	case StepFailed:
		if s.Phase.Terminal() {
			return "", refused
		}
		return Failed, nil
	case Aborted:
		if !phaseCommands[Aborted](s.Phase) {
			return "", refused
		}
		return Failed, nil
	case Retried:
		switch s.Phase {
		case Incomplete:
			return Exporting, nil
		case Failed:
			if s.FailedIn == "" {
				return Configuration, nil
			}
			return s.FailedIn, nil
		}
		return "", refused
	}
	if to, ok := forward[s.Phase][ev]; ok {
		return to, nil
	}
	return "", refused
}

func (s *State) countPoll(at time.Time) {
	s.Attempts++
	if s.FirstPoll.IsZero() {
		s.FirstPoll = at
	}
	s.LastPoll = at
}

// Last is the most recent transition (the zero Transition for a state with none, which
// Validate refuses: a caller never panics on a record read from outside).
func (s *State) Last() Transition {
	if len(s.Transitions) == 0 {
		return Transition{}
	}
	return s.Transitions[len(s.Transitions)-1]
}

// Validate checks a state read from outside (the hidden record on GitHub) before anything
// acts on it: the timeline must be a path the machine can take, from the opening of the
// release to its phase, in time order, and the poll counters must be plausible. A state
// built only through New and Apply always passes.
func (s *State) Validate() error {
	if s.Version == "" {
		return errors.New("the release has no version")
	}
	if len(s.Transitions) == 0 {
		return errors.New("the timeline is empty")
	}
	first := s.Transitions[0]
	if first.From != "" || first.To != Configuration || first.Event != "" {
		return fmt.Errorf("the timeline does not start with the opening of the release (it starts %q → %q)", first.From, first.To)
	}
	replay := State{Version: s.Version, Phase: Configuration}
	prev := first.At
	for i, t := range s.Transitions[1:] {
		n := i + 2
		if t.At.Before(prev) {
			return fmt.Errorf("timeline line %d is dated before the line above it", n)
		}
		prev = t.At
		if t.From != replay.Phase {
			return fmt.Errorf("timeline line %d starts from %q but the release was in %q", n, t.From, replay.Phase)
		}
		want, err := replay.next(t.Event, 0)
		if t.Event == ExportNotReady && replay.Phase == Exporting {
			want, err = Incomplete, nil // only the poll that gives up is a timeline line
		}
		if err != nil {
			return fmt.Errorf("timeline line %d: %w", n, err)
		}
		if t.To != want {
			return fmt.Errorf("timeline line %d: event %q leads from %q to %q, not %q", n, t.Event, t.From, want, t.To)
		}
		switch t.Event {
		case StepFailed, Aborted:
			replay.FailedIn = replay.Phase
		case Retried:
			replay.FailedIn = ""
		}
		replay.Phase = want
	}
	if s.Phase != replay.Phase {
		return fmt.Errorf("the phase %q is not where the timeline ends (%q)", s.Phase, replay.Phase)
	}
	if s.FailedIn != replay.FailedIn {
		return fmt.Errorf("failed_in %q is not where the timeline failed (%q)", s.FailedIn, replay.FailedIn)
	}
	if err := s.validateRollout(); err != nil {
		return err
	}
	if s.Attempts < 0 || s.Attempts > maxAttemptsRecorded {
		return fmt.Errorf("%d export polls is not a possible count", s.Attempts)
	}
	if s.LastPoll.Before(s.FirstPoll) || (s.Attempts > 0) != !s.FirstPoll.IsZero() {
		return errors.New("the first and last export polls do not fit the number of polls")
	}
	return nil
}

// maxAttemptsRecorded bounds a poll count read from outside: a poll every minute for a year.
const maxAttemptsRecorded = 366 * 24 * 60

// Waited is the time between the first and the last export poll: GitHub runs scheduled
// workflows late or skips ticks, so attempts alone do not say how long OCL took.
func (s *State) Waited() time.Duration {
	if s.FirstPoll.IsZero() {
		return 0
	}
	return s.LastPoll.Sub(s.FirstPoll)
}
