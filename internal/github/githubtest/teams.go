package githubtest

import (
	"fmt"
	"net/http"
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

func (s *Server) registerTeamRoutes() {
	s.handle("GET", "/orgs/{org}/teams/{team_slug}/memberships/{username}", (*call).getTeamMembership)
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
