package bundle

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"maps"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/shepherd-release/shepherd/internal/export"
	"github.com/shepherd-release/shepherd/internal/sshsig"
	"github.com/shepherd-release/shepherd/internal/words"
)

// Info is what the runbook and the index say about a release.
type Info struct {
	Source  string // ORG/SOURCE
	Version string
	Created time.Time
	// Artifacts are the SQL files and script outputs, with their formats.
	Artifacts []File
	// Files are every file SHA256SUMS lists, artifacts included.
	Files  []File
	Counts *export.Counts
	// Signer names the key SHA256SUMS is signed with; nil when the release is unsigned.
	Signer *Signer
}

// File is one file of the release.
type File struct {
	Name   string
	Format string
	Size   int64
	SHA256 string
}

// Signer is the allowed signer whose key signed SHA256SUMS.
type Signer struct {
	Principal   string
	Fingerprint string
}

// VerifyCommand is the ssh-keygen command that checks the signature, run in the unpacked
// folder with the allowed_signers file the reader trusts.
func (i Info) VerifyCommand(allowedSigners string) string {
	principal := "PRINCIPAL"
	if i.Signer != nil {
		principal = i.Signer.Principal
	}
	return fmt.Sprintf("ssh-keygen -Y verify -f %s -I %s -n %s -s %s < %s", allowedSigners, principal, sshsig.Namespace, SignatureFile, SumsFile)
}

func (i Info) sqlArtifacts() []File {
	var out []File
	for _, a := range i.Artifacts {
		if a.Format == string(export.FormatOpenMRS111) || a.Format == string(export.FormatOpenMRS2) {
			out = append(out, a)
		}
	}
	return out
}

// countCheck is the SQL that compares each concept table with the release's counts.
func (i Info) countCheck() string {
	if i.Counts == nil {
		return ""
	}
	var parts []string
	for _, table := range slices.Sorted(maps.Keys(i.Counts.Rows)) {
		q, ok := export.CountQuery(table)
		if !ok {
			continue
		}
		select_, rest, _ := strings.Cut(q, " FROM ")
		parts = append(parts, fmt.Sprintf("SELECT '%s' AS `table`, %s AS `rows`, %d AS `expected` FROM %s", table, strings.TrimPrefix(select_, "SELECT "), i.Counts.Rows[table], rest))
	}
	return strings.Join(parts, "\nUNION ALL ")
}

func (i Info) tables() string {
	if i.Counts == nil {
		return ""
	}
	return strings.Join(slices.Sorted(maps.Keys(i.Counts.Rows)), " ")
}

var runbookTemplate = template.Must(template.New("runbook").Parse(`# Runbook: {{.Source}} {{.Version}}

Released {{.Created.UTC.Format "2006-01-02 15:04 UTC"}}. This runbook is written for this release's
own files; every command runs as written from the folder the bundle unpacks into
(` + "`tar -xzf {{.Version}}-bundle.tar.gz && cd {{.Version}}`" + `).

## 1. Check the files

Use an ` + "`allowed_signers`" + ` file you got from the dictionary's repository or documentation, not
the copy in this bundle: a copy inside the bundle proves nothing about who made it.
{{if .Signer}}
    shepherd verify {{.Version}}-bundle.tar.gz --allowed-signers /path/to/trusted/allowed_signers

or, with OpenSSH and coreutils alone, inside the unpacked folder:

    {{.VerifyCommand "/path/to/trusted/allowed_signers"}}
    sha256sum -c SHA256SUMS

ssh-keygen must print ` + "`Good \"" + `{{.Namespace}}` + "\" signature for {{.Signer.Principal}}`" + ` and sha256sum ` + "`OK`" + ` for
every file. The key is {{.Signer.Fingerprint}}. A key that has since been rotated out
(its ` + "`valid-before`" + ` passed) still verifies this release at the time it was signed: add
` + "`-Overify-time={{.Created.UTC.Format \"20060102150405\"}}Z`" + ` to the ssh-keygen command.
{{else}}
This release is **not signed**: its repository had no signing key configured. Check the
files against the checksums published on the GitHub Release:

    sha256sum -c SHA256SUMS
{{end}}
## 2. Back up the concept tables
{{if .SQL}}
Stop OpenMRS, then save the tables the SQL replaces:

    mysqldump --single-transaction -u openmrs -p openmrs {{.Tables}} > openmrs-concepts-before-{{.Version}}.sql

## 3. Load

Pick the file for your OpenMRS version:

| OpenMRS | file |
| --- | --- |
{{range .SQL}}| {{if eq .Format "openmrs-1.11"}}1.11{{else}}2.2 and later{{end}} | ` + "`{{.Name}}`" + ` |
{{end}}
    unzip -p {{(index .SQL 0).Name}} | mysql -u openmrs -p openmrs

If the load stops with an error, the dictionary is unchanged (the file runs in one
transaction); nothing needs rolling back.

## 4. Check the load

Count what the load brought into each table (rows kept only because a site may point at
them are left out, as in the release's own load test). Every ` + "`rows`" + ` must equal ` + "`expected`" + `:

    mysql -u openmrs -p openmrs <<'SQL'
{{.CountCheck}};
    SQL

Then start OpenMRS and rebuild the search index (Administration → Search Index → Rebuild).

## 5. Roll back

Stop OpenMRS and restore the tables saved in step 2:

    mysql -u openmrs -p openmrs < openmrs-concepts-before-{{.Version}}.sql

Start OpenMRS and rebuild the search index.
{{else}}
This release has no OpenMRS SQL file; see its artifacts' own instructions.
{{end}}`))

