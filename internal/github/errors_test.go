package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

// cannedAnswer is one answer GitHub gives instead of the fake's, for what the fake does not
// model (yet): bodies and headers as GitHub's REST documentation shows them.
type cannedAnswer struct {
	method, pathPart string
	status           int
	header           http.Header
	body             string
}

// answering puts canned answers in front of the fake: each is used once, in order, for the
// first request it matches.
type answering struct {
	next http.RoundTripper
	mu   sync.Mutex
	left []cannedAnswer
	hits int
}

func (a *answering) RoundTrip(r *http.Request) (*http.Response, error) {
	a.mu.Lock()
	for i, c := range a.left {
		if c.method == r.Method && strings.Contains(r.URL.Path, c.pathPart) {
			a.left = append(a.left[:i], a.left[i+1:]...)
			a.hits++
			a.mu.Unlock()
			if r.Body != nil {
				r.Body.Close()
			}
			h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
			for k, v := range c.header {
				h[k] = v
			}
			return &http.Response{StatusCode: c.status, Status: fmt.Sprintf("%d %s", c.status, http.StatusText(c.status)),
				Header: h, Body: io.NopCloser(strings.NewReader(c.body)), Request: r, ProtoMajor: 1, ProtoMinor: 1}, nil
		}
	}
	a.mu.Unlock()
	return a.next.RoundTrip(r)
}

// The answers GitHub documents, word for word where the docs quote them.
const (
	// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
	secondaryBody = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",` +
		`"documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`
	// https://docs.github.com/rest/authentication/permissions-required-for-github-apps
	notAccessibleBody = `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/releases/releases#create-a-release","status":"403"}`
	// https://docs.github.com/rest/issues/issues#create-an-issue (410 Gone)
	issuesDisabledBody = `{"message":"Issues are disabled for this repo","documentation_url":"https://docs.github.com/v3/issues/","status":"410"}`
)

type clockFixture struct {
	srv    *githubtest.Server
	c      *Client
	canned *answering
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// newClockFixture is a client on the fake with canned answers in front, a settable clock
// and a sleeper that only records (and advances the clock): no test sleeps for real.
func newClockFixture(t *testing.T, budget time.Duration, answers ...cannedAnswer) *clockFixture {
	t.Helper()
	srv := githubtest.NewServer(githubtest.WithToken("tok", "shepherd-bot"))
	t.Cleanup(srv.Close)
	srv.AddRepo(owner, repo, "main")
	f := &clockFixture{srv: srv, now: time.Now(), canned: &answering{next: http.DefaultTransport, left: answers}}
	c, err := New(context.Background(), owner, repo, Options{
		BaseURL: srv.URL(), Auth: Auth{Token: "tok"}, Transport: f.canned, WaitBudget: budget,
		Now: func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now },
		Sleep: func(_ context.Context, d time.Duration) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.sleeps = append(f.sleeps, d)
			f.now = f.now.Add(d)
			return nil
		},
	})
	require.NoError(t, err)
	f.c = c
	return f
}

func limitHeaders(remaining int, reset time.Time) http.Header {
	return http.Header{
		"X-Ratelimit-Limit":     {"5000"},
		"X-Ratelimit-Remaining": {strconv.Itoa(remaining)},
		"X-Ratelimit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
	}
}

// A secondary limit without retry-after, with requests left in the primary window: GitHub
// says wait at least a minute, not until the primary reset 50 minutes away.
func TestSecondaryLimitWithoutRetryAfterWaitsAMinuteNotUntilTheReset(t *testing.T) {
	reset := time.Now().Add(50 * time.Minute)
	for _, status := range []int{http.StatusForbidden, http.StatusTooManyRequests} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			f := newClockFixture(t, 0, cannedAnswer{method: "POST", pathPart: "/issues", status: status,
				header: limitHeaders(4000, reset), body: secondaryBody})
			i, created, err := f.c.EnsureIssue(context.Background(), "v1", "Release v1", 0)
			require.NoError(t, err)
			assert.True(t, created)
			assert.NotZero(t, i.Number)
			assert.Equal(t, []time.Duration{time.Minute}, f.sleeps)
			assert.Equal(t, 1, f.canned.hits)
		})
	}
}

