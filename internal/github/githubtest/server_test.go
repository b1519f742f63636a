package githubtest_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

const issuesRoute = "/repos/{owner}/{repo}/issues"

func TestURLHasTheEnterprisePrefix(t *testing.T) {
	s, _ := newFake(t)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/api/v3/$`, s.URL())

	// A client that builds URLs from the host alone misses the API.
	resp, err := http.Get(s.URL()[:len(s.URL())-len("api/v3/")] + "repos/" + owner + "/" + name + "/issues")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestAuthentication(t *testing.T) {
	s := githubtest.NewServer(githubtest.WithToken("ghp_alice", "alice"), githubtest.WithToken("ghp_bob", "bob"))
	t.Cleanup(s.Close)
	s.AddRepo(owner, name, "main")

	tests := []struct {
		name          string
		authorization string
		wantStatus    int
		wantMessage   string
		wantLogin     string
	}{
		{"token scheme", "token ghp_alice", http.StatusCreated, "", "alice"},
		{"bearer scheme", "Bearer ghp_bob", http.StatusCreated, "", "bob"},
		{"unknown token", "token ghp_mallory", http.StatusUnauthorized, "Bad credentials", ""},
		{"no credentials", "", http.StatusUnauthorized, "Requires authentication", ""},
		{"basic scheme", "Basic YWxpY2U6eA==", http.StatusUnauthorized, "Requires authentication", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := github.NewClient(nil)
			client, err := client.WithEnterpriseURLs(s.URL(), s.URL())
			require.NoError(t, err)
			req, err := client.NewRequest("POST", "repos/"+owner+"/"+name+"/issues", &github.IssueRequest{Title: github.String("t")})
			require.NoError(t, err)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			issue := new(github.Issue)
			_, err = client.Do(ctx, req, issue)
			if tt.wantStatus == http.StatusCreated {
				require.NoError(t, err)
				assert.Equal(t, tt.wantLogin, issue.GetUser().GetLogin())
				return
			}
			er := errorResponse(t, err, tt.wantStatus)
			assert.Equal(t, tt.wantMessage, er.Message)
		})
	}
}

func TestClientUsesAConfiguredToken(t *testing.T) {
	s := githubtest.NewServer(githubtest.WithToken("ghp_bot", "release-bot"))
	t.Cleanup(s.Close)
	s.AddRepo(owner, name, "main")
	issue, _, err := s.Client(t).Issues.Create(ctx, owner, name, &github.IssueRequest{Title: github.String("t")})
	require.NoError(t, err)
	assert.Equal(t, "release-bot", issue.GetUser().GetLogin())
}

func TestEveryResponseCarriesRateLimitHeaders(t *testing.T) {
	s, gh := newFake(t, githubtest.WithRateLimit(100))
	_, resp, err := gh.Issues.Get(ctx, owner, name, 1)
	errorResponse(t, err, http.StatusNotFound)
	assert.Equal(t, "100", resp.Header.Get("X-RateLimit-Limit"))
	assert.Equal(t, "99", resp.Header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, "1", resp.Header.Get("X-RateLimit-Used"))
	assert.Equal(t, "core", resp.Header.Get("X-RateLimit-Resource"))
	assert.NotEmpty(t, resp.Header.Get("X-RateLimit-Reset"))
	assert.Equal(t, 99, resp.Rate.Remaining, "go-github reads them")
	assert.Equal(t, 99, s.RateRemaining())
}

func TestPrimaryRateLimitRunsOutAndResetsWithTheClock(t *testing.T) {
	// A clock in the past keeps go-github from refusing locally until the real reset.
	clock := newClock()
	start := clock.Now()
	s, gh := newFake(t, githubtest.WithRateLimit(2), githubtest.WithClock(clock.Now))

	for i := 0; i < 2; i++ {
		_, _, err := gh.Issues.ListByRepo(ctx, owner, name, nil)
		require.NoError(t, err)
	}
	_, resp, err := gh.Issues.ListByRepo(ctx, owner, name, nil)
	var rle *github.RateLimitError
	require.True(t, errors.As(err, &rle), "want *github.RateLimitError, got %T: %v", err, err)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, rle.Message, "API rate limit exceeded for user ID")
	assert.Equal(t, 0, rle.Rate.Remaining)
	assert.Equal(t, start.Add(time.Hour).Unix(), rle.Rate.Reset.Unix())

	clock.Advance(time.Hour)
	_, resp, err = gh.Issues.ListByRepo(ctx, owner, name, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, resp.Rate.Remaining)
	assert.Equal(t, 4, s.CountBy("GET", issuesRoute), "the refused request is logged too")
}

func TestSetRateRemaining(t *testing.T) {
	s, gh := newFake(t)
	s.SetRateRemaining(1)
	_, resp, err := gh.Issues.ListByRepo(ctx, owner, name, nil)
	require.NoError(t, err)
	assert.Equal(t, 0, resp.Rate.Remaining)
	assert.Equal(t, 0, s.RateRemaining())
}

func TestInjectedFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault githubtest.Fault
		check func(t *testing.T, resp *github.Response, err error)
	}{
		{"bad gateway", githubtest.BadGateway, func(t *testing.T, resp *github.Response, err error) {
			errorResponse(t, err, http.StatusBadGateway)
			assert.Equal(t, "text/html", resp.Header.Get("Content-Type"))
			assert.NotEmpty(t, resp.Header.Get("X-RateLimit-Remaining"))
		}},
		{"server error", githubtest.ServerError, func(t *testing.T, resp *github.Response, err error) {
			er := errorResponse(t, err, http.StatusInternalServerError)
			assert.Equal(t, "Server Error", er.Message)
		}},
		{"primary rate limit", githubtest.PrimaryRateLimit, func(t *testing.T, resp *github.Response, err error) {
			var rle *github.RateLimitError
			require.True(t, errors.As(err, &rle), "got %T: %v", err, err)
			assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
		}},
		{"secondary rate limit", githubtest.SecondaryRateLimit, func(t *testing.T, resp *github.Response, err error) {
			var arle *github.AbuseRateLimitError
			require.True(t, errors.As(err, &arle), "got %T: %v", err, err)
			require.NotNil(t, arle.RetryAfter)
			assert.Equal(t, 0*time.Second, *arle.RetryAfter)
			assert.Contains(t, arle.Message, "secondary rate limit")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A clock in the past and Retry-After 0 let the same client go on afterwards.
			past := func() time.Time { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) }
			s, gh := newFake(t, githubtest.WithSecondaryRetryAfter(0), githubtest.WithClock(past))
			s.FailNext(githubtest.Match{Method: "POST", Route: issuesRoute}, 2, tt.fault)

			_, _, err := gh.Issues.ListByRepo(ctx, owner, name, nil)
			require.NoError(t, err, "a GET does not match the fault")
			for i := 0; i < 2; i++ {
				_, resp, err := gh.Issues.Create(ctx, owner, name, &github.IssueRequest{Title: github.String("t")})
				tt.check(t, resp, err)
			}
			_, _, err = gh.Issues.Create(ctx, owner, name, &github.IssueRequest{Title: github.String("t")})
			require.NoError(t, err, "the fault is used up")
			assert.Len(t, s.Issues(owner, name), 1, "failed requests change nothing")
		})
	}
}

func TestSecondaryRateLimitRetryAfterDefault(t *testing.T) {
	s, _ := newFake(t)
	s.FailNext(githubtest.Match{}, 1, githubtest.SecondaryRateLimit)
	resp, err := http.Get(s.URL() + "repos/" + owner + "/" + name)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "60", resp.Header.Get("Retry-After"))
}

func TestFaultMatchesByPath(t *testing.T) {
	s, gh := newFake(t)
	s.AddIssue(owner, name, "alice", "one", "")
	s.AddIssue(owner, name, "alice", "two", "")
	s.FailNext(githubtest.Match{Path: "/repos/" + owner + "/" + name + "/issues/2"}, 1, githubtest.ServerError)

	_, _, err := gh.Issues.Get(ctx, owner, name, 1)
	require.NoError(t, err)
	_, _, err = gh.Issues.Get(ctx, owner, name, 2)
	errorResponse(t, err, http.StatusInternalServerError)
}

func TestConditionalGetAnswers304WithoutCountingAgainstTheLimit(t *testing.T) {
	s, _ := newFake(t)
	s.AddIssue(owner, name, "alice", "one", "")
	url := s.URL() + "repos/" + owner + "/" + name + "/issues/1"

	first := get(t, url, "")
	require.Equal(t, http.StatusOK, first.StatusCode)
	etag := first.Header.Get("ETag")
	require.NotEmpty(t, etag)
	remaining := first.Header.Get("X-RateLimit-Remaining")

	again := get(t, url, etag)
	assert.Equal(t, http.StatusNotModified, again.StatusCode)
	assert.Equal(t, remaining, again.Header.Get("X-RateLimit-Remaining"), "a 304 is free")
	body, err := io.ReadAll(again.Body)
	require.NoError(t, err)
	assert.Empty(t, body)

	s.AddComment(owner, name, 1, "bob", "changes the issue's comment count")
	changed := get(t, url, etag)
	assert.Equal(t, http.StatusOK, changed.StatusCode)
	assert.NotEqual(t, etag, changed.Header.Get("ETag"))
	left, _ := strconv.Atoi(changed.Header.Get("X-RateLimit-Remaining"))
	was, _ := strconv.Atoi(remaining)
	assert.Equal(t, was-1, left)
}

func get(t *testing.T, url, ifNoneMatch string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestRequestLog(t *testing.T) {
	s, gh := newFake(t)
	_, _, err := gh.Issues.Create(ctx, owner, name, &github.IssueRequest{Title: github.String("t")})
	require.NoError(t, err)
	_, _, err = gh.Issues.ListByRepo(ctx, owner, name, nil)
	require.NoError(t, err)
	_, _, err = gh.Issues.Get(ctx, owner, name, 9)
	require.Error(t, err)
	_, _, err = gh.Issues.Edit(ctx, owner, name, 1, &github.IssueRequest{Body: github.String("b")})
	require.NoError(t, err)

	assert.Equal(t, []githubtest.Request{
		{Method: "POST", Path: "/repos/openmrs/ciel-releases/issues", Route: issuesRoute, Status: 201},
		{Method: "GET", Path: "/repos/openmrs/ciel-releases/issues", Route: issuesRoute, Status: 200},
		{Method: "GET", Path: "/repos/openmrs/ciel-releases/issues/9", Route: issuesRoute + "/{issue_number}", Status: 404},
		{Method: "PATCH", Path: "/repos/openmrs/ciel-releases/issues/1", Route: issuesRoute + "/{issue_number}", Status: 200},
	}, s.Requests())
	assert.Equal(t, 2, s.CountBy("GET", issuesRoute)+s.CountBy("GET", issuesRoute+"/{issue_number}"))
	assert.Equal(t, 2, s.CountBy("", issuesRoute+"/{issue_number}"))
	assert.Equal(t, 2, s.Writes())

	s.ResetRequests()
	assert.Empty(t, s.Requests())
	assert.Zero(t, s.Writes())
}

func TestUnknownRouteIsGitHubsNotFound(t *testing.T) {
	s, gh := newFake(t)
	req, err := gh.NewRequest("GET", "repos/"+owner+"/"+name+"/no-such-thing", nil)
	require.NoError(t, err)
	_, err = gh.Do(ctx, req, nil)
	er := errorResponse(t, err, http.StatusNotFound)
	assert.Equal(t, "Not Found", er.Message)
	assert.Equal(t, "", s.Requests()[0].Route)
}

func TestConcurrentClientsSeeOneConsistentState(t *testing.T) {
	s, gh := newFake(t)
	const workers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				is, _, err := gh.Issues.Create(ctx, owner, name, &github.IssueRequest{Title: github.String(fmt.Sprint(w, i))})
				if err == nil {
					_, _, err = gh.Issues.CreateComment(ctx, owner, name, is.GetNumber(), &github.IssueComment{Body: github.String("hi")})
				}
				if err == nil {
					_, _, err = gh.Issues.AddLabelsToIssue(ctx, owner, name, is.GetNumber(), []string{"release:qa"})
				}
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	issues := s.Issues(owner, name)
	require.Len(t, issues, workers*each)
	for i, is := range issues {
		assert.Equal(t, i+1, is.GetNumber(), "numbers are unique and dense")
		assert.Equal(t, 1, is.GetComments())
	}
	assert.Len(t, s.Labels(owner, name), 1, "a label named concurrently is created once")
	assert.Equal(t, 3*workers*each, s.Writes())
}

func TestMalformedJSONIsABadRequest(t *testing.T) {
	s, _ := newFake(t)
	resp, err := http.Post(s.URL()+"repos/"+owner+"/"+name+"/issues", "application/json", strings.NewReader("{title:"))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(body), "Problems parsing JSON")
	assert.Empty(t, s.Issues(owner, name))
}
