package ocl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultUserAgent names Shepherd to OCL's operators.
const DefaultUserAgent = "shepherd-release (+https://github.com/shepherd-release/shepherd)"

// Client talks to one OCL API server. It is safe for concurrent use.
//
// The token goes only to the exact origin (scheme, host and port) of the base URL: exports
// redirect to storage that rejects requests carrying it. Every route is sent with its
// trailing slash, as OCL requires.
type Client struct {
	base      *url.URL // scheme, host and an optional path prefix, without a trailing slash
	token     string
	http      *http.Client // never follows redirects by itself
	retry     RetryPolicy
	userAgent string
	log       *slog.Logger
	sleep     func(context.Context, time.Duration) error
	now       func() time.Time
	jitter    func(upTo time.Duration) time.Duration
	// tokenEnv names the variable the token comes from, for errors that ask for one.
	tokenEnv string
	// answerTimeout bounds the wait for an answer's headers (0 keeps the transport's).
	answerTimeout time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (transport, timeouts, proxies). The Client uses a
// copy that does not follow redirects, so that it alone decides where the token goes.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		cp := *hc
		c.http = &cp
	}
}

// WithRetry sets the retry policy; zero fields keep their defaults.
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithLogger sets where requests, retries and waits are logged (at debug and warn level).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithSleep replaces the wait between retries; tests record the waits instead of sleeping.
// The function must return ctx.Err() when ctx ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// WithClock sets the clock used to read Retry-After dates and to say when to retry.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithTokenEnv names the environment variable the token is read from, so that an
// answer asking for authentication can say which variable to set.
func WithTokenEnv(name string) Option { return func(c *Client) { c.tokenEnv = name } }

// WithAnswerTimeout bounds the wait for each answer's headers (a listing page is rendered
// whole before OCL answers), on the default transport or one given by WithHTTPClient when
// it is an *http.Transport. A download's body is not bounded by it.
func WithAnswerTimeout(d time.Duration) Option { return func(c *Client) { c.answerTimeout = d } }

// NewClient returns a client for the OCL API at baseURL (for example
// https://api.openconceptlab.org, or a URL with a path prefix). An empty token makes
// anonymous requests.
func NewClient(baseURL, token string, opts ...Option) (*Client, error) {
	base, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("ocl: base URL: %w", err)
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("ocl: base URL %q: want http(s)://host[/prefix]", baseURL)
	}
	if base.RawQuery != "" || base.Fragment != "" || base.User != nil {
		return nil, fmt.Errorf("ocl: base URL %q: must not carry a query, fragment or user", baseURL)
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	c := &Client{
		base:      base,
		token:     token,
		http:      &http.Client{Transport: defaultTransport()},
		userAgent: DefaultUserAgent,
		log:       slog.New(slog.DiscardHandler),
		sleep:     sleepContext,
		now:       time.Now,
		jitter:    func(upTo time.Duration) time.Duration { return rand.N(upTo + 1) },
	}
	for _, opt := range opts {
		opt(c)
	}
	c.retry = c.retry.withDefaults()
	if t, ok := c.http.Transport.(*http.Transport); ok && c.answerTimeout > 0 {
		t = t.Clone()
		t.ResponseHeaderTimeout = c.answerTimeout
		c.http.Transport = t
	}
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, nil
}

// defaultTransport bounds the wait for response headers so that a stalled server turns
// into a retryable timeout; bodies (a 50 MB export) may take as long as they need.
func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	return t
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// request is one logical call; do may send it several times.
type request struct {
	method string
	url    *url.URL
	body   []byte // JSON, or nil
	accept string
	// idempotent requests are retried on transient failures; the others only when a
	// dial error proves nothing was sent.
	idempotent bool
	// meaningful500 marks calls where 500 is an answer (export status), not a failure.
	meaningful500 bool
}

// endpoint builds the URL of an OCL route from unescaped path segments, with the
// trailing slash OCL requires.
func (c *Client) endpoint(query url.Values, segments ...string) (*url.URL, error) {
	escaped := make([]string, len(segments))
	for i, s := range segments {
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/?#") {
			return nil, fmt.Errorf("ocl: invalid path segment %q in %s", s, strings.Join(segments, "/"))
		}
		escaped[i] = url.PathEscape(s)
	}
	u := *c.base
	u.RawPath = c.base.EscapedPath() + "/" + strings.Join(escaped, "/") + "/"
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("ocl: path %s: %w", u.RawPath, err)
	}
	u.Path = p
	u.RawQuery = query.Encode()
	return &u, nil
}