// Repeated secondary limits wait exponentially longer, within the run's budget; the one
// that does not fit fails the call as a transient rate limit with a retry time a few
// minutes away, never the primary reset.
func TestRepeatedSecondaryLimitsBackOffWithinTheBudget(t *testing.T) {
	reset := time.Now().Add(55 * time.Minute)
	secondary := cannedAnswer{method: "POST", pathPart: "/issues", status: http.StatusForbidden,
		header: limitHeaders(4000, reset), body: secondaryBody}
	f := newClockFixture(t, 4*time.Minute, secondary, secondary, secondary, secondary)
	start := f.now
	_, _, err := f.c.EnsureIssue(context.Background(), "v1", "Release v1", 0)
	require.Error(t, err)
	assert.Equal(t, []time.Duration{time.Minute, 2 * time.Minute}, f.sleeps, "60 s, then 120 s; 240 s more is over the 4 min budget")
	assert.ErrorIs(t, err, ErrRateLimited)
	assert.False(t, IsPermanent(err))
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.WithinDuration(t, start.Add(3*time.Minute+4*time.Minute), ae.RetryAt, 2*time.Second)
	assert.True(t, ae.RetryAt.Before(reset.Add(-30*time.Minute)), "retry after %s, not at the primary reset %s", ae.RetryAt, reset)
	assert.Contains(t, err.Error(), "secondary rate limit asks to wait 4 min,")
	assert.Empty(t, f.srv.Issues(owner, repo))
}

func TestRetryAfterIsWaitedAsGiven(t *testing.T) {
	h := limitHeaders(4000, time.Now().Add(50*time.Minute))
	h.Set("Retry-After", "7")
	f := newClockFixture(t, 0, cannedAnswer{method: "GET", pathPart: "/issues", status: http.StatusForbidden, header: h, body: secondaryBody})
	_, err := f.c.FindIssue(context.Background(), "v1")
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{7 * time.Second}, f.sleeps)
}

func TestPrimaryLimitWaitsForTheResetOnlyWithinTheBudget(t *testing.T) {
	body := `{"message":"API rate limit exceeded for installation ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"}`
	t.Run("near", func(t *testing.T) {
		f := newClockFixture(t, 0)
		f.canned.left = []cannedAnswer{{method: "GET", pathPart: "/issues", status: http.StatusForbidden,
			header: limitHeaders(0, f.now.Add(40*time.Second)), body: body}}
		_, err := f.c.FindIssue(context.Background(), "v1")
		require.NoError(t, err)
		require.Len(t, f.sleeps, 1)
		assert.InDelta(t, 41*time.Second, f.sleeps[0], float64(time.Second))
	})
	t.Run("beyond the budget", func(t *testing.T) {
		f := newClockFixture(t, 0)
		reset := f.now.Add(40 * time.Minute).Truncate(time.Second)
		f.canned.left = []cannedAnswer{{method: "GET", pathPart: "/issues", status: http.StatusForbidden,
			header: limitHeaders(0, reset), body: body}}
		_, err := f.c.FindIssue(context.Background(), "v1")
		require.Error(t, err)
		assert.Empty(t, f.sleeps)
		assert.ErrorIs(t, err, ErrRateLimited)
		assert.False(t, IsPermanent(err))
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		assert.True(t, ae.RetryAt.Equal(reset), "%s", ae.RetryAt)
	})
	t.Run("the budget is the run's, not the call's", func(t *testing.T) {
		f := newClockFixture(t, 90*time.Second)
		limited := func() {
			f.canned.left = append(f.canned.left, cannedAnswer{method: "GET", pathPart: "/issues", status: http.StatusForbidden,
				header: limitHeaders(0, f.now.Add(59*time.Second)), body: body})
		}
		limited()
		_, err := f.c.FindIssue(context.Background(), "v1")
		require.NoError(t, err)
		limited()
		_, err = f.c.FindIssue(context.Background(), "v1")
		require.ErrorIs(t, err, ErrRateLimited, "60 s were waited already: another 60 s is over 90")
		assert.Len(t, f.sleeps, 1)
	})
}

