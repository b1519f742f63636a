package githubtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Event payloads as GitHub writes them to a workflow's GITHUB_EVENT_PATH, built from
// the fake's state so that tests feed actions what GitHub would. Their shapes follow
// @octokit/openapi-webhooks (testdata/webhooks.json, checked in events_test.go).
// https://docs.github.com/webhooks/webhook-events-and-payloads

// zeroSHA is the "before" of a push that creates a ref.
const zeroSHA = "0000000000000000000000000000000000000000"

// PushEvent is the payload of a push of ref ("refs/heads/main") from before to after
// by pusher: every commit after has that before has not, oldest first, each with the
// files it added, removed and modified. before is zeroSHA for a new branch.
func (s *Server) PushEvent(owner, repo, ref, before, after, pusher string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	head := rp.commits[after]
	if head == nil {
		panic(fmt.Sprintf("githubtest: no commit %s in %s", after, rp.fullName()))
	}
	var pushed []*commit
	for _, sha := range rp.history(after) {
		if sha == before || (before != zeroSHA && rp.isAncestor(sha, before)) {
			break
		}
		pushed = append(pushed, rp.commits[sha])
	}
	slices.Reverse(pushed)
	commits := []object{}
	for _, cm := range pushed {
		commits = append(commits, s.pushCommitJSON(rp, cm))
	}
	compare := s.htmlURL("/%s/compare/%s...%s", rp.fullName(), shortSHA(before), shortSHA(after))
	if before == zeroSHA {
		compare = s.htmlURL("/%s/commit/%s", rp.fullName(), shortSHA(after))
	}
	repository := s.repoJSON(rp, false)
	// A push payload writes the repository's creation and push times as Unix seconds
	// (webhook-push allows integer or string; GitHub sends integers there).
	repository["created_at"] = rp.created.Unix()
	repository["pushed_at"] = rp.pushed.Unix()
	repository["stargazers"] = 0
	repository["master_branch"] = rp.defaultBranch
	owner0 := s.userJSON(rp.owner)
	owner0["name"], owner0["email"] = rp.owner, nil
	repository["owner"] = owner0
	return decoded(object{
		"ref":         ref,
		"before":      before,
		"after":       after,
		"repository":  repository,
		"pusher":      object{"name": pusher, "email": pusher + "@users.noreply.github.com"},
		"sender":      s.userJSON(pusher),
		"created":     before == zeroSHA,
		"deleted":     false,
		"forced":      before != zeroSHA && !rp.isAncestor(before, after),
		"base_ref":    nil,
		"compare":     compare,
		"commits":     commits,
		"head_commit": s.pushCommitJSON(rp, head),
	})
}

// decoded is v as a reader of the event's JSON file gets it from encoding/json:
// objects are map[string]any, arrays []any, numbers float64.
func decoded(v object) map[string]any {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("githubtest: encoding an event: %v", err))
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		panic(fmt.Sprintf("githubtest: decoding an event: %v", err))
	}
	return out
}

// history lists sha and its first-parent ancestors, newest first.
func (rp *repo) history(sha string) []string {
	var out []string
	for cm := rp.commits[sha]; cm != nil; {
		out = append(out, cm.sha)
		if len(cm.parents) == 0 {
			break
		}
		cm = rp.commits[cm.parents[0]]
	}
	return out
}

func shortSHA(sha string) string { return sha[:min(12, len(sha))] }

// pushCommitJSON is one commit of a push payload, its files compared with its first
// parent's.
func (s *Server) pushCommitJSON(rp *repo, cm *commit) object {
	before := map[string]string{}
	if len(cm.parents) > 0 {
		before = rp.commits[cm.parents[0]].tree
	}
	added, removed, modified := []string{}, []string{}, []string{}
	for _, path := range slices.Sorted(maps.Keys(cm.tree)) {
		old, existed := before[path]
		switch {
		case !existed:
			added = append(added, path)
		case old != cm.tree[path]:
			modified = append(modified, path)
		}
	}
	for _, path := range slices.Sorted(maps.Keys(before)) {
		if _, kept := cm.tree[path]; !kept {
			removed = append(removed, path)
		}
	}
	author := object{"name": DefaultLogin, "email": DefaultLogin + "@users.noreply.github.com", "username": DefaultLogin}
	return object{
		"id":        cm.sha,
		"tree_id":   treeSHA(cm.tree),
		"distinct":  true,
		"message":   cm.message,
		"timestamp": ts(cm.time),
		"url":       s.htmlURL("/%s/commit/%s", rp.fullName(), cm.sha),
		"author":    author,
		"committer": author,
		"added":     added,
		"removed":   removed,
		"modified":  modified,
	}
}

