package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/store"
)

// recordedKeys are the keys the record says this release stored: its downloads and QA
// reports. The janitor deletes them by name as well as by listing, since a listing can
// miss keys (store.RemoveFolder).
func recordedKeys(rec *Record) []string {
	var keys []string
	for _, d := range rec.Downloads {
		keys = append(keys, d.Key)
	}
	for _, q := range []*QAResult{rec.HeadQA, rec.ExportQA} {
		if q == nil {
			continue
		}
		base, ok := strings.CutSuffix(q.ReportKey, ".html")
		if !ok {
			continue
		}
		for _, format := range reportFormats {
			keys = append(keys, base+"."+format)
		}
	}
	return keys
}

// reissueReportLinks renews the links to the release's QA reports as the janitor renews the
// downloads: presigned links live at most 7 days, the reports stay for the retention period.
// It adds the links it renewed to reissued.
func (e *Env) reissueReportLinks(ctx context.Context, rec *Record, now time.Time, reissued int) (int, error) {
	for _, q := range []*QAResult{rec.HeadQA, rec.ExportQA} {
		if q == nil || q.ReportKey == "" || q.ReportURL == "" {
			continue
		}
		expires := q.ReportLinkUntil
		if expires.IsZero() {
			if e.Config.Storage.LinkMode == manifest.LinkPublic {
				continue // a plain URL: nothing expires
			}
			expires = q.At.Add(store.MaxPresignValidity) // what storeReport asked for
		}
		validFor, deleteAt := store.LinkValidity(now, rec.UploadedAt, e.Config.Retention, store.MaxPresignValidity)
		if !store.NeedsReissue(expires, now, store.DefaultReissueMargin) || !expires.Before(deleteAt) || validFor <= 0 {
			continue
		}
		if e.DryRun {
			e.Log.Info("dry run: would re-issue a QA report link", "report", q.ReportKey, "expires", expires)
			continue
		}
		url, until, err := e.Store.Link(ctx, q.ReportKey, validFor)
		if err != nil {
			return reissued, fmt.Errorf("re-issue the link of the QA report %s: %w", q.ReportKey, err)
		}
		q.ReportURL, q.ReportLinkUntil = url, until
		reissued++
	}
	return reissued, nil
}
