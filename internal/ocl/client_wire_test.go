package ocl_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// These tests use hand-written handlers for what the fake does not do on purpose: look at
// raw headers, redirect within the same origin, stream without a length, echo secrets.

func serve(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

func TestRequestsCarryTheExpectedHeaders(t *testing.T) {
	var mu sync.Mutex
	var seen []*http.Request
	var body map[string]any
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r)
		if r.Method == http.MethodPost {
			assert.NoError(t, json.NewDecoder(r.Body).Decode(&body))
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id": "CIEL", "version": "v1"}`)
			return
		}
		io.WriteString(w, `{"id": "v1"}`)
	})
	c := newClient(t, srv.URL+"/prefix", token, &sleeper{}, ocl.WithUserAgent("shepherd-test/1"))

	require.NoError(t, c.CreateVersion(context.Background(), "CIEL", "CIEL", ocl.NewVersion{ID: "v1", Description: "d"}))
	_, err := c.GetVersion(context.Background(), "CIEL", "CIEL", "v1")
	require.NoError(t, err)

	require.Len(t, seen, 2)
	assert.Equal(t, "/prefix/orgs/CIEL/sources/CIEL/versions/", seen[0].URL.Path)
	assert.Equal(t, "/prefix/orgs/CIEL/sources/CIEL/v1/", seen[1].URL.Path)
	for _, r := range seen {
		assert.Equal(t, "Token "+token, r.Header.Get("Authorization"))
		assert.Equal(t, "shepherd-test/1", r.Header.Get("User-Agent"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
	}
	assert.Equal(t, "application/json", seen[0].Header.Get("Content-Type"))
	assert.Equal(t, map[string]any{"id": "v1", "description": "d", "released": false}, body, "released is always sent")
}

func TestCreateVersionRefusesAMismatchedAnswer(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id": "CIEL", "version": "v0"}`)
	})
	c := newClient(t, srv.URL, token, &sleeper{})
	err := c.CreateVersion(context.Background(), "CIEL", "CIEL", ocl.NewVersion{ID: "v1"})
	assert.ErrorContains(t, err, `answered with version "v0"`)
}

func TestRedirectsWithinTheOriginKeepTheToken(t *testing.T) {
	var mu sync.Mutex
	auth := map[string]string{}
	var srv *httptest.Server
	srv = serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth[r.Host+r.URL.Path] = r.Header.Get("Authorization")
		mu.Unlock()
		switch r.URL.Path {
		case "/orgs/CIEL/sources/CIEL/v1/export/":
			http.Redirect(w, r, "/files/v1.zip", http.StatusFound)
		case "/files/v1.zip":
			// Same port, another host name: a different origin.
			http.Redirect(w, r, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/elsewhere/v1.zip", http.StatusSeeOther)
		default:
			io.WriteString(w, "zip bytes")
		}
	})
	c := newClient(t, srv.URL, token, &sleeper{})

	d, err := c.DownloadExport(context.Background(), "CIEL", "CIEL", "v1", filepath.Join(t.TempDir(), "v1.zip"), 1<<20)
	require.NoError(t, err)
	assert.Equal(t, int64(len("zip bytes")), d.Size)

	host := strings.TrimPrefix(srv.URL, "http://")
	assert.Equal(t, map[string]string{
		host + "/orgs/CIEL/sources/CIEL/v1/export/":                              "Token " + token,
		host + "/files/v1.zip":                                                   "Token " + token,
		strings.Replace(host, "127.0.0.1", "localhost", 1) + "/elsewhere/v1.zip": "",
	}, auth)
}

func TestDownloadWithoutLengthStopsAtTheCap(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("x", 512)
		for range 8 {
			io.WriteString(w, chunk)
			w.(http.Flusher).Flush() // no Content-Length: the cap must hold while streaming
		}
	})
	c := newClient(t, srv.URL, token, &sleeper{})
	dir := t.TempDir()

	_, err := c.DownloadExport(context.Background(), "CIEL", "CIEL", "v1", filepath.Join(dir, "v1.zip"), 1000)
	require.ErrorIs(t, err, ocl.ErrTooLarge)
	assert.Empty(t, dirNames(t, dir))

	d, err := c.DownloadExport(context.Background(), "CIEL", "CIEL", "v1", filepath.Join(dir, "v1.zip"), 4096)
	require.NoError(t, err, "exactly at the cap is fine")
	assert.Equal(t, int64(4096), d.Size)
}

func TestErrorsNeverShowTheToken(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"detail": "Token `+r.Header.Get("Authorization")[len("Token "):]+` may not do this."}`)
	})
	c := newClient(t, srv.URL, token, &sleeper{})

	_, err := c.GetVersion(context.Background(), "CIEL", "CIEL", "v1")
	require.ErrorIs(t, err, ocl.ErrForbidden)
	assert.NotContains(t, err.Error(), token)
	assert.Contains(t, err.Error(), "Token [redacted] may not do this.")
}

func TestListingThatChangesUnderfootFails(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("num_found", "5")
		w.Header().Set("pages", "1")
		io.WriteString(w, `[{"id": "1"}, {"id": "2"}, {"id": "3"}]`)
	})
	c := newClient(t, srv.URL, token, &sleeper{})

	err := c.ListConcepts(context.Background(), "CIEL", "CIEL", "HEAD", func([]ocl.Concept) error { return nil }, ocl.ListOptions{})
	assert.ErrorContains(t, err, "announced 5 items but served 3")
}

func TestListingAsksVerboseFullPages(t *testing.T) {
	var query string
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		io.WriteString(w, `[]`)
	})
	c := newClient(t, srv.URL, token, &sleeper{})

	err := c.ListConcepts(context.Background(), "CIEL", "CIEL", "v1", func([]ocl.Concept) error { return nil },
		ocl.ListOptions{IncludeMappings: true, IncludeRetired: true})
	require.NoError(t, err)
	assert.Equal(t, "includeMappings=true&includeRetired=true&limit=1000&page=1&verbose=true", query)
}
