package docstest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/manifest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
)

// Why a command cannot run here. Each is a reason a reader would accept.
const (
	mention     = "a command named in prose; its full form is shown, and classified, elsewhere"
	needsGitHub = "talks to a real GitHub repository (and OCL) with its secrets; the steps run against the fakes in internal/steps and the demo"
	needsMinIO  = "administers a real MinIO server with its admin credentials"
	wholeSuite  = "runs the whole test suite, this test included (CI runs it)"
	benchmark   = "a CIEL-scale benchmark that takes most of an hour (docs/performance.md)"
	distBuild   = "cross-compiles Shepherd for every platform, minutes of work; internal/dist tests the archives"
	makeBuild   = "builds bin/shepherd in the checkout; this test builds the same binary with go build"
	inARunner   = "runs inside a GitHub Actions runner (GITHUB_* variables, the event file); the actions' tests run it so"
	credentials = "sets credentials (secrets) for the commands that talk to GitHub, OCL and the bucket"
	loadTest    = "needs MariaDB and Liquibase; internal/export's load tests run it"
	releasing   = "a maintainer's release of Shepherd itself: rewrites the workflows, commits, tags or pushes"
	cielDemo    = "the demo at CIEL scale, a measurement of several minutes; the demo runs here at tiny scale"
	inTheModule = "a test of Shepherd's own packages, run in its checkout; make test runs it"
	online      = "reads a release from a web server or GitHub; internal/bundle's tests serve a bundle over HTTP and internal/steps reads one from MinIO by its presigned link"
)

// scratch is what a runnable command needs in its scratch folder before it runs.
type scratch int

const (
	empty   scratch = iota // an empty folder
	repo                   // `shepherd init` and `shepherd new --version v2026-11-22` done
	exports                // two tiny OCL exports: old.zip and new.zip (a later release)
	bundled                // the tiny demo's signed bundle, unpacked here and in v2026-11-22/, with allowed_signers
)

// verdict is how the test treats one command the docs show: run (the command line run
// here in a scratch folder, "" for the command as written) or skip (why it cannot run).
type verdict struct {
	run  string
	in   scratch
	skip string
	asIs bool // run exactly as written
}

// asWritten runs the command exactly as the docs show it.
func asWritten(in scratch) verdict { return verdict{asIs: true, in: in} }

// as runs the concrete form of a synopsis.
func as(command string, in scratch) verdict { return verdict{run: command, in: in} }

func cannot(reason string) verdict { return verdict{skip: reason} }

