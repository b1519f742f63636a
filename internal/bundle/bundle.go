// Package bundle makes and checks a release's offline bundle: one tar.gz with the SQL
// artifacts, SHA256SUMS and its SSH signature, the allowed signers, manifest.json, the QA
// reports, the documents (changelog, data BOM, runbook) and an index.html to open from
// disk. The same inputs give the same bytes, so a bundle rebuilt after a crash is the one
// already published.
package bundle

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
)

// Names of the files a bundle holds beside the artifacts and documents.
const (
	SumsFile           = "SHA256SUMS"
	SignatureFile      = "SHA256SUMS.sig"
	AllowedSignersFile = "allowed_signers"
	ManifestFile       = "manifest.json"
	RunbookFile        = "RUNBOOK.md"
	IndexFile          = "index.html"
	// WithdrawnFile is the notice put beside a withdrawn release's bundle; never inside it.
	WithdrawnFile = "WITHDRAWN"
)

// FileName is the bundle's name for a version: v2026-11-22-bundle.tar.gz.
func FileName(version string) string { return version + "-bundle.tar.gz" }

// ChecksumFileName is the name of the bundle's own checksum line, beside it. The bundle
// holds SHA256SUMS, so it cannot be listed there.
func ChecksumFileName(version string) string { return FileName(version) + ".sha256" }

// Entry is one file of a bundle, read from Path or, when Path is empty, held in Data.
type Entry struct {
	Name string
	Path string
	Data []byte
}

// Result is a written bundle.
type Result struct {
	Path   string
	Size   int64
	SHA256 string
}

// WriteFile writes the bundle of entries to dest, whole or not at all: every entry under
// the folder root/ (the version), in name order, each dated mtime (the release's
// recorded time), owned by uid and gid 0 and readable by all; the gzip header carries
// no name and no time. Nothing of the machine that built it leaks into the bytes.
func WriteFile(dest, root string, mtime time.Time, entries []Entry) (Result, error) {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	for i, e := range sorted {
		if err := checkName(e.Name); err != nil {
			return Result{}, err
		}
		if i > 0 && sorted[i-1].Name == e.Name {
			return Result{}, fmt.Errorf("bundle: %s is given twice", e.Name)
		}
	}
	if err := checkName(root); err != nil || strings.Contains(root, "/") {
		return Result{}, fmt.Errorf("bundle: %q is not a folder name", root)
	}
	sum := sha256.New()
	var size int64
	err := atomicfile.Write(dest, 0o644, func(w io.Writer) error {
		cw := &countingWriter{w: io.MultiWriter(w, sum)}
		if err := write(cw, root, mtime, sorted); err != nil {
			return err
		}
		size = cw.n
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("bundle %s: %w", filepath.Base(dest), err)
	}
	return Result{Path: dest, Size: size, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
}

func write(w io.Writer, root string, mtime time.Time, entries []Entry) error {
	zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	mtime = mtime.UTC().Truncate(time.Second)
	dir := &tar.Header{Typeflag: tar.TypeDir, Name: root + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX}
	if err := tw.WriteHeader(stable(dir)); err != nil {
		return err
	}
	for _, e := range entries {
		if err := writeEntry(tw, root, mtime, e); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// stable leaves out what tar would otherwise take from the clock: PAX access and change
// times are only written when set, and are not.
func stable(h *tar.Header) *tar.Header {
	h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
	h.AccessTime, h.ChangeTime = time.Time{}, time.Time{}
	return h
}

func writeEntry(tw *tar.Writer, root string, mtime time.Time, e Entry) error {
	var r io.Reader
	var size int64
	if e.Path == "" {
		r, size = strings.NewReader(string(e.Data)), int64(len(e.Data))
	} else {
		f, err := os.Open(e.Path)
		if err != nil {
			return err
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return err
		}
		r, size = f, info.Size()
	}
	h := &tar.Header{Typeflag: tar.TypeReg, Name: root + "/" + e.Name, Mode: 0o644, Size: size, ModTime: mtime, Format: tar.FormatPAX}
	if err := tw.WriteHeader(stable(h)); err != nil {
		return err
	}
	n, err := io.Copy(tw, r)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("changed while it was bundled (%d bytes, then %d)", size, n)
	}
	return nil
}

// checkName accepts the names a release's files have: a plain name, or a relative path
// of plain names (a script's outputs are <export>/<path>); nothing that climbs out.
func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, "\\\n\r\x00") || strings.HasPrefix(name, "/") || path.Clean(name) != name {
		return fmt.Errorf("bundle: %q is not a relative file name", name)
	}
	for _, segment := range strings.Split(name, "/") {
		if segment == "." || segment == ".." {
			return fmt.Errorf("bundle: %q is not a relative file name", name)
		}
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
