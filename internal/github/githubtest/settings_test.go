package githubtest

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSettingsAsGitHubAnswersThem(t *testing.T) {
	s := NewServer(WithToken("ghp_admin", "openmrs"),
		WithTokenPermissions("ghs_workflow", "github-actions[bot]", Permissions{"contents": "write", "actions": "read"}))
	t.Cleanup(s.Close)
	s.AddRepo("openmrs", "ciel-releases", "main")
	gh, workflowToken := s.ClientWithToken(t, "ghp_admin"), s.ClientWithToken(t, "ghs_workflow")

	// Unprotected: 404 "Branch not protected", and no rules.
	_, resp, err := gh.Repositories.GetBranchProtection(bg, "openmrs", "ciel-releases", "main")
	require.ErrorIs(t, err, github.ErrBranchNotProtected)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	rules, _, err := gh.Repositories.GetRulesForBranch(bg, "openmrs", "ciel-releases", "main")
	require.NoError(t, err)
	assert.Empty(t, rules)

	s.SetBranchProtection("openmrs", "ciel-releases", "main", &BranchRules{Contexts: []string{"shepherd/qa"}, Approvals: 2})
	p, _, err := gh.Repositories.GetBranchProtection(bg, "openmrs", "ciel-releases", "main")
	require.NoError(t, err)
	assert.Equal(t, []string{"shepherd/qa"}, p.GetRequiredStatusChecks().GetContexts())
	assert.Equal(t, 2, p.GetRequiredPullRequestReviews().RequiredApprovingReviewCount)
	branch, _, err := gh.Repositories.GetBranch(bg, "openmrs", "ciel-releases", "main", 1)
	require.NoError(t, err)
	assert.True(t, branch.GetProtected())

	// A workflow token never holds administration: 403, naming the permission.
	_, resp, err = workflowToken.Repositories.GetBranchProtection(bg, "openmrs", "ciel-releases", "main")
	require.Error(t, err)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "administration=read", resp.Header.Get("X-Accepted-GitHub-Permissions"))

	// Rulesets show in the branch's rules, protection rules do not.
	s.AddRuleset("openmrs", "ciel-releases", "main", BranchRules{Contexts: []string{"ci"}, Approvals: 1})
	rules, _, err = workflowToken.Repositories.GetRulesForBranch(bg, "openmrs", "ciel-releases", "main")
	require.NoError(t, err)
	var types []string
	for _, r := range rules {
		types = append(types, r.Type)
		assert.Equal(t, "Repository", r.RulesetSourceType)
	}
	assert.Equal(t, []string{"required_status_checks", "pull_request"}, types)

	// Workflows keep their states; Actions can be turned off.
	s.AddWorkflow("openmrs", "ciel-releases", ".github/workflows/janitor.yml", "janitor", WorkflowDisabledInactivity)
	wfs, _, err := workflowToken.Actions.ListWorkflows(bg, "openmrs", "ciel-releases", nil)
	require.NoError(t, err)
	require.Len(t, wfs.Workflows, 1)
	assert.Equal(t, "disabled_inactivity", wfs.Workflows[0].GetState())
	assert.Equal(t, ".github/workflows/janitor.yml", wfs.Workflows[0].GetPath())
	s.SetActionsEnabled("openmrs", "ciel-releases", false)
	perms, _, err := gh.Repositories.GetActionsPermissions(bg, "openmrs", "ciel-releases")
	require.NoError(t, err)
	assert.False(t, perms.GetEnabled())
	assert.Nil(t, perms.AllowedActions)
}

// A workflow started through the API runs like one started by its button: a queued run on
// the ref asked for, with the event workflow_dispatch. GitHub refuses a workflow it does
// not know, one switched off, one without the trigger, a ref that is not there, and a
// token without the actions write permission.
func TestWorkflowDispatchAsGitHubAnswersIt(t *testing.T) {
	s := NewServer(WithToken("ghp_admin", "openmrs"),
		WithTokenPermissions("ghs_reader", "github-actions[bot]", Permissions{"actions": "read"}),
		WithTokenPermissions("ghs_writer", "github-actions[bot]", Permissions{"actions": "write"}))
	t.Cleanup(s.Close)
	s.AddRepo("openmrs", "ciel-releases", "main")
	s.AddWorkflow("openmrs", "ciel-releases", ".github/workflows/shepherd-site.yml", "site", WorkflowActive)
	s.AddWorkflow("openmrs", "ciel-releases", ".github/workflows/shepherd-janitor.yml", "janitor", WorkflowDisabledManually)
	reader, writer := s.ClientWithToken(t, "ghs_reader"), s.ClientWithToken(t, "ghs_writer")
	dispatch := func(gh *github.Client, file, ref string) (int, string) {
		resp, err := gh.Actions.CreateWorkflowDispatchEventByFileName(bg, "openmrs", "ciel-releases", file, github.CreateWorkflowDispatchEventRequest{Ref: ref})
		var er *github.ErrorResponse
		if errors.As(err, &er) {
			return resp.StatusCode, er.Message
		}
		require.NoError(t, err)
		return resp.StatusCode, ""
	}

	status, _ := dispatch(writer, "shepherd-site.yml", "main")
	assert.Equal(t, http.StatusNoContent, status)
	runs := s.WorkflowRuns("openmrs", "ciel-releases")
	require.Len(t, runs, 1)
	assert.Equal(t, WorkflowRun{ID: runs[0].ID, Path: ".github/workflows/shepherd-site.yml", Event: "workflow_dispatch", Branch: "main", Status: "queued"}, runs[0])

	for _, tt := range []struct {
		gh        *github.Client
		file, ref string
		status    int
		message   string
	}{
		{reader, "shepherd-site.yml", "main", http.StatusForbidden, "Resource not accessible by integration"},
		{writer, "shepherd-nothing.yml", "main", http.StatusNotFound, "Not Found"},
		{writer, "shepherd-janitor.yml", "main", http.StatusUnprocessableEntity, "Cannot trigger a 'workflow_dispatch' on a disabled workflow"},
		{writer, "shepherd-site.yml", "gone", http.StatusUnprocessableEntity, "No ref found for: gone"},
	} {
		status, message := dispatch(tt.gh, tt.file, tt.ref)
		assert.Equal(t, tt.status, status, "%s on %s", tt.file, tt.ref)
		assert.Equal(t, tt.message, message, "%s on %s", tt.file, tt.ref)
	}
	s.RemoveDispatchTrigger("openmrs", "ciel-releases", ".github/workflows/shepherd-site.yml")
	status, message := dispatch(writer, "shepherd-site.yml", "main")
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Equal(t, "Workflow does not have 'workflow_dispatch' trigger", message)
	assert.Len(t, s.WorkflowRuns("openmrs", "ciel-releases"), 1, "no refusal started a run")
}
