package github

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"
)

// rateLimitTransport waits out GitHub's rate limits below go-github: a 403 or 429 that
// carries Retry-After (secondary limit) or X-RateLimit-Remaining: 0 (primary limit) is
// retried after the wait when the wait is short. A long wait is passed up as GitHub's
// answer, and go-github turns it into a rate-limit error that the caller reports.
// Doing this in the transport keeps go-github from blocking the client on a reset time
// that has already been waited out.
type rateLimitTransport struct {
	next     http.RoundTripper
	maxWait  time.Duration
	attempts int
	sleep    func(ctx context.Context, d time.Duration) error
	now      func() time.Time
	onWait   func(d time.Duration, why string)
}

func (t *rateLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		wait, why := t.limitWait(resp)
		if why == "" || wait > t.maxWait || attempt >= t.attempts {
			return resp, nil
		}
		if req.Body != nil && req.GetBody == nil {
			return resp, nil // the body cannot be sent again
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

// limitWait says how long GitHub asks to wait, and why; why is "" when the response is
// not a rate limit.
func (t *rateLimitTransport) limitWait(resp *http.Response) (time.Duration, string) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, ""
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, "secondary rate limit"
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
		return wait, "primary rate limit"
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return time.Minute, "too many requests"
	}
	return 0, ""
}
