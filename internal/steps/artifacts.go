package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/store"
)

// idMapFolder holds the id maps, outside the releases folder so that retention never
// deletes them: each release's SQL keeps the row ids of the release before it.
const idMapFolder = "idmaps"

// idMapKey is where the id map of a release is kept: idmaps/<org>/<source>/<version>.idmap.gz.
func idMapKey(org, source, version string) string {
	return idMapFolder + "/" + org + "/" + source + "/" + version + ".idmap.gz"
}

// keptOutsideReleases refuses a storage prefix that overlaps folder, where what must
// outlive the releases' retention is kept.
func (e *Env) keptOutsideReleases(folder, what string) error {
	prefix := strings.TrimSuffix(e.Config.Storage.Prefix, "/")
	if prefix == folder || strings.HasPrefix(prefix+"/", folder+"/") || strings.HasPrefix(folder+"/", prefix+"/") {
		return &stepError{reason: fmt.Sprintf("storage.prefix %q overlaps %q, where %s are kept outside the expiring releases", e.Config.Storage.Prefix, folder, what)}
	}
	return nil
}

// buildSQL converts a QA'd export into the zipped SQL artifacts of the given formats, on
// the id map of the latest earlier release, and keeps this release's id map in the bucket.
// A failed build is a *stepError; a storage error is returned as it is (the next run
// retries).
func (e *Env) buildSQL(ctx context.Context, rec *Record, exportPath, outDir string, formats []export.Format) ([]export.Artifact, error) {
	if len(formats) == 0 {
		return nil, nil
	}
	v := rec.Release.Version
	if err := e.keptOutsideReleases(idMapFolder, "the id maps that keep row ids stable"); err != nil {
		return nil, err
	}
	previous, err := e.previousIDMap(ctx, rec)
	if err != nil {
		return nil, err
	}
	mapPath := filepath.Join(e.exportDir(v), v+".idmap.gz")
	arts, err := export.Build(ctx, exportPath, outDir, formats, export.SQLOptions{
		Version: v, PreviousIDMap: previous, IDMapOut: mapPath, Limits: ExportLimits(e.Config.ExportLimits)})
	if err != nil {
		return nil, &stepError{reason: "the OpenMRS SQL could not be built: " + err.Error()}
	}
	return arts, nil
}

// keepIDMap uploads the id map the build wrote, before the release's files: a release whose
// files are in the bucket has its id map there too, for the next release to build on.
func (e *Env) keepIDMap(ctx context.Context, rec *Record) error {
	v := rec.Release.Version
	mapPath := filepath.Join(e.exportDir(v), v+".idmap.gz")
	if _, err := os.Stat(mapPath); errors.Is(err, os.ErrNotExist) {
		return nil // no SQL format asked for
	}
	a, err := describeFile(mapPath, filepath.Base(mapPath))
	if err != nil {
		return err
	}
	if err := putFile(ctx, e.Store, idMapKey(rec.Org, rec.Source, v), a); err != nil {
		return fmt.Errorf("keeping the id map of %s: %w", v, err)
	}
	return nil
}

// previousIDMap downloads the id map of the latest release before this one ("" when there
// is none: the first release).
func (e *Env) previousIDMap(ctx context.Context, rec *Record) (string, error) {
	local, previous, err := e.previousKept(ctx, rec, idMapFolder, ".idmap.gz")
	if previous != "" {
		e.Log.Info("building on the id map of the previous release", "release", rec.Release.Version, "previous", previous)
	}
	return local, err
}

// previousKept downloads the file kept under folder/<org>/<source>/ (outside the
// expiring releases) by the latest release before this one, named <version><suffix>,
// into the release's scratch folder as previous<suffix>. It returns the local path and
// that release's version, both "" when no earlier release kept one (the first release).
// Versions are compared as text, which orders vYYYY-MM-DD.
func (e *Env) previousKept(ctx context.Context, rec *Record, folder, suffix string) (local, version string, err error) {
	v := rec.Release.Version
	dir := folder + "/" + rec.Org + "/" + rec.Source
	objects, err := e.Store.List(ctx, dir)
	if err != nil {
		return "", "", err
	}
	best := ""
	for _, o := range objects {
		name, ok := strings.CutSuffix(path.Base(o.Key), suffix)
		if ok && name < v && name > best {
			best = name
		}
	}
	if best == "" {
		return "", "", nil
	}
	r, err := e.Store.Get(ctx, dir+"/"+best+suffix)
	if err != nil {
		return "", "", err
	}
	defer r.Close()
	local = filepath.Join(e.exportDir(v), "previous"+suffix)
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		return "", "", err
	}
	err = atomicfile.Write(local, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, r)
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("downloading %s/%s%s: %w", dir, best, suffix, err)
	}
	return local, best, nil
}

// Download is a published file with its link.
type Download struct {
	File       string    `json:"file"`
	Key        string    `json:"key"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	URL        string    `json:"url"`
	ValidUntil time.Time `json:"valid_until"`
	DeleteAt   time.Time `json:"delete_at"`
}

// Publish uploads files (the artifacts, the documents, SHA256SUMS and its signature, the
// bundle) under the release's folder and issues a link for each that never outlives the
// retention deadline.
func Publish(ctx context.Context, st store.Store, prefix, version string, files []export.Artifact,
	uploaded, now time.Time, retention time.Duration) ([]Download, error) {
	var out []Download
	for _, a := range files {
		key, err := store.ReleaseKey(prefix, version, a.Name)
		if err != nil {
			return nil, err
		}
		if err := putFile(ctx, st, key, a); err != nil {
			return nil, fmt.Errorf("upload %s: %w", a.Name, err)
		}
		validFor, deleteAt := store.LinkValidity(now, uploaded, retention, 7*24*time.Hour)
		if validFor <= 0 {
			return nil, fmt.Errorf("%s: the retention period is over; nothing to link", a.Name)
		}
		url, expires, err := st.Link(ctx, key, validFor)
		if err != nil {
			return nil, fmt.Errorf("link %s: %w", a.Name, err)
		}
		out = append(out, Download{File: a.Name, Key: key, Size: a.Size, SHA256: a.SHA256, URL: url,
			ValidUntil: expires, DeleteAt: deleteAt})
	}
	return out, nil
}

func describeFile(path, name string) (export.Artifact, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return export.Artifact{}, err
	}
	return export.Artifact{Name: name, Path: path, Size: int64(len(data)), SHA256: store.SHA256Hex(data)}, nil
}

func contentType(name string) string {
	switch filepath.Ext(name) {
	case ".zip":
		return "application/zip"
	case ".json":
		return "application/json"
	case ".gz":
		return "application/gzip"
	}
	return "text/plain; charset=utf-8"
}
