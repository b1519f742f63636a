package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/sshsig"
)

// VerifyOptions say whom to trust and how far to reach.
type VerifyOptions struct {
	// AllowedSigners are the trusted signers (from a file the person chose).
	AllowedSigners *sshsig.AllowedSigners
	// TrustBundledSigners trusts the allowed_signers inside what is checked. It proves
	// only that the files agree with themselves, and the report says so.
	TrustBundledSigners bool
	// AllowUnsigned accepts a release without SHA256SUMS.sig.
	AllowUnsigned bool
	// HTTPClient downloads a bundle given as a URL (the only network use).
	HTTPClient *http.Client
	// MaxDownload bounds a downloaded bundle (default 8 GiB).
	MaxDownload int64
}

// Problem is one thing wrong with a release, naming the file it is about.
type Problem struct {
	File    string `json:"file"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.File + ": " + p.Message }

// Report is what verification found.
type Report struct {
	Target  string `json:"target"`
	Source  string `json:"source,omitempty"`
	Version string `json:"version,omitempty"`
	// Files is the number of files whose checksums matched.
	Files int `json:"files"`
	// Signer is the allowed signer whose signature is good, as principals (file:line).
	Signer    string    `json:"signer,omitempty"`
	Withdrawn string    `json:"withdrawn,omitempty"`
	Notes     []string  `json:"notes,omitempty"`
	Problems  []Problem `json:"problems,omitempty"`
}

// OK reports whether nothing is wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 && r.Withdrawn == "" }

func (r *Report) problem(file, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{File: file, Message: fmt.Sprintf(format, args...)})
}

// content is one file of what is checked: its size and SHA-256, and its bytes when it
// is one of the small files verification reads.
type content struct {
	size   int64
	sha256 string
	data   []byte
}

// maxSmallFile bounds the files verification reads whole (checksums, signature,
// manifest, BOM, allowed signers).
const maxSmallFile = 16 << 20

func readWhole(name string) bool {
	switch name {
	case SumsFile, SignatureFile, AllowedSignersFile, ManifestFile, WithdrawnFile:
		return true
	}
	return isBOM(name)
}

// isBOM recognises a CycloneDX JSON document by the names CycloneDX recommends.
func isBOM(name string) bool {
	return strings.HasSuffix(name, ".cdx.json") || name == "bom.json"
}

// Verify checks a release: a bundle (.tar.gz file), an https URL of one, or a folder
// holding an unpacked bundle or a release's downloaded files. The error is for what
// stopped the check from running (a missing path, an unreachable URL, no trusted
// signers); everything wrong with the release itself is a Problem in the report.
func Verify(ctx context.Context, target string, o VerifyOptions) (*Report, error) {
	if o.AllowedSigners == nil && !o.TrustBundledSigners && !o.AllowUnsigned {
		return nil, errors.New("no trusted signers: give the allowed_signers file you trust (--allowed-signers FILE)")
	}
	r := &Report{Target: target}
	var files map[string]content
	var siblings map[string]content
	var err error
	switch {
	case strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "http://"):
		files, siblings, err = fetch(ctx, target, o, r)
	default:
		info, serr := os.Stat(target)
		if serr != nil {
			return nil, serr
		}
		if info.IsDir() {
			files, err = readDir(target, r)
		} else {
			files, err = readBundle(target, r)
			siblings = readSiblings(filepath.Dir(target), filepath.Base(target))
		}
	}
	if err != nil {
		return nil, err
	}
	if files == nil {
		checkSiblings(r, siblings) // the archive itself is broken: reported
		return r, nil
	}
	// Files a release's folder holds beside the bundle's content.
	for name, c := range files {
		if strings.HasSuffix(name, "-bundle.tar.gz") || strings.HasSuffix(name, "-bundle.tar.gz.sha256") || name == WithdrawnFile {
			if siblings == nil {
				siblings = map[string]content{}
			}
			siblings[name] = c
			delete(files, name)
		}
	}
	check(r, files, o)
	checkSiblings(r, siblings)
	return r, nil
}

func check(r *Report, files map[string]content, o VerifyOptions) {
	sums, ok := files[SumsFile]
	if !ok {
		r.problem(SumsFile, "missing: nothing says what the files should be")
		return
	}
	listed := parseSums(r, sums.data)
	for _, name := range slices.Sorted(maps.Keys(listed)) {
		want := listed[name]
		got, ok := files[name]
		switch {
		case !ok:
			r.problem(name, "missing (SHA256SUMS lists it)")
		case got.sha256 != want:
			r.problem(name, "sha256 is %s, SHA256SUMS says %s (the file changed)", got.sha256, want)
		default:
			r.Files++
		}
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if _, ok := listed[name]; !ok && name != SumsFile && name != SignatureFile {
			r.problem(name, "not in SHA256SUMS: nothing vouches for it")
		}
	}
	created := checkManifest(r, files)
	checkBOMs(r, files)
	checkSignature(r, files, o, created)
}

var sumLine = regexp.MustCompile(`^([0-9a-f]{64}) [ *](.+)$`)

func parseSums(r *Report, data []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		m := sumLine.FindStringSubmatch(line)
		if m == nil {
			r.problem(SumsFile, "line %d is not \"<sha256>  <file>\": %q", n, truncate(line, 80))
			continue
		}
		if _, dup := out[m[2]]; dup {
			r.problem(SumsFile, "line %d lists %s a second time", n, m[2])
		}
		out[m[2]] = m[1]
	}
	return out
}

// checkManifest compares manifest.json with the files and returns the release's
// recorded time (zero when unknown).
func checkManifest(r *Report, files map[string]content) time.Time {
	c, ok := files[ManifestFile]
	if !ok {
		r.problem(ManifestFile, "missing")
		return time.Time{}
	}
	var m struct {
		Source  string    `json:"source"`
		Version string    `json:"version"`
		Created time.Time `json:"created"`
		Files   []struct {
			Name   string `json:"name"`
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
	}
	if err := json.Unmarshal(c.data, &m); err != nil {
		r.problem(ManifestFile, "not a release manifest: %v", err)
		return time.Time{}
	}
	r.Source, r.Version = m.Source, m.Version
	for _, f := range m.Files {
		got, ok := files[f.Name]
		switch {
		case !ok:
			r.problem(f.Name, "missing (manifest.json lists it)")
		case got.sha256 != f.SHA256:
			r.problem(f.Name, "sha256 is %s, manifest.json says %s", got.sha256, f.SHA256)
		case got.size != f.Size:
			r.problem(f.Name, "size is %d bytes, manifest.json says %d", got.size, f.Size)
		}
	}
	return m.Created
}

// cdxComponent is the part of a CycloneDX component verification reads
// (https://cyclonedx.org/docs/1.6/json/#components).
type cdxComponent struct {
	BOMRef  string `json:"bom-ref"`
	Group   string `json:"group"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Hashes  []struct {
		Alg     string `json:"alg"`
		Content string `json:"content"`
	} `json:"hashes"`
	Components []cdxComponent `json:"components"`
}

