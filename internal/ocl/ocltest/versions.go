package ocltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// HeadVersion is the name of the live, unversioned state of a source.
const HeadVersion = "HEAD"

type source struct {
	org, id  string
	locales  []string
	admins   map[string]bool
	versions []*version // in creation order; versions[0] is HEAD
	// nextCrash, when set, is given to the next version created (faults.go).
	nextCrash *crashPlan
}

type version struct {
	meta    ocl.SourceVersion
	content Content
	created time.Time

	// export lifecycle, under Server.mu
	polls     int
	requested bool
	// crashed: the export task died; GET …/export/ answers 204 until a POST (faults.go).
	crashed bool
	// seedingReads: reads of the version still answering is_processing: true.
	seedingReads int
	// postedWhileProcessing: an export was asked for while the version was being seeded.
	postedWhileProcessing bool
	// releasePatches counts PATCHes that set the release flag.
	releasePatches int

	// listing order of HEAD (listing.go): moved concepts first, most recent edit first.
	movedToFront []int
	pendingMoves []pendingMove
	pagesServed  int

	// the built zip, under buildMu
	buildMu sync.Mutex
	zipPath string
	zipName string

	// listing indexes, built on first use under Server.contentMu
	activeConcepts []int        // indexes of concepts that are not retired
	mappings       [2][]mapping // [includeRetired]
	mappingsBuilt  [2]bool
}

type mapping struct{ concept, index int }

func sourceKey(org, id string) string { return org + "/" + id }

// AddSource creates a source whose HEAD serves head. supportedLocales[0] is the default
// locale. Content is treated as immutable: replace it with SetHead.
func (s *Server) AddSource(org, id string, head Content, supportedLocales []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src := &source{org: org, id: id, locales: append([]string(nil), supportedLocales...), admins: map[string]bool{}}
	src.versions = []*version{{content: head, created: s.now(), meta: ocl.SourceVersion{ID: HeadVersion}}}
	s.sources[sourceKey(org, id)] = src
}

// SetHead replaces what HEAD serves. Versions created before keep their snapshot.
func (s *Server) SetHead(org, id string, head Content) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.mustSource(org, id)
	h := &version{content: head, created: src.versions[0].created, meta: src.versions[0].meta}
	src.versions[0] = h
}

// AddAdmin lets tok export HEAD (405 otherwise) and delete exports (403 otherwise).
func (s *Server) AddAdmin(org, id, tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustSource(org, id).admins[tok] = true
}

// Version returns a version's metadata as OCL serves it, and whether it exists.
func (s *Server) Version(org, id, name string) (ocl.SourceVersion, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.sources[sourceKey(org, id)]
	if src == nil {
		return ocl.SourceVersion{}, false
	}
	v := src.find(name)
	if v == nil {
		return ocl.SourceVersion{}, false
	}
	return src.versionJSON(v), true
}

// ReleasePatches is the number of PATCHes that set the release flag of a version.
func (s *Server) ReleasePatches(org, id, name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.mustSource(org, id).find(name); v != nil {
		return v.releasePatches
	}
	return 0
}

func (s *Server) mustSource(org, id string) *source {
	src := s.sources[sourceKey(org, id)]
	if src == nil {
		panic(fmt.Sprintf("ocltest: no source %s/%s: call AddSource first", org, id))
	}
	return src
}

// find resolves a version name, "latest" (the newest released version) included.
func (src *source) find(name string) *version {
	if name == "latest" {
		for i := len(src.versions) - 1; i > 0; i-- {
			if src.versions[i].meta.Released {
				return src.versions[i]
			}
		}
		return nil
	}
	for _, v := range src.versions {
		if v.meta.ID == name {
			return v
		}
	}
	return nil
}

func (src *source) url() string { return "/orgs/" + src.org + "/sources/" + src.id + "/" }

func (src *source) versionJSON(v *version) ocl.SourceVersion {
	m := v.meta
	m.Type = "Source Version"
	m.Version = m.ID
	m.Name = src.id
	m.FullName = src.id
	m.Owner = src.org
	m.SupportedLocales = src.locales
	if len(src.locales) > 0 {
		m.DefaultLocale = src.locales[0]
	}
	m.URL = src.url() + m.ID + "/"
	m.CreatedOn = v.created.UTC().Format(time.RFC3339)
	m.IsProcessing = v.seedingReads > 0
	return m
}

// sourceJSON is the body of a create: the source, with the new version in "version".
func (src *source) sourceJSON(version string) map[string]any {
	return map[string]any{
		"type":              "Source",
		"id":                src.id,
		"short_code":        src.id,
		"name":              src.id,
		"full_name":         src.id,
		"owner":             src.org,
		"owner_type":        "Organization",
		"owner_url":         "/orgs/" + src.org + "/",
		"url":               src.url(),
		"version":           version,
		"supported_locales": src.locales,
	}
}

// lookup finds the source of a request, answering 404 itself when there is none.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) *source {
	src := s.sources[sourceKey(r.PathValue("org"), r.PathValue("source"))]
	if src == nil {
		writeDetail(w, http.StatusNotFound, "Not found.")
	}
	return src
}

func (s *Server) handleSource(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.token(w, r, false); !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if src := s.lookup(w, r); src != nil {
		writeJSON(w, http.StatusOK, src.sourceJSON(HeadVersion))
	}
}

