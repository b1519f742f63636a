package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/words"
)

// The labels people may set on a tracking issue instead of commenting /shepherd promote.
// They are reconciled from the record like the phase labels: one set by someone who may
// not promote, or asking for a move the release does not accept, is taken back.
const (
	LabelStaged     = "channel:staged"
	LabelProduction = "channel:production"
)

var channelLabels = map[release.Channel]string{release.Staged: LabelStaged, release.Production: LabelProduction}

// CommandInput is one event on a tracking issue: a comment that may hold a command, or a
// label someone set.
type CommandInput struct {
	Issue int
	// Comment is the comment's id and Body its text; Author wrote it.
	Comment int64
	Body    string
	Author  string
	// Label is the label set (issues "labeled"), by Author; At is when (the issue's
	// updated_at in the event), which names the event for its one reply.
	Label string
	At    time.Time
	// Closed is the issue closed by Author (issues "closed"), at At.
	Closed bool
}

// CommandOutcome says what a command did.
type CommandOutcome struct {
	Version string
	Command string // as written; empty when the event held no command
	Acted   bool   // the release moved
	Reply   string // what the bot answered ("" when nobody needs to read anything)
}

// usage is the help reply, and the source of the README's and docs/rollout.md's table.
const usage = "| command | what it does |\n| --- | --- |\n" +
	"| `/shepherd promote` | unverified → staged, or staged → production once the grace period is over |\n" +
	"| `/shepherd promote --override \"why\"` | staged → production before the grace period is over; the reason is recorded and shown |\n" +
	"| `/shepherd hold [\"why\"]` | no promotion until `/shepherd hold cancel` |\n" +
	"| `/shepherd reject \"why\"` | withdraw the release: out of every channel, unreleased on OCL; the outcome is reject |\n" +
	"| `/shepherd done success\\|warning [\"why\"]` | record the outcome of a release in production (`done reject \"why\"` is reject) |\n" +
	"| `/shepherd retry` | carry a failed or incomplete release on from where it stopped |\n" +
	"| `/shepherd abort \"why\"` | stop a release still on its way: it fails with the reason |\n" +
	"| `/shepherd status` | reply with the status |\n" +
	"| `/shepherd help` | reply with this table |\n"

// command is a parsed /shepherd line.
type command struct {
	text string // the line as written
	name string
	args []string
	// override is the reason after --override.
	override string
}

// parseCommand finds the first line of body that starts with /shepherd; ok is false when
// there is none (most comments are conversation).
func parseCommand(body string) (command, bool) {
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		rest, found := strings.CutPrefix(line, "/shepherd")
		if !found || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		words := splitArgs(rest)
		c := command{text: line}
		if len(words) > 0 {
			c.name, words = strings.ToLower(words[0]), words[1:]
		}
		for i := 0; i < len(words); i++ {
			if words[i] == "--override" && i+1 < len(words) {
				c.override = words[i+1]
				i++
				continue
			}
			c.args = append(c.args, words[i])
		}
		return c, true
	}
	return command{}, false
}

