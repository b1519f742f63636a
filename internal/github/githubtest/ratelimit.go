package githubtest

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"time"
)

// rateLimit is the primary ("core") rate limit: limit requests per hourly window.
type rateLimit struct {
	limit int
	used  int
	reset time.Time
}

// roll starts a new window once the current one has ended.
func (r *rateLimit) roll(now time.Time) {
	if r.reset.IsZero() || !now.Before(r.reset) {
		r.used = 0
		r.reset = now.Add(time.Hour).Truncate(time.Second)
	}
}

func (r *rateLimit) exhausted() bool { return r.used >= r.limit }

func (r *rateLimit) remaining() int { return max(r.limit-r.used, 0) }

func (r *rateLimit) writeHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(r.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(r.remaining()))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(r.reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(min(r.used, r.limit)))
	h.Set("X-RateLimit-Resource", "core")
}

// writePrimaryLimit answers as GitHub does once the hourly budget is spent; go-github
// recognises it by the 403 with X-RateLimit-Remaining: 0.
func (s *Server) writePrimaryLimit(w http.ResponseWriter, c *call) {
	exhausted := s.rate
	exhausted.used = exhausted.limit
	exhausted.writeHeaders(w)
	who := fmt.Sprintf("user ID %d", userID(cmp.Or(c.login, DefaultLogin)))
	if c.installation {
		who = fmt.Sprintf("installation ID %d", s.installationID)
	}
	writeJSON(w, http.StatusForbidden, apiError{
		Message: fmt.Sprintf("API rate limit exceeded for %s. If you reach out to GitHub Support for help, "+
			"please include the request ID %s.", who, requestID(len(s.requests)+1)),
		DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" +
			"#about-the-primary-rate-limit",
		Status: "403",
	})
}

// writeSecondaryLimit answers as GitHub does when a client writes too fast; go-github
// recognises a 403 by the documentation URL and reads Retry-After when there is one.
// The primary headers stay as they are: X-RateLimit-Remaining is not 0.
func (s *Server) writeSecondaryLimit(w http.ResponseWriter, status int, retryAfter bool) {
	s.rate.writeHeaders(w)
	if retryAfter {
		w.Header().Set("Retry-After", strconv.Itoa(int(s.secondaryRetryAfter/time.Second)))
	}
	writeJSON(w, status, apiError{
		Message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
			"If you reach out to GitHub Support for help, please include the request ID " + requestID(len(s.requests)+1) + ".",
		DocumentationURL: "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api" +
			"#about-secondary-rate-limits",
		Status: strconv.Itoa(status),
	})
}

// SetRateRemaining leaves n requests in the current rate-limit window.
func (s *Server) SetRateRemaining(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate.roll(s.clock())
	s.rate.used = max(s.rate.limit-n, 0)
}

// RateRemaining is what X-RateLimit-Remaining would say now.
func (s *Server) RateRemaining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate.roll(s.clock())
	return s.rate.remaining()
}

// userID gives every login a stable numeric id.
func userID(login string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(login))
	return int64(h.Sum32()%9_000_000) + 1_000_000
}
