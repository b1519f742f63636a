package ocltest_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

func TestPageLatencyDelaysListingPagesOnly(t *testing.T) {
	const base, jitter = 150 * time.Millisecond, 50 * time.Millisecond
	srv := newServer(t, ocltest.WithPageLatency(ocltest.PageLatency{Base: base, Jitter: jitter, Seed: 7}))
	src := srv.URL() + "/orgs/CIEL/sources/CIEL/"

	start := time.Now()
	send(t, http.MethodGet, src, "", "")
	send(t, http.MethodHead, src+"concepts/", "", "")
	assert.Less(t, time.Since(start), base, "the source and a HEAD of a listing are not delayed")
	assert.Zero(t, srv.PageWaits().Pages)

	start = time.Now()
	resp := send(t, http.MethodGet, src+"mappings/?limit=10", "", "")
	took := time.Since(start)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	waits := srv.PageWaits()
	assert.Equal(t, 1, waits.Pages)
	assert.GreaterOrEqual(t, waits.Total, base)
	assert.Less(t, waits.Total, base+jitter)
	assert.GreaterOrEqual(t, took, waits.Total, "the page waited what the fake drew")
}

func TestPagesAskedTogetherWaitTogether(t *testing.T) {
	const base, pages = 300 * time.Millisecond, 3
	srv := newServer(t, ocltest.WithPageLatency(ocltest.PageLatency{Base: base}))
	url := srv.URL() + "/orgs/CIEL/sources/CIEL/concepts/?limit=20&page="

	start := time.Now()
	var wg sync.WaitGroup
	for page := 1; page <= pages; page++ {
		wg.Go(func() {
			resp, err := http.Get(url + strconv.Itoa(page))
			if assert.NoError(t, err) {
				resp.Body.Close()
				assert.Equal(t, http.StatusOK, resp.StatusCode)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)

	waits := srv.PageWaits()
	assert.Equal(t, ocltest.PageWaits{Pages: pages, Total: pages * base, Slowest: base}, waits)
	assert.GreaterOrEqual(t, took, base)
	assert.Less(t, took, 2*base, "three pages at once took about one page's wait, not the sum of %v", waits.Total)
	assert.Equal(t, pages, srv.MaxInFlight())

	srv.SetPageLatency(ocltest.PageLatency{})
	start = time.Now()
	send(t, http.MethodGet, url+"1", "", "")
	assert.Less(t, time.Since(start), base, "the zero PageLatency turns the delay off")
	assert.Zero(t, srv.PageWaits().Pages)
}

func TestPageLatencyBounds(t *testing.T) {
	p := ocltest.PageLatency{Base: 2 * time.Second, Jitter: time.Second}
	assert.Equal(t, 3*time.Second, p.Max())
	assert.Equal(t, 2500*time.Millisecond, p.Mean())
}
