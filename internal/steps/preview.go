package steps

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/shepherd-release/shepherd/internal/github"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/words"
)

// PreviewResult is what the PR preview found.
type PreviewResult struct {
	PR        int
	HeadSHA   string
	Manifests []string
	// Problems are the reasons the release PR cannot merge as it is (invalid manifest,
	// version already on OCL, another open release of the same version).
	Problems []string
	Report   *qa.Report // nil for a fork or when a manifest is invalid
	Comment  string     // the PR comment's text
	Passed   bool
}

// Preview checks a release PR: its manifests, and (except for a fork, which has no
// secrets) QA on HEAD, then keeps one comment on the PR up to date and sets the
// shepherd/qa status that branch protection can require.
func (e *Env) Preview(ctx context.Context, pr int, fromFork bool) (*PreviewResult, error) {
	info, err := e.GitHub.GetPullRequest(ctx, pr)
	if err != nil {
		return nil, err
	}
	files, err := e.GitHub.ChangedFiles(ctx, pr)
	if err != nil {
		return nil, err
	}
	res := &PreviewResult{PR: pr, HeadSHA: info.HeadSHA}
	var manifests []*manifest.Manifest
	for _, f := range files {
		if !isManifestPath(f) {
			continue
		}
		res.Manifests = append(res.Manifests, f)
		m, problem := e.checkManifest(ctx, f, info.HeadSHA)
		if problem != "" {
			res.Problems = append(res.Problems, problem)
			continue
		}
		manifests = append(manifests, m)
	}
	if len(res.Manifests) == 0 {
		res.Problems = append(res.Problems, "the pull request adds or changes no release manifest (releases/vYYYY-MM-DD.yaml)")
	}
	if !fromFork && len(res.Problems) == 0 {
		for _, m := range manifests {
			eff, err := m.Effective(e.Config)
			if err != nil {
				return nil, err
			}
			if res.Report, err = e.RunHeadQA(ctx, eff.QA, eff.Org, eff.Source); err != nil {
				return nil, fmt.Errorf("QA on HEAD could not run: %w", err)
			}
			break // every manifest of one repository releases the same source's HEAD
		}
	}
	res.Passed = len(res.Problems) == 0 && (res.Report == nil || res.Report.Errors() == 0)
	if res.Comment, err = previewComment(res, fromFork); err != nil {
		return nil, err
	}
	state, desc := github.StatusSuccess, "release manifest valid"
	switch {
	case len(res.Problems) > 0:
		state, desc = github.StatusFailure, words.Count(len(res.Problems), "problem", "problems")+" with the release manifest"
	case res.Report != nil && res.Report.Errors() > 0:
		state, desc = github.StatusFailure, "QA on HEAD: "+render.Verdict(res.Report.Errors(), res.Report.Warnings(), 0)
	case res.Report != nil:
		desc = "QA on HEAD: " + render.Verdict(0, res.Report.Warnings(), 0)
	case fromFork:
		desc = "manifest valid; QA runs after merge (fork: no secrets)"
	}
	err = e.act(fmt.Sprintf("comment on PR #%d and set %s=%s", pr, github.QAContext, state), func() error {
		if _, _, err := e.GitHub.UpsertComment(ctx, pr, "preview", "release-pr", res.Comment); err != nil {
			return err
		}
		_, err := e.GitHub.SetStatus(ctx, info.HeadSHA, github.QAContext, state, desc, "")
		return err
	})
	if err != nil && fromFork {
		// A fork's token is read-only: the job's summary carries the preview instead.
		e.Log.Warn("could not comment on a fork's pull request; see the job summary", "error", err.Error())
		err = nil
	}
	return res, err
}

