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
	// Reminded: the release waited too long in its phase or channel (or the release PR
	// for a review) and got its daily reminder: Waiting says what for and since when,
	// Mentioned whom it named.
	Reminded  bool     `json:"reminded,omitempty"`
	Waiting   string   `json:"waiting,omitempty"`
	Mentioned []string `json:"mentioned,omitempty"`
	Error     string   `json:"error,omitempty"`
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
		if o.Reminder != nil {
			res.Waiting, res.Mentioned = o.Reminder.Waiting, o.Reminder.Mentioned
		}
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
	digest(&b, results)
	if dryRun {
		b.WriteString("\nDry run: nothing was deleted or changed.\n")
	}
	return b.String()
}

// digest lists the day's reminders: each item, what it waits for since when, and who
// was named as able to act.
func digest(b *strings.Builder, results []result) {
	first := true
	for _, res := range results {
		if !res.Reminded {
			continue
		}
		if first {
			b.WriteString("\n#### Reminders posted today\n\n| Item | Waiting | Who can act |\n| --- | --- | --- |\n")
			first = false
		}
		who := "nobody who may act could be named: set `reminders.owners`"
		if len(res.Mentioned) > 0 {
			who = "@" + strings.Join(res.Mentioned, " @")
		}
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", res.Version, actionenv.Cell(res.Waiting), actionenv.Cell(who))
	}
}
