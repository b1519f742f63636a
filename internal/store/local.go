package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
)

// internalDir holds the local store's own files (metadata, temporary files, retention rules)
// inside its folder; keys may not start with it.
const internalDir = ".shepherd"

// Local stores objects as files under a folder: key a/b/c is the file <dir>/a/b/c, so the
// folder can be browsed or served as is. Each file's SHA-256 is kept in a metadata file under
// <dir>/.shepherd/meta and recomputed when that file is missing or stale.
type Local struct {
	root string
	set  settings
}

var _ Store = (*Local)(nil)

// NewLocal opens (creating it if needed) the folder dir as a store.
func NewLocal(dir string, opts ...Option) (*Local, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local store %q: %w", dir, err)
	}
	l := &Local{root: root, set: newSettings(opts)}
	for _, d := range []string{l.tmpDir(), l.metaRoot()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("local store: %w", err)
		}
	}
	return l, nil
}

// String names the store for logs.
func (l *Local) String() string { return "local folder " + l.root }

// Dir is the store's folder.
func (l *Local) Dir() string { return l.root }

func (l *Local) tmpDir() string    { return filepath.Join(l.root, internalDir, "tmp") }
func (l *Local) metaRoot() string  { return filepath.Join(l.root, internalDir, "meta") }
func (l *Local) rulesFile() string { return filepath.Join(l.root, internalDir, "retention.json") }

// Get implements Store.
func (l *Local) Get(_ context.Context, key string) (io.ReadCloser, error) {
	if err := l.validateKey(key); err != nil {
		return nil, fmt.Errorf("get in %s: %w", l, err)
	}
	f, err := os.Open(l.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, &NotFoundError{Where: l.String(), Key: key}
	}
	return f, err
}

func (l *Local) path(key string) string { return filepath.Join(l.root, filepath.FromSlash(key)) }
func (l *Local) metaPath(key string) string {
	return filepath.Join(l.metaRoot(), filepath.FromSlash(key)+".json")
}

// validateKey adds the local store's reserved folder to ValidateKey.
func (l *Local) validateKey(key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if key == internalDir || strings.HasPrefix(key, internalDir+"/") {
		return fmt.Errorf("key %q: %w: %s/ is reserved in a local store", key, ErrInvalidKey, internalDir)
	}
	return nil
}

// localMeta is what the metadata file records; it is trusted only while the data file still
// has the size and modification time it describes.
type localMeta struct {
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	Modified    time.Time `json:"modified"`
	ContentType string    `json:"content_type,omitempty"`
}

// Put implements Store: the content goes to a temporary file that is renamed into place only
// once complete and verified, so a key never shows a partial file.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, sha256hex, contentType string) (PutResult, error) {
	if err := l.validateKey(key); err != nil {
		return PutResult{}, fmt.Errorf("put in %s: %w", l, err)
	}
	want := strings.ToLower(sha256hex)
	if err := validSHA256(want); err != nil {
		return PutResult{}, fmt.Errorf("put %q in %s: %w", key, l, err)
	}
	existing, err := l.Stat(ctx, key)
	switch {
	case err == nil && existing.SHA256 == want:
		return PutResult{Skipped: true, Size: existing.Size}, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return PutResult{}, err
	}

	tmp, written, got, err := l.writeTemp(ctx, r)
	if err != nil {
		return PutResult{}, fmt.Errorf("put %q in %s: %w", key, l, err)
	}
	defer os.Remove(tmp) // fails harmlessly once renamed
	if size >= 0 && written != size {
		return PutResult{}, fmt.Errorf("put %q in %s: read %d bytes, expected %d; nothing stored", key, l, written, size)
	}
	if got != want {
		return PutResult{}, &ChecksumMismatchError{Key: key, Want: want, Got: got, Size: written}
	}
	if err := l.install(tmp, key, want, contentType); err != nil {
		return PutResult{}, fmt.Errorf("put %q in %s: %w", key, l, err)
	}
	return PutResult{Size: written}, nil
}

// install moves a verified temporary file to key and records its digest.
func (l *Local) install(tmp, key, sha, contentType string) error {
	dest := l.path(key)
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, dest); err != nil {
		return err
	}
	if err := l.writeMeta(key, sha, contentType); err != nil {
		// The file is complete and Stat recomputes a missing digest; still worth knowing.
		return fmt.Errorf("stored, but recording its sha256 failed: %w", err)
	}
	return nil
}

