package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/bundle"
	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/qa/render"
	"github.com/shepherd-release/shepherd/internal/release"
	"github.com/shepherd-release/shepherd/internal/sshsig"
	"github.com/shepherd-release/shepherd/internal/store"
	"github.com/shepherd-release/shepherd/internal/words"
)

func (e *Env) artifactsDir(version string) string {
	return filepath.Join(e.exportDir(version), "artifacts")
}

// exportSpecs are the configured exports the release asked for.
func (e *Env) exportSpecs(rec *Record) ([]manifest.ExportSpec, error) {
	var out []manifest.ExportSpec
	for _, name := range rec.Exports {
		spec, ok := e.Config.Export(name)
		if !ok {
			return nil, fmt.Errorf("export %q of release %s is no longer in the configuration", name, rec.Release.Version)
		}
		out = append(out, spec)
	}
	return out, nil
}

// build produces every artifact of the release in its scratch folder: the SQL files
// (load-tested when configured) and the extra scripts' outputs and logs. The SQL is
// deterministic, so a build repeated after a crash gives the same files and nothing is
// uploaded twice.
func (e *Env) build(ctx context.Context, t *tracked) ([]export.Artifact, error) {
	rec := t.rec
	v := rec.Release.Version
	exportPath, err := e.download(ctx, t)
	if err != nil {
		return nil, err
	}
	specs, err := e.exportSpecs(rec)
	if err != nil {
		return nil, err
	}
	outDir := e.artifactsDir(v)
	if err := os.RemoveAll(outDir); err != nil {
		return nil, err
	}
	var formats []export.Format
	for _, s := range specs {
		if s.Format.IsSQL() {
			f, err := export.ParseFormat(string(s.Format))
			if err != nil {
				return nil, err
			}
			formats = append(formats, f)
		}
	}
	arts, err := e.buildSQL(ctx, rec, exportPath, outDir, formats)
	if err != nil {
		return nil, err
	}
	if err := e.describeChanges(ctx, rec, exportPath, formats); err != nil {
		return nil, err
	}
	rec.LoadTests = nil
	for _, s := range specs {
		if !s.LoadTest {
			continue
		}
		if err := e.loadTest(ctx, rec, s, arts); err != nil {
			return nil, err
		}
	}
	rec.Scripts = nil
	for _, s := range specs {
		if s.Format != manifest.FormatScript {
			continue
		}
		res, err := export.RunScript(ctx, export.ScriptSpec{Name: s.Name, Command: s.Command, Timeout: s.Timeout, Env: s.Env}, exportPath, outDir, v)
		run := ScriptRun{Name: s.Name, ExitCode: res.ExitCode, Seconds: res.Duration.Seconds()}
		var se *export.ScriptError
		if errors.As(err, &se) {
			run.LogURL = e.storeScriptLog(ctx, v, s.Name, se.LogPath)
			rec.Scripts = append(rec.Scripts, run)
			return nil, &stepError{reason: se.Error(), details: scriptLogDetails(se, run.LogURL)}
		}
		rec.Scripts = append(rec.Scripts, run)
		if err != nil {
			return nil, err
		}
		arts = append(arts, res.Files...)
	}
	return arts, nil
}

func (e *Env) loadTest(ctx context.Context, rec *Record, s manifest.ExportSpec, arts []export.Artifact) error {
	for _, a := range arts {
		if a.Format != string(s.Format) || a.Counts == nil {
			continue
		}
		if e.LoadTestDSN == "" {
			e.Log.Warn("load test skipped: SHEPHERD_LOAD_TEST_DSN is not set", "export", s.Name)
			rec.LoadTests = append(rec.LoadTests, LoadTestRun{File: a.Name, Skipped: "no database configured (SHEPHERD_LOAD_TEST_DSN)"})
			continue
		}
		res, err := export.LoadTest(ctx, export.LoadOptions{DSN: e.LoadTestDSN, SQLZip: a.Path, Expected: *a.Counts, Liquibase: e.LoadTestLiquibase})
		if err != nil {
			return &stepError{reason: fmt.Sprintf("the load test of %s failed: %v", a.Name, err)}
		}
		var rows int64
		for _, n := range res.Rows {
			rows += n
		}
		rec.LoadTests = append(rec.LoadTests, LoadTestRun{File: a.Name, Seconds: res.Duration.Seconds(), Rows: rows})
		e.Log.Info("load test passed", "file", a.Name, "seconds", res.Duration.Seconds(), "rows", rows)
	}
	return nil
}

// stepError is a failure of the release itself (not an outage): failedStep makes it a
// permanent Outcome, which moves the release to failed with a reason people can act on.
type stepError struct{ reason, details string }

