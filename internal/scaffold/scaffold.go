// Package scaffold writes a new release repository: the configuration with every field
// listed, the caller workflows pinned to one version of Shepherd, releases/README.md and
// a suggested CODEOWNERS. `shepherd init` is its command.
package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/buildinfo"
)

// The templates use [[ ]] so that the workflows' own ${{ }} expressions stay as written.
//
//go:embed all:templates
var templates embed.FS

// Repository is where Shepherd's reusable workflows and actions live.
const Repository = "shepherd-release/shepherd"

// DevRef is the ref a development build pins the workflows to: it has no release tag of
// its own, and the actions build Shepherd from source at a branch.
const DevRef = "main"

// OCLStaging is OCL's staging API, where a new repository starts; production is
// https://api.openconceptlab.org.
const OCLStaging = "https://api.staging.openconceptlab.org"

// Workflows are the caller workflows a release repository runs, as init writes them into
// .github/workflows/.
var Workflows = []string{"shepherd-release-pr.yml", "shepherd-release.yml", "shepherd-start-release.yml",
	"shepherd-export-poll.yml", "shepherd-janitor.yml", "shepherd-freeze.yml", "shepherd-backport.yml", "shepherd-site.yml",
	"shepherd-command.yml", "shepherd-maintenance-update.yml"}

// Options say what to write.
type Options struct {
	// Org and Source are the OCL org and source the repository releases.
	Org, Source string
	// App uncomments the GitHub App settings in the configuration.
	App bool
	// Version is the running Shepherd's version (buildinfo.Version()); a release tag is
	// pinned as it is, anything else pins DevRef.
	Version string
	// Fork writes workflows for a fork of Shepherd's own repository: they call its own
	// reusable workflows (./.github/workflows/X.yml) at the same commit, unpinned.
	Fork bool
}

// File is one file to write, its path relative to the repository's root.
type File struct {
	Path string
	Data []byte
}

// Ref is the ref the workflows pin for a Shepherd of this version.
func Ref(version string) string {
	if buildinfo.IsRelease(version) {
		return version
	}
	return DevRef
}

// Files renders every file of a new release repository.
func Files(o Options) ([]File, error) {
	if o.Org == "" || o.Source == "" {
		return nil, errors.New("an OCL org and source are needed")
	}
	ref := Ref(o.Version)
	pin := fmt.Sprintf("Pinned to Shepherd %s, the version of the shepherd that wrote it; to upgrade, change the ref after @.", ref)
	if ref == DevRef {
		pin = fmt.Sprintf("Pinned to %s: the shepherd that wrote it was a development build (%s), not a release. At %s the actions build Shepherd from source on every run; pin a release tag like v1.2.3 instead.", DevRef, o.Version, DevRef)
	}
	workflows, at := Repository+"/.github/workflows", "@"+ref
	if o.Fork {
		workflows, at = "./.github/workflows", ""
		pin = "Calls this fork's own reusable workflows; the actions they use are pinned there (scripts/pin-actions.sh)."
	}
	data := map[string]any{
		"Org": o.Org, "Source": o.Source, "App": o.App, "OCLBaseURL": OCLStaging,
		"Workflows": workflows, "At": at, "PinNote": wrapComment(pin),
	}
	var files []File
	err := fs.WalkDir(templates, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text, err := templates.ReadFile(p)
		if err != nil {
			return err
		}
		t, err := template.New(path.Base(p)).Delims("[[", "]]").Option("missingkey=error").Parse(string(text))
		if err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		var out bytes.Buffer
		if err := t.Execute(&out, data); err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		files = append(files, File{Path: strings.TrimPrefix(p, "templates/"), Data: out.Bytes()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// wrapComment continues a long comment on further "# " lines of at most 90 characters.
func wrapComment(s string) string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > 88 {
			lines = append(lines, line)
			line = word
			continue
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	lines = append(lines, line)
	return strings.Join(lines, "\n# ")
}

// ExistsError lists the files that are there already and would be overwritten.
type ExistsError struct{ Paths []string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%d of the files exist already (%s); nothing was written: use --force to overwrite them",
		len(e.Paths), strings.Join(e.Paths, ", "))
}

// Write writes files under dir. Without force, when any of them exists, it writes none
// and returns an *ExistsError listing them all. Each file is written whole or not at all.
func Write(dir string, files []File, force bool) error {
	if !force {
		var exist []string
		for _, f := range files {
			if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f.Path))); err == nil {
				exist = append(exist, f.Path)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if len(exist) > 0 {
			return &ExistsError{Paths: exist}
		}
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(p, 0o644, f.Data); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	return nil
}
