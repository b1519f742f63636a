package ocl_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

const token = "s3cr3t-token-value"

// sleeper records the waits a client asks for instead of sleeping.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *sleeper) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// sample is a small source: a question with two answers (one mapping retired), a retired
// concept, and a numeric one.
func sample() *ocltest.SliceContent {
	name := func(s string) []ocl.Name {
		return []ocl.Name{{Name: s, Locale: "en", LocalePreferred: true, NameType: "FULLY_SPECIFIED"}}
	}
	return &ocltest.SliceContent{
		Concepts: []ocl.Concept{
			{ID: "1000", ConceptClass: "Question", Datatype: "Coded", Names: name("Smoker?")},
			{ID: "1065", ConceptClass: "Misc", Datatype: "N/A", Names: name("Yes")},
			{ID: "1066", ConceptClass: "Misc", Datatype: "N/A", Names: name("No")},
			{ID: "1067", ConceptClass: "Misc", Datatype: "N/A", Names: name("Unknown"), Retired: true},
			{ID: "5089", ConceptClass: "Test", Datatype: "Numeric", Names: name("Weight (kg)")},
		},
		Mappings: []ocl.Mapping{
			{ID: "m1", MapType: "Q-AND-A", FromConceptCode: "1000", ToConceptCode: "1065"},
			{ID: "m2", MapType: "Q-AND-A", FromConceptCode: "1000", ToConceptCode: "1066"},
			{ID: "m3", MapType: "Q-AND-A", FromConceptCode: "1000", ToConceptCode: "1067", Retired: true},
			{ID: "m4", MapType: "SAME-AS", FromConceptCode: "5089", ToConceptCode: "27113001", ToSourceName: "SNOMED-CT"},
		},
	}
}

type harness struct {
	srv    *ocltest.Server
	client *ocl.Client
	sleep  *sleeper
}

func newHarness(t *testing.T, srvOpts []ocltest.Option, clientOpts ...ocl.Option) *harness {
	t.Helper()
	srv := ocltest.NewServer(append([]ocltest.Option{ocltest.WithPathPrefix("/api")}, srvOpts...)...)
	t.Cleanup(srv.Close)
	srv.AddSource("CIEL", "CIEL", sample(), []string{"en", "fr"})
	srv.RequireToken(token)
	h := &harness{srv: srv, sleep: &sleeper{}}
	h.client = newClient(t, srv.URL(), token, h.sleep, clientOpts...)
	return h
}

func newClient(t *testing.T, url, tok string, s *sleeper, opts ...ocl.Option) *ocl.Client {
	t.Helper()
	c, err := ocl.NewClient(url, tok, append([]ocl.Option{ocl.WithSleep(s.sleep)}, opts...)...)
	require.NoError(t, err)
	return c
}

func (h *harness) createVersion(t *testing.T, id string, released bool) {
	t.Helper()
	require.NoError(t, h.client.CreateVersion(context.Background(), "CIEL", "CIEL", ocl.NewVersion{ID: id, Description: "test", Released: released}))
}

func apiError(t *testing.T, err error) *ocl.APIError {
	t.Helper()
	var apiErr *ocl.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.NotContains(t, err.Error(), token)
	return apiErr
}

