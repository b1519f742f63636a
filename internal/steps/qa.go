package steps

import (
	"bytes"
	"context"
	"fmt"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/store"
)

// commentRoom is what a QA report may take of a milestone comment, leaving room for
// the words around it within GitHub's 65,536 characters.
const commentRoom = 60000

// reportFormats are stored for every QA run.
var reportFormats = []string{"json", "md", "html"}

// RunHeadQA checks the source's HEAD through the OCL API.
func (e *Env) RunHeadQA(ctx context.Context, qaCfg manifest.QAConfig, org, source string) (*qa.Report, error) {
	opts := QAOptions(qaCfg, org, source)
	opts.Version, opts.Now = "HEAD", e.Now
	return CheckAPI(ctx, NewAPISource(e.OCL, e.Config, org, source, "HEAD"), opts)
}

// storeReport uploads a report in every format under the release's folder (and, for
// HEAD, as the stable latest HEAD report too) and returns the result for the status.
func (e *Env) storeReport(ctx context.Context, version, name string, r *qa.Report, alsoLatestHead bool) (*QAResult, error) {
	res := &QAResult{
		At: e.Now(), Errors: r.Errors(), Warnings: r.Warnings(), Infos: r.Summary.BySeverity[qa.SeverityInfo],
		Concepts: r.Summary.ConceptsChecked, Mappings: r.Summary.MappingsChecked, ByRule: nonZero(r.Summary.ByRule),
	}
	for _, format := range reportFormats {
		renderer, err := render.Format(format, render.Options{})
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := renderer(&buf, r); err != nil {
			return nil, err
		}
		keys := []string{}
		key, err := store.ReleaseKey(e.Config.Storage.Prefix, version, name+"."+format)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
		if alsoLatestHead {
			keys = append(keys, store.HeadReportKey(format))
		}
		for _, k := range keys {
			data := buf.Bytes()
			err := e.act("upload "+k, func() error {
				_, err := e.Store.Put(ctx, k, bytes.NewReader(data), int64(len(data)), store.SHA256Hex(data), contentType(k))
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("store the QA report %s: %w", k, err)
			}
		}
		if format == "html" {
			res.ReportKey = key
			if !e.DryRun {
				url, until, err := e.Store.Link(ctx, key, store.MaxPresignValidity)
				if err != nil {
					return nil, fmt.Errorf("link the QA report: %w", err)
				}
				res.ReportURL, res.ReportLinkUntil = url, until
			}
		}
	}
	return res, nil
}

// reportComment is a milestone comment holding the Markdown report.
func reportComment(heading string, r *qa.Report, fullURL string) (string, error) {
	var buf bytes.Buffer
	buf.WriteString(heading + "\n\n")
	err := render.Markdown(&buf, r, render.MarkdownOptions{MaxChars: commentRoom - len(heading), FullReportURL: fullURL})
	return buf.String(), err
}

func nonZero(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}