func (s *stepError) Error() string { return s.reason }

func (e *Env) scripts(ctx context.Context, t *tracked) error {
	arts, err := e.build(ctx, t)
	if o, ok := failedStep(err, ""); ok {
		return e.conclude(ctx, t, o)
	}
	if err != nil {
		return err
	}
	t.rec.Artifacts, t.rec.Counts = refs(arts), sqlCounts(arts)
	names := make([]string, 0, len(arts))
	for _, a := range arts {
		names = append(names, a.Name)
	}
	return e.move(ctx, t, release.ScriptsFinished, "built "+strings.Join(names, ", "))
}

func refs(arts []export.Artifact) []ArtifactRef {
	out := make([]ArtifactRef, len(arts))
	for i, a := range arts {
		out[i] = ArtifactRef{Name: a.Name, Format: a.Format, Size: a.Size, SHA256: a.SHA256}
	}
	return out
}

// sqlCounts is what the first SQL artifact holds (every format holds the same rows).
func sqlCounts(arts []export.Artifact) *export.Counts {
	for _, a := range arts {
		if a.Counts != nil {
			return a.Counts
		}
	}
	return nil
}

// publish uploads, links, tags, releases and announces. Each part checks what is already
// there first, so a publish repeated after a crash makes no second upload, tag, release
// or comment.
func (e *Env) publish(ctx context.Context, t *tracked) error {
	rec := t.rec
	v := rec.Release.Version
	outDir := e.artifactsDir(v)
	uploaded, err := e.allUploaded(ctx, v, rec.Artifacts, rec.Bundle)
	if err != nil {
		return err
	}
	if uploaded {
		// A run after a failure or a crash late in publishing: the files and the bundle are
		// in the bucket, so nothing is downloaded or built again; the index is written from
		// the record.
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return err
		}
	} else if !haveAll(outDir, rec.Artifacts) {
		// A new runner after a crash: rebuild (the SQL is byte-identical).
		arts, err := e.build(ctx, t)
		if o, ok := failedStep(err, ""); ok {
			return e.conclude(ctx, t, o)
		}
		if err != nil {
			return err
		}
		rec.Artifacts, rec.Counts = refs(arts), sqlCounts(arts)
	}
	arts := make([]export.Artifact, len(rec.Artifacts))
	for i, a := range rec.Artifacts {
		arts[i] = export.Artifact{Name: a.Name, Format: a.Format, Path: filepath.Join(outDir, a.Name), Size: a.Size, SHA256: a.SHA256}
	}
	// A signing key that is missing or not allowed stops the release here, before
	// anything is uploaded.
	if _, _, err := e.releaseSigning(); err != nil {
		if o, ok := failedStep(err, signingHelp); ok {
			return e.conclude(ctx, t, o)
		}
		return err
	}
	if rec.UploadedAt.IsZero() {
		// The retention period starts now; recorded before anything is uploaded so that a
		// publish repeated after a crash writes the same manifest.json and bundle.
		rec.UploadedAt = e.Now()
		if err := e.save(ctx, t); err != nil {
			return err
		}
	}
	var files []export.Artifact // published with a link: the artifacts, manifest, checksums, signature
	var bundleFile, bundleSum export.Artifact
	if uploaded {
		// Everything is in the bucket with its SHA-256 (the bundle is uploaded last):
		// Publish only links it again.
		if files, err = e.publishedFiles(ctx, rec, arts); err != nil {
			return err
		}
		bundleFile = export.Artifact{Name: rec.Bundle.Name, Size: rec.Bundle.Size, SHA256: rec.Bundle.SHA256}
		if bundleSum, err = bundle.WriteChecksumFile(outDir, v, rec.Bundle.SHA256); err != nil {
			return err
		}
	} else {
		assembled, err := e.assemble(ctx, rec, outDir, arts)
		if o, ok := failedStep(err, signingHelp); ok {
			return e.conclude(ctx, t, o)
		}
		if err != nil {
			return err
		}
		files, bundleFile, bundleSum = linkedFiles(assembled.Files, arts), assembled.Bundle, assembled.BundleSum
	}
	rec.Bundle = &ArtifactRef{Name: bundleFile.Name, Size: bundleFile.Size, SHA256: bundleFile.SHA256}
	files = append(files, bundleFile)
	e.ensureLifecycleRule(ctx)
	if e.Config.Storage.LinkMode == manifest.LinkPublic {
		err := e.act("let anyone read the files under "+e.Config.Storage.Prefix+"/", func() error {
			return e.Store.EnsurePublicRead(ctx, e.Config.Storage.Prefix)
		})
		if err != nil {
			return fmt.Errorf("public links need anonymous read on %s/: %w", e.Config.Storage.Prefix, err)
		}
	}
	if e.DryRun {
		e.Log.Info("dry run: would upload the files, tag and publish the release", "release", v, "files", len(arts))
		return nil
	}
	if err := e.keepIDMap(ctx, rec); err != nil {
		return err
	}
	if err := e.keepIndex(ctx, rec); err != nil {
		return err
	}
	// The bundle's checksum line goes beside it unlinked: its value is on the status and
	// the GitHub Release, and verify reads it from the bundle's folder.
	sumKey, err := store.ReleaseKey(e.Config.Storage.Prefix, v, bundleSum.Name)
	if err != nil {
		return err
	}
	if err := putFile(ctx, e.Store, sumKey, bundleSum); err != nil {
		return fmt.Errorf("upload %s: %w", bundleSum.Name, err)
	}
	downloads, err := Publish(ctx, e.Store, e.Config.Storage.Prefix, v, files, rec.UploadedAt, e.Now(), e.Config.Retention)
	if err != nil {
		return err // storage outage: the next tick converges, uploads already done are skipped
	}
	rec.Downloads = downloads
	if err := e.writeAttestSubjects(files); err != nil {
		return fmt.Errorf("write the attestation subjects: %w", err)
	}
	if rec.MergeSHA != "" {
		if _, err := e.GitHub.EnsureTag(ctx, v, rec.MergeSHA); err != nil {
			return err
		}
		rec.Tag = v
		text, err := e.releaseText(ctx, rec)
		if err != nil {
			return err
		}
		rel, _, err := e.GitHub.EnsureRelease(ctx, v, releaseName(rec), text)
		if err != nil {
			return err
		}
		rec.ReleaseURL = rel.URL
	}
	if err := e.markReleased(ctx, t); err != nil {
		return err
	}
	if err := e.milestone(ctx, t, MilestoneExportReady, exportReadyComment(rec)); err != nil {
		return err
	}
	return e.move(ctx, t, release.Published, fmt.Sprintf("%s published, downloadable until %s", words.Count(len(downloads), "file", "files"), rec.UploadedAt.Add(e.Config.Retention).UTC().Format(timeLayout)))
}

