package steps_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/store"
)

const day = 24 * time.Hour

// rolledOutRelease runs a small release to done, with OCL's released flag left to the
// rollout (ocl.release_on: manual), and gives people their roles on the repository.
func rolledOutRelease(t *testing.T) (*sandbox.Sandbox, int) {
	t.Helper()
	cfg := manifest.DefaultConfig()
	cfg.OCL.ReleaseOn = manifest.ReleaseOnManual
	sb, err := sandbox.New(context.Background(), sandbox.Options{Dir: t.TempDir(), Head: dataset.Spec{Seed: 5, Concepts: 60},
		Plan: ocltest.ExportPlan{NonePolls: 1, Ready: ocltest.ReadyRedirect302}, Config: cfg})
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	merge(t, sb)
	pollUntilSettled(t, sb, 10)
	require.Equal(t, release.Done, status(t, sb).Release.Phase)
	for login, role := range map[string]string{"alice": "write", "maya": "maintain", "bob": "triage", "carol": "read"} {
		sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, login, role)
	}
	n, _, _ := onlyIssue(t, sb)
	return sb, n
}

// say comments body as login and delivers the event to Shepherd.
func say(t *testing.T, sb *sandbox.Sandbox, issue int, login, body string) (int64, steps.CommandOutcome) {
	t.Helper()
	id := sb.GitHub.AddComment(sandbox.Owner, sandbox.Repo, issue, login, body)
	return id, deliver(t, sb, issue, id, login, body)
}

func deliver(t *testing.T, sb *sandbox.Sandbox, issue int, id int64, login, body string) steps.CommandOutcome {
	t.Helper()
	out, err := sb.Env.Command(context.Background(), steps.CommandInput{Issue: issue, Comment: id, Body: body, Author: login})
	require.NoError(t, err)
	return out
}

// replies are the bot's replies to commands, oldest first.
func replies(sb *sandbox.Sandbox, issue int) []string {
	var out []string
	for _, c := range sb.GitHub.Comments(sandbox.Owner, sandbox.Repo, issue) {
		if c.GetUser().GetLogin() == "shepherd-bot" && strings.Contains(c.GetBody(), "<!-- shepherd:reply ") {
			out = append(out, c.GetBody())
		}
	}
	return out
}

