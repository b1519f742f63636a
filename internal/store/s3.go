package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// minPartSize is the smallest part S3 accepts (except the last one).
const minPartSize = 5 << 20

// shaMetaKey is the user metadata (x-amz-meta-sha256) recording an object's SHA-256.
const shaMetaKey = "sha256"

// S3 stores objects in an S3-compatible bucket.
type S3 struct {
	client   *minio.Client
	cfg      Config
	endpoint url.URL // scheme://host of the server, for public URLs and messages
	partSize uint64
	set      settings
}

var _ Store = (*S3)(nil)

// NewS3 connects to the bucket in cfg. It makes no request: a wrong endpoint or credentials
// show on first use.
func NewS3(cfg Config, opts ...Option) (*S3, error) {
	set := newSettings(opts)
	if cfg.Bucket == "" {
		return nil, errors.New("s3 store: no bucket configured")
	}
	endpoint, err := parseEndpoint(cfg.Endpoint, cfg.DisableTLS)
	if err != nil {
		return nil, fmt.Errorf("s3 store for bucket %q: %w", cfg.Bucket, err)
	}
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	if partSize < minPartSize {
		return nil, fmt.Errorf("s3 store for bucket %q: part size %d is below the S3 minimum of %d bytes", cfg.Bucket, partSize, minPartSize)
	}
	accessKey, secretKey, err := set.credentials(cfg)
	if err != nil {
		return nil, err
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(endpoint.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(accessKey, secretKey, ""),
		Secure:       endpoint.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: lookup,
		MaxRetries:   set.maxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 store for bucket %q at %s: %w", cfg.Bucket, endpoint.Host, err)
	}
	return &S3{client: client, cfg: cfg, endpoint: endpoint, partSize: uint64(partSize), set: set}, nil
}

// parseEndpoint accepts host:port or http(s)://host[:port].
func parseEndpoint(endpoint string, disableTLS bool) (url.URL, error) {
	if endpoint == "" {
		return url.URL{}, errors.New("no endpoint configured")
	}
	if !strings.Contains(endpoint, "://") {
		scheme := "https"
		if disableTLS {
			scheme = "http"
		}
		endpoint = scheme + "://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return url.URL{}, fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return url.URL{}, fmt.Errorf("endpoint %q: scheme must be http or https", endpoint)
	case u.Host == "":
		return url.URL{}, fmt.Errorf("endpoint %q: no host", endpoint)
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil:
		return url.URL{}, fmt.Errorf("endpoint %q: only scheme, host and port are allowed", u.Redacted())
	}
	return url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// String names the store for logs, without credentials.
func (s *S3) String() string {
	return fmt.Sprintf("s3 bucket %q at %s", s.cfg.Bucket, s.endpoint.String())
}

// EnsureBucket creates the bucket when it does not exist yet.
func (s *S3) EnsureBucket(ctx context.Context) error {
	exists, err := s.client.BucketExists(ctx, s.cfg.Bucket)
	if err != nil {
		return s.fail("check bucket", "", err)
	}
	if exists {
		return nil
	}
	if err := s.client.MakeBucket(ctx, s.cfg.Bucket, minio.MakeBucketOptions{Region: s.cfg.Region}); err != nil {
		return s.fail("create bucket", "", err)
	}
	return nil
}

// Put implements Store. The upload is a streaming multipart upload with parts of
// Config.PartSize, which minio-go completes only when every part arrived; on failure the
// incomplete upload is aborted so no parts linger, and parts left by an earlier attempt that
// could not abort (server gone) are removed before uploading again. The SHA-256 of what was
// streamed is compared with sha256hex afterwards, and a mismatch removes the object again.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, sha256hex, contentType string) (PutResult, error) {
	if err := ValidateKey(key); err != nil {
		return PutResult{}, fmt.Errorf("put in %s: %w", s, err)
	}
	want := strings.ToLower(sha256hex)
	if err := validSHA256(want); err != nil {
		return PutResult{}, fmt.Errorf("put %q in %s: %w", key, s, err)
	}
	existing, err := s.Stat(ctx, key)
	switch {
	case err == nil && existing.SHA256 == want:
		return PutResult{Skipped: true, Size: existing.Size}, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return PutResult{}, err
	}

	n, err := s.upload(ctx, key, r, size, want, contentType)
	if err != nil {
		return PutResult{}, err
	}
	return PutResult{Size: n}, nil
}

// upload streams r to key and checks what was sent against the announced digest.
func (s *S3) upload(ctx context.Context, key string, r io.Reader, size int64, want, contentType string) (int64, error) {
	// Parts of an earlier attempt that died with the server would otherwise stay forever.
	if err := s.client.RemoveIncompleteUpload(ctx, s.cfg.Bucket, key); err != nil {
		return 0, s.fail("abort earlier incomplete uploads of", key, err)
	}
	streamed := newHashingReader(r)
	_, err := s.client.PutObject(ctx, s.cfg.Bucket, key, streamed, size, minio.PutObjectOptions{
		UserMetadata: map[string]string{shaMetaKey: want},
		ContentType:  contentType,
		PartSize:     s.partSize,
	})
	if err != nil {
		return 0, s.failedUpload(ctx, key, err)
	}
	if got := streamed.sum(); got != want {
		mismatch := &ChecksumMismatchError{Key: key, Want: want, Got: got, Size: streamed.count}
		rmErr := s.cleanup(ctx, func(ctx context.Context) error {
			return s.client.RemoveObject(ctx, s.cfg.Bucket, key, minio.RemoveObjectOptions{})
		})
		if rmErr != nil {
			return 0, fmt.Errorf("%w; removing the object also failed, remove it by hand: %w", mismatch, s.fail("remove", key, rmErr))
		}
		return 0, mismatch
	}
	return streamed.count, nil
}

// failedUpload aborts whatever multipart upload is left for key. minio-go already aborts its
// own upload on error; this is for the cases where that abort did not get through.
func (s *S3) failedUpload(ctx context.Context, key string, err error) error {
	putErr := s.fail("put", key, err)
	if errors.Is(putErr, ErrUnreachable) {
		return putErr // nothing to clean on a server we cannot reach; a retry cleans up
	}
	abortErr := s.cleanup(ctx, func(ctx context.Context) error {
		return s.client.RemoveIncompleteUpload(ctx, s.cfg.Bucket, key)
	})
	if abortErr != nil {
		return fmt.Errorf("%w; aborting the incomplete upload also failed: %w", putErr, s.fail("abort upload", key, abortErr))
	}
	return putErr
}

// cleanup runs fn with a context that outlives a cancelled ctx, so that cleaning up after a
// failure (often caused by the cancellation) still happens.
func (s *S3) cleanup(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.set.abortTimeout)
	defer cancel()
	return fn(ctx)
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if _, err := s.Stat(ctx, key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.fail("get", key, err)
	}
	return obj, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, fmt.Errorf("stat in %s: %w", s, err)
	}
	info, err := s.client.StatObject(ctx, s.cfg.Bucket, key, minio.StatObjectOptions{})
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return ObjectInfo{}, &NotFoundError{Where: s.String(), Key: key}
		}
		return ObjectInfo{}, s.fail("stat", key, err)
	}
	return s3ObjectInfo(info), nil
}

