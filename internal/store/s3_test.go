package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/store/miniotest"
)

var bucketCount atomic.Int64

// newS3 returns a store on a new, empty bucket of srv.
func newS3(t testing.TB, srv *miniotest.Server, adjust ...func(*Config)) *S3 {
	t.Helper()
	cfg := Config{
		Endpoint:     srv.Endpoint,
		DisableTLS:   true,
		Region:       "us-east-1",
		Bucket:       fmt.Sprintf("shepherd-test-%d", bucketCount.Add(1)),
		PathStyle:    true,
		AccessKeyEnv: "TEST_S3_KEY",
		SecretKeyEnv: "TEST_S3_SECRET",
	}
	for _, f := range adjust {
		f(&cfg)
	}
	env := map[string]string{"TEST_S3_KEY": srv.AccessKey, "TEST_S3_SECRET": srv.SecretKey}
	s, err := NewS3(cfg, WithGetenv(func(k string) string { return env[k] }), WithClock(func() time.Time { return fixedNow }))
	require.NoError(t, err)
	require.NoError(t, s.EnsureBucket(context.Background()))
	return s
}

func TestS3Contract(t *testing.T) {
	srv := miniotest.Shared(t)
	runContract(t, func(t *testing.T) Store { return newS3(t, srv) })
}

// pseudoRandom is a deterministic incompressible stream of n bytes.
func pseudoRandom(seed uint64, n int64) io.Reader {
	var key [32]byte
	key[0] = byte(seed)
	return io.LimitReader(rand.NewChaCha8(key), n)
}

func sha256Of(t testing.TB, r io.Reader) string {
	t.Helper()
	h := sha256.New()
	_, err := io.Copy(h, r)
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

func TestS3MultipartUploadOfUnknownSize(t *testing.T) {
	ctx := context.Background()
	const size, part = 40 << 20, 5 << 20
	s := newS3(t, miniotest.Shared(t), func(c *Config) { c.PartSize = part })
	sum := sha256Of(t, pseudoRandom(1, size))

	res, err := s.Put(ctx, "ciel/v1/export.zip", onlyReader{pseudoRandom(1, size)}, -1, sum, "application/zip")
	require.NoError(t, err)
	assert.Equal(t, PutResult{Size: size}, res)

	raw, err := s.client.StatObject(ctx, s.cfg.Bucket, "ciel/v1/export.zip", minio.StatObjectOptions{})
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(raw.ETag, fmt.Sprintf("-%d", size/part)), "multipart ETag %q names %d parts", raw.ETag, size/part)
	assert.Equal(t, "application/zip", raw.ContentType)

	obj, err := s.client.GetObject(ctx, s.cfg.Bucket, "ciel/v1/export.zip", minio.GetObjectOptions{})
	require.NoError(t, err)
	defer obj.Close()
	assert.Equal(t, sum, sha256Of(t, obj), "downloaded content")
}

func TestS3InterruptedUploadLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s := newS3(t, miniotest.Shared(t), func(c *Config) { c.PartSize = 5 << 20 })
	cut := &cutReader{r: pseudoRandom(2, 20<<20), after: 12 << 20} // two parts sent, third cut
	_, err := s.Put(ctx, "ciel/v1/export.zip", cut, -1, sha256Of(t, pseudoRandom(2, 20<<20)), "")
	require.ErrorIs(t, err, errCut)

	assertEmpty(t, s)
	assertNoIncompleteUploads(t, s, "ciel/v1/export.zip")
}

func TestS3CancelledUploadLeavesNothing(t *testing.T) {
	s := newS3(t, miniotest.Shared(t), func(c *Config) { c.PartSize = 5 << 20 })
	ctx, cancel := context.WithCancel(context.Background())
	r := &cancelAfter{r: pseudoRandom(3, 20<<20), after: 7 << 20, cancel: cancel}
	_, err := s.Put(ctx, "ciel/v1/export.zip", r, -1, sha256Of(t, pseudoRandom(3, 20<<20)), "")
	require.ErrorIs(t, err, context.Canceled)

	assertEmpty(t, s)
	assertNoIncompleteUploads(t, s, "ciel/v1/export.zip")
}

// cancelAfter cancels its context once after bytes were read, and keeps reading.
type cancelAfter struct {
	r      io.Reader
	after  int64
	read   int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	if c.read >= c.after {
		c.cancel()
	}
	return n, err
}

// assertNoIncompleteUploads lists by the exact key: MinIO lists multipart uploads only for
// one object, an empty prefix always answers none.
func assertNoIncompleteUploads(t *testing.T, s *S3, key string) {
	t.Helper()
	var keys []string
	for u := range s.client.ListIncompleteUploads(context.Background(), s.cfg.Bucket, key, true) {
		require.NoError(t, u.Err)
		keys = append(keys, u.Key)
	}
	assert.Empty(t, keys, "incomplete multipart uploads")
}

