package ocl_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

func TestCreateVersionOnAMissingSourceSaysSo(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)

	err := h.client.CreateVersion(ctx, "CIEL", "NOPE", ocl.NewVersion{ID: "v1"})
	require.ErrorIs(t, err, ocl.ErrNotFound, "OCL's 500 for a missing source is read as not found")
	apiErr := apiError(t, err)
	assert.Equal(t, http.StatusInternalServerError, apiErr.Status)
	assert.Contains(t, err.Error(), "source CIEL/NOPE not found")

	// The same 500 for a source that exists is OCL failing, not a missing source.
	h.srv.Fail(ocltest.On(http.MethodPost, ocltest.RouteVersions), 1, http.StatusInternalServerError, nil)
	err = h.client.CreateVersion(ctx, "CIEL", "CIEL", ocl.NewVersion{ID: "v1"})
	require.ErrorIs(t, err, ocl.ErrUnavailable)
	assert.NotErrorIs(t, err, ocl.ErrNotFound)
	assert.Contains(t, err.Error(), "OCL failed to create the version; source CIEL/CIEL exists")
	_, exists := h.srv.Version("CIEL", "CIEL", "v1")
	assert.False(t, exists)
}

func TestAuthenticationRequiredNamesTheTokenVariable(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		if r.URL.Query().Get("plain") == "" && r.Header.Get("Authorization") == "" {
			io.WriteString(w, `{"detail": "Authentication required.", "upgrade_url": "https://app.openconceptlab.org/#/accounts/signup"}`)
			return
		}
		io.WriteString(w, `{"detail": "You do not have permission to perform this action."}`)
	})
	anonymous := newClient(t, srv.URL, "", &sleeper{}, ocl.WithTokenEnv("CIEL_OCL_TOKEN"))
	_, err := anonymous.GetVersion(context.Background(), "CIEL", "CIEL", "HEAD")
	require.ErrorIs(t, err, ocl.ErrUnauthorized)
	assert.Equal(t, "https://app.openconceptlab.org/#/accounts/signup", apiError(t, err).UpgradeURL)
	assert.Contains(t, err.Error(), "requires authentication: put an API token in CIEL_OCL_TOKEN")

	// A 403 without upgrade_url is a plain refusal of a token that was sent.
	withToken := newClient(t, srv.URL, token, &sleeper{}, ocl.WithTokenEnv("CIEL_OCL_TOKEN"))
	_, err = withToken.GetVersion(context.Background(), "CIEL", "CIEL", "HEAD")
	require.ErrorIs(t, err, ocl.ErrForbidden)
	assert.NotErrorIs(t, err, ocl.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "CIEL_OCL_TOKEN")
}

func TestRequestExportResolvesTheRelativeURL(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, []ocltest.Option{ocltest.WithExportPlan(ocltest.ExportPlan{Ready: ocltest.ReadyRedirect302})})
	h.createVersion(t, "v1", true)
	_, err := h.client.ExportStatus(ctx, "CIEL", "CIEL", "v1") // the plan's first poll finds it ready
	require.NoError(t, err)
	res, err := h.client.RequestExport(ctx, "CIEL", "CIEL", "v1", false)
	require.NoError(t, err)
	require.Equal(t, ocl.ExportExists, res.Outcome)
	// The fake serves the API under /api and answers with OCL's path, without the prefix.
	assert.Equal(t, h.srv.URL()+"/orgs/CIEL/sources/CIEL/v1/export/", res.URL)

	// An absolute URL is kept as it is.
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("URL", "https://exports.example.org/CIEL/v1.zip")
		w.WriteHeader(http.StatusSeeOther)
	})
	c := newClient(t, srv.URL+"/api", token, &sleeper{})
	res, err = c.RequestExport(ctx, "CIEL", "CIEL", "v1", false)
	require.NoError(t, err)
	assert.Equal(t, "https://exports.example.org/CIEL/v1.zip", res.URL)
}

func TestCrashedExportAnswersNoneUntilAskedAgain(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, []ocltest.Option{ocltest.WithExportPlan(ocltest.ExportPlan{NonePolls: 1, BuildingPolls: 1, Ready: ocltest.ReadyRedirect302})})
	h.srv.CrashNextExport("CIEL", "CIEL", 2)
	h.createVersion(t, "v1", false)
	h.createVersion(t, "v2", false) // only the next version crashes

	processing := func(name string) bool {
		v, err := h.client.GetVersion(ctx, "CIEL", "CIEL", name)
		require.NoError(t, err)
		return v.IsProcessing
	}
	state := func(name string) ocl.ExportState {
		info, err := h.client.ExportStatus(ctx, "CIEL", "CIEL", name)
		require.NoError(t, err)
		return info.State
	}
	assert.True(t, processing("v1"))
	assert.True(t, processing("v1"))
	assert.False(t, processing("v1"), "seeding is over after two reads")
	for range 20 {
		require.Equal(t, ocl.ExportNone, state("v1"))
	}
	assert.Equal(t, []ocl.ExportState{ocl.ExportNone, ocl.ExportBuilding, ocl.ExportReady}, []ocl.ExportState{state("v2"), state("v2"), state("v2")},
		"v2 follows the plan")

	res, err := h.client.RequestExport(ctx, "CIEL", "CIEL", "v1", false)
	require.NoError(t, err)
	assert.Equal(t, ocl.ExportQueued, res.Outcome)
	assert.Equal(t, []ocl.ExportState{ocl.ExportNone, ocl.ExportBuilding, ocl.ExportReady}, []ocl.ExportState{state("v1"), state("v1"), state("v1")})
	assert.False(t, h.srv.ExportAskedWhileProcessing("CIEL", "CIEL", "v1"))

	// Asking while the version is seeded is what the fake remembers.
	h.srv.CrashNextExport("CIEL", "CIEL", 5)
	h.createVersion(t, "v3", false)
	_, err = h.client.RequestExport(ctx, "CIEL", "CIEL", "v3", false)
	require.NoError(t, err)
	assert.True(t, h.srv.ExportAskedWhileProcessing("CIEL", "CIEL", "v3"))
}

