package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/store"
	"github.com/shepherd-release/shepherd/internal/words"
)

// A channel is one small index object naming the release it holds and that release's
// files by key: moving a release rewrites one object of a few hundred bytes and copies
// nothing. Server-side copies (CopyObject) of the artifacts would double what is stored,
// would themselves need deleting by retention, and depend on each S3 server's copy
// support; an index is one atomic PUT that every store, the local one included, does
// alike, and a reject is undone by rewriting it.

// channelFolder holds the channel indexes, outside the releases folder so that retention
// never deletes them (as indexFolder).
const channelFolder = "channels"

// channelKey is where the index of a channel is kept: channels/<org>/<source>/<channel>.json.
func channelKey(org, source string, ch release.Channel) string {
	return channelFolder + "/" + org + "/" + source + "/" + string(ch) + ".json"
}

// ChannelIndex is what a channel holds: one release and where its files are.
type ChannelIndex struct {
	Channel release.Channel `json:"channel"`
	Entry
	// Previous is the production release this one replaced: kept for rollback (a reject
	// puts it back) and kept from deletion by retention.
	Previous *Entry `json:"previous,omitempty"`
}

// Entry is one release in a channel.
type Entry struct {
	Version string        `json:"version"`
	MovedAt time.Time     `json:"moved_at"`
	MovedBy string        `json:"moved_by"`
	Reason  string        `json:"reason,omitempty"`
	Files   []ChannelFile `json:"files"`
}

