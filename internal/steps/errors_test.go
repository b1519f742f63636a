package steps_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/github/githubtest"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sandbox"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/store"
)

// githubAnswers puts answers of the real GitHub in front of the fake, for requests that
// match a method and a path pattern: times answers (negative: every one).
type githubAnswers struct {
	next   http.RoundTripper
	method string
	path   *regexp.Regexp
	status int
	body   string
	mu     sync.Mutex
	times  int
	hits   int
}

func (g *githubAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	g.mu.Lock()
	match := r.Method == g.method && g.path.MatchString(r.URL.Path) && g.times != 0
	if match {
		g.times--
		g.hits++
	}
	g.mu.Unlock()
	if !match {
		return g.next.RoundTrip(r)
	}
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: g.status, Status: fmt.Sprintf("%d %s", g.status, http.StatusText(g.status)),
		Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Ratelimit-Remaining": {"900"}},
		Body:   io.NopCloser(strings.NewReader(g.body)), Request: r, ProtoMajor: 1, ProtoMinor: 1}, nil
}

const (
	// A token without the permission: https://docs.github.com/rest/authentication/permissions-required-for-github-apps
	notAccessible = `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest","status":"403"}`
	badGateway    = `<html><body><h1>502 Bad Gateway</h1></body></html>`
)

// uploadsDown fails the uploads of the release's built files (not its QA reports), so a
// release stops in publishing with everything before it done.
type uploadsDown struct {
	store.Store
	mu   sync.Mutex
	down bool
}

func (u *uploadsDown) Put(ctx context.Context, key string, r io.Reader, size int64, sha, ct string) (store.PutResult, error) {
	u.mu.Lock()
	down := u.down && !strings.Contains(key, "/qa-")
	u.mu.Unlock()
	if down {
		return store.PutResult{}, fmt.Errorf("put %q: %w", key, store.ErrUnreachable)
	}
	return u.Store.Put(ctx, key, r, size, sha, ct)
}

