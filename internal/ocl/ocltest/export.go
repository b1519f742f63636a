package ocltest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// ReadyVariant is how a ready export is answered; each OCL server generation differs.
type ReadyVariant int

const (
	// ReadyRedirect302: newer servers redirect to a presigned S3 URL (the fake storage).
	ReadyRedirect302 ReadyVariant = iota
	// ReadyStream200: servers of 2024–2025 stream the zip in the body.
	ReadyStream200
	// ReadySeeOther303: servers before 2024 answer 303 with a Location pointing at the file.
	ReadySeeOther303
	// NeverReady: the export stays "being generated" (208) forever.
	NeverReady
	// Unavailable500: the export exists but no download URL can be made (500).
	Unavailable500
)

// ExportPlan says how the export of a version evolves after the version is created:
// 204 for the first NonePolls polls (GET or HEAD of …/export/), then 208 for
// BuildingPolls polls, then the Ready variant. When NoneFor or BuildingFor is set, the
// phases follow the server's clock from the version's creation instead of poll counts.
type ExportPlan struct {
	NonePolls     int
	BuildingPolls int
	NoneFor       time.Duration
	BuildingFor   time.Duration
	Ready         ReadyVariant
}

// DefaultExportPlan: one 204, one 208, then a 302 to storage, as a newer server does.
var DefaultExportPlan = ExportPlan{NonePolls: 1, BuildingPolls: 1, Ready: ReadyRedirect302}

type exportPhase int

const (
	phaseNone exportPhase = iota
	phaseBuilding
	phaseReady
)

func (p ExportPlan) phase(polls int, elapsed time.Duration) exportPhase {
	byTime := p.NoneFor > 0 || p.BuildingFor > 0
	switch {
	case byTime && elapsed < p.NoneFor, !byTime && polls <= p.NonePolls:
		return phaseNone
	case byTime && elapsed < p.NoneFor+p.BuildingFor, !byTime && polls <= p.NonePolls+p.BuildingPolls:
		return phaseBuilding
	case p.Ready == NeverReady:
		return phaseBuilding
	}
	return phaseReady
}

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.getExport(w, r)
	case http.MethodPost:
		s.postExport(w, r)
	case http.MethodDelete:
		s.deleteExport(w, r)
	default:
		writeDetail(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method \"%s\" not allowed.", r.Method))
	}
}

// exportTarget applies the checks of the export endpoint in OCL's order: 401 (Django
// REST framework authenticates in the view's initial(), before the handler looks the
// version up in OpenConceptLab/oclapi2 core/common/mixins.py,
// ConceptContainerExportMixin.get_object), then 404 for a missing source or version, then 405 for the export of HEAD by someone
// who is not an admin. s.mu must be held; on failure the answer is written and v is nil.
func (s *Server) exportTarget(w http.ResponseWriter, r *http.Request, write bool) (src *source, v *version, admin bool) {
	tok, status, detail := s.checkToken(r, write)
	if status != 0 {
		writeDetail(w, status, detail)
		return nil, nil, false
	}
	if src = s.lookup(w, r); src == nil {
		return nil, nil, false
	}
	if v = src.find(r.PathValue("version")); v == nil {
		writeDetail(w, http.StatusNotFound, "Not found.")
		return nil, nil, false
	}
	admin = tok != "" && src.admins[tok]
	if v.meta.ID == HeadVersion && !admin {
		writeDetail(w, http.StatusMethodNotAllowed, "Exporting HEAD needs an admin of the source.")
		return nil, nil, false
	}
	return src, v, admin
}

func (s *Server) getExport(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	src, v, _ := s.exportTarget(w, r, false)
	if v == nil {
		s.mu.Unlock()
		return
	}
	v.polls++
	if v.crashed { // its export task died and nothing restarts it (faults.go)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	plan := s.plan
	phase := plan.phase(v.polls, s.now().Sub(v.created))
	meta := src.versionJSON(v)
	s.mu.Unlock()

	switch {
	case phase == phaseNone:
		w.WriteHeader(http.StatusNoContent)
	case phase == phaseBuilding:
		w.WriteHeader(http.StatusAlreadyReported)
	case plan.Ready == Unavailable500:
		writeDetail(w, http.StatusInternalServerError, "Could not generate a download URL for the export.")
	default:
		s.serveReady(w, r, src, v, meta, plan.Ready)
	}
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request, src *source, v *version, meta ocl.SourceVersion, ready ReadyVariant) {
	path, name, err := s.buildExport(src, v, meta)
	if err != nil {
		writeDetail(w, http.StatusInternalServerError, err.Error())
		return
	}
	switch ready {
	case ReadyStream200:
		serveFile(w, path, name, true)
	case ReadySeeOther303:
		w.Header().Set("Location", s.presignedURL(name))
		w.WriteHeader(http.StatusSeeOther)
	default:
		w.Header().Set("Location", s.presignedURL(name))
		w.WriteHeader(http.StatusFound)
	}
}

func (s *Server) postExport(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	src, v, _ := s.exportTarget(w, r, true)
	if v == nil {
		s.mu.Unlock()
		return
	}
	s.requeueCrashed(v)
	force := r.URL.Query().Get("force") == "true"
	phase := s.plan.phase(v.polls, s.now().Sub(v.created))
	status := http.StatusAccepted
	switch {
	case force:
		v.polls, v.created, v.requested = 0, s.now(), true
	case phase == phaseReady:
		status = http.StatusSeeOther
	case phase == phaseBuilding:
		status = http.StatusAlreadyReported
	case v.requested:
		status = http.StatusConflict
	default:
		v.requested = true
	}
	s.mu.Unlock()

	if force {
		s.dropExport(v)
	}
	if status == http.StatusSeeOther {
		// The version's uri plus export/: a path without the API's prefix or host
		// (OpenConceptLab/oclapi2 core/common/mixins.py, ConceptContainerExportMixin.post).
		w.Header().Set("URL", src.url()+v.meta.ID+"/export/")
	}
	w.WriteHeader(status)
}

func (s *Server) deleteExport(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, v, admin := s.exportTarget(w, r, true)
	if v == nil {
		s.mu.Unlock()
		return
	}
	if !admin {
		s.mu.Unlock()
		writeDetail(w, http.StatusForbidden, "You do not have permission to perform this action.")
		return
	}
	if s.plan.phase(v.polls, s.now().Sub(v.created)) != phaseReady {
		s.mu.Unlock()
		writeDetail(w, http.StatusNotFound, "Not found.")
		return
	}
	// The export starts over: none, building, ready.
	v.polls, v.created, v.requested = 0, s.now(), false
	s.mu.Unlock()
	s.dropExport(v)
	w.WriteHeader(http.StatusNoContent)
}

// ExportZip builds (once) and returns the path of a version's export zip, whatever its
// export lifecycle says, so that tests can compare a download with it.
func (s *Server) ExportZip(org, id, versionName string) (string, error) {
	s.mu.Lock()
	src := s.sources[sourceKey(org, id)]
	var v *version
	if src != nil {
		v = src.find(versionName)
	}
	if v == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("ocltest: no version %s of %s/%s", versionName, org, id)
	}
	meta := src.versionJSON(v)
	s.mu.Unlock()
	path, _, err := s.buildExport(src, v, meta)
	return path, err
}

