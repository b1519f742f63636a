package ocl

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// NewVersion is what CreateVersion sends.
type NewVersion struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Released    bool   `json:"released"`
	ExternalID  string `json:"external_id,omitempty"`
	Extras      Extras `json:"extras,omitempty"`
}

// CreateVersion cuts a version of the source from its HEAD. OCL then copies concepts and
// mappings and builds the export in the background: poll ExportStatus for the result.
//
// A version that already exists fails with ErrVersionExists, bad fields with
// ErrBadRequest (APIError.Fields says which). The call is not retried once it may have
// reached OCL; after an ambiguous failure, GetVersion tells whether it was created.
func (c *Client) CreateVersion(ctx context.Context, org, source string, v NewVersion) error {
	if v.ID == "" {
		return fmt.Errorf("ocl: create version of %s/%s: empty version id", org, source)
	}
	u, err := c.endpoint(nil, sourcePath(org, source, "versions")...)
	if err != nil {
		return err
	}
	body, err := jsonBody(v)
	if err != nil {
		return err
	}
	// The answer is the source with the new version in "version".
	var created struct {
		Version string `json:"version"`
	}
	r := request{method: http.MethodPost, url: u, body: body}
	if _, err := c.doJSON(ctx, r, &created, map[int]error{http.StatusConflict: ErrVersionExists}, http.StatusCreated); err != nil {
		if apiErr, ok := errorsAsAPI(err); ok && apiErr.Status == http.StatusInternalServerError {
			return c.explainCreate500(ctx, org, source, apiErr)
		}
		return err
	}
	if created.Version != "" && created.Version != v.ID {
		return fmt.Errorf("ocl: create version %s of %s/%s: OCL answered with version %q", v.ID, org, source, created.Version)
	}
	return nil
}

// explainCreate500 tells the two causes of a 500 on create apart. OCL answers 500 when
// the source does not exist: the create view reads the source's HEAD without checking
// that there is one (OpenConceptLab/oclapi2 core/sources/views.py,
// SourceVersionListView.create). A read of the source says which it was.
func (c *Client) explainCreate500(ctx context.Context, org, source string, apiErr *APIError) error {
	_, err := c.getVersion(ctx, sourcePath(org, source))
	switch {
	case errors.Is(err, ErrNotFound):
		apiErr.Kind = ErrNotFound
		apiErr.Hint = fmt.Sprintf("source %s/%s not found: check ocl.org and ocl.source", org, source)
	case err == nil:
		apiErr.Hint = fmt.Sprintf("OCL failed to create the version; source %s/%s exists", org, source)
	default:
		apiErr.Hint = fmt.Sprintf("source %s/%s not found or OCL failed", org, source)
	}
	return apiErr
}

// GetVersion reads one version ("HEAD" included); ErrNotFound when it does not exist.
func (c *Client) GetVersion(ctx context.Context, org, source, version string) (*SourceVersion, error) {
	return c.getVersion(ctx, sourcePath(org, source, version))
}

// LatestVersion reads the newest released version; ErrNotFound when none is released.
func (c *Client) LatestVersion(ctx context.Context, org, source string) (*SourceVersion, error) {
	return c.getVersion(ctx, sourcePath(org, source, "latest"))
}

func (c *Client) getVersion(ctx context.Context, segments []string) (*SourceVersion, error) {
	u, err := c.endpoint(nil, segments...)
	if err != nil {
		return nil, err
	}
	var v SourceVersion
	r := request{method: http.MethodGet, url: u, idempotent: true}
	if _, err := c.doJSON(ctx, r, &v, nil, http.StatusOK); err != nil {
		return nil, err
	}
	return &v, nil
}

// versionsPageSize keeps version listings to a page or two.
const versionsPageSize = 100

// ListVersions returns every version of the source, newest first, HEAD included,
// following OCL's pagination.
func (c *Client) ListVersions(ctx context.Context, org, source string) ([]SourceVersion, error) {
	var all []SourceVersion
	for page := 1; ; page++ {
		q := url.Values{"limit": {strconv.Itoa(versionsPageSize)}, "page": {strconv.Itoa(page)}}
		u, err := c.endpoint(q, sourcePath(org, source, "versions")...)
		if err != nil {
			return nil, err
		}
		var batch []SourceVersion
		r := request{method: http.MethodGet, url: u, idempotent: true}
		header, err := c.doJSON(ctx, r, &batch, nil, http.StatusOK)
		if err != nil {
			return nil, err
		}
		all = append(all, batch...)
		info := readPageInfo(header, versionsPageSize)
		if !info.hasPageAfter(page, len(batch)) {
			return all, nil
		}
	}
}

// SetReleased sets the release flag of a version. Setting it twice does no harm, so the
// call is retried like a read.
func (c *Client) SetReleased(ctx context.Context, org, source, version string, released bool) error {
	u, err := c.endpoint(nil, sourcePath(org, source, version)...)
	if err != nil {
		return err
	}
	body, err := jsonBody(map[string]bool{"released": released})
	if err != nil {
		return err
	}
	r := request{method: http.MethodPatch, url: u, body: body, idempotent: true}
	_, err = c.doJSON(ctx, r, nil, nil, http.StatusOK)
	return err
}
