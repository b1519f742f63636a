package bench

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// GeneratorDirs are the packages, relative to the repository root, whose sources
// decide the bytes of a generated export.
var GeneratorDirs = []string{"internal/ocl/ocltest", "internal/ocl/ocltest/dataset"}

// RepoRoot is the nearest folder at or above the working directory holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("bench: working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("bench: no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// GeneratorFingerprint hashes the non-test Go sources of GeneratorDirs under root, so
// that a cached export is made again once the generator changes.
func GeneratorFingerprint(root string) (string, error) {
	h := sha256.New()
	for _, dir := range GeneratorDirs {
		files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil {
			return "", fmt.Errorf("bench: listing %s: %w", dir, err)
		}
		slices.Sort(files)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				return "", fmt.Errorf("bench: fingerprint of the generator: %w", err)
			}
			fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(strings.TrimPrefix(f, root)), len(data))
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CachedExport returns the path of spec's export of version in dir, generating it
// first when no file of the same spec, version and generator fingerprint is there.
// Older exports of the same source, version, seed and size are removed so that the
// folder does not grow.
func CachedExport(dir string, spec dataset.Spec, version, fingerprint string) (path string, generated bool, err error) {
	key, err := cacheKey(spec, version, fingerprint)
	if err != nil {
		return "", false, err
	}
	prefix := fmt.Sprintf("%s_%s_%s_seed-%d_%d-concepts_",
		orDefault(spec.Org, dataset.DefaultOrg), orDefault(spec.Source, dataset.DefaultSource), version, spec.Seed, spec.Concepts)
	path = filepath.Join(dir, prefix+key+".zip")
	if _, err := os.Stat(path); err == nil {
		return path, false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, fmt.Errorf("bench: cache folder: %w", err)
	}
	if _, err := dataset.WriteExportFile(path, spec, version); err != nil {
		return "", false, err
	}
	removeStale(dir, prefix, path)
	return path, true, nil
}

func cacheKey(spec dataset.Spec, version, fingerprint string) (string, error) {
	data, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("bench: cache key of %+v: %w", spec, err)
	}
	sum := sha256.Sum256(append(append(data, version+"\n"...), fingerprint...))
	return hex.EncodeToString(sum[:6]), nil
}

// removeStale deletes the other exports sharing prefix: they came from an older
// generator or spec. Failing to delete only costs disk space.
func removeStale(dir, prefix, keep string) {
	old, _ := filepath.Glob(filepath.Join(dir, prefix+"*.zip"))
	for _, f := range old {
		if f != keep {
			os.Remove(f)
		}
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ExportSize is the size of the zip at path and of the export.json inside it.
func ExportSize(path string) (zipBytes, jsonBytes int64, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, fmt.Errorf("bench: %w", err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, 0, fmt.Errorf("bench: opening %s: %w", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == exportfile.EntryName {
			return fi.Size(), int64(f.UncompressedSize64), nil
		}
	}
	return 0, 0, fmt.Errorf("bench: %s has no %s", path, exportfile.EntryName)
}
