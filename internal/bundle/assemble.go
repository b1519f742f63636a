package bundle

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/sshsig"
)

// Release is everything a release's files and bundle are made from.
type Release struct {
	Source  string // ORG/SOURCE
	Version string
	// Created is the release's recorded time: manifest.json's created, every bundle
	// entry's time, and the time the signing key must be valid at.
	Created time.Time
	Expires time.Time
	// Dir holds the artifacts; the other files are written there too.
	Dir       string
	Artifacts []export.Artifact
	Counts    *export.Counts
	QA        any
	// Documents are the other files of the release — QA reports, the changelog, the data
	// BOM — by name. RUNBOOK.md and index.html are written here, not given.
	Documents []Entry
	// Signing signs SHA256SUMS; nil leaves the release unsigned.
	Signing *Signing
}

// Signing is the key and the allowed signers it must be one of.
type Signing struct {
	Key     ssh.Signer
	Allowed *sshsig.AllowedSigners
	// AllowedText is the allowed_signers file as published with the release.
	AllowedText []byte
}

// Assembled is what Assemble wrote.
type Assembled struct {
	// Files are every file to publish one by one: the artifacts, manifest.json, the
	// documents, RUNBOOK.md, index.html, allowed_signers, SHA256SUMS and its signature.
	Files []export.Artifact
	// Bundle is the bundle, and BundleSum its checksum line beside it.
	Bundle, BundleSum export.Artifact
	Signer            *Signer
}

// SigningError says the key may not sign the release.
type SigningError struct{ Err error }

func (e *SigningError) Error() string {
	return "the signing key may not sign this release: " + e.Err.Error()
}
func (e *SigningError) Unwrap() error { return e.Err }

// CheckSigning finds the allowed signer of s's key at time at, or says why the key may
// not sign (not listed, other namespaces, outside its validity).
func CheckSigning(s *Signing, at time.Time) (*Signer, error) {
	found, err := s.Allowed.Check(s.Key.PublicKey(), sshsig.Namespace, at)
	if err != nil {
		return nil, err
	}
	return &Signer{Principal: found.Principals[0], Fingerprint: sshsig.Fingerprint(s.Key.PublicKey())}, nil
}

// Assemble writes the release's files into r.Dir — manifest.json, the documents,
// RUNBOOK.md, index.html, allowed_signers, SHA256SUMS over all of them and the artifacts,
// SHA256SUMS.sig — and the bundle of them all. The same Release gives the same bytes.
func Assemble(r Release) (*Assembled, error) {
	out := &Assembled{}
	if r.Signing != nil {
		s, err := CheckSigning(r.Signing, r.Created)
		if err != nil {
			return nil, &SigningError{Err: err}
		}
		out.Signer = s
	}
	reserved := []string{SumsFile, SignatureFile, AllowedSignersFile, ManifestFile, RunbookFile, IndexFile, WithdrawnFile}
	names := map[string]bool{}
	for _, a := range r.Artifacts {
		names[a.Name] = true
	}
	for _, d := range r.Documents {
		if slices.Contains(reserved, d.Name) || names[d.Name] {
			return nil, fmt.Errorf("document %s: the name is taken by another file of the release", d.Name)
		}
		names[d.Name] = true
	}
	if err := export.WriteManifest(r.Dir, export.ReleaseManifest{Source: r.Source, Version: r.Version, Created: r.Created,
		Expires: r.Expires, Counts: r.Counts, QA: r.QA, Files: r.Artifacts}); err != nil {
		return nil, err
	}
	files := slices.Clone(r.Artifacts)
	add := func(name string, data []byte) error {
		p := filepath.Join(r.Dir, name)
		if err := writeFile(p, data); err != nil {
			return err
		}
		a, err := describe(p, name)
		if err != nil {
			return err
		}
		files = append(files, a)
		return nil
	}
	m, err := describe(filepath.Join(r.Dir, ManifestFile), ManifestFile)
	if err != nil {
		return nil, err
	}
	files = append(files, m)
	for _, d := range r.Documents {
		data := d.Data
		if d.Path != "" {
			if data, err = os.ReadFile(d.Path); err != nil {
				return nil, fmt.Errorf("document %s: %w", d.Name, err)
			}
		}
		if err := add(d.Name, data); err != nil {
			return nil, err
		}
	}
	if r.Signing != nil {
		if err := add(AllowedSignersFile, r.Signing.AllowedText); err != nil {
			return nil, err
		}
	}
	info := Info{Source: r.Source, Version: r.Version, Created: r.Created, Counts: r.Counts, Signer: out.Signer}
	// In name order, whatever order the build gave: the runbook is part of the signed files.
	for _, a := range sortedFiles(r.Artifacts) {
		info.Artifacts = append(info.Artifacts, File{Name: a.Name, Format: a.Format, Size: a.Size, SHA256: a.SHA256})
	}
	if err := add(RunbookFile, Runbook(info)); err != nil {
		return nil, err
	}
	for _, f := range sortedFiles(files) {
		info.Files = append(info.Files, File{Name: f.Name, Format: f.Format, Size: f.Size, SHA256: f.SHA256})
	}
	if err := add(IndexFile, IndexHTML(info)); err != nil {
		return nil, err
	}
	if err := export.WriteChecksums(r.Dir, files); err != nil {
		return nil, err
	}
	sums, err := describe(filepath.Join(r.Dir, SumsFile), SumsFile)
	if err != nil {
		return nil, err
	}
	files = append(files, sums)
	if r.Signing != nil {
		data, err := os.ReadFile(sums.Path)
		if err != nil {
			return nil, err
		}
		sig, err := sshsig.Sign(r.Signing.Key, sshsig.Namespace, bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		if err := add(SignatureFile, sig); err != nil {
			return nil, err
		}
	}
	out.Files = sortedFiles(files)
	entries := make([]Entry, len(out.Files))
	for i, f := range out.Files {
		entries[i] = Entry{Name: f.Name, Path: f.Path}
	}
	bundlePath := filepath.Join(r.Dir, FileName(r.Version))
	res, err := WriteFile(bundlePath, r.Version, r.Created, entries)
	if err != nil {
		return nil, err
	}
	out.Bundle = export.Artifact{Name: FileName(r.Version), Path: res.Path, Size: res.Size, SHA256: res.SHA256}
	if out.BundleSum, err = WriteChecksumFile(r.Dir, r.Version, res.SHA256); err != nil {
		return nil, err
	}
	return out, nil
}

// WriteChecksumFile writes the bundle's checksum line beside it, in sha256sum's format.
func WriteChecksumFile(dir, version, bundleSHA256 string) (export.Artifact, error) {
	p := filepath.Join(dir, ChecksumFileName(version))
	if err := writeFile(p, []byte(bundleSHA256+"  "+FileName(version)+"\n")); err != nil {
		return export.Artifact{}, err
	}
	return describe(p, ChecksumFileName(version))
}

func sortedFiles(files []export.Artifact) []export.Artifact {
	out := slices.Clone(files)
	slices.SortFunc(out, func(a, b export.Artifact) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func writeFile(path string, data []byte) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func describe(path, name string) (export.Artifact, error) {
	f, err := os.Open(path)
	if err != nil {
		return export.Artifact{}, err
	}
	defer f.Close()
	c, err := digest(f, false)
	if err != nil {
		return export.Artifact{}, err
	}
	return export.Artifact{Name: name, Path: path, Size: c.size, SHA256: c.sha256}, nil
}
