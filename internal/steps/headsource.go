// Package steps wires the parts of Shepherd into the steps of a release, in the order
// a release runs them. Bot subcommands and GitHub Actions call these functions.
package steps

import (
	"context"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// APISource reads a source version through the OCL API for QA: the version's metadata
// (for its supported locales) and its concepts with their mappings, page by page.
type APISource struct {
	Client                 *ocl.Client
	Org, Source, VersionID string
	// Concurrency bounds the pages in flight.
	Concurrency int
}

// Version reads the version's metadata.
func (s *APISource) Version(ctx context.Context) (*ocl.SourceVersion, error) {
	return s.Client.GetVersion(ctx, s.Org, s.Source, s.VersionID)
}

// Concepts lists every concept, retired ones and mappings included, in page order.
func (s *APISource) Concepts(ctx context.Context, fn func(page []ocl.Concept) error) error {
	return s.Client.ListConcepts(ctx, s.Org, s.Source, s.VersionID, fn, ocl.ListOptions{
		PageSize:        1000,
		Concurrency:     s.Concurrency,
		IncludeMappings: true,
		IncludeRetired:  true,
	})
}