func TestS3UnreachableThenRetry(t *testing.T) {
	ctx := context.Background()
	srv := miniotest.Start(t)
	s := newS3(t, srv, func(c *Config) { c.PartSize = 5 << 20 })
	fast, err := NewS3(s.cfg, WithStaticCredentials(srv.AccessKey, srv.SecretKey), WithMaxRetries(1))
	require.NoError(t, err)
	const key, size = "ciel/v1/export.zip", 12 << 20
	sum := sha256Of(t, pseudoRandom(4, size))

	assertUnreachable := func(t *testing.T, err error) {
		t.Helper()
		require.ErrorIs(t, err, ErrUnreachable)
		t.Logf("unreachable: %v", err)
		assert.Contains(t, err.Error(), srv.Endpoint, "names the server")
		assert.Contains(t, err.Error(), key, "names the key")
		assert.NotContains(t, err.Error(), srv.SecretKey)
	}

	t.Run("server down before the upload", func(t *testing.T) {
		require.NoError(t, srv.Stop())
		_, err := fast.Put(ctx, key, pseudoRandom(4, size), -1, sum, "")
		assertUnreachable(t, err)
		require.NoError(t, srv.Restart())
	})

	t.Run("server gone in the middle of the upload", func(t *testing.T) {
		dying := &stopAfter{r: pseudoRandom(4, size), after: 7 << 20, stop: func() { require.NoError(t, srv.Stop()) }}
		_, err := fast.Put(ctx, key, dying, -1, sum, "")
		// A MinIO that is shutting down may still answer, with 503 "Server not
		// initialized": a server error rather than no answer, and just as transient.
		var re *RequestError
		if errors.As(err, &re) && errors.Is(err, ErrServer) {
			assert.Equal(t, http.StatusServiceUnavailable, re.Status, "%v", err)
			assert.False(t, re.Permanent(), "a server going away is worth a retry")
			assert.Contains(t, err.Error(), key, "names the key")
		} else {
			assertUnreachable(t, err)
		}
		require.NoError(t, srv.Restart())
	})

	t.Run("retry once it is back", func(t *testing.T) {
		res, err := fast.Put(ctx, key, pseudoRandom(4, size), -1, sum, "")
		require.NoError(t, err)
		assert.False(t, res.Skipped)
		objects := list(t, fast, "")
		require.Len(t, objects, 1)
		assert.Equal(t, int64(size), objects[0].Size)
		assertNoIncompleteUploads(t, fast, key)
	})
}

// stopAfter calls stop once after bytes were read, and keeps reading.
type stopAfter struct {
	r       io.Reader
	after   int64
	read    int64
	stop    func()
	stopped bool
}

func (s *stopAfter) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.read += int64(n)
	if s.read >= s.after && !s.stopped {
		s.stopped = true
		s.stop()
	}
	return n, err
}

func TestS3WrongCredentialsStayOutOfErrors(t *testing.T) {
	srv := miniotest.Shared(t)
	good := newS3(t, srv)
	const secret = "not-the-secret-key-1234"
	bad, err := NewS3(good.cfg, WithStaticCredentials(srv.AccessKey, secret), WithMaxRetries(1))
	require.NoError(t, err)
	_, err = bad.Put(context.Background(), "r/v1/f", strings.NewReader("x"), 1, SHA256Hex([]byte("x")), "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SignatureDoesNotMatch")
	assert.NotContains(t, err.Error(), secret)
}

func TestS3LifecycleRule(t *testing.T) {
	ctx := context.Background()
	s := newS3(t, miniotest.Shared(t))
	_, err := s.EnsureRetention(ctx, "other", 5)
	require.NoError(t, err)

	rule, err := s.EnsureRetention(ctx, "ciel", 21)
	require.NoError(t, err)
	cfg, updated, err := s.client.GetBucketLifecycleWithInfo(ctx, s.cfg.Bucket)
	require.NoError(t, err)
	require.Len(t, cfg.Rules, 2, "the other folder's rule is kept")
	assert.Equal(t, rule.ID, cfg.Rules[1].ID)
	assert.Equal(t, "ciel/", cfg.Rules[1].RuleFilter.Prefix)
	assert.EqualValues(t, 21, cfg.Rules[1].Expiration.Days)

	_, err = s.EnsureRetention(ctx, "ciel", 21)
	require.NoError(t, err)
	_, updatedAgain, err := s.client.GetBucketLifecycleWithInfo(ctx, s.cfg.Bucket)
	require.NoError(t, err)
	assert.Equal(t, updated, updatedAgain, "an unchanged rule is not written again")

	_, err = s.EnsureRetention(ctx, "ciel", 30)
	require.NoError(t, err)
	cfg, err = s.client.GetBucketLifecycle(ctx, s.cfg.Bucket)
	require.NoError(t, err)
	require.Len(t, cfg.Rules, 2)
	assert.EqualValues(t, 30, cfg.Rules[1].Expiration.Days)
}

