package site_test

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/site"
)

// Building twice from the same model gives the same files, and a build replaces the folder
// whole: a page of a release that is gone does not linger.
func TestBuildIsRepeatableAndReplacesTheFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "releases", "v2000-01-01"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "releases", "v2000-01-01", "index.html"), []byte("old"), 0o644))

	first, err := site.Render(fixtureSite(t))
	require.NoError(t, err)
	second, err := site.Render(fixtureSite(t))
	require.NoError(t, err)
	assert.Equal(t, first, second)

	require.NoError(t, site.Build(fixtureSite(t), dir))
	_, err = os.Stat(filepath.Join(dir, "releases", "v2000-01-01"))
	assert.True(t, os.IsNotExist(err), "the old site is replaced, not merged")
	for name, data := range first {
		onDisk, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		require.NoError(t, err)
		assert.Equal(t, data, onDisk, name)
	}
	leftovers, err := filepath.Glob(filepath.Join(filepath.Dir(dir), ".site-*"))
	require.NoError(t, err)
	assert.Empty(t, leftovers)
}

// A version that cannot name a folder is refused before anything is written.
func TestRenderRefusesVersionsThatCannotNameAPage(t *testing.T) {
	for _, v := range []string{"../../etc", "v1/2", "", "v2026-12-01\n"} {
		s := fixtureSite(t)
		s.Releases[0].Version = v
		dir := filepath.Join(t.TempDir(), "site")
		err := site.Build(s, dir)
		require.Error(t, err, "%q", v)
		assert.Contains(t, err.Error(), "not a version that can name a page")
		_, statErr := os.Stat(dir)
		assert.True(t, os.IsNotExist(statErr))
	}
}

// Without maintenance, stale leases or a stored HEAD report, the pages say nothing of them
// and the QA page says why it is empty.
func TestQuietSite(t *testing.T) {
	s := fixtureSite(t)
	s.Maintenance, s.StaleLeases, s.HeadReport = nil, nil, nil
	files, err := site.Render(s)
	require.NoError(t, err)
	for name, data := range files {
		assert.NotContains(t, string(data), `id="maintenance"`, name)
		assert.NotContains(t, string(data), "data-stale-lease", name)
	}
	assert.Contains(t, string(files["qa/bulk-validation/index.html"]), `id="no-head-report"`)

	s.Releases = nil
	files, err = site.Render(s)
	require.NoError(t, err)
	assert.Contains(t, string(files["index.html"]), "No release is deployable now")
	assert.Contains(t, string(files["index.html"]), "Shepherd knows no release yet.")
}

// The Atom feed has one entry per release, ids that stay the same from build to build,
// and links to the releases' pages.
func TestAtomFeed(t *testing.T) {
	s := fixtureSite(t)
	files, err := site.Render(s)
	require.NoError(t, err)
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Updated string   `xml:"updated"`
		Entries []struct {
			Title   string `xml:"title"`
			ID      string `xml:"id"`
			Updated string `xml:"updated"`
			Link    struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
			Summary string `xml:"summary"`
		} `xml:"entry"`
	}
	require.NoError(t, xml.Unmarshal(files["feed.xml"], &feed))
	assert.Equal(t, "https://github.com/example/ciel-releases/releases", feed.ID)
	assert.Equal(t, "2026-12-07T12:00:00Z", feed.Updated)
	require.Len(t, feed.Entries, len(s.Releases))
	ids := map[string]bool{}
	for i, e := range feed.Entries {
		r := s.Releases[i]
		assert.Equal(t, "https://github.com/example/ciel-releases/releases/tag/"+r.Version, e.ID)
		ids[e.ID] = true
		assert.Contains(t, files, e.Link.Href)
		assert.True(t, strings.HasPrefix(e.Title, "Release "+r.Version+": "+r.Phase))
		if r.Deployable {
			assert.Contains(t, e.Summary, "deployable.")
		} else {
			assert.Contains(t, e.Summary, "not deployable: "+r.Blockers[0])
		}
	}
	assert.Len(t, ids, len(s.Releases))
}