// checkBOMs compares every SHA-256 a data BOM gives for a file of the release with the
// file, and the release it describes (the component Shepherd's BOM names "release")
// with manifest.json's source and version.
func checkBOMs(r *Report, files map[string]content) {
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if !isBOM(name) {
			continue
		}
		var bom struct {
			Metadata struct {
				Component *cdxComponent `json:"component"`
			} `json:"metadata"`
			Components []cdxComponent `json:"components"`
		}
		if err := json.Unmarshal(files[name].data, &bom); err != nil {
			r.problem(name, "not a CycloneDX JSON document: %v", err)
			continue
		}
		all := bom.Components
		if bom.Metadata.Component != nil {
			all = append(all, *bom.Metadata.Component)
		}
		var walk func([]cdxComponent)
		walk = func(cs []cdxComponent) {
			for _, comp := range cs {
				walk(comp.Components)
				if comp.BOMRef == "release" && r.Version != "" {
					if got := comp.Group + "/" + comp.Name + " " + comp.Version; got != r.Source+" "+r.Version {
						r.problem(name, "describes release %s, manifest.json %s %s", got, r.Source, r.Version)
					}
				}
				f, ok := files[comp.Name]
				if !ok {
					continue
				}
				for _, h := range comp.Hashes {
					if h.Alg == "SHA-256" && !strings.EqualFold(h.Content, f.sha256) {
						r.problem(comp.Name, "sha256 is %s, %s says %s", f.sha256, name, h.Content)
					}
				}
			}
		}
		walk(all)
	}
}

