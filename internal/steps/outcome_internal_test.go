package steps

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/store"
)

// TestOutcomeOfClassifiesStepErrors pins which outcome each kind of error comes to, the
// one decision conclude acts on.
func TestOutcomeOfClassifiesStepErrors(t *testing.T) {
	e := &Env{}
	exporting := &tracked{rec: &Record{Release: *release.New("v1", time.Unix(0, 0))}}
	exporting.rec.Release.Phase = release.Exporting
	ctx := context.Background()

	assert.Equal(t, OutcomeDone, e.outcomeOf(ctx, exporting, nil).Kind)

	o := e.outcomeOf(ctx, exporting, fmt.Errorf("poll: %w", ocl.ErrForbidden))
	assert.Equal(t, OutcomePermanent, o.Kind)
	assert.Equal(t, "OCL refused: poll: "+ocl.ErrForbidden.Error(), o.Reason)

	o = e.outcomeOf(ctx, exporting, fmt.Errorf("put: %w", store.ErrUnreachable))
	assert.Equal(t, OutcomeTransient, o.Kind)
	assert.Equal(t, "storage unreachable", o.What)

	conflict := fmt.Errorf("save: %w", github.ErrConflict)
	o = e.outcomeOf(ctx, exporting, conflict)
	assert.Equal(t, OutcomeInterrupted, o.Kind)
	assert.Same(t, conflict, o.Err)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.Equal(t, OutcomeInterrupted, e.outcomeOf(cancelled, exporting, errors.New("boom")).Kind)
}

// TestFailedStepKeepsOrReplacesDetails: a step's own details (a script's log) stay unless
// the caller has better help to give (signing).
func TestFailedStepKeepsOrReplacesDetails(t *testing.T) {
	err := fmt.Errorf("build: %w", &stepError{reason: "script x failed", details: "the log"})
	o, ok := failedStep(err, "")
	assert.True(t, ok)
	assert.Equal(t, Outcome{Kind: OutcomePermanent, Reason: "script x failed", Details: "the log", Err: err}, o)

	o, ok = failedStep(err, "how to sign")
	assert.True(t, ok)
	assert.Equal(t, "how to sign", o.Details)

	_, ok = failedStep(store.ErrUnreachable, "")
	assert.False(t, ok, "an outage is not a failure of the release")
}