func s3ObjectInfo(info minio.ObjectInfo) ObjectInfo {
	var sha string
	for k, v := range info.UserMetadata {
		if strings.EqualFold(k, shaMetaKey) {
			sha = v
		}
	}
	return ObjectInfo{Key: info.Key, Size: info.Size, SHA256: sha, Modified: info.LastModified}
}

// List implements Store. SHA256 is left empty: S3 listings do not carry user metadata.
func (s *S3) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	folder, err := validatePrefix(prefix, true)
	if err != nil {
		return nil, fmt.Errorf("list in %s: %w", s, err)
	}
	var objects []ObjectInfo
	for obj := range s.client.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: folderOf(folder), Recursive: true}) {
		if obj.Err != nil {
			return nil, s.fail("list", folderOf(folder), obj.Err)
		}
		objects = append(objects, s3ObjectInfo(obj))
	}
	return objects, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("delete in %s: %w", s, err)
	}
	if err := s.client.RemoveObject(ctx, s.cfg.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return s.fail("delete", key, err)
	}
	return nil
}

// DeletePrefix implements Store. Incomplete uploads under the folder are aborted too.
func (s *S3) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	folder, err := validatePrefix(prefix, false)
	if err != nil {
		return 0, fmt.Errorf("delete in %s: %w", s, err)
	}
	objects, err := s.List(ctx, folder)
	if err != nil {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, obj := range objects {
		if err := s.client.RemoveObject(ctx, s.cfg.Bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
			errs = append(errs, s.fail("delete", obj.Key, err))
			continue
		}
		removed++
	}
	for upload := range s.client.ListIncompleteUploads(ctx, s.cfg.Bucket, folderOf(folder), true) {
		if upload.Err != nil {
			errs = append(errs, s.fail("list incomplete uploads", folderOf(folder), upload.Err))
			break
		}
		if err := s.client.RemoveIncompleteUpload(ctx, s.cfg.Bucket, upload.Key); err != nil {
			errs = append(errs, s.fail("abort upload", upload.Key, err))
		}
	}
	return removed, errors.Join(errs...)
}