// commands classifies every command README.md and docs/*.md show, by its text (white
// space collapsed, a trailing "# comment" of a shell block dropped, "\|" of a table read
// as "|"). `go run ./bot` runs the binary built once for the test, as `shepherd` does.
var commands = map[string]verdict{
	// README.md
	"go run ./bot demo": as("go run ./bot demo --scale tiny --out demo", empty),
	"make test":         cannot(wholeSuite),
	"make":              cannot(mention),
	"shepherd init":     cannot(mention),
	"shepherd init [--org ORG --source SOURCE] [--app] [--fork] [--force] [DIR]": as("shepherd init --org CIEL --source CIEL --app .", empty),
	"shepherd new [--version vYYYY-MM-DD]":                                       as("shepherd new --version v2026-12-01", repo),
	"shepherd validate [FILES]":                                                  as("shepherd validate .github/shepherd.yaml releases/v2026-11-22.yaml", repo),
	"shepherd qa --export FILE":                                                  as("shepherd qa --export old.zip --out report.md", exports),
	"shepherd export --export FILE --format openmrs-1.11,openmrs-2 --out DIR":    as("shepherd export --export old.zip --format openmrs-1.11,openmrs-2 --out sql", exports),
	"shepherd changelog OLD NEW [--format md|html|json] [--out FILE]":            as("shepherd changelog old.zip new.zip --format html --out changes.html", exports),
	"shepherd start-release":                                                     cannot(needsGitHub),
	"shepherd doctor [--repo OWNER/NAME] [--format text|json]":                   cannot(needsGitHub),
	"shepherd --version":                                                         asWritten(empty),
	"shepherd version":                                                           asWritten(empty),
	"shepherd --help":                                                            asWritten(empty),
	"shepherd COMMAND -h":                                                        as("shepherd validate -h", empty),
	"make build":                                                                 cannot(makeBuild),
	"make dist VERSION=v1.2.3":                                                   cannot(distBuild),
	"shepherd action <step>":                                                     cannot(inARunner),
	"make bench":                                                                 cannot(benchmark),
	"shepherd unlock --version vYYYY-MM-DD [--force]":                            cannot(needsGitHub),
	"shepherd unlock --version vYYYY-MM-DD":                                      cannot(needsGitHub),
	"shepherd unlock":                                                            cannot(mention),
	"shepherd maintenance on|off|status [--reason TEXT]":                         as(`shepherd maintenance on --reason "OCL upgrade" && shepherd maintenance status && shepherd maintenance off`, repo),
	"shepherd pin VERSION":                                                       as("shepherd pin v1.4.0 && grep -q janitor.yml@v1.4.0 .github/workflows/shepherd-janitor.yml", repo),
	"shepherd pin v1.4.0":                                                        asWritten(repo),
	"shepherd wait-idle [--timeout 30m]":                                         cannot(needsGitHub),
	"shepherd wait-idle --repo OWNER/NAME":                                       cannot(needsGitHub),
	"shepherd wait-idle --timeout 45m":                                           cannot(needsGitHub),
	"shepherd maintenance off":                                                   as("shepherd maintenance on && shepherd maintenance off", repo),
	"shepherd maintenance on":                                                    as("shepherd maintenance on && shepherd maintenance status", repo),

	// docs/*.md
	"shepherd qa --export": cannot(mention),
	"shepherd doctor":      cannot(mention),
	"shepherd export":      cannot(mention),
	"shepherd poll":        cannot(mention),
	"shepherd new":         cannot(mention),
	"shepherd status":      cannot(mention),
	"go build -o /tmp/shepherd ./bot && /tmp/shepherd demo --scale ciel --out /tmp/site-ciel": cannot(cielDemo),
	"shepherd status --all":          cannot(needsGitHub),
	"shepherd status --all [--json]": cannot(needsGitHub),
	"shepherd site --out DIR":        cannot(needsGitHub),
	"shepherd site --out site":       cannot(needsGitHub),
	"mkdir -p /tmp/site-test && go test -count=1 -artifacts -outputdir /tmp/site-test -run TestSiteInChromium -v ./internal/site/": cannot(inTheModule),
	"go test -run '^$' -bench BuildCIELHistory -benchtime 5x ./internal/site/":                                                     cannot(inTheModule),
	"shepherd validate": asWritten(repo),
	"go run ./bot":      cannot(mention),
	"go run ./bot …":    cannot(mention),
	"go run ./bot doctor --repo openmrs/ciel-releases":                                cannot(needsGitHub),
	"go run ./bot doctor --repo openmrs/ciel-releases --format json":                  cannot(needsGitHub),
	"shepherd export --load-test DSN --liquibase PATH":                                cannot(loadTest),
	"shepherd start-release [--version vYYYY-MM-DD]":                                  cannot(needsGitHub),
	"shepherd preview --pr N [--fork]":                                                cannot(needsGitHub),
	"shepherd merge --version vYYYY-MM-DD [--sha COMMIT]":                             cannot(needsGitHub),
	"shepherd poll [--version vYYYY-MM-DD]":                                           cannot(needsGitHub),
	"shepherd retry --version vYYYY-MM-DD":                                            cannot(needsGitHub),
	"shepherd janitor":                                                                cannot(needsGitHub),
	"shepherd status --version vYYYY-MM-DD [--json]":                                  cannot(needsGitHub),
	"shepherd doctor [--format json]":                                                 cannot(needsGitHub),
	"shepherd doctor --repo openmrs/ciel-releases":                                    cannot(needsGitHub),
	"shepherd doctor --repo openmrs/ciel-releases --format json":                      cannot(needsGitHub),
	"go run ./bot doctor --config PATH/TO/shepherd.yaml --repo openmrs/ciel-releases": cannot(needsGitHub),
	"shepherd poll --version":                                                         cannot(mention),
	"shepherd freeze [--pr N]":                                                        cannot(needsGitHub),
	"shepherd init --force":                                                           asWritten(repo),
	"shepherd changelog OLD.zip NEW.zip --format json":                                as("shepherd changelog old.zip new.zip --format json", exports),
	"shepherd init --org CIEL --source CIEL":                                          asWritten(empty),
	"go run ./bot init --fork .":                                                      asWritten(empty),
	"export GITHUB_REPOSITORY=openmrs/ciel-releases":                                  cannot(credentials),
	"export GITHUB_TOKEN=…":                                                           cannot(credentials),
	"export OCL_TOKEN=…":                                                              cannot(credentials),
	"export SHEPHERD_S3_ACCESS_KEY=… SHEPHERD_S3_SECRET_KEY=…":                        cannot(credentials),
	"SHEPHERD_BENCH_EXPORT=/tmp/ciel.zip go test -run X -bench BenchmarkChangelogCIELScale -benchtime=1x ./internal/changelog/": cannot(benchmark),
	"scripts/pin-actions.sh v1.2.3": cannot(releasing),
	`scripts/pin-actions.sh v1.2.3 && git commit -am "Shepherd v1.2.3" && git tag v1.2.3`: cannot(releasing),
	"git push origin v1.2.3": cannot(releasing),
	`scripts/pin-actions.sh main && git commit -am "Back to main"`: cannot(releasing),
	"make dist": cannot(distBuild),
	"mc ilm rule add --prefix releases/ --expire-days 22 shepherd/ciel-releases": cannot(needsMinIO),
	"mc alias set shepherd https://minio.example.org ADMIN_USER ADMIN_PASSWORD":  cannot(needsMinIO),
	"mc mb shepherd/releases":                                              cannot(needsMinIO),
	"mc admin policy create shepherd shepherd-release policy.json":         cannot(needsMinIO),
	`mc admin user add shepherd shepherd-bot "$(openssl rand -hex 20)"`:    cannot(needsMinIO),
	"mc admin policy attach shepherd shepherd-release --user shepherd-bot": cannot(needsMinIO),

	// The offline bundle and its signature (docs/integrity.md).
	"shepherd verify":                cannot(mention),
	"go run ./bot demo --scale ciel": cannot(benchmark),
	"go test -run X -bench BenchmarkAssembleAndVerifyCIELScale -benchtime=3x ./internal/bundle/":                                     cannot(inTheModule),
	"shepherd verify PATH|URL --allowed-signers FILE":                                                                                as("shepherd verify v2026-11-22-bundle.tar.gz --allowed-signers allowed_signers", bundled),
	"shepherd verify artifacts/<version>-bundle.tar.gz --allowed-signers demo-allowed_signers":                                       as("shepherd verify v2026-11-22-bundle.tar.gz --allowed-signers allowed_signers", bundled),
	"shepherd verify v2026-11-22-bundle.tar.gz --allowed-signers allowed_signers":                                                    asWritten(bundled),
	"shepherd verify v2026-11-22/ --allowed-signers allowed_signers":                                                                 asWritten(bundled),
	"shepherd verify https://downloads.example.org/releases/v2026-11-22/v2026-11-22-bundle.tar.gz --allowed-signers allowed_signers": cannot(online),
	"ssh-keygen -Y verify -f /path/to/trusted/allowed_signers -I releases@ciel -n sha256sums@shepherd-release -s SHA256SUMS.sig < SHA256SUMS": as(
		"ssh-keygen -Y verify -f allowed_signers -I demo-key@shepherd-demo.invalid -n sha256sums@shepherd-release -s SHA256SUMS.sig < SHA256SUMS", bundled),
	"sha256sum -c SHA256SUMS": asWritten(bundled),
	`ssh-keygen -t ed25519 -N "" -C "CIEL releases 2026" -f ciel-release-2026`:  asWritten(empty),
	`shepherd withdraw VERSION "why"`:                                           cannot(needsGitHub),
	`shepherd withdraw v2026-11-22 "CD4 count has the wrong units" [--dry-run]`: cannot(needsGitHub),
	"shepherd retry --version v…":                                               cannot(needsGitHub),
	"gh attestation verify v2026-11-22-bundle.tar.gz --repo CIEL/ciel-releases": cannot(online),
}