func TestCreateVersion(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)

	extras := ocl.Extras{"source": []byte(`"shepherd"`)}
	err := h.client.CreateVersion(ctx, "CIEL", "CIEL", ocl.NewVersion{ID: "v2026-11-22", Description: "Nov", Released: true, ExternalID: "x1", Extras: extras})
	require.NoError(t, err)
	v, ok := h.srv.Version("CIEL", "CIEL", "v2026-11-22")
	require.True(t, ok)
	assert.True(t, v.Released)
	assert.Equal(t, "Nov", v.Description)
	assert.Equal(t, "x1", v.ExternalID)

	err = h.client.CreateVersion(ctx, "CIEL", "CIEL", ocl.NewVersion{ID: "v2026-11-22"})
	require.ErrorIs(t, err, ocl.ErrVersionExists)
	apiErr := apiError(t, err)
	assert.Equal(t, http.StatusConflict, apiErr.Status)
	assert.Equal(t, http.MethodPost, apiErr.Method)
	assert.Equal(t, "/api/orgs/CIEL/sources/CIEL/versions/", apiErr.Path)
	assert.Contains(t, apiErr.Detail, "Source version 'v2026-11-22' already exist.")

	err = h.client.CreateVersion(ctx, "CIEL", "CIEL", ocl.NewVersion{ID: "latest"})
	require.ErrorIs(t, err, ocl.ErrBadRequest)
	assert.NotEmpty(t, apiError(t, err).Fields["id"])

	err = h.client.CreateVersion(ctx, "CIEL", "NOPE", ocl.NewVersion{ID: "v1"})
	assert.ErrorIs(t, err, ocl.ErrNotFound)

	anonymous := newClient(t, h.srv.URL(), "", h.sleep)
	err = anonymous.CreateVersion(ctx, "CIEL", "CIEL", ocl.NewVersion{ID: "v2"})
	assert.ErrorIs(t, err, ocl.ErrUnauthorized)

	assert.Equal(t, 5, h.srv.Count(http.MethodPost, ocltest.RouteVersions))
	assert.Empty(t, h.sleep.recorded(), "nothing was retried")
}

func TestCreateVersionIsNotRetriedOnceSent(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			h := newHarness(t, nil)
			h.srv.Fail(ocltest.On(http.MethodPost, ocltest.RouteVersions), 1, status, http.Header{"Retry-After": {"1"}})

			err := h.client.CreateVersion(context.Background(), "CIEL", "CIEL", ocl.NewVersion{ID: "v1"})
			assert.Equal(t, status, apiError(t, err).Status)
			assert.Equal(t, 1, h.srv.Count(http.MethodPost, ocltest.RouteVersions))
			assert.Empty(t, h.sleep.recorded())
		})
	}
}

func TestVersionReads(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)

	_, err := h.client.LatestVersion(ctx, "CIEL", "CIEL")
	require.ErrorIs(t, err, ocl.ErrNotFound, "no released version yet")

	h.createVersion(t, "v1", true)
	h.createVersion(t, "v2", false)

	v, err := h.client.GetVersion(ctx, "CIEL", "CIEL", "v2")
	require.NoError(t, err)
	assert.Equal(t, "v2", v.ID)
	assert.False(t, v.Released)
	assert.Equal(t, []string{"en", "fr"}, []string(v.SupportedLocales))
	assert.NotEmpty(t, v.CreatedOn)

	latest, err := h.client.LatestVersion(ctx, "CIEL", "CIEL")
	require.NoError(t, err)
	assert.Equal(t, "v1", latest.ID)

	require.NoError(t, h.client.SetReleased(ctx, "CIEL", "CIEL", "v2", true))
	latest, err = h.client.LatestVersion(ctx, "CIEL", "CIEL")
	require.NoError(t, err)
	assert.Equal(t, "v2", latest.ID)

	_, err = h.client.GetVersion(ctx, "CIEL", "CIEL", "v9")
	require.ErrorIs(t, err, ocl.ErrNotFound)
	assert.Equal(t, "/api/orgs/CIEL/sources/CIEL/v9/", apiError(t, err).Path)

	err = h.client.SetReleased(ctx, "CIEL", "CIEL", "v9", true)
	assert.ErrorIs(t, err, ocl.ErrNotFound)
}

func TestListVersionsFollowsPages(t *testing.T) {
	h := newHarness(t, nil)
	const n = 130 // more than one page of 100
	for i := range n {
		h.createVersion(t, "v"+strconv.Itoa(i), false)
	}

	versions, err := h.client.ListVersions(context.Background(), "CIEL", "CIEL")
	require.NoError(t, err)
	require.Len(t, versions, n+1)
	assert.Equal(t, "v"+strconv.Itoa(n-1), versions[0].ID, "newest first")
	assert.Equal(t, "HEAD", versions[n].ID, "HEAD is the oldest")
	assert.Equal(t, 2, h.srv.Count(http.MethodGet, ocltest.RouteVersions))
}

