package githubtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

const docsURL = "https://docs.github.com/rest"

// apiError is GitHub's error body.
type apiError struct {
	Message          string       `json:"message"`
	Errors           []fieldError `json:"errors,omitempty"`
	DocumentationURL string       `json:"documentation_url"`
	Status           string       `json:"status,omitempty"`
}

// fieldError is one entry of a 422's "errors".
type fieldError struct {
	Resource string `json:"resource"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

// recorder buffers a response so that rate-limit and ETag headers can be settled
// after the handler has run.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

func (r *recorder) flush(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(fmt.Sprintf("githubtest: encoding a response: %v", err)) // a bug in the fake
	}
}

func (c *call) json(status int, v any) { writeJSON(c.w, status, v) }

// created answers 201 with what was made, its API URL in Location as GitHub sends it
// (the 201 "Location" header of issues/create, issues/create-comment, git/create-ref
// and others in GitHub's OpenAPI description).
func (c *call) created(v object) {
	c.w.Header().Set("Location", v["url"].(string))
	c.json(http.StatusCreated, v)
}

func (c *call) noContent() { c.w.WriteHeader(http.StatusNoContent) }

// fail answers GitHub's error body, which names the operation's documentation.
func (c *call) fail(status int, message string) {
	c.json(status, apiError{Message: message, DocumentationURL: c.rt.docsURL(), Status: strconv.Itoa(status)})
}

func (c *call) notFound() { c.fail(http.StatusNotFound, "Not Found") }

// invalid answers 422 Validation Failed with one field error.
func (c *call) invalid(e fieldError) {
	c.json(http.StatusUnprocessableEntity, apiError{
		Message:          "Validation Failed",
		Errors:           []fieldError{e},
		DocumentationURL: c.rt.docsURL(),
		Status:           "422",
	})
}

// decode reads the JSON body into v, answering 400 as GitHub does when it can't.
func (c *call) decode(v any) bool {
	if err := json.NewDecoder(c.r.Body).Decode(v); err != nil {
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

// applyETag tags a successful GET with the hash of its body and turns it into a 304
// when the client already holds that version. It reports whether it did.
func applyETag(rec *recorder, r *http.Request) bool {
	if r.Method != http.MethodGet || rec.status != http.StatusOK {
		return false
	}
	sum := sha256.Sum256(rec.body.Bytes())
	etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
	rec.header.Set("ETag", etag)
	rec.header.Set("Vary", "Accept, Authorization, Cookie")
	if !etagMatches(r.Header.Get("If-None-Match"), etag) {
		return false
	}
	rec.status = http.StatusNotModified
	rec.body.Reset()
	rec.header.Del("Content-Type")
	return true
}

// etagMatches compares weakly, as If-None-Match requires.
func etagMatches(ifNoneMatch, etag string) bool {
	for _, candidate := range strings.Split(ifNoneMatch, ",") {
		candidate = strings.TrimSpace(candidate)
		if candidate == "*" || strings.TrimPrefix(candidate, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}

func requestID(n int) string { return fmt.Sprintf("FAKE:%08X", n) }

// page cuts items to the page the request asks for (per_page 30 by default, 100 at
// most) and sets the Link header the way GitHub does.
func page[T any](c *call, items []T) []T {
	query := c.r.URL.Query()
	perPage := atoiOr(query.Get("per_page"), 30)
	if perPage < 1 {
		perPage = 30
	}
	perPage = min(perPage, 100)
	current := max(atoiOr(query.Get("page"), 1), 1)
	last := max((len(items)+perPage-1)/perPage, 1)

	var links []string
	link := func(n int, rel string) {
		query.Set("page", strconv.Itoa(n))
		u := c.s.srv.URL + c.r.URL.Path + "?" + query.Encode()
		links = append(links, fmt.Sprintf("<%s>; rel=%q", u, rel))
	}
	if current > 1 {
		link(min(current-1, last), "prev")
	}
	if current < last {
		link(current+1, "next")
		link(last, "last")
	}
	if current > 1 {
		link(1, "first")
	}
	if len(links) > 0 {
		c.w.Header().Set("Link", strings.Join(links, ", "))
	}

	lo := min((current-1)*perPage, len(items))
	hi := min(lo+perPage, len(items))
	return items[lo:hi]
}

func atoiOr(s string, fallback int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fallback
	}
	return n
}

// deref is *p, or the zero value for nil: optional request fields.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
