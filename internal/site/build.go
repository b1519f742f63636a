package site

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"html/template"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/changelog"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/words"
)

//go:embed site.html.tmpl
var pageTemplates string

const timeLayout = "2006-01-02 15:04 UTC"

var pages = template.Must(template.New("site").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format(timeLayout)
	},
	"day": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02")
	},
	"until": func(t time.Time) string {
		if t.IsZero() {
			return "no expiry (public link)"
		}
		return t.UTC().Format(timeLayout)
	},
	"age":   func(d time.Duration) string { return words.Duration(d) },
	"size":  words.Size,
	"short": func(s string) string { return s[:min(len(s), 12)] },
	"count": words.Count,
	"sub":   func(a, b int) int { return a - b },
	"verdict": func(q QASummary) string {
		return render.Verdict(q.Errors, q.Warnings, q.Infos)
	},
	"changes":    changesText,
	"phaseClass": phaseClass,
	"downloadsOf": func(r *Release) downloadsView {
		return downloadsView{Release: r, Downloads: r.Downloads}
	},
	"downloadable": func(r *Release, d Download) bool { return unavailable(r, d) == "" },
	"unavailable":  unavailable,
	"link":         link,
	"built": func(s *Site) string {
		if s.unstamped {
			return ""
		}
		return s.Built.UTC().Format(timeLayout)
	},
	"hasPage": func(s *Site, version string) bool {
		for _, r := range s.Releases {
			if r.Version == version {
				return true
			}
		}
		return false
	},
	"reportLive": func(s *Site, q QASummary) bool {
		return q.ReportURL != "" && (q.ReportUntil.IsZero() || q.ReportUntil.After(s.Built))
	},
}).Parse(pageTemplates))

// page is what one page's template sees. Root leads back to the site's top folder from the
// page's own, so that every link is relative and the site works from any address.
type page struct {
	Site      *Site
	Release   *Release
	PageTitle string
	Section   string
	Root      string
	At        time.Time
	// Releases are the rows of the page's table of releases; Years every year's page.
	Releases []Release
	Years    []yearPage
	Year     string
	// Gone are the versions the exports page lists in one line each: their files were deleted.
	Gone []Release
}

// yearPage is the page listing every release of one year.
type yearPage struct {
	Year  string
	Count int
}

// recentOnIndex is how many releases the front page lists: a history of weekly releases
// would make it long on a phone. Every release is on its year's page.
const recentOnIndex = 20

// feedEntries is how many releases the Atom feed carries, the newest: feed readers keep
// the entries they have seen.
const feedEntries = 50

// yearOf is the year a release is listed under: its version's date, else when it started.
func yearOf(r *Release) string {
	if t, err := time.Parse("2006-01-02", strings.TrimPrefix(r.Version, "v")[:min(10, len(r.Version)-1)]); err == nil {
		return t.Format("2006")
	}
	return r.Started.UTC().Format("2006")
}

type downloadsView struct {
	Release   *Release
	Downloads []Download
}

// unavailable says why a file cannot be downloaded from the site, or "" when it can.
func unavailable(r *Release, d Download) string {
	switch {
	case r.Withdrawn:
		return "withdrawn"
	case !r.FilesRemoved.IsZero():
		return "deleted"
	case d.URL == "":
		return "no link"
	case !d.ValidUntil.IsZero() && !d.ValidUntil.After(r.builtAt):
		return "link expired"
	case !d.DeleteAt.IsZero() && !d.DeleteAt.After(r.builtAt):
		return "past retention"
	}
	return ""
}

// versionSegment is what a release's version must look like to name its folder.
var versionSegment = regexp.MustCompile(`^v[0-9A-Za-z][0-9A-Za-z.\-]{0,63}$`)

// Build writes the site into dir, replacing what was there: into a fresh folder beside it
// first, so that dir holds either the old site or the whole new one.
func Build(s *Site, dir string) error {
	files, err := Render(s)
	if err != nil {
		return err
	}
	return Write(files, dir)
}

