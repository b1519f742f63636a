package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/bom"
	"github.com/shepherd-release/shepherd/internal/buildinfo"
	"github.com/shepherd-release/shepherd/internal/changelog"
	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/words"
)

// indexFolder holds the concept indexes, outside the releases folder so that retention
// never deletes them: each release's changelog is made against the index of the release
// before it, long after that release's files are gone.
const indexFolder = "indexes"

// indexKey is where the concept index of a release is kept:
// indexes/<org>/<source>/<version>.index.gz.
func indexKey(org, source, version string) string {
	return indexFolder + "/" + org + "/" + source + "/" + version + ".index.gz"
}

// The documents a release writes beside its artifacts: the changelog against the
// previous release in three forms, and the data BOM.
const (
	ChangelogMarkdown = "CHANGELOG.md"
	ChangelogHTML     = "changelog.html"
	ChangelogJSON     = "changelog.json"
	BOMFile           = "bom.cdx.json"
)

func (e *Env) indexPath(version string) string {
	return filepath.Join(e.exportDir(version), version+".index.gz")
}

func (e *Env) documentsDir(version string) string {
	return filepath.Join(e.exportDir(version), "documents")
}

// describeChanges indexes the export, compares it with the index the latest earlier
// release kept, writes the changelog and the data BOM into the release's documents and
// records the changelog's summary. formats are the SQL formats the release ships. A
// failure is a *stepError: the release would otherwise ship without them.
func (e *Env) describeChanges(ctx context.Context, rec *Record, exportPath string, formats []export.Format) error {
	v := rec.Release.Version
	if err := e.keptOutsideReleases(indexFolder, "the concept indexes the next changelogs are made against"); err != nil {
		return err
	}
	ix, err := changelog.Build(ctx, exportPath, ExportLimits(e.Config.ExportLimits))
	if err != nil {
		return &stepError{reason: "the export could not be indexed for the changelog: " + err.Error()}
	}
	ix.Org, ix.Version = rec.Org, v // the release's own names, whatever the export says
	if err := ix.WriteFile(e.indexPath(v)); err != nil {
		return err
	}
	previousPath, previous, err := e.previousKept(ctx, rec, indexFolder, ".index.gz")
	if err != nil {
		return err
	}
	var old *changelog.Index
	if previous != "" {
		if old, err = changelog.ReadIndexFile(previousPath); err != nil {
			return &stepError{reason: fmt.Sprintf("the concept index %s of the previous release cannot be read: %v", indexKey(rec.Org, rec.Source, previous), err)}
		}
		e.Log.Info("describing the changes since the previous release", "release", v, "previous", previous)
	}
	cl, err := changelog.Compare(old, ix)
	if err != nil {
		return &stepError{reason: "the changelog could not be made: " + err.Error()}
	}
	dir := e.documentsDir(v)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer) error{
		ChangelogMarkdown: cl.Markdown, ChangelogHTML: cl.HTML, ChangelogJSON: cl.JSON,
	} {
		if err := atomicfile.Write(filepath.Join(dir, name), 0o644, write); err != nil {
			return err
		}
	}
	if err := e.writeBOM(rec, ix, exportPath, formats); err != nil {
		return err
	}
	rec.Changes = cl.Summarize()
	return nil
}

// writeBOM writes the release's data BOM. Its time is when the export passed QA (the
// record keeps it), so a build repeated after a crash writes the same bytes.
func (e *Env) writeBOM(rec *Record, ix *changelog.Index, exportPath string, formats []export.Format) error {
	if rec.Export == nil || rec.Export.SHA256 == "" {
		return &stepError{reason: "the data BOM needs the export's checksum, which the record lacks"}
	}
	var built = e.Now()
	for _, t := range rec.Release.Transitions {
		if t.To == release.Scripts {
			built = t.At
			break
		}
	}
	sev := make(map[string]qa.Severity, len(e.Config.QA.Severity))
	for id, s := range e.Config.QA.Severity {
		sev[id] = qa.Severity(s)
	}
	concepts, mappings := ix.Counts()
	b, err := bom.Build(bom.Input{
		Org: rec.Org, Source: rec.Source, Version: rec.Release.Version, Created: built,
		Export:   bom.File{Name: filepath.Base(exportPath), Size: rec.Export.Size, SHA256: rec.Export.SHA256},
		Concepts: concepts, Mappings: mappings,
		Rules:           bom.RuleSet(sev, e.Config.QA.Disabled),
		ShepherdVersion: buildinfo.Version(), ShepherdCommit: buildinfo.Commit(),
		Formats: formats, Vocabularies: ix.Vocabularies(),
	})
	if err != nil {
		return &stepError{reason: err.Error()}
	}
	return atomicfile.Write(filepath.Join(e.documentsDir(rec.Release.Version), BOMFile), 0o644, func(w io.Writer) error {
		return bom.Encode(w, b)
	})
}

// changeDocuments are the changelog and BOM files describeChanges wrote, for the
// release's bundle; nil when the build did not write them (a publish after a crash,
// whose files are all in the bucket already).
func (e *Env) changeDocuments(version string) ([]export.Artifact, error) {
	var out []export.Artifact
	for _, name := range []string{ChangelogMarkdown, ChangelogHTML, ChangelogJSON, BOMFile} {
		path := filepath.Join(e.documentsDir(version), name)
		a, err := describeFile(path, name)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// keepIndex uploads the concept index the build wrote, before the release's files: a
// release whose files are in the bucket has its index there too, for the next release's
// changelog.
func (e *Env) keepIndex(ctx context.Context, rec *Record) error {
	v := rec.Release.Version
	a, err := describeFile(e.indexPath(v), v+".index.gz")
	if errors.Is(err, os.ErrNotExist) {
		return nil // a publish after a crash: uploaded with the files before
	}
	if err != nil {
		return err
	}
	if err := putFile(ctx, e.Store, indexKey(rec.Org, rec.Source, v), a); err != nil {
		return fmt.Errorf("keeping the concept index of %s: %w", v, err)
	}
	return nil
}

// statusBreaking is how many breaking items the status table names; the GitHub Release
// notes name up to changelog.SummaryLimit.
const statusBreaking = 3

// changesCell is the changelog's summary in one cell of the status table.
func changesCell(s *changelog.Summary) string {
	if s.First {
		return "first release: " + words.Count(s.Concepts, "concept", "concepts")
	}
	cell := fmt.Sprintf("since %s: %s added, %s retired, %s un-retired, %s changed, %s removed · ",
		changelog.MarkdownText(s.From), words.Number(s.Added), words.Number(s.Retired), words.Number(s.Unretired),
		words.Number(s.Changed), words.Number(s.Removed))
	if s.Breaking == 0 {
		return cell + "nothing breaking for sites"
	}
	cell += fmt.Sprintf("**%s breaking for sites**: ", words.Number(s.Breaking))
	for i, l := range s.TopBreaking[:min(len(s.TopBreaking), statusBreaking)] {
		if i > 0 {
			cell += "; "
		}
		cell += changelog.MarkdownText(l)
	}
	if more := s.Breaking - min(len(s.TopBreaking), statusBreaking); more > 0 {
		cell += fmt.Sprintf("; … %s more in the changelog", words.Number(more))
	}
	return cell
}
