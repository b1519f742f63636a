package steps

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// RunURL is the web page of the attempt of the workflow run the environment describes
// ("" outside Actions): GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID,
// then /attempts/GITHUB_RUN_ATTEMPT. Every link Shepherd writes to its own run comes from
// here.
//
// A re-run keeps GITHUB_RUN_ID and counts up GITHUB_RUN_ATTEMPT from 1, and the run's page
// shows its latest attempt (https://docs.github.com/en/actions/reference/workflows-and-actions/variables#default-environment-variables,
// https://docs.github.com/en/actions/managing-workflow-runs/re-running-workflows-and-jobs),
// so only the attempt's own page keeps the logs and decision log of the attempt that made
// a change. That page is the run's page with /attempts/N appended, as the web addresses in
// actions/runner issue #1696 (https://github.com/actions/runner/issues/1696) and
// docker/actions-toolkit's workflowRunURL (src/github.ts, pull request #346) show, the same
// path as GitHub's REST endpoint GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}
// (https://docs.github.com/en/rest/actions/workflow-runs#get-a-workflow-run-attempt). The
// OpenAPI description the fake GitHub is checked against (internal/github/githubtest/testdata)
// holds only the workflow-run schema's run_attempt and API-side previous_attempt_url, no web
// address of an attempt.
//
// A run id that is not a positive whole number gives no link, and such an attempt number
// gives the run's page without one: never a link that leads nowhere.
func RunURL(getenv func(string) string) string {
	server, repo := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY")
	id, ok := positiveNumber(getenv("GITHUB_RUN_ID"))
	if server == "" || repo == "" || !ok {
		return ""
	}
	link := fmt.Sprintf("%s/%s/actions/runs/%d", strings.TrimSuffix(server, "/"), repo, id)
	if attempt, ok := positiveNumber(getenv("GITHUB_RUN_ATTEMPT")); ok {
		link += fmt.Sprintf("/attempts/%d", attempt)
	}
	if checkRunLink(link) != nil {
		return ""
	}
	return link
}

// runLinkPath is the path of a run's page (OWNER/NAME/actions/runs/ID), alone or with the
// attempt (/attempts/N). Links written before they carried the attempt have the first form.
var runLinkPath = regexp.MustCompile(`^/[^/]+/[^/]+/actions/runs/[1-9][0-9]*(/attempts/[1-9][0-9]*)?$`)

// checkRunLink accepts the run links RunURL writes, with or without the attempt.
func checkRunLink(s string) error {
	if err := checkLink(s); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || !runLinkPath.MatchString(u.EscapedPath()) {
		return fmt.Errorf("%q is not a link to a workflow run", s)
	}
	return nil
}

// positiveNumber reads a whole number above zero in decimal digits (ParseUint takes no
// sign, space or underscore).
func positiveNumber(s string) (uint64, bool) {
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}
