package ocltest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
)

func manyConcepts(n int, retiredEvery int) *ocltest.SliceContent {
	c := &ocltest.SliceContent{}
	for i := 1; i <= n; i++ {
		id := strconv.Itoa(i)
		c.Concepts = append(c.Concepts, ocl.Concept{
			ID: id, ConceptClass: "Misc", Datatype: "N/A",
			Retired: retiredEvery > 0 && i%retiredEvery == 0,
			Names:   []ocl.Name{{Name: "Concept " + id, Locale: "en", LocalePreferred: true, NameType: "FULLY_SPECIFIED"}},
		})
		c.Mappings = append(c.Mappings, ocl.Mapping{
			ID: "m" + id, MapType: "SAME-AS", FromConceptCode: id, ToConceptCode: "X" + id,
			Retired: retiredEvery > 0 && i%retiredEvery == 1,
		})
	}
	return c
}

func newServer(t *testing.T, opts ...ocltest.Option) *ocltest.Server {
	t.Helper()
	srv := ocltest.NewServer(append([]ocltest.Option{ocltest.WithPathPrefix("/api")}, opts...)...)
	t.Cleanup(srv.Close)
	srv.AddSource("CIEL", "CIEL", manyConcepts(60, 10), []string{"en", "fr"})
	return srv
}

func send(t *testing.T, method, url, token, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return v
}

func TestConceptListingFollowsOCLPagingRules(t *testing.T) {
	srv := newServer(t)
	base := srv.URL() + "/orgs/CIEL/sources/CIEL/concepts/"
	tests := []struct {
		name       string
		query      string
		wantCount  int
		wantFound  string
		wantPages  string
		wantNext   bool
		wantNames  bool
		wantRetire bool
	}{
		{"default limit is 25", "", 25, "54", "3", true, false, false},
		{"limit above 1000 falls back to 25", "limit=5000", 25, "54", "3", true, false, false},
		{"limit 0 falls back to 25", "limit=0", 25, "54", "3", true, false, false},
		{"limit 1000 is honoured", "limit=1000", 54, "54", "1", false, false, false},
		{"retired only when asked", "limit=1000&includeRetired=true", 60, "60", "1", false, false, true},
		{"names only with verbose", "limit=10&page=6&verbose=true&includeRetired=true", 10, "60", "6", false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := send(t, http.MethodGet, base+"?"+tt.query, "", "")
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, tt.wantFound, resp.Header.Get("num_found"))
			assert.Equal(t, tt.wantPages, resp.Header.Get("pages"))
			assert.Equal(t, strconv.Itoa(tt.wantCount), resp.Header.Get("num_returned"))
			assert.Equal(t, tt.wantNext, resp.Header.Get("next") != "")
			concepts := decode[[]ocl.Concept](t, resp)
			require.Len(t, concepts, tt.wantCount)
			var sawRetired, sawNames bool
			for _, c := range concepts {
				sawRetired = sawRetired || c.Retired
				sawNames = sawNames || len(c.Names) > 0
			}
			assert.Equal(t, tt.wantRetire, sawRetired)
			assert.Equal(t, tt.wantNames, sawNames)
		})
	}
}

