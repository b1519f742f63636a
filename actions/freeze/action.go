// Package freeze is the freeze action (`shepherd action freeze`): on a pull_request
// event it sets the shepherd/freeze status of that PR; run on a schedule (no PR), it
// sets the status of every open PR into the default branch, which is how a freeze that
// began or ended since the last event shows on PRs nobody touched.
package freeze

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// result is one PR in the JSON summary output.
type result struct {
	PR          int    `json:"pr"`
	State       string `json:"state"`
	Description string `json:"description"`
	Noticed     bool   `json:"noticed,omitempty"`
}

func Run(ctx context.Context, r *actionenv.Run) error {
	number, err := r.IntInput("pr")
	if err != nil {
		return err
	}
	if number == 0 {
		if number, err = eventPR(r); err != nil {
			return err
		}
	}
	env, err := r.Env(ctx)
	if err != nil {
		return err
	}
	var checks []*steps.FreezeCheck
	if number > 0 {
		c, err := env.CheckFreeze(ctx, number)
		if err != nil {
			return fmt.Errorf("freeze status of PR #%d: %w", number, err)
		}
		checks = append(checks, c)
	} else if checks, err = env.RecheckFreeze(ctx); err != nil {
		return fmt.Errorf("freeze status of the open PRs: %w", err)
	}
	results := make([]result, 0, len(checks))
	for _, c := range checks {
		results = append(results, result{PR: c.PR, State: c.State, Description: c.Description, Noticed: c.Noticed})
	}
	summary, err := json.Marshal(results)
	if err != nil {
		return err
	}
	r.SetOutput("summary", string(summary))
	r.Summary(markdown(results, r.DryRun))
	// A frozen PR is not a failed run: its status is what stops the merge.
	return nil
}

// eventPR reads pull_request.number from the event; 0 for an event without one (a
// schedule or a manual run).
func eventPR(r *actionenv.Run) (int, error) {
	gh, err := r.Action.Context()
	if err != nil {
		return 0, fmt.Errorf("read the workflow's event: %w", err)
	}
	pr, _ := gh.Event["pull_request"].(map[string]any)
	n, _ := pr["number"].(float64)
	return int(n), nil
}

func markdown(results []result, dryRun bool) string {
	var b strings.Builder
	b.WriteString("### Shepherd: code freeze\n\n")
	if len(results) == 0 {
		b.WriteString("No open pull request into the default branch.\n")
	} else {
		b.WriteString("| PR | shepherd/freeze | Description |\n| --- | --- | --- |\n")
		for _, res := range results {
			state := res.State
			if state == "" {
				state = "none (not into the default branch, or closed)"
			}
			fmt.Fprintf(&b, "| #%d | %s | %s |\n", res.PR, state, actionenv.Cell(res.Description))
		}
	}
	if dryRun {
		b.WriteString("\nDry run: no status or comment was written.\n")
	}
	return b.String()
}
