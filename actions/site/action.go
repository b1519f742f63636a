// Package site is the release site action (`shepherd action site`): it writes the static
// site of every release into a folder for the site workflow to publish.
package site

import (
	"context"
	"fmt"

	"github.com/shepherd-release/shepherd/actions/internal/actionenv"
	"github.com/shepherd-release/shepherd/internal/site"
	"github.com/shepherd-release/shepherd/internal/words"
)

// Run builds the site into the out input's folder. Its digest output leaves out the build
// time, so the workflow can skip publishing a site that says nothing new.
func Run(ctx context.Context, r *actionenv.Run) error {
	out := r.Input("out")
	if out == "" {
		return fmt.Errorf("input out: the folder to write the site into is required")
	}
	dir := r.Path(out)
	env, err := r.Env(ctx)
	if err != nil {
		return err
	}
	model, err := env.SiteModel(ctx)
	if err != nil {
		return err
	}
	files, err := site.Render(model)
	if err != nil {
		return err
	}
	if err := site.Write(files, dir); err != nil {
		return err
	}
	latest := ""
	if l := model.LatestDeployable(); l != nil {
		latest = l.Version
	}
	r.SetOutput("path", dir)
	digest, err := site.Digest(model)
	if err != nil {
		return err
	}
	r.SetOutput("digest", digest)
	r.SetOutput("latest-deployable", latest)
	summary := fmt.Sprintf("### Shepherd: release site\n\n%s; ", words.Count(len(model.Releases), "release", "releases"))
	if latest == "" {
		summary += "no release is deployable now.\n"
	} else {
		summary += fmt.Sprintf("the latest deployable release is `%s`.\n", latest)
	}
	r.Summary(summary)
	return nil
}