// shepherdBin is the binary built once for every command the test runs.
var shepherdBin string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "docstest-bin-")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		shepherdBin = filepath.Join(dir, "shepherd")
		build := exec.Command("go", "build", "-o", shepherdBin, "./bot")
		build.Dir = repoRoot()
		if out, err := build.CombinedOutput(); err != nil {
			os.Stderr.Write(out)
			panic("building shepherd: " + err.Error())
		}
		return m.Run()
	}())
}

// repoRoot is the module's root, two folders up from this package.
func repoRoot() string {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	return root
}

// docCommand is one command a document shows, and where.
type docCommand struct {
	text  string // normalised: the key of commands
	place string // file:line
}

// docFiles are the documents whose commands must run: README.md and docs/*.md.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(), "docs", "*.md"))
	require.NoError(t, err)
	return append([]string{filepath.Join(repoRoot(), "README.md")}, files...)
}

var (
	fence          = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([A-Za-z]*)")
	inlineCode     = regexp.MustCompile("`([^`\\n]+(?:\\n[^`\\n]+)*)`")
	inlineCommand  = regexp.MustCompile(`^(shepherd\s|go run \./bot(\s|$)|make(\s|$))`)
	trailingRemark = regexp.MustCompile(`\s+#\s.*$`)
	shellInfo      = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true}
)

