package bench_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shepherd-release/shepherd/internal/bench"
	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/store"
	"github.com/shepherd-release/shepherd/internal/store/miniotest"
)

const loadTestDSN = "root@tcp(127.0.0.1:3306)/"

// BenchmarkServicesCIELScale measures what a release spends on the real services with
// CIEL-size artifacts: loading each SQL file into a fresh MariaDB database (with the
// foreign-key and row-count checks), and uploading the files to MinIO, beside writing the
// same bytes to a local file as the baseline for the upload.
func BenchmarkServicesCIELScale(b *testing.B) {
	ctx := context.Background()
	exportPath := cachedExport(b, dataset.CIEL)
	out := b.TempDir()
	start := time.Now()
	arts, err := export.Build(ctx, exportPath, out, export.Formats, export.SQLOptions{})
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("\nbuilt %d SQL artifacts in %.1fs\n", len(arts), time.Since(start).Seconds())

	var lines []string
	b.ResetTimer()
	for range b.N {
		lines = lines[:0]
		for _, a := range arts {
			res, err := export.LoadTest(ctx, export.LoadOptions{DSN: loadTestDSN, SQLZip: a.Path, Expected: *a.Counts})
			if err != nil {
				lines = append(lines, fmt.Sprintf("load %-40s not measured: %v", a.Name, err))
				continue
			}
			var rows int64
			for _, n := range res.Rows {
				rows += n
			}
			secs := res.Duration.Seconds()
			b.ReportMetric(secs, "load-"+string(a.Format)+"-s")
			lines = append(lines, fmt.Sprintf("load %-40s %7.1fs  %9d rows  %8.0f rows/s", a.Name, secs, rows, float64(rows)/secs))
		}

		s3 := miniotest.Start(b)
		st, err := store.New(store.Config{Endpoint: s3.Endpoint, DisableTLS: true, PathStyle: true, Bucket: "bench", PartSize: 16 << 20},
			store.WithStaticCredentials(s3.AccessKey, s3.SecretKey))
		if err != nil {
			b.Fatal(err)
		}
		if err := st.(*store.S3).EnsureBucket(ctx); err != nil {
			b.Fatal(err)
		}
		var bytes int64
		var diskTime, uploadTime time.Duration
		for _, a := range arts {
			t0 := time.Now()
			if err := copyToDisk(a.Path, filepath.Join(out, "copy-"+a.Name)); err != nil {
				b.Fatal(err)
			}
			diskTime += time.Since(t0)
			f, err := os.Open(a.Path)
			if err != nil {
				b.Fatal(err)
			}
			t0 = time.Now()
			// Unknown size: the multipart path a streamed upload takes.
			_, err = st.Put(ctx, "releases/v2026-11-22/"+a.Name, f, -1, a.SHA256, "application/zip")
			uploadTime += time.Since(t0)
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			bytes += a.Size
		}
		mb := float64(bytes) / (1 << 20)
		b.ReportMetric(mb/uploadTime.Seconds(), "upload-MB/s")
		b.ReportMetric(mb/diskTime.Seconds(), "disk-MB/s")
		lines = append(lines,
			fmt.Sprintf("upload to MinIO  %.1f MB in %.2fs: %6.1f MB/s (16 MiB parts, size unknown)", mb, uploadTime.Seconds(), mb/uploadTime.Seconds()),
			fmt.Sprintf("local disk copy  %.1f MB in %.2fs: %6.1f MB/s (baseline)", mb, diskTime.Seconds(), mb/diskTime.Seconds()),
			fmt.Sprintf("upload / disk    %.2f× the time", uploadTime.Seconds()/diskTime.Seconds()))
		s3.Stop()
	}
	b.StopTimer()
	fmt.Printf("\nservices at CIEL scale (load average %s):\n%s\n", bench.LoadAverage(), strings.Join(lines, "\n"))
}

func copyToDisk(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