// sourcePath is the route of a source, then whatever follows it.
func sourcePath(org, source string, rest ...string) []string {
	return append([]string{"orgs", org, "sources", source}, rest...)
}

// sameOrigin reports whether u is exactly the OCL origin: scheme, host and port.
func (c *Client) sameOrigin(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, c.base.Scheme) &&
		strings.EqualFold(u.Hostname(), c.base.Hostname()) &&
		effectivePort(u) == effectivePort(c.base)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// logPath names a URL in errors and logs: its path only, never the query of a presigned URL.
func logPath(u *url.URL) string { return u.EscapedPath() }

func (c *Client) newHTTPRequest(ctx context.Context, r request) (*http.Request, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url.String(), body)
	if err != nil {
		return nil, fmt.Errorf("ocl: %s %s: %w", r.method, logPath(r.url), err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	accept := r.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" && c.sameOrigin(r.url) {
		req.Header.Set("Authorization", "Token "+c.token)
	}
	return req, nil
}

// maxJSONBody bounds an API answer held in memory: a page of 1000 verbose concepts with
// their mappings is a few MB.
const maxJSONBody = 256 << 20

// bodyError marks a failure while reading an answer's body (a cut connection): the
// request reached the server, so only idempotent calls may be sent again.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// decodeJSON reads a whole answer and decodes it into out (which may be nil).
func decodeJSON(resp *http.Response, r request, out any) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBody+1))
	if err != nil {
		return &bodyError{fmt.Errorf("ocl: %s %s: reading the answer: %w", r.method, logPath(r.url), err)}
	}
	if len(data) > maxJSONBody {
		return fmt.Errorf("ocl: %s %s: answer larger than %d bytes", r.method, logPath(r.url), maxJSONBody)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		if _, wrongType := wrongTypeOf(err); wrongType {
			if handled, lerr := decodeListLeniently(data, out); handled && lerr == nil {
				return nil
			}
		}
		return fmt.Errorf("ocl: %s %s: decoding the answer: %w", r.method, logPath(r.url), err)
	}
	return nil
}

// statusError turns an unexpected answer into an *APIError (and closes its body).
func (c *Client) statusError(resp *http.Response, r request) *APIError {
	return c.explain(readAPIError(resp, r.method, logPath(r.url), c.token))
}

// explain adds what a person should do to errors whose cause is on Shepherd's side.
func (c *Client) explain(e *APIError) *APIError {
	if e.Status == http.StatusForbidden && e.UpgradeURL != "" {
		// oclapi2 servers with REQUIRE_AUTHENTICATION set (2026) refuse every anonymous
		// request this way, before looking anything up.
		e.Kind = ErrUnauthorized
		switch {
		case c.token == "" && c.tokenEnv != "":
			e.Hint = "this OCL server requires authentication: put an API token in " + c.tokenEnv
		case c.token == "":
			e.Hint = "this OCL server requires authentication: give Shepherd an API token"
		default:
			e.Hint = "this OCL server requires authentication and did not accept the token"
			if c.tokenEnv != "" {
				e.Hint += " in " + c.tokenEnv
			}
		}
	}
	return e
}

// doJSON sends r and decodes a successful answer (one of ok) into out. Other statuses
// become an *APIError whose Kind is overridden by kinds when listed there.
func (c *Client) doJSON(ctx context.Context, r request, out any, kinds map[int]error, ok ...int) (http.Header, error) {
	var header http.Header
	err := c.do(ctx, r, func(resp *http.Response) error {
		for _, s := range ok {
			if resp.StatusCode == s {
				header = resp.Header
				return decodeJSON(resp, r, out)
			}
		}
		apiErr := c.statusError(resp, r)
		if kind, found := kinds[resp.StatusCode]; found {
			apiErr.Kind = kind
		}
		return apiErr
	})
	return header, err
}

// errorsAsAPI is errors.As for *APIError.
func errorsAsAPI(err error) (*APIError, bool) {
	var apiErr *APIError
	ok := errors.As(err, &apiErr)
	return apiErr, ok
}