func channelIndex(t *testing.T, sb *sandbox.Sandbox, ch release.Channel) *steps.ChannelIndex {
	t.Helper()
	rc, err := sb.Env.Store.Get(context.Background(), "channels/CIEL/CIEL/"+string(ch)+".json")
	if err != nil {
		return nil
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	var idx steps.ChannelIndex
	require.NoError(t, json.Unmarshal(data, &idx))
	return &idx
}

func TestPromoteThroughChannelsWithTheGracePeriod(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	require.Equal(t, release.Unverified, status(t, sb).Release.Channel(), "a published release starts unverified")

	id, out := say(t, sb, issue, "alice", "Looks good.\n/shepherd promote \"checked on the demo server\"")
	assert.True(t, out.Acted)
	assert.Empty(t, out.Reply, "a command that worked needs no reply")
	assert.Equal(t, []string{"shepherd-bot:eyes", "shepherd-bot:+1"}, sb.GitHub.Reactions(sandbox.Owner, sandbox.Repo, id))
	rec := status(t, sb)
	assert.Equal(t, release.Staged, rec.Release.Channel())
	staged := channelIndex(t, sb, release.Staged)
	require.NotNil(t, staged)
	assert.Equal(t, version, staged.Version)
	assert.Equal(t, "alice", staged.MovedBy)
	assert.Len(t, staged.Files, len(rec.Downloads), "the channel names the release's files, copying none")
	assert.Equal(t, rec.Downloads[0].Key, staged.Files[0].Key)

	// The same event delivered again acts once.
	again := deliver(t, sb, issue, id, "alice", "Looks good.\n/shepherd promote \"checked on the demo server\"")
	assert.False(t, again.Acted)
	assert.Len(t, status(t, sb).Release.Rollout.Moves, 1)
	assert.Empty(t, replies(sb, issue))

	// Too early for production: refused, with the date, once however often delivered.
	sb.Clock.Advance(3 * day)
	id, out = say(t, sb, issue, "maya", "/shepherd promote")
	assert.False(t, out.Acted)
	assert.Contains(t, out.Reply, "must stay staged until 2026-11-29")
	assert.Contains(t, out.Reply, "--override")
	deliver(t, sb, issue, id, "maya", "/shepherd promote")
	assert.Len(t, replies(sb, issue), 1, "one reply for one command")
	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, "| Blocked | It must stay staged until 2026-11-29")
	assert.False(t, ourVersion(t, sb).Released)

	// An override is recorded and shown.
	_, out = say(t, sb, issue, "maya", "/shepherd promote --override \"a site goes live on Monday\"")
	require.True(t, out.Acted, out.Reply)
	rec = status(t, sb)
	assert.Equal(t, release.Production, rec.Release.Channel())
	last := rec.Release.Rollout.Moves[1]
	assert.Equal(t, "maya", last.Actor)
	assert.Equal(t, "a site goes live on Monday", last.Override)
	_, labels, body := onlyIssue(t, sb)
	assert.Contains(t, body, "| Grace period | cut short by @maya")
	assert.Contains(t, body, "a site goes live on Monday")
	assert.Contains(t, labels, steps.LabelProduction)
	assert.NotContains(t, labels, steps.LabelStaged)
	assert.Nil(t, channelIndex(t, sb, release.Staged), "it left staged")
	assert.Equal(t, version, channelIndex(t, sb, release.Production).Version)
	assert.True(t, ourVersion(t, sb).Released, "released on OCL at production (ocl.release_on: manual)")
	assert.Contains(t, body, "| Outcome | not recorded yet")

	_, out = say(t, sb, issue, "alice", "/shepherd done success \"no problems reported\"")
	require.True(t, out.Acted, out.Reply)
	assert.Equal(t, release.Success, status(t, sb).Release.Rollout.Outcome)
	_, _, body = onlyIssue(t, sb)
	assert.Contains(t, body, "| Outcome | **success**, recorded by @alice")
}

func TestCommandsFromPeopleWithoutWritePermissionAreRefused(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	for _, who := range []struct{ login, perm string }{{"bob", "read"}, {"carol", "read"}, {"mallory", "none"}} {
		id, out := say(t, sb, issue, who.login, "/shepherd promote")
		assert.False(t, out.Acted)
		assert.Contains(t, out.Reply, "@"+who.login+", `/shepherd promote` was not done: only people with write, maintain or admin permission")
		assert.Contains(t, out.Reply, "you have "+who.perm+" permission", "triage reads as read in GitHub's permission field")
		assert.Equal(t, []string{"shepherd-bot:eyes"}, sb.GitHub.Reactions(sandbox.Owner, sandbox.Repo, id), "acknowledged at once")
		deliver(t, sb, issue, id, who.login, "/shepherd promote")
	}
	assert.Len(t, replies(sb, issue), 3, "one reply each, although each event came twice")
	assert.Equal(t, release.Unverified, status(t, sb).Release.Channel())
	// A command written in by someone else into their comment carries no authority either.
	_, out := say(t, sb, issue, "carol", "as @alice said:\n/shepherd reject \"bad\"")
	assert.False(t, out.Acted)
}

func TestActiveMembersOfAConfiguredTeamMayPromote(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	sb.Config.Rollout.Teams = []string{sandbox.Owner + "/release-managers", sandbox.Owner + "/terminology"}
	sb.GitHub.AddTeamMember(sandbox.Owner, "terminology", "bob", "active")         // triage on the repository
	sb.GitHub.AddTeamMember(sandbox.Owner, "release-managers", "carol", "pending") // invited, not accepted
	sb.GitHub.AddTeamMember(sandbox.Owner, "translators", "dave", "active")        // a team not configured

	for _, login := range []string{"carol", "dave", "mallory"} {
		_, out := say(t, sb, issue, login, "/shepherd promote")
		assert.False(t, out.Acted, login)
		assert.Contains(t, out.Reply, "or active members of rollout.teams ("+sandbox.Owner+"/release-managers, "+sandbox.Owner+"/terminology)", login)
		assert.NotContains(t, out.Reply, "could be checked", login)
	}
	require.Equal(t, release.Unverified, status(t, sb).Release.Channel())

	_, out := say(t, sb, issue, "bob", "/shepherd promote")
	require.True(t, out.Acted, out.Reply)
	assert.Equal(t, release.Staged, status(t, sb).Release.Channel())
	assert.Equal(t, "bob", channelIndex(t, sb, release.Staged).MovedBy)
}

