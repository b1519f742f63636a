package githubtest

import "github.com/stretchr/testify/require"

// teams drives GET /orgs/{org}/teams/{team_slug}/memberships/{username}: 200 with the
// state for a member, active or pending, 404 for anyone else, and 403 for a token without
// the organization's members permission; and GET /orgs/{org}/teams/{team_slug}/repos/
// {owner}/{repo}: 200 with the team's permissions (asked with the repository media type,
// as go-github does), 204 without it, 404 for a team without access, 403 likewise.
func (d *driver) teams() {
	d.s.AddTeamMember(dOwner, "release-managers", "alice", "active")
	d.s.AddTeamMember(dOwner, "release-managers", "bob", "pending")
	m, resp, err := d.gh.Teams.GetTeamMembershipBySlug(bg, dOwner, "release-managers", "Alice")
	d.want(200, resp, err)
	require.Equal(d.t, "active", m.GetState(), "logins compare without case")
	m, resp, err = d.gh.Teams.GetTeamMembershipBySlug(bg, dOwner, "release-managers", "bob")
	d.want(200, resp, err)
	require.Equal(d.t, "pending", m.GetState())
	_, resp, err = d.gh.Teams.GetTeamMembershipBySlug(bg, dOwner, "translators", "alice")
	d.want(404, resp, err)
	_, resp, err = d.readOnly.Teams.GetTeamMembershipBySlug(bg, dOwner, "release-managers", "alice")
	d.want(403, resp, err)

	d.s.AddTeamRepo(dOwner, "release-managers", dOwner, dRepo, "triage")
	r, resp, err := d.gh.Teams.IsTeamRepoBySlug(bg, dOwner, "release-managers", dOwner, dRepo)
	d.want(200, resp, err)
	require.Equal(d.t, map[string]bool{"pull": true, "triage": true, "push": false, "maintain": false, "admin": false}, r.GetPermissions())
	d.raw(204, "GET", "orgs/"+dOwner+"/teams/release-managers/repos/"+dOwner+"/"+dRepo, "ghp_owner", "")
	_, resp, err = d.gh.Teams.IsTeamRepoBySlug(bg, dOwner, "translators", dOwner, dRepo)
	d.want(404, resp, err)
	_, resp, err = d.readOnly.Teams.IsTeamRepoBySlug(bg, dOwner, "release-managers", dOwner, dRepo)
	d.want(403, resp, err)
}