// splitArgs splits on spaces, keeping "quoted text" (straight or typographic quotes) as
// one argument.
func splitArgs(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '"' || r == '“' || r == '”':
			quoted, inWord = !quoted, true
		case !quoted && (r == ' ' || r == '\t'):
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// errUsage is a command written wrongly: the reply says how it is written.
type errUsage struct{ why string }

func (e *errUsage) Error() string { return e.why }

// toEvent turns a parsed command into the release event it asks for.
func (c command) toEvent(actor string, comment int64) (release.Command, error) {
	why := strings.Join(c.args, " ")
	rc := release.Command{Actor: actor, Comment: comment, Reason: why}
	needWhy := func(what string) error {
		if strings.TrimSpace(why) == "" {
			return &errUsage{fmt.Sprintf("`/shepherd %s` needs a reason: `/shepherd %s \"why\"`", what, what)}
		}
		return nil
	}
	switch c.name {
	case "promote":
		rc.Event, rc.Override = release.Promoted, c.override
		if c.override == "" && slices.Contains(c.args, "--override") {
			return rc, &errUsage{"`--override` needs a reason: `/shepherd promote --override \"why\"`"}
		}
	case "hold":
		rc.Event = release.HeldBack
		if len(c.args) == 1 && strings.EqualFold(c.args[0], "cancel") {
			rc.Event, rc.Reason = release.Unheld, ""
		}
	case "reject":
		rc.Event, rc.Outcome = release.Rejected, release.Reject
		return rc, needWhy("reject")
	case "done":
		if len(c.args) == 0 {
			return rc, &errUsage{"`/shepherd done` needs an outcome: success, warning or reject"}
		}
		rc.Outcome, rc.Reason = release.Outcome(strings.ToLower(c.args[0])), strings.Join(c.args[1:], " ")
		rc.Event = release.Concluded
		if rc.Outcome == release.Reject {
			rc.Event = release.Rejected
			if strings.TrimSpace(rc.Reason) == "" {
				return rc, &errUsage{"`/shepherd done reject` needs a reason: `/shepherd done reject \"why\"`"}
			}
		}
	case "retry":
		rc.Event = release.Retried
	case "abort":
		rc.Event = release.Aborted
		return rc, needWhy("abort")
	default:
		return rc, &errUsage{fmt.Sprintf("unknown command `%s`", c.name)}
	}
	return rc, nil
}

// mayAct reports whether login may move releases: write, maintain or admin permission
// on the repository, as GitHub's collaborator API states it (never what a comment says),
// or an active membership of one of rollout.teams. When not, why says so in a clause
// ("only people with … may move a release, and you have read permission"), naming the
// teams that could not be checked and why.
func (e *Env) mayAct(ctx context.Context, login string) (allowed bool, why string, err error) {
	perm, ok, err := e.GitHub.CanWrite(ctx, login)
	if err != nil || ok {
		return ok, "", err
	}
	teams := e.Config.Rollout.Teams
	who := "people with write, maintain or admin permission on " + e.GitHub.Repo()
	if len(teams) == 0 {
		return false, fmt.Sprintf("only %s may move a release, and you have %s permission", who, perm), nil
	}
	if err := e.Config.CheckTeamsOwner(e.GitHub.Owner()); err != nil {
		return false, "", err
	}
	var unchecked []string
	for _, team := range teams {
		org, slug, _ := strings.Cut(team, "/")
		state, err := e.GitHub.TeamMembership(ctx, org, slug, login)
		switch {
		case errors.Is(err, github.ErrPermission):
			// A GITHUB_TOKEN has no organization permissions; this never allows anyone.
			e.Log.Warn("team membership could not be checked", "team", team, "login", login, "err", err)
			unchecked = append(unchecked, team)
		case err != nil:
			return false, "", err
		case state == "active":
			return true, "", nil
		}
	}
	why = fmt.Sprintf("only %s, or active members of rollout.teams (%s), may move a release, and you have %s permission and are an active member of none of them",
		who, strings.Join(teams, ", "), perm)
	if len(unchecked) > 0 {
		why += fmt.Sprintf(" as far as could be checked: GitHub refused to show membership of %s (reading team membership needs the organization permission Members: read, which a workflow's GITHUB_TOKEN never has)",
			strings.Join(unchecked, ", "))
	}
	return false, why, nil
}

// Command acts on one comment or label event on a tracking issue. A comment without a
// /shepherd line, or written by the bot, is left alone. Every command is acknowledged at
// once with a reaction, acts once however often its event is delivered (its comment id
// is recorded with the move), and gets a reply only when a person needs to read
// something: a refusal, an error, help or the status.
func (e *Env) Command(ctx context.Context, in CommandInput) (CommandOutcome, error) {
	if in.Label != "" {
		return e.labelCommand(ctx, in)
	}
	if in.Closed {
		return e.closedWithoutOutcome(ctx, in)
	}
	c, ok := parseCommand(in.Body)
	if !ok {
		return CommandOutcome{}, nil
	}
	out := CommandOutcome{Command: c.text}
	if mine, err := e.GitHub.IsBot(ctx, in.Author); err != nil || mine {
		return CommandOutcome{}, err // the bot's own help text names commands too
	}
	if err := e.act("react to the command", func() error { return e.GitHub.ReactToComment(ctx, in.Comment, "eyes") }); err != nil {
		return out, err
	}
	key := strconv.FormatInt(in.Comment, 10)
	reply := func(text string) (CommandOutcome, error) {
		out.Reply = text
		return out, e.reply(ctx, in.Issue, key, text)
	}
	t, err := e.findIssue(ctx, in.Issue)
	if err != nil {
		return out, err
	}
	if t == nil {
		return reply(fmt.Sprintf("@%s, issue #%d tracks no release, so there is nothing for `%s` to act on.", in.Author, in.Issue, c.text))
	}
	out.Version = t.rec.Release.Version
	switch c.name {
	case "", "help":
		return reply("Commands on a release's tracking issue (people with write, maintain or admin permission, or active members of rollout.teams):\n\n" + usage)
	case "status":
		return reply(RenderStatus(t.rec, e.Config, e.Now()))
	}
	rc, err := c.toEvent(in.Author, in.Comment)
	var bad *errUsage
	if errors.As(err, &bad) {
		return reply(fmt.Sprintf("@%s, %s.\n\n%s", in.Author, bad.why, usage))
	}
	if t.rec.Release.Handled(in.Comment) {
		e.Log.Info("command already acted on", "release", out.Version, "comment", in.Comment)
		return out, nil
	}
	allowed, why, err := e.mayAct(ctx, in.Author)
	if err != nil {
		return out, err
	}
	if !allowed {
		return reply(fmt.Sprintf("@%s, `%s` was not done: %s.", in.Author, c.text, why))
	}
	if err := e.runCommand(ctx, t, rc); err != nil {
		var refused *refusal
		if errors.As(err, &refused) {
			return reply(fmt.Sprintf("@%s, `%s` was not done: %s.", in.Author, c.text, refused.why))
		}
		var held *LeaseHeldError
		if errors.As(err, &held) {
			return reply(fmt.Sprintf("@%s, `%s` was not done: %s. Send the command again once that run has finished.", in.Author, c.text, held.Error()))
		}
		return out, err
	}
	out.Acted = true
	return out, e.act("react to the done command", func() error { return e.GitHub.ReactToComment(ctx, in.Comment, "+1") })
}

// refusal is a command the release does not accept now, with the one sentence that says why.
type refusal struct{ why string }

func (r *refusal) Error() string { return r.why }

// runCommand applies a person's command to the release and carries out what it asks,
// holding the release's lease.
func (e *Env) runCommand(ctx context.Context, t *tracked, rc release.Command) error {
	return e.withLease(ctx, t.rec.Release.Version, LeaseCommand, leaseWait, func() error {
		return e.runCommandHolding(ctx, t, rc)
	})
}

func (e *Env) runCommandHolding(ctx context.Context, t *tracked, rc release.Command) error {
	st := &t.rec.Release
	v := st.Version
	now := e.Now()
	grace := e.Config.Rollout.GracePeriod
	switch rc.Event {
	case release.Retried:
		if err := st.Accepts(rc); err != nil {
			return &refusal{fmt.Sprintf("only a failed or incomplete release can be retried, and %s is %s", v, st.Phase)}
		}
		m, err := e.manifestOf(ctx, t.rec)
		if err != nil {
			return err
		}
		_, err = e.retry(ctx, m, rc)
		return err
	case release.Aborted:
		rc.Reason = fmt.Sprintf("aborted by @%s: %s", rc.Actor, rc.Reason)
	case release.Promoted:
		if !t.rec.RemovedAt.IsZero() {
			return &refusal{"its files were removed at the end of the retention period, so it cannot be promoted"}
		}
	}
	before := st.Channel()
	err := st.ApplyCommand(rc, now, grace)
	switch {
	case errors.Is(err, release.ErrGracePeriod):
		return &refusal{fmt.Sprintf("%s must stay staged until %s (%s from now); an authorised person can override with `/shepherd promote --override \"why\"`",
			v, st.StagedSince().Add(grace).UTC().Format(timeLayout), words.Duration(st.GraceLeft(now, grace)))}
	case err != nil:
		var cr *release.CommandRefusedError
		if errors.As(err, &cr) {
			return &refusal{cr.Why}
		}
		return &refusal{fmt.Sprintf("%s is %s and does not accept it", v, st.Phase)}
	}
	if rc.Event == release.Aborted {
		e.Log.Info("release aborted", "release", v, "by", rc.Actor, "in", st.FailedIn)
		return e.save(ctx, t)
	}
	m := st.Rollout.Moves[len(st.Rollout.Moves)-1]
	e.Log.Info("release channel moved", "release", v, "from", before, "to", m.To, "event", m.Event, "by", m.Actor, "reason", m.Reason, "override", m.Override)
	if err := e.applyChannel(ctx, t.rec, m); err != nil {
		return err
	}
	if err := e.save(ctx, t); err != nil || m.To != release.Withdrawn || t.rec.UploadedAt.IsZero() {
		return err
	}
	// The GitHub Release, the status and the bundle say so too: the one withdrawal
	// shepherd withdraw also does.
	_, err = e.Withdraw(ctx, v, capText(fmt.Sprintf("rejected by @%s: %s", m.Actor, oneLine(m.Reason)), maxWithdrawReason))
	return err
}

// manifestOf reads the release's manifest as it was merged.
func (e *Env) manifestOf(ctx context.Context, rec *Record) (*manifest.Manifest, error) {
	path := manifest.ManifestPath(rec.Release.Version)
	text, err := e.GitHub.FileAt(ctx, path, rec.MergeSHA)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", path, rec.MergeSHA, err)
	}
	return manifest.ParseManifest(path, []byte(text))
}

