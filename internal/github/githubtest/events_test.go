package githubtest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// webhooksReference is testdata/webhooks.json: the payload schemas of the events
// Shepherd's workflows run on, from @octokit/openapi-webhooks.
type webhooksReference struct {
	Source string `json:"source"`
	Events map[string]struct {
		Docs   string `json:"docs"`
		Schema schema `json:"schema"`
	} `json:"events"`
	Schemas map[string]schema `json:"schemas"`
}

// requireValidEvent checks a payload, as the workflow would read it from its JSON file,
// against the event's schema and returns it decoded.
func requireValidEvent(t *testing.T, ref *webhooksReference, event string, payload map[string]any) map[string]any {
	t.Helper()
	for _, msg := range eventErrors(t, ref, event, payload) {
		t.Errorf("%s: %s", event, msg)
	}
	return payload
}

// eventErrors validates a payload, numbers read as the schema wants them.
func eventErrors(t *testing.T, ref *webhooksReference, event string, payload map[string]any) []string {
	t.Helper()
	data, err := json.Marshal(payload)
	require.NoError(t, err)
	var decoded any
	require.NoError(t, decodeJSON(data, &decoded))
	e, ok := ref.Events[event]
	require.True(t, ok, "no schema for %s in testdata/webhooks.json", event)
	return (&schemaSet{schemas: ref.Schemas}).validate(e.Schema, decoded, "$")
}

func TestEventPayloadsMatchGitHubsWebhookSchemas(t *testing.T) {
	var ref webhooksReference
	loadTestdata(t, "webhooks.json", &ref)
	s := NewServer()
	t.Cleanup(s.Close)
	s.AddRepo("openmrs", "ciel-releases", "main")
	before := s.BranchSHA("openmrs", "ciel-releases", "main")

	t.Run("push", func(t *testing.T) {
		s.SetFile("openmrs", "ciel-releases", "main", "README.md", "hello\n")
		after := s.SetFile("openmrs", "ciel-releases", "main", "releases/v2026-11-22.yaml", "version: v2026-11-22\n")
		got := requireValidEvent(t, &ref, "push", s.PushEvent("openmrs", "ciel-releases", "refs/heads/main", before, after, "alice"))
		commits := got["commits"].([]any)
		require.Len(t, commits, 2, "the pushed commits, oldest first")
		assert.Equal(t, []any{"README.md"}, commits[0].(map[string]any)["added"])
		assert.Equal(t, []any{"releases/v2026-11-22.yaml"}, commits[1].(map[string]any)["added"])
		assert.Equal(t, after, got["head_commit"].(map[string]any)["id"])
		assert.Equal(t, false, got["created"])
		assert.Equal(t, false, got["forced"])
		repo := got["repository"].(map[string]any)
		assert.IsType(t, float64(0), repo["pushed_at"], "a push payload's repository times are Unix seconds")
	})
	t.Run("push of a new branch", func(t *testing.T) {
		after := s.SetFile("openmrs", "ciel-releases", "release-v1", "f.txt", "x\n")
		got := requireValidEvent(t, &ref, "push", s.PushEvent("openmrs", "ciel-releases", "refs/heads/release-v1", zeroSHA, after, "alice"))
		assert.Equal(t, true, got["created"])
	})
	t.Run("pull_request", func(t *testing.T) {
		n := s.AddPullRequest("openmrs", "ciel-releases", "alice", "release-v1", "main", "Release v1", "")
		for _, action := range []string{"opened", "reopened"} {
			got := requireValidEvent(t, &ref, "pull-request-"+action, s.PullRequestEvent("openmrs", "ciel-releases", n, action, "", "alice"))
			pr := got["pull_request"].(map[string]any)
			assert.Equal(t, float64(n), pr["number"])
			assert.Nil(t, pr["mergeable"])
			head := pr["head"].(map[string]any)["repo"].(map[string]any)
			assert.Equal(t, false, head["fork"])
			assert.Equal(t, "openmrs/ciel-releases", head["full_name"])
		}
		oldHead := s.BranchSHA("openmrs", "ciel-releases", "release-v1")
		newHead := s.SetFile("openmrs", "ciel-releases", "release-v1", "f.txt", "y\n")
		got := requireValidEvent(t, &ref, "pull-request-synchronize", s.PullRequestEvent("openmrs", "ciel-releases", n, "synchronize", oldHead, "alice"))
		assert.Equal(t, oldHead, got["before"])
		assert.Equal(t, newHead, got["after"])
	})
	t.Run("pull_request labeled and unlabeled", func(t *testing.T) {
		s.SetFile("openmrs", "ciel-releases", "fix", "docs/fix.md", "fix\n")
		n := s.AddPullRequest("openmrs", "ciel-releases", "alice", "fix", "main", "Fix", "")
		s.LabelIssue("openmrs", "ciel-releases", n, "bug")
		got := requireValidEvent(t, &ref, "pull-request-labeled", s.PullRequestLabelEvent("openmrs", "ciel-releases", n, "labeled", "bug", "alice"))
		assert.Equal(t, "bug", got["label"].(map[string]any)["name"])
		labels := got["pull_request"].(map[string]any)["labels"].([]any)
		require.Len(t, labels, 1)
		assert.Equal(t, "bug", labels[0].(map[string]any)["name"])
		requireValidEvent(t, &ref, "pull-request-unlabeled", s.PullRequestLabelEvent("openmrs", "ciel-releases", n, "unlabeled", "bug", "alice"))
	})
	t.Run("pull_request from a fork", func(t *testing.T) {
		s.AddFork("openmrs", "ciel-releases", "mallory")
		s.SetFile("mallory", "ciel-releases", "evil", "releases/v9.yaml", "x\n")
		n := s.AddPullRequest("openmrs", "ciel-releases", "mallory", "mallory:evil", "main", "Innocent", "")
		got := requireValidEvent(t, &ref, "pull-request-opened", s.PullRequestEvent("openmrs", "ciel-releases", n, "opened", "", "mallory"))
		pr := got["pull_request"].(map[string]any)
		head := pr["head"].(map[string]any)
		assert.Equal(t, "mallory:evil", head["label"])
		assert.Equal(t, "mallory/ciel-releases", head["repo"].(map[string]any)["full_name"], "another repository")
		assert.Equal(t, true, head["repo"].(map[string]any)["fork"])
		assert.Equal(t, false, pr["base"].(map[string]any)["repo"].(map[string]any)["fork"])
	})
	t.Run("pull_request in a release repository made by forking", func(t *testing.T) {
		s.AddRepo("upstream", "releases", "main")
		s.AddFork("upstream", "releases", "openmrs")
		s.SetFile("openmrs", "releases", "release-v1", "f.txt", "x\n")
		n := s.AddPullRequest("openmrs", "releases", "alice", "release-v1", "main", "Release v1", "")
		got := requireValidEvent(t, &ref, "pull-request-opened", s.PullRequestEvent("openmrs", "releases", n, "opened", "", "alice"))
		head := got["pull_request"].(map[string]any)["head"].(map[string]any)["repo"].(map[string]any)
		assert.Equal(t, true, head["fork"], "the head repository's own flag: every PR of a forked repository has it")
		assert.Equal(t, "openmrs/releases", head["full_name"], "yet the PR comes from the repository itself")
	})
}