func TestTeamMembershipTheTokenMayNotReadAllowsNobody(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	sb.Config.Rollout.Teams = []string{sandbox.Owner + "/release-managers"}
	sb.GitHub.AddTeamMember(sandbox.Owner, "release-managers", "bob", "active")
	// What a workflow's GITHUB_TOKEN may do: nothing in the organization.
	sb.GitHub.LimitToken(sandbox.GitHubToken, githubtest.Permissions{"contents": "write", "issues": "write",
		"pull_requests": "write", "statuses": "write", "checks": "write"})

	_, out := say(t, sb, issue, "bob", "/shepherd promote")
	assert.False(t, out.Acted)
	assert.Contains(t, out.Reply, "GitHub refused to show membership of "+sandbox.Owner+"/release-managers")
	assert.Contains(t, out.Reply, "Members: read")
	assert.Equal(t, release.Unverified, status(t, sb).Release.Channel())

	_, out = say(t, sb, issue, "alice", "/shepherd promote")
	assert.True(t, out.Acted, "write permission needs no team: %s", out.Reply)
}

func TestATeamOfAnotherOrganizationIsAConfigurationError(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	sb.Config.Rollout.Teams = []string{"someone-else/release-managers"}
	id := sb.GitHub.AddComment(sandbox.Owner, sandbox.Repo, issue, "bob", "/shepherd promote")
	_, err := sb.Env.Command(context.Background(), steps.CommandInput{Issue: issue, Comment: id, Body: "/shepherd promote", Author: "bob"})
	require.ErrorContains(t, err, `rollout.teams[0]: "someone-else/release-managers" is a team of someone-else, not of `+sandbox.Owner)
	assert.Equal(t, release.Unverified, status(t, sb).Release.Channel())
}

func TestUnknownCommandHelpAndStatusReply(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	_, out := say(t, sb, issue, "alice", "/shepherd ship-it")
	assert.Contains(t, out.Reply, "unknown command `ship-it`")
	assert.Contains(t, out.Reply, "| `/shepherd promote` |")
	_, out = say(t, sb, issue, "carol", "/shepherd help")
	assert.Contains(t, out.Reply, "| `/shepherd reject \"why\"` |", "help is for everyone")
	_, out = say(t, sb, issue, "carol", "/shepherd status")
	assert.Contains(t, out.Reply, "| Channel | **unverified**")
	_, out = say(t, sb, issue, "alice", "/shepherd reject")
	assert.Contains(t, out.Reply, "needs a reason")
	_, out = say(t, sb, issue, "alice", "thanks, /shepherd is great")
	assert.Empty(t, out.Command, "a comment without a /shepherd line is conversation")
	assert.Len(t, replies(sb, issue), 4)
	assert.Equal(t, release.Unverified, status(t, sb).Release.Channel())
}

func TestHoldBlocksPromotion(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	_, out := say(t, sb, issue, "alice", "/shepherd hold \"waiting for the Rwanda site\"")
	require.True(t, out.Acted, out.Reply)
	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, "| Blocked | On hold since")
	assert.Contains(t, body, "waiting for the Rwanda site")
	_, out = say(t, sb, issue, "maya", "/shepherd promote")
	assert.Contains(t, out.Reply, "on hold")
	_, out = say(t, sb, issue, "alice", "/shepherd hold cancel")
	require.True(t, out.Acted, out.Reply)
	_, out = say(t, sb, issue, "maya", "/shepherd promote")
	assert.True(t, out.Acted, out.Reply)
}

