package ocl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Errors a caller can test with errors.Is. Every error from an HTTP answer is an *APIError
// that wraps one of these (or none, for statuses without a special meaning).
var (
	// ErrVersionExists: the version to create is already on OCL (409).
	ErrVersionExists = errors.New("version already exists")
	// ErrNotFound: the org, source, version or export does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrNotReady: the export is not built yet, or has no download URL yet; poll again later.
	ErrNotReady = errors.New("export not ready")
	// ErrForbidden: the token may not do this (403, or 405 for the export of HEAD).
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthorized: no token, or a token OCL does not accept (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrRateLimited: OCL answered 429 and the retry budget cannot cover its Retry-After.
	ErrRateLimited = errors.New("rate limited")
	// ErrBadRequest: OCL refused the fields sent (400); APIError.Fields says which.
	ErrBadRequest = errors.New("bad request")
	// ErrUnavailable: OCL kept failing (5xx, timeouts, broken connections) beyond the retry budget.
	ErrUnavailable = errors.New("OCL unavailable")
	// ErrTooLarge: a download went past its size limit; nothing was kept.
	ErrTooLarge = errors.New("download too large")
)

// APIError is an HTTP answer OCL (or the storage an export redirects to) gave instead of
// success. It names the request by method and path only: never the host, the query (a
// presigned URL's signature) or the token.
type APIError struct {
	Method string
	Path   string
	Status int
	// Detail is OCL's "detail" or "error" text, or the start of a non-JSON body.
	Detail string
	// Fields holds per-field messages of a 400, e.g. {"released": ["Must be a valid boolean."]}.
	Fields map[string][]string
	// RetryAfter is the wait the server asked for, when it asked (429, 503).
	RetryAfter time.Duration
	// RetryAt is when a retry may succeed, set when a rate limit outlasted the retry budget.
	RetryAt time.Time
	// Kind is the sentinel this error matches with errors.Is (nil when none fits).
	Kind error
	// Attempts is the number of tries when the call gave up retrying (0 when it did not retry).
	Attempts int
	// UpgradeURL is where a server requiring authentication sends anonymous users (403).
	UpgradeURL string
	// Hint says what to do about the error, when Shepherd knows.
	Hint string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ocl: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Kind != nil {
		fmt.Fprintf(&b, " (%v)", e.Kind)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	if len(e.Fields) > 0 {
		names := make([]string, 0, len(e.Fields))
		for name := range e.Fields {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fmt.Fprintf(&b, "; %s: %s", name, strings.Join(e.Fields[name], " "))
		}
	}
	if e.Attempts > 0 {
		fmt.Fprintf(&b, "; giving up after %d attempts", e.Attempts)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	if !e.RetryAt.IsZero() {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAt.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// Unwrap lets errors.Is match the sentinel in Kind.
func (e *APIError) Unwrap() error { return e.Kind }

// kindForStatus maps the statuses that mean the same on every OCL route.
func kindForStatus(status int) error {
	switch status {
	case http.StatusBadRequest:
		return ErrBadRequest
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusTooManyRequests:
		return ErrRateLimited
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout:
		return ErrUnavailable
	}
	return nil
}

// maxErrorBody bounds how much of an error answer is read: enough for OCL's JSON.
const maxErrorBody = 64 << 10

// readAPIError reads (a bounded part of) an error answer and closes its body.
func readAPIError(resp *http.Response, method, path, token string) *APIError {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &APIError{Method: method, Path: path, Status: resp.StatusCode, Kind: kindForStatus(resp.StatusCode)}
	e.Detail, e.Fields = parseErrorBody(body)
	e.UpgradeURL = upgradeURL(body)
	if token != "" {
		// A server echoing the request back must not leak the token into logs.
		e.Detail = strings.ReplaceAll(e.Detail, token, "[redacted]")
	}
	return e
}

// parseErrorBody understands OCL's error shapes: {"detail": "..."}, {"error": "...",
// "detail": "..."}, and DRF field errors {"field": ["message", ...]}. Anything else is
// summarised by its first line.
func parseErrorBody(body []byte) (detail string, fields map[string][]string) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return firstLine(string(body)), nil
	}
	var texts []string
	for _, key := range []string{"detail", "error"} {
		var s string
		if json.Unmarshal(obj[key], &s) == nil && s != "" && !slices.Contains(texts, s) {
			texts = append(texts, s)
		}
	}
	for key, raw := range obj {
		if key == "detail" || key == "error" {
			continue
		}
		var msgs []string
		if json.Unmarshal(raw, &msgs) == nil && len(msgs) > 0 {
			if fields == nil {
				fields = map[string][]string{}
			}
			fields[key] = msgs
		}
	}
	return strings.Join(texts, ": "), fields
}

// upgradeURL reads the "upgrade_url" of a 403 from a server that requires authentication.
func upgradeURL(body []byte) string {
	var obj struct {
		UpgradeURL string `json:"upgrade_url"`
	}
	if json.Unmarshal(body, &obj) != nil {
		return ""
	}
	return obj.UpgradeURL
}

// firstLine keeps error text short and on one line (HTML error pages are long).
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	const max = 200
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