func TestSetReleasedIsRetried(t *testing.T) {
	h := newHarness(t, nil)
	h.createVersion(t, "v1", false)
	h.srv.Fail(ocltest.On(http.MethodPatch, ocltest.RouteVersion), 2, http.StatusBadGateway, nil)

	require.NoError(t, h.client.SetReleased(context.Background(), "CIEL", "CIEL", "v1", true))
	v, _ := h.srv.Version("CIEL", "CIEL", "v1")
	assert.True(t, v.Released)
	assert.Equal(t, 3, h.srv.Count(http.MethodPatch, ocltest.RouteVersion))
	assert.Len(t, h.sleep.recorded(), 2)
}

func TestExportStatusFollowsTheLifecycle(t *testing.T) {
	tests := []struct {
		ready      ocltest.ReadyVariant
		wantStatus int
		wantLast   ocl.ExportState
	}{
		{ocltest.ReadyRedirect302, http.StatusFound, ocl.ExportReady},
		{ocltest.ReadyStream200, http.StatusOK, ocl.ExportReady},
		{ocltest.ReadySeeOther303, http.StatusSeeOther, ocl.ExportReady},
		{ocltest.Unavailable500, http.StatusInternalServerError, ocl.ExportUnavailable},
		{ocltest.NeverReady, http.StatusAlreadyReported, ocl.ExportBuilding},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.wantStatus), func(t *testing.T) {
			plan := ocltest.ExportPlan{NonePolls: 2, BuildingPolls: 1, Ready: tt.ready}
			h := newHarness(t, []ocltest.Option{ocltest.WithExportPlan(plan)})
			h.createVersion(t, "v1", true)

			var states []ocl.ExportState
			var last ocl.ExportInfo
			for range 5 {
				info, err := h.client.ExportStatus(context.Background(), "CIEL", "CIEL", "v1")
				require.NoError(t, err)
				states = append(states, info.State)
				last = info
			}
			assert.Equal(t, []ocl.ExportState{ocl.ExportNone, ocl.ExportNone, ocl.ExportBuilding, tt.wantLast, tt.wantLast}, states)
			assert.Equal(t, tt.wantStatus, last.HTTPStatus)
			assert.Equal(t, 5, h.srv.Count(http.MethodGet, ocltest.RouteExport), "one request per poll: 500 is not retried")
			assert.Zero(t, h.srv.Count("", ocltest.RouteStorage), "polling never downloads")
			switch tt.wantStatus {
			case http.StatusFound, http.StatusSeeOther:
				assert.Contains(t, last.Location, h.srv.StorageURL()+"/exports/CIEL_CIEL_v1.")
			case http.StatusOK:
				assert.EqualValues(t, -1, last.Size, "OCL streams the export without a length")
				assert.Regexp(t, `^CIEL_CIEL_v1\.\d{8}_\d{6}\.zip$`, last.Filename)
				assert.Empty(t, last.Location)
			}
		})
	}
}

func TestExportStatusByElapsedTime(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	plan := ocltest.ExportPlan{NoneFor: 10 * time.Minute, BuildingFor: 30 * time.Minute, Ready: ocltest.ReadyRedirect302}
	h := newHarness(t, []ocltest.Option{ocltest.WithExportPlan(plan), ocltest.WithClock(clock)})
	h.createVersion(t, "v1", true)

	var states []ocl.ExportState
	for _, step := range []time.Duration{0, 9 * time.Minute, 2 * time.Minute, 28 * time.Minute, time.Minute} {
		advance(step)
		info, err := h.client.ExportStatus(context.Background(), "CIEL", "CIEL", "v1")
		require.NoError(t, err)
		states = append(states, info.State)
	}
	assert.Equal(t, []ocl.ExportState{ocl.ExportNone, ocl.ExportNone, ocl.ExportBuilding, ocl.ExportBuilding, ocl.ExportReady}, states)
}