// ensureLifecycleRule asks the bucket to expire the release files a day after the
// retention period. The rule is a convenience, never the guarantee (servers apply rules
// late, early or not at all: see docs/storage.md): the janitor's own deletion keeps the
// promise, so any error here is a warning. The extra day keeps a rule rounded to midnight
// from cutting the last links short.
func (e *Env) ensureLifecycleRule(ctx context.Context) {
	days := int(e.Config.Retention/(24*time.Hour)) + 1
	err := e.act("ensure the storage lifecycle rule", func() error {
		_, err := e.Store.EnsureRetention(ctx, e.Config.Storage.Prefix, days)
		return err
	})
	switch {
	case errors.Is(err, store.ErrRetentionUnsupported):
		e.Log.Warn("the storage does not keep lifecycle rules; the daily janitor deletes expired releases", "error", err.Error())
	case err != nil:
		e.Log.Warn("the storage lifecycle rule could not be set; the daily janitor deletes expired releases", "error", err.Error())
	}
}

// linkedFiles are the files published one by one with a download link: the artifacts,
// manifest.json, SHA256SUMS and its signature. The documents (runbook, index, allowed
// signers, QA reports) are in the bundle; the QA reports also have links of their own.
func linkedFiles(files, arts []export.Artifact) []export.Artifact {
	var out []export.Artifact
	for _, f := range files {
		isArtifact := slices.ContainsFunc(arts, func(a export.Artifact) bool { return a.Name == f.Name })
		if isArtifact || f.Name == bundle.ManifestFile || f.Name == bundle.SumsFile || f.Name == bundle.SignatureFile {
			out = append(out, f)
		}
	}
	return out
}

// signingHelp is the detail a failure to sign shows.
const signingHelp = "Set the signing key's secret, or list its public key in the allowed signers with a `valid-after` that has passed " +
	"(docs/integrity.md), then re-run the release. Nothing was uploaded."

// allUploaded reports whether the bucket already holds every artifact and the bundle,
// each with its recorded SHA-256: then a later publish needs neither the export nor a
// build.
func (e *Env) allUploaded(ctx context.Context, version string, arts []ArtifactRef, bundleRef *ArtifactRef) (bool, error) {
	if len(arts) == 0 || bundleRef == nil {
		return false, nil
	}
	for _, a := range append(slices.Clone(arts), *bundleRef) {
		key, err := store.ReleaseKey(e.Config.Storage.Prefix, version, a.Name)
		if err != nil {
			return false, err
		}
		info, err := e.Store.Stat(ctx, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return false, nil
		case err != nil:
			return false, err
		case info.SHA256 != a.SHA256:
			return false, nil
		}
	}
	return true, nil
}