// writeTemp copies r into a synced temporary file and returns its path, length and SHA-256.
func (l *Local) writeTemp(ctx context.Context, r io.Reader) (path string, n int64, sha string, err error) {
	f, err := os.CreateTemp(l.tmpDir(), "put-*")
	if err != nil {
		return "", 0, "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o644); err != nil { // CreateTemp's 0600 would hide the file from a web server
		return "", 0, "", err
	}
	hr := newHashingReader(contextReader{ctx: ctx, r: r})
	if n, err = io.Copy(f, hr); err != nil {
		return "", n, "", fmt.Errorf("after %d bytes: %w; nothing stored", n, err)
	}
	if err = f.Sync(); err != nil {
		return "", n, "", err
	}
	if err = f.Close(); err != nil {
		return "", n, "", err
	}
	return f.Name(), n, hr.sum(), nil
}

// contextReader stops a copy when its context ends.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (l *Local) writeMeta(key, sha, contentType string) error {
	fi, err := os.Stat(l.path(key))
	if err != nil {
		return err
	}
	data, err := json.Marshal(localMeta{SHA256: sha, Size: fi.Size(), Modified: fi.ModTime(), ContentType: contentType})
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(l.metaPath(key), 0o644, data)
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := l.validateKey(key); err != nil {
		return ObjectInfo{}, fmt.Errorf("stat in %s: %w", l, err)
	}
	fi, err := os.Stat(l.path(key))
	if errors.Is(err, fs.ErrNotExist) || err == nil && !fi.Mode().IsRegular() {
		return ObjectInfo{}, &NotFoundError{Where: l.String(), Key: key}
	}
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("stat %q in %s: %w", key, l, err)
	}
	info := ObjectInfo{Key: key, Size: fi.Size(), Modified: fi.ModTime(), SHA256: l.recordedSHA(key, fi)}
	if info.SHA256 == "" {
		if info.SHA256, err = fileSHA256(l.path(key)); err != nil {
			return ObjectInfo{}, fmt.Errorf("stat %q in %s: %w", key, l, err)
		}
	}
	return info, nil
}

// recordedSHA returns the digest from the metadata file if it still describes the file.
func (l *Local) recordedSHA(key string, fi fs.FileInfo) string {
	data, err := os.ReadFile(l.metaPath(key))
	if err != nil {
		return ""
	}
	var meta localMeta
	if json.Unmarshal(data, &meta) != nil || meta.Size != fi.Size() || !meta.Modified.Equal(fi.ModTime()) {
		return ""
	}
	return meta.SHA256
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	hr := newHashingReader(f)
	if _, err := io.Copy(io.Discard, hr); err != nil {
		return "", err
	}
	return hr.sum(), nil
}

// List implements Store. SHA256 is filled from the metadata files where they are current.
func (l *Local) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	folder, err := validatePrefix(prefix, true)
	if err != nil {
		return nil, fmt.Errorf("list in %s: %w", l, err)
	}
	var objects []ObjectInfo
	start := l.path(folder)
	err = filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if path == start && !d.IsDir() {
			return nil // a file named like the folder is not inside it
		}
		rel, err := filepath.Rel(l.root, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if key == internalDir {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		objects = append(objects, ObjectInfo{Key: key, Size: fi.Size(), Modified: fi.ModTime(), SHA256: l.recordedSHA(key, fi)})
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %q in %s: %w", folderOf(folder), l, err)
	}
	slices.SortFunc(objects, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return objects, nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := l.validateKey(key); err != nil {
		return fmt.Errorf("delete in %s: %w", l, err)
	}
	for _, p := range []string{l.path(key), l.metaPath(key)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete %q in %s: %w", key, l, err)
		}
	}
	l.pruneEmptyParents(key)
	return nil
}

// DeletePrefix implements Store.
func (l *Local) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	folder, err := validatePrefix(prefix, false)
	if err != nil {
		return 0, fmt.Errorf("delete in %s: %w", l, err)
	}
	if err := l.validateKey(folder); err != nil {
		return 0, fmt.Errorf("delete in %s: %w", l, err)
	}
	objects, err := l.List(ctx, folder)
	if err != nil {
		return 0, err
	}
	for _, p := range []string{l.path(folder), filepath.Join(l.metaRoot(), filepath.FromSlash(folder))} {
		if err := os.RemoveAll(p); err != nil {
			return 0, fmt.Errorf("delete %q in %s: %w", folderOf(folder), l, err)
		}
	}
	l.pruneEmptyParents(folder)
	return len(objects), nil
}

