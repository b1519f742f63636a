package ocl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// ExportState is where the export of a version stands.
type ExportState int

const (
	// ExportNone (204): no export exists yet. Normal for a while after a version is created.
	ExportNone ExportState = iota + 1
	// ExportBuilding (208): OCL is generating the export.
	ExportBuilding
	// ExportReady (200, 302 or 303): the export can be downloaded.
	ExportReady
	// ExportUnavailable (500): the export exists but OCL could not make a download URL.
	// Retry later; it is not a failure of the release.
	ExportUnavailable
)

func (s ExportState) String() string {
	switch s {
	case ExportNone:
		return "none"
	case ExportBuilding:
		return "building"
	case ExportReady:
		return "ready"
	case ExportUnavailable:
		return "unavailable"
	}
	return fmt.Sprintf("ExportState(%d)", int(s))
}

// ExportInfo is the answer of ExportStatus.
type ExportInfo struct {
	State ExportState
	// HTTPStatus is OCL's status code, which tells the server generation apart (200, 302, 303).
	HTTPStatus int
	// Location is where a 302 or 303 points: for 302 a presigned URL, which grants access
	// while it is valid, so keep it out of logs. Empty for a streamed (200) export.
	Location string
	// Size is the Content-Length of a streamed export, -1 when unknown.
	Size int64
	// Filename is the name in Content-Disposition of a streamed export.
	Filename string
}

// ExportStatus asks whether the export of a version is ready, without downloading it.
//
// It sends a GET (OCL answers HEAD the same way, but a proxy refusing HEAD with 405 would
// be mistaken for OCL's own 405) and reads only the status and headers: redirects are not
// followed, and when OCL streams the zip itself (200) the body is closed unread, which
// drops the connection instead of transferring the file.
//
// 404 is ErrNotFound, 401 ErrUnauthorized, 403 and 405 (the export of HEAD needs an admin
// of the source) ErrForbidden. 500 is not an error: it is ExportUnavailable.
func (c *Client) ExportStatus(ctx context.Context, org, source, version string) (ExportInfo, error) {
	u, err := c.endpoint(nil, sourcePath(org, source, version, "export")...)
	if err != nil {
		return ExportInfo{}, err
	}
	r := request{method: http.MethodGet, url: u, accept: "application/zip, application/json", idempotent: true, meaningful500: true}
	var info ExportInfo
	err = c.do(ctx, r, func(resp *http.Response) error {
		info = ExportInfo{HTTPStatus: resp.StatusCode, Size: -1}
		switch resp.StatusCode {
		case http.StatusNoContent:
			info.State = ExportNone
		case http.StatusAlreadyReported:
			info.State = ExportBuilding
		case http.StatusInternalServerError:
			info.State = ExportUnavailable
		case http.StatusOK:
			info.State = ExportReady
			info.Size = resp.ContentLength
			info.Filename = attachmentName(resp.Header.Get("Content-Disposition"))
		case http.StatusFound, http.StatusSeeOther:
			loc, err := resp.Location()
			if err != nil {
				return fmt.Errorf("ocl: GET %s: %d without a usable Location: %w", logPath(u), resp.StatusCode, err)
			}
			info.State = ExportReady
			info.Location = loc.String()
		default:
			return c.exportError(resp, r)
		}
		return nil
	})
	if err != nil {
		return ExportInfo{}, err
	}
	return info, nil
}

// exportError reads an unexpected export answer: 405 there means the export of HEAD
// needs an admin of the source.
func (c *Client) exportError(resp *http.Response, r request) error {
	apiErr := c.statusError(resp, r)
	if apiErr.Status == http.StatusMethodNotAllowed {
		apiErr.Kind = ErrForbidden
		if apiErr.Detail == "" {
			apiErr.Detail = "the export of HEAD needs an admin of the source"
		}
	}
	return apiErr
}

