package github

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultWaitBudget is how long one run waits out GitHub's rate limits in total: enough for
// a few secondary limits (a minute each, doubling), short enough that a scheduled run
// does not hold its concurrency group while the primary limit resets within the hour.
const DefaultWaitBudget = 5 * time.Minute

// secondaryMinWait is GitHub's "wait at least one minute" for a secondary rate limit that
// carries no retry-after
// (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit).
const secondaryMinWait = time.Minute

// rateLimitTransport waits out GitHub's rate limits below go-github, as GitHub documents
// them (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit):
//   - retry-after present: wait that long;
//   - x-ratelimit-remaining 0 (the primary limit): wait until x-ratelimit-reset;
//   - otherwise, a secondary limit (403 or 429 saying so): wait at least a minute, and
//     exponentially longer while it keeps answering so.
//
// Every wait comes out of the run's budget (and the context's deadline); a wait that does
// not fit is passed up as GitHub's answer and go-github turns it into a rate-limit error
// the caller reports with the time to retry. A secondary limit without retry-after is passed
// up with the documented wait as its Retry-After: go-github would otherwise take the primary
// reset (up to an hour) for it and refuse every further call of the run until then.
type rateLimitTransport struct {
	next     http.RoundTripper
	budget   time.Duration
	attempts int
	sleep    func(ctx context.Context, d time.Duration) error
	now      func() time.Time
	onWait   func(d time.Duration, why string)

	mu     sync.Mutex
	waited time.Duration
}

func (t *rateLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	secondaryHits := 0
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		wait, why := t.limitWait(resp, secondaryHits)
		if why == "" {
			return resp, nil
		}
		if why == whySecondary {
			secondaryHits++
		}
		if attempt >= t.attempts || (req.Body != nil && req.GetBody == nil) || !t.take(req.Context(), wait) {
			if resp.Header.Get("Retry-After") == "" && why == whySecondary {
				resp.Header.Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
			}
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if t.onWait != nil {
			t.onWait(wait, why)
		}
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}

// take spends wait from the run's budget, or reports that it does not fit.
func (t *rateLimitTransport) take(ctx context.Context, wait time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	left := t.budget - t.waited
	if deadline, ok := ctx.Deadline(); ok {
		left = min(left, time.Until(deadline))
	}
	if wait > left {
		return false
	}
	t.waited += wait
	return true
}

const (
	whyPrimary   = "primary rate limit"
	whySecondary = "secondary rate limit"
	whyRetry     = "retry-after"
)

// limitWait says how long GitHub asks to wait, and why; why is "" when the response is
// not a rate limit. earlierSecondary counts the secondary limits this request already met.
func (t *rateLimitTransport) limitWait(resp *http.Response, earlierSecondary int) (time.Duration, string) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, ""
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, whyRetry
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
		if err != nil {
			return 0, ""
		}
		wait := time.Unix(reset, 0).Sub(t.now()) + time.Second
		if wait < time.Second {
			wait = time.Second
		}
		return wait, whyPrimary
	}
	// A 429 is always a limit; a 403 is one only when its message says so (otherwise it is a
	// missing permission, which waiting does not cure).
	if resp.StatusCode == http.StatusTooManyRequests || saysSecondaryLimit(resp) {
		return secondaryMinWait << min(earlierSecondary, 6), whySecondary
	}
	return 0, ""
}

// saysSecondaryLimit reads (a bounded part of) a 403's body and puts it back: GitHub's
// secondary-limit answers say "secondary rate limit" and link the documentation's
// secondary-rate-limits section (older answers: "abuse-rate-limits").
func saysSecondaryLimit(resp *http.Response) bool {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	var answer struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	if json.Unmarshal(body, &answer) != nil {
		return false
	}
	return strings.Contains(strings.ToLower(answer.Message), "secondary rate limit") ||
		strings.HasSuffix(answer.DocumentationURL, "secondary-rate-limits") ||
		strings.HasSuffix(answer.DocumentationURL, "#abuse-rate-limits")
}
