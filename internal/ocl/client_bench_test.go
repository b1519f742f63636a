package ocl_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

func benchServer(b *testing.B, concepts int, plan ocltest.ExportPlan) (*ocltest.Server, *ocl.Client) {
	b.Helper()
	srv := ocltest.NewServer(ocltest.WithExportPlan(plan))
	b.Cleanup(srv.Close)
	srv.AddSource("CIEL", "CIEL", bigSource(concepts), []string{"en"})
	c, err := ocl.NewClient(srv.URL(), token)
	if err != nil {
		b.Fatal(err)
	}
	return srv, c
}

// BenchmarkListConcepts reads 20 pages of 1000 verbose concepts, 4 at a time.
func BenchmarkListConcepts(b *testing.B) {
	_, c := benchServer(b, 20_000, ocltest.DefaultExportPlan)
	for b.Loop() {
		n := 0
		err := c.ListConcepts(context.Background(), "CIEL", "CIEL", "HEAD", func(page []ocl.Concept) error {
			n += len(page)
			return nil
		}, ocl.ListOptions{})
		if err != nil || n != 20_000 {
			b.Fatalf("listed %d concepts: %v", n, err)
		}
	}
}

// BenchmarkDownloadExport follows a 302 to storage and saves the zip with its SHA-256.
func BenchmarkDownloadExport(b *testing.B) {
	srv, c := benchServer(b, 50_000, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	if _, err := srv.ExportZip("CIEL", "CIEL", "HEAD"); err != nil {
		b.Fatal(err)
	}
	srv.AddAdmin("CIEL", "CIEL", token)
	dest := filepath.Join(b.TempDir(), "export.zip")
	for b.Loop() {
		d, err := c.DownloadExport(context.Background(), "CIEL", "CIEL", "HEAD", dest, 1<<30)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(d.Size)
	}
}