func TestExportStatusErrors(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	h.createVersion(t, "v1", true)

	_, err := h.client.ExportStatus(ctx, "CIEL", "CIEL", "v9")
	require.ErrorIs(t, err, ocl.ErrNotFound)

	anonymous := newClient(t, h.srv.URL(), "", h.sleep)
	_, err = anonymous.ExportStatus(ctx, "CIEL", "CIEL", "v1")
	require.ErrorIs(t, err, ocl.ErrUnauthorized)

	_, err = h.client.ExportStatus(ctx, "CIEL", "CIEL", "HEAD")
	require.ErrorIs(t, err, ocl.ErrForbidden)
	assert.Equal(t, http.StatusMethodNotAllowed, apiError(t, err).Status)

	h.srv.AddAdmin("CIEL", "CIEL", token)
	info, err := h.client.ExportStatus(ctx, "CIEL", "CIEL", "HEAD")
	require.NoError(t, err)
	assert.Equal(t, ocl.ExportNone, info.State)
}

func TestRequestExport(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, []ocltest.Option{ocltest.WithExportPlan(ocltest.ExportPlan{NonePolls: 1, BuildingPolls: 1, Ready: ocltest.ReadyRedirect302})})
	h.createVersion(t, "v1", true)
	request := func(force bool) ocl.ExportRequestResult {
		t.Helper()
		res, err := h.client.RequestExport(ctx, "CIEL", "CIEL", "v1", force)
		require.NoError(t, err)
		return res
	}
	poll := func() {
		_, err := h.client.ExportStatus(ctx, "CIEL", "CIEL", "v1")
		require.NoError(t, err)
	}

	assert.Equal(t, ocl.ExportQueued, request(false).Outcome)
	assert.Equal(t, ocl.ExportAlreadyQueued, request(false).Outcome)
	poll()
	poll()
	assert.Equal(t, ocl.ExportInProgress, request(false).Outcome)
	poll()
	exists := request(false)
	assert.Equal(t, ocl.ExportExists, exists.Outcome)
	assert.Equal(t, h.srv.URL()+"/orgs/CIEL/sources/CIEL/v1/export/", exists.URL)
	assert.Equal(t, ocl.ExportQueued, request(true).Outcome, "force rebuilds")

	h.srv.Fail(ocltest.On(http.MethodPost, ocltest.RouteExport), 1, http.StatusServiceUnavailable, nil)
	_, err := h.client.RequestExport(ctx, "CIEL", "CIEL", "v1", false)
	require.ErrorIs(t, err, ocl.ErrUnavailable)
	assert.Equal(t, 6, h.srv.Count(http.MethodPost, ocltest.RouteExport), "the failed POST was sent once")

	_, err = h.client.RequestExport(ctx, "CIEL", "CIEL", "HEAD", false)
	assert.ErrorIs(t, err, ocl.ErrForbidden)
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func readyHarness(t *testing.T, ready ocltest.ReadyVariant) *harness {
	t.Helper()
	h := newHarness(t, []ocltest.Option{ocltest.WithExportPlan(ocltest.ExportPlan{Ready: ready})})
	h.createVersion(t, "v1", true)
	return h
}

