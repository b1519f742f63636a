package steps

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/words"
)

// MaintenanceFile is where the maintenance switch lives in a release repository: while
// the file exists, every scheduled run stops at its start. It is read from the
// checked-out repository, so anyone who can push to the default branch can switch
// maintenance on or off: that is the switch's trust boundary.
const MaintenanceFile = ".github/shepherd/MAINTENANCE"

// noReason stands in for a maintenance file that gives none: the switch still holds.
const noReason = "no reason given"

// Maintenance is the switch as read from its file: who switched it on, when and why.
type Maintenance struct {
	By     string    `json:"by,omitempty"`
	Since  time.Time `json:"since,omitzero"`
	Reason string    `json:"reason"`
	// Problem says what in the file could not be read (a bad time); the switch holds anyway.
	Problem string `json:"problem,omitempty"`
}

// maxMaintenanceReason caps the reason shown on every status.
const maxMaintenanceReason = 300

// ParseMaintenance reads a maintenance file's text: "by:", "since:" (RFC 3339) and
// "reason:" lines; any other non-blank line is taken as (more of) the reason, so a file
// holding only a sentence works too. Nothing in the file turns the switch off: an
// unreadable time is reported in Problem and the switch holds.
func ParseMaintenance(text string) Maintenance {
	var m Maintenance
	var free []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "by":
			if ok {
				m.By = value
				continue
			}
		case "since":
			if ok {
				t, err := time.Parse(time.RFC3339, value)
				if err != nil {
					m.Problem = fmt.Sprintf("since %q is not a time like 2026-01-02T15:04:05Z", capText(value, 60))
				} else {
					m.Since = t.UTC()
				}
				continue
			}
		case "reason":
			if ok {
				free = append(free, value)
				continue
			}
		}
		free = append(free, line)
	}
	m.Reason = capText(oneLine(strings.Join(free, " ")), maxMaintenanceReason)
	if m.Reason == "" {
		m.Reason = noReason
	}
	m.By = capText(oneLine(m.By), 100)
	return m
}

// Text is what `shepherd maintenance on` writes.
func (m Maintenance) Text() string {
	reason := m.Reason
	if strings.TrimSpace(reason) == "" {
		reason = noReason
	}
	return fmt.Sprintf("# Shepherd's maintenance switch: while this file exists, scheduled runs stop at their start.\n"+
		"# Delete it (shepherd maintenance off) and waiting work resumes on the next tick.\nby: %s\nsince: %s\nreason: %s\n",
		oneLine(m.By), m.Since.UTC().Format(time.RFC3339), oneLine(reason))
}

// Line is the one-line notice statuses and logs show.
func (m *Maintenance) Line(now time.Time) string {
	var b strings.Builder
	b.WriteString("paused for maintenance")
	if !m.Since.IsZero() {
		fmt.Fprintf(&b, " since %s", m.Since.UTC().Format(timeLayout))
		if ago := now.Sub(m.Since); ago >= 0 {
			fmt.Fprintf(&b, " (%s ago)", words.Duration(ago))
		}
	}
	if m.By != "" {
		fmt.Fprintf(&b, " by %s", m.By)
	}
	fmt.Fprintf(&b, ": %s", m.Reason)
	if m.Problem != "" {
		fmt.Fprintf(&b, " (the maintenance file is damaged: %s)", m.Problem)
	}
	return b.String()
}

// ReadMaintenance reads the switch from the repository checked out at dir: nil when off.
func ReadMaintenance(dir string) (*Maintenance, error) {
	data, err := os.ReadFile(filepath.Join(dir, MaintenanceFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the maintenance switch %s: %w", MaintenanceFile, err)
	}
	m := ParseMaintenance(string(data))
	return &m, nil
}

// PausedError is what a scheduled run returns when the maintenance switch is on: it
// stopped at its start, and that is not a failure.
type PausedError struct{ Maintenance *Maintenance }

func (p *PausedError) Error() string {
	return "maintenance is on (" + MaintenanceFile + "): this scheduled run stops here; " + p.Maintenance.Line(time.Now())
}

// pausedForMaintenance reads the switch at the start of a scheduled run (holder names
// it: the poll or the janitor). When it is on, the run logs why it stops, and every open
// release's status says so (one write per release, only when its notice changes, holding
// the release's lease: a release another run holds gets its notice on a later run); the
// run returns a *PausedError. When it is off, the caller goes on and clears each notice
// as it reads the release.
func (e *Env) pausedForMaintenance(ctx context.Context, holder string) error {
	m, err := ReadMaintenance(e.RepoDir)
	if err != nil || m == nil {
		return err
	}
	e.Log.Warn("maintenance is on: this scheduled run stops at its start", "file", MaintenanceFile,
		"by", m.By, "since", m.Since, "reason", m.Reason, "problem", m.Problem)
	issues, err := e.GitHub.ListTracking(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, issue := range issues {
		rec, ok, err := e.readRecord(issue)
		if err != nil || !ok || !open(rec.Release.Phase) || sameMaintenance(rec.Paused, m) {
			continue
		}
		t := &tracked{rec: rec, issue: issue}
		err = e.withLease(ctx, rec.Release.Version, holder, 0, func() error {
			rec.Paused = m
			return e.save(ctx, t)
		})
		if err := e.yielded(t, err); err != nil {
			errs = append(errs, fmt.Errorf("release %s: show the maintenance notice: %w", rec.Release.Version, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return &PausedError{Maintenance: m}
}

// resumeAfterMaintenance clears a release's maintenance notice once the switch is off;
// the run holds the release's lease (pollHolding).
func (e *Env) resumeAfterMaintenance(ctx context.Context, t *tracked) error {
	if t.rec.Paused == nil {
		return nil
	}
	e.Log.Info("maintenance is over: the release goes on", "release", t.rec.Release.Version, "paused_since", t.rec.Paused.Since)
	t.rec.Paused = nil
	return e.save(ctx, t)
}

func sameMaintenance(a, b *Maintenance) bool {
	return a != nil && b != nil && *a == *b
}

// open reports whether a release still has work ahead (or waits for a person).
func open(p release.Phase) bool { return p != release.Done }

func (m *Maintenance) validate(now time.Time) error {
	if m == nil {
		return nil
	}
	if m.Since.After(now.Add(time.Hour)) {
		return errors.New("the maintenance notice starts in the future")
	}
	if len(m.Reason) > maxMaintenanceReason+len("…") || len(m.By) > 100+len("…") || len(m.Problem) > 200 {
		return errors.New("the maintenance notice is longer than Shepherd writes")
	}
	return nil
}
