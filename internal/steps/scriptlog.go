package steps

import (
	"context"
	"strings"

	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/store"
)

// storeScriptLog uploads a failed script's whole log into the release's folder, beside its
// QA reports, and returns a link to it for the status; "" when it could not be stored. The
// failure is recorded either way: the comment quotes the log's end, and a storage outage
// must not keep the script's failure from being told.
func (e *Env) storeScriptLog(ctx context.Context, version, script, logPath string) string {
	name := script + ".log"
	key, err := store.ReleaseKey(e.Config.Storage.Prefix, version, name)
	if err == nil {
		var a export.Artifact
		if a, err = describeFile(logPath, name); err == nil {
			err = e.act("upload "+key, func() error { return putFile(ctx, e.Store, key, a) })
		}
	}
	if err != nil {
		e.Log.Warn("the failed script's log could not be stored; the status links none", "script", script, "error", err.Error())
		return ""
	}
	if e.DryRun {
		return ""
	}
	url, _, err := e.Store.Link(ctx, key, store.MaxPresignValidity)
	if err != nil {
		e.Log.Warn("the failed script's log could not be linked; the status links none", "script", script, "error", err.Error())
		return ""
	}
	return url
}

// scriptLogDetails is what the failure comment adds about a failed script: the end of its
// log, and where the whole of it is.
func scriptLogDetails(se *export.ScriptError, logURL string) string {
	heading := "The end of its log"
	if logURL != "" {
		heading += " ([the whole log](" + logURL + "))"
	}
	return heading + ":\n\n```\n" + strings.TrimSpace(se.LogTail) + "\n```"
}
