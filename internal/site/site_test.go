package site_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	s.Maintenance, s.StaleLeases, s.Problems, s.HeadReport = nil, nil, nil, nil
	files, err := site.Render(s)
	require.NoError(t, err)
	for name, data := range files {
		assert.NotContains(t, string(data), `id="maintenance"`, name)
		assert.NotContains(t, string(data), "data-stale-lease", name)
		assert.NotContains(t, string(data), `role="alert"`, name)
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

// The feed is well-formed XML with what RFC 4287 requires: the feed's id, title, updated
// and author (its entries have none of their own), each entry's id, title, updated and,
// having no content, an alternate link; dates in RFC 3339. A long history gives the
// newest fifty releases.
func TestAtomFeedIsValidAtom(t *testing.T) {
	s := cielHistory(t, 150, 0)
	files, err := site.Render(s)
	require.NoError(t, err)
	feed := files["feed.xml"]

	// Every token read strictly: a feed that is not well-formed fails here.
	dec := xml.NewDecoder(bytes.NewReader(feed))
	dec.Strict = true
	type element struct {
		name     string
		children map[string]int
		attrs    map[string]string
		text     string
	}
	var stack []*element
	var entries []*element
	var root *element
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		switch tok := tok.(type) {
		case xml.StartElement:
			require.Equal(t, "http://www.w3.org/2005/Atom", tok.Name.Space, tok.Name.Local)
			e := &element{name: tok.Name.Local, children: map[string]int{}, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.children[e.name]++
				if parent == root && e.name == "entry" {
					entries = append(entries, e)
				}
			} else {
				root = e
			}
			stack = append(stack, e)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	require.NotNil(t, root)
	assert.Equal(t, "feed", root.name)
	for _, name := range []string{"id", "title", "updated", "author"} {
		assert.Equal(t, 1, root.children[name], "the feed has one %s", name)
	}
	require.Len(t, entries, 50)
	for _, e := range entries {
		for _, name := range []string{"id", "title", "updated", "link"} {
			assert.Equal(t, 1, e.children[name], "each entry has one %s", name)
		}
	}

	var parsed struct {
		Updated string `xml:"updated"`
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Entries []struct {
			ID      string `xml:"id"`
			Updated string `xml:"updated"`
			Link    struct {
				Rel  string `xml:"rel,attr"`
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
	require.NoError(t, xml.Unmarshal(feed, &parsed))
	_, err = time.Parse(time.RFC3339, parsed.Updated)
	assert.NoError(t, err, "the feed's updated")
	assert.Contains(t, parsed.Links, struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	}{"self", "feed.xml"})
	for i, e := range parsed.Entries {
		assert.Equal(t, "https://github.com/example/ciel-releases/releases/tag/"+s.Releases[i].Version, e.ID, "the newest first")
		_, err := time.Parse(time.RFC3339, e.Updated)
		assert.NoError(t, err, e.ID)
		assert.Contains(t, []string{"", "alternate"}, e.Link.Rel, "no rel is alternate (RFC 4287 4.2.7.2)")
		assert.Contains(t, files, e.Link.Href)
	}
}

// A switch file that says only why still shows its banner, without an empty "by" or
// "since", and says what in the file could not be read.
func TestMaintenanceBannerFromASparseSwitch(t *testing.T) {
	s := fixtureSite(t)
	s.Maintenance = &site.MaintenanceNotice{Reason: "moving the bucket", Problem: `since "yesterday" is not a time like 2026-01-02T15:04:05Z`}
	files, err := site.Render(s)
	require.NoError(t, err)
	for _, name := range []string{"index.html", "qa/bulk-validation/index.html"} {
		page := string(files[name])
		assert.Contains(t, page, "Shepherd is switched off for maintenance: moving the bucket. Releases wait until it is switched back on. (The switch's file: since &#34;yesterday&#34; is not a time like 2026-01-02T15:04:05Z.)", name)
	}
}
