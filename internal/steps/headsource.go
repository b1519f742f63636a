// Package steps wires the parts of Shepherd into the steps of a release, in the order
// a release runs them. Bot subcommands and GitHub Actions call these functions.
package steps

import (
	"context"
	"fmt"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/qa"
)

// APISource reads a source version through the OCL API for QA: the version's metadata
// (for its supported locales) and its concepts with their mappings, page by page.
type APISource struct {
	Client                 *ocl.Client
	Org, Source, VersionID string
	// Concurrency bounds the pages in flight.
	Concurrency int
	// PageSize is the number of concepts per page (0: OCL's largest, 1000).
	PageSize int
	// Rereads is how many times a listing that moved while it was read is read again.
	Rereads int
	// Read says how the last listing went: how many reads it took.
	Read ocl.OnceStats
}

// NewAPISource reads a version of a source through c, with the listing settings of cfg.
func NewAPISource(c *ocl.Client, cfg *manifest.Config, org, source, version string) *APISource {
	return &APISource{Client: c, Org: org, Source: source, VersionID: version,
		PageSize: cfg.OCL.PageSize, Rereads: cfg.OCL.ListingRereads}
}

// CheckAPI runs QA on the source and notes in the report when the listing moved while it
// was read.
func CheckAPI(ctx context.Context, src *APISource, opts qa.Options) (*qa.Report, error) {
	report, err := qa.CheckAPI(ctx, src, opts)
	if err != nil {
		return nil, err
	}
	if note := src.ReadNote(); note != "" {
		report.Summary.Notes = append(report.Summary.Notes, note)
	}
	return report, nil
}

// OCLOptions are the client settings the configuration gives: the token's variable, named
// when OCL asks for authentication, and the longest wait for an answer.
func OCLOptions(cfg *manifest.Config) []ocl.Option {
	return []ocl.Option{ocl.WithTokenEnv(cfg.OCL.TokenEnv), ocl.WithAnswerTimeout(cfg.OCL.RequestTimeout)}
}

// Version reads the version's metadata.
func (s *APISource) Version(ctx context.Context) (*ocl.SourceVersion, error) {
	return s.Client.GetVersion(ctx, s.Org, s.Source, s.VersionID)
}

// Concepts hands over every concept exactly once, retired ones and mappings included,
// even when the version (HEAD) is edited while it is read: see ocl.ListConceptsOnce.
func (s *APISource) Concepts(ctx context.Context, fn func(page []ocl.Concept) error) error {
	var err error
	s.Read, err = s.Client.ListConceptsOnce(ctx, s.Org, s.Source, s.VersionID, fn, ocl.ListOptions{
		PageSize:        s.PageSize,
		Concurrency:     s.Concurrency,
		IncludeMappings: true,
		IncludeRetired:  true,
	}, s.Rereads)
	return err
}

// ReadNote says, for the report, that the listing moved while it was read; "" when it
// did not.
func (s *APISource) ReadNote() string {
	if !s.Read.Moved() {
		return ""
	}
	return fmt.Sprintf("%s/%s %s changed while it was read: it took %d reads to see every concept once "+
		"(%d served twice and skipped, %d found only by a later read)",
		s.Org, s.Source, s.VersionID, s.Read.Reads, s.Read.Repeated, s.Read.LateConcepts)
}
