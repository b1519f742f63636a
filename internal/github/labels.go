package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"

	gh "github.com/google/go-github/v62/github"
)

// labelColor is the colour new labels get; people may recolour them.
const labelColor = "5319e7"

// EnsureLabels creates the repository labels that do not exist yet.
func (c *Client) EnsureLabels(ctx context.Context, names []string) error {
	for _, name := range names {
		err := c.call(ctx, fmt.Sprintf("read label %q", name), func() (*gh.Response, error) {
			_, resp, err := c.gh.Issues.GetLabel(ctx, c.owner, c.repo, labelPath(name))
			return resp, err
		})
		if err == nil {
			continue
		}
		if !isNotFound(err) {
			return err
		}
		err = c.call(ctx, fmt.Sprintf("create label %q", name), func() (*gh.Response, error) {
			_, resp, err := c.gh.Issues.CreateLabel(ctx, c.owner, c.repo, &gh.Label{
				Name: gh.String(name), Color: gh.String(labelColor), Description: gh.String("Managed by Shepherd"),
			})
			return resp, err
		})
		if err != nil && !isAlreadyExists(err) { // another run created it meanwhile
			return err
		}
	}
	return nil
}

// ReconcileLabels makes the issue carry exactly the wanted labels among managed ones,
// leaving labels people added untouched. It writes nothing when they already match.
func (c *Client) ReconcileLabels(ctx context.Context, i *Issue, want []string, managed []string) error {
	have := map[string]bool{}
	for _, l := range i.Labels {
		have[l] = true
	}
	wanted := map[string]bool{}
	var add []string
	for _, l := range want {
		wanted[l] = true
		if !have[l] {
			add = append(add, l)
		}
	}
	var remove []string
	for _, l := range managed {
		if have[l] && !wanted[l] {
			remove = append(remove, l)
		}
	}
	if len(add) > 0 {
		if err := c.EnsureLabels(ctx, add); err != nil {
			return err
		}
		err := c.call(ctx, fmt.Sprintf("label issue #%d", i.Number), func() (*gh.Response, error) {
			_, resp, err := c.gh.Issues.AddLabelsToIssue(ctx, c.owner, c.repo, i.Number, add)
			return resp, err
		})
		if err != nil {
			return err
		}
	}
	for _, l := range remove {
		err := c.call(ctx, fmt.Sprintf("remove label %q from issue #%d", l, i.Number), func() (*gh.Response, error) {
			resp, err := c.gh.Issues.RemoveLabelForIssue(ctx, c.owner, c.repo, i.Number, labelPath(l))
			if resp != nil && resp.StatusCode == http.StatusNotFound {
				return resp, nil // already gone
			}
			return resp, err
		})
		if err != nil {
			return err
		}
	}
	labels := append([]string{}, want...)
	for _, l := range i.Labels {
		if !wanted[l] && !contains(remove, l) {
			labels = append(labels, l)
		}
	}
	sort.Strings(labels)
	i.Labels = dedupe(labels)
	return nil
}

// labelPath escapes a label name for the URL path it goes into: go-github v62 puts it
// there as given, so a name with "/", "?", "#" or "%" would reach another route.
func labelPath(name string) string { return url.PathEscape(name) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
