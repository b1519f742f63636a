package githubtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// object is a JSON object as GitHub writes it. Answers are built as objects rather than
// go-github structs because GitHub writes every field of a schema, null included, and
// go-github's structs leave nil fields out. The shapes follow GitHub's OpenAPI
// description (@octokit/openapi, checked in openapi_test.go); a fake writes what the
// real server writes, including fields the product ignores.
type object = map[string]any

// as converts an answer into the go-github type a test helper returns.
func as[T any](v any) *T {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("githubtest: encoding an answer: %v", err))
	}
	out := new(T)
	if err := json.Unmarshal(data, out); err != nil {
		panic(fmt.Sprintf("githubtest: decoding an answer into %T: %v", out, err))
	}
	return out
}

// asList is as for a list of answers.
func asList[T any](items []object) []*T {
	out := []*T{}
	for _, item := range items {
		out = append(out, as[T](item))
	}
	return out
}

// ts is a time as GitHub writes it: UTC, whole seconds, RFC 3339.
func ts(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// nullTime is ts, or null for the zero time ("closed_at" of an open issue).
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// nullString is s, or null when empty (a label's or a status's missing description).
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// userJSON is a "simple-user".
func (s *Server) userJSON(login string) object {
	kind := "User"
	if strings.HasSuffix(login, "[bot]") {
		kind = "Bot"
	}
	id := userID(login)
	api := func(format string, args ...any) string {
		return s.apiURL("/users/%s", login) + fmt.Sprintf(format, args...)
	}
	return object{
		"login":               login,
		"id":                  id,
		"node_id":             nodeID("U", id),
		"avatar_url":          s.htmlURL("/avatars/u/%d?v=4", id),
		"gravatar_id":         "",
		"url":                 api(""),
		"html_url":            s.htmlURL("/%s", login),
		"followers_url":       api("/followers"),
		"following_url":       api("/following{/other_user}"),
		"gists_url":           api("/gists{/gist_id}"),
		"starred_url":         api("/starred{/owner}{/repo}"),
		"subscriptions_url":   api("/subscriptions"),
		"organizations_url":   api("/orgs"),
		"repos_url":           api("/repos"),
		"events_url":          api("/events{/privacy}"),
		"received_events_url": api("/received_events"),
		"type":                kind,
		"site_admin":          false,
		"user_view_type":      "public",
	}
}

// repoJSON is a "repository" as GitHub nests it in pull requests; full adds what only
// "Get a repository" answers ("full-repository").
func (s *Server) repoJSON(rp *repo, full bool) object {
	api := func(format string, args ...any) string {
		return s.apiURL("/repos/%s", rp.fullName()) + fmt.Sprintf(format, args...)
	}
	host := strings.TrimPrefix(strings.TrimPrefix(s.srv.URL, "http://"), "https://")
	openIssues := 0
	for _, is := range rp.issues {
		if is.state == "open" {
			openIssues++
		}
	}
	out := object{
		"id":                          rp.id,
		"node_id":                     nodeID("R", rp.id),
		"name":                        rp.name,
		"full_name":                   rp.fullName(),
		"owner":                       s.userJSON(rp.owner),
		"private":                     rp.private,
		"html_url":                    s.htmlURL("/%s", rp.fullName()),
		"description":                 nil,
		"fork":                        rp.parent != nil,
		"url":                         api(""),
		"archive_url":                 api("/{archive_format}{/ref}"),
		"assignees_url":               api("/assignees{/user}"),
		"blobs_url":                   api("/git/blobs{/sha}"),
		"branches_url":                api("/branches{/branch}"),
		"collaborators_url":           api("/collaborators{/collaborator}"),
		"comments_url":                api("/comments{/number}"),
		"commits_url":                 api("/commits{/sha}"),
		"compare_url":                 api("/compare/{base}...{head}"),
		"contents_url":                api("/contents/{+path}"),
		"contributors_url":            api("/contributors"),
		"deployments_url":             api("/deployments"),
		"downloads_url":               api("/downloads"),
		"events_url":                  api("/events"),
		"forks_url":                   api("/forks"),
		"git_commits_url":             api("/git/commits{/sha}"),
		"git_refs_url":                api("/git/refs{/sha}"),
		"git_tags_url":                api("/git/tags{/sha}"),
		"git_url":                     "git://" + host + "/" + rp.fullName() + ".git",
		"hooks_url":                   api("/hooks"),
		"issue_comment_url":           api("/issues/comments{/number}"),
		"issue_events_url":            api("/issues/events{/number}"),
		"issues_url":                  api("/issues{/number}"),
		"keys_url":                    api("/keys{/key_id}"),
		"labels_url":                  api("/labels{/name}"),
		"languages_url":               api("/languages"),
		"merges_url":                  api("/merges"),
		"milestones_url":              api("/milestones{/number}"),
		"notifications_url":           api("/notifications{?since,all,participating}"),
		"pulls_url":                   api("/pulls{/number}"),
		"releases_url":                api("/releases{/id}"),
		"ssh_url":                     "git@" + host + ":" + rp.fullName() + ".git",
		"stargazers_url":              api("/stargazers"),
		"statuses_url":                api("/statuses/{sha}"),
		"subscribers_url":             api("/subscribers"),
		"subscription_url":            api("/subscription"),
		"tags_url":                    api("/tags"),
		"teams_url":                   api("/teams"),
		"trees_url":                   api("/git/trees{/sha}"),
		"clone_url":                   s.htmlURL("/%s.git", rp.fullName()),
		"mirror_url":                  nil,
		"svn_url":                     s.htmlURL("/%s", rp.fullName()),
		"homepage":                    nil,
		"language":                    nil,
		"forks_count":                 0,
		"forks":                       0,
		"stargazers_count":            0,
		"watchers_count":              0,
		"watchers":                    0,
		"size":                        0,
		"default_branch":              rp.defaultBranch,
		"open_issues_count":           openIssues,
		"open_issues":                 openIssues,
		"is_template":                 false,
		"topics":                      []string{},
		"has_issues":                  !rp.issuesDisabled,
		"has_projects":                true,
		"has_wiki":                    true,
		"has_pages":                   false,
		"has_downloads":               true,
		"has_discussions":             false,
		"archived":                    false,
		"disabled":                    false,
		"visibility":                  map[bool]string{false: "public", true: "private"}[rp.private],
		"license":                     nil,
		"allow_forking":               true,
		"web_commit_signoff_required": false,
		"pushed_at":                   ts(rp.pushed),
		"created_at":                  ts(rp.created),
		"updated_at":                  ts(rp.pushed),
	}
	if full {
		out["network_count"] = 0
		out["subscribers_count"] = 0
		if rp.parent != nil {
			root := rp.parent
			for root.parent != nil {
				root = root.parent
			}
			out["parent"] = s.repoJSON(rp.parent, false)
			out["source"] = s.repoJSON(root, false)
		}
	}
	return out
}
