package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Conditional writes make a small object a lock: of two runs creating the same key only
// one succeeds, and a run replaces or removes an object only while it is the one it read.
//
// What the servers do (read in their sources and trackers):
//   - MinIO evaluates If-None-Match and If-Match on PutObject under the object's namespace
//     lock (minio/minio cmd/erasure-object.go putObject, CheckPrecondFn; the headers are read
//     in cmd/object-handlers-common.go checkPreconditionsPUT), so two racing creates cannot
//     both succeed; If-Match on a missing object answers NoSuchKey. Its DeleteObject reads
//     no precondition header (cmd/object-handlers.go DeleteObjectHandler): a conditional
//     delete is not atomic there.
//   - AWS S3 documents If-None-Match: * and If-Match on PutObject (412 PreconditionFailed,
//     409 ConditionalRequestConflict for a concurrent conditional write, 404 for If-Match on
//     a missing key): https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
//   - RustFS checks both headers on PutObject and CompleteMultipartUpload (rustfs/rustfs
//     pull request 409, "support conditional writes", modelled on MinIO) and re-checks them
//     under the commit-time namespace lock since pull request 6801.
//   - versitygw evaluates If-None-Match: * and If-Match on PutObject (versity/versitygw
//     pull request 1727, issue 2183).
//   - SeaweedFS added conditional writes in 3.97 (seaweedfs/seaweedfs pull request 7154),
//     but issue 8800 showed concurrent If-None-Match: * PUTs all succeeding, and issue 8073
//     conditional writes ignored on versioned buckets.
//
// A server that ignores the headers turns the lock into nothing, silently; ProbeConditional
// (run by `shepherd doctor`) catches a server that ignores them outright.

// ErrPreconditionFailed: the object is not in the state the conditional write expected
// (it exists for a create, it changed or is gone for a replace or a delete).
var ErrPreconditionFailed = errors.New("precondition failed")

// PreconditionError reports a conditional write refused because the object changed.
type PreconditionError struct {
	Op    string // "create", "replace", "delete"
	Where string
	Key   string
	// Reason says what the store found ("it exists", "its ETag is now …", "it is gone").
	Reason string
}

func (e *PreconditionError) Error() string {
	return fmt.Sprintf("%s %q in %s: %v: %s", e.Op, e.Key, e.Where, ErrPreconditionFailed, e.Reason)
}

func (e *PreconditionError) Is(target error) bool { return target == ErrPreconditionFailed }

// MaxSmallObject bounds what ReadSmall reads: conditional objects are records, not files.
const MaxSmallObject = 1 << 20

// Conditional is what a lock needs of a store. ETags are opaque: compare them only with
// ones the same store returned.
type Conditional interface {
	// ReadSmall reads an object of at most MaxSmallObject bytes and the ETag of exactly
	// those bytes; a missing key gives a *NotFoundError.
	ReadSmall(ctx context.Context, key string) (data []byte, etag string, err error)
	// Create writes data to key only when no object is there (If-None-Match: *).
	Create(ctx context.Context, key string, data []byte) (etag string, err error)
	// Replace writes data to key only while the object there has this ETag (If-Match).
	Replace(ctx context.Context, key string, data []byte, etag string) (newETag string, err error)
	// DeleteIf removes key only while the object there has this ETag. On S3 this is a
	// check then a delete (see above), so another write can land between the two: use it
	// where a person decides, or on an object no other writer touches while it has this
	// ETag (a lease the caller holds), never to hand an object over.
	DeleteIf(ctx context.Context, key, etag string) error
}

// ProbeConditional checks that the store refuses a second create-only write of the same
// key, which a server ignoring If-None-Match would accept. It leaves nothing behind.
func ProbeConditional(ctx context.Context, c Conditional, key string) error {
	data := []byte(`{"probe":"shepherd checks that the storage refuses a second create-only write"}`)
	etag, err := c.Create(ctx, key, data)
	if errors.Is(err, ErrPreconditionFailed) {
		// Left by an earlier probe that died: take it away and try once more.
		if _, old, rerr := c.ReadSmall(ctx, key); rerr == nil && c.DeleteIf(ctx, key, old) == nil {
			etag, err = c.Create(ctx, key, data)
		}
	}
	if err != nil {
		return fmt.Errorf("a create-only write of %q failed: %w", key, err)
	}
	_, second := c.Create(ctx, key, data)
	_, stale := c.Replace(ctx, key, data, "0123456789abcdef0123456789abcdef")
	if derr := c.DeleteIf(ctx, key, etag); derr != nil && !errors.Is(derr, ErrNotFound) {
		return fmt.Errorf("remove the probe %q: %w", key, derr)
	}
	switch {
	case second == nil:
		return fmt.Errorf("a second create-only write (If-None-Match: *) of %q succeeded: the server ignores the condition, so leases cannot keep two runs apart", key)
	case !errors.Is(second, ErrPreconditionFailed):
		return fmt.Errorf("a second create-only write of %q: %w", key, second)
	case stale == nil:
		return fmt.Errorf("a replace of %q with a wrong ETag (If-Match) succeeded: the server ignores the condition, so a stale lease could be taken over twice", key)
	case !errors.Is(stale, ErrPreconditionFailed):
		return fmt.Errorf("a replace of %q with a wrong ETag: %w", key, stale)
	}
	return nil
}