func checkSignature(r *Report, files map[string]content, o VerifyOptions, created time.Time) {
	sigFile, ok := files[SignatureFile]
	if !ok {
		if o.AllowUnsigned {
			r.Notes = append(r.Notes, "the release is not signed (accepted: --allow-unsigned)")
		} else {
			r.problem(SignatureFile, "missing: the release is not signed")
		}
		return
	}
	allowed := o.AllowedSigners
	if allowed == nil && o.TrustBundledSigners {
		c, ok := files[AllowedSignersFile]
		if !ok {
			r.problem(AllowedSignersFile, "missing, and --trust-bundled-signers asks to trust it")
			return
		}
		var err error
		if allowed, err = sshsig.ParseAllowedSigners(AllowedSignersFile+" (inside the release)", c.data); err != nil {
			r.problem(AllowedSignersFile, "%v", err)
			return
		}
		r.Notes = append(r.Notes, "the signature was checked against the allowed_signers inside the release itself: this shows the files agree with each other, not who made them")
	}
	if allowed == nil {
		r.Notes = append(r.Notes, "the signature was not checked: no allowed signers given")
		return
	}
	sig, err := sshsig.Parse(sigFile.data)
	if err != nil {
		r.problem(SignatureFile, "%v", err)
		return
	}
	if err := sig.Verify(sshsig.Namespace, bytes.NewReader(files[SumsFile].data)); err != nil {
		r.problem(SignatureFile, "%v", err)
		return
	}
	at := created
	if at.IsZero() {
		at = time.Now()
	}
	signer, err := allowed.Check(sig.PublicKey, sshsig.Namespace, at)
	if err != nil {
		r.problem(SignatureFile, "%v", err)
		return
	}
	r.Signer = fmt.Sprintf("%s (%s)", signer.Name(allowed.File), sshsig.Fingerprint(sig.PublicKey))
}

func checkSiblings(r *Report, siblings map[string]content) {
	for _, name := range slices.Sorted(maps.Keys(siblings)) {
		c := siblings[name]
		switch {
		case name == WithdrawnFile:
			r.Withdrawn = strings.TrimSpace(string(c.data))
			if r.Withdrawn == "" {
				r.Withdrawn = "withdrawn (no reason given)"
			}
		case strings.HasSuffix(name, ".sha256"):
			bundleName := strings.TrimSuffix(name, ".sha256")
			b, ok := siblings[bundleName]
			if !ok {
				continue
			}
			fields := strings.Fields(string(c.data))
			if len(fields) < 1 || fields[0] != b.sha256 {
				r.problem(bundleName, "sha256 is %s, %s says %s", b.sha256, name, strings.Join(fields[:min(1, len(fields))], ""))
			}
		}
	}
}

func readDir(dir string, r *Report) (map[string]content, error) {
	files := map[string]content{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		switch {
		case e.IsDir():
			return nil
		case !e.Type().IsRegular():
			r.problem(name, "not a regular file")
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		c, err := digest(f, readWhole(name))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		files[name] = c
		return nil
	})
	return files, err
}

// readBundle reads a bundle: every entry in one top folder, regular files only. A
// damaged archive is a problem of the release (nil files); an unreadable one an error.
func readBundle(file string, r *Report) (map[string]content, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	name := filepath.Base(file)
	files, perr := readTarGz(f, name, r)
	if perr != nil {
		r.problem(name, "damaged: %v", perr)
		return nil, nil
	}
	return files, nil
}

func readTarGz(in io.Reader, name string, r *Report) (map[string]content, error) {
	zr, err := gzip.NewReader(in)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	files := map[string]content{}
	root := ""
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		top, rest, _ := strings.Cut(strings.TrimSuffix(h.Name, "/"), "/")
		if root == "" {
			root = top
		}
		switch {
		case top != root || (rest != "" && checkName(rest) != nil):
			r.problem(name, "entry %q is not a file of the folder %s/", h.Name, root)
			continue
		case h.Typeflag == tar.TypeDir:
			continue
		case h.Typeflag != tar.TypeReg:
			r.problem(rest, "not a regular file (tar type %q)", string(h.Typeflag))
			continue
		}
		if _, dup := files[rest]; dup {
			r.problem(rest, "in the bundle twice")
			continue
		}
		c, err := digest(tr, readWhole(rest))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rest, err)
		}
		files[rest] = c
	}
	// Reading to the end makes gzip check its CRC and length.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, err
	}
	return files, nil
}

func digest(r io.Reader, keep bool) (content, error) {
	h := sha256.New()
	var buf bytes.Buffer
	w := io.Writer(h)
	if keep {
		w = io.MultiWriter(h, &limitedBuffer{b: &buf, max: maxSmallFile})
	}
	n, err := io.Copy(w, r)
	if err != nil {
		return content{}, err
	}
	c := content{size: n, sha256: hex.EncodeToString(h.Sum(nil))}
	if keep {
		c.data = buf.Bytes()
	}
	return c, nil
}