func TestDownloadExportEveryReadyVariant(t *testing.T) {
	tests := []struct {
		name         string
		ready        ocltest.ReadyVariant
		wantRequests int // to storage
	}{
		{"302 to presigned storage", ocltest.ReadyRedirect302, 1},
		{"200 streamed", ocltest.ReadyStream200, 0},
		{"303 see other", ocltest.ReadySeeOther303, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := readyHarness(t, tt.ready)
			dest := filepath.Join(t.TempDir(), "v1.zip")

			d, err := h.client.DownloadExport(context.Background(), "CIEL", "CIEL", "v1", dest, 10<<20)
			require.NoError(t, err)

			want, err := h.srv.ExportZip("CIEL", "CIEL", "v1")
			require.NoError(t, err)
			info, err := os.Stat(want)
			require.NoError(t, err)
			assert.Equal(t, dest, d.Path)
			assert.Equal(t, info.Size(), d.Size)
			assert.Equal(t, sha256File(t, want), d.SHA256)
			assert.Equal(t, d.SHA256, sha256File(t, dest))
			assert.Equal(t, "application/zip", d.ContentType)
			assert.Equal(t, []string{"v1.zip"}, dirNames(t, filepath.Dir(dest)), "no temporary file left")

			assert.Equal(t, tt.wantRequests, h.srv.Count(http.MethodGet, ocltest.RouteStorage))
			for _, r := range h.srv.Requests() {
				if r.Origin == ocltest.OriginStorage {
					assert.False(t, r.HadAuth, "the token went to storage: %+v", r)
					assert.Equal(t, http.StatusOK, r.Status)
				} else {
					assert.True(t, r.HadAuth, "the token is sent to OCL: %+v", r)
				}
			}
		})
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDownloadExportFailuresLeaveNothing(t *testing.T) {
	tests := []struct {
		name     string
		plan     ocltest.ExportPlan
		maxBytes int64
		want     error
	}{
		{"not built yet", ocltest.ExportPlan{NonePolls: 5, Ready: ocltest.ReadyRedirect302}, 10 << 20, ocl.ErrNotReady},
		{"being built", ocltest.ExportPlan{BuildingPolls: 5, Ready: ocltest.ReadyRedirect302}, 10 << 20, ocl.ErrNotReady},
		{"no download URL", ocltest.ExportPlan{Ready: ocltest.Unavailable500}, 10 << 20, ocl.ErrNotReady},
		{"larger than allowed, redirected", ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302}, 100, ocl.ErrTooLarge},
		{"larger than allowed, streamed", ocltest.ExportPlan{Ready: ocltest.ReadyStream200}, 100, ocl.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []ocltest.Option{ocltest.WithExportPlan(tt.plan)})
			h.createVersion(t, "v1", true)
			dir := t.TempDir()

			_, err := h.client.DownloadExport(context.Background(), "CIEL", "CIEL", "v1", filepath.Join(dir, "v1.zip"), tt.maxBytes)
			require.ErrorIs(t, err, tt.want)
			assert.NotContains(t, err.Error(), token)
			assert.NotContains(t, err.Error(), "X-Amz-Signature", "presigned URLs stay out of errors")
			assert.Empty(t, dirNames(t, dir))
		})
	}
}

func TestDownloadExportRetriesACutConnection(t *testing.T) {
	h := readyHarness(t, ocltest.ReadyRedirect302)
	h.srv.Cut(ocltest.On(http.MethodGet, ocltest.RouteStorage), 1)
	dest := filepath.Join(t.TempDir(), "v1.zip")

	d, err := h.client.DownloadExport(context.Background(), "CIEL", "CIEL", "v1", dest, 10<<20)
	require.NoError(t, err)
	want, err := h.srv.ExportZip("CIEL", "CIEL", "v1")
	require.NoError(t, err)
	assert.Equal(t, sha256File(t, want), d.SHA256)
	assert.Equal(t, 2, h.srv.Count(http.MethodGet, ocltest.RouteStorage))
	assert.Len(t, h.sleep.recorded(), 1)
	assert.Equal(t, []string{"v1.zip"}, dirNames(t, filepath.Dir(dest)))
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"HTTP date", now.Add(42 * time.Second).Format(http.TimeFormat), 42 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil, ocl.WithClock(func() time.Time { return now }))
			h.srv.Fail(ocltest.On(http.MethodGet, ocltest.RouteVersion), 2, http.StatusTooManyRequests, http.Header{"Retry-After": {tt.retryAfter}})

			v, err := h.client.GetVersion(context.Background(), "CIEL", "CIEL", "HEAD")
			require.NoError(t, err)
			assert.Equal(t, "HEAD", v.ID)
			assert.Equal(t, []time.Duration{tt.want, tt.want}, h.sleep.recorded())
			assert.Equal(t, 3, h.srv.Count(http.MethodGet, ocltest.RouteVersion))
		})
	}
}

