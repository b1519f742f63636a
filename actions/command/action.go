// Package command is the command action (`shepherd action command`), run on a comment on
// an issue (issue_comment created) and on a label set on one (issues labeled): it acts on
// a /shepherd command, or a channel label, on a release's tracking issue.
package command

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
	"github.com/shepherd-release/shepherd/internal/steps"
)

func Run(ctx context.Context, r *actionenv.Run) error {
	gh, err := r.Action.Context()
	if err != nil {
		return fmt.Errorf("read the workflow's event: %w", err)
	}
	in, ok, err := input(gh.EventName, gh.Event)
	if err != nil {
		return err
	}
	if !ok {
		r.Summary("### Shepherd: command\n\nThe event holds no command for Shepherd: nothing to do.\n")
		return nil
	}
	env, err := r.Env(ctx)
	if err != nil {
		return err
	}
	out, err := env.Command(ctx, in)
	r.SetOutput("version", out.Version)
	r.SetOutput("acted", fmt.Sprint(out.Acted))
	r.Summary(markdown(in, out, err, r.DryRun))
	return err
}

// input reads the command out of the event: the comment of an issue_comment, the label of
// an issues event. ok is false for an event that carries none (a pull request's comment,
// an edit). A closed issue is checked for the release's outcome.
func input(name string, event map[string]any) (steps.CommandInput, bool, error) {
	issue, _ := event["issue"].(map[string]any)
	number, _ := issue["number"].(float64)
	if issue == nil || number < 1 {
		return steps.CommandInput{}, false, fmt.Errorf("the %s event names no issue", name)
	}
	if issue["pull_request"] != nil {
		return steps.CommandInput{}, false, nil // commands live on tracking issues, never on PRs
	}
	in := steps.CommandInput{Issue: int(number)}
	switch name {
	case "issue_comment":
		if event["action"] != "created" {
			return in, false, nil
		}
		comment, _ := event["comment"].(map[string]any)
		id, _ := comment["id"].(float64)
		in.Comment = int64(id)
		in.Body, _ = comment["body"].(string)
		in.Author = login(comment["user"])
		if in.Comment == 0 || in.Author == "" {
			return in, false, fmt.Errorf("the comment in the issue_comment event has no id or author")
		}
		return in, strings.Contains(in.Body, "/shepherd"), nil
	case "issues":
		in.Author = login(event["sender"])
		updated, _ := issue["updated_at"].(string)
		at, err := time.Parse(time.RFC3339, updated)
		if err != nil {
			return in, false, fmt.Errorf("the issue's updated_at %q is not a time", updated)
		}
		in.At = at
		switch event["action"] {
		case "labeled":
			label, _ := event["label"].(map[string]any)
			in.Label, _ = label["name"].(string)
			return in, in.Label != "" && in.Author != "", nil
		case "closed":
			in.Closed = true
			return in, in.Author != "", nil
		}
		return in, false, nil
	}
	return in, false, fmt.Errorf("the command action runs on issue_comment and issues events, not %s", name)
}

func login(user any) string {
	u, _ := user.(map[string]any)
	s, _ := u["login"].(string)
	return s
}

func markdown(in steps.CommandInput, out steps.CommandOutcome, err error, dryRun bool) string {
	var b strings.Builder
	b.WriteString("### Shepherd: command\n\n")
	what := out.Command
	if what == "" {
		what = "(none)"
	}
	fmt.Fprintf(&b, "| | |\n| --- | --- |\n| Issue | #%d |\n| By | @%s |\n| Command | %s |\n| Release | %s |\n| Acted | %t |\n",
		in.Issue, in.Author, actionenv.Cell(what), actionenv.Cell(out.Version), out.Acted)
	if out.Reply != "" {
		fmt.Fprintf(&b, "| Replied | %s |\n", actionenv.Cell(firstLine(out.Reply)))
	}
	if err != nil {
		fmt.Fprintf(&b, "| Error | %s |\n", actionenv.Cell(err.Error()))
	}
	if dryRun {
		b.WriteString("\nDry run: nothing was changed.\n")
	}
	return b.String()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