// findIssue is the release tracked on issue number; nil when it tracks none.
func (e *Env) findIssue(ctx context.Context, number int) (*tracked, error) {
	issues, err := e.GitHub.ListTracking(ctx)
	if err != nil {
		return nil, err
	}
	for _, issue := range issues {
		if issue.Number != number {
			continue
		}
		rec, ok, err := e.readRecord(issue)
		if err != nil || !ok {
			return nil, err
		}
		return &tracked{rec: rec, issue: issue}, nil
	}
	return nil, nil
}

// reply answers a command once (github.Client.Reply).
func (e *Env) reply(ctx context.Context, issue int, key, text string) error {
	return e.act("reply on #"+strconv.Itoa(issue), func() error {
		_, _, err := e.GitHub.PostMarked(ctx, issue, "reply", key, text)
		return err
	})
}

// labelCommand acts on a channel label someone set: from a person who may promote, it is
// /shepherd promote to that channel; otherwise, or when the release does not accept the
// move, the label is taken back and the reply says why.
func (e *Env) labelCommand(ctx context.Context, in CommandInput) (CommandOutcome, error) {
	var target release.Channel
	for ch, name := range channelLabels {
		if strings.EqualFold(name, in.Label) {
			target = ch
		}
	}
	if target == "" {
		return CommandOutcome{}, nil
	}
	if mine, err := e.GitHub.IsBot(ctx, in.Author); err != nil || mine {
		return CommandOutcome{}, err // the bot's own reconciliation
	}
	out := CommandOutcome{Command: "label " + in.Label}
	t, err := e.findIssue(ctx, in.Issue)
	if err != nil || t == nil {
		return out, err
	}
	out.Version = t.rec.Release.Version
	key := fmt.Sprintf("label/%s/%s/%d", strings.ToLower(in.Label), strings.ToLower(in.Author), in.At.Unix())
	// Putting the labels back as the record says is a save, so it holds the release's
	// lease like any command.
	restoreLabels := func() error {
		return e.withLease(ctx, out.Version, LeaseCommand, leaseWait, func() error { return e.save(ctx, t) })
	}
	takeBack := func(why string) (CommandOutcome, error) {
		if err := restoreLabels(); err != nil {
			return out, err
		}
		out.Reply = fmt.Sprintf("@%s, the label `%s` was taken back: %s.", in.Author, in.Label, why)
		return out, e.reply(ctx, in.Issue, key, out.Reply)
	}
	if t.rec.Release.Channel() == target {
		return out, restoreLabels() // already there: a repeated event
	}
	allowed, why, err := e.mayAct(ctx, in.Author)
	if err != nil {
		return out, err
	}
	if !allowed {
		return takeBack(why)
	}
	if next := nextChannel(t.rec.Release.Channel()); next != target {
		return takeBack(fmt.Sprintf("%s is in the %s channel, so the next move is to %s, not %s", out.Version, t.rec.Release.Channel(), next, target))
	}
	rc := release.Command{Event: release.Promoted, Actor: in.Author, Reason: "label " + in.Label}
	if err := e.runCommand(ctx, t, rc); err != nil {
		var refused *refusal
		if errors.As(err, &refused) {
			return takeBack(refused.why)
		}
		return out, err
	}
	out.Acted = true
	return out, nil
}

