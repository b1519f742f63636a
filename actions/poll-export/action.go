// Package pollexport is the scheduled poll-export action (`shepherd action poll-export`):
// it polls OCL once for every release waiting for its export and carries a release whose
// export is ready through export QA, the export scripts and publishing.
package pollexport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/steps"
)

// result is one release in the JSON summary output.
type result struct {
	Version string `json:"version"`
	Issue   int    `json:"issue,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	// Attempts and Reason say where the release stands (polls made, last transition).
	Attempts int    `json:"attempts"`
	Reason   string `json:"reason,omitempty"`
	Error    string `json:"error,omitempty"`
	// StaleLease: another run holds the release, and this run reported its lease stale.
	StaleLease bool `json:"stale_lease,omitempty"`
}

func Run(ctx context.Context, r *actionenv.Run) error {
	version := r.Input("version")
	if version != "" {
		versions, err := actionenv.Versions(version)
		if err != nil {
			return err
		}
		if len(versions) != 1 {
			return fmt.Errorf("input version names %d versions; give one, or none to poll every release", len(versions))
		}
	}
	exportsOnly, err := r.BoolInput("exports_only")
	if err != nil {
		return err
	}
	if exportsOnly && version != "" {
		return errors.New("inputs exports-only and version do not go together: exports-only polls every waiting release")
	}
	env, err := r.Env(ctx)
	if err != nil {
		return err
	}
	var results []result
	switch {
	case version != "":
		results, err = pollOne(ctx, env, version)
	case exportsOnly:
		results, err = pollAll(ctx, env, env.PollExports)
	default:
		results, err = pollAll(ctx, env, env.Poll)
	}
	if paused, ok := errors.AsType[*steps.PausedError](err); ok {
		r.SetOutput("changed", "false") // the maintenance banner comes with the switch's own push
		return actionenv.Paused(r, paused, "ready")
	}
	if err != nil {
		return err
	}
	summary, jerr := json.Marshal(results)
	if jerr != nil {
		return jerr
	}
	r.SetOutput("summary", string(summary))
	var handedOn []string
	if exportsOnly {
		handedOn = readyVersions(results)
		ready, jerr := json.Marshal(handedOn)
		if jerr != nil {
			return jerr
		}
		r.SetOutput("ready", string(ready))
	}
	changed := moved(results)
	r.SetOutput("changed", strconv.FormatBool(len(changed) > 0))
	site := rebuildSite(ctx, r, env, r.Input("site_workflow"), changed, handedOn)
	r.Summary(markdown(results, r.DryRun, site))
	return stepErrors(results)
}

// readyVersions are the releases past exporting: their export is ready (or a crash left
// them half-way), and a run with the load-test database carries them on. A release
// another run holds is that run's to carry on.
func readyVersions(results []result) []string {
	ready := []string{}
	for _, res := range results {
		if res.StaleLease {
			continue
		}
		switch release.Phase(res.To) {
		case release.ExportQA, release.Scripts, release.Publishing:
			ready = append(ready, res.Version)
		}
	}
	return ready
}

func pollAll(ctx context.Context, env *steps.Env, poll func(context.Context) ([]steps.PollOutcome, error)) ([]result, error) {
	outcomes, err := poll(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the releases to poll: %w", err)
	}
	results := make([]result, 0, len(outcomes))
	for _, o := range outcomes {
		res := result{Version: o.Version, Issue: o.Issue, From: string(o.From), To: string(o.To)}
		if o.Err != nil {
			res.Error = o.Err.Error()
		}
		if o.Record != nil {
			res.Attempts, res.Reason = o.Record.Release.Attempts, reason(o.Record, env.Config.Poll.MaxAttempts)
		}
		if o.StaleLease {
			res.StaleLease = true
			res.Reason = "left alone: another run holds its lease, gone stale (reported on the tracking issue)"
		}
		results = append(results, res)
	}
	return results, nil
}

func pollOne(ctx context.Context, env *steps.Env, version string) ([]result, error) {
	before, err := env.Status(ctx, version)
	if err != nil {
		return nil, err
	}
	rec, err := env.PollOne(ctx, version)
	res := result{Version: version, Issue: before.Issue, From: string(before.Release.Phase)}
	if rec != nil {
		res.To, res.Attempts, res.Reason = string(rec.Release.Phase), rec.Release.Attempts, reason(rec, env.Config.Poll.MaxAttempts)
	}
	if err != nil {
		res.Error = err.Error()
	}
	return []result{res}, nil
}

// reason says where a release stands: the wait for its export, or why it last moved.
func reason(rec *steps.Record, maxAttempts int) string {
	if rec.Release.Phase == release.Exporting {
		return fmt.Sprintf("export not ready yet: %d of %d polls made", rec.Release.Attempts, maxAttempts)
	}
	return rec.Release.Last().Reason
}

// stepErrors fails the run only for errors a release could not record (an outage, a
// bug): a release that failed or became incomplete is shown on its tracking issue and
// label, and must not turn every later tick red.
func stepErrors(results []result) error {
	var errs []error
	for _, res := range results {
		if res.Error != "" {
			name := res.Version
			if name == "" {
				name = fmt.Sprintf("issue #%d", res.Issue)
			}
			errs = append(errs, fmt.Errorf("%s: %s", name, res.Error))
		}
	}
	return errors.Join(errs...)
}

func markdown(results []result, dryRun bool, site siteFollowUp) string {
	var b strings.Builder
	b.WriteString("### Shepherd: export poll\n\n")
	if len(results) == 0 {
		b.WriteString("No release is waiting for its export.\n")
	} else {
		b.WriteString("| Release | From | To | Polls | What happened |\n| --- | --- | --- | --- | --- |\n")
		for _, res := range results {
			what := res.Reason
			if res.Error != "" {
				what = "error (the next run tries again): " + res.Error
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %d | %s |\n", res.Version, res.From, res.To, res.Attempts, actionenv.Cell(what))
		}
	}
	if site != "" {
		fmt.Fprintf(&b, "\n%s\n", site)
	}
	if dryRun {
		b.WriteString("\nDry run: nothing was changed on GitHub, OCL or the store.\n")
	}
	return b.String()
}
