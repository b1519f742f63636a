package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"
)

var _ Conditional = (*S3)(nil)

// ReadSmall implements Conditional. The ETag comes from the answer to the same GET that
// brought the bytes, so the two always belong together.
func (s *S3) ReadSmall(ctx context.Context, key string) ([]byte, string, error) {
	if err := ValidateKey(key); err != nil {
		return nil, "", fmt.Errorf("read in %s: %w", s, err)
	}
	obj, err := s.client.GetObject(ctx, s.cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, "", s.fail("get", key, err)
	}
	defer obj.Close()
	info, err := obj.Stat()
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, "", &NotFoundError{Where: s.String(), Key: key}
		}
		return nil, "", s.fail("get", key, err)
	}
	if info.Size > MaxSmallObject {
		return nil, "", fmt.Errorf("read %q in %s: %d bytes, more than the %d a conditional object may have", key, s, info.Size, MaxSmallObject)
	}
	data, err := io.ReadAll(io.LimitReader(obj, MaxSmallObject+1))
	if err != nil {
		return nil, "", s.fail("get", key, err)
	}
	return data, info.ETag, nil
}

// Create implements Conditional with If-None-Match: *.
func (s *S3) Create(ctx context.Context, key string, data []byte) (string, error) {
	opts := s.smallPutOptions(data)
	opts.SetMatchETagExcept("*")
	return s.conditionalPut(ctx, "create", key, data, opts)
}

// Replace implements Conditional with If-Match: "etag".
func (s *S3) Replace(ctx context.Context, key string, data []byte, etag string) (string, error) {
	if etag == "" {
		return "", fmt.Errorf("replace %q in %s: no ETag to match", key, s)
	}
	opts := s.smallPutOptions(data)
	opts.SetMatchETag(etag)
	return s.conditionalPut(ctx, "replace", key, data, opts)
}

func (s *S3) smallPutOptions(data []byte) minio.PutObjectOptions {
	return minio.PutObjectOptions{
		UserMetadata: map[string]string{shaMetaKey: SHA256Hex(data)},
		ContentType:  "application/json",
	}
}

// conditionalPut sends one PUT (the data is far below the multipart threshold) and turns
// the server's refusal of the condition into a *PreconditionError.
func (s *S3) conditionalPut(ctx context.Context, op, key string, data []byte, opts minio.PutObjectOptions) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", fmt.Errorf("%s in %s: %w", op, s, err)
	}
	if len(data) > MaxSmallObject {
		return "", fmt.Errorf("%s %q in %s: %d bytes, more than the %d a conditional object may have", op, key, s, len(data), MaxSmallObject)
	}
	info, err := s.client.PutObject(ctx, s.cfg.Bucket, key, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		if reason := preconditionReason(op, err); reason != "" {
			return "", &PreconditionError{Op: op, Where: s.String(), Key: key, Reason: reason}
		}
		return "", s.fail("put", key, err)
	}
	return info.ETag, nil
}

// preconditionReason names a refused condition ("" for any other error): 412
// PreconditionFailed; 409 ConditionalRequestConflict, AWS's answer to a conditional write
// racing another; and NoSuchKey for If-Match on a key that is gone (AWS and MinIO answer
// 404 there, see conditional.go).
func preconditionReason(op string, err error) string {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.StatusCode == http.StatusPreconditionFailed || resp.Code == "PreconditionFailed":
		if op == "create" {
			return "it exists"
		}
		return "it changed since it was read"
	case resp.Code == "ConditionalRequestConflict":
		return "another conditional write raced this one"
	case op != "create" && resp.Code == minio.NoSuchKey:
		return "it is gone"
	}
	return ""
}

// DeleteIf implements Conditional as a HEAD, a comparison and a DELETE: minio-go sends no
// condition with a delete and MinIO's DeleteObject would not evaluate one (conditional.go),
// so another write can slip in between. Callers use it where a person decides, or on a
// lease they hold, which no other run writes (internal/steps/lease.go).
func (s *S3) DeleteIf(ctx context.Context, key, etag string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("delete in %s: %w", s, err)
	}
	if etag == "" {
		return fmt.Errorf("delete %q in %s: no ETag to match", key, s)
	}
	info, err := s.client.StatObject(ctx, s.cfg.Bucket, key, minio.StatObjectOptions{})
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return &PreconditionError{Op: "delete", Where: s.String(), Key: key, Reason: "it is gone"}
		}
		return s.fail("stat", key, err)
	}
	if info.ETag != etag {
		return &PreconditionError{Op: "delete", Where: s.String(), Key: key, Reason: "it changed since it was read"}
	}
	if err := s.client.RemoveObject(ctx, s.cfg.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return s.fail("delete", key, err)
	}
	return nil
}