func TestRetryAfterBeyondTheBudgetFailsAtOnce(t *testing.T) {
	now := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	h := newHarness(t, nil, ocl.WithClock(func() time.Time { return now }), ocl.WithRetry(ocl.RetryPolicy{MaxWait: 2 * time.Minute}))
	h.srv.Fail(ocltest.On(http.MethodGet, ocltest.RouteVersion), 1, http.StatusTooManyRequests, http.Header{"Retry-After": {"3600"}})

	_, err := h.client.GetVersion(context.Background(), "CIEL", "CIEL", "HEAD")
	require.ErrorIs(t, err, ocl.ErrRateLimited)
	apiErr := apiError(t, err)
	assert.Equal(t, time.Hour, apiErr.RetryAfter)
	assert.Equal(t, now.Add(time.Hour), apiErr.RetryAt)
	assert.Contains(t, err.Error(), "retry after 2026-11-22T08:00:00Z")
	assert.Empty(t, h.sleep.recorded())
	assert.Equal(t, 1, h.srv.Count(http.MethodGet, ocltest.RouteVersion))
}

func TestServerErrorsAreRetriedWithinBudget(t *testing.T) {
	policy := ocl.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 8 * time.Second, MaxWait: time.Minute}
	tests := []struct {
		name      string
		failures  int
		status    int
		wantErr   error
		wantSent  int
		wantWaits int
	}{
		{"503 then success", 3, http.StatusServiceUnavailable, nil, 4, 3},
		{"500 then success", 1, http.StatusInternalServerError, nil, 2, 1},
		{"504 beyond the attempts", 10, http.StatusGatewayTimeout, ocl.ErrUnavailable, 4, 3},
		{"429 beyond the attempts", 10, http.StatusTooManyRequests, ocl.ErrRateLimited, 4, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil, ocl.WithRetry(policy))
			h.srv.Fail(ocltest.On(http.MethodGet, ocltest.RouteVersion), tt.failures, tt.status, nil)

			_, err := h.client.GetVersion(context.Background(), "CIEL", "CIEL", "HEAD")
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, tt.status, apiError(t, err).Status)
				assert.Contains(t, err.Error(), "giving up after 4 attempts")
			}
			assert.Equal(t, tt.wantSent, h.srv.Count(http.MethodGet, ocltest.RouteVersion))
			waits := h.sleep.recorded()
			require.Len(t, waits, tt.wantWaits)
			for i, w := range waits {
				// Full jitter: anywhere from zero to the capped exponential step.
				assert.LessOrEqual(t, w, min(policy.BaseDelay<<i, policy.MaxDelay), "wait %d", i)
				assert.GreaterOrEqual(t, w, time.Duration(0))
			}
		})
	}
}

func TestTotalWaitIsBounded(t *testing.T) {
	policy := ocl.RetryPolicy{MaxAttempts: 10, MaxWait: 10 * time.Second}
	h := newHarness(t, nil, ocl.WithRetry(policy))
	h.srv.Fail(ocltest.On(http.MethodGet, ocltest.RouteVersion), 10, http.StatusServiceUnavailable, http.Header{"Retry-After": {"4"}})

	_, err := h.client.GetVersion(context.Background(), "CIEL", "CIEL", "HEAD")
	require.ErrorIs(t, err, ocl.ErrUnavailable)
	assert.Equal(t, []time.Duration{4 * time.Second, 4 * time.Second}, h.sleep.recorded(), "a third wait would pass 10s")
}

