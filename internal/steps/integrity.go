package steps

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/bundle"
	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/sshsig"
	"github.com/shepherd-release/shepherd/internal/store"
)

// AttestSubjectsEnv names the file the publish step writes the published files' checksums
// to when signing.attest is on, for actions/attest-build-provenance (subject-checksums).
const AttestSubjectsEnv = "SHEPHERD_ATTEST_SUBJECTS"

func (e *Env) env(name string) string {
	if e.getenv == nil {
		return os.Getenv(name)
	}
	return e.getenv(name)
}

// releaseSigning reads the allowed signers and the signing key the configuration names.
// It returns nil and the reason when the release is to be published unsigned; a
// *stepError when signing is configured but cannot be done (the release fails before
// anything is published).
func (e *Env) releaseSigning() (*bundle.Signing, string, error) {
	sc := e.Config.Signing
	if !sc.Signs() {
		return nil, "no signing configured (signing.allowed_signers in " + configName(e) + ")", nil
	}
	// Relative to the release repository, as the configuration is.
	file := sc.AllowedSigners
	if !filepath.IsAbs(file) {
		file = filepath.Join(e.RepoDir, file)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, "", &stepError{reason: fmt.Sprintf("signing.allowed_signers: %v", err)}
	}
	allowed, err := sshsig.ParseAllowedSigners(sc.AllowedSigners, text)
	if err != nil {
		return nil, "", &stepError{reason: "the allowed signers: " + err.Error()}
	}
	pem := e.env(sc.KeyEnv)
	if file := e.env(sc.KeyEnv + "_FILE"); pem == "" && file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, "", &stepError{reason: fmt.Sprintf("read the signing key from %s_FILE: %v", sc.KeyEnv, err)}
		}
		pem = string(data)
	}
	if strings.TrimSpace(pem) == "" {
		if !sc.Required {
			return nil, sc.KeyEnv + " is not set and signing.required is false", nil
		}
		return nil, "", &stepError{reason: fmt.Sprintf("no signing key: %s (or %s_FILE) is empty, and %s lists the keys that must sign; nothing was published",
			sc.KeyEnv, sc.KeyEnv, sc.AllowedSigners)}
	}
	key, err := sshsig.ParsePrivateKey([]byte(pem))
	if err != nil {
		// The key's text is never repeated: it is a secret.
		return nil, "", &stepError{reason: fmt.Sprintf("the signing key in %s: %v; nothing was published", sc.KeyEnv, err)}
	}
	return &bundle.Signing{Key: key, Allowed: allowed, AllowedText: text}, "", nil
}

func configName(e *Env) string {
	if e.Config.File != "" {
		return e.Config.File
	}
	return ".github/shepherd.yaml"
}

// releaseDocuments are the documents of the release beside its artifacts: the changelog
// and data BOM the build wrote, and the HTML QA reports, read back from the bucket where
// the QA steps stored them.
func (e *Env) releaseDocuments(ctx context.Context, rec *Record) ([]bundle.Entry, error) {
	changes, err := e.changeDocuments(rec.Release.Version)
	if err != nil {
		return nil, err
	}
	var docs []bundle.Entry
	for _, c := range changes {
		docs = append(docs, bundle.Entry{Name: c.Name, Path: c.Path})
	}
	for _, q := range []*QAResult{rec.HeadQA, rec.ExportQA} {
		if q == nil || q.ReportKey == "" {
			continue
		}
		data, err := e.readStored(ctx, q.ReportKey)
		if errors.Is(err, store.ErrNotFound) {
			e.Log.Warn("a QA report is no longer stored: the bundle goes without it", "key", q.ReportKey)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read the QA report %s: %w", q.ReportKey, err)
		}
		docs = append(docs, bundle.Entry{Name: path.Base(q.ReportKey), Data: data})
	}
	return docs, nil
}