// toPublishing brings a release to the publishing phase with every file built and the
// uploads failing, then restarts on a fresh runner with GitHub behind wrap.
func toPublishing(t *testing.T, seed int64, wrap func(http.RoundTripper) http.RoundTripper) (*sandbox.Sandbox, *manifest.Manifest, string) {
	t.Helper()
	ctx := context.Background()
	sb := newSandbox(t, dataset.Spec{Seed: seed, Concepts: 120}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	m, sha, _ := openAndMerge(t, sb)
	_, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	down := &uploadsDown{down: true}
	sb.SetFaults(nil, func(s store.Store) store.Store { down.Store = s; return down })
	require.NoError(t, sb.Restart(ctx))
	sb.Clock.Advance(10 * time.Minute)
	out, err := sb.Env.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.ErrorIs(t, out[0].Err, store.ErrUnreachable)
	require.Equal(t, release.Publishing, out[0].To)
	require.Equal(t, 1, sb.OCL.Count("GET", ocltest.RouteStorage), "the export was downloaded once")

	sb.SetFaults(wrap, nil)
	require.NoError(t, sb.Restart(ctx))
	return sb, m, sha
}

// The GitHub writes that only publishing makes: the tag, the Release, the milestone
// comment announcing the downloads.
var publishWrites = []struct {
	name, method, path string
}{
	{"create the tag", "POST", `/git/refs$`},
	{"create the release", "POST", `/releases$`},
	{"announce the downloads", "POST", `/issues/\d+/comments$`},
}

// A permanent refusal at a GitHub write of publishing fails the release once, with its
// reason and one comment; later ticks leave it alone and nothing is downloaded or built
// again, and a retry once the permission is granted finishes it without a new download.
func TestPermanentGitHubRefusalInPublishingFailsOnce(t *testing.T) {
	for i, w := range publishWrites {
		t.Run(w.name, func(t *testing.T) {
			ctx := context.Background()
			// A missing permission refuses every time; the comment route is refused once,
			// so that the failure itself can still be announced.
			times := -1
			if strings.Contains(w.path, "comments") {
				times = 1
			}
			refuse := &githubAnswers{method: w.method, path: regexp.MustCompile(w.path), status: http.StatusForbidden, body: notAccessible, times: times}
			sb, m, sha := toPublishing(t, int64(30+i), func(next http.RoundTripper) http.RoundTripper { refuse.next = next; return refuse })

			sb.Clock.Advance(10 * time.Minute)
			out, err := sb.Env.Poll(ctx)
			require.NoError(t, err)
			require.Len(t, out, 1)
			require.NoError(t, out[0].Err, "a permanent refusal is the release's failure, not the run's")
			assert.Equal(t, release.Failed, out[0].To)
			assert.Equal(t, 1, refuse.hits, "refused once, never retried")
			// Nothing had been uploaded before this tick, so this runner built the files.
			downloaded := sb.OCL.Count("GET", ocltest.RouteStorage)

			rec, err := sb.Env.Status(ctx, version)
			require.NoError(t, err)
			reason := rec.Release.Last().Reason
			assert.Contains(t, reason, "GitHub refused")
			assert.Contains(t, reason, "Resource not accessible by integration")
			assert.Equal(t, release.Publishing, rec.Release.FailedIn)
			issue, labels, body := onlyIssue(t, sb)
			assert.Contains(t, labels, "release:failed")
			assert.Contains(t, body, "Resource not accessible by integration")
			assert.Equal(t, map[string]int{"failed": 1}, milestoneComments(t, sb, issue))

			writes := sb.GitHub.Writes()
			for range 3 {
				sb.Clock.Advance(10 * time.Minute)
				_, err := sb.Env.Poll(ctx)
				require.NoError(t, err)
			}
			assert.Equal(t, writes, sb.GitHub.Writes(), "a failed release is left alone")

			// The permission is granted; an operator retries.
			sb.SetFaults(nil, nil)
			require.NoError(t, sb.Restart(ctx))
			rec, err = sb.Env.Retry(ctx, m)
			require.NoError(t, err)
			assert.Equal(t, release.Done, rec.Release.Phase)
			assert.Equal(t, downloaded, sb.OCL.Count("GET", ocltest.RouteStorage), "the files were in the bucket: nothing downloaded again")
			assert.Equal(t, map[string]string{version: sha}, sb.GitHub.Tags(sandbox.Owner, sandbox.Repo))
			assert.Len(t, sb.GitHub.Releases(sandbox.Owner, sandbox.Repo), 1)
			assert.Equal(t, map[string]int{"failed": 1, "export-ready": 1}, milestoneComments(t, sb, issue))
		})
	}
}

// A transient error at a GitHub write of publishing (502s beyond the client's retries)
// leaves the release in publishing with the attempt on its status; the next tick, on a
// fresh runner, finishes it without downloading or building anything again.
func TestTransientGitHubErrorInPublishingEndsInProgress(t *testing.T) {
	writes := append(publishWrites[:len(publishWrites):len(publishWrites)], struct{ name, method, path string }{"save the status", "PATCH", `/issues/\d+$`})
	for i, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			ctx := context.Background()
			fail := &githubAnswers{method: w.method, path: regexp.MustCompile(w.path), status: http.StatusBadGateway, body: badGateway, times: 4}
			sb, _, sha := toPublishing(t, int64(40+i), func(next http.RoundTripper) http.RoundTripper { fail.next = next; return fail })

			sb.Clock.Advance(10 * time.Minute)
			out, err := sb.Env.Poll(ctx)
			require.NoError(t, err)
			require.Len(t, out, 1)
			require.Error(t, out[0].Err)
			assert.Contains(t, out[0].Err.Error(), "502")
			assert.Equal(t, 4, fail.hits)
			downloaded := sb.OCL.Count("GET", ocltest.RouteStorage)
			rec, err := sb.Env.Status(ctx, version)
			require.NoError(t, err)
			assert.Equal(t, release.Publishing, rec.Release.Phase)
			if w.method == "POST" {
				_, _, body := onlyIssue(t, sb)
				// The failed upload of the tick before was the first attempt in publishing.
				assert.Contains(t, body, "GitHub unavailable: attempt 2 of 10")
			}

			require.NoError(t, sb.Restart(ctx))
			sb.Clock.Advance(10 * time.Minute)
			out, err = sb.Env.Poll(ctx)
			require.NoError(t, err)
			require.NoError(t, out[0].Err)
			assertOneOfEverything(t, sb, sha)
			assert.Equal(t, downloaded, sb.OCL.Count("GET", ocltest.RouteStorage), "the files were in the bucket: nothing downloaded again")
			_, _, body := onlyIssue(t, sb)
			assert.NotContains(t, body, "| Trouble |", "the trouble is over")
		})
	}
}

// storageDown answers every upload as an unreachable server would.
type storageDown struct{ store.Store }

