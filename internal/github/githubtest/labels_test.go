package githubtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRepositoryLabels(t *testing.T) {
	s, gh := newFake(t)

	created, resp, err := gh.Issues.CreateLabel(ctx, owner, name, &github.Label{
		Name: github.String("release:qa"), Color: github.String("FBCA04"), Description: github.String("QA running"),
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "fbca04", created.GetColor())
	assert.NotZero(t, created.GetID())

	_, _, err = gh.Issues.CreateLabel(ctx, owner, name, &github.Label{Name: github.String("Release:QA")})
	requireValidation(t, err, "Label", "name", "already_exists")
	_, _, err = gh.Issues.CreateLabel(ctx, owner, name, &github.Label{Name: github.String("x"), Color: github.String("red")})
	requireValidation(t, err, "Label", "color", "invalid")

	got, _, err := gh.Issues.GetLabel(ctx, owner, name, "release:qa")
	require.NoError(t, err)
	assert.Equal(t, "QA running", got.GetDescription())
	_, _, err = gh.Issues.GetLabel(ctx, owner, name, "release:done")
	errorResponse(t, err, http.StatusNotFound)

	edited, _, err := gh.Issues.EditLabel(ctx, owner, name, "release:qa", &github.Label{Color: github.String("0e8a16")})
	require.NoError(t, err)
	assert.Equal(t, "0e8a16", edited.GetColor())

	for _, l := range []string{"b", "a"} {
		_, _, err = gh.Issues.CreateLabel(ctx, owner, name, &github.Label{Name: github.String(l)})
		require.NoError(t, err)
	}
	all, _, err := gh.Issues.ListLabels(ctx, owner, name, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "release:qa"}, labelNames(all))

	_, err = gh.Issues.DeleteLabel(ctx, owner, name, "a")
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "release:qa"}, labelNames(s.Labels(owner, name)))
}

func TestIssueLabels(t *testing.T) {
	s, gh := newFake(t)
	n := s.AddIssue(owner, name, "alice", "Release", "", "keep")

	added, _, err := gh.Issues.AddLabelsToIssue(ctx, owner, name, n, []string{"release:qa", "keep"})
	require.NoError(t, err)
	assert.Equal(t, []string{"keep", "release:qa"}, labelNames(added), "no duplicates, order of addition")
	assert.Len(t, s.Labels(owner, name), 2, "labels named on an issue are created")

	_, err = gh.Issues.RemoveLabelForIssue(ctx, owner, name, n, "release:qa")
	require.NoError(t, err)
	assert.Equal(t, []string{"keep"}, s.IssueLabels(owner, name, n))

	_, err = gh.Issues.RemoveLabelForIssue(ctx, owner, name, n, "release:qa")
	er := errorResponse(t, err, http.StatusNotFound)
	assert.Equal(t, "Label does not exist", er.Message)

	replaced, _, err := gh.Issues.ReplaceLabelsForIssue(ctx, owner, name, n, []string{"release:done"})
	require.NoError(t, err)
	assert.Equal(t, []string{"release:done"}, labelNames(replaced))
	assert.Equal(t, []string{"release:done"}, s.IssueLabels(owner, name, n))

	listed, _, err := gh.Issues.ListLabelsByIssue(ctx, owner, name, n, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"release:done"}, labelNames(listed))

	_, err = gh.Issues.RemoveLabelsForIssue(ctx, owner, name, n)
	require.NoError(t, err)
	assert.Empty(t, s.IssueLabels(owner, name, n))

	_, _, err = gh.Issues.AddLabelsToIssue(ctx, owner, name, 42, []string{"x"})
	errorResponse(t, err, http.StatusNotFound)
}

func TestAddLabelsAcceptsTheWrappedForm(t *testing.T) {
	s, gh := newFake(t)
	n := s.AddIssue(owner, name, "alice", "Release", "")
	req, err := gh.NewRequest("POST", "repos/"+owner+"/"+name+"/issues/1/labels", map[string][]string{"labels": {"release:qa"}})
	require.NoError(t, err)
	_, err = gh.Do(ctx, req, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"release:qa"}, s.IssueLabels(owner, name, n))
}

// Label names go into paths: GitHub decodes each path segment once, so a name must be
// escaped by the client. go-github v62 does not escape them (labels.go builds the path
// with %v), which works for names like "release:qa" and fails for "/", "%" or "?".
func TestLabelNamesInPaths(t *testing.T) {
	s, gh := newFake(t)
	issue := s.AddIssue(owner, name, "alice", "t", "")
	names := []string{"shepherd: needs review", "a/b", "50%", "c++", "naïve", "x?y", "#1"}
	for _, n := range names {
		_, _, err := gh.Issues.CreateLabel(ctx, owner, name, &github.Label{Name: github.String(n)})
		require.NoError(t, err, n)
	}
	_, _, err := gh.Issues.AddLabelsToIssue(ctx, owner, name, issue, names)
	require.NoError(t, err)

	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			escaped := url.PathEscape(n)
			got := getJSON(t, s, "repos/"+owner+"/"+name+"/labels/"+escaped)
			assert.Equal(t, n, got[0]["name"], "escaped, the name is found")
			assert.True(t, strings.HasSuffix(got[0]["url"].(string), "/labels/"+escaped), "the label's url carries it escaped")

			req, err := http.NewRequest("DELETE", s.URL()+"repos/"+owner+"/"+name+"/issues/1/labels/"+escaped, nil)
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode, "removed from the issue by its escaped name")
		})
	}
	assert.Empty(t, s.IssueLabels(owner, name, issue))

	// Unescaped, as go-github v62 sends them.
	for _, n := range []string{"shepherd: needs review", "c++", "naïve"} {
		_, _, err := gh.Issues.GetLabel(ctx, owner, name, n)
		assert.NoError(t, err, "%q needs no escaping", n)
	}
	_, _, err = gh.Issues.GetLabel(ctx, owner, name, "a/b")
	errorResponse(t, err, http.StatusNotFound) // two path segments
	_, _, err = gh.Issues.GetLabel(ctx, owner, name, "x?y")
	errorResponse(t, err, http.StatusNotFound) // the name ends at "?": label "x"
	_, _, err = gh.Issues.GetLabel(ctx, owner, name, "50%")
	assert.Error(t, err, "not even a URL")
	// An escape is decoded once: "%2541" names the label "%41", not "A".
	resp, err := http.Get(s.URL() + "repos/" + owner + "/" + name + "/labels/%2541")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	_, _, err = gh.Issues.CreateLabel(ctx, owner, name, &github.Label{Name: github.String("%41")})
	require.NoError(t, err)
	assert.Equal(t, "%41", getJSON(t, s, "repos/"+owner+"/"+name+"/labels/%2541")[0]["name"])
}