// readOnce lists HEAD with ListConceptsOnce and counts how often each concept came.
func readOnce(t *testing.T, h *harness, pageSize, rereads int) (map[string]int, ocl.OnceStats, error) {
	t.Helper()
	seen := map[string]int{}
	stats, err := h.client.ListConceptsOnce(context.Background(), "CIEL", "CIEL", "HEAD", func(page []ocl.Concept) error {
		for _, c := range page {
			seen[c.ID]++
		}
		return nil
	}, ocl.ListOptions{PageSize: pageSize, Concurrency: 1, IncludeRetired: true}, rereads)
	return seen, stats, err
}

func TestListConceptsOnceReadsAMovingListingAgain(t *testing.T) {
	const n, pageSize = 50, 10
	h := newHarness(t, nil)
	h.srv.SetHead("CIEL", "CIEL", bigSource(n))

	// What the edit does to a plain read: one concept twice, one never, the count intact.
	h.srv.EditDuringListing("CIEL", "CIEL", "42", 2)
	plain := map[string]int{}
	err := h.client.ListConcepts(context.Background(), "CIEL", "CIEL", "HEAD", func(page []ocl.Concept) error {
		for _, c := range page {
			plain[c.ID]++
		}
		return nil
	}, ocl.ListOptions{PageSize: pageSize, Concurrency: 1, IncludeRetired: true})
	require.NoError(t, err, "the count matches: a plain read cannot tell")
	assert.Len(t, plain, n-1)
	assert.Zero(t, plain["42"], "the edited concept was never served")
	assert.Equal(t, 2, plain["19"], "the last concept of page 2 came again on page 3")

	// An edit of a concept already read moves nothing still to be read.
	h.srv.EditDuringListing("CIEL", "CIEL", "7", 2)
	seen, stats, err := readOnce(t, h, pageSize, 3)
	require.NoError(t, err)
	require.Len(t, seen, n)
	for id, count := range seen {
		require.Equal(t, 1, count, "concept %s", id)
	}
	assert.Equal(t, ocl.OnceStats{Reads: 1, Concepts: n}, stats,
		"concept 7 had been read when it moved: only pages already read shifted, one read is enough")

	// An edit of a concept not read yet: every concept exactly once, the moved one found
	// by a second read.
	h.srv.EditDuringListing("CIEL", "CIEL", "31", 1)
	seen, stats, err = readOnce(t, h, pageSize, 3)
	require.NoError(t, err)
	require.Len(t, seen, n)
	for id, count := range seen {
		require.Equal(t, 1, count, "concept %s", id)
	}
	assert.Equal(t, 2, stats.Reads)
	assert.Equal(t, 1, stats.LateConcepts, "concept 31 came only with the second read")
	assert.Positive(t, stats.Repeated)
	assert.True(t, stats.Moved())

	// Nothing moves: one read.
	_, stats, err = readOnce(t, h, pageSize, 3)
	require.NoError(t, err)
	assert.Equal(t, ocl.OnceStats{Reads: 1, Concepts: n}, stats)
	assert.False(t, stats.Moved())
}

func TestListConceptsOnceGivesUpOnAListingThatKeepsMoving(t *testing.T) {
	h := newHarness(t, nil)
	h.srv.SetHead("CIEL", "CIEL", bigSource(30))
	// One edit in the middle of each of the three reads allowed (3 pages each).
	for i, id := range []string{"20", "25", "29"} {
		h.srv.EditDuringListing("CIEL", "CIEL", id, 1+3*i)
	}
	seen, stats, err := readOnce(t, h, 10, 2)
	require.ErrorIs(t, err, ocl.ErrListingMoved)
	var moved *ocl.ListingMovedError
	require.ErrorAs(t, err, &moved)
	assert.Equal(t, 3, moved.Reads)
	assert.Equal(t, 30, moved.NumFound)
	assert.Contains(t, err.Error(), "kept changing while it was read: 3 reads")
	assert.Equal(t, 3, stats.Reads)
	for id, count := range seen {
		require.Equal(t, 1, count, "even a failed read hands no concept over twice: %s", id)
	}
	assert.False(t, errors.Is(err, ocl.ErrUnavailable))
}

func TestAnswerTimeoutBoundsTheWaitForHeaders(t *testing.T) {
	h := newHarness(t, nil, ocl.WithAnswerTimeout(20*time.Millisecond), ocl.WithRetry(ocl.RetryPolicy{MaxAttempts: 2}))
	h.srv.SetLatency(time.Second)
	_, err := h.client.GetVersion(context.Background(), "CIEL", "CIEL", "HEAD")
	require.ErrorIs(t, err, ocl.ErrUnavailable)
	var netErr interface{ Timeout() bool }
	require.ErrorAs(t, err, &netErr)
	assert.True(t, netErr.Timeout())
}
