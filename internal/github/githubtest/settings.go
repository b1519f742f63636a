package githubtest

import (
	"fmt"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Repository settings `shepherd doctor` reads: whether Actions run, the workflows and their
// states, branch protection and rulesets.

// workflow is one workflow file the repository's Actions know.
type workflow struct {
	id    int64
	name  string
	path  string // ".github/workflows/release.yml"
	state string
	added time.Time
	// noDispatchTrigger: the file has no workflow_dispatch trigger, so GitHub refuses to
	// start it through the API.
	noDispatchTrigger bool
}

// BranchRules is what a branch protection rule or a ruleset demands of merges into a branch:
// the status check contexts that must pass, and how many approving reviews a PR needs.
type BranchRules struct {
	Contexts  []string
	Approvals int
}

// Workflow states as GitHub reports them
// (https://docs.github.com/rest/actions/workflows#list-repository-workflows, "state").
const (
	WorkflowActive             = "active"
	WorkflowDisabledInactivity = "disabled_inactivity"
	WorkflowDisabledManually   = "disabled_manually"
	WorkflowDisabledFork       = "disabled_fork"
)

// AddWorkflow registers a workflow file with its state.
func (s *Server) AddWorkflow(owner, repo, path, name, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch state {
	case WorkflowActive, WorkflowDisabledInactivity, WorkflowDisabledManually, WorkflowDisabledFork:
	default:
		panic("githubtest: unknown workflow state " + state)
	}
	rp := s.mustRepo(owner, repo)
	rp.workflows = append(rp.workflows, &workflow{id: s.newID(), name: name, path: path, state: state, added: s.clock()})
}

// RemoveDispatchTrigger makes the workflow file at path one without the workflow_dispatch
// trigger: GitHub then refuses to start it by hand or through the API.
func (s *Server) RemoveDispatchTrigger(owner, repo, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, wf := range s.mustRepo(owner, repo).workflows {
		if wf.path == path {
			wf.noDispatchTrigger = true
			return
		}
	}
	panic("githubtest: no workflow " + path)
}

// SetActionsEnabled turns GitHub Actions on or off for the repository (Settings → Actions →
// General → Actions permissions).
func (s *Server) SetActionsEnabled(owner, repo string, enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustRepo(owner, repo).actionsDisabled = !enabled
}

// SetPrivate makes the repository private (or public again). The fake does not hide a
// private repository from anyone: tests give every caller access.
func (s *Server) SetPrivate(owner, repo string, private bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustRepo(owner, repo).private = private
}

// SetPushed sets when a commit was last pushed (the repository's pushed_at).
func (s *Server) SetPushed(owner, repo string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustRepo(owner, repo).pushed = at.UTC().Truncate(time.Second)
}

// SetBranchProtection protects branch with a classic branch protection rule; nil removes it.
func (s *Server) SetBranchProtection(owner, repo, branch string, rules *BranchRules) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	if rp.protection == nil {
		rp.protection = map[string]*BranchRules{}
	}
	if rules == nil {
		delete(rp.protection, branch)
		return
	}
	rp.protection[branch] = rules
}

// AddRuleset adds a repository ruleset that targets branch.
func (s *Server) AddRuleset(owner, repo, branch string, rules BranchRules) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	rp.rulesets = append(rp.rulesets, ruleset{id: s.newID(), branch: branch, rules: rules})
}

// ruleset is a repository ruleset on one branch.
type ruleset struct {
	id     int64
	branch string
	rules  BranchRules
}

