package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/shepherd-release/shepherd/internal/atomicfile"
	"github.com/shepherd-release/shepherd/internal/changelog"
	"github.com/shepherd-release/shepherd/internal/ocl/exportfile"
)

const changelogSynopsis = "changelog OLD NEW [--format md|html|json] [--out FILE]"

// runChangelog compares two releases, each given as its export (zip or export.json) or
// as the concept index a release keeps (.index.gz).
func runChangelog(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "changelog", changelogSynopsis)
	format := fs.String("format", "md", "md, html or json (docs/changelog.md describes the JSON)")
	out := fs.String("out", "", "write to FILE (whole or not at all) instead of standard output")
	// Flags may come before, between or after the two files.
	var files []string
	for rest := args; ; {
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		files = append(files, rest[0])
		rest = rest[1:]
	}
	if len(files) != 2 {
		return usageError("want two files, the older release and the newer (%d given); usage: shepherd %s", len(files), changelogSynopsis)
	}
	if err := oneOf("format", *format, "md", "html", "json"); err != nil {
		return err
	}
	old, err := readRelease(ctx, files[0])
	if err != nil {
		return err
	}
	new, err := readRelease(ctx, files[1])
	if err != nil {
		return err
	}
	cl, err := changelog.Compare(old, new)
	if err != nil {
		return usageError("%s and %s: %v", files[0], files[1], err)
	}
	render := map[string]func(io.Writer) error{"md": cl.Markdown, "html": cl.HTML, "json": cl.JSON}[*format]
	if *out == "" {
		return render(env.stdout)
	}
	if err := atomicfile.Write(*out, 0o644, render); err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "%s\nwritten to %s\n", cl.Headline(), *out)
	return nil
}

// readRelease indexes an export, or reads a kept index (recognised by gzip's magic
// bytes). Any error is bad input, and names the file.
func readRelease(ctx context.Context, path string) (*changelog.Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError("%v", err)
	}
	magic := make([]byte, 2)
	n, _ := io.ReadFull(f, magic)
	f.Close()
	var ix *changelog.Index
	if n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		ix, err = changelog.ReadIndexFile(path)
	} else {
		ix, err = changelog.Build(ctx, path, exportfile.DefaultLimits)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		msg := err.Error()
		if !strings.Contains(msg, path) {
			msg = path + ": " + msg
		}
		return nil, usageError("%s", msg)
	}
	return ix, nil
}