func TestRejectWithdrawsTheReleaseFromEveryChannel(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	sb.Config.Rollout.GracePeriod = 0
	for range 2 {
		_, out := say(t, sb, issue, "alice", "/shepherd promote")
		require.True(t, out.Acted, out.Reply)
	}
	require.True(t, ourVersion(t, sb).Released)

	_, out := say(t, sb, issue, "alice", "/shepherd reject \"wrong units for CD4 count\"")
	require.True(t, out.Acted, out.Reply)
	rec := status(t, sb)
	assert.Equal(t, release.Withdrawn, rec.Release.Channel())
	assert.Equal(t, release.Reject, rec.Release.Rollout.Outcome)
	assert.Nil(t, channelIndex(t, sb, release.Production), "production held only this release: now nothing")
	assert.Nil(t, channelIndex(t, sb, release.Staged))
	assert.False(t, ourVersion(t, sb).Released, "OCL's released flag taken back")
	_, labels, body := onlyIssue(t, sb)
	assert.Contains(t, body, "| Channel | **withdrawn**")
	assert.Contains(t, body, "wrong units for CD4 count")
	assert.Contains(t, body, "| Released on OCL | no: taken back")
	assert.Contains(t, body, "**Withdrawn**")
	assert.NotContains(t, labels, steps.LabelProduction)
	require.NotNil(t, rec.Withdrawn, "reject is the withdrawal shepherd withdraw does")
	assert.Equal(t, "rejected by @alice: wrong units for CD4 count", status(t, sb).Withdrawn.Reason)
	gr, _, err := sb.Env.GitHub.GitHub().Repositories.GetReleaseByTag(context.Background(), sandbox.Owner, sandbox.Repo, version)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(gr.GetName(), "Withdrawn: rejected by @alice: wrong units for CD4 count"), gr.GetName())

	_, out = say(t, sb, issue, "alice", "/shepherd promote")
	assert.Contains(t, out.Reply, "withdrawn channel does not accept it")
}

func TestChannelLabelsFromPeopleWithoutPermissionAreTakenBack(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	ev := sb.GitHub.IssueLabeledEvent(sandbox.Owner, sandbox.Repo, issue, steps.LabelStaged, "bob")
	at, _ := time.Parse(time.RFC3339, ev["issue"].(map[string]any)["updated_at"].(string))
	in := steps.CommandInput{Issue: issue, Label: steps.LabelStaged, Author: "bob", At: at}
	out, err := sb.Env.Command(context.Background(), in)
	require.NoError(t, err)
	assert.False(t, out.Acted)
	assert.Contains(t, out.Reply, "the label `channel:staged` was taken back: only people with write")
	_, labels, _ := onlyIssue(t, sb)
	assert.NotContains(t, labels, steps.LabelStaged)
	_, err = sb.Env.Command(context.Background(), in)
	require.NoError(t, err)
	assert.Len(t, replies(sb, issue), 1, "the repeated event gets no second reply")

	// Production is two moves away: taken back even from someone who may promote.
	sb.GitHub.IssueLabeledEvent(sandbox.Owner, sandbox.Repo, issue, steps.LabelProduction, "alice")
	out, err = sb.Env.Command(context.Background(), steps.CommandInput{Issue: issue, Label: steps.LabelProduction, Author: "alice", At: at.Add(time.Second)})
	require.NoError(t, err)
	assert.Contains(t, out.Reply, "the next move is to staged, not production")

	sb.GitHub.IssueLabeledEvent(sandbox.Owner, sandbox.Repo, issue, steps.LabelStaged, "alice")
	out, err = sb.Env.Command(context.Background(), steps.CommandInput{Issue: issue, Label: steps.LabelStaged, Author: "alice", At: at.Add(2 * time.Second)})
	require.NoError(t, err)
	assert.True(t, out.Acted)
	assert.Equal(t, release.Staged, status(t, sb).Release.Channel())
	_, labels, _ = onlyIssue(t, sb)
	assert.Contains(t, labels, steps.LabelStaged)
	assert.NotContains(t, labels, steps.LabelProduction)
}

