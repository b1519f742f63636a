package export

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// benchContent generates CIEL-like concepts on demand: names in three locales, a
// description, numeric extras on every fifth concept, answers, set members and
// reference maps to two external sources.
type benchContent struct{ n int }

func (b benchContent) Len() int { return b.n }

func (b benchContent) Concept(i int) (ocl.Concept, []ocl.Mapping) {
	id := strconv.Itoa(i + 1)
	c := ocl.Concept{ID: id, ExternalID: fmt.Sprintf("%sAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", fmt.Sprintf("%06d", i+1)),
		ConceptClass: "Diagnosis", Datatype: "Coded",
		Names: []ocl.Name{
			{Name: "Concept number " + id + " with a fairly long clinical name", Locale: "en", LocalePreferred: true, NameType: "FULLY_SPECIFIED", ExternalID: id + "-n1"},
			{Name: "C" + id, Locale: "en", NameType: "SHORT", ExternalID: id + "-n2"},
			{Name: "Concept numéro " + id, Locale: "fr", LocalePreferred: true, NameType: "FULLY_SPECIFIED", ExternalID: id + "-n3"},
			{Name: "Synonym 'quoted' " + id, Locale: "en", ExternalID: id + "-n4"},
		},
		Descriptions: []ocl.Description{{Description: "A description of concept " + id + "\nover two lines.", Locale: "en", ExternalID: id + "-d1"}},
	}
	if i%5 == 0 {
		c.Datatype, c.ConceptClass = "Numeric", "Test"
		c.Extras = extras("units", "mg/dL", "hi_normal", 5.5, "low_normal", 1.2, "allow_decimal", true)
	}
	maps := []ocl.Mapping{
		{ID: id + "-m1", ExternalID: id + "-m1", MapType: "SAME-AS", FromConceptCode: id, ToSourceName: "SNOMED CT", ToConceptCode: strconv.Itoa(100000 + i)},
		{ID: id + "-m2", ExternalID: id + "-m2", MapType: "NARROWER-THAN", FromConceptCode: id, ToSourceName: "ICD-10-WHO", ToConceptCode: fmt.Sprintf("A%02d.%d", i%100, i%10)},
	}
	if i > 2 {
		w := float64(i % 7)
		maps = append(maps,
			ocl.Mapping{ID: id + "-m3", ExternalID: id + "-m3", MapType: "Q-AND-A", FromConceptCode: id, ToSourceName: "CIEL", ToConceptCode: strconv.Itoa(i - 1), SortWeight: &w},
			ocl.Mapping{ID: id + "-m4", ExternalID: id + "-m4", MapType: "CONCEPT-SET", FromConceptCode: id, ToSourceName: "CIEL", ToConceptCode: strconv.Itoa(i - 2)},
			ocl.Mapping{ID: id + "-m5", ExternalID: id + "-m5", MapType: "Associated with", FromConceptCode: id, ToSourceName: "CIEL", ToConceptCode: strconv.Itoa(i)})
	}
	return c, maps
}

// BenchmarkWriteSQL reports MB/s of export.json turned into SQL (one format).
func BenchmarkWriteSQL(b *testing.B) {
	for _, n := range []int{5000} {
		b.Run(fmt.Sprintf("concepts=%d", n), func(b *testing.B) {
			path := writeContent(b, fixtureVersion, benchContent{n: n})
			jsonSize := exportJSONSize(b, path)
			b.SetBytes(jsonSize)
			b.ReportAllocs()
			var sqlBytes int64
			for b.Loop() {
				w := &countingWriter{}
				if _, err := WriteSQL(context.Background(), path, FormatOpenMRS2, w, SQLOptions{}); err != nil {
					b.Fatal(err)
				}
				sqlBytes = w.n
			}
			b.ReportMetric(float64(sqlBytes)/float64(jsonSize), "sql-bytes/json-byte")
		})
	}
}

