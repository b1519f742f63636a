package githubtest

import "github.com/stretchr/testify/require"

// teams drives GET /orgs/{org}/teams/{team_slug}/memberships/{username}: 200 with the
// state for a member, active or pending, 404 for anyone else, and 403 for a token without
// the organization's members permission.
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
}