func (storageDown) Put(context.Context, string, io.Reader, int64, string, string) (store.PutResult, error) {
	return store.PutResult{}, fmt.Errorf("put: %w: dial tcp 127.0.0.1:9000: connect: connection refused", store.ErrUnreachable)
}

// A storage outage is retried tick after tick with the count on the status, then the
// release fails loudly, once.
func TestStorageOutageIsBoundedThenFailsLoudly(t *testing.T) {
	ctx := context.Background()
	sb := newSandbox(t, dataset.Spec{Seed: 51, Concepts: 120}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	m, sha, _ := openAndMerge(t, sb)
	_, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	sb.SetFaults(nil, func(s store.Store) store.Store { return storageDown{s} })
	require.NoError(t, sb.Restart(ctx))

	for attempt := 1; attempt < steps.MaxTransientAttempts; attempt++ {
		sb.Clock.Advance(10 * time.Minute)
		out, err := sb.Env.Poll(ctx)
		require.NoError(t, err)
		require.Len(t, out, 1)
		require.ErrorIs(t, out[0].Err, store.ErrUnreachable, "attempt %d", attempt)
		require.Equal(t, release.ExportQA, out[0].To)
		_, _, body := onlyIssue(t, sb)
		require.Contains(t, body, fmt.Sprintf("storage unreachable: attempt %d of %d", attempt, steps.MaxTransientAttempts))
	}
	sb.Clock.Advance(10 * time.Minute)
	out, err := sb.Env.Poll(ctx)
	require.NoError(t, err)
	require.NoError(t, out[0].Err)
	assert.Equal(t, release.Failed, out[0].To)
	rec, err := sb.Env.Status(ctx, version)
	require.NoError(t, err)
	assert.Contains(t, rec.Release.Last().Reason, "storage unreachable: gave up after 10 attempts over 1 h 30 min")
	issue, _, body := onlyIssue(t, sb)
	assert.NotContains(t, body, "| Trouble |")
	assert.Equal(t, map[string]int{"failed": 1}, milestoneComments(t, sb, issue))

	// A retry starts a new count: the storage is still down, so it is attempt 1 again.
	rec, err = sb.Env.Retry(ctx, m)
	require.ErrorIs(t, err, store.ErrUnreachable)
	assert.Equal(t, release.ExportQA, rec.Release.Phase)
	_, _, body = onlyIssue(t, sb)
	assert.Contains(t, body, fmt.Sprintf("storage unreachable: attempt 1 of %d", steps.MaxTransientAttempts))
	assert.Equal(t, map[string]int{"failed": 1}, milestoneComments(t, sb, issue))
}

// A bucket that refuses the bot (here: a wrong secret on a real MinIO): no run can take
// the release's lease, so every tick stops with the reason and the variable to fix,
// writes nothing and downloads nothing; once the secret is right again the next tick
// carries the release on, with nothing to retry.
func TestMisconfiguredBucketStopsEveryTickUntilFixed(t *testing.T) {
	ctx := context.Background()
	s3, cfg := minioConfig(t)
	sb, err := sandbox.New(ctx, sandbox.Options{
		Dir: t.TempDir(), Head: dataset.Spec{Seed: 52, Concepts: 120}, Config: cfg,
		Plan: ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302}, Start: time.Now().UTC(),
		Env: map[string]string{cfg.Storage.AccessKeyEnv: s3.AccessKey, cfg.Storage.SecretKeyEnv: s3.SecretKey},
	})
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	require.NoError(t, sb.Env.Store.(*store.S3).EnsureBucket(ctx))
	m, sha, _ := openAndMerge(t, sb)
	_, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	_, _, before := onlyIssue(t, sb)

	wrongSecret, err := store.New(store.Config{Endpoint: s3.Endpoint, DisableTLS: true, Bucket: cfg.Storage.Bucket, PathStyle: true,
		Region: "us-east-1", SecretKeyEnv: cfg.Storage.SecretKeyEnv}, store.WithStaticCredentials(s3.AccessKey, "rotated-secret-1234"), store.WithMaxRetries(1))
	require.NoError(t, err)
	sb.SetFaults(nil, func(store.Store) store.Store { return wrongSecret })
	require.NoError(t, sb.Restart(ctx))

	for range 3 {
		sb.Clock.Advance(10 * time.Minute)
		sb.GitHub.ResetRequests()
		out, err := sb.Env.Poll(ctx)
		require.NoError(t, err)
		require.Len(t, out, 1)
		require.Error(t, out[0].Err)
		assert.Contains(t, out[0].Err.Error(), "take the lease of release "+version)
		assert.Contains(t, out[0].Err.Error(), cfg.Storage.SecretKeyEnv)
		assert.NotContains(t, out[0].Err.Error(), "rotated-secret-1234")
		assert.Equal(t, release.Exporting, out[0].To)
		assert.Zero(t, sb.GitHub.Writes())
	}
	_, _, after := onlyIssue(t, sb)
	assert.Equal(t, before, after, "nothing written without the lease")
	assert.Zero(t, sb.OCL.Count("GET", ocltest.RouteStorage), "nothing downloaded")

	sb.SetFaults(nil, nil)
	require.NoError(t, sb.Restart(ctx))
	sb.Clock.Advance(10 * time.Minute)
	out, err := sb.Env.Poll(ctx)
	require.NoError(t, err)
	require.NoError(t, out[0].Err)
	assert.Equal(t, release.Done, out[0].To)
	issue, _, _ := onlyIssue(t, sb)
	assert.Empty(t, milestoneComments(t, sb, issue)["failed"])
}

