package steps

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/release"
)

// A save by a run that does not hold the release's lease is refused before anything is
// read or written (the Env has no GitHub client to write with).
func TestSaveWithoutTheLeaseIsRefused(t *testing.T) {
	e := &Env{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}
	tr := &tracked{rec: &Record{Release: *release.New("v2026-11-22", time.Unix(0, 0))}}
	err := e.save(context.Background(), tr)
	require.ErrorIs(t, err, ErrNoLease)
	assert.Contains(t, err.Error(), "release v2026-11-22: this run holds no lease on the release")
}

// A lease with less than leaseRemoveMargin left is given back, not removed: it could be
// taken over between the check of its ETag and the delete.
func TestALeaseAboutToRunOutIsNotRemoved(t *testing.T) {
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	e := &Env{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}
	l := &Lease{Version: "v2026-11-22", Until: now.Add(leaseRemoveMargin), finished: true}
	removed, err := e.removeOwnLease(context.Background(), l)
	require.NoError(t, err)
	assert.False(t, removed, "no store was asked: there is none in this Env")
}
