package githubtest_test

import (
	"context"
	"fmt"

	"github.com/google/go-github/v62/github"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

// A re-run that finds its label already set makes no write: the request log shows it.
func Example() {
	s := githubtest.NewServer()
	defer s.Close()
	s.AddRepo("openmrs", "ciel-releases", "main")
	n := s.AddIssue("openmrs", "ciel-releases", "alice", "Release v2024-06-01", "", "release:qa")

	// In a test, s.Client(t) does this.
	gh, err := github.NewClient(nil).WithAuthToken("ghp_example").WithEnterpriseURLs(s.URL(), s.URL())
	if err != nil {
		panic(err)
	}
	ensureLabel := func() {
		labels, _, _ := gh.Issues.ListLabelsByIssue(context.Background(), "openmrs", "ciel-releases", n, nil)
		for _, l := range labels {
			if l.GetName() == "release:qa" {
				return
			}
		}
		_, _, _ = gh.Issues.AddLabelsToIssue(context.Background(), "openmrs", "ciel-releases", n, []string{"release:qa"})
	}
	ensureLabel()

	fmt.Println("requests:", len(s.Requests()), "writes:", s.Writes())
	fmt.Println(s.CountBy("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels"))
	// Output:
	// requests: 1 writes: 0
	// 1
}
