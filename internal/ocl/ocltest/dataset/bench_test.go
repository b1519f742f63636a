package dataset

import (
	"archive/zip"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkGenerateCIEL writes the CIEL preset's export to a file. MB/s counts
// export.json bytes; the zip and JSON sizes are reported too.
func BenchmarkGenerateCIEL(b *testing.B) {
	path := filepath.Join(b.TempDir(), "CIEL_CIEL_v2026-11-22.zip")
	var zipBytes, jsonBytes int64
	for b.Loop() {
		if _, err := WriteExportFile(path, CIEL, "v2026-11-22"); err != nil {
			b.Fatal(err)
		}
		zipBytes, jsonBytes = exportSizes(b, path)
		b.SetBytes(jsonBytes)
	}
	b.ReportMetric(float64(zipBytes), "zip-bytes")
	b.ReportMetric(float64(jsonBytes), "json-bytes")
}

// BenchmarkConcept is the cost of producing one concept with its mappings.
func BenchmarkConcept(b *testing.B) {
	d, err := New(CIEL)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		d.Concept(i % d.Len())
		i += 7919
	}
}

func exportSizes(b *testing.B, path string) (zipBytes, jsonBytes int64) {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		b.Fatal(err)
	}
	defer zr.Close()
	return fi.Size(), int64(zr.File[0].UncompressedSize64)
}