// Link implements Store: a presigned GET valid for validFor capped at MaxPresignValidity, or
// in public mode a plain URL and a zero expiry (it works until the object is deleted).
func (s *S3) Link(ctx context.Context, key string, validFor time.Duration) (string, time.Time, error) {
	if _, err := s.Stat(ctx, key); err != nil {
		return "", time.Time{}, fmt.Errorf("link: %w", err)
	}
	if s.cfg.Public {
		return s.publicURL(key), time.Time{}, nil
	}
	validFor = min(validFor, MaxPresignValidity).Truncate(time.Second)
	if validFor < time.Second {
		return "", time.Time{}, fmt.Errorf("link %q in %s: validity %v is under one second", key, s, validFor)
	}
	now := s.set.now()
	u, err := s.client.PresignedGetObject(ctx, s.cfg.Bucket, key, validFor, nil)
	if err != nil {
		return "", time.Time{}, s.fail("presign", key, err)
	}
	return u.String(), now.Add(validFor), nil
}

// publicURL is <PublicBaseURL or endpoint/bucket>/<key>, each key segment escaped.
func (s *S3) publicURL(key string) string {
	base := s.cfg.PublicBaseURL
	if base == "" {
		base = s.endpoint.String() + "/" + url.PathEscape(s.cfg.Bucket)
	}
	segments := strings.Split(key, "/")
	for i, seg := range segments {
		segments[i] = url.PathEscape(seg)
	}
	return strings.TrimSuffix(base, "/") + "/" + strings.Join(segments, "/")
}

// fail describes a failed request: what, which key, which store, its class and, for a
// refusal, the likely causes. URLs inside the error lose their query string so no signature
// or upload id ends up in logs.
func (s *S3) fail(op, key string, err error) error {
	err = redactURLError(err)
	where := s.String()
	if key != "" {
		where = fmt.Sprintf("%q in %s", key, s)
	}
	re := &RequestError{Op: op, Where: where, Err: err}
	if minio.IsNetworkOrHostDown(err, false) && !errors.Is(err, context.DeadlineExceeded) {
		re.Kind = ErrUnreachable
		return re
	}
	resp := minio.ToErrorResponse(err)
	re.Code, re.Status = resp.Code, resp.StatusCode
	switch {
	case resp.Code == "NoSuchBucket":
		re.Kind, re.Hint = ErrNoSuchBucket, fmt.Sprintf("create bucket %q, or correct the configured name", s.cfg.Bucket)
	case resp.StatusCode == http.StatusForbidden:
		akEnv, skEnv := s.cfg.AccessKeyEnv, s.cfg.SecretKeyEnv
		if akEnv == "" {
			akEnv = DefaultAccessKeyEnv
		}
		if skEnv == "" {
			skEnv = DefaultSecretKeyEnv
		}
		re.Kind, re.Hint = ErrDenied, deniedHint(op, resp.Code, akEnv, skEnv)
	case resp.StatusCode >= 500:
		re.Kind = ErrServer
	}
	return re
}

// redactURLError drops the query string of the URL in a *url.Error.
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	redacted := *ue
	if u, perr := url.Parse(ue.URL); perr == nil {
		u.RawQuery, u.User, u.Fragment = "", nil, ""
		redacted.URL = u.String()
	} else {
		redacted.URL = "(url withheld)"
	}
	return &redacted
}