// retentionRecorder answers lifecycle configuration as versitygw does (501) and records
// the days asked for.
type retentionRecorder struct {
	store.Store
	days []int
}

func (r *retentionRecorder) EnsureRetention(_ context.Context, prefix string, days int) (store.Rule, error) {
	r.days = append(r.days, days)
	return store.Rule{}, &store.RequestError{Op: "set lifecycle rule", Where: "s3 bucket \"releases\"", Code: "NotImplemented",
		Status: http.StatusNotImplemented, Err: errors.New("A header you provided implies functionality that is not implemented")}
}

func TestLifecycleErrorsAreWarningsAndTheRuleOutlastsTheRetention(t *testing.T) {
	ctx := context.Background()
	sb := newSandbox(t, dataset.Spec{Seed: 53, Concepts: 120}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	m, sha, _ := openAndMerge(t, sb)
	rec := &retentionRecorder{}
	sb.SetFaults(nil, func(s store.Store) store.Store { rec.Store = s; return rec })
	require.NoError(t, sb.Restart(ctx))
	require.NoError(t, driveToTheEnd(ctx, sb, m, sha))
	assertOneOfEverything(t, sb, sha)
	require.NotEmpty(t, rec.days)
	assert.Equal(t, int(sb.Config.Retention/(24*time.Hour))+1, rec.days[0], "retention + 1 day")
}

// Secondary limits without Retry-After on the way: each costs a minute of the run's
// budget, never the hour to the primary reset, and the release goes through.
func TestSecondaryLimitsWithoutRetryAfterAreWaitedOut(t *testing.T) {
	ctx := context.Background()
	sb := newSandbox(t, dataset.Spec{Seed: 54, Concepts: 120}, ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})
	m, sha, _ := openAndMerge(t, sb)
	sb.GitHub.FailNext(githubtest.Match{Method: "POST"}, 1, githubtest.SecondaryRateLimitNoRetryAfter)
	sb.GitHub.FailNext(githubtest.Match{Method: "PATCH"}, 1, githubtest.SecondaryRateLimitTooManyRequests)
	start := sb.Clock.Now()
	_, err := sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	waited := sb.Clock.Now().Sub(start)
	assert.Equal(t, 2*time.Minute, waited, "a minute for each limit")
	require.NoError(t, driveToTheEnd(ctx, sb, m, sha))
	assertOneOfEverything(t, sb, sha)
}

// Issues turned off (a fork's default): the merge cannot open the tracking issue, and says
// what to turn on.
func TestIssuesTurnedOffSaysWhatToDo(t *testing.T) {
	ctx := context.Background()
	sb := newSandbox(t, dataset.Spec{Seed: 55, Concepts: 120}, ocltest.ExportPlan{})
	m, sha, _ := openAndMerge(t, sb)
	sb.GitHub.SetIssuesEnabled(sandbox.Owner, sandbox.Repo, false)
	_, err := sb.Env.Merged(ctx, m, sha)
	require.Error(t, err)
	assert.ErrorIs(t, err, github.ErrIssuesDisabled)
	assert.Contains(t, err.Error(), "turn Issues on")
	_, exists := sb.OCL.Version(sb.Config.OCL.Org, sb.Config.OCL.Source, version)
	assert.False(t, exists, "nothing is created on OCL without a tracking issue")
}

// deniedStore refuses every upload as a bucket does whose policy lacks s3:PutObject.
type deniedStore struct{ store.Store }