func TestAbortAndRetryCommands(t *testing.T) {
	sb := newSandbox(t, dataset.Spec{Seed: 5, Concepts: 60}, ocltest.ExportPlan{NonePolls: 1000})
	sb.GitHub.AddCollaborator(sandbox.Owner, sandbox.Repo, "alice", "admin")
	merge(t, sb)
	issue, _, _ := onlyIssue(t, sb)
	require.Equal(t, release.Exporting, status(t, sb).Release.Phase)

	id, out := say(t, sb, issue, "alice", "/shepherd abort \"wrong source version\"")
	require.True(t, out.Acted, out.Reply)
	rec := status(t, sb)
	assert.Equal(t, release.Failed, rec.Release.Phase)
	assert.Equal(t, "aborted by @alice: wrong source version", rec.Release.Last().Reason)
	assert.Equal(t, "alice", rec.Release.Last().Actor)
	assert.True(t, rec.Release.Handled(id))

	_, out = say(t, sb, issue, "alice", "/shepherd retry")
	require.True(t, out.Acted, out.Reply)
	rec = status(t, sb)
	assert.Equal(t, release.Exporting, rec.Release.Phase)
	var retried release.Transition
	for _, tr := range rec.Release.Transitions {
		if tr.Event == release.Retried {
			retried = tr
		}
	}
	assert.Equal(t, "alice", retried.Actor)
	assert.Equal(t, "retried by @alice from failed", retried.Reason)

	_, out = say(t, sb, issue, "alice", "/shepherd retry")
	assert.Contains(t, out.Reply, "only a failed or incomplete release can be retried")
	_, out = say(t, sb, issue, "alice", "/shepherd promote")
	assert.Contains(t, out.Reply, "channels start once it is done publishing")
}

// TestRetentionKeepsCurrentAndPreviousProduction: the janitor deletes by the 21-day rule
// everything but the release production holds and the one it replaced.
// issueBody is the text and labels of tracking issue n.
func issueBody(sb *sandbox.Sandbox, n int) (body string, labels []string) {
	for _, i := range sb.GitHub.Issues(sandbox.Owner, sandbox.Repo) {
		if i.GetNumber() == n {
			for _, l := range i.Labels {
				labels = append(labels, l.GetName())
			}
			return i.GetBody(), labels
		}
	}
	return "", nil
}

func TestTheReplacedProductionReleaseIsSupersededAndARejectPutsItBack(t *testing.T) {
	sb, first := rolledOutRelease(t)
	sb.Config.Rollout.GracePeriod = 0
	for range 2 {
		_, out := say(t, sb, first, "alice", "/shepherd promote")
		require.True(t, out.Acted, out.Reply)
	}
	sb.Clock.Advance(7 * day)
	const next = "v2026-12-01"
	second := releaseVersion(t, sb, next)
	for range 2 {
		_, out := say(t, sb, second, "maya", "/shepherd promote")
		require.True(t, out.Acted, out.Reply)
	}
	require.Equal(t, next, channelIndex(t, sb, release.Production).Version)

	old := status(t, sb)
	assert.Equal(t, release.Superseded, old.Release.Channel(), "the replaced release no longer says production")
	moved := old.Release.Rollout.Moves[len(old.Release.Rollout.Moves)-1]
	assert.Equal(t, release.Replaced, moved.Event)
	assert.Equal(t, "maya", moved.Actor)
	assert.Equal(t, "replaced by "+next, moved.Reason)
	assert.NoError(t, old.Release.Validate(), "the record replays")
	body, labels := issueBody(sb, first)
	assert.Contains(t, body, "| Channel | **superseded** since")
	assert.Contains(t, body, "replaced by "+next)
	assert.NotContains(t, labels, steps.LabelProduction)

	// A repeated promote run writes nothing new on the older record.
	id := sb.GitHub.AddComment(sandbox.Owner, sandbox.Repo, second, "maya", "/shepherd promote")
	deliver(t, sb, second, id, "maya", "/shepherd promote")
	assert.Len(t, status(t, sb).Release.Rollout.Moves, len(old.Release.Rollout.Moves))
	again, _ := issueBody(sb, first)
	assert.Equal(t, body, again)

	// Rejecting the current production release puts the older one back, status included.
	_, out := say(t, sb, second, "alice", "/shepherd reject \"breaks the Rwanda site\"")
	require.True(t, out.Acted, out.Reply)
	assert.Equal(t, version, channelIndex(t, sb, release.Production).Version)
	back := status(t, sb)
	assert.Equal(t, release.Production, back.Release.Channel())
	assert.Equal(t, release.Restored, back.Release.Rollout.Moves[len(back.Release.Rollout.Moves)-1].Event)
	assert.NoError(t, back.Release.Validate())
	body, labels = issueBody(sb, first)
	assert.Contains(t, body, "| Channel | **production** since")
	assert.Contains(t, body, next+" was rejected")
	assert.Contains(t, labels, steps.LabelProduction)
}

