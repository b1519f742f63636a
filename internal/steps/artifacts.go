package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/store"
)

// BuildSQL converts a QA'd export into the zipped SQL artifacts of the given formats.
func BuildSQL(ctx context.Context, exportPath, outDir, version string, formats []export.Format) ([]export.Artifact, error) {
	if len(formats) == 0 {
		return nil, nil
	}
	return export.Build(ctx, exportPath, outDir, formats, export.SQLOptions{Version: version})
}

// WriteIndex writes SHA256SUMS and manifest.json for every file of the release. created
// starts the retention period; qaSummary (may be nil) is recorded as the QA result. The
// same arguments give the same bytes, so a release rebuilt after a crash uploads nothing
// new.
func WriteIndex(outDir, source, version string, arts []export.Artifact, counts *export.Counts, qaSummary any, created time.Time, retention time.Duration) error {
	if err := export.WriteChecksums(outDir, arts); err != nil {
		return err
	}
	return export.WriteManifest(outDir, export.ReleaseManifest{Source: source, Version: version, Created: created,
		Expires: created.Add(retention), Counts: counts, QA: qaSummary, Files: arts})
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

// Publish uploads the files of outDir (artifacts, SHA256SUMS, manifest.json) under the
// release's folder and issues a link for each that never outlives the retention deadline.
func Publish(ctx context.Context, st store.Store, prefix, version, outDir string, arts []export.Artifact,
	uploaded, now time.Time, retention time.Duration) ([]Download, error) {
	files := make([]export.Artifact, 0, len(arts)+2)
	files = append(files, arts...)
	for _, name := range []string{"SHA256SUMS", "manifest.json"} {
		a, err := describeFile(filepath.Join(outDir, name), name)
		if err != nil {
			return nil, err
		}
		files = append(files, a)
	}
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
	}
	return "text/plain; charset=utf-8"
}
