package exportfile

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// BenchmarkDecodeCIELScale decodes the CIEL-size export named by SHEPHERD_BENCH_EXPORT
// (made once with dataset.WriteExportFile when missing) and reports the time against
// inflating the same entry to io.Discard, measured alternately in the same run:
//
//	SHEPHERD_BENCH_EXPORT=/tmp/ciel.zip go test -run '^$' -bench BenchmarkDecodeCIELScale -benchtime 3x ./internal/ocl/exportfile/
func BenchmarkDecodeCIELScale(b *testing.B) {
	path := os.Getenv("SHEPHERD_BENCH_EXPORT")
	if path == "" {
		b.Skip("SHEPHERD_BENCH_EXPORT names the CIEL-size export to decode (made when missing)")
	}
	if _, err := os.Stat(path); err != nil {
		if _, err := dataset.WriteExportFile(path, dataset.CIEL, "v2026-11-22"); err != nil {
			b.Fatal(err)
		}
	}
	var inflate, decode time.Duration
	var size int64
	for b.Loop() {
		start := time.Now()
		size = inflateOnly(b, path)
		inflate += time.Since(start)
		start = time.Now()
		decodeOnly(b, path)
		decode += time.Since(start)
	}
	b.SetBytes(size)
	n := float64(b.N)
	b.ReportMetric(inflate.Seconds()/n, "inflate-s")
	b.ReportMetric(decode.Seconds()/n, "decode-s")
	b.ReportMetric(decode.Seconds()/inflate.Seconds(), "decode/inflate")
}

// inflateOnly is the baseline: the standard library's zip reader to io.Discard.
func inflateOnly(b *testing.B, path string) int64 {
	src, err := Open(path, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	rc, err := src.Reader()
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func decodeOnly(b *testing.B, path string) {
	src, err := Open(path, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	var concepts, mappings int
	_, err = src.Decode(context.Background(), Handler{
		Version: func(*ocl.SourceVersion) error { return nil },
		Concept: func(*ocl.Concept) error { concepts++; return nil },
		Mapping: func(*ocl.Mapping) error { mappings++; return nil },
	})
	if err != nil {
		b.Fatal(err)
	}
	if concepts == 0 || mappings == 0 {
		b.Fatalf("decoded %d concepts and %d mappings", concepts, mappings)
	}
}
