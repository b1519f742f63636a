package ocl

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"12", 12 * time.Second},
		{" 3 ", 3 * time.Second},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
		{"99999999999999", 365 * 24 * time.Hour},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, parseRetryAfter(tt.value, now), "Retry-After %q", tt.value)
	}
}

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	p := RetryPolicy{BaseDelay: time.Second, MaxDelay: 5 * time.Second}.withDefaults()
	var got []time.Duration
	for attempt := 1; attempt <= 5; attempt++ {
		got = append(got, p.backoff(attempt))
	}
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}, got)
}

func TestTokenGoesOnlyToTheExactOrigin(t *testing.T) {
	c, err := NewClient("https://api.openconceptlab.org/", "tok")
	require.NoError(t, err)
	tests := []struct {
		url  string
		want bool
	}{
		{"https://api.openconceptlab.org/orgs/", true},
		{"https://API.openconceptlab.org:443/orgs/", true},
		{"http://api.openconceptlab.org/orgs/", false},
		{"https://api.openconceptlab.org:8443/orgs/", false},
		{"https://ocl-exports.s3.amazonaws.com/x.zip", false},
		{"https://evil.api.openconceptlab.org/", false},
		{"https://api.openconceptlab.org.evil.com/", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		require.NoError(t, err)
		assert.Equal(t, tt.want, c.sameOrigin(u), tt.url)
	}
}

func TestEndpointKeepsThePrefixAndTheSlash(t *testing.T) {
	c, err := NewClient("http://localhost:8000/api/v2/", "")
	require.NoError(t, err)

	u, err := c.endpoint(url.Values{"page": {"2"}}, sourcePath("My Org", "CIEL", "v2026-11-22", "concepts")...)
	require.NoError(t, err)
	assert.Equal(t, "http://localhost:8000/api/v2/orgs/My%20Org/sources/CIEL/v2026-11-22/concepts/?page=2", u.String())

	for _, bad := range []string{"", "..", "a/b", "a?b"} {
		_, err := c.endpoint(nil, sourcePath("CIEL", bad)...)
		assert.Error(t, err, "segment %q", bad)
	}
}

func TestNewClientRefusesUnusableBaseURLs(t *testing.T) {
	for _, base := range []string{"", "api.openconceptlab.org", "ftp://x", "https://x/?q=1", "https://user:pw@x/"} {
		_, err := NewClient(base, "tok")
		assert.Error(t, err, base)
	}
}

func TestParseErrorBody(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantDetail string
		wantFields map[string][]string
	}{
		{"detail", `{"detail": "Not found."}`, "Not found.", nil},
		{"error and detail", `{"error": "Conflict", "detail": "Source version 'v1' already exist."}`, "Source version 'v1' already exist.: Conflict", nil},
		{"same text twice", `{"error": "x", "detail": "x"}`, "x", nil},
		{"field errors", `{"released": ["Must be a valid boolean."]}`, "", map[string][]string{"released": {"Must be a valid boolean."}}},
		{"html page", "<html>\n<body>Bad Gateway</body></html>", "<html>", nil},
		{"empty", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			detail, fields := parseErrorBody([]byte(tt.body))
			assert.Equal(t, tt.wantDetail, detail)
			assert.Equal(t, tt.wantFields, fields)
		})
	}
}