var _ Conditional = (*Local)(nil)

// ReadSmall implements Conditional. The ETag is the SHA-256 of the bytes read; a file is
// only ever replaced by a rename, so what is read is one whole version of it.
func (l *Local) ReadSmall(ctx context.Context, key string) ([]byte, string, error) {
	if err := l.validateKey(key); err != nil {
		return nil, "", fmt.Errorf("read in %s: %w", l, err)
	}
	data, err := readSmallFile(l.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", &NotFoundError{Where: l.String(), Key: key}
	}
	if err != nil {
		return nil, "", fmt.Errorf("read %q in %s: %w", key, l, err)
	}
	return data, SHA256Hex(data), nil
}

func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSmallObject+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSmallObject {
		return nil, fmt.Errorf("larger than the %d bytes a conditional object may have", MaxSmallObject)
	}
	return data, nil
}

// Create implements Conditional.
func (l *Local) Create(ctx context.Context, key string, data []byte) (string, error) {
	return l.conditionalWrite(ctx, "create", key, data, "")
}

// Replace implements Conditional.
func (l *Local) Replace(ctx context.Context, key string, data []byte, etag string) (string, error) {
	if etag == "" {
		return "", fmt.Errorf("replace %q in %s: no ETag to match", key, l)
	}
	return l.conditionalWrite(ctx, "replace", key, data, etag)
}

// conditionalWrite writes data to key while the key holds what the caller expects: nothing
// when etag is "", else the content with that ETag. The check and the rename happen under
// the key's lock file, so two processes sharing the folder cannot interleave them.
func (l *Local) conditionalWrite(ctx context.Context, op, key string, data []byte, etag string) (string, error) {
	if err := l.validateKey(key); err != nil {
		return "", fmt.Errorf("%s in %s: %w", op, l, err)
	}
	if len(data) > MaxSmallObject {
		return "", fmt.Errorf("%s %q in %s: %d bytes, more than the %d a conditional object may have", op, key, l, len(data), MaxSmallObject)
	}
	sha := SHA256Hex(data)
	tmp, _, _, err := l.writeTemp(ctx, bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%s %q in %s: %w", op, key, l, err)
	}
	defer os.Remove(tmp)
	unlock, err := l.lock(ctx, key)
	if err != nil {
		return "", fmt.Errorf("%s %q in %s: %w", op, key, l, err)
	}
	defer unlock()
	if err := l.expect(op, key, etag); err != nil {
		return "", err
	}
	if err := l.install(tmp, key, sha, "application/json"); err != nil {
		return "", fmt.Errorf("%s %q in %s: %w", op, key, l, err)
	}
	return sha, nil
}

// expect checks, under the key's lock, that key holds the object with etag (nothing when
// etag is "").
func (l *Local) expect(op, key, etag string) error {
	current, err := readSmallFile(l.path(key))
	switch {
	case errors.Is(err, fs.ErrNotExist) && etag == "":
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return &PreconditionError{Op: op, Where: l.String(), Key: key, Reason: "it is gone"}
	case err != nil:
		return fmt.Errorf("%s %q in %s: %w", op, key, l, err)
	case etag == "":
		return &PreconditionError{Op: op, Where: l.String(), Key: key, Reason: "it exists"}
	case SHA256Hex(current) != etag:
		return &PreconditionError{Op: op, Where: l.String(), Key: key, Reason: "it changed since it was read"}
	}
	return nil
}

// DeleteIf implements Conditional, atomically under the key's lock file.
func (l *Local) DeleteIf(ctx context.Context, key, etag string) error {
	if err := l.validateKey(key); err != nil {
		return fmt.Errorf("delete in %s: %w", l, err)
	}
	if etag == "" {
		return fmt.Errorf("delete %q in %s: no ETag to match", key, l)
	}
	unlock, err := l.lock(ctx, key)
	if err != nil {
		return fmt.Errorf("delete %q in %s: %w", key, l, err)
	}
	defer unlock()
	if err := l.expect("delete", key, etag); err != nil {
		return err
	}
	return l.Delete(ctx, key)
}

// Lock files: a check and a rename take microseconds, so a lock file older than
// staleLockAfter was left by a process that died holding it.
const (
	staleLockAfter = 30 * time.Second
	lockWait       = 10 * time.Second
	lockRetry      = 2 * time.Millisecond
)

// lock takes the key's lock file, created with O_EXCL (atomic on local file systems), and
// returns what gives it back. The lock's age is wall-clock time, whatever clock the store
// was given: it is about processes, not releases.
func (l *Local) lock(ctx context.Context, key string) (func(), error) {
	path := filepath.Join(l.root, internalDir, "locks", filepath.FromSlash(key)+".lock")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(lockWait)
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if fi, serr := os.Stat(path); serr == nil && time.Since(fi.ModTime()) > staleLockAfter {
			os.Remove(path) // its process died holding it
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("lock file %s still held after %s", path, lockWait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(lockRetry):
		}
	}
}
