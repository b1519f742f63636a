// Package preview is the qa action (`shepherd action qa`), run on a release PR: it
// validates the manifests, previews QA on the source's HEAD (not for a fork, which gets no
// secrets), comments on the PR, sets the shepherd/qa status, and fails when the release
// could not go ahead.
package preview

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	githubactions "github.com/sethvargo/go-githubactions"

	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/steps"
	"github.com/shepherd-release/shepherd/internal/words"
)

// maxAnnotations bounds the findings shown as annotations: GitHub shows ten per step
// and fifty per job, and the step summary holds the rest.
const maxAnnotations = 50

func Run(ctx context.Context, r *actionenv.Run) error {
	pr, fork, err := pullRequest(r)
	if err != nil {
		return err
	}
	env, err := r.Env(ctx)
	if err != nil {
		return err
	}
	res, err := env.Preview(ctx, pr, fork)
	if err != nil {
		return fmt.Errorf("preview of PR #%d: %w", pr, err)
	}
	errorsFound, warnings := 0, 0
	if res.Report != nil {
		errorsFound, warnings = res.Report.Errors(), res.Report.Warnings()
	}
	r.SetOutput("errors", strconv.Itoa(errorsFound))
	r.SetOutput("warnings", strconv.Itoa(warnings))
	r.SetOutput("valid", strconv.FormatBool(len(res.Problems) == 0))
	r.Summary(res.Comment)
	annotate(r.Action, res)
	if !res.Passed {
		return previewFailure(res)
	}
	return nil
}

// pullRequest reads the PR number and whether it comes from a fork: from the inputs,
// or from the pull_request event when they are empty.
func pullRequest(r *actionenv.Run) (number int, fork bool, err error) {
	if number, err = r.IntInput("pr"); err != nil {
		return 0, false, err
	}
	forkInput := r.Input("fork")
	if forkInput != "" {
		if fork, err = r.BoolInput("fork"); err != nil {
			return 0, false, err
		}
	}
	if number != 0 && forkInput != "" {
		return number, fork, nil
	}
	gh, err := r.Action.Context()
	if err != nil {
		return 0, false, fmt.Errorf("read the workflow's event: %w", err)
	}
	eventNumber, eventFork := fromEvent(gh.Event)
	if number == 0 {
		number = eventNumber
	}
	if forkInput == "" {
		fork = eventFork
	}
	if number <= 0 {
		return 0, false, errors.New("no pull request: give input pr, or run on a pull_request event")
	}
	return number, fork, nil
}

// fromEvent reads pull_request.number and pull_request.head.repo.fork.
func fromEvent(event map[string]any) (number int, fork bool) {
	pr, _ := event["pull_request"].(map[string]any)
	n, _ := pr["number"].(float64)
	head, _ := pr["head"].(map[string]any)
	repo, _ := head["repo"].(map[string]any)
	fork, _ = repo["fork"].(bool)
	return int(n), fork
}

// annotate shows the manifest problems and the most severe findings on the run's page.
func annotate(a *githubactions.Action, res *steps.PreviewResult) {
	for _, p := range res.Problems {
		a.WithFieldsMap(map[string]string{"title": "Release manifest"}).Errorf("%s", p)
	}
	if res.Report == nil {
		return
	}
	shown := 0
	for _, sev := range []qa.Severity{qa.SeverityError, qa.SeverityWarning} {
		for _, f := range res.Report.Findings {
			if f.Severity != sev || shown == maxAnnotations {
				continue
			}
			shown++
			fields := a.WithFieldsMap(map[string]string{"title": "QA " + f.Rule})
			if sev == qa.SeverityError {
				fields.Errorf("%s", findingText(f))
			} else {
				fields.Warningf("%s", findingText(f))
			}
		}
	}
	if more := res.Report.Errors() + res.Report.Warnings() - shown; more > 0 {
		a.Noticef("%d more errors and warnings are not annotated: the job summary and the PR comment list them", more)
	}
}

func findingText(f qa.Finding) string {
	where := ""
	switch {
	case f.MappingID != "":
		where = "mapping " + f.MappingID
	case f.ConceptID != "":
		where = "concept " + f.ConceptID
	}
	if f.Locale != "" {
		where += " (" + f.Locale + ")"
	}
	if where == "" {
		return f.Message
	}
	return where + ": " + f.Message
}

func previewFailure(res *steps.PreviewResult) error {
	if len(res.Problems) > 0 {
		return fmt.Errorf("PR #%d: %s with the release manifest", res.PR, words.Count(len(res.Problems), "problem", "problems"))
	}
	return fmt.Errorf("PR #%d: QA on HEAD found %s and %s", res.PR,
		words.Count(res.Report.Errors(), "error", "errors"), words.Count(res.Report.Warnings(), "warning", "warnings"))
}