// ChannelFile is one download of the release in the channel.
type ChannelFile struct {
	Name   string `json:"name"`
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// maxChannelIndex bounds what is read of an index: a few hundred bytes a file.
const maxChannelIndex = 1 << 20

// readChannel reads a channel's index; nil when the channel holds nothing.
func (e *Env) readChannel(ctx context.Context, org, source string, ch release.Channel) (*ChannelIndex, error) {
	key := channelKey(org, source, ch)
	rc, err := e.Store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxChannelIndex+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	var idx ChannelIndex
	if len(data) > maxChannelIndex {
		return nil, fmt.Errorf("%s is larger than %d bytes: not an index Shepherd writes", key, maxChannelIndex)
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s is not a channel index: %w", key, err)
	}
	if idx.Channel != ch {
		return nil, fmt.Errorf("%s is the index of channel %q", key, idx.Channel)
	}
	return &idx, nil
}

// writeChannel stores a channel's index, or deletes it when idx is nil.
func (e *Env) writeChannel(ctx context.Context, org, source string, ch release.Channel, idx *ChannelIndex) error {
	key := channelKey(org, source, ch)
	if idx == nil {
		return e.act("empty channel "+string(ch), func() error { return e.Store.Delete(ctx, key) })
	}
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	return e.act(fmt.Sprintf("put %s in channel %s", idx.Version, ch), func() error {
		_, err := e.Store.Put(ctx, key, bytes.NewReader(data), int64(len(data)), store.SHA256Hex(data), "application/json")
		return err
	})
}

// entryOf is the release's entry in a channel after move m.
func entryOf(rec *Record, m release.Move) Entry {
	en := Entry{Version: rec.Release.Version, MovedAt: m.At, MovedBy: m.Actor, Reason: m.Reason}
	for _, d := range rec.Downloads {
		en.Files = append(en.Files, ChannelFile{Name: d.File, Key: d.Key, Size: d.Size, SHA256: d.SHA256})
	}
	return en
}

// applyChannel makes the store and OCL match the release's channel after move m. Each
// write says where things end up, not what changes, so a run repeated after a crash
// does no harm.
func (e *Env) applyChannel(ctx context.Context, rec *Record, m release.Move) error {
	switch m.To {
	case release.Staged:
		return e.writeChannel(ctx, rec.Org, rec.Source, release.Staged, &ChannelIndex{Channel: release.Staged, Entry: entryOf(rec, m)})
	case release.Production:
		return e.toProduction(ctx, rec, m)
	case release.Withdrawn:
		return e.withdrawFromChannels(ctx, rec, m)
	}
	return nil
}

func (e *Env) toProduction(ctx context.Context, rec *Record, m release.Move) error {
	v := rec.Release.Version
	cur, err := e.readChannel(ctx, rec.Org, rec.Source, release.Production)
	if err != nil {
		return err
	}
	idx := &ChannelIndex{Channel: release.Production, Entry: entryOf(rec, m)}
	switch {
	case cur == nil:
	case cur.Version == v:
		idx.Previous = cur.Previous // a repeated run: the release it replaced stays the previous
	default:
		prev := cur.Entry
		idx.Previous = &prev
	}
	if err := e.writeChannel(ctx, rec.Org, rec.Source, release.Production, idx); err != nil {
		return err
	}
	if idx.Previous != nil {
		if err := e.moveOther(ctx, idx.Previous.Version, release.Production, release.Replaced, m.Actor, "replaced by "+v); err != nil {
			return err
		}
	}
	if staged, err := e.readChannel(ctx, rec.Org, rec.Source, release.Staged); err != nil {
		return err
	} else if staged != nil && staged.Version == v {
		if err := e.writeChannel(ctx, rec.Org, rec.Source, release.Staged, nil); err != nil {
			return err
		}
	}
	return e.setReleasedOnOCL(ctx, rec, true)
}

// withdrawFromChannels takes a rejected release out of every channel. When it was the
// production release, the one it replaced goes back to production.
func (e *Env) withdrawFromChannels(ctx context.Context, rec *Record, m release.Move) error {
	v := rec.Release.Version
	for _, ch := range []release.Channel{release.Staged, release.Production} {
		idx, err := e.readChannel(ctx, rec.Org, rec.Source, ch)
		if err != nil {
			return err
		}
		var next *ChannelIndex
		switch {
		case idx == nil:
			continue
		case idx.Version == v && idx.Previous != nil:
			back := *idx.Previous
			back.MovedAt, back.MovedBy = m.At, m.Actor
			back.Reason = fmt.Sprintf("back to production: %s was rejected", v)
			next = &ChannelIndex{Channel: ch, Entry: back}
		case idx.Version == v:
		case idx.Previous != nil && idx.Previous.Version == v:
			// A rejected release is no rollback target either.
			next = &ChannelIndex{Channel: ch, Entry: idx.Entry}
		default:
			continue
		}
		if err := e.writeChannel(ctx, rec.Org, rec.Source, ch, next); err != nil {
			return err
		}
		if ch == release.Production && idx.Version == v && next != nil {
			if err := e.moveOther(ctx, next.Version, release.Superseded, release.Restored, m.Actor, next.Reason); err != nil {
				return err
			}
		}
	}
	return e.setReleasedOnOCL(ctx, rec, false)
}

// moveOther records on another release's record the move that this release's promotion
// or rejection causes (event, from channel from), and updates its status. Nothing is
// written when it is no longer in from: a repeated run, or a record from before the
// channels, which the production index alone tells about.
func (e *Env) moveOther(ctx context.Context, version string, from release.Channel, ev release.Event, actor, reason string) error {
	return e.withLease(ctx, version, LeaseCommand, leaseWait, func() error {
		return e.moveOtherHolding(ctx, version, from, ev, actor, reason)
	})
}

func (e *Env) moveOtherHolding(ctx context.Context, version string, from release.Channel, ev release.Event, actor, reason string) error {
	issue, err := e.GitHub.FindIssue(ctx, version)
	if err != nil || issue == nil {
		return err // a release without a tracking issue has no status to update
	}
	rec, ok, err := e.readRecord(issue)
	if err != nil || !ok {
		return err
	}
	t := &tracked{rec: rec, issue: issue}
	st := &t.rec.Release
	if st.Channel() != from {
		return nil
	}
	if err := st.ApplyCommand(release.Command{Event: ev, Actor: actor, Reason: reason}, e.Now(), e.Config.Rollout.GracePeriod); err != nil {
		return fmt.Errorf("record that %s is %s: %w", version, ev, err)
	}
	e.Log.Info("release channel moved", "release", version, "from", from, "to", st.Channel(), "event", ev, "by", actor, "reason", reason)
	return e.save(ctx, t)
}

// setReleasedOnOCL sets OCL's released flag of the version as its channel asks: true at
// production when the repository leaves releasing to people (ocl.release_on: manual),
// false for a rejected release that was released. The time is recorded, so a repeated
// run PATCHes nothing.
func (e *Env) setReleasedOnOCL(ctx context.Context, rec *Record, released bool) error {
	s := rec.OCL
	if s == nil {
		return nil
	}
	isReleased := (!s.ReleasedAt.IsZero() || s.releasedAtCreate()) && s.UnreleasedAt.IsZero()
	switch {
	case released && (!s.Released || s.ReleaseOn != manifest.ReleaseOnManual || isReleased):
		return nil
	case !released && !isReleased:
		return nil
	}
	v := rec.Release.Version
	what := map[bool]string{true: "released", false: "unreleased"}[released]
	err := e.act(fmt.Sprintf("mark version %s of %s/%s %s on OCL", v, rec.Org, rec.Source, what), func() error {
		return e.OCL.SetReleased(ctx, rec.Org, rec.Source, v, released)
	})
	if err != nil {
		return fmt.Errorf("mark version %s %s on OCL: %w", v, what, err)
	}
	if e.DryRun {
		return nil
	}
	if released {
		s.ReleasedAt = e.Now()
	} else {
		s.UnreleasedAt = e.Now()
	}
	e.Log.Info("version marked "+what+" on OCL", "release", v)
	return nil
}

// keptByChannels are the releases retention must not delete: the current production
// release and the one before it (for rollback), as the production index names them.
func (e *Env) keptByChannels(ctx context.Context) (map[string]bool, error) {
	idx, err := e.readChannel(ctx, e.Config.OCL.Org, e.Config.OCL.Source, release.Production)
	if err != nil || idx == nil {
		return map[string]bool{}, err
	}
	kept := map[string]bool{idx.Version: true}
	if idx.Previous != nil {
		kept[idx.Previous.Version] = true
	}
	return kept, nil
}

// channelRows are the status rows of a published release's rollout: its channel, what
// stands in the way of the next move (one plain sentence each), and its outcome.
func channelRows(rec *Record, cfg *manifest.Config, now time.Time) string {
	st := &rec.Release
	ch := st.Channel()
	if ch == "" {
		return ""
	}
	var b strings.Builder
	cell := fmt.Sprintf("**%s**", ch)
	if r := st.Rollout; r != nil && len(r.Moves) > 0 {
		last := lastMove(r, func(m release.Move) bool { return m.From != m.To })
		if last != nil {
			cell += fmt.Sprintf(" since %s, by @%s", last.At.UTC().Format(timeLayout), last.Actor)
			if last.Reason != "" {
				cell += ": " + escapeCell(oneLine(last.Reason))
			}
		}
	}
	switch ch {
	case release.Unverified:
		cell += " · `/shepherd promote` moves it to staged"
	case release.Staged:
		cell += " · `/shepherd promote` moves it to production"
	case release.Superseded:
		cell += " · a newer release replaced it in production; it is kept for rollback while it is the previous one"
	case release.Withdrawn:
		cell += " · out of every channel: do not load it"
	}
	fmt.Fprintf(&b, "| Channel | %s |\n", cell)
	if r := st.Rollout; r != nil {
		if o := lastMove(r, func(m release.Move) bool { return m.Override != "" }); o != nil {
			fmt.Fprintf(&b, "| Grace period | cut short by @%s on %s: %s |\n", o.Actor, o.At.UTC().Format(timeLayout), escapeCell(oneLine(o.Override)))
		}
	}
	for _, why := range promotionBlockers(rec, cfg, now) {
		fmt.Fprintf(&b, "| Blocked | %s |\n", escapeCell(why))
	}
	if r := st.Rollout; r != nil && r.Outcome != "" {
		o := lastMove(r, func(m release.Move) bool { return m.Outcome != "" })
		fmt.Fprintf(&b, "| Outcome | **%s**, recorded by @%s on %s", r.Outcome, o.Actor, o.At.UTC().Format(timeLayout))
		if o.Reason != "" {
			fmt.Fprintf(&b, ": %s", escapeCell(oneLine(o.Reason)))
		}
		b.WriteString(" |\n")
	} else if ch == release.Production {
		b.WriteString("| Outcome | not recorded yet: `/shepherd done success`, `warning` or `reject \"why\"` closes the release |\n")
	}
	return b.String()
}

// promotionBlockers say what keeps a release from its next channel, one plain sentence each.
func promotionBlockers(rec *Record, cfg *manifest.Config, now time.Time) []string {
	st := &rec.Release
	var out []string
	if r := st.Rollout; r != nil && r.Held {
		h := lastMove(r, func(m release.Move) bool { return m.Event == release.HeldBack })
		s := fmt.Sprintf("On hold since %s by @%s", h.At.UTC().Format(timeLayout), h.Actor)
		if h.Reason != "" {
			s += ": " + oneLine(h.Reason)
		}
		out = append(out, s+"; `/shepherd hold cancel` lifts it.")
	}
	if left := st.GraceLeft(now, cfg.Rollout.GracePeriod); left > 0 {
		out = append(out, fmt.Sprintf("It must stay staged until %s (%s more) before it may go to production.",
			st.StagedSince().Add(cfg.Rollout.GracePeriod).UTC().Format(timeLayout), words.Duration(left)))
	}
	if !rec.RemovedAt.IsZero() && (st.Channel() == release.Unverified || st.Channel() == release.Staged) {
		out = append(out, "Its files were removed at the end of the retention period, so it cannot be promoted.")
	}
	return out
}

func lastMove(r *release.Rollout, match func(release.Move) bool) *release.Move {
	for i := len(r.Moves) - 1; i >= 0; i-- {
		if match(r.Moves[i]) {
			return &r.Moves[i]
		}
	}
	return nil
}

// renderMoves writes the fold listing every channel move: who asked, when and why.
func renderMoves(b *strings.Builder, st *release.State) {
	if st.Rollout == nil || len(st.Rollout.Moves) == 0 {
		return
	}
	b.WriteString("\n<details><summary>Channel moves</summary>\n\n| Time | Command | From | To | By | Why |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, m := range st.Rollout.Moves {
		why := oneLine(m.Reason)
		if m.Override != "" {
			why = strings.TrimSpace(why + " (grace period overridden: " + oneLine(m.Override) + ")")
		}
		if m.Outcome != "" {
			why = strings.TrimSpace("outcome " + string(m.Outcome) + ". " + why)
		}
		cell := escapeCell(why)
		if m.Run != "" {
			cell = strings.TrimPrefix(cell+" · [run and decision log]("+m.Run+")", " · ")
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | @%s | %s |\n", m.At.UTC().Format(timeLayout), m.Event, m.From, m.To, m.Actor, cell)
	}
	b.WriteString("\n</details>\n")
}
