package export

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/flate"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
)

// Artifact is a file produced for a release.
type Artifact struct {
	Name   string  `json:"name"` // relative to the output folder, '/'-separated
	Path   string  `json:"-"`    // where it is on disk
	Size   int64   `json:"size"`
	SHA256 string  `json:"sha256"`
	Format string  `json:"format,omitempty"` // "openmrs-1.11", "openmrs-2", "script:<name>", "log:<name>"
	Counts *Counts `json:"counts,omitempty"`
}

// Build writes one zipped SQL artifact per format into outDir, reading the export once.
// Each file appears under its final name only when complete.
func Build(ctx context.Context, exportPath, outDir string, formats []Format, opts SQLOptions) ([]Artifact, error) {
	if len(formats) == 0 {
		return nil, errors.New("no export format asked for")
	}
	for _, f := range formats {
		if _, err := ParseFormat(string(f)); err != nil {
			return nil, err
		}
	}
	m, err := peekMeta(ctx, exportPath, opts)
	if err != nil {
		return nil, err
	}
	// Pin what was read so both passes agree, whatever the options said.
	opts.Source, opts.Version, opts.Created = m.source, m.version, m.created
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the output folder: %w", err)
	}
	if opts.TempDir == "" {
		opts.TempDir = outDir
	}

	zips := make([]*zipTarget, 0, len(formats))
	defer func() {
		for _, z := range zips {
			z.abort()
		}
	}()
	targets := make([]formatWriter, 0, len(formats))
	for _, f := range formats {
		z, err := newZipTarget(outDir, f, m)
		if err != nil {
			return nil, err
		}
		zips = append(zips, z)
		targets = append(targets, formatWriter{format: f, w: z.entry})
	}
	counts, err := writeSQL(ctx, exportPath, targets, opts)
	if err != nil {
		return nil, err
	}
	artifacts := make([]Artifact, 0, len(zips))
	for _, z := range zips {
		a, err := z.commit()
		if err != nil {
			return nil, err
		}
		a.Counts = &counts
		artifacts = append(artifacts, a)
	}
	zips = nil
	return artifacts, nil
}

// errStop ends a decode early once the version metadata is in hand.
var errStop = errors.New("stop")

// peekMeta reads only the version metadata at the top of the export.
func peekMeta(ctx context.Context, exportPath string, opts SQLOptions) (meta, error) {
	src, err := exportfile.Open(exportPath, opts.Limits)
	if err != nil {
		return meta{}, err
	}
	defer src.Close()
	var m meta
	var metaErr error
	_, err = src.Decode(ctx, exportfile.Handler{Version: func(v *ocl.SourceVersion) error {
		m, metaErr = resolveMeta(v, opts)
		return errStop
	}})
	switch {
	case metaErr != nil:
		return m, fmt.Errorf("%s: %w", src.Name(), metaErr)
	case err != nil && !errors.Is(err, errStop):
		return m, err
	}
	return m, nil
}

// zipTarget is a zip being written under a temporary name, holding one SQL file.
type zipTarget struct {
	final  string
	file   *os.File
	sum    hash.Hash
	count  *countingWriter
	zw     *zip.Writer
	entry  io.Writer
	format Format
}

func newZipTarget(outDir string, f Format, m meta) (*zipTarget, error) {
	name, err := f.ArtifactName(m.version)
	if err != nil {
		return nil, err
	}
	sqlName, _ := f.SQLFileName(m.version)
	file, err := os.CreateTemp(outDir, "."+name+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	z := &zipTarget{final: filepath.Join(outDir, name), file: file, sum: sha256.New(), count: &countingWriter{}, format: f}
	z.zw = zip.NewWriter(io.MultiWriter(file, z.sum, z.count))
	z.zw.RegisterCompressor(zip.Deflate, newDeflater)
	// A fixed modification time keeps the archive byte-identical across runs.
	z.entry, err = z.zw.CreateHeader(&zip.FileHeader{Name: sqlName, Method: zip.Deflate, Modified: m.created})
	if err != nil {
		z.abort()
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	return z, nil
}

func (z *zipTarget) commit() (Artifact, error) {
	name := filepath.Base(z.final)
	if err := z.zw.Close(); err != nil {
		return Artifact{}, fmt.Errorf("finishing %s: %w", name, err)
	}
	if err := z.file.Sync(); err != nil {
		return Artifact{}, fmt.Errorf("finishing %s: %w", name, err)
	}
	if err := z.file.Close(); err != nil {
		return Artifact{}, fmt.Errorf("finishing %s: %w", name, err)
	}
	if err := os.Rename(z.file.Name(), z.final); err != nil {
		return Artifact{}, fmt.Errorf("finishing %s: %w", name, err)
	}
	return Artifact{Name: name, Path: z.final, Size: z.count.n, SHA256: hex.EncodeToString(z.sum.Sum(nil)), Format: string(z.format)}, nil
}

// abort removes the temporary file; after a commit it does nothing.
func (z *zipTarget) abort() {
	z.file.Close()
	os.Remove(z.file.Name())
}

// deflateLevel is the compression level of the artifacts. github.com/klauspost/compress's
// deflate at this level compresses SQL several times faster than compress/flate's default
// for a slightly bigger file; its output is the same for the same input, so a rebuild stays
// byte-identical.
const deflateLevel = 2

func newDeflater(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, deflateLevel) }

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// fileArtifact hashes a file on disk.
func fileArtifact(path, name, format string) (Artifact, error) {
	f, err := os.Open(path)
	if err != nil {
		return Artifact{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Artifact{}, fmt.Errorf("hashing %s: %w", path, err)
	}
	return Artifact{Name: name, Path: path, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Format: format}, nil
}
