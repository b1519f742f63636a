package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// The page latency, concurrency and page size of head-qa, which these variables
// override (durations as Go writes them, "2s", "500ms"; whole numbers of pages in flight
// and of concepts per page).
const (
	EnvPageLatency = "SHEPHERD_BENCH_PAGE_LATENCY"
	EnvPageJitter  = "SHEPHERD_BENCH_PAGE_JITTER"
	EnvConcurrency = "SHEPHERD_BENCH_CONCURRENCY"
	EnvPageSize    = "SHEPHERD_BENCH_PAGE_SIZE"
)

// DefaultPageLatency is what each listing page of head-qa waits in the fake OCL. No
// measured figure of OCL's own is at hand; OCL's listing with verbose=true and
// includeMappings=true serialises every mapping with several queries, and pages of
// 1000 concepts take seconds (docs/performance.md).
var DefaultPageLatency = ocltest.PageLatency{Base: 2 * time.Second, Jitter: time.Second, Seed: 1}

// DefaultConcurrency is the pages head-qa keeps in flight: the OCL client's default.
const DefaultConcurrency = 4

// Paging is what head-qa's listing waited for in the fake OCL.
type Paging struct {
	Pages       int     `json:"pages"`
	Concurrency int     `json:"concurrency"`
	Latency     float64 `json:"latency"` // seconds: the fake's base delay per page
	Jitter      float64 `json:"jitter"`  // seconds: the most it added at random
	Waited      float64 `json:"waited"`  // seconds: the sum of the pages' delays
	Slowest     float64 `json:"slowest"` // seconds: the longest delay of a page
}

// Serial is what reading the pages one after another waits: the sum of their delays.
func (p Paging) Serial() float64 { return p.Waited }

// Windows is the number of rounds a bounded reader needs: page 1 alone (it announces
// how many pages there are, in its pages header), then the others Concurrency at a time.
func (p Paging) Windows() int {
	if p.Pages == 0 || p.Concurrency <= 0 {
		return 0
	}
	return 1 + (p.Pages-1+p.Concurrency-1)/p.Concurrency
}

// Bound is what a reader with Concurrency pages in flight waits at most when every
// round waits for its slowest page: Windows × the longest delay the fake may draw.
func (p Paging) Bound() float64 { return float64(p.Windows()) * (p.Latency + p.Jitter) }

// HeadLatency is head-qa's page latency: DefaultPageLatency unless the environment
// says otherwise.
func HeadLatency() (ocltest.PageLatency, error) {
	p := DefaultPageLatency
	for _, v := range []struct {
		env string
		to  *time.Duration
	}{{EnvPageLatency, &p.Base}, {EnvPageJitter, &p.Jitter}} {
		s := os.Getenv(v.env)
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return p, fmt.Errorf("bench: %s=%q: want a duration such as 2s or 500ms, not negative", v.env, s)
		}
		*v.to = d
	}
	return p, nil
}

// HeadConcurrency is head-qa's pages in flight: DefaultConcurrency unless the
// environment says otherwise.
func HeadConcurrency() (int, error) {
	return positiveFromEnv(EnvConcurrency, DefaultConcurrency, 64)
}

// HeadPageSize is head-qa's concepts per page: OCL's largest, ocl.MaxPageSize, unless
// the environment says otherwise.
func HeadPageSize() (int, error) {
	return positiveFromEnv(EnvPageSize, ocl.MaxPageSize, ocl.MaxPageSize)
}