func TestConnectionFailures(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	h.srv.Cut(ocltest.On(http.MethodGet, ocltest.RouteVersion), 1)
	v, err := h.client.GetVersion(ctx, "CIEL", "CIEL", "HEAD")
	require.NoError(t, err, "a read cut halfway is sent again")
	assert.Equal(t, "HEAD", v.ID)
	assert.Equal(t, 2, h.srv.Count(http.MethodGet, ocltest.RouteVersion))

	h.srv.Cut(ocltest.On(http.MethodPost, ocltest.RouteVersions), 1)
	err = h.client.CreateVersion(ctx, "CIEL", "CIEL", ocl.NewVersion{ID: "v1"})
	require.Error(t, err, "a POST cut halfway may have worked: not sent again")
	assert.Equal(t, 1, h.srv.Count(http.MethodPost, ocltest.RouteVersions))
	_, created := h.srv.Version("CIEL", "CIEL", "v1")
	assert.True(t, created, "…and indeed it had")

	// A closed server refuses connections: nothing was sent, so even a POST is retried.
	closed := ocltest.NewServer()
	url := closed.URL()
	closed.Close()
	for _, call := range []func(*ocl.Client) error{
		func(c *ocl.Client) error { _, err := c.GetVersion(ctx, "CIEL", "CIEL", "HEAD"); return err },
		func(c *ocl.Client) error { return c.CreateVersion(ctx, "CIEL", "CIEL", ocl.NewVersion{ID: "v1"}) },
	} {
		s := &sleeper{}
		err := call(newClient(t, url, token, s, ocl.WithRetry(ocl.RetryPolicy{MaxAttempts: 3})))
		require.ErrorIs(t, err, ocl.ErrUnavailable)
		assert.NotContains(t, err.Error(), token)
		assert.Len(t, s.recorded(), 2)
	}
}

func TestCancelledWaitStopsRetrying(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelInstead := func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	h := newHarness(t, nil, ocl.WithSleep(cancelInstead))
	h.srv.Fail(ocltest.On(http.MethodGet, ocltest.RouteVersion), 5, http.StatusServiceUnavailable, nil)

	_, err := h.client.GetVersion(ctx, "CIEL", "CIEL", "HEAD")
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "503")
	assert.Equal(t, 1, h.srv.Count(http.MethodGet, ocltest.RouteVersion))
}

func bigSource(n int) *ocltest.SliceContent {
	c := &ocltest.SliceContent{}
	for i := range n {
		id := strconv.Itoa(i)
		c.Concepts = append(c.Concepts, ocl.Concept{ID: id, ConceptClass: "Misc", Datatype: "N/A",
			Names: []ocl.Name{{Name: "C" + id, Locale: "en", NameType: "FULLY_SPECIFIED"}}})
	}
	return c
}

func TestListConceptsDeliversEveryPageOnceInOrder(t *testing.T) {
	tests := []struct {
		name        string
		concepts    int
		pageSize    int
		concurrency int
		cuts        int
		latency     time.Duration // lets requests overlap, so that the bound is exercised
	}{
		{"many pages, concurrent", 2345, 100, 3, 0, 5 * time.Millisecond},
		{"one at a time", 250, 100, 1, 0, 5 * time.Millisecond},
		{"default page size", 2500, 0, 0, 0, 0},
		{"cut pages are fetched again", 1000, 50, 4, 3, 0},
		{"empty source", 0, 100, 2, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.srv.SetHead("CIEL", "CIEL", bigSource(tt.concepts))
			h.srv.Cut(ocltest.On(http.MethodGet, ocltest.RouteConcepts), tt.cuts)
			h.srv.SetLatency(tt.latency)

			var ids []string
			pages := 0
			err := h.client.ListConcepts(context.Background(), "CIEL", "CIEL", "HEAD", func(page []ocl.Concept) error {
				pages++
				for _, c := range page {
					ids = append(ids, c.ID)
					require.NotEmpty(t, c.Names, "listings are verbose")
				}
				return nil
			}, ocl.ListOptions{PageSize: tt.pageSize, Concurrency: tt.concurrency})
			require.NoError(t, err)

			require.Len(t, ids, tt.concepts)
			for i, id := range ids {
				require.Equal(t, strconv.Itoa(i), id, "concept %d out of order", i)
			}
			size, concurrency := tt.pageSize, tt.concurrency
			if size == 0 {
				size = ocl.MaxPageSize
			}
			if concurrency == 0 {
				concurrency = 4
			}
			wantPages := max(1, (tt.concepts+size-1)/size)
			assert.Equal(t, wantPages, pages)
			assert.Equal(t, wantPages+tt.cuts, h.srv.Count(http.MethodGet, ocltest.RouteConcepts))
			assert.LessOrEqual(t, h.srv.MaxInFlight(), concurrency)
		})
	}
}

