package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// AddTeamMember makes login a member of the team org/slug with state "active" or
// "pending" (invited, not yet accepted).
func (s *Server) AddTeamMember(org, slug, login, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if state != "active" && state != "pending" {
		panic(fmt.Sprintf("githubtest: unknown team membership state %q for %s", state, login))
	}
	team := strings.ToLower(org + "/" + slug)
	if s.teamMembers[team] == nil {
		s.teamMembers[team] = map[string]string{}
	}
	s.teamMembers[team][strings.ToLower(login)] = state
}

// AddTeamRepo gives the team org/slug access to the repository owner/repo with
// permission: pull, triage, push, maintain or admin (GitHub's names for a team's role).
func (s *Server) AddTeamRepo(org, slug, owner, repo, permission string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(teamPermissions, permission) {
		panic(fmt.Sprintf("githubtest: %q is not a team permission", permission))
	}
	s.mustRepo(owner, repo)
	team := strings.ToLower(org + "/" + slug)
	if s.teamRepos[team] == nil {
		s.teamRepos[team] = map[string]string{}
	}
	s.teamRepos[team][repoKey(owner, repo)] = permission
}

// teamPermissions are a team's roles on a repository, weakest first.
var teamPermissions = []string{"pull", "triage", "push", "maintain", "admin"}

func (s *Server) registerTeamRoutes() {
	s.handle("GET", "/orgs/{org}/teams/{team_slug}/memberships/{username}", (*call).getTeamMembership)
	s.handle("GET", "/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}", (*call).checkTeamRepo)
}

// teamJSON is a "team" of org, as pull requests list their requested teams. The fake
// keeps no team settings: privacy, notification setting and permission carry the
// defaults GitHub gives a team created without them (POST /orgs/{org}/teams: privacy
// "secret" for a team that is not nested, notifications_enabled, permission "pull"),
// https://docs.github.com/rest/teams/teams#create-a-team.
func (s *Server) teamJSON(org, slug string) object {
	key := strings.ToLower(org + "/" + slug)
	id, ok := s.teamIDs[key]
	if !ok {
		id = s.newID()
		s.teamIDs[key] = id
	}
	url := s.apiURL("/organizations/%s/team/%d", org, id)
	return object{
		"id":                   id,
		"node_id":              nodeID("T", id),
		"url":                  url,
		"html_url":             s.htmlURL("/orgs/%s/teams/%s", org, slug),
		"name":                 slug,
		"slug":                 slug,
		"description":          nil,
		"privacy":              "secret",
		"notification_setting": "notifications_enabled",
		"permission":           "pull",
		"members_url":          url + "/members{/member}",
		"repositories_url":     url + "/repos",
		"parent":               nil,
		"type":                 "organization",
	}
}

// checkTeamRepo answers whether the team org/slug has access to owner/repo: 404 when it
// has none (or the team does not exist); with the Accept type
// application/vnd.github.v3.repository+json, 200 and the repository with the team's
// "permissions" and "role_name"; otherwise 204. Reading it needs the organization's
// members permission, which a GITHUB_TOKEN never has (403).
// https://docs.github.com/rest/teams/teams#check-team-permissions-for-a-repository
func (c *call) checkTeamRepo() {
	org, slug := c.param("org"), c.param("team_slug")
	rp := c.s.repos[repoKey(c.param("owner"), c.param("repo"))]
	permission := c.s.teamRepos[strings.ToLower(org+"/"+slug)][repoKey(c.param("owner"), c.param("repo"))]
	if rp == nil || permission == "" {
		c.notFound()
		return
	}
	if !strings.Contains(c.r.Header.Get("Accept"), "application/vnd.github.v3.repository+json") {
		c.noContent()
		return
	}
	level := slices.Index(teamPermissions, permission)
	out := c.s.repoJSON(rp, true)
	out["permissions"] = object{"pull": level >= 0, "triage": level >= 1, "push": level >= 2, "maintain": level >= 3, "admin": level >= 4}
	// role_name uses the roles' names in GitHub's settings (read, triage, write,
	// maintain, admin; "read" for pull in the OpenAPI description's example
	// team-repository-alternative-response-with-repository-permissions),
	// https://docs.github.com/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/repository-roles-for-an-organization
	out["role_name"] = map[string]string{"pull": "read", "push": "write"}[permission]
	if out["role_name"] == "" {
		out["role_name"] = permission
	}
	c.json(http.StatusOK, out)
}

// getTeamMembership answers 200 with the membership's state (active or pending) and role,
// or 404 when login is not a member, or the team does not exist; it needs the
// organization's members permission, which a GITHUB_TOKEN never has (403).
// https://docs.github.com/en/rest/teams/members#get-team-membership-for-a-user
func (c *call) getTeamMembership() {
	org, slug, login := c.param("org"), c.param("team_slug"), c.param("username")
	state := c.s.teamMembers[strings.ToLower(org+"/"+slug)][strings.ToLower(login)]
	if state == "" {
		c.notFound()
		return
	}
	c.json(http.StatusOK, object{
		"url":   c.s.apiURL("/organizations/%s/team/%s/memberships/%s", org, slug, login),
		"role":  "member",
		"state": state,
	})
}