func (s *Server) registerSettingsRoutes() {
	s.handle("GET", "/repos/{owner}/{repo}/actions/permissions", (*call).getActionsPermissions)
	s.handle("GET", "/repos/{owner}/{repo}/actions/workflows", (*call).listWorkflows)
	s.handle("GET", "/repos/{owner}/{repo}/actions/runs", (*call).listRuns)
	s.handle("POST", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", (*call).dispatchWorkflow)
	s.handle("GET", "/repos/{owner}/{repo}/branches/{branch}/protection", (*call).getBranchProtection)
	s.handle("GET", "/repos/{owner}/{repo}/rules/branches/{branch...}", (*call).getBranchRules)
}

// getActionsPermissions answers whether Actions run in the repository; allowed_actions and
// selected_actions_url only describe a repository where they do, so GitHub leaves them out
// otherwise ("actions-repository-permissions" requires only "enabled").
// https://docs.github.com/rest/actions/permissions#get-github-actions-permissions-for-a-repository
func (c *call) getActionsPermissions() {
	out := object{"enabled": !c.repo.actionsDisabled}
	if !c.repo.actionsDisabled {
		out["allowed_actions"] = "all"
	}
	c.json(http.StatusOK, out)
}

// listWorkflows answers every workflow with its state. Scheduled workflows of a public
// repository without activity for 60 days show as disabled_inactivity
// (https://docs.github.com/actions/managing-workflow-runs-and-deployments/managing-workflow-runs/disabling-and-enabling-a-workflow).
// https://docs.github.com/rest/actions/workflows#list-repository-workflows
func (c *call) listWorkflows() {
	items := []object{}
	for _, wf := range c.repo.workflows {
		file := wf.path[strings.LastIndex(wf.path, "/")+1:]
		items = append(items, object{
			"id":         wf.id,
			"node_id":    nodeID("W", wf.id),
			"name":       wf.name,
			"path":       wf.path,
			"state":      wf.state,
			"created_at": ts(wf.added),
			"updated_at": ts(wf.added),
			"url":        c.s.apiURL("/repos/%s/actions/workflows/%d", c.repo.fullName(), wf.id),
			"html_url":   c.s.htmlURL("/%s/blob/%s/%s", c.repo.fullName(), c.repo.defaultBranch, wf.path),
			"badge_url":  c.s.htmlURL("/%s/workflows/%s/badge.svg", c.repo.fullName(), strings.TrimSuffix(file, ".yml")),
		})
	}
	c.json(http.StatusOK, object{"total_count": len(items), "workflows": items})
}

// getBranchProtection answers a branch's classic protection rule, or 404 "Branch not
// protected" when it has none.
// https://docs.github.com/rest/branches/branch-protection#get-branch-protection
func (c *call) getBranchProtection() {
	branch := c.param("branch")
	rules := c.repo.protection[branch]
	if rules == nil || c.repo.refs[branchRef(branch)] == "" {
		c.fail(http.StatusNotFound, "Branch not protected")
		return
	}
	base := c.s.apiURL("/repos/%s/branches/%s/protection", c.repo.fullName(), branch)
	checks := []object{}
	for _, ctx := range rules.Contexts {
		checks = append(checks, object{"context": ctx, "app_id": nil})
	}
	out := object{
		"url": base,
		"required_status_checks": object{
			"url": base + "/required_status_checks", "strict": false, "enforcement_level": "non_admins",
			"contexts": append([]string{}, rules.Contexts...), "checks": checks,
			"contexts_url": base + "/required_status_checks/contexts",
		},
		"enforce_admins":                   object{"url": base + "/enforce_admins", "enabled": false},
		"required_linear_history":          object{"enabled": false},
		"allow_force_pushes":               object{"enabled": false},
		"allow_deletions":                  object{"enabled": false},
		"block_creations":                  object{"enabled": false},
		"required_conversation_resolution": object{"enabled": false},
		"lock_branch":                      object{"enabled": false},
		"allow_fork_syncing":               object{"enabled": false},
		"required_signatures":              object{"url": base + "/required_signatures", "enabled": false},
	}
	// A rule that does not require PRs has no required_pull_request_reviews at all.
	if rules.Approvals > 0 {
		out["required_pull_request_reviews"] = object{
			"url":                             base + "/required_pull_request_reviews",
			"dismiss_stale_reviews":           false,
			"require_code_owner_reviews":      false,
			"required_approving_review_count": rules.Approvals,
			"require_last_push_approval":      false,
		}
	}
	c.json(http.StatusOK, out)
}

// getBranchRules answers the rules that rulesets apply to a branch, each with the ruleset it
// comes from; a branch no ruleset targets answers an empty list, never 404. Classic branch
// protection does not show here.
// https://docs.github.com/rest/repos/rules#get-rules-for-a-branch
func (c *call) getBranchRules() {
	branch := c.param("branch")
	rules := []object{}
	for _, rs := range c.repo.rulesets {
		if rs.branch != branch {
			continue
		}
		info := func(rule object) object {
			rule["ruleset_source_type"] = "Repository"
			rule["ruleset_source"] = c.repo.fullName()
			rule["ruleset_id"] = rs.id
			return rule
		}
		if len(rs.rules.Contexts) > 0 {
			checks := []object{}
			for _, ctx := range rs.rules.Contexts {
				checks = append(checks, object{"context": ctx})
			}
			rules = append(rules, info(object{"type": "required_status_checks", "parameters": object{
				"required_status_checks": checks, "strict_required_status_checks_policy": false,
			}}))
		}
		rules = append(rules, info(object{"type": "pull_request", "parameters": object{
			"dismiss_stale_reviews_on_push":     false,
			"require_code_owner_review":         false,
			"require_last_push_approval":        false,
			"required_approving_review_count":   rs.rules.Approvals,
			"required_review_thread_resolution": false,
		}}))
	}
	c.json(http.StatusOK, rules)
}

// workflowRun is one run of a workflow file.
type workflowRun struct {
	id      int64
	path    string // ".github/workflows/shepherd-janitor.yml"
	status  string // queued, in_progress, completed, ...
	created time.Time
	event   string // what started it: "schedule" unless dispatched
	branch  string // the ref it runs on ("" is the default branch)
}

// WorkflowRun is a run of one of the repository's workflows as a test sees it.
type WorkflowRun struct {
	ID     int64
	Path   string // ".github/workflows/shepherd-site.yml"
	Event  string // "schedule", "workflow_dispatch"
	Branch string
	Status string
}

// WorkflowRuns lists the repository's workflow runs, oldest first.
func (s *Server) WorkflowRuns(owner, repo string) []WorkflowRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	var out []WorkflowRun
	for _, r := range rp.runs {
		out = append(out, WorkflowRun{ID: r.id, Path: r.path, Event: r.event, Branch: r.branchOr(rp.defaultBranch), Status: r.status})
	}
	return out
}

