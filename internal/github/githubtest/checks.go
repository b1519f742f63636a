package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"
)

// maxCheckOutputChars is GitHub's limit on a check run's output summary and text.
const maxCheckOutputChars = 65535

type checkRun struct {
	id                     int64
	name, headSHA          string
	status, conclusion     string
	externalID, detailsURL string
	started, completed     time.Time
	output                 *github.CheckRunOutput
	// app is the slug of the App that made the run.
	app string
}

var (
	checkStatuses    = []string{"queued", "in_progress", "completed"}
	checkConclusions = []string{"action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"}
)

func (s *Server) registerCheckRoutes() {
	s.handle("POST", "/repos/{owner}/{repo}/check-runs", (*call).createCheckRun)
	s.handle("GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}", (*call).getCheckRun)
	s.handle("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", (*call).updateCheckRun)
	s.handle("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs", (*call).listCheckRuns)
}

// CheckRuns returns every check run on sha, newest first.
func (s *Server) CheckRuns(owner, repo, sha string) []*github.CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	var out []object
	for _, run := range slices.Backward(rp.checkRuns) {
		if run.headSHA == sha {
			out = append(out, s.checkRunJSON(rp, run))
		}
	}
	return asList[github.CheckRun](out)
}

// checkRunJSON is a "check-run".
func (s *Server) checkRunJSON(rp *repo, run *checkRun) object {
	url := s.apiURL("/repos/%s/check-runs/%d", rp.fullName(), run.id)
	output := object{"title": nil, "summary": nil, "text": nil, "annotations_count": 0, "annotations_url": url + "/annotations"}
	if run.output != nil {
		output["title"] = nullString(deref(run.output.Title))
		output["summary"] = nullString(deref(run.output.Summary))
		output["text"] = nullString(deref(run.output.Text))
	}
	return object{
		"id":            run.id,
		"node_id":       nodeID("CR", run.id),
		"name":          run.name,
		"head_sha":      run.headSHA,
		"external_id":   run.externalID,
		"url":           url,
		"html_url":      s.htmlURL("/%s/runs/%d", rp.fullName(), run.id),
		"details_url":   nullString(run.detailsURL),
		"status":        run.status,
		"conclusion":    nullString(run.conclusion),
		"started_at":    ts(run.started),
		"completed_at":  nullTime(run.completed),
		"output":        output,
		"check_suite":   object{"id": checkSuiteID(run.app, run.headSHA)},
		"app":           s.appJSON(run.app),
		"pull_requests": []any{},
	}
}

// checkSuiteID gives every commit one suite per App: "a check suite is a collection of the
// check runs created by a single GitHub App for a specific commit", made by GitHub when
// the App's first run on the commit is created.
// https://docs.github.com/rest/checks/suites
func checkSuiteID(app, sha string) int64 { return userID("suite:" + app + ":" + sha) }

// checkRunChange is what a create or an update may set.
type checkRunChange struct {
	Name        *string                `json:"name"`
	HeadSHA     *string                `json:"head_sha"`
	DetailsURL  *string                `json:"details_url"`
	ExternalID  *string                `json:"external_id"`
	Status      *string                `json:"status"`
	Conclusion  *string                `json:"conclusion"`
	StartedAt   *github.Timestamp      `json:"started_at"`
	CompletedAt *github.Timestamp      `json:"completed_at"`
	Output      *github.CheckRunOutput `json:"output"`
}

// validate answers 422 for what GitHub refuses, given the run as it would become.
func (c *call) validateCheckRun(ch checkRunChange, status string) bool {
	switch {
	case !slices.Contains(checkStatuses, status):
		c.invalid(fieldError{Resource: "CheckRun", Field: "status", Code: "invalid"})
	case ch.Conclusion != nil && !slices.Contains(checkConclusions, *ch.Conclusion):
		c.invalid(fieldError{Resource: "CheckRun", Field: "conclusion", Code: "invalid"})
	case ch.Output != nil && (ch.Output.Title == nil || ch.Output.Summary == nil):
		c.invalid(fieldError{Resource: "CheckRun", Field: "output", Code: "missing_field",
			Message: "output requires a title and a summary"})
	case ch.Output != nil && tooLongForCheck(ch.Output):
		n := max(utf8.RuneCountInString(deref(ch.Output.Summary)), utf8.RuneCountInString(deref(ch.Output.Text)))
		c.fail(http.StatusUnprocessableEntity, fmt.Sprintf(
			"Invalid request.\n\nOnly %d characters are allowed; %d were supplied.", maxCheckOutputChars, n))
	default:
		return true
	}
	return false
}

