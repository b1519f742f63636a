package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl"
)

// OCLState is what a release did to its version on OCL beyond creating it.
type OCLState struct {
	// Marker is the external_id the release created the version with. A version found
	// already on OCL is taken as this release's only when it carries the marker.
	Marker string `json:"marker,omitempty"`
	// ReleaseOn is when the version is marked released (create, export-qa or manual), as
	// configured when it was created; Released is false when the manifest said so.
	ReleaseOn manifest.ReleaseOn `json:"release_on,omitempty"`
	Released  bool               `json:"released"`
	// ReleasedAt is when Shepherd marked it released (PATCH), zero until then.
	ReleasedAt time.Time `json:"released_at,omitzero"`
	// UnreleasedAt is when Shepherd took the flag back for a rejected release.
	UnreleasedAt time.Time `json:"unreleased_at,omitzero"`
	// ExportRequests are the times Shepherd asked OCL to build the export again.
	ExportRequests []ExportRequest `json:"export_requests,omitempty"`
}

// ExportRequest is one POST …/export/ and OCL's answer.
type ExportRequest struct {
	At     time.Time `json:"at"`
	Answer string    `json:"answer"`
}

// releasedAtCreate is the release flag the version is created with.
func (s *OCLState) releasedAtCreate() bool {
	return s.Released && s.ReleaseOn == manifest.ReleaseOnCreate
}

// lastExportRequest is when OCL was last asked for the export (zero: never).
func (s *OCLState) lastExportRequest() time.Time {
	if s == nil || len(s.ExportRequests) == 0 {
		return time.Time{}
	}
	return s.ExportRequests[len(s.ExportRequests)-1].At
}

// VersionMarker is the external_id a release puts on the version it creates: the
// tracking issue is the release's own, so nobody else's version carries it. OCL keeps a
// new version's external_id as sent and serves it back; a version made without one has
// none, as it is not copied from HEAD (OpenConceptLab/oclapi2 core/sources/views.py,
// SourceVersionListView.create; core/sources/serializers.py, SourceCreateSerializer and
// SourceVersionDetailSerializer).
func VersionMarker(repo string, issue int, version string) string {
	return fmt.Sprintf("shepherd:%s#%d/%s", repo, issue, version)
}

// NotOursError is a version already on OCL that this release did not create.
type NotOursError struct {
	Version, Org, Source string
	// Found is the external_id the version on OCL carries; Want the release's marker.
	Found, Want string
}

func (e *NotOursError) Error() string {
	found := "none"
	if e.Found != "" {
		found = fmt.Sprintf("%q", e.Found)
	}
	return fmt.Sprintf("version %s of %s/%s already exists on OCL and was not created by this release (its external_id is %s, this release's is %q)",
		e.Version, e.Org, e.Source, found, e.Want)
}

// CreateVersion creates the release's version on OCL. A version that already exists
// (a re-run, or a run that crashed after creating it) is read back and accepted only
// when it carries v's external_id, the release's marker; otherwise the error is a
// *NotOursError and nothing is changed on OCL. created tells the two cases apart.
// Nothing is ever created twice.
func CreateVersion(ctx context.Context, c *ocl.Client, org, source string, v ocl.NewVersion) (created bool, err error) {
	err = c.CreateVersion(ctx, org, source, v)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, ocl.ErrVersionExists) {
		return false, fmt.Errorf("create version %s of %s/%s: %w", v.ID, org, source, err)
	}
	got, gerr := c.GetVersion(ctx, org, source, v.ID)
	if gerr != nil {
		return false, fmt.Errorf("version %s of %s/%s exists but cannot be read back: %w", v.ID, org, source, gerr)
	}
	if got.ID != v.ID || got.ExternalID != v.ExternalID {
		return false, &NotOursError{Version: v.ID, Org: org, Source: source, Found: got.ExternalID, Want: v.ExternalID}
	}
	return false, nil
}

// ExportPoll is the outcome of one export poll.
type ExportPoll struct {
	Ready  bool
	State  ocl.ExportState
	Status string // what OCL said, for the timeline
}

// PollExport asks OCL once whether the version's export is ready. "Not yet" and OCL's
// temporary 500 are answers, not errors: the scheduled job simply asks again.
func PollExport(ctx context.Context, c *ocl.Client, org, source, version string) (ExportPoll, error) {
	info, err := c.ExportStatus(ctx, org, source, version)
	if err != nil {
		return ExportPoll{}, fmt.Errorf("export status of %s/%s %s: %w", org, source, version, err)
	}
	status := fmt.Sprintf("%s (HTTP %d)", info.State, info.HTTPStatus)
	return ExportPoll{Ready: info.State == ocl.ExportReady, State: info.State, Status: status}, nil
}

