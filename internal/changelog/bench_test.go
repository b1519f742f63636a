package changelog_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/changelog"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// BenchmarkChangelogCIELScale does what a release does at CIEL's size (dataset.CIEL,
// about 55,000 concepts and 300,000 mappings): index the new export, write the index,
// read the previous release's index and compare, then render every form. It reports each
// part's time, the index's size and the process's peak RSS. The exports are read from
// SHEPHERD_BENCH_EXPORT (the previous release) and the same path with ".revised.zip"
// added (the release after it, dataset.Revise with a few hundred edits), made once when
// missing so that the generator's memory is not counted; run it alone, with -benchtime=1x:
//
//	SHEPHERD_BENCH_EXPORT=/tmp/ciel.zip go test -run X -bench BenchmarkChangelogCIELScale -benchtime=1x ./internal/changelog/
func BenchmarkChangelogCIELScale(b *testing.B) {
	oldPath := os.Getenv("SHEPHERD_BENCH_EXPORT")
	if oldPath == "" {
		b.Skip("SHEPHERD_BENCH_EXPORT names the CIEL-size export to compare (made when missing)")
	}
	newPath := oldPath + ".revised.zip"
	_, errOld := os.Stat(oldPath)
	_, errNew := os.Stat(newPath)
	if errOld != nil || errNew != nil {
		if _, err := dataset.WriteExportFile(oldPath, dataset.CIEL, "v2026-11-22"); err != nil {
			b.Fatal(err)
		}
		d, err := dataset.New(dataset.CIEL)
		if err != nil {
			b.Fatal(err)
		}
		rev, err := dataset.Revise(d, dataset.Edits{Add: 300, Retire: 100, Unretire: 20, Datatype: 20, Class: 20,
			RemoveAnswer: 50, AddMember: 50, ChangeMapping: 200, Rename: 200})
		if err != nil {
			b.Fatal(err)
		}
		err = atomicfile.Write(newPath, 0o644, func(w io.Writer) error { return ocltest.WriteExport(w, d.Version("v2026-12-20"), rev) })
		if err != nil {
			b.Fatal(err)
		}
		b.Skip("the exports were generated; run again to measure without the generator's memory")
	}
	dir := b.TempDir()
	oldIndex := dir + "/old.index.gz"
	ix, err := changelog.Build(context.Background(), oldPath, exportfile.DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	if err := ix.WriteFile(oldIndex); err != nil {
		b.Fatal(err)
	}
	ix = nil
	runtime.GC()
	for b.Loop() {
		start := time.Now()
		ix, err := changelog.Build(context.Background(), newPath, exportfile.DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		built := time.Now()
		if err := ix.WriteFile(dir + "/new.index.gz"); err != nil {
			b.Fatal(err)
		}
		written := time.Now()
		old, err := changelog.ReadIndexFile(oldIndex)
		if err != nil {
			b.Fatal(err)
		}
		read := time.Now()
		cl, err := changelog.Compare(old, ix)
		if err != nil {
			b.Fatal(err)
		}
		compared := time.Now()
		var md, html, js bytes.Buffer
		if err := cl.Markdown(&md); err != nil {
			b.Fatal(err)
		}
		if err := cl.HTML(&html); err != nil {
			b.Fatal(err)
		}
		if err := cl.JSON(&js); err != nil {
			b.Fatal(err)
		}
		rendered := time.Now()
		b.ReportMetric(built.Sub(start).Seconds(), "index-s")
		b.ReportMetric(written.Sub(built).Seconds(), "write-s")
		b.ReportMetric(read.Sub(written).Seconds(), "read-s")
		b.ReportMetric(compared.Sub(read).Seconds(), "compare-s")
		b.ReportMetric(rendered.Sub(compared).Seconds(), "render-s")
		b.ReportMetric(float64(cl.Counts.Added+cl.Counts.Retired+cl.Counts.Unretired+cl.Counts.Changed), "listed")
		b.ReportMetric(float64(js.Len())/1e6, "json-MB")
		b.ReportMetric(float64(html.Len())/1e6, "html-MB")
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)*1024/1e6, "peak-RSS-MB") // Linux reports KiB
	}
	if fi, err := os.Stat(oldIndex); err == nil {
		b.ReportMetric(float64(fi.Size())/1e6, "index-MB")
	}
}
