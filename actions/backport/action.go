// Package backport is the backport action (`shepherd action backport`), run on an
// issue_comment event: `/shepherd backport BRANCH` on a merged pull request opens a pull
// request into BRANCH with the merged change cherry-picked by git in the workflow's
// checkout, or a draft listing the conflicted files, and replies. Other comments,
// including other /shepherd commands, are left alone.
package backport

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
	"github.com/shepherd-release/shepherd/internal/backport"
	"github.com/shepherd-release/shepherd/internal/steps"
)

func Run(ctx context.Context, r *actionenv.Run) error {
	gh, err := r.Action.Context()
	if err != nil {
		return fmt.Errorf("read the workflow's event: %w", err)
	}
	req, err := fromEvent(gh.Event)
	if err != nil {
		return err
	}
	if _, ok := steps.ParseBackport(req.Body); !ok {
		r.SetOutput("outcome", string(steps.BackportIgnored))
		return nil
	}
	env, err := r.Env(ctx)
	if err != nil {
		return err
	}
	// The checkout must hold the history (fetch-depth: 0) and the token to push with
	// (persist-credentials: true); the reusable workflow checks out so.
	repo := &backport.Repo{Dir: r.Workspace, Remote: "origin"}
	res, err := env.Backport(ctx, req, repo)
	if err != nil {
		return fmt.Errorf("backport asked on #%d: %w", req.Number, err)
	}
	r.SetOutput("outcome", string(res.Outcome))
	pr := ""
	if res.Pull != nil {
		pr = strconv.Itoa(res.Pull.Number)
	}
	r.SetOutput("pull-request", pr)
	r.Summary("### Shepherd: backport to `" + res.Target + "`\n\n" + string(res.Outcome) + "\n\n" + res.Reply + "\n")
	return nil
}

// fromEvent reads the comment of an issue_comment event.
func fromEvent(event map[string]any) (steps.BackportRequest, error) {
	comment, _ := event["comment"].(map[string]any)
	issue, _ := event["issue"].(map[string]any)
	user, _ := comment["user"].(map[string]any)
	id, _ := comment["id"].(float64)
	number, _ := issue["number"].(float64)
	body, _ := comment["body"].(string)
	login, _ := user["login"].(string)
	if comment == nil || issue == nil || id <= 0 || number <= 0 || login == "" {
		return steps.BackportRequest{}, errors.New("no comment in the event: the backport action runs on issue_comment")
	}
	// An issue_comment on a pull request carries issue.pull_request.
	// https://docs.github.com/webhooks/webhook-events-and-payloads#issue_comment
	_, isPull := issue["pull_request"].(map[string]any)
	return steps.BackportRequest{Number: int(number), IsPull: isPull, CommentID: int64(id), Author: login, Body: body}, nil
}