// BenchmarkDecodeFloor is the same export only decoded, to read WriteSQL against.
func BenchmarkDecodeFloor(b *testing.B) {
	path := writeContent(b, fixtureVersion, benchContent{n: 5000})
	b.SetBytes(exportJSONSize(b, path))
	b.ReportAllocs()
	for b.Loop() {
		src, err := exportfile.Open(path, exportfile.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		r, err := src.Reader()
		if err != nil {
			b.Fatal(err)
		}
		_, err = exportfile.Decode(context.Background(), r, src.Name(), exportfile.Handler{
			Version: func(*ocl.SourceVersion) error { return nil },
			Concept: func(*ocl.Concept) error { return nil },
			Mapping: func(*ocl.Mapping) error { return nil },
		})
		r.Close()
		src.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}

func exportJSONSize(b *testing.B, path string) int64 {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	r, err := zipEntry(f, fi.Size())
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func zipEntry(f *os.File, size int64) (io.Reader, error) {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return nil, err
	}
	return zr.File[0].Open()
}

// BenchmarkSQLWithIDMapCIELScale builds a CIEL-size export (dataset.CIEL, about 55,000
// concepts and 300,000 mappings) in both formats on the id map of a previous release of
// the same size, and reports the process's peak RSS. The export is read from
// SHEPHERD_BENCH_EXPORT (made once with dataset.WriteExportFile when missing) so that the
// generator's memory is not counted; run it alone, with -benchtime=1x:
//
//	SHEPHERD_BENCH_EXPORT=/tmp/ciel.zip go test -run X -bench BenchmarkSQLWithIDMapCIELScale -benchtime=1x ./internal/export/
func BenchmarkSQLWithIDMapCIELScale(b *testing.B) {
	path := os.Getenv("SHEPHERD_BENCH_EXPORT")
	if path == "" {
		b.Skip("SHEPHERD_BENCH_EXPORT names the CIEL-size export to build (made when missing)")
	}
	if _, err := os.Stat(path); err != nil {
		if _, err := dataset.WriteExportFile(path, dataset.CIEL, "v2026-11-22"); err != nil {
			b.Fatal(err)
		}
		b.Skip("the export was generated; run again to measure without the generator's memory")
	}
	dir := b.TempDir()
	previous := filepath.Join(dir, "previous.idmap.gz")
	// The previous release's map: the same dictionary one version earlier.
	if _, err := Build(context.Background(), path, filepath.Join(dir, "a"), Formats, SQLOptions{Version: "v2026-10-01", IDMapOut: previous}); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	for b.Loop() {
		out := filepath.Join(dir, "b")
		os.RemoveAll(out)
		arts, err := Build(context.Background(), path, out, Formats, SQLOptions{PreviousIDMap: previous, IDMapOut: filepath.Join(dir, "next.idmap.gz")})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(arts[0].Size)/1e6, "zip-MB")
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)*1024/1e6, "peak-RSS-MB") // Linux reports KiB
	}
	if fi, err := os.Stat(previous); err == nil {
		b.ReportMetric(float64(fi.Size())/1e6, "idmap-MB")
	}
}

// BenchmarkCIELScale times each SQL format (WriteSQL into a discarding writer) and a
// release build (both formats zipped) on the CIEL-size export named by
// SHEPHERD_BENCH_EXPORT, each against inflating the same export's export.json with
// archive/zip in the same process just before, the baseline internal/bench calls
// inflate. Run one operation per process so that its peak RSS is its own:
//
//	SHEPHERD_BENCH_EXPORT=/tmp/ciel.zip go test -run X -bench 'BenchmarkCIELScale/sql-2' -benchtime=1x ./internal/export/
func BenchmarkCIELScale(b *testing.B) {
	path := os.Getenv("SHEPHERD_BENCH_EXPORT")
	if path == "" {
		b.Skip("SHEPHERD_BENCH_EXPORT names the CIEL-size export (see BenchmarkSQLWithIDMapCIELScale)")
	}
	ops := []struct {
		name string
		run  func(b *testing.B) int64
	}{
		{"sql-1.11", func(b *testing.B) int64 { return benchWriteSQL(b, path, FormatOpenMRS111) }},
		{"sql-2", func(b *testing.B) int64 { return benchWriteSQL(b, path, FormatOpenMRS2) }},
		{"build", func(b *testing.B) int64 {
			arts, err := Build(context.Background(), path, b.TempDir(), Formats, SQLOptions{})
			if err != nil {
				b.Fatal(err)
			}
			return arts[0].Size + arts[1].Size
		}},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				start := time.Now()
				exportJSONSize(b, path)
				inflate := time.Since(start)
				b.StartTimer()
				start = time.Now()
				n := op.run(b)
				took := time.Since(start)
				b.ReportMetric(inflate.Seconds(), "inflate-s")
				b.ReportMetric(took.Seconds(), "op-s")
				b.ReportMetric(took.Seconds()/inflate.Seconds(), "x-inflate")
				b.ReportMetric(float64(n)/1e6, "out-MB")
			}
			var ru syscall.Rusage
			if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
				b.ReportMetric(float64(ru.Maxrss)*1024/1e6, "peak-RSS-MB") // Linux reports KiB
			}
		})
	}
}

func benchWriteSQL(b *testing.B, path string, f Format) int64 {
	w := &countingWriter{}
	if _, err := WriteSQL(context.Background(), path, f, w, SQLOptions{}); err != nil {
		b.Fatal(err)
	}
	return w.n
}
