package qa

import (
	"context"

	"github.com/shepherd-release/shepherd/internal/memlimit"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
)

// checkMemoryFloor is the soft memory limit CheckExport starts from (internal/memlimit).
// The engine keeps about 23 MB at CIEL scale and 87 MB at four times it, in pointer-free
// arrays the collector marks without scanning, and decoding adds batches in flight; with
// the runtime's default headroom the heap would grow to twice the live size before a
// collection, which at several times CIEL's size is what dominates the peak. Above
// about 83 MiB live the limit follows the live heap.
const checkMemoryFloor = 104 << 20

// CheckExport runs QA over an export file (a zip holding export.json, or the JSON
// itself). Errors from the file come back as they are: they name the file and the place.
func CheckExport(ctx context.Context, path string, opts Options) (*Report, error) {
	if opts.Input == "" {
		opts.Input = InputExport
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	defer memlimit.Follow(checkMemoryFloor)()
	src, err := exportfile.Open(path, opts.ExportLimits)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	e := NewEngine(opts)
	e.deferUUIDOwners() // the file can be read a second time
	_, err = src.Decode(ctx, exportfile.Handler{
		Version: func(v *ocl.SourceVersion) error { e.SetVersion(v); return nil },
		Concept: func(c *ocl.Concept) error { e.Concept(c); return nil },
		Mapping: func(m *ocl.Mapping) error { e.Mapping(m); return nil },
		// A value of the wrong JSON type is a finding (JS-01), not a broken export.
		KeepWrongTypes: true,
		Reuse:          true, // the engine keeps no pointer to a concept or mapping
	})
	if err != nil {
		return nil, err
	}
	err = e.resolveUUIDOwners(func(concept func(*ocl.Concept) error, mapping func(*ocl.Mapping) error, mappings bool) error {
		h := exportfile.Handler{Concept: concept, KeepWrongTypes: true, Reuse: true}
		if mappings {
			h.Mapping = mapping
		}
		_, err := src.Decode(ctx, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	return e.Finish(), nil
}

// APISource is a source version read through the OCL API: its metadata, then its
// concepts page by page in source order, each with its mappings.
type APISource interface {
	Version(ctx context.Context) (*ocl.SourceVersion, error)
	Concepts(ctx context.Context, fn func(page []ocl.Concept) error) error
}

// CheckAPI runs QA over a source version read through the API.
func CheckAPI(ctx context.Context, src APISource, opts Options) (*Report, error) {
	if opts.Input == "" {
		opts.Input = InputAPI
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	v, err := src.Version(ctx)
	if err != nil {
		return nil, err
	}
	e := NewEngine(opts)
	e.SetVersion(v)
	err = src.Concepts(ctx, func(page []ocl.Concept) error {
		for i := range page {
			e.Concept(&page[i])
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	return e.Finish(), nil
}