func (deniedStore) Put(_ context.Context, key string, _ io.Reader, _ int64, _, _ string) (store.PutResult, error) {
	return store.PutResult{}, &store.RequestError{Op: "put", Where: fmt.Sprintf("%q in s3 bucket \"releases\"", key), Code: "AccessDenied",
		Status: http.StatusForbidden, Kind: store.ErrDenied, Err: errors.New("Access Denied."),
		Hint: "likely causes: a wrong secret key in SHEPHERD_S3_SECRET_KEY, or the access key's policy lacks s3:PutObject on this bucket"}
}

// The same refusal at the merge: QA on HEAD cannot store its report, the release fails in qa
// once, and nothing is created on OCL.
func TestBucketRefusalAtTheMergeFailsOnce(t *testing.T) {
	ctx := context.Background()
	sb := newSandbox(t, dataset.Spec{Seed: 56, Concepts: 120}, ocltest.ExportPlan{})
	m, sha, _ := openAndMerge(t, sb)
	sb.SetFaults(nil, func(s store.Store) store.Store { return deniedStore{s} })
	require.NoError(t, sb.Restart(ctx))
	for range 2 {
		rec, err := sb.Env.Merged(ctx, m, sha)
		require.NoError(t, err)
		assert.Equal(t, release.Failed, rec.Release.Phase)
		assert.Equal(t, release.QA, rec.Release.FailedIn)
		assert.Contains(t, rec.Release.Last().Reason, "storage refused")
		assert.Contains(t, rec.Release.Last().Reason, "s3:PutObject")
	}
	_, exists := sb.OCL.Version(sb.Config.OCL.Org, sb.Config.OCL.Source, version)
	assert.False(t, exists)
	issue, _, _ := onlyIssue(t, sb)
	assert.Equal(t, map[string]int{"failed": 1}, milestoneComments(t, sb, issue))
}

// S3 configured without its credentials in the environment: the merge's run cannot take
// the release's lease, so it stops at once naming the variables to set, and writes
// nothing: no tracking issue, no version on OCL.
func TestStorageWithoutCredentialsStopsNamingTheVariables(t *testing.T) {
	ctx := context.Background()
	_, cfg := minioConfig(t)
	sb, err := sandbox.New(ctx, sandbox.Options{Dir: t.TempDir(), Head: dataset.Spec{Seed: 57, Concepts: 80}, Config: cfg})
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	m, sha, _ := openAndMerge(t, sb)
	_, err = sb.Env.Merged(ctx, m, sha)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "take the lease of release "+version)
	assert.Contains(t, err.Error(), "environment variable(s) [SHEPHERD_S3_ACCESS_KEY SHEPHERD_S3_SECRET_KEY] not set")
	for _, i := range sb.GitHub.Issues(sandbox.Owner, sandbox.Repo) {
		assert.True(t, i.IsPullRequest(), "no tracking issue opened: #%d", i.GetNumber())
	}
	_, exists := sb.OCL.Version(sb.Config.OCL.Org, sb.Config.OCL.Source, version)
	assert.False(t, exists)
}

// OCL down during QA on HEAD: the merge run fails, the release stays in qa with the attempt
// on its status, and a re-run carries it on.
func TestOCLDownAtTheMergeIsCountedAndARerunCarriesOn(t *testing.T) {
	ctx := context.Background()
	sb := newSandbox(t, dataset.Spec{Seed: 58, Concepts: 80}, ocltest.ExportPlan{})
	m, sha, _ := openAndMerge(t, sb)
	// Five 503s: the OCL client's tries for one request (ocl.DefaultRetryPolicy).
	sb.OCL.Fail(ocltest.On("GET", ocltest.RouteConcepts), 5, http.StatusServiceUnavailable, nil)
	rec, err := sb.Env.Merged(ctx, m, sha)
	require.Error(t, err)
	assert.Equal(t, release.QA, rec.Release.Phase)
	_, _, body := onlyIssue(t, sb)
	assert.Contains(t, body, "OCL unavailable: attempt 1 of 10")
	assert.Contains(t, body, "run the release workflow by hand with this version to try again")

	require.NoError(t, sb.Restart(ctx))
	rec, err = sb.Env.Merged(ctx, m, sha)
	require.NoError(t, err)
	assert.Equal(t, release.Exporting, rec.Release.Phase)
	_, _, body = onlyIssue(t, sb)
	assert.NotContains(t, body, "| Trouble |")
}