func TestS3PresignedLink(t *testing.T) {
	ctx := context.Background()
	s := newS3(t, miniotest.Shared(t))
	data := []byte("release files")
	putBytes(t, s, "ciel/v1/export.zip", data)

	link, expires, err := s.Link(ctx, "ciel/v1/export.zip", 21*24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, fixedNow.Add(MaxPresignValidity), expires, "capped at 7 days")
	u, err := url.Parse(link)
	require.NoError(t, err)
	assert.Equal(t, "604800", u.Query().Get("X-Amz-Expires"))
	assert.Equal(t, data, get(t, link))

	short, _, err := s.Link(ctx, "ciel/v1/export.zip", time.Second)
	require.NoError(t, err)
	time.Sleep(2 * time.Second) // the behaviour under test is the expiry itself
	resp, err := http.Get(short)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "expired link")
}

func TestS3PublicMode(t *testing.T) {
	ctx := context.Background()
	s := newS3(t, miniotest.Shared(t), func(c *Config) { c.Public = true; c.Prefix = "ciel" })
	putBytes(t, s, "ciel/v1/export.zip", []byte("public"))
	putBytes(t, s, "qa/HEAD/latest.json", []byte("{}"))
	putBytes(t, s, "cielx/v1/export.zip", []byte("private"))

	require.NoError(t, s.EnsurePublicRead(ctx, "ciel"))
	before, err := s.client.GetBucketPolicy(ctx, s.cfg.Bucket)
	require.NoError(t, err)
	require.NoError(t, s.EnsurePublicRead(ctx, "ciel"), "second time")
	after, err := s.client.GetBucketPolicy(ctx, s.cfg.Bucket)
	require.NoError(t, err)
	assert.JSONEq(t, before, after)

	link, expires, err := s.Link(ctx, "ciel/v1/export.zip", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, srv(s)+"/"+s.cfg.Bucket+"/ciel/v1/export.zip", link)
	assert.True(t, expires.IsZero(), "public links do not expire")
	assert.Equal(t, []byte("public"), get(t, link))

	for _, path := range []string{"/qa/HEAD/latest.json", "/cielx/v1/export.zip", "/", "/?list-type=2&prefix=ciel/"} {
		resp, err := http.Get(srv(s) + "/" + s.cfg.Bucket + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "anonymous GET %s", path)
	}
}

func srv(s *S3) string { return s.endpoint.String() }

func TestS3PublicURLWithBaseURL(t *testing.T) {
	s, err := NewS3(Config{Endpoint: "https://s3.example.org", Bucket: "b", Public: true, PublicBaseURL: "https://downloads.example.org/"},
		WithStaticCredentials("k", "s"))
	require.NoError(t, err)
	assert.Equal(t, "https://downloads.example.org/ciel/v1/a%20b.zip", s.publicURL("ciel/v1/a b.zip"))
}

func TestPublicReadPolicy(t *testing.T) {
	policy, err := PublicReadPolicy("releases", "ciel/")
	require.NoError(t, err)
	assert.Contains(t, policy, `"arn:aws:s3:::releases/ciel/*"`)
	assert.Contains(t, policy, `"s3:GetObject"`)
	assert.NotContains(t, policy, "ListBucket")
	_, err = PublicReadPolicy("releases", "")
	assert.ErrorIs(t, err, ErrInvalidKey)
}

