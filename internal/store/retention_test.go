package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const day = 24 * time.Hour

var uploadedAt = time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)

func TestLinkValidity(t *testing.T) {
	deleteAt := uploadedAt.Add(21 * day)
	tests := []struct {
		name     string
		now      time.Time
		max      time.Duration
		wantFor  time.Duration
		wantNote string
	}{
		{name: "at upload: capped at 7 days", now: uploadedAt, wantFor: 7 * day},
		{name: "day 14: exactly 7 days left", now: uploadedAt.Add(14 * day), wantFor: 7 * day},
		{name: "day 15: ends at deletion", now: uploadedAt.Add(15 * day), wantFor: 6 * day},
		{name: "last day", now: uploadedAt.Add(20*day + 12*time.Hour), wantFor: 12 * time.Hour},
		{name: "sub-second remainder dropped", now: deleteAt.Add(-1500 * time.Millisecond), wantFor: time.Second},
		{name: "under a second left: no link", now: deleteAt.Add(-999 * time.Millisecond), wantFor: 0},
		{name: "at deletion: no link", now: deleteAt, wantFor: 0},
		{name: "after deletion: no link", now: deleteAt.Add(3 * day), wantFor: 0},
		{name: "custom cap", now: uploadedAt, max: time.Hour, wantFor: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			validFor, gotDeleteAt := LinkValidity(tt.now, uploadedAt, 21*day, tt.max)
			assert.Equal(t, tt.wantFor, validFor)
			assert.Equal(t, deleteAt, gotDeleteAt)
		})
	}
}

// TestLinkValidityNeverOutlivesDeletion walks a whole retention period hour by hour, as
// the scheduled job re-issuing links would, including the last days.
func TestLinkValidityNeverOutlivesDeletion(t *testing.T) {
	for _, retention := range []time.Duration{day, 7 * day, 21 * day, 21*day + 90*time.Minute} {
		deleteAt := uploadedAt.Add(retention)
		for now := uploadedAt; now.Before(deleteAt.Add(day)); now = now.Add(time.Hour + 7*time.Second) {
			validFor, _ := LinkValidity(now, uploadedAt, retention, MaxPresignValidity)
			require.LessOrEqual(t, validFor, MaxPresignValidity, "now %v", now)
			if validFor == 0 {
				require.False(t, now.Add(time.Second).Before(deleteAt), "no link although %v is left", deleteAt.Sub(now))
				continue
			}
			require.False(t, now.Add(validFor).After(deleteAt), "retention %v, now %v: link until %v outlives deletion at %v", retention, now, now.Add(validFor), deleteAt)
			require.Zero(t, validFor%time.Second, "whole seconds")
		}
	}
}

func TestNeedsReissue(t *testing.T) {
	expires := uploadedAt.Add(7 * day)
	tests := []struct {
		name    string
		expires time.Time
		now     time.Time
		want    bool
	}{
		{name: "fresh link", expires: expires, now: uploadedAt, want: false},
		{name: "just outside the margin", expires: expires, now: expires.Add(-DefaultReissueMargin - time.Second), want: false},
		{name: "at the margin", expires: expires, now: expires.Add(-DefaultReissueMargin), want: true},
		{name: "last hours", expires: expires, now: expires.Add(-time.Hour), want: true},
		{name: "already expired", expires: expires, now: expires.Add(day), want: true},
		{name: "public link never expires", expires: time.Time{}, now: uploadedAt.Add(100 * day), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, NeedsReissue(tt.expires, tt.now, DefaultReissueMargin))
		})
	}
}

func TestExpired(t *testing.T) {
	at := func(days int) time.Time { return uploadedAt.Add(time.Duration(days) * day) }
	objects := []ObjectInfo{
		{Key: "ciel/v2025-01-01/export.zip", Modified: at(-40)},
		{Key: "ciel/v2025-01-01/SHA256SUMS", Modified: at(-40)},
		{Key: "ciel/v2025-02-01/export.zip", Modified: at(-25)},
		{Key: "ciel/v2025-02-01/openmrs/concepts.sql", Modified: at(-20)}, // re-uploaded later
		{Key: "ciel/v2025-02-08/export.zip", Modified: at(-21)},
		{Key: "ciel/v2025-02-20/export.zip", Modified: at(-9)},
		{Key: "ciel/index.html", Modified: at(-90)},              // not in a version folder
		{Key: "other/v2025-01-01/export.zip", Modified: at(-90)}, // another prefix
	}
	tests := []struct {
		name   string
		prefix string
		now    time.Time
		want   []string
	}{
		{name: "newest file decides", prefix: "ciel", now: uploadedAt, want: []string{"ciel/v2025-01-01", "ciel/v2025-02-08"}},
		{name: "trailing slash", prefix: "ciel/", now: uploadedAt, want: []string{"ciel/v2025-01-01", "ciel/v2025-02-08"}},
		{name: "one second earlier", prefix: "ciel", now: uploadedAt.Add(-time.Second), want: []string{"ciel/v2025-01-01"}},
		{name: "a day later", prefix: "ciel", now: at(1), want: []string{"ciel/v2025-01-01", "ciel/v2025-02-01", "ciel/v2025-02-08"}},
		{name: "nothing yet", prefix: "ciel", now: at(-20), want: nil},
		{name: "other prefix", prefix: "other", now: uploadedAt, want: []string{"other/v2025-01-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Expired(tt.prefix, objects, 21*day, tt.now))
		})
	}
}
