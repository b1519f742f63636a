// Package store keeps release artefacts and reports where people can download them: an
// S3-compatible bucket (RustFS, MinIO, AWS S3) through minio-go, or a local folder when no
// bucket is configured. It also holds the retention arithmetic the janitor and the link
// re-issuing rely on.
//
// Keys are slash-separated and relative to the bucket (or folder): releases live at
// <prefix>/<version>/<file> (ReleaseKey) and the latest HEAD report at qa/HEAD/latest.<ext>
// (HeadReportKey). Every method validates the keys it is given.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"
)

// Store is what the release steps use to publish files and hand out download links.
type Store interface {
	// Put streams r to key. size is the length of r, or -1 when unknown. sha256hex is the
	// expected SHA-256 of the content: the upload is skipped when key already holds an object
	// with that digest, and refused (leaving nothing behind) when the streamed bytes differ.
	Put(ctx context.Context, key string, r io.Reader, size int64, sha256hex, contentType string) (PutResult, error)
	// Get opens an object for reading; a missing key gives a *NotFoundError.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes one object; a missing key gives a *NotFoundError (errors.Is ErrNotFound).
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List returns the objects in the folder prefix ("" lists everything), sorted by key.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Delete removes key; removing a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix removes every object in the folder prefix and reports how many it removed.
	// prefix names a folder: "ciel/v2024-01-01" never touches "ciel/v2024-01-010/...".
	DeletePrefix(ctx context.Context, prefix string) (int, error)
	// Link returns a download URL for key and the time it stops working.
	Link(ctx context.Context, key string, validFor time.Duration) (url string, expires time.Time, err error)
	// EnsureRetention makes the storage expire the folder prefix after days, idempotently, and
	// reads the rule back. A *RetentionUnsupportedError (errors.Is ErrRetentionUnsupported)
	// means the server cannot do it; callers may log it and rely on the janitor.
	EnsureRetention(ctx context.Context, prefix string, days int) (Rule, error)
	// EnsurePublicRead lets anyone read the objects in the folder prefix, and nothing else,
	// for the plain links of public mode. The local store has nothing to grant.
	EnsurePublicRead(ctx context.Context, prefix string) error
	// Conditional writes of small objects, for leases.
	Conditional
}

// PutResult says what Put did.
type PutResult struct {
	// Skipped is true when an identical object (same key, same sha256) was already stored.
	Skipped bool
	// Size is the number of bytes stored (or already there when skipped).
	Size int64
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key  string
	Size int64
	// SHA256 is the hex digest recorded at upload. Always set by Stat; List sets it when the
	// server returns user metadata in listings (MinIO does, AWS S3 does not).
	SHA256   string
	Modified time.Time
}

// Rule is a retention rule: objects under Prefix expire Days after their upload.
type Rule struct {
	ID     string `json:"id"`
	Prefix string `json:"prefix"`
	Days   int    `json:"days"`
}

// Errors callers can test with errors.Is.
var (
	ErrNotFound             = errors.New("object not found")
	ErrInvalidKey           = errors.New("invalid key")
	ErrChecksumMismatch     = errors.New("sha256 mismatch")
	ErrRetentionUnsupported = errors.New("retention rules not supported by the storage server")
	ErrUnreachable          = errors.New("storage server unreachable")
)

// NotFoundError reports a key with no object behind it.
type NotFoundError struct {
	Where string // the store, e.g. `s3 bucket "releases" at 127.0.0.1:9000`
	Key   string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s: %q: %v", e.Where, e.Key, ErrNotFound)
}

func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ChecksumMismatchError reports content whose SHA-256 is not the one the caller announced.
// The object has been removed when this is returned.
type ChecksumMismatchError struct {
	Key       string
	Want, Got string
	Size      int64
}

func (e *ChecksumMismatchError) Error() string {
	return fmt.Sprintf("put %q: %v: expected %s, streamed %d bytes with %s; nothing stored",
		e.Key, ErrChecksumMismatch, e.Want, e.Size, e.Got)
}

func (e *ChecksumMismatchError) Is(target error) bool { return target == ErrChecksumMismatch }

// RetentionUnsupportedError reports a server that refused a lifecycle rule, or accepted it
// without keeping it.
type RetentionUnsupportedError struct {
	Where  string
	Reason string
	Err    error
}

func (e *RetentionUnsupportedError) Error() string {
	msg := fmt.Sprintf("%s: %v: %s", e.Where, ErrRetentionUnsupported, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *RetentionUnsupportedError) Is(target error) bool { return target == ErrRetentionUnsupported }

func (e *RetentionUnsupportedError) Unwrap() error { return e.Err }

// SHA256Hex returns the hex SHA-256 of data, for callers that Put small in-memory files.
func SHA256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// validSHA256 checks the digest callers announce to Put.
func validSHA256(s string) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return fmt.Errorf("sha256 %q is not 64 hex digits", s)
	}
	return nil
}

// hashingReader hashes and counts what passes through it, so the digest of what was actually
// sent can be compared with the announced one.
type hashingReader struct {
	r     io.Reader
	h     hash.Hash
	count int64
}

func newHashingReader(r io.Reader) *hashingReader {
	return &hashingReader{r: r, h: sha256.New()}
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	hr.count += int64(n)
	return n, err
}

func (hr *hashingReader) sum() string { return hex.EncodeToString(hr.h.Sum(nil)) }
