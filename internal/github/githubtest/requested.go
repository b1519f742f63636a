package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// RequestReview asks reviewer for a review of pull request number: a login, or a team
// of the repository's owner as "org/team-slug". GitHub asks only teams of the owner: the
// request names them by slug alone ("team_reviewers: An array of team slugs",
// https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request,
// the operation's body in GitHub's OpenAPI description).
func (s *Server) RequestReview(owner, repo string, number int, reviewer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	p := rp.mustPull(number).pull
	if org, slug, ok := strings.Cut(reviewer, "/"); ok {
		if !strings.EqualFold(org, rp.owner) {
			panic(fmt.Sprintf("githubtest: %s is not a team of %s", reviewer, rp.owner))
		}
		if !slices.Contains(p.requestedTeams, strings.ToLower(slug)) {
			p.requestedTeams = append(p.requestedTeams, strings.ToLower(slug))
		}
		return
	}
	if !slices.ContainsFunc(p.requestedUsers, func(u string) bool { return strings.EqualFold(u, reviewer) }) {
		p.requestedUsers = append(p.requestedUsers, reviewer)
	}
}

// requestedJSON are a pull request's "requested_reviewers" (simple users) and
// "requested_teams" (teams). "Once a requested reviewer submits a review, they are no
// longer considered a requested reviewer" (https://docs.github.com/rest/pulls/review-requests#get-all-requested-reviewers-for-a-pull-request):
// AddReview takes the reviewer off the list.
func (s *Server) requestedJSON(rp *repo, p *pull) (users, teams []object) {
	users, teams = []object{}, []object{}
	for _, u := range p.requestedUsers {
		users = append(users, s.userJSON(u))
	}
	for _, slug := range p.requestedTeams {
		teams = append(teams, s.teamJSON(rp.owner, slug))
	}
	return users, teams
}

// listCommitPulls answers the pull requests associated with a commit: the merged one
// whose merge commit it is ("lists the merged pull request that introduced the commit to
// the repository") and any whose head it is. GitHub also finds a commit inside a merged
// branch; the fake knows only merge commits and heads.
// https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit
func (c *call) listCommitPulls() {
	sha := c.param("commit_sha")
	out := []object{}
	for _, is := range c.repo.issues {
		if is.pull == nil {
			continue
		}
		if (is.pull.merged && is.pull.mergeCommitSHA == sha) || c.repo.headSHA(is) == sha {
			out = append(out, c.s.pullSimpleJSON(c.repo, is))
		}
	}
	c.json(http.StatusOK, page(c, out))
}
