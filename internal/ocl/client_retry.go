package ocl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy bounds how long a call keeps trying after transient failures: 429, 502,
// 503, 504, 500 (except where 500 is an answer), connection errors and timeouts.
type RetryPolicy struct {
	// MaxAttempts counts every try, the first included (default 5).
	MaxAttempts int
	// MaxWait caps the sum of all waits between tries (default 2 minutes).
	MaxWait time.Duration
	// BaseDelay is the backoff before the second try; it doubles with every try (default 1s).
	BaseDelay time.Duration
	// MaxDelay caps one backoff wait (default 30s). A longer Retry-After is still honoured.
	MaxDelay time.Duration
}

// DefaultRetryPolicy is used for every field left zero.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts: 5,
	MaxWait:     2 * time.Minute,
	BaseDelay:   time.Second,
	MaxDelay:    30 * time.Second,
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetryPolicy.MaxAttempts
	}
	if p.MaxWait <= 0 {
		p.MaxWait = DefaultRetryPolicy.MaxWait
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultRetryPolicy.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetryPolicy.MaxDelay
	}
	return p
}

// backoff is the capped exponential delay before try number attempt+1 (attempt ≥ 1).
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// do sends r until handle accepts an answer, a failure is final, or the retry budget is
// spent. handle gets every answer that is not a transient failure and must close nothing:
// do closes the body. A *bodyError from handle is retried like a broken connection.
func (c *Client) do(ctx context.Context, r request, handle func(*http.Response) error) error {
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		failure, retryAfter, err := c.attempt(ctx, r, handle)
		if err != nil || failure == nil {
			return err
		}
		wait, err := c.nextWait(r, attempt, waited, failure, retryAfter)
		if err != nil {
			return err
		}
		c.log.Warn("ocl: retrying", "method", r.method, "path", logPath(r.url), "attempt", attempt,
			"wait", wait, "error", failure)
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("ocl: %s %s: waiting to retry: %w (last failure: %v)", r.method, logPath(r.url), err, failure)
		}
		waited += wait
	}
}

// attempt sends r once. It returns a retryable failure (with the server's Retry-After, if
// any), or the final error, or neither when handle accepted the answer.
func (c *Client) attempt(ctx context.Context, r request, handle func(*http.Response) error) (failure error, retryAfter time.Duration, final error) {
	req, err := c.newHTTPRequest(ctx, r)
	if err != nil {
		return nil, 0, err
	}
	start := c.now()
	resp, err := c.http.Do(req)
	if err != nil {
		err = transportError(r, err)
		if ctx.Err() != nil || !c.retryableTransport(r, err) {
			return nil, 0, err
		}
		return err, 0, nil
	}
	c.log.Debug("ocl: answer", "method", r.method, "path", logPath(r.url), "status", resp.StatusCode,
		"elapsed", c.now().Sub(start))
	if c.retryableStatus(r, resp.StatusCode) {
		apiErr := c.statusError(resp, r)
		apiErr.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
		if !r.idempotent {
			if apiErr.RetryAfter > 0 {
				apiErr.RetryAt = c.now().Add(apiErr.RetryAfter)
			}
			return nil, 0, apiErr
		}
		return apiErr, apiErr.RetryAfter, nil
	}
	defer resp.Body.Close()
	err = handle(resp)
	var be *bodyError
	if err != nil && errors.As(err, &be) && r.idempotent && ctx.Err() == nil {
		return err, 0, nil
	}
	return nil, 0, err
}

// nextWait decides the wait before the next try, or the error that ends the call.
func (c *Client) nextWait(r request, attempt int, waited time.Duration, failure error, retryAfter time.Duration) (time.Duration, error) {
	left := c.retry.MaxWait - waited
	if retryAfter > left {
		return 0, tooLongRetryAfter(failure, retryAfter, c.now())
	}
	if attempt >= c.retry.MaxAttempts {
		return 0, giveUp(r, attempt, failure)
	}
	wait := retryAfter
	if wait == 0 {
		// Full jitter: spreads clients that failed together over the whole window.
		wait = c.jitter(c.retry.backoff(attempt))
	}
	if wait > left {
		return 0, giveUp(r, attempt, failure)
	}
	return wait, nil
}

// tooLongRetryAfter fails at once when the server asks for a wait beyond the budget,
// saying when to come back.
func tooLongRetryAfter(failure error, retryAfter time.Duration, now time.Time) error {
	if apiErr, ok := errorsAsAPI(failure); ok {
		apiErr.RetryAt = now.Add(retryAfter)
		return apiErr
	}
	return failure
}

// giveUp reports the last failure once the budget is spent. An *APIError keeps its kind
// (ErrRateLimited for 429, ErrUnavailable for 5xx); a transport error gets ErrUnavailable.
func giveUp(r request, attempts int, failure error) error {
	if apiErr, ok := errorsAsAPI(failure); ok {
		apiErr.Attempts = attempts
		return apiErr
	}
	return fmt.Errorf("ocl: %s %s: giving up after %d attempts: %w: %w", r.method, logPath(r.url), attempts, ErrUnavailable, failure)
}

// retryableStatus: 429 and gateway trouble always; 500 unless the call gives it a meaning.
func (c *Client) retryableStatus(r request, status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusInternalServerError:
		return !r.meaningful500
	}
	return false
}

// retryableTransport: idempotent calls retry any network failure; the others only a
// failure to connect, which proves the request never left.
func (c *Client) retryableTransport(r request, err error) bool {
	if r.idempotent {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// transportError names the request without its host or query (the *url.Error that
// net/http returns prints the whole URL).
func transportError(r request, err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return fmt.Errorf("ocl: %s %s: %w", r.method, logPath(r.url), err)
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(365*24*time.Hour/time.Second))) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
