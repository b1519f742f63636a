package store

import (
	"slices"
	"strings"
	"time"
)

// MaxPresignValidity is the longest an S3 presigned URL may stay valid (SigV4 limit).
const MaxPresignValidity = 7 * 24 * time.Hour

// DefaultReissueMargin is how long before expiry a link is re-issued. The scheduled job runs
// daily and may start hours late, so anything under two runs apart could let a link lapse.
const DefaultReissueMargin = 48 * time.Hour

// Expired returns the release folders (<prefix>/<version>) whose retention has run out at now,
// sorted. A release counts as uploaded when its newest file was: deleting it earlier would
// cut short the links handed out for that file. Objects that are not inside a version folder
// of prefix are ignored, so a stray file can never make the whole prefix look like a release.
func Expired(prefix string, objects []ObjectInfo, retention time.Duration, now time.Time) []string {
	root := folderOf(strings.TrimSuffix(prefix, "/"))
	newest := map[string]time.Time{}
	for _, obj := range objects {
		release, ok := releaseFolder(root, obj.Key)
		if !ok {
			continue
		}
		if t, seen := newest[release]; !seen || obj.Modified.After(t) {
			newest[release] = obj.Modified
		}
	}
	var expired []string
	for release, uploaded := range newest {
		if !now.Before(uploaded.Add(retention)) {
			expired = append(expired, release)
		}
	}
	slices.Sort(expired)
	return expired
}

// releaseFolder maps root+"version/file..." to root+"version".
func releaseFolder(root, key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, root)
	if !ok {
		return "", false
	}
	version, file, ok := strings.Cut(rest, "/")
	if !ok || version == "" || file == "" {
		return "", false
	}
	return root + version, true
}

// LinkValidity plans a download link for a file uploaded at uploaded and kept for retention:
// deleteAt is when it may be deleted, validFor how long a link issued at now may live. A link
// never outlives deleteAt nor maxPresign (MaxPresignValidity when zero or negative). validFor is
// whole seconds (what presigned URLs carry) and zero once less than a second is left: no link.
func LinkValidity(now, uploaded time.Time, retention, maxPresign time.Duration) (validFor time.Duration, deleteAt time.Time) {
	if maxPresign <= 0 {
		maxPresign = MaxPresignValidity
	}
	deleteAt = uploaded.Add(retention)
	validFor = min(deleteAt.Sub(now), maxPresign).Truncate(time.Second)
	if validFor < time.Second {
		return 0, deleteAt
	}
	return validFor, deleteAt
}

// NeedsReissue reports whether a link expiring at expires should be replaced at now, i.e. it
// has margin or less left. A zero expires (a public link) never needs it. Callers stop
// re-issuing once a link already expires at the file's deletion time (LinkValidity cannot give
// a longer one).
func NeedsReissue(expires, now time.Time, margin time.Duration) bool {
	if expires.IsZero() {
		return false
	}
	return !now.Add(margin).Before(expires)
}