func attachmentName(disposition string) string {
	_, params, err := mime.ParseMediaType(disposition)
	if err != nil {
		return ""
	}
	return filepath.Base(params["filename"])
}

// ExportRequestOutcome is what OCL did with a request to build an export.
type ExportRequestOutcome int

const (
	// ExportQueued (202): the build was queued.
	ExportQueued ExportRequestOutcome = iota + 1
	// ExportAlreadyQueued (409): a build was queued before.
	ExportAlreadyQueued
	// ExportInProgress (208): the export is being generated.
	ExportInProgress
	// ExportExists (303): the export is already there; ExportRequestResult.URL points at it.
	ExportExists
)

func (o ExportRequestOutcome) String() string {
	switch o {
	case ExportQueued:
		return "queued"
	case ExportAlreadyQueued:
		return "already queued"
	case ExportInProgress:
		return "in progress"
	case ExportExists:
		return "exists"
	}
	return fmt.Sprintf("ExportRequestOutcome(%d)", int(o))
}

// ExportRequestResult is the answer of RequestExport.
type ExportRequestResult struct {
	Outcome ExportRequestOutcome
	// HTTPStatus is OCL's answer: 202, 409, 208 or 303.
	HTTPStatus int
	URL        string // the export's URL, for ExportExists
}

// RequestExport asks OCL to build the export of a version; force rebuilds an existing one.
// It is a POST and is never retried once it may have reached OCL.
func (c *Client) RequestExport(ctx context.Context, org, source, version string, force bool) (ExportRequestResult, error) {
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	u, err := c.endpoint(q, sourcePath(org, source, version, "export")...)
	if err != nil {
		return ExportRequestResult{}, err
	}
	r := request{method: http.MethodPost, url: u}
	var res ExportRequestResult
	err = c.do(ctx, r, func(resp *http.Response) error {
		res.HTTPStatus = resp.StatusCode
		switch resp.StatusCode {
		case http.StatusAccepted:
			res.Outcome = ExportQueued
		case http.StatusConflict:
			res.Outcome = ExportAlreadyQueued
		case http.StatusAlreadyReported:
			res.Outcome = ExportInProgress
		case http.StatusSeeOther:
			// The URL header holds the version's uri plus export/, relative to the API
			// (OpenConceptLab/oclapi2 core/common/mixins.py, ConceptContainerExportMixin.post).
			res.Outcome = ExportExists
			ref := resp.Header.Get("URL")
			if ref == "" {
				ref = resp.Header.Get("Location")
			}
			res.URL = c.resolve(ref)
		default:
			return c.exportError(resp, r)
		}
		return nil
	})
	return res, err
}

// resolve makes an address OCL gave absolute: a path is taken below the base URL (with
// its path prefix, which OCL's own paths leave out), anything else as a reference.
func (c *Client) resolve(ref string) string {
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	if u.IsAbs() || u.Host != "" {
		return c.base.ResolveReference(u).String()
	}
	out := *c.base
	if strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, c.base.Path+"/") {
		out.Path = c.base.Path + u.Path
	} else if strings.HasPrefix(u.Path, "/") {
		out.Path = u.Path
	} else {
		out.Path = c.base.Path + "/" + u.Path
	}
	out.RawPath = ""
	out.RawQuery = u.RawQuery
	return out.String()
}

// Download is a downloaded export.
type Download struct {
	Path        string
	Size        int64
	SHA256      string // hex
	ContentType string
}

// maxRedirects bounds the hops from OCL to the file.
const maxRedirects = 5

