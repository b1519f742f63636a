package github

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"sync"
)

// etagTransport makes GETs conditional: a response with an ETag is remembered, the next
// GET of the same URL sends If-None-Match, and GitHub's 304 (which does not count against
// the rate limit) is answered from memory. A run that reads the same listing twice — a
// poll that lists tracking issues, then finds one again — pays for it once.
type etagTransport struct {
	next  http.RoundTripper
	mu    sync.Mutex
	cache map[string]cachedResponse
}

type cachedResponse struct {
	etag string
	dump []byte // the whole response as received
}

// maxCachedBody keeps the cache small: listings of issues are well under it.
const maxCachedBody = 4 << 20

func (t *etagTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		return t.next.RoundTrip(req)
	}
	key := req.Header.Get("Authorization") + " " + req.URL.String()
	t.mu.Lock()
	cached, ok := t.cache[key]
	t.mu.Unlock()
	if ok {
		req = req.Clone(req.Context())
		req.Header.Set("If-None-Match", cached.etag)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if ok && resp.StatusCode == http.StatusNotModified {
		resp.Body.Close()
		replay, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(cached.dump)), req)
		if err != nil {
			return nil, err
		}
		// Rate-limit headers of the 304 are the current ones; go-github must not take the
		// stored ones for news.
		replay.Header.Set("X-From-Cache", "1")
		return replay, nil
	}
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || etag == "" || resp.ContentLength > maxCachedBody {
		return resp, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCachedBody+1))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) <= maxCachedBody {
		dump, err := httputil.DumpResponse(resp, true)
		if err == nil {
			t.mu.Lock()
			if t.cache == nil {
				t.cache = map[string]cachedResponse{}
			}
			t.cache[key] = cachedResponse{etag: etag, dump: dump}
			t.mu.Unlock()
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