func nextChannel(ch release.Channel) release.Channel {
	switch ch {
	case release.Unverified:
		return release.Staged
	case release.Staged:
		return release.Production
	}
	return ""
}

// channelLabelsFor is the channel label a release carries.
func channelLabelsFor(st *release.State) []string {
	if name := channelLabels[st.Channel()]; name != "" {
		return []string{name}
	}
	return nil
}

// closedWithoutOutcome reopens the tracking issue of a published release that someone
// closed before its outcome was recorded, and says how to record one: an outcome is
// mandatory when the release ends. Shepherd itself never closes a tracking issue.
func (e *Env) closedWithoutOutcome(ctx context.Context, in CommandInput) (CommandOutcome, error) {
	if mine, err := e.GitHub.IsBot(ctx, in.Author); err != nil || mine {
		return CommandOutcome{}, err
	}
	t, err := e.findIssue(ctx, in.Issue)
	if err != nil || t == nil {
		return CommandOutcome{}, err
	}
	st := &t.rec.Release
	out := CommandOutcome{Version: st.Version, Command: "close"}
	if st.Phase != release.Done || st.Channel() == release.Withdrawn || (st.Rollout != nil && st.Rollout.Outcome != "") {
		return out, nil
	}
	if err := e.act(fmt.Sprintf("reopen issue #%d", in.Issue), func() error { return e.GitHub.ReopenIssue(ctx, in.Issue) }); err != nil {
		return out, err
	}
	out.Acted = true
	out.Reply = fmt.Sprintf("@%s, this issue was opened again: %s is %s and has no outcome yet. "+
		"Record one with `/shepherd done success`, `/shepherd done warning \"why\"` or `/shepherd reject \"why\"`, then close it.",
		in.Author, st.Version, st.Channel())
	return out, e.reply(ctx, in.Issue, fmt.Sprintf("closed/%d", in.At.Unix()), out.Reply)
}