func TestErrorClasses(t *testing.T) {
	cases := []struct {
		name      string
		answer    cannedAnswer
		times     int
		call      func(*Client) error
		kind      error
		permanent bool
		says      []string
	}{
		{
			name:   "no permission to create a release",
			answer: cannedAnswer{method: "POST", pathPart: "/releases", status: http.StatusForbidden, header: limitHeaders(4000, time.Now().Add(time.Hour)), body: notAccessibleBody},
			times:  1, call: func(c *Client) error {
				_, _, err := c.EnsureRelease(context.Background(), "v1", "v1", "notes")
				return err
			},
			kind: ErrPermission, permanent: true,
			says: []string{"create release v1", "403", "Resource not accessible by integration", `"contents" write permission`},
		},
		{
			name:   "issues disabled",
			answer: cannedAnswer{method: "POST", pathPart: "/issues", status: http.StatusGone, body: issuesDisabledBody},
			times:  1, call: func(c *Client) error {
				_, _, err := c.EnsureIssue(context.Background(), "v1", "Release v1", 0)
				return err
			},
			kind: ErrIssuesDisabled, permanent: true,
			says: []string{"410", "Issues are disabled", "turn Issues on"},
		},
		{
			name:   "bad credentials",
			answer: cannedAnswer{method: "GET", pathPart: "/issues", status: http.StatusUnauthorized, body: `{"message":"Bad credentials"}`},
			times:  1, call: func(c *Client) error { _, err := c.FindIssue(context.Background(), "v1"); return err },
			kind: ErrUnauthorized, permanent: true, says: []string{"401", "Bad credentials"},
		},
		{
			name:   "server errors beyond the retries",
			answer: cannedAnswer{method: "GET", pathPart: "/issues", status: http.StatusBadGateway, body: "<html>502</html>"},
			times:  4, call: func(c *Client) error { _, err := c.FindIssue(context.Background(), "v1"); return err },
			kind: ErrUnavailable, permanent: false, says: []string{"502", "gave up after 4 attempts"},
		},
		{
			name:   "request timeout",
			answer: cannedAnswer{method: "GET", pathPart: "/issues", status: http.StatusRequestTimeout, body: `{"message":"timeout"}`},
			times:  1, call: func(c *Client) error { _, err := c.FindIssue(context.Background(), "v1"); return err },
			permanent: false, says: []string{"408"},
		},
		{
			name:   "conflict",
			answer: cannedAnswer{method: "POST", pathPart: "/git/refs", status: http.StatusConflict, body: `{"message":"Git Repository is empty."}`},
			times:  1, call: func(c *Client) error { _, err := c.EnsureTag(context.Background(), "v1", "abc"); return err },
			permanent: false, says: []string{"409"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var answers []cannedAnswer
			for range tc.times {
				answers = append(answers, tc.answer)
			}
			f := newClockFixture(t, 0, answers...)
			err := tc.call(f.c)
			require.Error(t, err)
			assert.Equal(t, tc.permanent, IsPermanent(err), "%v", err)
			if tc.kind != nil {
				assert.ErrorIs(t, err, tc.kind)
			}
			for _, s := range tc.says {
				assert.Contains(t, err.Error(), s)
			}
			if tc.permanent {
				assert.Empty(t, f.sleeps, "a permanent refusal is not retried")
			}
		})
	}
	assert.False(t, IsPermanent(errors.New("dial tcp: connection refused")))
	assert.False(t, IsPermanent(fmt.Errorf("read tag: %w", context.Canceled)))
}

// The same classes against the fake's own model of GitHub's refusals.
func TestErrorClassesAgainstTheFake(t *testing.T) {
	ctx := context.Background()
	t.Run("a token without contents: write", func(t *testing.T) {
		srv := githubtest.NewServer(githubtest.WithTokenPermissions("limited", "shepherd-bot",
			githubtest.Permissions{"issues": "write", "contents": "read"}))
		t.Cleanup(srv.Close)
		srv.AddRepo(owner, repo, "main")
		c, err := New(ctx, owner, repo, Options{BaseURL: srv.URL(), Auth: Auth{Token: "limited"}})
		require.NoError(t, err)
		_, _, err = c.EnsureRelease(ctx, "v1", "v1", "notes")
		require.Error(t, err)
		assert.True(t, IsPermanent(err), "%v", err)
		assert.ErrorIs(t, err, ErrPermission)
		assert.Contains(t, err.Error(), "Resource not accessible by integration")
		assert.Contains(t, err.Error(), `"contents" write permission`)
	})
	t.Run("issues turned off", func(t *testing.T) {
		f := newFixture(t)
		f.srv.SetIssuesEnabled(owner, repo, false)
		_, _, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
		require.Error(t, err)
		assert.True(t, IsPermanent(err), "%v", err)
		assert.ErrorIs(t, err, ErrIssuesDisabled)
		assert.Contains(t, err.Error(), "turn Issues on")
	})
	for name, fault := range map[string]githubtest.Fault{
		"secondary limit 403 without retry-after": githubtest.SecondaryRateLimitNoRetryAfter,
		"secondary limit 429 without retry-after": githubtest.SecondaryRateLimitTooManyRequests,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.srv.FailNext(githubtest.Match{Method: "POST"}, 1, fault)
			_, created, err := f.c.EnsureIssue(ctx, "v1", "Release v1", 0)
			require.NoError(t, err)
			assert.True(t, created)
			assert.Equal(t, []time.Duration{time.Minute}, f.sleeps)
		})
	}
}
