package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/shepherd-release/shepherd/internal/words"
)

// Errors a caller can test with errors.Is. Every error of a call this package makes is an
// *APIError that wraps one of these (or none, for answers without a special meaning) and
// the go-github error it came from.
var (
	// ErrPermission: the token may not do this (403 "Resource not accessible by
	// integration", or another 403 that is not a rate limit).
	ErrPermission = errors.New("the GitHub token lacks a permission")
	// ErrIssuesDisabled: the repository has Issues turned off (410 on issue routes).
	ErrIssuesDisabled = errors.New("issues are disabled in the repository")
	// ErrUnauthorized: no token, or one GitHub does not accept (401).
	ErrUnauthorized = errors.New("GitHub refused the credentials")
	// ErrNotFound: the repository, issue, ref or release does not exist (404).
	ErrNotFound = errors.New("not found on GitHub")
	// ErrInvalid: GitHub refused what was sent (422, 400).
	ErrInvalid = errors.New("GitHub refused the request")
	// ErrRateLimited: a primary or secondary rate limit lasts longer than the run may wait.
	ErrRateLimited = errors.New("GitHub rate limit")
	// ErrUnavailable: GitHub kept failing (5xx) or could not be reached.
	ErrUnavailable = errors.New("GitHub unavailable")
)

// APIError is a call GitHub refused or could not answer. It says what the bot was doing,
// and whether a later run can succeed without a person changing something (Permanent).
type APIError struct {
	// Op is what the bot was doing, e.g. "create release v2026-11-22".
	Op     string
	Method string
	Path   string
	// Status is the HTTP status, 0 when no answer arrived.
	Status  int
	Message string
	// Kind is the sentinel this error matches with errors.Is (nil when none fits).
	Kind error
	// Hint says what a person can do about a permanent refusal.
	Hint string
	// RetryAt is when a rate limit that outlasted the run's wait budget lifts.
	RetryAt time.Time
	// Attempts is the number of tries when the call gave up retrying (0 when it did not retry).
	Attempts int
	// Err is the error go-github (or the transport) gave.
	Err error
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case errors.Is(e.Kind, ErrRateLimited):
		b.WriteString(e.Message)
	case e.Status == 0:
		fmt.Fprintf(&b, "GitHub could not be reached: %v", e.Err)
	default:
		fmt.Fprintf(&b, "GitHub answered %d %s", e.Status, http.StatusText(e.Status))
		if e.Message != "" {
			fmt.Fprintf(&b, " %q", e.Message)
		}
		if e.Method != "" {
			fmt.Fprintf(&b, " to %s %s", e.Method, e.Path)
		}
	}
	if e.Attempts > 0 {
		fmt.Fprintf(&b, "; gave up after %d attempts", e.Attempts)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As see both the class and go-github's error.
func (e *APIError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// Permanent reports a refusal that no later run fixes by itself: a missing permission,
// Issues turned off, bad credentials, a request GitHub will not accept. Timeouts (408),
// conflicts (409), rate limits (429 and 403 limits), server errors and broken connections
// are transient.
func (e *APIError) Permanent() bool {
	if errors.Is(e.Kind, ErrRateLimited) || errors.Is(e.Kind, ErrUnavailable) {
		return false
	}
	return permanentStatus(e.Status)
}

func permanentStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status < 500
}

// IsPermanent reports whether err, from any call of this package, is a refusal that only a
// person can fix. Anything else (rate limits, outages, errors of unknown origin) is
// transient: a later run may succeed.
func IsPermanent(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Permanent()
	}
	var rl *gh.RateLimitError
	var abuse *gh.AbuseRateLimitError
	if errors.As(err, &rl) || errors.As(err, &abuse) {
		return false
	}
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return permanentStatus(er.Response.StatusCode)
	}
	return false
}

