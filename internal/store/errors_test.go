package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/store/miniotest"
)

// A wrong secret: MinIO refuses every request; the error is permanent and names the
// variable that holds the secret (never the secret).
func TestS3WrongSecretIsPermanentAndNamesItsVariable(t *testing.T) {
	srv := miniotest.Shared(t)
	good := newS3(t, srv)
	putBytes(t, good, "ciel/v1/a.zip", []byte("a"))
	const secret = "not-the-secret-key-1234"
	bad, err := NewS3(good.cfg, WithStaticCredentials(srv.AccessKey, secret), WithMaxRetries(1))
	require.NoError(t, err)

	_, err = bad.Stat(context.Background(), "ciel/v1/a.zip")
	require.Error(t, err)
	t.Logf("stat: %v", err)
	assert.True(t, IsPermanent(err))
	assert.ErrorIs(t, err, ErrDenied)
	assert.Contains(t, err.Error(), "TEST_S3_SECRET")
	assert.NotContains(t, err.Error(), secret)

	_, err = bad.Put(context.Background(), "ciel/v1/b.zip", strings.NewReader("x"), 1, SHA256Hex([]byte("x")), "")
	require.Error(t, err)
	assert.True(t, IsPermanent(err))
}

// denyingProxy stands in front of MinIO and answers HEAD requests with a bodiless 403, as
// AWS S3 and RustFS do when the key may not read the object (MinIO's root user may do
// everything, so MinIO alone cannot show it).
func denyingProxy(t *testing.T, srv *miniotest.Server, deny func(*http.Request) bool) string {
	t.Helper()
	target, err := url.Parse("http://" + srv.Endpoint)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if deny(r) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	return strings.TrimPrefix(front.URL, "http://")
}

func TestS3ForbiddenHeadNamesTheLikelyCauses(t *testing.T) {
	srv := miniotest.Shared(t)
	direct := newS3(t, srv)
	putBytes(t, direct, "ciel/v1/a.zip", []byte("a"))
	endpoint := denyingProxy(t, srv, func(r *http.Request) bool { return r.Method == http.MethodHead })
	s, err := NewS3(Config{Endpoint: endpoint, DisableTLS: true, Region: "us-east-1", Bucket: direct.cfg.Bucket, PathStyle: true,
		AccessKeyEnv: "TEST_S3_KEY", SecretKeyEnv: "TEST_S3_SECRET"}, WithStaticCredentials(srv.AccessKey, srv.SecretKey), WithMaxRetries(1))
	require.NoError(t, err)

	_, err = s.Stat(context.Background(), "ciel/v1/a.zip")
	require.Error(t, err)
	t.Logf("stat: %v", err)
	assert.ErrorIs(t, err, ErrDenied)
	assert.False(t, errors.Is(err, ErrNotFound), "a 403 is not a missing object")
	assert.True(t, IsPermanent(err))
	assert.Contains(t, err.Error(), "wrong secret key in TEST_S3_SECRET")
	assert.Contains(t, err.Error(), "s3:GetObject")
}

func TestErrorClasses(t *testing.T) {
	srv := miniotest.Shared(t)
	s := newS3(t, srv)
	cases := []struct {
		err       error
		permanent bool
	}{
		{s.fail("put", "k", errors.New("dial tcp 127.0.0.1:1: connect: connection refused")), false},
		{fmt.Errorf("upload: %w", &RequestError{Op: "put", Status: http.StatusServiceUnavailable, Code: "SlowDown", Kind: ErrServer, Err: errors.New("slow")}), false},
		{&RequestError{Op: "put", Status: http.StatusInternalServerError, Code: "InternalError", Kind: ErrServer, Err: errors.New("x")}, false},
		{&RequestError{Op: "put", Status: http.StatusRequestTimeout, Code: "RequestTimeout", Err: errors.New("x")}, false},
		{&RequestError{Op: "put", Status: http.StatusConflict, Code: "OperationAborted", Err: errors.New("x")}, false},
		{&RequestError{Op: "put", Status: http.StatusForbidden, Code: "AccessDenied", Kind: ErrDenied, Err: errors.New("x")}, true},
		{&RequestError{Op: "put", Status: http.StatusNotFound, Code: "NoSuchBucket", Kind: ErrNoSuchBucket, Err: errors.New("x")}, true},
		{fmt.Errorf("put: %w", ErrInvalidKey), true},
		{errors.New("something else"), false},
		{context.Canceled, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.permanent, IsPermanent(c.err), "%v", c.err)
	}

	missing := newS3(t, srv)
	missing.cfg.Bucket = "shepherd-no-such-bucket"
	_, err := missing.Put(context.Background(), "ciel/v1/a", strings.NewReader("a"), 1, SHA256Hex([]byte("a")), "")
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNoSuchBucket)
	assert.True(t, IsPermanent(err))
	assert.Contains(t, err.Error(), `create bucket "shepherd-no-such-bucket"`)
}