// Write writes rendered files into dir as Build does.
func Write(files map[string][]byte, dir string) error {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".site-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for name, data := range files {
		path := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("replace the site in %s: %w", dir, err)
	}
	return os.Rename(tmp, dir)
}

// Digest identifies what the site says, leaving out when it was built: two builds with
// the same digest differ only in their "built on" lines.
func Digest(s *Site) (string, error) {
	unstamped := *s
	unstamped.unstamped = true
	files, err := Render(&unstamped)
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(files[name]))
		h.Write(files[name])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Render is the site as files: their paths (slash-separated, relative to the site's top
// folder) and contents. It refuses a release whose version could not name a folder.
func Render(s *Site) (map[string][]byte, error) {
	seen := map[string]bool{}
	for i := range s.Releases {
		r := &s.Releases[i]
		if !versionSegment.MatchString(r.Version) || seen[r.Version] {
			return nil, fmt.Errorf("site: release %q: not a version that can name a page, or listed twice", r.Version)
		}
		seen[r.Version] = true
		r.builtAt = s.Built
	}
	files := map[string][]byte{}
	add := func(name, tmpl string, p page) error {
		var buf bytes.Buffer
		if err := pages.ExecuteTemplate(&buf, tmpl, p); err != nil {
			return fmt.Errorf("site: %s: %w", name, err)
		}
		files[name] = buf.Bytes()
		return nil
	}
	var years []yearPage
	byYear := map[string][]Release{}
	for _, r := range s.Releases {
		y := yearOf(&r)
		if byYear[y] == nil {
			years = append(years, yearPage{Year: y})
		}
		byYear[y] = append(byYear[y], r)
	}
	sort.Slice(years, func(i, j int) bool { return years[i].Year > years[j].Year })
	for i := range years {
		years[i].Count = len(byYear[years[i].Year])
	}
	index := page{Site: s, PageTitle: "Releases of " + s.Title, Section: "releases", Releases: s.Releases[:min(len(s.Releases), recentOnIndex)], Years: years}
	if err := add("index.html", "index", index); err != nil {
		return nil, err
	}
	for _, y := range years {
		p := page{Site: s, PageTitle: "Releases of " + y.Year + " · " + s.Title, Section: "releases", Root: "../../", Releases: byYear[y.Year], Years: years, Year: y.Year}
		if err := add("archive/"+y.Year+"/index.html", "archive", p); err != nil {
			return nil, err
		}
	}
	exports := page{Site: s, PageTitle: "Export version · " + s.Title, Section: "exports", Root: "../"}
	for _, r := range s.Releases {
		switch {
		case len(r.Downloads) == 0:
		case !r.FilesRemoved.IsZero():
			exports.Gone = append(exports.Gone, r)
		default:
			exports.Releases = append(exports.Releases, r)
		}
	}
	if err := add("exports/index.html", "exports", exports); err != nil {
		return nil, err
	}
	for i := range s.Releases {
		r := &s.Releases[i]
		p := page{Site: s, Release: r, PageTitle: "Release " + r.Version + " · " + s.Title, Section: "releases", Root: "../../"}
		if err := add("releases/"+r.Version+"/index.html", "release", p); err != nil {
			return nil, err
		}
	}
	qaPage := "qa/bulk-validation/index.html"
	if s.HeadReport == nil {
		if err := add(qaPage, "qa-none", page{Site: s, PageTitle: "QA Bulk Validation · " + s.Title, Section: "qa", Root: "../../"}); err != nil {
			return nil, err
		}
	} else {
		html, err := withNav(s.HeadReport, page{Site: s, PageTitle: "QA Bulk Validation · " + s.Title, Section: "qa", Root: "../../"})
		if err != nil {
			return nil, err
		}
		files[qaPage] = html
	}
	feed, err := atomFeed(s)
	if err != nil {
		return nil, err
	}
	files["feed.xml"] = feed
	return files, nil
}

// withNav puts the site's navigation and banners at the top of the stored HEAD report,
// which is a whole self-contained page of its own.
func withNav(h *HeadReport, p page) ([]byte, error) {
	var nav bytes.Buffer
	if err := pages.ExecuteTemplate(&nav, "qa-nav", p); err != nil {
		return nil, err
	}
	at := bytes.Index(h.HTML, []byte("<body"))
	end := -1
	if at >= 0 {
		end = bytes.IndexByte(h.HTML[at:], '>')
	}
	if end < 0 {
		return nil, fmt.Errorf("site: the stored HEAD report is not an HTML page (no <body>)")
	}
	cut := at + end + 1
	head := bytes.Index(h.HTML[:at], []byte("</head>"))
	if head < 0 {
		head = at
	}
	out := make([]byte, 0, len(h.HTML)+nav.Len()+len(phoneTables))
	out = append(out, h.HTML[:head]...)
	out = append(out, phoneTables...)
	out = append(out, h.HTML[head:cut]...)
	out = append(out, nav.Bytes()...)
	return append(out, h.HTML[cut:]...), nil
}

// phoneTables lets the report's wide tables (the findings have six fixed-width columns)
// scroll inside themselves on a phone, so that the page itself does not scroll sideways.
const phoneTables = "<style>@media (max-width: 40rem) { table { display: block; overflow-x: auto; } }</style>\n"

// link passes the download and report links of a record through html/template, which
// would otherwise blank file: links (the local store's). They are checked here again:
// web and file addresses only.
func link(s string) template.URL {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file") {
		return ""
	}
	return template.URL(u.String())
}

