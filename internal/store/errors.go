package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
)

// More classes of storage errors, for errors.Is.
var (
	// ErrDenied: the server refused the credentials or the action (403).
	ErrDenied = errors.New("access denied")
	// ErrNoSuchBucket: the configured bucket does not exist.
	ErrNoSuchBucket = errors.New("no such bucket")
	// ErrServer: the server failed (5xx, SlowDown).
	ErrServer = errors.New("storage server error")
	// ErrNotGone: objects were still there after they were deleted.
	ErrNotGone = errors.New("objects still there after deletion")
)

// RequestError is a request the storage server refused or failed. It says what was
// being done, where, and (for refusals) the likely causes.
type RequestError struct {
	Op    string // "put", "stat", "list", …
	Where string // `"ciel/v1/a.zip" in s3 bucket "releases" at http://…`
	// Code is the S3 error code ("AccessDenied", "NoSuchBucket", …), Status the HTTP status;
	// both empty when no answer arrived.
	Code   string
	Status int
	Kind   error // ErrDenied, ErrNoSuchBucket, ErrServer, ErrUnreachable or nil
	Hint   string
	Err    error
}

func (e *RequestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Op, e.Where)
	switch {
	case errors.Is(e.Kind, ErrUnreachable):
		fmt.Fprintf(&b, "%v: %v", ErrUnreachable, e.Err)
	case e.Code != "":
		fmt.Fprintf(&b, "%s (HTTP %d %s): %v", e.Code, e.Status, http.StatusText(e.Status), e.Err)
	default:
		fmt.Fprintf(&b, "%v", e.Err)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	return b.String()
}

func (e *RequestError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// Permanent reports a refusal no retry cures: 4xx other than 408, 409 and 429.
func (e *RequestError) Permanent() bool {
	if errors.Is(e.Kind, ErrUnreachable) || errors.Is(e.Kind, ErrServer) {
		return false
	}
	if e.Code == "SlowDown" || e.Code == "RequestTimeout" {
		return false
	}
	switch e.Status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
		return false
	}
	return e.Status >= 400 && e.Status < 500
}

// IsPermanent reports whether err from a store is a refusal only a person can fix (wrong
// credentials, a missing permission or bucket, an invalid key, a folder the local store may
// not write). Outages, server errors and errors of unknown origin are transient.
func IsPermanent(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var re *RequestError
	if errors.As(err, &re) {
		return re.Permanent()
	}
	return errors.Is(err, ErrInvalidKey) || errors.Is(err, fs.ErrPermission)
}

// permissionFor names the S3 action an operation of this package needs (see docs/storage.md).
var permissionFor = map[string]string{
	"put": "s3:PutObject", "stat": "s3:GetObject", "presign": "s3:GetObject", "list": "s3:ListBucket",
	"delete": "s3:DeleteObject", "abort upload": "s3:AbortMultipartUpload",
	"abort earlier incomplete uploads of": "s3:ListBucketMultipartUploads and s3:AbortMultipartUpload",
	"list incomplete uploads":             "s3:ListBucketMultipartUploads",
	"read lifecycle configuration":        "s3:GetLifecycleConfiguration",
	"read bucket policy":                  "s3:GetBucketPolicy", "set bucket policy": "s3:PutBucketPolicy",
	"check bucket": "s3:ListBucket", "create bucket": "s3:CreateBucket",
	"read bucket versioning": "s3:GetBucketVersioning",
}

// deniedHint names the likely causes of a 403. A HEAD (stat) answer has no body, and
// servers other than MinIO answer a wrong secret with a plain AccessDenied, so the wrong
// secret is always among them.
func deniedHint(op, code, accessKeyEnv, secretKeyEnv string) string {
	perm := permissionFor[op]
	if strings.HasPrefix(op, "set lifecycle rule") {
		perm = "s3:PutLifecycleConfiguration"
	}
	switch code {
	case "InvalidAccessKeyId":
		return fmt.Sprintf("the server does not know the access key in %s", accessKeyEnv)
	case "SignatureDoesNotMatch":
		return fmt.Sprintf("the secret key in %s does not match the access key, or a proxy rewrites the Host header", secretKeyEnv)
	}
	causes := fmt.Sprintf("likely causes: a wrong secret key in %s", secretKeyEnv)
	if perm != "" {
		causes += fmt.Sprintf(", or the access key's policy lacks %s on this bucket", perm)
	} else {
		causes += ", or the access key's policy lacks the permission"
	}
	return causes + "; docs/storage.md lists the policy"
}
