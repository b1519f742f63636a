package store

import (
	"fmt"
	"os"
	"time"
)

// Defaults for Config.
const (
	DefaultPartSize     = 16 << 20
	DefaultAccessKeyEnv = "SHEPHERD_S3_ACCESS_KEY"
	DefaultSecretKeyEnv = "SHEPHERD_S3_SECRET_KEY"
	DefaultLocalDir     = "shepherd-store"
)

// Config selects and configures a store. With no Bucket the local folder Dir is used.
type Config struct {
	// Endpoint is host:port, or a URL whose scheme decides TLS (https on, http off).
	Endpoint string
	Region   string // empty: asked from the server (one more request, s3:GetBucketLocation)
	Bucket   string
	// Prefix is the export prefix: releases live at <Prefix>/<version>/<file>. The store
	// itself addresses the whole bucket; Prefix is what public mode and retention apply to.
	Prefix string
	// PathStyle addresses buckets as <endpoint>/<bucket> (RustFS, MinIO) rather than as
	// <bucket>.<endpoint> (AWS S3 default).
	PathStyle bool
	// DisableTLS talks plain HTTP to a host:port Endpoint.
	DisableTLS bool
	// AccessKeyEnv and SecretKeyEnv name the environment variables holding the static
	// credentials (DefaultAccessKeyEnv, DefaultSecretKeyEnv when empty). The values are never
	// logged nor put in errors.
	AccessKeyEnv, SecretKeyEnv string
	// PartSize is the multipart part size in bytes (DefaultPartSize when zero); one part is
	// buffered in memory per upload.
	PartSize int64
	// Public hands out plain URLs instead of presigned ones; the bucket policy must allow
	// anonymous reads on Prefix (S3.EnsurePublicRead).
	Public bool
	// PublicBaseURL replaces <endpoint>/<bucket> in public URLs, e.g. a CDN.
	PublicBaseURL string
	// Dir is the local store's folder (DefaultLocalDir when empty).
	Dir string
}

// Option adjusts how a store is built.
type Option func(*settings)

type settings struct {
	getenv       func(string) string
	accessKey    string
	secretKey    string
	hasStatic    bool
	now          func() time.Time
	maxRetries   int
	abortTimeout time.Duration
}

func newSettings(opts []Option) settings {
	s := settings{getenv: os.Getenv, now: time.Now, abortTimeout: time.Minute}
	for _, opt := range opts {
		opt(&s)
	}
	return s
}

// WithGetenv replaces os.Getenv for reading the credential variables.
func WithGetenv(getenv func(string) string) Option {
	return func(s *settings) { s.getenv = getenv }
}

// WithStaticCredentials uses these credentials instead of the environment.
func WithStaticCredentials(accessKey, secretKey string) Option {
	return func(s *settings) { s.accessKey, s.secretKey, s.hasStatic = accessKey, secretKey, true }
}

// WithClock replaces time.Now for link expiry times.
func WithClock(now func() time.Time) Option {
	return func(s *settings) { s.now = now }
}

// WithMaxRetries sets how many times a failing S3 request is tried (minio-go's default of 10
// when zero; 1 disables retries).
func WithMaxRetries(n int) Option {
	return func(s *settings) { s.maxRetries = n }
}

// New returns the store cfg describes: S3 when a bucket is configured, else a local folder.
func New(cfg Config, opts ...Option) (Store, error) {
	if cfg.Bucket == "" {
		dir := cfg.Dir
		if dir == "" {
			dir = DefaultLocalDir
		}
		return NewLocal(dir, opts...)
	}
	return NewS3(cfg, opts...)
}

func (s settings) credentials(cfg Config) (accessKey, secretKey string, err error) {
	if s.hasStatic {
		return s.accessKey, s.secretKey, nil
	}
	akEnv, skEnv := cfg.AccessKeyEnv, cfg.SecretKeyEnv
	if akEnv == "" {
		akEnv = DefaultAccessKeyEnv
	}
	if skEnv == "" {
		skEnv = DefaultSecretKeyEnv
	}
	accessKey, secretKey = s.getenv(akEnv), s.getenv(skEnv)
	var missing []string
	if accessKey == "" {
		missing = append(missing, akEnv)
	}
	if secretKey == "" {
		missing = append(missing, skEnv)
	}
	if len(missing) > 0 {
		return "", "", fmt.Errorf("s3 credentials for bucket %q: environment variable(s) %v not set", cfg.Bucket, missing)
	}
	return accessKey, secretKey, nil
}
