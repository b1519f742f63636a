package githubtest_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github/githubtest"
)

const (
	owner = "openmrs"
	name  = "ciel-releases"
)

// newFake starts a server with one repository and returns a client for it.
func newFake(t *testing.T, opts ...githubtest.Option) (*githubtest.Server, *github.Client) {
	t.Helper()
	s := githubtest.NewServer(opts...)
	t.Cleanup(s.Close)
	s.AddRepo(owner, name, "main")
	return s, s.Client(t)
}

// errorResponse asserts err is GitHub's error with the given status and returns it.
func errorResponse(t *testing.T, err error, status int) *github.ErrorResponse {
	t.Helper()
	var er *github.ErrorResponse
	require.True(t, errors.As(err, &er), "want *github.ErrorResponse, got %T: %v", err, err)
	require.Equal(t, status, er.Response.StatusCode, er.Message)
	return er
}

// requireValidation asserts a 422 with one error of the given resource, field and code.
func requireValidation(t *testing.T, err error, resource, field, code string) {
	t.Helper()
	er := errorResponse(t, err, http.StatusUnprocessableEntity)
	require.Equal(t, "Validation Failed", er.Message)
	require.Len(t, er.Errors, 1)
	require.Equal(t, resource, er.Errors[0].Resource)
	require.Equal(t, field, er.Errors[0].Field)
	require.Equal(t, code, er.Errors[0].Code)
}

var ctx = context.Background()

// fakeClock is a settable clock, safe to read from the server's goroutines.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