// DownloadExport saves the export of a version at destPath. It follows OCL's 302/303 to
// storage, sending the token only to the OCL origin itself (never to another scheme, host
// or port), or reads the zip OCL streams. The file is written next to destPath under a
// temporary name while its SHA-256 is computed, and renamed into place only when complete:
// a failure, or going past maxBytes (ErrTooLarge), leaves nothing behind. An export that
// is not ready is ErrNotReady.
func (c *Client) DownloadExport(ctx context.Context, org, source, version, destPath string, maxBytes int64) (*Download, error) {
	if maxBytes <= 0 {
		return nil, fmt.Errorf("ocl: download export %s: maxBytes must be positive", version)
	}
	u, err := c.endpoint(nil, sourcePath(org, source, version, "export")...)
	if err != nil {
		return nil, err
	}
	r := request{method: http.MethodGet, url: u, accept: "application/zip, */*", idempotent: true, meaningful500: true}
	for hop := 0; ; hop++ {
		var next *url.URL
		var done *Download
		err := c.do(ctx, r, func(resp *http.Response) error {
			var err error
			done, next, err = c.downloadAnswer(resp, r, destPath, maxBytes)
			return err
		})
		if err != nil {
			return nil, err
		}
		if done != nil {
			return done, nil
		}
		if hop == maxRedirects {
			return nil, fmt.Errorf("ocl: download export %s: more than %d redirects", version, maxRedirects)
		}
		// Storage answers 500 for its own failures: those are retried.
		r = request{method: http.MethodGet, url: next, accept: r.accept, idempotent: true}
	}
}

// downloadAnswer saves a 200, or returns where a redirect points.
func (c *Client) downloadAnswer(resp *http.Response, r request, destPath string, maxBytes int64) (*Download, *url.URL, error) {
	switch resp.StatusCode {
	case http.StatusOK:
		d, err := saveBody(resp, r, destPath, maxBytes)
		return d, nil, err
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		loc, err := resp.Location()
		if err != nil || (loc.Scheme != "http" && loc.Scheme != "https") {
			return nil, nil, fmt.Errorf("ocl: GET %s: %d without a usable http(s) Location", logPath(r.url), resp.StatusCode)
		}
		return nil, loc, nil
	case http.StatusNoContent, http.StatusAlreadyReported:
		apiErr := c.statusError(resp, r)
		apiErr.Kind = ErrNotReady
		return nil, nil, apiErr
	case http.StatusInternalServerError:
		apiErr := c.statusError(resp, r)
		apiErr.Kind = ErrNotReady
		if apiErr.Detail == "" {
			apiErr.Detail = "the export exists but has no download URL yet"
		}
		return nil, nil, apiErr
	}
	return nil, nil, c.exportError(resp, r)
}

// saveBody streams the answer to a temporary file beside destPath, hashing as it writes.
func saveBody(resp *http.Response, r request, destPath string, maxBytes int64) (_ *Download, err error) {
	where := fmt.Sprintf("ocl: GET %s", logPath(r.url))
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("%s: %w: %d bytes announced, limit %d", where, ErrTooLarge, resp.ContentLength, maxBytes)
	}
	tmp, err := os.CreateTemp(filepath.Dir(destPath), "."+filepath.Base(destPath)+".*.part")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	sum := sha256.New()
	n, err := copyLimited(io.MultiWriter(tmp, sum), resp.Body, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: saving to %s: %w", where, destPath, err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("%s: saving to %s: %w", where, destPath, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("%s: saving to %s: %w", where, destPath, err)
	}
	if err := os.Rename(tmp.Name(), destPath); err != nil {
		return nil, fmt.Errorf("%s: saving to %s: %w", where, destPath, err)
	}
	return &Download{Path: destPath, Size: n, SHA256: hexSum(sum), ContentType: resp.Header.Get("Content-Type")}, nil
}

// copyLimited copies at most limit bytes and fails with ErrTooLarge past them. Read
// errors are *bodyError, so that a cut connection is retried; write errors are final.
func copyLimited(dst io.Writer, src io.Reader, limit int64) (int64, error) {
	n, err := io.Copy(dst, readErrors{io.LimitReader(src, limit+1)})
	if err != nil {
		return n, err
	}
	if n > limit {
		return n, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return n, nil
}

type readErrors struct{ r io.Reader }

func (t readErrors) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &bodyError{err}
	}
	return n, err
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
