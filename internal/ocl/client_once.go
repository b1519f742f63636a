package ocl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
)

// ErrListingMoved: a listing kept changing while it was read, beyond the re-reads allowed.
// It is a passing condition (someone is editing the source): a later run tries again.
var ErrListingMoved = errors.New("listing kept changing while it was read")

// OnceStats says how ListConceptsOnce went.
type OnceStats struct {
	// Reads is the number of full reads of the listing (1 when nothing moved).
	Reads int
	// Repeated counts concepts served again within one read (the listing moved under it).
	Repeated int
	// LateConcepts counts concepts first seen by a re-read: the reads before missed them.
	LateConcepts int
	// Concepts is the number of distinct concepts handed to fn.
	Concepts int
}

// Moved reports whether the listing moved at least once while it was read.
func (s OnceStats) Moved() bool { return s.Reads > 1 }

// ListingMovedError is ErrListingMoved with what the last read saw.
type ListingMovedError struct {
	Path     string
	Reads    int
	Repeated int // in the last read
	Distinct int // concepts the last read served
	NumFound int // what its page 1 announced
}

func (e *ListingMovedError) Error() string {
	return fmt.Sprintf("ocl: listing %s: %v: %d reads, and the last still served %d concepts twice and %d distinct of %d announced",
		e.Path, ErrListingMoved, e.Reads, e.Repeated, e.Distinct, e.NumFound)
}

// Unwrap lets errors.Is match ErrListingMoved.
func (e *ListingMovedError) Unwrap() error { return ErrListingMoved }

// ListConceptsOnce lists the concepts of a version like ListConcepts and hands fn every
// concept exactly once (by id), even when the version is edited while it is read.
//
// OCL orders HEAD's listing by last edit and pages it by offset (OpenConceptLab/oclapi2
// core/common/views.py: default_qs_sort_attr = '-updated_at', page and limit):
// an edit during a long read moves that concept to page 1, shifting the pages already
// read by one, so one concept is served twice and another never while num_found still
// matches. A concept served twice within a read, or a read whose distinct concepts
// differ from what it announced, shows the listing moved: it is read again, up to
// rereads more times, and only concepts not handed over yet go to fn. A read in which
// nothing moved saw every concept, so after it none is missing. When every read moved,
// the error is a *ListingMovedError.
func (c *Client) ListConceptsOnce(ctx context.Context, org, source, version string, fn func(page []Concept) error, opts ListOptions, rereads int) (OnceStats, error) {
	var stats OnceStats
	if rereads < 0 {
		return stats, fmt.Errorf("ocl: re-reads %d is negative", rereads)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return stats, err
	}
	q := url.Values{"verbose": {"true"}}
	if opts.IncludeMappings {
		q.Set("includeMappings", "true")
	}
	if opts.IncludeRetired {
		q.Set("includeRetired", "true")
	}
	segments := sourcePath(org, source, version, "concepts")
	delivered := map[string]bool{}
	var last *ListingMovedError
	for read := 1; read <= rereads+1; read++ {
		stats.Reads = read
		inThisRead := map[string]bool{}
		repeated := 0
		l, err := listPages(ctx, c, segments, q, opts, func(page []Concept) error {
			fresh := page[:0:0]
			for _, concept := range page {
				if inThisRead[concept.ID] {
					repeated++
					continue
				}
				inThisRead[concept.ID] = true
				if delivered[concept.ID] {
					continue
				}
				delivered[concept.ID] = true
				if read > 1 {
					stats.LateConcepts++
				}
				fresh = append(fresh, concept)
			}
			stats.Concepts += len(fresh)
			if len(fresh) == 0 {
				return nil
			}
			return fn(fresh)
		})
		if err != nil {
			return stats, err
		}
		stats.Repeated += repeated
		if repeated == 0 && (l.numFound < 0 || len(inThisRead) == l.numFound) {
			return stats, nil
		}
		last = &ListingMovedError{Path: l.path, Reads: read, Repeated: repeated, Distinct: len(inThisRead), NumFound: l.numFound}
		c.log.Warn("listing moved while it was read", "path", l.path, "read", read, "served_twice", repeated,
			"distinct", len(inThisRead), "announced", l.numFound)
	}
	return stats, last
}