func (s *Server) handleVersions(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.listVersions(w, r)
	case http.MethodPost:
		s.createVersion(w, r)
	default:
		writeDetail(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method \"%s\" not allowed.", r.Method))
	}
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.token(w, r, false); !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.lookup(w, r)
	if src == nil {
		return
	}
	all := make([]ocl.SourceVersion, 0, len(src.versions))
	for i := len(src.versions) - 1; i >= 0; i-- {
		all = append(all, src.versionJSON(src.versions[i]))
	}
	p := readPaging(r, len(all))
	writePage(w, r, p, all[p.start:p.end])
}

func (s *Server) createVersion(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.token(w, r, true); !ok {
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var body map[string]json.RawMessage
	var nv struct {
		ID          string     `json:"id"`
		Description string     `json:"description"`
		ExternalID  string     `json:"external_id"`
		Extras      ocl.Extras `json:"extras"`
	}
	if err == nil {
		err = json.Unmarshal(data, &body)
	}
	if err == nil {
		err = json.Unmarshal(data, &nv)
	}
	if err != nil {
		writeDetail(w, http.StatusBadRequest, "JSON parse error - "+err.Error())
		return
	}
	fieldErrs := map[string][]string{}
	switch nv.ID {
	case "":
		fieldErrs["id"] = []string{"This field is required."}
	case HeadVersion, "latest", "versions", "concepts", "mappings":
		fieldErrs["id"] = []string{"This version name is reserved."}
	}
	released, ok := jsonBool(body["released"])
	if !ok {
		fieldErrs["released"] = []string{"Must be a valid boolean."}
	}
	if len(fieldErrs) > 0 {
		writeJSON(w, http.StatusBadRequest, fieldErrs)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.sources[sourceKey(r.PathValue("org"), r.PathValue("source"))]
	if src == nil {
		// OCL reads the source's HEAD without checking there is one and fails with 500
		// (OpenConceptLab/oclapi2 core/sources/views.py, SourceVersionListView.create:
		// head_object = self.get_queryset().first(), then head_object.mnemonic).
		writeDetail(w, http.StatusInternalServerError, "A server error occurred.")
		return
	}
	if src.find(nv.ID) != nil {
		msg := fmt.Sprintf("Source version '%s' already exist.", nv.ID)
		writeJSON(w, http.StatusConflict, map[string]string{"error": msg, "detail": msg})
		return
	}
	created := &version{
		content: src.versions[0].content,
		created: s.now(),
		meta: ocl.SourceVersion{
			ID: nv.ID, Description: nv.Description, Released: released,
			ExternalID: nv.ExternalID, Extras: nv.Extras,
		},
	}
	src.applyCrash(created)
	src.versions = append(src.versions, created)
	writeJSON(w, http.StatusCreated, src.sourceJSON(nv.ID))
}

// jsonBool reads an optional JSON boolean: absent is false; anything but true/false is not ok.
func jsonBool(raw json.RawMessage) (value, ok bool) {
	switch string(bytes.TrimSpace(raw)) {
	case "":
		return false, true
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	write := r.Method == http.MethodPatch
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !write {
		writeDetail(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method \"%s\" not allowed.", r.Method))
		return
	}
	if _, ok := s.token(w, r, write); !ok {
		return
	}
	var released *bool
	if write {
		var body map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeDetail(w, http.StatusBadRequest, "JSON parse error - "+err.Error())
			return
		}
		if raw, present := body["released"]; present {
			b, ok := jsonBool(raw)
			if !ok {
				writeJSON(w, http.StatusBadRequest, map[string][]string{"released": {"Must be a valid boolean."}})
				return
			}
			released = &b
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.lookup(w, r)
	if src == nil {
		return
	}
	v := src.find(r.PathValue("version"))
	if v == nil {
		writeDetail(w, http.StatusNotFound, "Not found.")
		return
	}
	if released != nil {
		v.meta.Released = *released
		v.releasePatches++
	}
	body := src.versionJSON(v)
	if !write && v.seedingReads > 0 {
		v.seedingReads--
	}
	writeJSON(w, http.StatusOK, body)
}

// paging is one page of a listing, as OCL computes it.
type paging struct {
	limit, page, pages, total, start, end int
}

// readPaging applies OCL's rules: limit defaults to 25, and a limit of 0 or above 1000 is
// silently reset to 25.
func readPaging(r *http.Request, total int) paging {
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > 1000 {
		limit = 25
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	p := paging{limit: limit, page: page, total: total, pages: (total + limit - 1) / limit}
	p.start = min((page-1)*limit, total)
	p.end = min(p.start+limit, total)
	return p
}

// writePage sends a page with OCL's listing headers.
func writePage[T any](w http.ResponseWriter, r *http.Request, p paging, items []T) {
	h := w.Header()
	h.Set("num_found", strconv.Itoa(p.total))
	h.Set("num_returned", strconv.Itoa(len(items)))
	h.Set("pages", strconv.Itoa(p.pages))
	h.Set("page_number", strconv.Itoa(p.page))
	if p.page < p.pages {
		next := *r.URL
		q := next.Query()
		q.Set("page", strconv.Itoa(p.page+1))
		next.RawQuery = q.Encode()
		h.Set("next", "http://"+r.Host+next.RequestURI())
	}
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, items)
}