// PullRequestEvent is the payload of a pull_request event: action "opened",
// "reopened" or "synchronize" (then before is the head before the push; "" otherwise)
// on pull request number, sent by sender. As in GitHub's payloads, mergeability is not
// computed yet.
func (s *Server) PullRequestEvent(owner, repo string, number int, action, before, sender string) map[string]any {
	return s.pullRequestEvent(owner, repo, number, action, before, "", sender)
}

// PullRequestLabelEvent is the payload of a pull_request "labeled" or "unlabeled" event:
// sender added or removed label (which LabelIssue or a person's edit made so already).
// https://docs.github.com/webhooks/webhook-events-and-payloads#pull_request
func (s *Server) PullRequestLabelEvent(owner, repo string, number int, action, label, sender string) map[string]any {
	if action != "labeled" && action != "unlabeled" {
		panic(fmt.Sprintf("githubtest: %q is not a label action", action))
	}
	return s.pullRequestEvent(owner, repo, number, action, "", label, sender)
}

func (s *Server) pullRequestEvent(owner, repo string, number int, action, before, label, sender string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	is := rp.mustPull(number)
	pr := s.pullJSON(rp, is)
	pr["mergeable"], pr["rebaseable"], pr["mergeable_state"] = nil, nil, "unknown"
	// The repository's merge settings, which the event's pull request carries
	// (pull-request-webhook); GitHub's defaults.
	maps.Copy(pr, object{
		"allow_auto_merge": false, "allow_update_branch": false, "delete_branch_on_merge": false,
		"use_squash_pr_title_as_default": false,
		"merge_commit_title":             "MERGE_MESSAGE", "merge_commit_message": "PR_TITLE",
		"squash_merge_commit_title": "COMMIT_OR_PR_TITLE", "squash_merge_commit_message": "COMMIT_MESSAGES",
	})
	out := object{
		"action":       action,
		"number":       number,
		"pull_request": pr,
		"repository":   s.repoJSON(rp, false),
		"sender":       s.userJSON(sender),
	}
	switch action {
	case "opened", "reopened":
	case "synchronize":
		out["before"], out["after"] = before, rp.headSHA(is)
	case "labeled", "unlabeled":
		l := rp.findLabel(label)
		if l == nil {
			panic(fmt.Sprintf("githubtest: no label %q in %s", label, rp.fullName()))
		}
		out["label"] = s.labelJSON(rp, l)
	default:
		panic(fmt.Sprintf("githubtest: pull_request action %q is not built", action))
	}
	if strings.TrimSpace(before) != "" && action != "synchronize" {
		panic("githubtest: before belongs to synchronize")
	}
	return decoded(out)
}

// IssueCommentEvent is the payload of an issue_comment "created" event for comment id,
// as its author sent it. GitHub sends it for comments on issues and pull requests alike;
// the issue's "pull_request" key tells them apart.
// https://docs.github.com/webhooks/webhook-events-and-payloads#issue_comment
func (s *Server) IssueCommentEvent(owner, repo string, id int64) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	i := slices.IndexFunc(rp.comments, func(cm *comment) bool { return cm.id == id })
	if i < 0 {
		panic(fmt.Sprintf("githubtest: no comment %d in %s", id, rp.fullName()))
	}
	cm := rp.comments[i]
	return decoded(object{
		"action":     "created",
		"issue":      s.issueJSON(rp, rp.issues[cm.issue-1]),
		"comment":    s.commentJSON(rp, cm),
		"repository": s.repoJSON(rp, false),
		"sender":     s.userJSON(cm.user),
	})
}

// IssueLabeledEvent is the payload of an issues "labeled" event: sender added the label
// name to issue number (the fake adds it first, creating the label when the repository
// has none of that name, as adding one to an issue does).
// https://docs.github.com/webhooks/webhook-events-and-payloads#issues
func (s *Server) IssueLabeledEvent(owner, repo string, number int, name, sender string) map[string]any {
	s.LabelIssue(owner, repo, number, name)
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	is := rp.issues[number-1]
	l := rp.findLabel(name)
	return decoded(object{
		"action":     "labeled",
		"issue":      s.issueJSON(rp, is),
		"label":      s.labelJSON(rp, l),
		"repository": s.repoJSON(rp, false),
		"sender":     s.userJSON(sender),
	})
}

// IssueClosedEvent is the payload of an issues "closed" event: sender closed issue number
// (the fake closes it first, as the event reports a done change).
// https://docs.github.com/webhooks/webhook-events-and-payloads#issues
func (s *Server) IssueClosedEvent(owner, repo string, number int, sender string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	is := rp.mustIssue(number)
	is.setState("closed", nil, sender, s.clock())
	return decoded(object{
		"action":     "closed",
		"issue":      s.issueJSON(rp, is),
		"repository": s.repoJSON(rp, false),
		"sender":     s.userJSON(sender),
	})
}