func changesText(c *changelog.Summary) string {
	if c.First {
		return fmt.Sprintf("First release: %s.", words.Count(c.Concepts, "concept", "concepts"))
	}
	return fmt.Sprintf("Since %s: %d added, %d retired, %d un-retired, %d changed, %d removed (%s); %d breaking for sites.",
		c.From, c.Added, c.Retired, c.Unretired, c.Changed, c.Removed, words.Count(c.Concepts, "concept", "concepts"), c.Breaking)
}

func phaseClass(phase string) string {
	switch phase {
	case "done":
		return "good"
	case "failed", "incomplete":
		return "bad"
	}
	return "wait"
}

// Atom (RFC 4287) needs ids that never change: the repository's address and the
// version's tag on it, or without a repository tag URIs (RFC 4151) under a fixed date.
type atomFeedXML struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	Title   string   `xml:"title"`
	ID      string   `xml:"id"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Summary string   `xml:"summary"`
}

func atomFeed(s *Site) ([]byte, error) {
	feedID := "tag:shepherd,2026:" + strings.ReplaceAll(s.Title, " ", "-")
	entryID := func(version string) string { return feedID + "/" + version }
	if s.RepositoryURL != "" {
		feedID = s.RepositoryURL + "/releases"
		entryID = func(version string) string { return feedID + "/tag/" + version }
	}
	updated := s.Built.UTC().Format(time.RFC3339)
	if s.unstamped {
		updated = ""
	}
	f := atomFeedXML{Title: "Releases of " + s.Title, ID: feedID, Updated: updated,
		Author: atomPerson{Name: "Shepherd"}, Links: []atomLink{{Rel: "self", Href: "feed.xml"}, {Href: "index.html"}}}
	for _, r := range s.Releases[:min(len(s.Releases), feedEntries)] {
		summary := fmt.Sprintf("%s is in phase %s", r.Version, r.Phase)
		if r.Channel != "" {
			summary += ", channel " + r.Channel
		}
		if r.Deployable {
			summary += "; deployable."
		} else if len(r.Blockers) > 0 {
			summary += "; not deployable: " + r.Blockers[0]
		}
		f.Entries = append(f.Entries, atomEntry{
			Title: "Release " + r.Version + ": " + r.Phase, ID: entryID(r.Version),
			Updated: r.Updated.UTC().Format(time.RFC3339), Link: atomLink{Href: "releases/" + r.Version + "/index.html"}, Summary: summary,
		})
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}