// buildExport writes the version's zip from its snapshot once and caches it on disk.
func (s *Server) buildExport(src *source, v *version, meta ocl.SourceVersion) (path, name string, err error) {
	v.buildMu.Lock()
	defer v.buildMu.Unlock()
	if v.zipPath != "" {
		return v.zipPath, v.zipName, nil
	}
	f, err := os.CreateTemp(s.dir, "export-*.zip")
	if err != nil {
		return "", "", fmt.Errorf("ocltest: export of %s: %w", meta.ID, err)
	}
	s.contentMu.Lock()
	err = WriteExport(f, meta, v.content)
	s.contentMu.Unlock()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", "", fmt.Errorf("ocltest: export of %s: %w", meta.ID, err)
	}
	created, _ := time.Parse(time.RFC3339, meta.CreatedOn)
	v.zipPath = f.Name()
	v.zipName = fmt.Sprintf("%s_%s_%s.%s.zip", src.org, src.id, meta.ID, created.Format("20060102_150405"))
	s.mu.Lock()
	s.objects[v.zipName] = v.zipPath
	s.mu.Unlock()
	return v.zipPath, v.zipName, nil
}

// dropExport forgets a built zip, so that the next ready answer builds it again.
func (s *Server) dropExport(v *version) {
	v.buildMu.Lock()
	defer v.buildMu.Unlock()
	if v.zipPath == "" {
		return
	}
	s.mu.Lock()
	delete(s.objects, v.zipName)
	s.mu.Unlock()
	os.Remove(v.zipPath)
	v.zipPath, v.zipName = "", ""
}

// presignedURL imitates an S3 presigned GET URL on the fake storage: valid 7 days.
func (s *Server) presignedURL(name string) string {
	sig := sha256.Sum256([]byte(name))
	q := url.Values{
		"X-Amz-Algorithm":     {"AWS4-HMAC-SHA256"},
		"X-Amz-Credential":    {"OCLTEST/20260101/us-east-2/s3/aws4_request"},
		"X-Amz-Date":          {s.now().UTC().Format("20060102T150405Z")},
		"X-Amz-Expires":       {"604800"},
		"X-Amz-SignedHeaders": {"host"},
		"X-Amz-Signature":     {hex.EncodeToString(sig[:])},
	}
	return s.storage.URL + "/exports/" + url.PathEscape(name) + "?" + q.Encode()
}

// serveStorage is the fake S3: it serves built exports to presigned URLs and, like S3,
// refuses a request that also carries an Authorization header.
func (s *Server) serveStorage(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		writeS3Error(w, http.StatusBadRequest, "InvalidArgument",
			"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
		return
	}
	if r.URL.Query().Get("X-Amz-Signature") == "" {
		writeS3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/exports/")
	s.mu.Lock()
	path := s.objects[name]
	s.mu.Unlock()
	if !ok || path == "" {
		writeS3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	serveFile(w, path, name, false)
}

func writeS3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>%s</Code><Message>%s</Message><RequestId>0000000000000000</RequestId></Error>`, code, message)
}

// serveFile sends a zip. S3 (attachment false) announces its length; OCL streaming
// the zip itself (attachment true) adds its Content-Disposition and no length: the
// body is a streaming response (OpenConceptLab/oclapi2 core/common/mixins.py,
// ConceptContainerExportMixin.get returns get_export_service().get_streaming_response),
// sent chunked.
func serveFile(w http.ResponseWriter, path, name string, attachment bool) {
	f, err := os.Open(path)
	if err != nil {
		writeDetail(w, http.StatusInternalServerError, "export file vanished")
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		writeDetail(w, http.StatusInternalServerError, "export file unreadable")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	if attachment {
		h.Set("Content-Disposition", "attachment; filename="+name)
	} else {
		h.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	}
	w.WriteHeader(http.StatusOK)
	io.Copy(w, f)
}