// normalise collapses white space and reads a table's escaped "\|" as "|".
func normalise(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, `\|`, "|")), " ")
}

// extract lists the commands of one Markdown document: every line of a shell block
// (console blocks: the lines after "$ "), and every inline code span that starts with
// `shepherd `, `go run ./bot` or `make`; and the YAML blocks, for the examples test.
func extract(t *testing.T, file string) (cmds []docCommand, yamlBlocks []docCommand) {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	rel, _ := filepath.Rel(repoRoot(), file)
	lines := strings.Split(string(data), "\n")
	var prose strings.Builder // the text outside blocks, blocks blanked to keep line numbers
	var info, marker string
	var block []string
	blockStart := 0
	pending, pendingAt := "", 0 // a shell command continued on the next line
	for i, line := range lines {
		if m := fence.FindStringSubmatch(line); m != nil && (marker == "" || strings.HasPrefix(m[1], marker)) {
			if marker == "" {
				marker, info, block, blockStart = m[1], strings.ToLower(m[2]), nil, i+1
			} else {
				if info == "yaml" || info == "yml" {
					yamlBlocks = append(yamlBlocks, docCommand{text: strings.Join(block, "\n") + "\n", place: placeOf(rel, blockStart)})
				}
				marker = ""
			}
			prose.WriteString("\n")
			continue
		}
		if marker != "" {
			prose.WriteString("\n")
			block = append(block, line)
			if shellInfo[info] {
				// A line ending in a backslash goes on on the next one.
				if cont, ok := strings.CutSuffix(strings.TrimRight(line, " \t"), "\\"); ok {
					if pending == "" {
						pendingAt = i + 1
					}
					pending += cont + " "
					continue
				}
				at := i + 1
				if pending != "" {
					line, at, pending = pending+strings.TrimSpace(line), pendingAt, ""
				}
				cmds = append(cmds, shellCommand(info, line, placeOf(rel, at))...)
			}
			continue
		}
		prose.WriteString(line + "\n")
	}
	text := prose.String()
	for _, loc := range inlineCode.FindAllStringSubmatchIndex(text, -1) {
		span := normalise(text[loc[2]:loc[3]])
		if inlineCommand.MatchString(span) {
			cmds = append(cmds, docCommand{text: span, place: placeOf(rel, strings.Count(text[:loc[0]], "\n")+1)})
		}
	}
	return cmds, yamlBlocks
}