func TestIssueEventPayloadsMatchGitHubsWebhookSchemas(t *testing.T) {
	var ref webhooksReference
	loadTestdata(t, "webhooks.json", &ref)
	s := NewServer()
	t.Cleanup(s.Close)
	s.AddRepo("openmrs", "ciel-releases", "main")
	n := s.AddIssue("openmrs", "ciel-releases", "shepherd-bot", "Release v2026-11-22", "status", "release")
	id := s.AddComment("openmrs", "ciel-releases", n, "alice", "/shepherd promote")

	got := requireValidEvent(t, &ref, "issue-comment-created", s.IssueCommentEvent("openmrs", "ciel-releases", id))
	comment := got["comment"].(map[string]any)
	assert.Equal(t, float64(id), comment["id"])
	assert.Equal(t, "/shepherd promote", comment["body"])
	assert.Equal(t, "alice", comment["user"].(map[string]any)["login"])
	assert.Equal(t, float64(n), got["issue"].(map[string]any)["number"])

	got = requireValidEvent(t, &ref, "issues-labeled", s.IssueLabeledEvent("openmrs", "ciel-releases", n, "channel:staged", "bob"))
	assert.Equal(t, "channel:staged", got["label"].(map[string]any)["name"])
	assert.Equal(t, "bob", got["sender"].(map[string]any)["login"])
	var names []string
	for _, l := range got["issue"].(map[string]any)["labels"].([]any) {
		names = append(names, l.(map[string]any)["name"].(string))
	}
	assert.Equal(t, []string{"release", "channel:staged"}, names, "the event shows the issue with its new label")

	got = requireValidEvent(t, &ref, "issues-closed", s.IssueClosedEvent("openmrs", "ciel-releases", n, "bob"))
	assert.Equal(t, "closed", got["issue"].(map[string]any)["state"])
	assert.Equal(t, "bob", got["sender"].(map[string]any)["login"])
}

func TestEventPayloadValidationCatchesAMissingField(t *testing.T) {
	var ref webhooksReference
	loadTestdata(t, "webhooks.json", &ref)
	s := NewServer()
	t.Cleanup(s.Close)
	s.AddRepo("o", "r", "main")
	after := s.SetFile("o", "r", "main", "f", "x")
	payload := s.PushEvent("o", "r", "refs/heads/main", zeroSHA, after, "alice")
	require.Empty(t, eventErrors(t, &ref, "push", payload))
	delete(payload, "pusher")
	assert.Contains(t, eventErrors(t, &ref, "push", payload), `$: missing required "pusher"`)
}
