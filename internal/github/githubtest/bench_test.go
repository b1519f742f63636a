package githubtest_test

import (
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

// BenchmarkCommentRoundTrip measures one create through go-github and the fake, and
// the cost of listing a growing comment thread page by page.
func BenchmarkCommentRoundTrip(b *testing.B) {
	s := githubtest.NewServer()
	defer s.Close()
	s.AddRepo(owner, name, "main")
	n := s.AddIssue(owner, name, "alice", "Release", "")
	gh := s.Client(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := gh.Issues.CreateComment(ctx, owner, name, n, &github.IssueComment{Body: github.String("x")}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListCommentsPage(b *testing.B) {
	s := githubtest.NewServer()
	defer s.Close()
	s.AddRepo(owner, name, "main")
	n := s.AddIssue(owner, name, "alice", "Release", "")
	for i := 0; i < 1000; i++ {
		s.AddComment(owner, name, n, "alice", "x")
	}
	gh := s.Client(b)
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100, Page: 5}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := gh.Issues.ListComments(ctx, owner, name, n, opts); err != nil {
			b.Fatal(err)
		}
	}
}