func positiveFromEnv(name string, def, most int) (int, error) {
	s := os.Getenv(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > most {
		return 0, fmt.Errorf("bench: %s=%q: want a whole number from 1 to %d", name, s, most)
	}
	return n, nil
}

// runHeadQA serves the input's data set as the HEAD of a source of the fake OCL, each
// listing page delayed by HeadLatency, and runs HEAD QA on it as a release does:
// steps.CheckAPI through the OCL client, which lists the concepts (their mappings
// included) with HeadConcurrency pages in flight. The fake runs in this process, so
// its work counts in the time, CPU and memory.
func runHeadQA(ctx context.Context, in Input) (Outcome, error) {
	latency, err := HeadLatency()
	if err != nil {
		return Outcome{}, err
	}
	concurrency, err := HeadConcurrency()
	if err != nil {
		return Outcome{}, err
	}
	pageSize, err := HeadPageSize()
	if err != nil {
		return Outcome{}, err
	}
	d, err := dataset.New(in.Spec)
	if err != nil {
		return Outcome{}, err
	}
	spec := d.Spec()
	srv := ocltest.NewServer(ocltest.WithPageLatency(latency))
	defer srv.Close()
	srv.AddSource(spec.Org, spec.Source, d, spec.Locales)
	client, err := ocl.NewClient(srv.URL(), "")
	if err != nil {
		return Outcome{}, err
	}
	src := &steps.APISource{Client: client, Org: spec.Org, Source: spec.Source, VersionID: ocltest.HeadVersion,
		Concurrency: concurrency, PageSize: pageSize}
	rep, err := steps.CheckAPI(ctx, src, qa.Options{Org: spec.Org, Source: spec.Source, Version: ocltest.HeadVersion})
	if err != nil {
		return Outcome{}, err
	}
	waits := srv.PageWaits()
	s := rep.Summary
	return Outcome{
		Detail: fmt.Sprintf("%d concepts, %d mappings, %d findings; %d pages of %d, %d in flight (the fake saw at most %d)",
			s.ConceptsChecked, s.MappingsChecked, len(rep.Findings), waits.Pages, pageSize, concurrency, srv.MaxInFlight()),
		Paging: &Paging{
			Pages: waits.Pages, Concurrency: concurrency,
			Latency: latency.Base.Seconds(), Jitter: latency.Jitter.Seconds(),
			Waited: waits.Total.Seconds(), Slowest: waits.Slowest.Seconds(),
		},
	}, nil
}

// HeadMaxToBound is head-qa's target: its median time at most this multiple of Bound,
// so that the listing's time is that of its slowest pages, Concurrency at a time, and
// not the sum of every page's. The quarter above Bound is for the CPU work that does not
// hide behind the waits: the fake building each page, the client decoding it, the rules
// (about 20 CPU seconds at CIEL scale).
const HeadMaxToBound = 1.25

// pagingOf is the paging of a row's last run; nil when it has none.
func pagingOf(r Row) *Paging {
	if len(r.Runs) == 0 {
		return nil
	}
	return r.Runs[len(r.Runs)-1].Paging
}

// HeadVerdict says whether head-qa's median time is within HeadMaxToBound of Bound.
func HeadVerdict(r Row) string {
	p := pagingOf(r)
	if p == nil || p.Bound() == 0 {
		return "-"
	}
	goal := fmt.Sprintf("≤ %g × %d rounds × slowest page %v = %.1fs", HeadMaxToBound, p.Windows(), seconds(p.Latency+p.Jitter), HeadMaxToBound*p.Bound())
	var missed []string
	if got := r.Seconds(); got > HeadMaxToBound*p.Bound() {
		missed = append(missed, fmt.Sprintf("time %.1fs", got))
	}
	return goal + outcome(missed)
}

// WritePaging prints head-qa's time against what its pages waited: read one by one
// (the sum of the delays), Concurrency at a time with every round as slow as the
// average page, and as slow as the slowest page the fake may draw (Bound).
func WritePaging(w io.Writer, r Row) {
	p := pagingOf(r)
	if p == nil {
		return
	}
	t := r.Seconds()
	mean := 0.0
	if p.Pages > 0 {
		mean = p.Waited / float64(p.Pages)
	}
	perRound := float64(p.Windows()) * mean
	fmt.Fprintf(w, "%d pages, at most %d in flight, each delayed %v + up to %v (slowest drawn %.2fs, mean %.2fs)\n",
		p.Pages, p.Concurrency, seconds(p.Latency), seconds(p.Jitter), p.Slowest, mean)
	fmt.Fprintf(w, "  %-44s %8.2fs  (best %.2fs, cpu %.2fs, peak %.0f MB with the fake)\n", "head-qa, median", t, r.Best(), r.CPU(), r.PeakMB())
	for _, line := range []struct {
		what string
		secs float64
	}{
		{"pages one by one (sum of the delays)", p.Serial()},
		{fmt.Sprintf("%d rounds × mean page", p.Windows()), perRound},
		{fmt.Sprintf("%d rounds × slowest possible page", p.Windows()), p.Bound()},
	} {
		share := 0.0
		if line.secs > 0 {
			share = t / line.secs
		}
		fmt.Fprintf(w, "  %-44s %8.2fs  head-qa takes %.2f× that\n", line.what, line.secs, share)
	}
}

// seconds turns the report's seconds back into a duration, to print "2s" or "500ms".
func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond)
}
