package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/shepherd-release/shepherd/internal/ocl"
)

// CreateVersion creates the release's version on OCL. A version that already exists
// (a re-run, or a run that crashed after creating it) is read back and accepted when it
// matches; created tells the two cases apart. Nothing is ever created twice.
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
	if got.ID != v.ID {
		return false, fmt.Errorf("version %s of %s/%s exists as %q: not ours", v.ID, org, source, got.ID)
	}
	return false, nil
}

// ExportPoll is the outcome of one export poll.
type ExportPoll struct {
	Ready  bool
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
	return ExportPoll{Ready: info.State == ocl.ExportReady, Status: status}, nil
}