func (r *workflowRun) branchOr(defaultBranch string) string {
	if r.branch == "" {
		return defaultBranch
	}
	return r.branch
}

// runStatuses are the statuses a workflow run has: the "status" of the workflow-run
// schema, as the runs list's "status" filter names them (@octokit/openapi 23.0.2,
// components.parameters["workflow-run-status"]; the rest of that filter's values are
// conclusions). Only GitHub Actions sets requested, waiting and pending.
var runStatuses = []string{"requested", "queued", "waiting", "pending", "in_progress", "completed"}

// AddWorkflowRun records a run of the workflow file path (".github/workflows/X.yml") with
// status (one of requested, queued, waiting, pending, in_progress, completed) and
// returns its id.
func (s *Server) AddWorkflowRun(owner, repo, path, status string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(runStatuses, status) {
		panic(fmt.Sprintf("githubtest: %q is not a workflow run status", status))
	}
	rp := s.mustRepo(owner, repo)
	r := &workflowRun{id: s.newID(), path: path, status: status, created: s.clock(), event: "schedule"}
	rp.runs = append(rp.runs, r)
	return r.id
}

// SetWorkflowRunStatus changes a run's status (a run that finished is "completed").
func (s *Server) SetWorkflowRunStatus(owner, repo string, id int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(runStatuses, status) {
		panic(fmt.Sprintf("githubtest: %q is not a workflow run status", status))
	}
	for _, r := range s.mustRepo(owner, repo).runs {
		if r.id == id {
			r.status = status
			return
		}
	}
	panic(fmt.Sprintf("githubtest: no workflow run %d", id))
}

// listRuns answers the repository's workflow runs, newest first, those with the status
// asked for when the "status" parameter is given (GitHub filters on a status or a
// conclusion; the fake on a status only).
// https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-repository
func (c *call) listRuns() {
	want := c.r.URL.Query().Get("status")
	var matched []*workflowRun
	for _, r := range slices.Backward(c.repo.runs) {
		if want == "" || r.status == want {
			matched = append(matched, r)
		}
	}
	items := []object{}
	for _, r := range page(c, matched) {
		var wfID int64
		for _, wf := range c.repo.workflows {
			if wf.path == r.path {
				wfID = wf.id
			}
		}
		url := c.s.apiURL("/repos/%s/actions/runs/%d", c.repo.fullName(), r.id)
		branch := r.branchOr(c.repo.defaultBranch)
		head := c.repo.refs[branchRef(branch)]
		var conclusion any
		if r.status == "completed" {
			conclusion = "success"
		}
		items = append(items, object{
			"id":              r.id,
			"node_id":         nodeID("WFR", r.id),
			"name":            strings.TrimSuffix(r.path[strings.LastIndex(r.path, "/")+1:], ".yml"),
			"display_title":   r.path,
			"head_branch":     branch,
			"head_sha":        head,
			"path":            r.path,
			"run_number":      r.id,
			"event":           r.event,
			"status":          r.status,
			"conclusion":      conclusion,
			"workflow_id":     wfID,
			"url":             url,
			"html_url":        c.s.htmlURL("/%s/actions/runs/%d", c.repo.fullName(), r.id),
			"created_at":      ts(r.created),
			"updated_at":      ts(r.created),
			"head_commit":     nil,
			"head_repository": c.s.repoJSON(c.repo, false),
			"repository":      c.s.repoJSON(c.repo, false),
			"jobs_url":        url + "/jobs",
			"logs_url":        url + "/logs",
			"check_suite_url": c.s.apiURL("/repos/%s/check-suites/%d", c.repo.fullName(), r.id),
			"cancel_url":      url + "/cancel",
			"rerun_url":       url + "/rerun",
			"artifacts_url":   url + "/artifacts",
			"workflow_url":    c.s.apiURL("/repos/%s/actions/workflows/%d", c.repo.fullName(), wfID),
			"pull_requests":   []any{},
		})
	}
	c.json(http.StatusOK, object{"total_count": len(matched), "workflow_runs": items})
}