// checkManifest validates one manifest of the PR and the release it asks for.
func (e *Env) checkManifest(ctx context.Context, file, sha string) (*manifest.Manifest, string) {
	content, err := e.GitHub.FileAt(ctx, file, sha)
	if err != nil {
		return nil, fmt.Sprintf("%s: cannot be read: %v", file, err)
	}
	m, err := manifest.ParseManifest(file, []byte(content))
	if err == nil {
		err = errors.Join(m.Validate(e.Config), m.CheckRuleIDs(qa.RuleIDs()))
	}
	if err != nil {
		return nil, err.Error()
	}
	eff, err := m.Effective(e.Config)
	if err != nil {
		return nil, err.Error()
	}
	if _, err := e.OCL.GetVersion(ctx, eff.Org, eff.Source, eff.Version); err == nil {
		return nil, fmt.Sprintf("%s: version %s already exists on OCL (%s/%s): pick another date", file, eff.Version, eff.Org, eff.Source)
	} else if !errors.Is(err, ocl.ErrNotFound) {
		return nil, fmt.Sprintf("%s: cannot check OCL for version %s: %v", file, eff.Version, err)
	}
	if issue, err := e.GitHub.FindIssue(ctx, eff.Version); err == nil && issue != nil {
		// A failed or incomplete release may be tried again under the same version.
		if rec, ok, _ := e.readRecord(issue); ok && rec.Release.Phase != release.Failed && rec.Release.Phase != release.Incomplete {
			return nil, fmt.Sprintf("%s: release %s is already under way or done (#%d)", file, eff.Version, issue.Number)
		}
	}
	if eff.Issue > 0 {
		// The named issue must be able to carry the release: not a pull request, not
		// another release's tracking issue.
		if _, err := e.GitHub.CheckNamedIssue(ctx, eff.Issue, eff.Version); err != nil {
			return nil, fmt.Sprintf("%s: issue: %d cannot track release %s: %v", file, eff.Issue, eff.Version, err)
		}
	}
	return m, ""
}

// previewComment is the PR comment. Its headline is the worst of what the preview found,
// so nobody reads "merging starts the release" above errors that would stop it: problems
// with the manifests first, then QA errors, then warnings, and only then the all-clear.
func previewComment(res *PreviewResult, fromFork bool) (string, error) {
	var b strings.Builder
	b.WriteString("## Shepherd release preview\n\n")
	valid := manifestsValid(res.Manifests)
	switch {
	case len(res.Problems) > 0:
		b.WriteString("❌ **This release cannot go ahead as it is:**\n\n")
		for _, p := range res.Problems {
			for _, line := range strings.Split(p, "\n") {
				fmt.Fprintf(&b, "- `%s`\n", strings.ReplaceAll(line, "`", "'"))
			}
		}
		b.WriteString("\nFix the manifest and push: the preview runs again on each push.\n")
		return b.String(), nil
	case fromFork:
		fmt.Fprintf(&b, "✅ **%s.** This pull request comes from a fork, which gets no secrets: only the manifest was checked. "+
			"QA on HEAD runs when it is merged, and stops the release if it finds errors.\n", valid)
		return b.String(), nil
	case res.Report == nil:
		fmt.Fprintf(&b, "✅ **%s.**\n", valid)
		return b.String(), nil
	case res.Report.Errors() > 0:
		fmt.Fprintf(&b, "❌ **QA on HEAD found %s: merging now would stop the release before anything is created on OCL.** "+
			"Fix them on OCL, then push to this branch or use **Re-run jobs** on this check to preview again. %s.\n\n",
			render.Verdict(res.Report.Errors(), res.Report.Warnings(), 0), valid)
	case res.Report.Warnings() > 0:
		posted := "the warnings are"
		if res.Report.Warnings() == 1 {
			posted = "the warning is"
		}
		fmt.Fprintf(&b, "⚠️ **QA on HEAD found %s and no errors: merging starts the release**, and %s posted on its tracking issue. "+
			"%s. QA runs again on HEAD after the merge, then the version is created on OCL.\n\n",
			words.Count(res.Report.Warnings(), "warning", "warnings"), posted, valid)
	default:
		fmt.Fprintf(&b, "✅ **QA on HEAD found no errors: merging starts the release.** %s. "+
			"QA runs again on HEAD after the merge, then the version is created on OCL.\n\n", valid)
	}
	var md strings.Builder
	if err := render.Markdown(&md, res.Report, render.MarkdownOptions{MaxChars: commentRoom - b.Len()}); err != nil {
		return "", err
	}
	b.WriteString(md.String())
	return b.String(), nil
}

// manifestsValid says which manifests passed: "Manifest `releases/v2026-11-22.yaml` is valid".
func manifestsValid(files []string) string {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "`" + strings.ReplaceAll(f, "`", "'") + "`"
	}
	if len(files) == 1 {
		return "Manifest " + quoted[0] + " is valid"
	}
	return "Manifests " + strings.Join(quoted, ", ") + " are valid"
}

// isManifestPath tells a release manifest among a PR's files: releases/*.yaml.
func isManifestPath(f string) bool {
	return path.Dir(f) == manifest.ReleasesDir && strings.HasSuffix(f, ".yaml")
}
