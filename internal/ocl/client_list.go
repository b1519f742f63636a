package ocl

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// MaxPageSize is the largest page OCL serves. A larger limit is not refused by OCL but
// silently reset to 25, which would make a listing look complete when it is not.
const MaxPageSize = 1000

// ListOptions shapes a concept or mapping listing.
type ListOptions struct {
	// PageSize is the number of items asked per page: at most MaxPageSize (the default).
	PageSize int
	// Concurrency is the number of pages fetched at once (default 4).
	Concurrency int
	// IncludeMappings adds each concept's mappings (concept listings only).
	IncludeMappings bool
	// IncludeRetired includes retired concepts (and retired mappings).
	IncludeRetired bool
}

const defaultConcurrency = 4

func (o ListOptions) withDefaults() (ListOptions, error) {
	switch {
	case o.PageSize > MaxPageSize:
		return o, fmt.Errorf("ocl: page size %d is above OCL's limit of %d (OCL would silently serve 25)", o.PageSize, MaxPageSize)
	case o.PageSize < 0:
		return o, fmt.Errorf("ocl: page size %d is negative", o.PageSize)
	case o.PageSize == 0:
		o.PageSize = MaxPageSize
	}
	switch {
	case o.Concurrency < 0:
		return o, fmt.Errorf("ocl: concurrency %d is negative", o.Concurrency)
	case o.Concurrency == 0:
		o.Concurrency = defaultConcurrency
	}
	return o, nil
}

// ListConcepts lists the concepts of a version (verbose, so with names) and calls fn with
// each page, in page order, one page at a time. Page 1 says how many pages there are;
// the others are fetched with at most opts.Concurrency requests in flight and at most as
// many pages waiting for fn. An error from fn stops the listing and is returned.
//
// The listing fails if the number of concepts seen differs from what page 1 announced
// (the version changed while it was read, as HEAD can).
func (c *Client) ListConcepts(ctx context.Context, org, source, version string, fn func(page []Concept) error, opts ListOptions) error {
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	q := url.Values{"verbose": {"true"}}
	if opts.IncludeMappings {
		q.Set("includeMappings", "true")
	}
	if opts.IncludeRetired {
		q.Set("includeRetired", "true")
	}
	return checkedListing(listPages(ctx, c, sourcePath(org, source, version, "concepts"), q, opts, fn))
}

// ListMappings lists the mappings of a version like ListConcepts lists concepts.
func (c *Client) ListMappings(ctx context.Context, org, source, version string, fn func(page []Mapping) error, opts ListOptions) error {
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	q := url.Values{"verbose": {"true"}}
	if opts.IncludeRetired {
		q.Set("includeRetired", "true")
	}
	return checkedListing(listPages(ctx, c, sourcePath(org, source, version, "mappings"), q, opts, fn))
}

// listing is what one read of a listing saw.
type listing struct {
	path     string
	numFound int // what page 1 announced; -1 when it did not say
	served   int
}

// checkedListing fails a read that served another number of items than announced.
func checkedListing(l listing, err error) error {
	if err != nil {
		return err
	}
	if l.numFound >= 0 && l.served != l.numFound {
		return fmt.Errorf("ocl: listing %s: OCL announced %d items but served %d (did the version change while it was read?)",
			l.path, l.numFound, l.served)
	}
	return nil
}

// pageInfo is what OCL's listing headers say about the whole listing; -1 when absent.
type pageInfo struct {
	numFound int
	pages    int
	next     string
}

func readPageInfo(h http.Header, pageSize int) pageInfo {
	info := pageInfo{numFound: headerInt(h, "num_found"), pages: headerInt(h, "pages"), next: h.Get("next")}
	if info.pages < 0 && info.numFound >= 0 && pageSize > 0 {
		info.pages = (info.numFound + pageSize - 1) / pageSize
	}
	return info
}

// hasPageAfter reports whether another page follows page, which held got items.
func (p pageInfo) hasPageAfter(page, got int) bool {
	if p.pages >= 0 {
		return page < p.pages
	}
	return got > 0 && p.next != "" && !strings.EqualFold(p.next, "None")
}

func headerInt(h http.Header, name string) int {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

type pageResult[T any] struct {
	items []T
	err   error
}

// listPages reads page 1, then the rest through a window of opts.Concurrency pages: each
// page gets its own result channel, queued in page order, so delivery stays ordered while
// fetches overlap, and the queue's capacity bounds the pages held.
func listPages[T any](ctx context.Context, c *Client, segments []string, q url.Values, opts ListOptions, fn func([]T) error) (listing, error) {
	l := listing{path: strings.Join(segments, "/"), numFound: -1}
	first, info, err := fetchPage[T](ctx, c, segments, q, opts.PageSize, 1)
	if err != nil {
		return l, err
	}
	if info.pages < 0 && info.hasPageAfter(1, len(first)) {
		return l, fmt.Errorf("ocl: listing %s: OCL sent neither num_found nor pages headers", l.path)
	}
	l.numFound = info.numFound
	seen := len(first)
	if err := fn(first); err != nil {
		return l, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The consumer holds one page's channel while the queue holds the others: at most
	// opts.Concurrency fetches in flight or pages waiting.
	queue := make(chan chan pageResult[T], opts.Concurrency-1)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(queue)
		for page := 2; page <= info.pages && ctx.Err() == nil; page++ {
			result := make(chan pageResult[T], 1)
			select {
			case queue <- result:
			case <-ctx.Done():
				return
			}
			wg.Go(func() {
				items, _, err := fetchPage[T](ctx, c, segments, q, opts.PageSize, page)
				result <- pageResult[T]{items, err}
			})
		}
	})
	var firstErr error
	for result := range queue {
		if firstErr != nil {
			continue // drain so the producer can finish
		}
		r := <-result
		if r.err == nil {
			seen += len(r.items)
			r.err = fn(r.items)
		}
		if r.err != nil {
			firstErr = r.err
			cancel()
		}
	}
	wg.Wait()
	l.served = seen
	return l, firstErr
}

func fetchPage[T any](ctx context.Context, c *Client, segments []string, q url.Values, pageSize, page int) ([]T, pageInfo, error) {
	pq := url.Values{}
	for k, v := range q {
		pq[k] = v
	}
	pq.Set("limit", strconv.Itoa(pageSize))
	pq.Set("page", strconv.Itoa(page))
	u, err := c.endpoint(pq, segments...)
	if err != nil {
		return nil, pageInfo{}, err
	}
	var items []T
	r := request{method: http.MethodGet, url: u, idempotent: true}
	header, err := c.doJSON(ctx, r, &items, nil, http.StatusOK)
	if err != nil {
		return nil, pageInfo{}, err
	}
	if got := headerInt(header, "page_number"); got >= 0 && got != page {
		return nil, pageInfo{}, fmt.Errorf("ocl: GET %s: asked page %d, OCL served page %d", logPath(u), page, got)
	}
	if len(items) > pageSize {
		return nil, pageInfo{}, fmt.Errorf("ocl: GET %s: asked %d items, OCL served %d", logPath(u), pageSize, len(items))
	}
	return items, readPageInfo(header, pageSize), nil
}

// jsonBody encodes a request body.
func jsonBody(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("ocl: encoding the request: %w", err)
	}
	return b, nil
}