// askForExportAgain asks OCL to build the export when it still answers "no export" after
// poll.request_export_after polls: OCL starts the export task once, after seeding the
// version, and nothing restarts it when it crashes (OpenConceptLab/oclapi2
// core/common/tasks.py, seed_children_to_new_version). It asks only when the version is
// no longer being seeded (is_processing), since an export asked for earlier holds a
// half-copied version, and at most once per poll.request_export_every. attempt is the
// poll being counted now. OCL's answer goes on the record; a passing failure is only
// logged, so the next poll asks again.
func (e *Env) askForExportAgain(ctx context.Context, t *tracked, attempt int) error {
	rec := t.rec
	v := rec.Release.Version
	cfg := e.Config.Poll
	now := e.Now()
	if attempt < cfg.RequestExportAfter {
		return nil
	}
	if last := rec.OCL.lastExportRequest(); !last.IsZero() && now.Sub(last) < cfg.RequestExportEvery {
		return nil
	}
	meta, err := e.OCL.GetVersion(ctx, rec.Org, rec.Source, v)
	if err != nil {
		e.Log.Warn("cannot tell whether the version is still being seeded; the export is not asked for now", "release", v, "error", err.Error())
		return nil
	}
	if meta.IsProcessing {
		e.Log.Info("the version is still being seeded on OCL; its export is not asked for yet", "release", v, "attempt", attempt)
		return nil
	}
	var res ocl.ExportRequestResult
	err = e.act(fmt.Sprintf("ask OCL to build the export of %s/%s %s again", rec.Org, rec.Source, v), func() error {
		var err error
		res, err = e.OCL.RequestExport(ctx, rec.Org, rec.Source, v, false)
		return err
	})
	if e.DryRun {
		return nil
	}
	var answer string
	switch {
	case err == nil:
		answer = fmt.Sprintf("%d (%s)", res.HTTPStatus, res.Outcome)
	case isPermanentOCL(err):
		// Asking again soon would be refused again: recorded like an answer.
		answer = "refused: " + err.Error()
	default:
		e.Log.Warn("asking OCL for the export failed; the next poll asks again", "release", v, "error", err.Error())
		return nil
	}
	if rec.OCL == nil {
		rec.OCL = &OCLState{} // a release recorded before Shepherd kept this
	}
	rec.OCL.ExportRequests = append(rec.OCL.ExportRequests, ExportRequest{At: now, Answer: answer})
	e.Log.Info("export asked for again", "release", v, "attempt", attempt, "ocl", answer)
	return nil
}

// markReleased marks the version released on OCL once its export passed QA and its files
// are published, when the release is configured so (ocl.release_on: export-qa). Setting
// the flag twice does no harm, and the time is recorded, so a re-run PATCHes nothing.
func (e *Env) markReleased(ctx context.Context, t *tracked) error {
	rec := t.rec
	s := rec.OCL
	if s == nil || !s.Released || s.ReleaseOn != manifest.ReleaseOnExportQA || !s.ReleasedAt.IsZero() {
		return nil
	}
	v := rec.Release.Version
	err := e.act(fmt.Sprintf("mark version %s of %s/%s released on OCL", v, rec.Org, rec.Source), func() error {
		return e.OCL.SetReleased(ctx, rec.Org, rec.Source, v, true)
	})
	if err != nil {
		if isPermanentOCL(err) {
			return e.fail(ctx, t, MilestoneFailed, "the files are published, but OCL refused to mark the version released: "+err.Error(), "")
		}
		return err
	}
	if !e.DryRun {
		s.ReleasedAt = e.Now()
		e.Log.Info("version marked released on OCL", "release", v)
	}
	return nil
}

// oclRows are the status rows about the version on OCL: whether it is released, and the
// export requests made.
func oclRows(rec *Record, failed bool) string {
	s := rec.OCL
	if s == nil || s.ReleaseOn == "" && len(s.ExportRequests) == 0 {
		return ""
	}
	var b strings.Builder
	if s.ReleaseOn != "" {
		fmt.Fprintf(&b, "| Released on OCL | %s |\n", releasedCell(s, failed))
	}
	if n := len(s.ExportRequests); n > 0 {
		last := s.ExportRequests[n-1]
		cell := fmt.Sprintf("export asked for again at %s, OCL answered %s", last.At.UTC().Format(timeLayout), escapeCell(oneLine(last.Answer)))
		if n > 1 {
			cell += fmt.Sprintf(" (%d requests in all)", n)
		}
		fmt.Fprintf(&b, "| Export requests | %s |\n", cell)
	}
	return b.String()
}

func releasedCell(s *OCLState, failed bool) string {
	switch {
	case !s.UnreleasedAt.IsZero():
		return "no: taken back on " + s.UnreleasedAt.UTC().Format(timeLayout) + ", as the release was rejected"
	case !s.ReleasedAt.IsZero():
		return "yes, since " + s.ReleasedAt.UTC().Format(timeLayout) + " (it is the source's latest/)"
	case s.releasedAtCreate():
		return "yes, since it was created (ocl.release_on: create)"
	case !s.Released:
		return "no: the manifest says released: false"
	case s.ReleaseOn == manifest.ReleaseOnManual:
		return "not yet: it is marked released when the release is promoted to production (ocl.release_on: manual)"
	case failed:
		return "no: the release stopped before its export passed QA and was published, so it stays unreleased and latest/ does not point at it"
	}
	return "not yet: it is marked released once its export has passed QA and the files are published"
}