// shellCommand reads one line of a shell block: comments and blank lines are not
// commands, a trailing "# remark" is not part of one.
func shellCommand(info, line, place string) []docCommand {
	line = strings.TrimSpace(line)
	if info == "console" {
		var ok bool
		if line, ok = strings.CutPrefix(line, "$ "); !ok {
			return nil // output, not a command
		}
	}
	if line == "" || strings.HasPrefix(line, "#") {
		return nil
	}
	return []docCommand{{text: normalise(trailingRemark.ReplaceAllString(line, "")), place: place}}
}

func placeOf(file string, line int) string { return file + ":" + strconv.Itoa(line) }

// The extraction reads commands as a reader of the rendered page would.
func TestExtractReadsShellBlocksAndInlineCommands(t *testing.T) {
	doc := "# Title\n\n" +
		"```sh\n# a comment\nshepherd demo --scale tiny   # a remark\nshepherd qa \\\n  --export x.zip\n```\n" +
		"```console\n$ shepherd --version\nshepherd dev (commit unknown)\n```\n" +
		"```yaml\nversion: v2026-11-22\n```\n" +
		"| `shepherd changelog OLD NEW [--format md\\|json]` | a row |\n" +
		"Run `shepherd retry --version\nvYYYY-MM-DD` or `make`; the `shepherd` label is no command.\n"
	file := filepath.Join(t.TempDir(), "doc.md")
	require.NoError(t, os.WriteFile(file, []byte(doc), 0o644))
	cmds, blocks := extract(t, file)
	var got []string
	for _, c := range cmds {
		got = append(got, c.text+" @"+c.place[strings.LastIndex(c.place, ":")+1:])
	}
	assert.Equal(t, []string{
		"shepherd demo --scale tiny @5",
		"shepherd qa --export x.zip @6",
		"shepherd --version @10",
		"shepherd changelog OLD NEW [--format md|json] @16",
		"shepherd retry --version vYYYY-MM-DD @17",
		"make @18",
	}, got)
	require.Len(t, blocks, 1)
	assert.Equal(t, "version: v2026-11-22\n", blocks[0].text)
}

// allCommands is every command of every document, by its text, with every place it is shown.
func allCommands(t *testing.T) (map[string][]string, []docCommand) {
	t.Helper()
	found := map[string][]string{}
	var yamlBlocks []docCommand
	for _, f := range docFiles(t) {
		cmds, blocks := extract(t, f)
		for _, c := range cmds {
			found[c.text] = append(found[c.text], c.place)
		}
		yamlBlocks = append(yamlBlocks, blocks...)
	}
	return found, yamlBlocks
}

