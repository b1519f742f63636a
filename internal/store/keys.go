package store

import (
	"fmt"
	"strings"
)

// headReportFolder holds the report of the latest QA run on HEAD, overwritten on every run.
const headReportFolder = "qa/HEAD"

// ReleaseKey is the key of one file of a release: <prefix>/<version>/<file>. prefix may have
// several segments; version and file must be one segment each so that a release is exactly one
// folder (what DeletePrefix and Expired rely on).
func ReleaseKey(prefix, version, file string) (string, error) {
	for _, part := range []struct{ name, value string }{{"version", version}, {"file", file}} {
		if strings.Contains(part.value, "/") {
			return "", fmt.Errorf("release key: %s %q: %w: must not contain '/'", part.name, part.value, ErrInvalidKey)
		}
	}
	key := prefix + "/" + version + "/" + file
	if err := ValidateKey(key); err != nil {
		return "", fmt.Errorf("release key: %w", err)
	}
	return key, nil
}

// ReleaseFolder is the folder holding every file of a release: <prefix>/<version>.
func ReleaseFolder(prefix, version string) (string, error) {
	key, err := ReleaseKey(prefix, version, "x")
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(key, "/x"), nil
}

// HeadReportKey is the key of the latest HEAD QA report in the given format ("json", "md",
// "html"): qa/HEAD/latest.<ext>.
func HeadReportKey(ext string) string {
	return headReportFolder + "/latest." + strings.TrimPrefix(ext, ".")
}

// ValidateKey refuses keys that could escape a folder or that S3 and file systems disagree
// on: empty keys, a leading or trailing '/', empty segments, "." and ".." segments,
// backslashes and control characters.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("key %q: %w: empty", key, ErrInvalidKey)
	}
	if strings.HasPrefix(key, "/") {
		return fmt.Errorf("key %q: %w: leading '/'", key, ErrInvalidKey)
	}
	if err := validateSegments(key); err != nil {
		return fmt.Errorf("key %q: %w", key, err)
	}
	return nil
}

// validatePrefix checks a folder prefix; "" means the whole store when allowEmpty is set.
// A trailing '/' is accepted and removed.
func validatePrefix(prefix string, allowEmpty bool) (string, error) {
	folder := strings.TrimSuffix(prefix, "/")
	if folder == "" {
		if allowEmpty {
			return "", nil
		}
		return "", fmt.Errorf("prefix %q: %w: empty (refusing to address the whole store)", prefix, ErrInvalidKey)
	}
	if strings.HasPrefix(folder, "/") {
		return "", fmt.Errorf("prefix %q: %w: leading '/'", prefix, ErrInvalidKey)
	}
	if err := validateSegments(folder); err != nil {
		return "", fmt.Errorf("prefix %q: %w", prefix, err)
	}
	return folder, nil
}

func validateSegments(key string) error {
	for _, r := range key {
		if r == '\\' || r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: backslash or control character", ErrInvalidKey)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w: empty segment", ErrInvalidKey)
		case ".", "..":
			return fmt.Errorf("%w: %q segment", ErrInvalidKey, seg)
		}
	}
	return nil
}

// folderOf returns the folder prefix for listing: "a/b" -> "a/b/", "" -> "".
func folderOf(folder string) string {
	if folder == "" {
		return ""
	}
	return folder + "/"
}