func TestMappingsLeaveRetiredOutUnlessAsked(t *testing.T) {
	srv := newServer(t)
	// Mappings of concepts 1, 11, 21, … (6 of 60) are retired.
	for _, tt := range []struct {
		query string
		want  string
	}{{"", "54"}, {"?includeRetired=true", "60"}} {
		resp := send(t, http.MethodGet, srv.URL()+"/orgs/CIEL/sources/CIEL/HEAD/mappings/"+tt.query, "", "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, tt.want, resp.Header.Get("num_found"), tt.query)
	}

	resp := send(t, http.MethodGet, srv.URL()+"/orgs/CIEL/sources/CIEL/concepts/?limit=1&includeMappings=true", "", "")
	concepts := decode[[]ocl.Concept](t, resp)
	require.Len(t, concepts, 1)
	assert.Empty(t, concepts[0].Mappings, "concept 1's only mapping is retired")
}

func TestCreateVersionAnswersLikeOCL(t *testing.T) {
	srv := newServer(t)
	url := srv.URL() + "/orgs/CIEL/sources/CIEL/versions/"

	resp := send(t, http.MethodPost, url, "tok", `{"id": "v1", "description": "first", "released": true}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	body := decode[map[string]any](t, resp)
	assert.Equal(t, "v1", body["version"])
	assert.Equal(t, "CIEL", body["id"], "the body is the source")

	resp = send(t, http.MethodPost, url, "tok", `{"id": "v1"}`)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Equal(t, "Source version 'v1' already exist.", decode[map[string]string](t, resp)["detail"])

	resp = send(t, http.MethodPost, url, "tok", `{"id": "v2", "released": "maybe"}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, []string{"Must be a valid boolean."}, decode[map[string][]string](t, resp)["released"])

	resp = send(t, http.MethodPost, url, "", `{"id": "v2"}`)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "writes need a token")

	resp = send(t, http.MethodPost, strings.TrimSuffix(url, "/"), "tok", `{"id": "v2"}`)
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode, "a route without its slash redirects")
	_, exists := srv.Version("CIEL", "CIEL", "v2")
	assert.False(t, exists)
}

func TestExportChecksRunInOCLOrder(t *testing.T) {
	srv := newServer(t)
	srv.RequireToken("good")
	srv.AddAdmin("CIEL", "CIEL", "good")
	base := srv.URL() + "/orgs/CIEL/sources/CIEL/"
	tests := []struct {
		name, path, token string
		want              int
	}{
		// Authentication comes before the version is looked up (oclapi2 core/common/mixins.py).
		{"missing token before missing version", "v9/export/", "", http.StatusUnauthorized},
		{"wrong token before missing version", "v9/export/", "bad", http.StatusUnauthorized},
		{"missing version with a good token", "v9/export/", "good", http.StatusNotFound},
		{"token required", "HEAD/export/", "", http.StatusUnauthorized},
		{"wrong token", "HEAD/export/", "bad", http.StatusUnauthorized},
		{"admin may export HEAD", "HEAD/export/", "good", http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, send(t, http.MethodGet, base+tt.path, tt.token, "").StatusCode)
		})
	}

	missingSource := srv.URL() + "/orgs/CIEL/sources/NOPE/v1/export/"
	assert.Equal(t, http.StatusUnauthorized, send(t, http.MethodGet, missingSource, "", "").StatusCode)
	assert.Equal(t, http.StatusNotFound, send(t, http.MethodGet, missingSource, "good", "").StatusCode)

	other := newServer(t)
	resp := send(t, http.MethodGet, other.URL()+"/orgs/CIEL/sources/CIEL/HEAD/export/", "someone", "")
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "HEAD export by a non-admin")
}

