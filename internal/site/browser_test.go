package site_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/site"
)

// chromium finds Debian's chromium; under CI=true a missing one fails the test, since CI
// must never pass having skipped the browser checks.
func chromium(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed: scripts/tools.sh installs it (apt-get install -y chromium)")
		}
		t.Skip("chromium is not installed (apt-get install -y chromium); the site's browser checks are skipped")
	}
	return bin
}

// runChromium runs headless Chromium with a profile of its own. --no-sandbox: CI runs the
// tests as root, where Chromium's sandbox refuses to start.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "chromium %s: %s", strings.Join(args, " "), stderr.String())
	return out
}

// browserPage is one page of the site as Chromium built it, laid out 390 px wide (a phone).
type browserPage struct {
	doc                      *html.Node
	scrollWidth, clientWidth int
}

// loadPages opens every page of the site in Chromium in one run: a harness page frames
// each at a phone's width and copies out its DOM and its width once it has loaded.
func loadPages(t *testing.T, bin, dir string, pages []string) map[string]browserPage {
	t.Helper()
	var frames strings.Builder
	for _, p := range pages {
		src := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, p))}).String()
		fmt.Fprintf(&frames, "<iframe data-page=%q data-src=%q style=\"width:390px;height:844px;border:0\"></iframe>\n", p, src)
	}
	harness := filepath.Join(t.TempDir(), "harness.html")
	require.NoError(t, os.WriteFile(harness, []byte(`<!DOCTYPE html><html><body>`+frames.String()+`<script>
for (const f of document.querySelectorAll("iframe")) {
  f.addEventListener("load", () => {
    const d = f.contentDocument.documentElement;
    const out = document.createElement("textarea");
    out.dataset.page = f.dataset.page;
    out.dataset.scrollWidth = d.scrollWidth;
    out.dataset.clientWidth = d.clientWidth;
    out.textContent = d.outerHTML;
    document.body.appendChild(out);
  });
  f.src = f.dataset.src;
}
</script></body></html>`), 0o644))
	dom := runChromium(t, bin, "--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom", "file://"+filepath.ToSlash(harness))
	root, err := html.Parse(strings.NewReader(string(dom)))
	require.NoError(t, err)
	got := map[string]browserPage{}
	for n := range root.Descendants() {
		if n.Type != html.ElementNode || n.Data != "textarea" {
			continue
		}
		doc, err := html.Parse(strings.NewReader(text(n)))
		require.NoError(t, err)
		sw, _ := strconv.Atoi(attr(n, "data-scroll-width"))
		cw, _ := strconv.Atoi(attr(n, "data-client-width"))
		got[attr(n, "data-page")] = browserPage{doc: doc, scrollWidth: sw, clientWidth: cw}
	}
	for _, p := range pages {
		require.Contains(t, got, p, "Chromium did not load %s", p)
	}
	return got
}

