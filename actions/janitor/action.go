// Package janitor is the daily janitor action (`shepherd action janitor`): it deletes
// published files past their retention and re-issues download links before they expire.
package janitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// result is one release in the JSON summary output (a steps.JanitorOutcome).
type result struct {
	Version  string `json:"version"`
	Removed  bool   `json:"removed"`
	Reissued int    `json:"reissued"`
	// Reminded: the release waited too long in its phase and got its daily reminder.
	Reminded bool   `json:"reminded,omitempty"`
	Error    string `json:"error,omitempty"`
}

func Run(ctx context.Context, r *actionenv.Run) error {
	env, err := r.Env(ctx)
	if err != nil {
		return err
	}
	outcomes, runErr := env.Janitor(ctx)
	if paused, ok := errors.AsType[*steps.PausedError](runErr); ok {
		return actionenv.Paused(r, paused)
	}
	results := make([]result, 0, len(outcomes))
	var errs []error
	for _, o := range outcomes {
		res := result{Version: o.Version, Removed: o.Removed, Reissued: o.Reissued, Reminded: o.Reminded}
		if o.Err != nil {
			res.Error = o.Err.Error()
			errs = append(errs, fmt.Errorf("%s: %w", o.Version, o.Err))
		}
		results = append(results, res)
	}
	if runErr != nil {
		errs = append(errs, runErr)
	}
	summary, err := json.Marshal(results)
	if err != nil {
		return err
	}
	r.SetOutput("summary", string(summary))
	r.Summary(markdown(results, r.DryRun))
	return errors.Join(errs...)
}

func markdown(results []result, dryRun bool) string {
	var b strings.Builder
	b.WriteString("### Shepherd: janitor\n\n")
	if len(results) == 0 {
		b.WriteString("No published release needed anything: nothing expired, no link due for renewal.\n")
	} else {
		b.WriteString("| Release | Files removed | Links re-issued | Reminded | Error |\n| --- | --- | --- | --- | --- |\n")
		for _, res := range results {
			removed := "no"
			if res.Removed {
				removed = "yes"
			}
			reminded := "no"
			if res.Reminded {
				reminded = "yes"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %d | %s | %s |\n", res.Version, removed, res.Reissued, reminded, actionenv.Cell(res.Error))
		}
	}
	if dryRun {
		b.WriteString("\nDry run: nothing was deleted or changed.\n")
	}
	return b.String()
}