func TestExportLifecycleAndStorage(t *testing.T) {
	srv := newServer(t, ocltest.WithExportPlan(ocltest.ExportPlan{NonePolls: 1, BuildingPolls: 1, Ready: ocltest.ReadyRedirect302}))
	send(t, http.MethodPost, srv.URL()+"/orgs/CIEL/sources/CIEL/versions/", "tok", `{"id": "v1"}`)
	export := srv.URL() + "/orgs/CIEL/sources/CIEL/v1/export/"

	assert.Equal(t, http.StatusAccepted, send(t, http.MethodPost, export, "tok", "").StatusCode)
	assert.Equal(t, http.StatusConflict, send(t, http.MethodPost, export, "tok", "").StatusCode)
	assert.Equal(t, http.StatusNoContent, send(t, http.MethodHead, export, "", "").StatusCode)
	assert.Equal(t, http.StatusAlreadyReported, send(t, http.MethodGet, export, "", "").StatusCode)
	assert.Equal(t, http.StatusAlreadyReported, send(t, http.MethodPost, export, "tok", "").StatusCode)
	ready := send(t, http.MethodGet, export, "", "")
	require.Equal(t, http.StatusFound, ready.StatusCode)
	location := ready.Header.Get("Location")
	require.True(t, strings.HasPrefix(location, srv.StorageURL()+"/exports/CIEL_CIEL_v1."), location)
	seeOther := send(t, http.MethodPost, export, "tok", "")
	assert.Equal(t, http.StatusSeeOther, seeOther.StatusCode)
	assert.NotEmpty(t, seeOther.Header.Get("URL"))

	withAuth := send(t, http.MethodGet, location, "tok", "")
	assert.Equal(t, http.StatusBadRequest, withAuth.StatusCode, "storage refuses an Authorization header")
	body, _ := io.ReadAll(withAuth.Body)
	assert.Contains(t, string(body), "<Code>InvalidArgument</Code>")

	unsigned := send(t, http.MethodGet, strings.Split(location, "?")[0], "", "")
	assert.Equal(t, http.StatusForbidden, unsigned.StatusCode)

	file := send(t, http.MethodGet, location, "", "")
	require.Equal(t, http.StatusOK, file.StatusCode)
	assert.Equal(t, "application/zip", file.Header.Get("Content-Type"))

	assert.Equal(t, 3, srv.Count("", ocltest.RouteStorage))
	assert.Equal(t, 3, srv.Counts()["GET export"]+srv.Counts()["HEAD export"])
}

func TestFaultsAreInjectedThenCleared(t *testing.T) {
	srv := newServer(t)
	url := srv.URL() + "/orgs/CIEL/sources/CIEL/HEAD/"
	srv.Fail(ocltest.On(http.MethodGet, ocltest.RouteVersion), 2, http.StatusTooManyRequests, http.Header{"Retry-After": {"3"}})

	for range 2 {
		resp := send(t, http.MethodGet, url, "", "")
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		assert.Equal(t, "3", resp.Header.Get("Retry-After"))
	}
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, url, "", "").StatusCode)

	srv.Cut(ocltest.On(http.MethodGet, ocltest.RouteVersion), 1)
	resp := send(t, http.MethodGet, url, "", "")
	_, err := io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the body stops halfway")

	log := srv.Requests()
	require.Len(t, log, 4)
	assert.Equal(t, []string{"fail", "fail", "", "cut"}, []string{log[0].Fault, log[1].Fault, log[2].Fault, log[3].Fault})
	assert.Equal(t, "/api/orgs/CIEL/sources/CIEL/HEAD/", log[2].Path)
}

func TestDeleteExportNeedsAnAdminAndStartsOver(t *testing.T) {
	srv := newServer(t, ocltest.WithExportPlan(ocltest.ExportPlan{Ready: ocltest.ReadyStream200}))
	srv.AddAdmin("CIEL", "CIEL", "admin")
	send(t, http.MethodPost, srv.URL()+"/orgs/CIEL/sources/CIEL/versions/", "tok", `{"id": "v1"}`)
	export := srv.URL() + "/orgs/CIEL/sources/CIEL/v1/export/"

	require.Equal(t, http.StatusOK, send(t, http.MethodGet, export, "", "").StatusCode)
	assert.Equal(t, http.StatusForbidden, send(t, http.MethodDelete, export, "tok", "").StatusCode)
	assert.Equal(t, http.StatusNoContent, send(t, http.MethodDelete, export, "admin", "").StatusCode)
	assert.Equal(t, http.StatusNotFound, send(t, http.MethodDelete, export, "admin", "").StatusCode, "nothing left to delete")
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, export, "", "").StatusCode, "rebuilt")
}