// The site as a browser shows it: the latest deployable release first, every phase and
// channel in its own words, withdrawn and deleted releases never offered, the banners,
// every link inside the site resolving to a file of it, no asset from outside, and every
// page readable on a phone without scrolling sideways. It leaves a phone-sized screenshot.
func TestSiteInChromium(t *testing.T) {
	bin := chromium(t)
	s := fixtureSite(t)
	dir := filepath.Join(t.TempDir(), "site")
	require.NoError(t, site.Build(s, dir))

	var pages []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".html") {
			rel, _ := filepath.Rel(dir, p)
			pages = append(pages, filepath.ToSlash(rel))
		}
		return err
	}))
	require.Len(t, pages, 4+len(s.Releases), "index, exports, QA, this year's releases and one page per release")
	loaded := loadPages(t, bin, dir, pages)

	t.Run("the latest deployable release comes first", func(t *testing.T) {
		index := loaded["index.html"].doc
		first := find(index, func(n *html.Node) bool { return attr(n, "data-version") != "" })
		require.NotNil(t, first)
		assert.Equal(t, "latest-deployable", attr(first, "id"))
		assert.Equal(t, latest, attr(first, "data-version"))
		hero := text(first)
		assert.Contains(t, hero, "Latest deployable release: "+latest)
		assert.Contains(t, hero, "production")
		assert.Contains(t, hero, "2026-12-01 12:00 UTC", "its publication date")
		assert.Contains(t, hero, "openmrs_concepts_2.sql.zip")
		assert.Contains(t, hero, "openmrs_concepts_2.sql.zip 38.0 MiB · link works until 2026-12-12 12:00 UTC", "when its download link stops working")
		files := findAll(first, func(n *html.Node) bool { return n.Data == "a" && hasAttr(n, "data-download") })
		require.Len(t, files, 2)
		assert.Equal(t, "https://bucket.example.org/ciel/f.zip?X-Amz-Signature=1", attr(files[0], "href"))
	})

	t.Run("every release in the table with its phase, channel and state", func(t *testing.T) {
		index := loaded["index.html"].doc
		rows := findAll(index, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-version") != "" })
		require.Len(t, rows, len(s.Releases))
		phases := map[string]bool{}
		for i, r := range s.Releases {
			row := rows[i]
			assert.Equal(t, r.Version, attr(row, "data-version"), "newest first, as the model lists them")
			phase := find(row, func(n *html.Node) bool { return attr(n, "data-phase") != "" })
			require.NotNil(t, phase)
			assert.Equal(t, r.Phase, text(phase))
			phases[r.Phase] = true
			assert.Contains(t, text(row), cmp.Or(r.Outcome, "under way"), r.Version)
			if r.Channel != "" {
				channel := find(row, func(n *html.Node) bool { return attr(n, "data-channel") != "" })
				require.NotNil(t, channel, r.Version)
				assert.Equal(t, r.Channel, text(channel))
			} else {
				assert.Contains(t, text(row), "none")
			}
			state := find(row, func(n *html.Node) bool { return attr(n, "data-state") != "" })
			require.NotNil(t, state)
			switch {
			case r.Withdrawn:
				assert.Equal(t, "withdrawn", attr(state, "data-state"), r.Version)
			case r.Deployable:
				assert.Equal(t, "deployable", attr(state, "data-state"), r.Version)
			default:
				assert.Equal(t, "not-deployable", attr(state, "data-state"), r.Version)
				assert.Contains(t, text(row), r.Blockers[0], "the first reason it is not deployable")
			}
		}
		for _, p := range release.Phases {
			assert.True(t, phases[string(p)], "phase %s is shown", p)
		}
		channels := map[string]bool{}
		for _, n := range findAll(index, func(n *html.Node) bool { return attr(n, "data-channel") != "" }) {
			channels[text(n)] = true
		}
		for _, c := range release.Channels {
			assert.True(t, channels[string(c)], "channel %s is shown", c)
		}
	})

	t.Run("each release page tells its phase, channel, blockers and timeline", func(t *testing.T) {
		for _, r := range s.Releases {
			doc := loaded["releases/"+r.Version+"/index.html"].doc
			body := text(doc)
			assert.Contains(t, body, "Release "+r.Version)
			phase := find(doc, func(n *html.Node) bool { return attr(n, "data-phase") != "" })
			require.NotNil(t, phase, r.Version)
			assert.Equal(t, r.Phase, text(phase))
			if r.Channel != "" {
				assert.Contains(t, body, "Channel "+r.Channel, r.Version)
			}
			for _, b := range r.Blockers {
				assert.Contains(t, body, b, r.Version)
			}
			timeline := find(doc, func(n *html.Node) bool { return attr(n, "id") == "timeline" })
			require.NotNil(t, timeline, r.Version)
			assert.Len(t, findAll(timeline, func(n *html.Node) bool { return n.Data == "tr" }), 1+len(r.Timeline))
			assert.Equal(t, r.Latest, find(doc, func(n *html.Node) bool { return attr(n, "id") == "is-latest" }) != nil, r.Version)
			assert.Contains(t, body, "Outcome "+cmp.Or(r.Outcome, "under way"), r.Version)
			moves := find(doc, func(n *html.Node) bool { return attr(n, "id") == "channel-moves" })
			if len(r.Moves) == 0 {
				assert.Nil(t, moves, r.Version)
			} else {
				require.NotNil(t, moves, r.Version)
				assert.Len(t, findAll(moves, func(n *html.Node) bool { return n.Data == "tr" }), 1+len(r.Moves), r.Version)
				for _, m := range r.Moves {
					assert.Contains(t, text(moves), m.Command+" "+m.From+" "+m.To+" @"+m.By, r.Version)
				}
			}
			assert.Equal(t, r.Held, find(doc, func(n *html.Node) bool { return attr(n, "id") == "held" }) != nil, r.Version)
			runs := findAll(timeline, func(n *html.Node) bool { return n.Data == "a" && hasAttr(n, "data-run") })
			var want []string
			for _, step := range r.Timeline {
				if step.Run != "" {
					want = append(want, step.Run)
				}
			}
			var got []string
			for _, a := range runs {
				got = append(got, attr(a, "href"))
				assert.Equal(t, "run and decision log", text(a))
			}
			assert.Equal(t, want, got, "%s: each transition links the run that made it", r.Version)
			downloads := findAll(doc, func(n *html.Node) bool { return n.Data == "a" && hasAttr(n, "data-download") })
			if !r.Deployable {
				assert.Empty(t, downloads, "%s offers no download: withdrawn, expired or deleted files are listed without links", r.Version)
			}
		}
		latestPage := text(loaded["releases/"+latest+"/index.html"].doc)
		assert.Contains(t, latestPage, "Since v2026-11-01: 12 added, 3 retired")
		assert.Contains(t, latestPage, "1234 Fever: answer removed")
		assert.Contains(t, latestPage, "verified")
		assert.Contains(t, text(loaded["releases/v2026-11-18/index.html"].doc), "outcome reject. a wrong answer set")
		assert.Contains(t, text(loaded["releases/v2026-11-26/index.html"].doc), "waiting for the lab's sign-off")
		assert.Contains(t, text(loaded["releases/v2026-11-01/index.html"].doc), "The files were deleted on 2026-11-18")
	})

	t.Run("the HEAD report and the exports", func(t *testing.T) {
		head := loaded["qa/bulk-validation/index.html"].doc
		assert.Contains(t, text(head), "QA report: CIEL/CIEL HEAD")
		assert.Contains(t, text(head), "The latest QA report of HEAD")
		assert.NotNil(t, find(head, func(n *html.Node) bool { return n.Data == "nav" && text(n) != "" }), "the site's links above the report")
		exports := loaded["exports/index.html"].doc
		var sections, gone []string
		for _, n := range findAll(exports, func(n *html.Node) bool { return n.Data == "section" && hasAttr(n, "data-version") }) {
			sections = append(sections, attr(n, "data-version"))
		}
		for _, n := range findAll(exports, func(n *html.Node) bool { return n.Data == "li" && hasAttr(n, "data-version") }) {
			gone = append(gone, attr(n, "data-version"))
		}
		var withFiles, deleted []string
		for _, r := range s.Releases {
			switch {
			case len(r.Downloads) == 0:
			case r.FilesRemoved.IsZero():
				withFiles = append(withFiles, r.Version)
			default:
				deleted = append(deleted, r.Version)
			}
		}
		assert.Equal(t, withFiles, sections, "a table of files per version that has them")
		assert.Equal(t, deleted, gone, "one line per version whose files were deleted")
		assert.Contains(t, text(exports), "link expired")
		assert.Contains(t, text(exports), "withdrawn")
		assert.Contains(t, text(exports), "v2026-11-01 : deleted on 2026-11-18 12:00 UTC")
	})

	t.Run("banners on every page", func(t *testing.T) {
		for name, p := range loaded {
			assert.Contains(t, text(p.doc), "Shepherd is switched off for maintenance by octocat", name)
			assert.NotNil(t, find(p.doc, func(n *html.Node) bool { return attr(n, "data-stale-lease") == "v2026-11-14" }), name)
			assert.Contains(t, text(p.doc), "The record of release v2026-10-01 on issue #9 cannot be read", name)
		}
	})

	t.Run("links resolve inside the site; no outside assets", func(t *testing.T) {
		for name, p := range loaded {
			for n := range p.doc.Descendants() {
				css := attr(n, "style")
				if n.Type == html.ElementNode && n.Data == "style" && n.FirstChild != nil {
					css = n.FirstChild.Data
				}
				assert.NotContains(t, css, "url(", "%s: a style that loads something", name)
				assert.NotContains(t, css, "@import", "%s: a style that loads something", name)
				for _, key := range []string{"href", "src"} {
					ref, ok := attrOK(n, key)
					if !ok {
						continue
					}
					u, err := url.Parse(ref)
					require.NoError(t, err, "%s: <%s %s=%q>", name, n.Data, key, ref)
					if u.Scheme != "" || u.Host != "" {
						assert.True(t, n.Data == "a" && key == "href" && u.Scheme == "https",
							"%s: <%s %s=%q> loads something from outside the site", name, n.Data, key, ref)
						continue
					}
					target := path.Join(path.Dir(name), u.Path)
					_, err = os.Stat(filepath.Join(dir, filepath.FromSlash(target)))
					assert.NoError(t, err, "%s: <%s %s=%q> leads nowhere", name, n.Data, key, ref)
				}
			}
		}
	})

	t.Run("readable on a phone", func(t *testing.T) {
		for name, p := range loaded {
			require.Positive(t, p.clientWidth, name)
			assert.LessOrEqual(t, p.scrollWidth, p.clientWidth, "%s scrolls sideways on a 390 px wide screen", name)
			viewport := find(p.doc, func(n *html.Node) bool { return n.Data == "meta" && attr(n, "name") == "viewport" })
			assert.NotNil(t, viewport, name)
		}
		shot := filepath.Join(t.ArtifactDir(), "site-phone.png")
		runChromium(t, bin, "--screenshot="+shot, "--window-size=390,844", "file://"+filepath.ToSlash(filepath.Join(dir, "index.html")))
		info, err := os.Stat(shot)
		require.NoError(t, err)
		assert.Greater(t, info.Size(), int64(5000), "a screenshot with something on it")
		t.Logf("phone screenshot of the site: %s", shot)
	})

	t.Run("the DOM tells what status --all tells", func(t *testing.T) {
		// The JSON of `shepherd status --all` is the same model: the site and the command
		// cannot disagree on which release is deployable.
		data, err := json.Marshal(s.Releases)
		require.NoError(t, err)
		assert.Contains(t, string(data), `"version":"`+latest+`","phase":"done","channel":"production","outcome":"published","verified":true,"deployable":true`)
	})
}