// putFile uploads a file of the release unless the bucket holds it already with the same
// SHA-256, in which case the local copy is not needed (a run after a failure late in
// publishing has none).
func putFile(ctx context.Context, st store.Store, key string, a export.Artifact) error {
	if info, err := st.Stat(ctx, key); err == nil && info.SHA256 == a.SHA256 {
		return nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	f, err := os.Open(a.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = st.Put(ctx, key, f, a.Size, a.SHA256, contentType(a.Name))
	return err
}

func haveAll(dir string, arts []ArtifactRef) bool {
	if len(arts) == 0 {
		return false
	}
	for _, a := range arts {
		if _, err := os.Stat(filepath.Join(dir, a.Name)); err != nil {
			return false
		}
	}
	return true
}

func downloadsTable(rec *Record) string {
	var b strings.Builder
	b.WriteString("| File | Size | SHA-256 | Link valid until | Deleted on |\n| --- | --- | --- | --- | --- |\n")
	ds := append([]Download(nil), rec.Downloads...)
	sort.Slice(ds, func(i, j int) bool { return ds[i].File < ds[j].File })
	for _, d := range ds {
		fmt.Fprintf(&b, "| [%s](%s) | %s | `%s` | %s | %s |\n", escapeCell(d.File), d.URL, size(d.Size), d.SHA256, when(d.ValidUntil), d.DeleteAt.UTC().Format("2006-01-02"))
	}
	return b.String()
}

func exportReadyComment(rec *Record) string {
	return fmt.Sprintf("### ✅ Release %s is ready\n\nThe files stay downloadable for the retention period; links are renewed before they expire, on the status above.\n\n%s",
		rec.Release.Version, downloadsTable(rec))
}

func releaseNotes(rec *Record, notes string) string {
	var b strings.Builder
	if w := rec.Withdrawn; w != nil {
		fmt.Fprintf(&b, "**Withdrawn: %s** (%s). Do not load this release.\n\n", escapeCell(oneLine(w.Reason)), w.At.UTC().Format(timeLayout))
	}
	fmt.Fprintf(&b, "%s\n\n", rec.Description)
	if notes = strings.TrimSpace(notes); notes != "" {
		fmt.Fprintf(&b, "%s\n\n", notes)
	}
	if rec.ExportQA != nil {
		q := rec.ExportQA
		fmt.Fprintf(&b, "**QA of the export:** %s over %s and %s.\n\n", render.Verdict(q.Errors, q.Warnings, q.Infos),
			words.Count(q.Concepts, "concept", "concepts"), words.Count(q.Mappings, "mapping", "mappings"))
	}
	if rec.Changes != nil {
		fmt.Fprintf(&b, "%s\n", rec.Changes.Markdown())
	}
	b.WriteString("**Downloads** (links are renewed on the tracking issue")
	if rec.Issue > 0 {
		fmt.Fprintf(&b, " #%d", rec.Issue)
	}
	b.WriteString(" until the files are deleted):\n\n")
	b.WriteString(downloadsTable(rec))
	b.WriteString("\nCheck a download with `sha256sum -c --ignore-missing SHA256SUMS`.\n")
	b.WriteString(integrityNotes(rec))
	return b.String()
}

// integrityNotes say how to check the release offline: the bundle, and who signed it.
func integrityNotes(rec *Record) string {
	var b strings.Builder
	if rec.Bundle != nil {
		fmt.Fprintf(&b, "\n**Offline bundle:** `%s` (sha256 `%s`) holds every file with the runbook (back up, load, check, roll back) and an `index.html`. "+
			"Check it without a network: `shepherd verify %s --allowed-signers allowed_signers`.\n", rec.Bundle.Name, rec.Bundle.SHA256, rec.Bundle.Name)
	}
	switch s := rec.Signature; {
	case s == nil:
	case s.Unsigned != "":
		fmt.Fprintf(&b, "\n⚠️ This release is **not signed**: %s.\n", escapeCell(s.Unsigned))
	default:
		fmt.Fprintf(&b, "\n`SHA256SUMS` is signed by **%s** (`%s`); with the `allowed_signers` from the repository: "+
			"`ssh-keygen -Y verify -f allowed_signers -I %s -n %s -s SHA256SUMS.sig < SHA256SUMS`.\n",
			escapeCell(s.Principal), s.Fingerprint, s.Principal, sshsig.Namespace)
	}
	return b.String()
}