// pruneEmptyParents removes the folders of key left empty, as S3 has no empty folders.
func (l *Local) pruneEmptyParents(key string) {
	for dir := filepath.Dir(l.path(key)); dir != l.root && strings.HasPrefix(dir, l.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			return
		}
	}
}

// Link implements Store with a file:// URL, usable only on this machine. expires is
// now+validFor; the file itself stays readable until deleted.
func (l *Local) Link(ctx context.Context, key string, validFor time.Duration) (string, time.Time, error) {
	if _, err := l.Stat(ctx, key); err != nil {
		return "", time.Time{}, fmt.Errorf("link: %w", err)
	}
	if validFor < time.Second {
		return "", time.Time{}, fmt.Errorf("link %q in %s: validity %v is under one second", key, l, validFor)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(l.path(key))}
	return u.String(), l.set.now().Add(validFor.Truncate(time.Second)), nil
}

// EnsurePublicRead implements Store: the folder's files are plain files on this machine,
// readable without any grant, so only the prefix is checked.
func (l *Local) EnsurePublicRead(ctx context.Context, prefix string) error {
	if _, err := validatePrefix(prefix, false); err != nil {
		return fmt.Errorf("public read in %s: %w", l, err)
	}
	return nil
}

// EnsureRetention implements Store by recording the rule in <dir>/.shepherd/retention.json;
// ApplyRetention enforces the recorded rules like a server's lifecycle would.
func (l *Local) EnsureRetention(ctx context.Context, prefix string, days int) (Rule, error) {
	folder, err := validatePrefix(prefix, false)
	if err != nil {
		return Rule{}, fmt.Errorf("retention in %s: %w", l, err)
	}
	if days < 1 {
		return Rule{}, fmt.Errorf("retention of %q in %s: %d days; must be at least 1", folder, l, days)
	}
	want := Rule{ID: ruleID(folder), Prefix: folderOf(folder), Days: days}
	rules, err := l.Rules()
	if err != nil {
		return Rule{}, err
	}
	if slices.Contains(rules, want) {
		return want, nil
	}
	rules = slices.DeleteFunc(rules, func(r Rule) bool { return r.ID == want.ID })
	rules = append(rules, want)
	data, err := json.MarshalIndent(rules, "", "  ")
	if err != nil {
		return Rule{}, fmt.Errorf("retention in %s: %w", l, err)
	}
	if err := atomicfile.WriteBytes(l.rulesFile(), 0o644, data); err != nil {
		return Rule{}, fmt.Errorf("retention in %s: %w", l, err)
	}
	readBack, err := l.Rules()
	if err != nil {
		return Rule{}, err
	}
	if !slices.Contains(readBack, want) {
		return Rule{}, fmt.Errorf("retention in %s: rule %s missing when read back", l, want.ID)
	}
	return want, nil
}

// Rules returns the retention rules recorded by EnsureRetention.
func (l *Local) Rules() ([]Rule, error) {
	data, err := os.ReadFile(l.rulesFile())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("retention rules of %s: %w", l, err)
	}
	var rules []Rule
	if err := json.Unmarshal(data, &rules); err != nil {
		return nil, fmt.Errorf("retention rules of %s: %s: %w", l, l.rulesFile(), err)
	}
	return rules, nil
}

// ApplyRetention deletes every object older than its folder's recorded rule at now, as a
// bucket lifecycle would, and returns the deleted keys.
func (l *Local) ApplyRetention(ctx context.Context, now time.Time) ([]string, error) {
	rules, err := l.Rules()
	if err != nil {
		return nil, err
	}
	var deleted []string
	for _, rule := range rules {
		objects, err := l.List(ctx, rule.Prefix)
		if err != nil {
			return deleted, err
		}
		for _, obj := range objects {
			if now.Before(obj.Modified.Add(time.Duration(rule.Days) * 24 * time.Hour)) {
				continue
			}
			if err := l.Delete(ctx, obj.Key); err != nil {
				return deleted, err
			}
			deleted = append(deleted, obj.Key)
		}
	}
	return deleted, nil
}