// publishedFiles are the linked files of a release already in the bucket: its artifacts,
// and manifest.json, SHA256SUMS and SHA256SUMS.sig as stored. The signature's signer is
// found again from the key when the record lost it to a crash.
func (e *Env) publishedFiles(ctx context.Context, rec *Record, arts []export.Artifact) ([]export.Artifact, error) {
	files := slices.Clone(arts)
	for _, name := range []string{bundle.ManifestFile, bundle.SumsFile, bundle.SignatureFile} {
		key, err := store.ReleaseKey(e.Config.Storage.Prefix, rec.Release.Version, name)
		if err != nil {
			return nil, err
		}
		info, err := e.Store.Stat(ctx, key)
		if errors.Is(err, store.ErrNotFound) && name == bundle.SignatureFile {
			continue // an unsigned release
		}
		if err != nil {
			return nil, fmt.Errorf("%s of the published release: %w", name, err)
		}
		files = append(files, export.Artifact{Name: name, Size: info.Size, SHA256: info.SHA256})
	}
	if rec.Signature == nil {
		signing, unsigned, err := e.releaseSigning()
		switch {
		case err != nil:
			return nil, err
		case signing == nil:
			rec.Signature = &Signature{Unsigned: unsigned}
		default:
			s, err := bundle.CheckSigning(signing, rec.UploadedAt)
			if err != nil {
				return nil, err
			}
			rec.Signature = &Signature{Principal: s.Principal, Fingerprint: s.Fingerprint}
		}
	}
	return files, nil
}

// maxDocument bounds a document read back from the bucket.
const maxDocument = 256 << 20

func (e *Env) readStored(ctx context.Context, key string) ([]byte, error) {
	r, err := e.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxDocument {
		return nil, fmt.Errorf("%s is larger than %d MiB", key, maxDocument>>20)
	}
	return data, nil
}

// assemble writes manifest.json, the documents, the runbook, the index, SHA256SUMS, its
// signature and the bundle into outDir. A *stepError means the release cannot be signed
// as configured.
func (e *Env) assemble(ctx context.Context, rec *Record, outDir string, arts []export.Artifact) (*bundle.Assembled, error) {
	signing, unsigned, err := e.releaseSigning()
	if err != nil {
		return nil, err
	}
	docs, err := e.releaseDocuments(ctx, rec)
	if err != nil {
		return nil, err
	}
	var qaSummary any
	if rec.ExportQA != nil {
		qaSummary = rec.ExportQA
	}
	started := time.Now()
	res, err := bundle.Assemble(bundle.Release{Source: rec.Org + "/" + rec.Source, Version: rec.Release.Version,
		Created: rec.UploadedAt, Expires: rec.UploadedAt.Add(e.Config.Retention), Dir: outDir, Artifacts: arts,
		Counts: rec.Counts, QA: qaSummary, Documents: docs, Signing: signing})
	if err != nil {
		var refused *bundle.SigningError
		if errors.As(err, &refused) {
			return nil, &stepError{reason: err.Error() + "; nothing was published"}
		}
		return nil, err
	}
	// Wall time, not the release's clock: what bundling and signing add to a publish.
	e.Log.Info("bundle written", "release", rec.Release.Version, "bundle", res.Bundle.Name, "bytes", res.Bundle.Size,
		"files", len(res.Files), "signed", res.Signer != nil, "seconds", time.Since(started).Seconds())
	if res.Signer != nil {
		rec.Signature = &Signature{Principal: res.Signer.Principal, Fingerprint: res.Signer.Fingerprint}
	} else {
		rec.Signature = &Signature{Unsigned: unsigned}
		e.Log.Warn("the release is published unsigned", "release", rec.Release.Version, "why", unsigned)
	}
	return res, nil
}

// writeAttestSubjects adds the published files' checksums to the file AttestSubjectsEnv
// names, in sha256sum's format, for actions/attest-build-provenance's subject-checksums.
// A run that publishes two releases lists both.
func (e *Env) writeAttestSubjects(files []export.Artifact) error {
	if !e.Config.Signing.Attest {
		return nil
	}
	dest := e.env(AttestSubjectsEnv)
	if dest == "" {
		e.Log.Warn("signing.attest is on but " + AttestSubjectsEnv + " names no file: no attestation subjects written")
		return nil
	}
	lines := map[string]bool{}
	if old, err := os.ReadFile(dest); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(old))
		for sc.Scan() {
			if sc.Text() != "" {
				lines[sc.Text()] = true
			}
		}
	}
	for _, f := range files {
		lines[f.SHA256+"  "+f.Name] = true
	}
	sorted := slices.Sorted(maps.Keys(lines))
	return atomicfile.Write(dest, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(sorted, "\n")+"\n")
		return err
	})
}