// newAPIError classifies a failed call. resp is go-github's response (nil when no answer
// arrived).
func (c *Client) newAPIError(op string, resp *gh.Response, err error) *APIError {
	e := &APIError{Op: op, Err: err}
	var rl *gh.RateLimitError
	var abuse *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		e.Status, e.Kind, e.RetryAt = rl.Response.StatusCode, ErrRateLimited, rl.Rate.Reset.Time
		e.Message = fmt.Sprintf("GitHub's rate limit is used up until %s, longer than this run may wait; try again later",
			e.RetryAt.UTC().Format(time.RFC3339))
		return e
	case errors.As(err, &abuse):
		e.Status, e.Kind = abuse.Response.StatusCode, ErrRateLimited
		wait := abuse.GetRetryAfter()
		e.RetryAt = c.opts.Now().Add(wait)
		e.Message = fmt.Sprintf("GitHub's secondary rate limit asks to wait %s, longer than this run may wait; try again later", words.Duration(wait))
		return e
	}
	if resp == nil || resp.Response == nil {
		e.Kind = ErrUnavailable
		return e
	}
	e.Status = resp.StatusCode
	if req := resp.Request; req != nil {
		e.Method, e.Path = req.Method, req.URL.Path
	}
	var er *gh.ErrorResponse
	if errors.As(err, &er) {
		e.Message = er.Message
	}
	limited := e.Status == http.StatusTooManyRequests || (e.Status == http.StatusForbidden &&
		(resp.Header.Get("Retry-After") != "" || strings.Contains(strings.ToLower(e.Message), "secondary rate limit")))
	switch {
	case limited:
		e.Kind = ErrRateLimited
		wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		e.RetryAt = c.opts.Now().Add(max(time.Duration(wait)*time.Second, secondaryMinWait))
		e.Message = fmt.Sprintf("GitHub's rate limit answered %d %q, longer than this run may wait; try again after %s",
			e.Status, e.Message, e.RetryAt.UTC().Format(time.RFC3339))
	case e.Status == http.StatusUnauthorized:
		e.Kind, e.Hint = ErrUnauthorized, "check the token or the GitHub App's key"
	case e.Status == http.StatusForbidden:
		e.Kind, e.Hint = ErrPermission, permissionHint(e.Method, e.Path)
	case e.Status == http.StatusGone && strings.Contains(e.Path, "/issues"):
		// https://docs.github.com/rest/issues/issues: "410 Gone" when Issues are off.
		e.Kind, e.Hint = ErrIssuesDisabled, "turn Issues on in the repository's Settings → General → Features"
	case e.Status == http.StatusNotFound:
		e.Kind = ErrNotFound
	case e.Status == http.StatusUnprocessableEntity || e.Status == http.StatusBadRequest:
		e.Kind = ErrInvalid
	case e.Status >= 500:
		e.Kind = ErrUnavailable
	}
	return e
}

// permissionHint names the permission a route needs, as GitHub's REST reference lists them
// for fine-grained tokens and Apps (https://docs.github.com/rest/authentication/permissions-required-for-github-apps).
func permissionHint(method, path string) string {
	need := ""
	switch {
	case strings.Contains(path, "/releases"), strings.Contains(path, "/git/"), strings.Contains(path, "/contents/"):
		need = "contents"
	case strings.Contains(path, "/statuses"), strings.Contains(path, "/status"):
		need = "statuses"
	case strings.Contains(path, "/check-runs"), strings.Contains(path, "/check-suites"):
		need = "checks"
	case strings.Contains(path, "/pulls"):
		need = "pull-requests"
	case strings.Contains(path, "/issues"), strings.Contains(path, "/labels"):
		need = "issues"
	case strings.Contains(path, "/actions/"):
		need = "actions"
	}
	level := "write"
	if method == http.MethodGet || method == http.MethodHead {
		level = "read"
	}
	if need == "" {
		return "the token or GitHub App lacks a permission this call needs"
	}
	return fmt.Sprintf("the token or GitHub App needs %q %s permission: in the workflow's permissions, or the App's settings", need, level)
}
