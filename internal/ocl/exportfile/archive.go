// Package exportfile opens OCL export files safely and decodes them as a stream.
//
// An export is a zip holding one entry, export.json, which is several hundred MB for a
// large source. Nothing here holds the document in memory: concepts and mappings are
// decoded one at a time and handed to callbacks.
package exportfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	kflate "github.com/klauspost/compress/flate"
)

// EntryName is the JSON document inside an OCL export zip.
const EntryName = "export.json"

// Limits guard against hostile or broken archives.
type Limits struct {
	// MaxUncompressed caps the declared (and actual) size of export.json.
	MaxUncompressed uint64
	// MaxRatio caps uncompressed/compressed size for entries above RatioFloor bytes.
	MaxRatio   uint64
	RatioFloor uint64
	// MaxValue caps one value of the document (a top-level field, or one concept,
	// mapping or reference); 0 means DefaultMaxValue.
	MaxValue int64
}

// DefaultLimits fit CIEL (≈600 MB of JSON at ≈10:1) with a wide margin.
var DefaultLimits = Limits{
	MaxUncompressed: 8 << 30,
	MaxRatio:        200,
	RatioFloor:      64 << 20,
	MaxValue:        DefaultMaxValue,
}

// withDefaults fills each unset limit from DefaultLimits.
func (lim Limits) withDefaults() Limits {
	if lim.MaxUncompressed == 0 {
		lim.MaxUncompressed = DefaultLimits.MaxUncompressed
	}
	if lim.MaxRatio == 0 {
		lim.MaxRatio = DefaultLimits.MaxRatio
	}
	if lim.RatioFloor == 0 {
		lim.RatioFloor = DefaultLimits.RatioFloor
	}
	if lim.MaxValue <= 0 {
		lim.MaxValue = DefaultMaxValue
	}
	return lim
}

// Error is a problem with an export file: it names the file and, when known, where.
type Error struct {
	File   string
	Where  string // "entry ../x", "byte 1234 (concept #12, id 1423)", ...
	Reason string
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Where != "" {
		b.WriteString(": ")
		b.WriteString(e.Where)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Source is an opened export ready to be read: a zip entry or a plain JSON file.
type Source struct {
	Path      string
	Size      int64 // uncompressed size when known, -1 otherwise
	limits    Limits
	zr        *zip.ReadCloser
	entry     *zip.File
	plainJSON bool
}

// Open checks an export file and prepares export.json for reading. A path ending in
// .json is read as the document itself; anything else must be a zip archive.
func Open(p string, lim Limits) (*Source, error) {
	lim = lim.withDefaults()
	fi, err := os.Stat(p)
	if err != nil {
		return nil, &Error{File: p, Reason: "cannot read the file", Err: err}
	}
	if strings.HasSuffix(strings.ToLower(p), ".json") {
		return &Source{Path: p, Size: fi.Size(), limits: lim, plainJSON: true}, nil
	}
	if err := sniffZip(p); err != nil {
		return nil, err
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, &Error{File: p, Reason: "not a readable zip archive: " + err.Error(), Err: err}
	}
	entry, err := pickEntry(p, zr.File, fi.Size(), lim)
	if err != nil {
		zr.Close()
		return nil, err
	}
	// klauspost/compress inflates the same bytes about twice as fast as compress/flate;
	// archive/zip still checks the size and CRC-32 of what comes out.
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return kflate.NewReader(r) })
	return &Source{Path: p, Size: int64(entry.UncompressedSize64), limits: lim, zr: zr, entry: entry}, nil
}

func sniffZip(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return &Error{File: p, Reason: "cannot read the file", Err: err}
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	if n < 4 || !bytes.Equal(head, []byte("PK\x03\x04")) && !bytes.Equal(head, []byte("PK\x05\x06")) {
		return &Error{File: p, Reason: "not a zip archive (an OCL export is a zip holding export.json)"}
	}
	return nil
}

// pickEntry validates every entry name and finds export.json. archiveSize is the size of
// the zip file itself.
func pickEntry(p string, files []*zip.File, archiveSize int64, lim Limits) (*zip.File, error) {
	var found *zip.File
	for _, f := range files {
		if err := checkEntryName(f.Name); err != nil {
			return nil, &Error{File: p, Where: fmt.Sprintf("entry %q", f.Name), Reason: err.Error()}
		}
		if path.Base(f.Name) != EntryName || f.FileInfo().IsDir() {
			continue
		}
		if found != nil {
			return nil, &Error{File: p, Where: fmt.Sprintf("entry %q", f.Name), Reason: "more than one export.json in the archive"}
		}
		found = f
	}
	if found == nil {
		names := make([]string, 0, len(files))
		for i, f := range files {
			if i == 5 {
				names = append(names, "…")
				break
			}
			names = append(names, f.Name)
		}
		return nil, &Error{File: p, Reason: fmt.Sprintf("no export.json in the archive (entries: %s)", strings.Join(names, ", "))}
	}
	if found.UncompressedSize64 > lim.MaxUncompressed {
		return nil, &Error{File: p, Where: fmt.Sprintf("entry %q", found.Name),
			Reason: fmt.Sprintf("declared size %d bytes exceeds the limit of %d bytes", found.UncompressedSize64, lim.MaxUncompressed)}
	}
	// The ratio is taken against the archive's real size: the compressed size in the
	// central directory is written by whoever made the archive and can lie.
	if compressed := uint64(max(archiveSize, 1)); found.UncompressedSize64 > lim.RatioFloor &&
		found.UncompressedSize64/compressed > lim.MaxRatio {
		return nil, &Error{File: p, Where: fmt.Sprintf("entry %q", found.Name),
			Reason: fmt.Sprintf("compression ratio %d:1 exceeds %d:1 (zip bomb?)", found.UncompressedSize64/compressed, lim.MaxRatio)}
	}
	return found, nil
}

// checkEntryName refuses names that could escape a folder if the archive were unpacked.
func checkEntryName(name string) error {
	switch {
	case name == "":
		return errors.New("empty entry name")
	case strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`):
		return errors.New("absolute path in archive")
	case len(name) >= 2 && name[1] == ':':
		return errors.New("drive-letter path in archive")
	case strings.ContainsRune(name, 0):
		return errors.New("NUL byte in entry name")
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return errors.New("parent-directory (..) path in archive")
		}
	}
	return nil
}

// Reader opens export.json for reading. The zip reader itself refuses data past the
// declared size, so a lying header cannot inflate without bound.
func (s *Source) Reader() (io.ReadCloser, error) {
	if s.plainJSON {
		f, err := os.Open(s.Path)
		if err != nil {
			return nil, &Error{File: s.Path, Reason: "cannot read the file", Err: err}
		}
		return f, nil
	}
	rc, err := s.entry.Open()
	if err != nil {
		return nil, &Error{File: s.Path, Where: fmt.Sprintf("entry %q", s.entry.Name), Reason: err.Error(), Err: err}
	}
	return rc, nil
}

// Name is how errors refer to the document: "file.zip!export.json" or the JSON path.
func (s *Source) Name() string {
	if s.plainJSON {
		return s.Path
	}
	return s.Path + "!" + s.entry.Name
}

// Close releases the archive.
func (s *Source) Close() error {
	if s.zr != nil {
		return s.zr.Close()
	}
	return nil
}