// A command shown in the docs is either run below or listed with why it cannot run here.
func TestEveryDocCommandIsClassified(t *testing.T) {
	found, _ := allCommands(t)
	require.Greater(t, len(found), 20, "the extraction finds the docs' commands")
	var missing []string
	for text, places := range found {
		if _, ok := commands[text]; !ok {
			missing = append(missing, places[0]+": "+text)
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "commands the docs show that the test neither runs nor excuses: "+
		"add each to commands in internal/docstest/docs_test.go, run here (asWritten, as) or with why it cannot run here (cannot)")
	for text, v := range commands {
		assert.True(t, v.skip != "" || v.asIs || v.run != "", "%q: run it or give a reason", text)
		if words := strings.Fields(text); v.run != "" && strings.ToUpper(words[1]) != words[1] {
			// The concrete form is the same command as the synopsis it stands for (unless
			// the synopsis names no command, like "shepherd COMMAND -h").
			assert.Equal(t, words[:2], strings.Fields(v.run)[:2], "%q runs as %q", text, v.run)
		}
	}
}

// Every runnable command the docs show exits 0 here, in a scratch folder.
func TestDocCommandsRun(t *testing.T) {
	found, _ := allCommands(t)
	var runnable []string
	for text := range found {
		if v, ok := commands[text]; ok && v.skip == "" {
			runnable = append(runnable, text)
		}
	}
	sort.Strings(runnable)
	require.NotEmpty(t, runnable)
	for _, text := range runnable {
		v := commands[text]
		line := text
		if !v.asIs {
			line = v.run
		}
		t.Run(line, func(t *testing.T) {
			dir := t.TempDir()
			prepare(t, dir, v.in)
			out, err := shell(t, dir, line)
			require.NoError(t, err, "%s (shown at %s) failed:\n%s", line, strings.Join(found[text], ", "), out)
		})
	}
}

// The configuration and manifest examples of the docs pass `shepherd validate`.
func TestDocYAMLExamplesValidate(t *testing.T) {
	_, blocks := allCommands(t)
	version := regexp.MustCompile(`(?m)^version:\s*(v\d{4}-\d{2}-\d{2})\s*$`)
	checked := 0
	for _, b := range blocks {
		kind, _ := manifest.KindOf("example.yaml", []byte(b.text))
		var file string
		switch kind {
		case manifest.KindConfig:
			file = manifest.ConfigPath
		case manifest.KindManifest:
			m := version.FindStringSubmatch(b.text)
			require.NotNil(t, m, "%s: a manifest example names its version", b.place)
			file = manifest.ManifestPath(m[1])
		default:
			continue // a workflow or another file's example
		}
		checked++
		t.Run(b.place, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(file)), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, file), []byte(b.text), 0o644))
			out, err := shell(t, dir, "shepherd validate "+file)
			require.NoError(t, err, "the example at %s does not validate:\n%s", b.place, out)
		})
	}
	assert.GreaterOrEqual(t, checked, 5, "the docs' configuration and manifest examples are found")
}

// prepare fills a scratch folder with what a command needs.
func prepare(t *testing.T, dir string, in scratch) {
	t.Helper()
	switch in {
	case repo:
		for _, c := range []string{"shepherd init --org CIEL --source CIEL .", "shepherd new --version v2026-11-22"} {
			out, err := shell(t, dir, c)
			require.NoError(t, err, "%s: %s", c, out)
		}
	case bundled:
		c := "shepherd demo --scale tiny --out .demo >/dev/null && tar -xzf .demo/artifacts/v2026-11-22-bundle.tar.gz && cp v2026-11-22/* . && " +
			"cp .demo/artifacts/v2026-11-22-bundle.tar.gz .demo/artifacts/v2026-11-22-bundle.tar.gz.sha256 . && cp .demo/demo-allowed_signers allowed_signers"
		out, err := shell(t, dir, c)
		require.NoError(t, err, "%s: %s", c, out)
	case exports:
		_, err := dataset.WriteExportFile(filepath.Join(dir, "old.zip"), dataset.Tiny, "v2026-11-01")
		require.NoError(t, err)
		later := dataset.Tiny
		later.Concepts += 5
		_, err = dataset.WriteExportFile(filepath.Join(dir, "new.zip"), later, "v2026-12-01")
		require.NoError(t, err)
	}
}

// shell runs a command line with sh in dir, `shepherd` and `go run ./bot` both being the
// binary built for the test, and only what a person's shell would have besides.
func shell(t *testing.T, dir, line string) (string, error) {
	t.Helper()
	line = strings.ReplaceAll(line, "go run ./bot", "shepherd")
	cmd := exec.CommandContext(t.Context(), "sh", "-c", line)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + filepath.Dir(shepherdBin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"LANG=C.UTF-8",
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