func tooLongForCheck(o *github.CheckRunOutput) bool {
	return utf8.RuneCountInString(deref(o.Summary)) > maxCheckOutputChars ||
		utf8.RuneCountInString(deref(o.Text)) > maxCheckOutputChars
}

// apply sets the change on run. A conclusion completes the run, as on GitHub.
func (run *checkRun) apply(ch checkRunChange, now time.Time) {
	if ch.Name != nil {
		run.name = *ch.Name
	}
	if ch.DetailsURL != nil {
		run.detailsURL = *ch.DetailsURL
	}
	if ch.ExternalID != nil {
		run.externalID = *ch.ExternalID
	}
	if ch.StartedAt != nil {
		run.started = ch.StartedAt.Time
	}
	if ch.Output != nil {
		run.output = ch.Output
	}
	run.status = statusAfter(run.status, ch)
	if ch.Conclusion != nil {
		run.conclusion = *ch.Conclusion
	}
	if run.status == "completed" && run.completed.IsZero() {
		run.completed = now
		if ch.CompletedAt != nil {
			run.completed = ch.CompletedAt.Time
		}
	}
}

func statusAfter(current string, ch checkRunChange) string {
	if ch.Conclusion != nil {
		return "completed"
	}
	if ch.Status != nil {
		return *ch.Status
	}
	return current
}

func (c *call) createCheckRun() {
	var ch checkRunChange
	if !c.decode(&ch) {
		return
	}
	switch {
	case deref(ch.Name) == "":
		c.invalid(fieldError{Resource: "CheckRun", Field: "name", Code: "missing_field"})
		return
	case deref(ch.HeadSHA) == "":
		c.invalid(fieldError{Resource: "CheckRun", Field: "head_sha", Code: "missing_field"})
		return
	case c.repo.commits[*ch.HeadSHA] == nil:
		c.fail(http.StatusUnprocessableEntity, "No commit found for SHA: "+*ch.HeadSHA)
		return
	}
	status := statusAfter("queued", ch)
	if status == "completed" && ch.Conclusion == nil {
		c.invalid(fieldError{Resource: "CheckRun", Field: "conclusion", Code: "missing_field"})
		return
	}
	if !c.validateCheckRun(ch, status) {
		return
	}
	run := &checkRun{id: c.s.newID(), headSHA: *ch.HeadSHA, status: "queued", started: c.now, app: c.appSlug()}
	run.apply(ch, c.now)
	c.repo.checkRuns = append(c.repo.checkRuns, run)
	c.json(http.StatusCreated, c.s.checkRunJSON(c.repo, run))
}

func (c *call) checkRun() *checkRun {
	id, err := strconv.ParseInt(c.param("check_run_id"), 10, 64)
	if err == nil {
		for _, run := range c.repo.checkRuns {
			if run.id == id {
				return run
			}
		}
	}
	c.notFound()
	return nil
}

func (c *call) getCheckRun() {
	if run := c.checkRun(); run != nil {
		c.json(http.StatusOK, c.s.checkRunJSON(c.repo, run))
	}
}

func (c *call) updateCheckRun() {
	run := c.checkRun()
	if run == nil {
		return
	}
	var ch checkRunChange
	if !c.decode(&ch) {
		return
	}
	status := statusAfter(run.status, ch)
	if status == "completed" && ch.Conclusion == nil && run.conclusion == "" {
		c.invalid(fieldError{Resource: "CheckRun", Field: "conclusion", Code: "missing_field"})
		return
	}
	if !c.validateCheckRun(ch, status) {
		return
	}
	run.apply(ch, c.now)
	c.json(http.StatusOK, c.s.checkRunJSON(c.repo, run))
}

// listCheckRuns lists a commit's runs, newest first; by default ("filter=latest") only
// the newest run of each name, as GitHub does.
func (c *call) listCheckRuns() {
	cm := c.commitFor()
	if cm == nil {
		return
	}
	q := c.r.URL.Query()
	latestOnly := q.Get("filter") != "all"
	seen := map[string]bool{}
	var found []*checkRun
	for _, run := range slices.Backward(c.repo.checkRuns) {
		if run.headSHA != cm.sha || (latestOnly && seen[run.name]) {
			continue
		}
		seen[run.name] = true
		if (q.Get("check_name") == "" || q.Get("check_name") == run.name) && (q.Get("status") == "" || q.Get("status") == run.status) {
			found = append(found, run)
		}
	}
	runs := []object{}
	for _, run := range page(c, found) {
		runs = append(runs, c.s.checkRunJSON(c.repo, run))
	}
	c.json(http.StatusOK, object{"total_count": len(found), "check_runs": runs})
}
