package exportfile

import (
	"archive/zip"
	"bytes"
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
// inflating the same entry with archive/zip to io.Discard, measured alternately in the
// same run. The CPU time of each (user and system, all goroutines) is reported too:
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
	var inflate, decode, inflateCPU, decodeCPU time.Duration
	var size int64
	for b.Loop() {
		start, cpu := time.Now(), cpuTime()
		size = inflateOnly(b, path)
		inflate += time.Since(start)
		inflateCPU += cpuTime() - cpu
		start, cpu = time.Now(), cpuTime()
		decodeOnly(b, path)
		decode += time.Since(start)
		decodeCPU += cpuTime() - cpu
	}
	b.SetBytes(size)
	n := float64(b.N)
	b.ReportMetric(inflate.Seconds()/n, "inflate-s")
	b.ReportMetric(decode.Seconds()/n, "decode-s")
	b.ReportMetric(decode.Seconds()/inflate.Seconds(), "decode/inflate")
	b.ReportMetric(inflateCPU.Seconds()/n, "inflate-cpu-s")
	b.ReportMetric(decodeCPU.Seconds()/n, "decode-cpu-s")
}

// inflateOnly is the baseline: the standard library's zip reader to io.Discard.
func inflateOnly(b *testing.B, path string) int64 {
	zr, err := zip.OpenReader(path)
	if err != nil {
		b.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != EntryName {
			continue
		}
		rc, err := f.Open()
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
	b.Fatalf("%s has no %s", path, EntryName)
	return 0
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

// BenchmarkGuardExport inflates the export named by SHEPHERD_BENCH_EXPORT through the
// guard alone, in reads of chunkSize as the fast pass makes them, and reports its CPU
// time against inflating with the same reader to io.Discard, measured alternately, so
// that the difference is the guard's:
//
//	SHEPHERD_BENCH_EXPORT=/tmp/ciel.zip go test -run '^$' -bench BenchmarkGuardExport -benchtime 3x ./internal/ocl/exportfile/
func BenchmarkGuardExport(b *testing.B) {
	path := os.Getenv("SHEPHERD_BENCH_EXPORT")
	if path == "" {
		b.Skip("SHEPHERD_BENCH_EXPORT names an existing export to inflate and guard")
	}
	var inflateCPU, guardCPU time.Duration
	var size int64
	buf := make([]byte, chunkSize)
	for b.Loop() {
		cpu := cpuTime()
		withDocument(b, path, func(doc io.Reader) {
			n, err := io.Copy(io.Discard, doc)
			if err != nil {
				b.Fatal(err)
			}
			size = n
		})
		inflateCPU += cpuTime() - cpu
		cpu = cpuTime()
		withDocument(b, path, func(doc io.Reader) { guardAll(b, doc, buf) })
		guardCPU += cpuTime() - cpu
	}
	b.SetBytes(size)
	n := float64(b.N)
	b.ReportMetric(inflateCPU.Seconds()/n, "inflate-cpu-s")
	b.ReportMetric(guardCPU.Seconds()/n, "inflate+guard-cpu-s")
}

// BenchmarkGuardOnly guards the first 256 MiB of the export named by
// SHEPHERD_BENCH_EXPORT, inflated into memory beforehand, so that its time is the
// guard's alone (cpu-s is its CPU time per pass):
//
//	SHEPHERD_BENCH_EXPORT=/tmp/ciel.zip go test -run '^$' -bench BenchmarkGuardOnly ./internal/ocl/exportfile/
func BenchmarkGuardOnly(b *testing.B) {
	path := os.Getenv("SHEPHERD_BENCH_EXPORT")
	if path == "" {
		b.Skip("SHEPHERD_BENCH_EXPORT names an existing export to guard")
	}
	var doc []byte
	withDocument(b, path, func(r io.Reader) {
		var err error
		if doc, err = io.ReadAll(io.LimitReader(r, 256<<20)); err != nil {
			b.Fatal(err)
		}
	})
	buf := make([]byte, chunkSize)
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		guardAll(b, bytes.NewReader(doc), buf)
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s")
}

// withDocument hands fn the export's JSON as every pass reads it (Source.Reader).
func withDocument(b *testing.B, path string, fn func(io.Reader)) {
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
	fn(rc)
}

// guardAll reads doc through a guard to its end, in reads of len(buf).
func guardAll(b *testing.B, doc io.Reader, buf []byte) {
	g := newGuard(context.Background(), doc, 0)
	for {
		_, err := readFull(g, buf)
		g.ends = g.ends[:0]
		if err == io.EOF {
			return
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