// dispatchWorkflow starts a run of a workflow named by its id or its file name ("You can
// replace workflow_id with the workflow file name", the operation's description), on the
// branch or tag "ref", as GitHub's "Run workflow" button does, and answers 204 (200 with
// the run's id and addresses when return_run_details is true: the operation's two
// answers in GitHub's OpenAPI description).
// https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event
//
// Its refusals, with the messages GitHub sends (seen in public reports, since the
// description lists none): 404 "Not Found" for a workflow the repository does not have
// (wazuh/wazuh-indexer#1125); 422 "Cannot trigger a 'workflow_dispatch' on a disabled
// workflow" (benc-uk/workflow-dispatch#72), "No ref found for: REF" (day8/re-frame2#9287)
// and "Workflow does not have 'workflow_dispatch' trigger" (llm-d/llm-d#1572). No source
// gives the order GitHub checks them in: the fake checks the workflow's state, the ref,
// then the trigger. It does not check inputs against the file's, which it does not read.
func (c *call) dispatchWorkflow() {
	id := c.param("workflow_id")
	var wf *workflow
	for _, w := range c.repo.workflows {
		if strconv.FormatInt(w.id, 10) == id || path.Base(w.path) == id {
			wf = w
		}
	}
	if wf == nil {
		c.notFound()
		return
	}
	var body struct {
		Ref              string `json:"ref"`
		ReturnRunDetails bool   `json:"return_run_details"`
	}
	if !c.decode(&body) {
		return
	}
	if wf.state != WorkflowActive {
		c.fail(http.StatusUnprocessableEntity, "Cannot trigger a 'workflow_dispatch' on a disabled workflow")
		return
	}
	// "The reference can be a branch or tag name" (the operation's body in GitHub's
	// OpenAPI description); a full ref is taken too (jina-ai/serve#1892 dispatches with
	// "refs/heads/master"). GitHub then keeps the ref as given for the run's head_branch
	// (pytorch/test-infra#5953 saw "refs/heads/debug-5953"); the fake keeps the branch's
	// name, which is what Shepherd sends.
	branch, tag := strings.TrimPrefix(body.Ref, "refs/heads/"), strings.TrimPrefix(body.Ref, "refs/tags/")
	_, isBranch := c.repo.refs[branchRef(branch)]
	_, isTag := c.repo.refs[tagRef(tag)]
	if !isBranch && !isTag {
		c.fail(http.StatusUnprocessableEntity, "No ref found for: "+body.Ref)
		return
	}
	if wf.noDispatchTrigger {
		c.fail(http.StatusUnprocessableEntity, "Workflow does not have 'workflow_dispatch' trigger")
		return
	}
	if !isBranch {
		branch = tag
	}
	r := &workflowRun{id: c.s.newID(), path: wf.path, status: "queued", created: c.s.clock(), event: "workflow_dispatch", branch: branch}
	c.repo.runs = append(c.repo.runs, r)
	if !body.ReturnRunDetails {
		c.noContent()
		return
	}
	c.json(http.StatusOK, object{
		"workflow_run_id": r.id,
		"run_url":         c.s.apiURL("/repos/%s/actions/runs/%d", c.repo.fullName(), r.id),
		"html_url":        c.s.htmlURL("/%s/actions/runs/%d", c.repo.fullName(), r.id),
	})
}