// releaseName is the GitHub Release's title; a withdrawn release's says so first.
func releaseName(rec *Record) string {
	name := fmt.Sprintf("%s/%s %s", rec.Org, rec.Source, rec.Release.Version)
	if rec.Withdrawn != nil {
		name = "Withdrawn: " + capText(oneLine(rec.Withdrawn.Reason), 120) + " — " + name
	}
	return name
}

// withdrawnNotice is the WITHDRAWN file put beside the bundle.
func withdrawnNotice(rec *Record) []byte {
	return []byte(fmt.Sprintf("Withdrawn: %s\n\n%s/%s %s was withdrawn on %s. Do not load it.\n",
		oneLine(rec.Withdrawn.Reason), rec.Org, rec.Source, rec.Release.Version, rec.Withdrawn.At.UTC().Format(timeLayout)))
}

// Withdraw takes a published release back: the record and status say so, a WITHDRAWN
// notice goes beside its bundle (shepherd verify reports it), and its GitHub Release is
// renamed "Withdrawn: why", its notes say so first, and it is kept off "latest". Run again
// with the same reason it changes nothing; a new reason replaces the old one. The
// reject outcome of a staged rollout calls it too.
func (e *Env) Withdraw(ctx context.Context, version, reason string) (rec *Record, err error) {
	reason = oneLine(reason)
	switch {
	case reason == "":
		return nil, errors.New("a withdrawal needs a reason: it heads the GitHub Release and the status")
	case len(reason) > maxWithdrawReason:
		return nil, fmt.Errorf("the reason is %d bytes; at most %d", len(reason), maxWithdrawReason)
	}
	t, err := e.find(ctx, version)
	if err != nil {
		return nil, err
	}
	err = e.withLease(ctx, version, LeaseWithdraw, leaseWait, func() error {
		if t, err = e.find(ctx, version); err != nil { // as it is now the run holds it
			return err
		}
		rec, err = e.withdrawHolding(ctx, t, reason)
		return err
	})
	if rec == nil {
		rec = t.rec
	}
	return rec, err
}

func (e *Env) withdrawHolding(ctx context.Context, t *tracked, reason string) (*Record, error) {
	rec, version := t.rec, t.rec.Release.Version
	if rec.UploadedAt.IsZero() {
		return rec, fmt.Errorf("release %s has published nothing (phase %s): there is nothing to withdraw", version, rec.Release.Phase)
	}
	if rec.Withdrawn == nil || rec.Withdrawn.Reason != reason {
		at := e.Now()
		if rec.Withdrawn != nil {
			at = rec.Withdrawn.At
		}
		rec.Withdrawn = &Withdrawal{At: at, Reason: reason}
	}
	if rec.RemovedAt.IsZero() {
		key, err := store.ReleaseKey(e.Config.Storage.Prefix, version, bundle.WithdrawnFile)
		if err != nil {
			return rec, err
		}
		notice := withdrawnNotice(rec)
		err = e.act("upload "+key, func() error {
			_, err := e.Store.Put(ctx, key, bytes.NewReader(notice), int64(len(notice)), store.SHA256Hex(notice), contentType(key))
			return err
		})
		if err != nil {
			return rec, fmt.Errorf("upload the withdrawal notice: %w", err)
		}
	}
	if rec.Tag != "" {
		text, err := e.releaseText(ctx, rec)
		if err != nil {
			return rec, err
		}
		err = e.act("mark the GitHub Release "+rec.Tag+" withdrawn", func() error {
			_, _, err := e.GitHub.WithdrawRelease(ctx, rec.Tag, releaseName(rec), text)
			return err
		})
		if err != nil {
			return rec, fmt.Errorf("mark the GitHub Release withdrawn: %w", err)
		}
	}
	e.Log.Info("release withdrawn", "release", version, "reason", reason)
	return rec, e.save(ctx, t)
}