func TestListConceptsOptions(t *testing.T) {
	h := newHarness(t, nil)
	collect := func(opts ocl.ListOptions) map[string]ocl.Concept {
		got := map[string]ocl.Concept{}
		err := h.client.ListConcepts(context.Background(), "CIEL", "CIEL", "HEAD", func(page []ocl.Concept) error {
			for _, c := range page {
				got[c.ID] = c
			}
			return nil
		}, opts)
		require.NoError(t, err)
		return got
	}

	plain := collect(ocl.ListOptions{})
	assert.Len(t, plain, 4, "retired concept left out")
	assert.Empty(t, plain["1000"].Mappings)

	full := collect(ocl.ListOptions{IncludeMappings: true, IncludeRetired: true})
	assert.Len(t, full, 5)
	assert.True(t, full["1067"].Retired)
	assert.Len(t, full["1000"].Mappings, 3)

	active := collect(ocl.ListOptions{IncludeMappings: true})
	assert.Len(t, active["1000"].Mappings, 2, "retired mapping left out")

	var mappings []ocl.Mapping
	err := h.client.ListMappings(context.Background(), "CIEL", "CIEL", "HEAD", func(page []ocl.Mapping) error {
		mappings = append(mappings, page...)
		return nil
	}, ocl.ListOptions{IncludeRetired: true})
	require.NoError(t, err)
	assert.Len(t, mappings, 4)
}

func TestListConceptsRefusesOCLsLimitQuirk(t *testing.T) {
	h := newHarness(t, nil)
	err := h.client.ListConcepts(context.Background(), "CIEL", "CIEL", "HEAD", func([]ocl.Concept) error { return nil },
		ocl.ListOptions{PageSize: 1001})
	require.ErrorContains(t, err, "silently serve 25")
	assert.Empty(t, h.srv.Requests(), "nothing sent")
}

func TestListConceptsStops(t *testing.T) {
	stop := errors.New("enough")
	tests := []struct {
		name      string
		fail      bool // page 3 keeps failing
		stopAt    int  // fn fails on this page
		wantErr   error
		wantPages int
	}{
		{"callback error", false, 2, stop, 2},
		{"page failure", true, 0, ocl.ErrUnavailable, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil, ocl.WithRetry(ocl.RetryPolicy{MaxAttempts: 2}))
			h.srv.SetHead("CIEL", "CIEL", bigSource(1000))
			if tt.fail {
				page3 := func(r ocltest.Request) bool {
					return r.Route == ocltest.RouteConcepts && strings.Contains(r.Query, "page=3")
				}
				h.srv.Fail(page3, 100, http.StatusBadGateway, nil)
			}
			pages := 0
			err := h.client.ListConcepts(context.Background(), "CIEL", "CIEL", "HEAD", func([]ocl.Concept) error {
				pages++
				if pages == tt.stopAt {
					return stop
				}
				return nil
			}, ocl.ListOptions{PageSize: 100, Concurrency: 2})
			require.ErrorIs(t, err, tt.wantErr)
			assert.Equal(t, tt.wantPages, pages)
			assert.Less(t, h.srv.Count(http.MethodGet, ocltest.RouteConcepts), 10, "the remaining pages were not all fetched")
		})
	}
}

func TestTimeoutsAreRetriedThenReported(t *testing.T) {
	h := newHarness(t, nil,
		ocl.WithHTTPClient(&http.Client{Timeout: 20 * time.Millisecond}),
		ocl.WithRetry(ocl.RetryPolicy{MaxAttempts: 2}))
	h.srv.SetLatency(time.Second)

	_, err := h.client.GetVersion(context.Background(), "CIEL", "CIEL", "HEAD")
	require.ErrorIs(t, err, ocl.ErrUnavailable)
	var netErr interface{ Timeout() bool }
	require.ErrorAs(t, err, &netErr)
	assert.True(t, netErr.Timeout())
	assert.Len(t, h.sleep.recorded(), 1)
}