func TestRetentionKeepsCurrentAndPreviousProduction(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	sb.Config.Rollout.GracePeriod = 0
	ctx := context.Background()
	// Two older releases without a status: one production replaced, one never promoted.
	for _, old := range []string{"v2026-10-01", "v2026-09-01"} {
		_, err := sb.Env.Store.Put(ctx, "releases/"+old+"/SHA256SUMS", strings.NewReader("x\n"), 2, store.SHA256Hex([]byte("x\n")), "text/plain")
		require.NoError(t, err)
	}
	prev := steps.ChannelIndex{Channel: release.Production, Entry: steps.Entry{Version: "v2026-10-01", MovedBy: "alice"}}
	data, err := json.Marshal(prev)
	require.NoError(t, err)
	_, err = sb.Env.Store.Put(ctx, "channels/CIEL/CIEL/production.json", strings.NewReader(string(data)), int64(len(data)), store.SHA256Hex(data), "application/json")
	require.NoError(t, err)
	for range 2 {
		_, out := say(t, sb, issue, "alice", "/shepherd promote")
		require.True(t, out.Acted, out.Reply)
	}
	idx := channelIndex(t, sb, release.Production)
	require.NotNil(t, idx.Previous)
	assert.Equal(t, "v2026-10-01", idx.Previous.Version)

	sb.Clock.Advance(60 * day)
	_, err = sb.Env.Janitor(ctx)
	require.NoError(t, err)
	objects, err := sb.Env.Store.List(ctx, "releases/")
	require.NoError(t, err)
	folders := map[string]bool{}
	for _, o := range objects {
		folders[strings.Split(o.Key, "/")[1]] = true
	}
	assert.True(t, folders[version], "the current production release is kept")
	assert.True(t, folders["v2026-10-01"], "the one before it is kept for rollback")
	assert.False(t, folders["v2026-09-01"], "everything else goes by the 21-day rule")
	rec := status(t, sb)
	assert.True(t, rec.RemovedAt.IsZero())
	for _, d := range rec.Downloads {
		assert.True(t, d.ValidUntil.After(sb.Clock.Now()), "%s: its link was re-issued", d.File)
	}
}

// An outcome is mandatory when the release ends: closing the tracking issue of a
// published release without one opens it again, with a reply saying how.
func TestClosingWithoutAnOutcomeReopens(t *testing.T) {
	sb, issue := rolledOutRelease(t)
	closeIssue := func(login string) steps.CommandOutcome {
		ev := sb.GitHub.IssueClosedEvent(sandbox.Owner, sandbox.Repo, issue, login)
		at, err := time.Parse(time.RFC3339, ev["issue"].(map[string]any)["updated_at"].(string))
		require.NoError(t, err)
		out, err := sb.Env.Command(context.Background(), steps.CommandInput{Issue: issue, Closed: true, Author: login, At: at})
		require.NoError(t, err)
		return out
	}
	state := func() string {
		for _, i := range sb.GitHub.Issues(sandbox.Owner, sandbox.Repo) {
			if i.GetNumber() == issue {
				return i.GetState()
			}
		}
		return ""
	}
	out := closeIssue("alice")
	assert.True(t, out.Acted)
	assert.Equal(t, "open", state())
	assert.Contains(t, out.Reply, "has no outcome yet")
	assert.Contains(t, out.Reply, "/shepherd done success")

	sb.Config.Rollout.GracePeriod = 0
	for _, cmd := range []string{"/shepherd promote", "/shepherd promote", "/shepherd done warning \"one site saw slow loads\""} {
		_, o := say(t, sb, issue, "alice", cmd)
		require.True(t, o.Acted, o.Reply)
	}
	out = closeIssue("alice")
	assert.False(t, out.Acted)
	assert.Equal(t, "closed", state(), "with its outcome recorded, a release's issue may close")
	assert.Len(t, replies(sb, issue), 1)
}