func TestNewS3Config(t *testing.T) {
	env := map[string]string{"AK": "access", "SK": "secret"}
	getenv := WithGetenv(func(k string) string { return env[k] })
	tests := []struct {
		name     string
		cfg      Config
		wantErr  string
		wantHost string
	}{
		{name: "host and port, TLS", cfg: Config{Endpoint: "rustfs.example.org:9000", Bucket: "b", AccessKeyEnv: "AK", SecretKeyEnv: "SK"}, wantHost: "https://rustfs.example.org:9000"},
		{name: "host and port, no TLS", cfg: Config{Endpoint: "127.0.0.1:9000", DisableTLS: true, Bucket: "b", AccessKeyEnv: "AK", SecretKeyEnv: "SK"}, wantHost: "http://127.0.0.1:9000"},
		{name: "URL decides TLS", cfg: Config{Endpoint: "http://minio:9000/", Bucket: "b", AccessKeyEnv: "AK", SecretKeyEnv: "SK"}, wantHost: "http://minio:9000"},
		{name: "no bucket", cfg: Config{Endpoint: "x:1"}, wantErr: "no bucket"},
		{name: "no endpoint", cfg: Config{Bucket: "b"}, wantErr: "no endpoint"},
		{name: "path in endpoint", cfg: Config{Endpoint: "https://x/bucket", Bucket: "b"}, wantErr: "only scheme, host and port"},
		{name: "credentials in endpoint are not echoed", cfg: Config{Endpoint: "https://user:hunter2@x", Bucket: "b"}, wantErr: "only scheme, host and port"},
		{name: "bad scheme", cfg: Config{Endpoint: "ftp://x", Bucket: "b"}, wantErr: "http or https"},
		{name: "small parts", cfg: Config{Endpoint: "x:1", Bucket: "b", PartSize: 1 << 20}, wantErr: "below the S3 minimum"},
		{name: "missing variables named", cfg: Config{Endpoint: "x:1", Bucket: "b", AccessKeyEnv: "NOPE_KEY"}, wantErr: "[NOPE_KEY SHEPHERD_S3_SECRET_KEY] not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewS3(tt.cfg, getenv)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), "hunter2")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantHost, s.endpoint.String())
			assert.NotContains(t, s.String(), "secret")
		})
	}
}

func TestNewPicksLocalWithoutBucket(t *testing.T) {
	s, err := New(Config{Dir: t.TempDir()})
	require.NoError(t, err)
	assert.IsType(t, &Local{}, s)
	s, err = New(Config{Endpoint: "x:1", Bucket: "b"}, WithStaticCredentials("k", "s"))
	require.NoError(t, err)
	assert.IsType(t, &S3{}, s)
}

func TestRedactURLError(t *testing.T) {
	err := redactURLError(&url.Error{Op: "Get", URL: "http://h:9000/b/k?X-Amz-Signature=abc&uploadId=1", Err: io.ErrUnexpectedEOF})
	assert.Equal(t, `Get "http://h:9000/b/k": unexpected EOF`, err.Error())
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	plain := bytes.ErrTooLarge
	assert.Equal(t, plain, redactURLError(plain))
}

// lifecycleServer fakes the two lifecycle requests of an S3 server that answers getStatus and
// putStatus (200 meaning: accepted, and for GET: an empty configuration).
func lifecycleServer(t *testing.T, getStatus, putStatus int) *S3 {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.URL.Query()["lifecycle"]; !ok {
			http.Error(w, "unexpected request "+r.Method+" "+r.URL.Path, http.StatusTeapot)
			return
		}
		status := getStatus
		if r.Method == http.MethodPut {
			status = putStatus
		}
		code := map[int]string{
			http.StatusNotFound:       "NoSuchLifecycleConfiguration",
			http.StatusNotImplemented: "NotImplemented",
			http.StatusForbidden:      "AccessDenied",
		}[status]
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		if code != "" {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>fake</Message></Error>`, code)
		} else if r.Method == http.MethodGet {
			fmt.Fprint(w, `<LifecycleConfiguration></LifecycleConfiguration>`)
		}
	}))
	t.Cleanup(srv.Close)
	s, err := NewS3(Config{Endpoint: srv.URL, Region: "us-east-1", Bucket: "releases", PathStyle: true},
		WithStaticCredentials("key", "secret"), WithMaxRetries(1))
	require.NoError(t, err)
	return s
}

func TestS3RetentionUnsupported(t *testing.T) {
	tests := []struct {
		name                 string
		getStatus, putStatus int
		wantUnsupported      bool
		wantMessage          string
	}{
		{name: "lifecycle not implemented", getStatus: http.StatusNotImplemented, putStatus: http.StatusNotImplemented, wantUnsupported: true, wantMessage: "NotImplemented"},
		{name: "reads nothing, refuses writes", getStatus: http.StatusNotFound, putStatus: http.StatusNotImplemented, wantUnsupported: true, wantMessage: "set lifecycle rule shepherd-expire-ciel refused"},
		{name: "accepts but does not keep", getStatus: http.StatusOK, putStatus: http.StatusOK, wantUnsupported: true, wantMessage: "not in the lifecycle configuration read back"},
		{name: "access denied is a real error", getStatus: http.StatusForbidden, putStatus: http.StatusForbidden, wantMessage: "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := lifecycleServer(t, tt.getStatus, tt.putStatus)
			_, err := s.EnsureRetention(context.Background(), "ciel", 21)
			require.Error(t, err)
			assert.Equal(t, tt.wantUnsupported, errors.Is(err, ErrRetentionUnsupported), "%v", err)
			assert.Contains(t, err.Error(), tt.wantMessage)
			assert.Contains(t, err.Error(), `s3 bucket "releases"`)
		})
	}
}