// TestRequireAuthenticationAnswers403Everywhere: a server run with
// REQUIRE_AUTHENTICATION refuses every anonymous request with 403 and an upgrade_url,
// before routing; a request with a token goes on to the usual checks.
func TestRequireAuthenticationAnswers403Everywhere(t *testing.T) {
	srv := newServer(t)
	srv.RequireAuthentication(ocltest.DefaultUpgradeURL)
	base := srv.URL() + "/orgs/CIEL/sources/"
	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, "CIEL/"},
		{http.MethodGet, "CIEL/versions/"},
		{http.MethodPost, "CIEL/versions/"},
		{http.MethodGet, "CIEL/HEAD/"},
		{http.MethodGet, "CIEL/HEAD/export/"},
		{http.MethodHead, "CIEL/HEAD/export/"},
		{http.MethodGet, "CIEL/concepts/"},
		{http.MethodGet, "CIEL/mappings/"},
		{http.MethodGet, "NOPE/v9/export/"},
		{http.MethodGet, "CIEL/no/such/route/"},
	} {
		resp := send(t, tt.method, base+tt.path, "", `{"id": "v1"}`)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s %s", tt.method, tt.path)
		if tt.method != http.MethodHead {
			body := decode[map[string]string](t, resp)
			assert.Equal(t, ocltest.DefaultUpgradeURL, body["upgrade_url"], "%s %s", tt.method, tt.path)
			assert.NotEmpty(t, body["detail"])
		}
	}
	_, created := srv.Version("CIEL", "CIEL", "v1")
	assert.False(t, created, "a refused POST creates nothing")

	// With a token the request is handled as usual.
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, base+"CIEL/concepts/", "tok", "").StatusCode)
	assert.Equal(t, http.StatusNotFound, send(t, http.MethodGet, base+"NOPE/v9/export/", "tok", "").StatusCode)

	// Without the mode, an anonymous read of a public source is answered.
	srv.RequireAuthentication("")
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, base+"CIEL/concepts/", "", "").StatusCode)
}

// TestStreamedExportHasNoLength: a 200 export streams the zip without Content-Length,
// as OCL's streaming response does, while the fake S3 announces its length.
func TestStreamedExportHasNoLength(t *testing.T) {
	srv := newServer(t, ocltest.WithExportPlan(ocltest.ExportPlan{Ready: ocltest.ReadyStream200}))
	send(t, http.MethodPost, srv.URL()+"/orgs/CIEL/sources/CIEL/versions/", "tok", `{"id": "v1"}`)
	resp := send(t, http.MethodGet, srv.URL()+"/orgs/CIEL/sources/CIEL/v1/export/", "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Content-Length"))
	assert.EqualValues(t, -1, resp.ContentLength)
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
	streamed, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	path, err := srv.ExportZip("CIEL", "CIEL", "v1")
	require.NoError(t, err)
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, streamed)

	// The same export behind a redirect comes from storage with its length.
	other := newServer(t)
	send(t, http.MethodPost, other.URL()+"/orgs/CIEL/sources/CIEL/versions/", "tok", `{"id": "v1"}`)
	var located *http.Response
	for range 5 {
		located = send(t, http.MethodGet, other.URL()+"/orgs/CIEL/sources/CIEL/v1/export/", "", "")
		if located.StatusCode == http.StatusFound {
			break
		}
	}
	require.Equal(t, http.StatusFound, located.StatusCode)
	stored := send(t, http.MethodGet, located.Header.Get("Location"), "", "")
	require.Equal(t, http.StatusOK, stored.StatusCode)
	assert.NotEmpty(t, stored.Header.Get("Content-Length"))
	assert.Positive(t, stored.ContentLength)
}

// TestCreateVersionOfMissingSourceIs500: OCL fails with a server error, not 404, when a
// version is created in a source that does not exist; it is still authenticated first.
func TestCreateVersionOfMissingSourceIs500(t *testing.T) {
	srv := newServer(t)
	missing := srv.URL() + "/orgs/CIEL/sources/NOPE/versions/"
	assert.Equal(t, http.StatusInternalServerError, send(t, http.MethodPost, missing, "tok", `{"id": "v1"}`).StatusCode)
	assert.Equal(t, http.StatusUnauthorized, send(t, http.MethodPost, missing, "", `{"id": "v1"}`).StatusCode)
	assert.Equal(t, http.StatusCreated, send(t, http.MethodPost, srv.URL()+"/orgs/CIEL/sources/CIEL/versions/", "tok", `{"id": "v1"}`).StatusCode)
}