type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > l.max {
		return 0, fmt.Errorf("larger than %d MiB", l.max>>20)
	}
	return l.b.Write(p)
}

// readSiblings reads the bundle's checksum line and a withdrawal notice beside it.
func readSiblings(dir, bundleName string) map[string]content {
	out := map[string]content{bundleName: {}}
	if f, err := os.Open(filepath.Join(dir, bundleName)); err == nil {
		out[bundleName], _ = digest(f, false)
		f.Close()
	}
	for _, name := range []string{bundleName + ".sha256", WithdrawnFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil && len(data) <= maxSmallFile {
			out[name] = content{data: data}
		}
	}
	return out
}

// fetch downloads a bundle from a URL to a temporary file and reads it; beside a plain
// URL (no query: not a presigned link) it also asks for the checksum line and a
// withdrawal notice.
func fetch(ctx context.Context, target string, o VerifyOptions, r *Report) (map[string]content, map[string]content, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, nil, fmt.Errorf("%q is not a URL: %w", target, err)
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Minute}
	}
	limit := o.MaxDownload
	if limit == 0 {
		limit = 8 << 30
	}
	tmp, err := os.CreateTemp("", "shepherd-verify-*.tar.gz")
	if err != nil {
		return nil, nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := download(ctx, client, target, tmp, limit); err != nil {
		return nil, nil, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, nil, err
	}
	bundleName := path.Base(u.Path)
	files, perr := readTarGz(tmp, bundleName, r)
	if perr != nil {
		r.problem(bundleName, "damaged: %v", perr)
		return nil, nil, nil
	}
	siblings := map[string]content{}
	if u.RawQuery == "" {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return nil, nil, err
		}
		siblings[bundleName], _ = digest(tmp, false)
		for _, name := range []string{bundleName + ".sha256", WithdrawnFile} {
			sib := *u
			sib.Path = path.Join(path.Dir(u.Path), name)
			var buf bytes.Buffer
			err := download(ctx, client, sib.String(), &buf, maxSmallFile)
			var nf *notFoundError
			switch {
			case errors.As(err, &nf):
			case err != nil:
				return nil, nil, err
			default:
				siblings[name] = content{data: buf.Bytes()}
			}
		}
	}
	return files, siblings, nil
}

type notFoundError struct{ url string }

func (e *notFoundError) Error() string { return e.url + ": not found" }

func download(ctx context.Context, client *http.Client, target string, w io.Writer, limit int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	shown := redact(target)
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden:
		return &notFoundError{url: shown}
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("download %s: %s", shown, resp.Status)
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("download %s: %w", shown, err)
	}
	if n > limit {
		return fmt.Errorf("download %s: larger than %d bytes", shown, limit)
	}
	return nil
}

// redact keeps a presigned URL's signature out of messages.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.RawQuery != "" {
		u.RawQuery = "…"
		return u.String()
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Extract unpacks a bundle into dest, as dest/<version>/…, and returns that folder. Only
// what a bundle holds is written: regular files in one top folder, names checked.
func Extract(bundlePath, dest string) (string, error) {
	f, err := os.Open(bundlePath)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Base(bundlePath), err)
	}
	tr := tar.NewReader(zr)
	root := ""
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return filepath.Join(dest, root), nil
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", filepath.Base(bundlePath), err)
		}
		top, rest, _ := strings.Cut(strings.TrimSuffix(h.Name, "/"), "/")
		if root == "" {
			if checkName(top) != nil {
				return "", fmt.Errorf("%s: entry %q is not in a folder", filepath.Base(bundlePath), h.Name)
			}
			root = top
		}
		if h.Typeflag == tar.TypeDir && top == root && (rest == "" || checkName(rest) == nil) {
			continue
		}
		if top != root || h.Typeflag != tar.TypeReg || checkName(rest) != nil {
			return "", fmt.Errorf("%s: entry %q is not a file of the folder %s/", filepath.Base(bundlePath), h.Name, root)
		}
		target := filepath.Join(dest, root, filepath.FromSlash(rest))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return "", err
		}
		err = atomicfile.Write(target, 0o644, func(w io.Writer) error {
			_, err := io.Copy(w, tr)
			return err
		})
		if err != nil {
			return "", err
		}
	}
}