// Three years of weekly releases, as Chromium shows them: the front page lists the newest
// twenty after the latest deployable one and links every year's page; those pages link
// every release's page; none scrolls sideways on a phone.
func TestCIELHistoryInChromium(t *testing.T) {
	bin := chromium(t)
	s := cielHistory(t, 150, 50)
	dir := filepath.Join(t.TempDir(), "site")
	require.NoError(t, site.Build(s, dir))
	archives, err := filepath.Glob(filepath.Join(dir, "archive", "*", "index.html"))
	require.NoError(t, err)
	require.Len(t, archives, 3, "2024, 2025 and 2026")
	pages := []string{"index.html", "exports/index.html", "qa/bulk-validation/index.html", "releases/" + s.Releases[0].Version + "/index.html"}
	for _, a := range archives {
		rel, _ := filepath.Rel(dir, a)
		pages = append(pages, filepath.ToSlash(rel))
	}
	loaded := loadPages(t, bin, dir, pages)

	index := loaded["index.html"].doc
	hero := find(index, func(n *html.Node) bool { return attr(n, "id") == "latest-deployable" })
	require.NotNil(t, hero)
	assert.Equal(t, s.LatestDeployable().Version, attr(hero, "data-version"))
	assert.Len(t, findAll(index, func(n *html.Node) bool { return n.Data == "tr" && hasAttr(n, "data-version") }), 20)
	assert.Contains(t, text(index), "The 20 newest releases")

	linked := map[string]bool{}
	for name, p := range loaded {
		assert.LessOrEqual(t, p.scrollWidth, p.clientWidth, "%s scrolls sideways on a 390 px wide screen", name)
		for _, a := range findAll(p.doc, func(n *html.Node) bool { return n.Data == "a" }) {
			href := attr(a, "href")
			target := path.Join(path.Dir(name), href)
			if !strings.Contains(href, ":") && strings.HasPrefix(target, "releases/v") {
				_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(target)))
				require.NoError(t, err, "%s links %s", name, target)
				linked[strings.Split(target, "/")[1]] = true
			}
		}
	}
	for _, r := range s.Releases {
		assert.True(t, linked[r.Version], "%s is reachable from the front page's year links", r.Version)
	}
	for _, y := range []string{"2024", "2025", "2026"} {
		year := loaded["archive/"+y+"/index.html"].doc
		for _, row := range findAll(year, func(n *html.Node) bool { return n.Data == "tr" && hasAttr(n, "data-version") }) {
			assert.True(t, strings.HasPrefix(attr(row, "data-version"), "v"+y+"-"), "%s lists %s", y, attr(row, "data-version"))
		}
	}
}

func attrOK(n *html.Node, key string) (string, bool) {
	if n.Type != html.ElementNode {
		return "", false
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attr(n *html.Node, key string) string { v, _ := attrOK(n, key); return v }

func hasAttr(n *html.Node, key string) bool { _, ok := attrOK(n, key); return ok }

func find(root *html.Node, match func(*html.Node) bool) *html.Node {
	for n := range root.Descendants() {
		if n.Type == html.ElementNode && match(n) {
			return n
		}
	}
	return nil
}

func findAll(root *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range root.Descendants() {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
	}
	return out
}

// text is the node's text with white space runs shortened to one space.
func text(root *html.Node) string {
	var b strings.Builder
	for n := range root.Descendants() {
		if n.Type == html.TextNode && (n.Parent == nil || (n.Parent.Data != "style" && n.Parent.Data != "script")) {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