// Runbook writes RUNBOOK.md for the release: checking, backing up, loading, checking the
// load and rolling back, with this release's file names, versions and counts.
func Runbook(i Info) []byte {
	var b bytes.Buffer
	data := struct {
		Info
		Namespace, Tables, CountCheck string
		SQL                           []File
	}{i, sshsig.Namespace, i.tables(), indent(i.countCheck(), "    "), i.sqlArtifacts()}
	if err := runbookTemplate.Execute(&b, data); err != nil {
		panic(err) // the template and its data are fixed: a failure is a bug
	}
	return b.Bytes()
}

func indent(s, prefix string) string {
	if s == "" {
		return ""
	}
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

var indexTemplate = htmltemplate.Must(htmltemplate.New("index").Funcs(htmltemplate.FuncMap{"size": words.Size}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Source}} {{.Version}}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .3em .6em; text-align: left; }
code { font-size: .9em; word-break: break-all; } .warn { background: #fff3cd; padding: .5em 1em; }
</style>
</head>
<body>
<h1>{{.Source}} {{.Version}}</h1>
<p>Released {{.Created.UTC.Format "2006-01-02 15:04 UTC"}}.
{{if .Signer}}<code>SHA256SUMS</code> is signed by <strong>{{.Signer.Principal}}</strong> ({{.Signer.Fingerprint}}).{{else}}<span class="warn">This release is not signed.</span>{{end}}
Before loading anything, follow <a href="RUNBOOK.md">RUNBOOK.md</a>.</p>
<h2>Files</h2>
<table>
<tr><th>File</th><th>Size</th><th>SHA-256</th></tr>
{{range .Files}}<tr><td><a href="{{.Name}}">{{.Name}}</a></td><td>{{size .Size}}</td><td><code>{{.SHA256}}</code></td></tr>
{{end}}</table>
<h2>Check them</h2>
<pre>shepherd verify {{.Version}}-bundle.tar.gz --allowed-signers /path/to/trusted/allowed_signers</pre>
{{if .Signer}}<p>or, in this folder, with OpenSSH and coreutils alone:</p>
<pre>{{.VerifyCommand "/path/to/trusted/allowed_signers"}}
sha256sum -c SHA256SUMS</pre>{{end}}
<p>Take <code>allowed_signers</code> from the dictionary's repository or documentation, not from this folder.</p>
</body>
</html>
`))

// IndexHTML writes index.html: the release, its files with their checksums, and how to
// check them, for a person who opens the unpacked bundle from disk.
func IndexHTML(i Info) []byte {
	var b bytes.Buffer
	if err := indexTemplate.Execute(&b, i); err != nil {
		panic(err) // the template and its data are fixed: a failure is a bug
	}
	return b.Bytes()
}
