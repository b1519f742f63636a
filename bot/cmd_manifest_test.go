package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/manifest"
)

func TestValidateReportsEachProblemWithItsPosition(t *testing.T) {
	tests := []struct {
		name     string
		file     string // relative to a fresh folder
		content  string
		wantCode int
		want     string // the line printed for the file, after "<path>"
	}{
		{
			name: "valid", file: "releases/v2026-11-22.yaml", content: "version: v2026-11-22\nnotes: |\n  First release.\n",
			wantCode: exitOK, want: ": valid (release manifest, version v2026-11-22)",
		},
		{
			name: "malformed YAML", file: "releases/v2026-11-22.yaml", content: "version: v2026-11-22\nexports: [openmrs-2\n",
			wantCode: exitCannot, want: ":2:10: invalid YAML: sequence end token ']' not found",
		},
		{
			name: "tab indentation", file: "releases/v2026-11-22.yaml", content: "version: v2026-11-22\nsource:\n\torg: CIEL\n",
			wantCode: exitCannot, want: ":3:1: invalid YAML: found character '\\t' that cannot start any token",
		},
		{
			name: "non-UTF-8", file: "releases/v2026-11-22.yaml", content: "version: v2026-11-22\ndescription: caf\xe9 au lait\n",
			wantCode: exitCannot, want: ":2:17: invalid UTF-8 at byte 37 (0xe9): the file must be UTF-8 text",
		},
		{
			name: "unknown field", file: "releases/v2026-11-22.yaml", content: "version: v2026-11-22\nrelased: false\n",
			wantCode: exitCannot,
			want:     `:2:1: unknown field "relased", did you mean "released"? (known fields: version, description, released, major, source, exports, qa, notes, issue)`,
		},
		{
			name: "unknown nested field", file: "releases/v2026-11-22.yaml", content: "version: v2026-11-22\nsource:\n  org: CIEL\n  source: CIEL\n  sorce: CIEL\n",
			wantCode: exitCannot, want: `:5:3: source: unknown field "sorce", did you mean "source"? (known fields: org, source)`,
		},
		{
			name: "not a real date", file: "releases/v2026-02-30.yaml", content: "version: v2026-02-30\n",
			wantCode: exitCannot, want: `:1:10: version "v2026-02-30" is not a real date`,
		},
		{
			name: "no v", file: "next.yaml", content: "version: 2026-11-22\n",
			wantCode: exitCannot, want: `:1:10: version "2026-11-22" is not a version (expected v and a date, like v2026-11-22)`,
		},
		{
			name: "short month and day", file: "next.yaml", content: "# the next one\nversion:   v2026-1-2\n",
			wantCode: exitCannot, want: `:2:12: version "v2026-1-2" is not a version (expected v and a date, like v2026-11-22)`,
		},
		{
			name: "file name does not match the version", file: "releases/v2026-11-21.yaml", content: "version: v2026-11-22\n",
			wantCode: exitCannot,
			want:     `:1:10: version: "v2026-11-22" does not match the file name "v2026-11-21.yaml" (expected v2026-11-21, or rename the file to v2026-11-22.yaml)`,
		},
		{
			name: "file in releases/ not named like a version", file: "releases/next.yaml", content: "version: v2026-11-22\n",
			wantCode: exitCannot,
			want:     `:1:10: version: the file name "next.yaml" does not follow vYYYY-MM-DD.yaml, the only name the workflows pick up (expected "v2026-11-22.yaml" for version v2026-11-22)`,
		},
		{
			name: "empty file", file: "releases/v2026-11-22.yaml", content: "",
			wantCode: exitCannot, want: ":1:1: the file is empty: expected at least the version, like `version: v2026-11-22`",
		},
		{
			name: "export the configuration does not have", file: "releases/v2026-11-22.yaml", content: "version: v2026-11-22\nexports: [openmrs-3]\n",
			wantCode: exitCannot,
			want:     `:2:11: exports[0]: "openmrs-3" is not an export of the configuration (configured: openmrs-1.11, openmrs-2)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir) // no .github/shepherd.yaml: the defaults apply
			path := writeFile(t, dir, tt.file, []byte(tt.content))
			r := shepherd(t, nil, "validate", path)
			assert.Equal(t, tt.wantCode, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.Equal(t, ".github/shepherd.yaml: not present, the defaults apply (docs/configuration.md)\n"+path+tt.want+"\n", r.stdout)
			if tt.wantCode != exitOK {
				assert.Equal(t, "shepherd validate: 1 of 1 file is invalid\n", r.stderr)
			}
		})
	}
}

func TestValidateReportsEveryFileAndEveryProblem(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "releases/v2026-11-22.yaml", []byte("version: v2026-11-22\n"))
	bad := writeFile(t, dir, "releases/v2026-12-01.yaml", []byte("version: v2026-12-01\nreleased: maybe\nissue: -3\n"))

	config := writeFile(t, dir, "config.yaml", []byte("ocl:\n  org: CIEL\n"))

	r := shepherd(t, nil, "validate", "--config", config, good, bad)

	assert.Equal(t, exitCannot, r.code)
	assert.Equal(t, config+": valid (configuration)\n"+
		good+": valid (release manifest, version v2026-11-22)\n"+
		bad+`:2:11: released: expected true or false, got the text "maybe"`+"\n"+
		bad+":3:8: issue: -3 is not an issue number (expected a whole number from 1)\n", r.stdout)
	assert.Equal(t, "shepherd validate: 1 of 3 files is invalid\n", r.stderr)
}

func TestValidateWithoutArgumentsChecksTheReleasesFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "releases/v2026-11-22.yaml", []byte("version: v2026-11-22\n"))
	writeFile(t, dir, "releases/v2026-12-01.yaml", []byte("version: v2026-12-01\n"))
	writeFile(t, dir, "releases/README.md", []byte("not a manifest"))
	t.Chdir(dir)

	r := shepherd(t, nil, "validate")

	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, ".github/shepherd.yaml: not present, the defaults apply (docs/configuration.md)\n"+
		"releases/v2026-11-22.yaml: valid (release manifest, version v2026-11-22)\n"+
		"releases/v2026-12-01.yaml: valid (release manifest, version v2026-12-01)\n", r.stdout)
}

func TestValidateWithoutArgumentsRefusesManifestsTheWorkflowsIgnore(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".github/shepherd.yaml", []byte("ocl:\n  org: CIEL\n"))
	writeFile(t, dir, "releases/v2026-11-22.yml", []byte("version: v2026-11-22\n"))
	t.Chdir(dir)

	r := shepherd(t, nil, "validate")

	assert.Equal(t, exitCannot, r.code)
	assert.Equal(t, ".github/shepherd.yaml: valid (configuration)\n"+
		`releases/v2026-11-22.yml:1:10: version: the file name "v2026-11-22.yml" does not follow vYYYY-MM-DD.yaml, the only name the workflows pick up (expected "v2026-11-22.yaml" for version v2026-11-22)`+"\n", r.stdout)
	assert.Equal(t, "shepherd validate: 1 of 2 files is invalid\n", r.stderr)
}

func TestValidateTellsTheConfigurationFromManifests(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	// The example of docs/setup.md, by its path and, copied elsewhere, by its fields.
	config := []byte("ocl:\n  org: CIEL\n  source: CIEL\nstorage:\n  endpoint: https://rustfs.example.org:9000\n  bucket: ciel-releases\n" +
		"exports:\n  - format: openmrs-1.11\n    load_test: true\n  - format: openmrs-2\n    load_test: true\n")
	writeFile(t, dir, ".github/shepherd.yaml", config)
	writeFile(t, dir, "elsewhere/shepherd.yaml", config)
	writeFile(t, dir, "releases/v2026-11-22.yaml", []byte("version: v2026-11-22\nexports: [openmrs-2]\n"))

	r := shepherd(t, nil, "validate", ".github/shepherd.yaml")
	assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Equal(t, ".github/shepherd.yaml: valid (configuration)\n", r.stdout)

	r = shepherd(t, nil, "validate", "elsewhere/shepherd.yaml", "releases/v2026-11-22.yaml")
	assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Equal(t, "elsewhere/shepherd.yaml: valid (configuration)\nreleases/v2026-11-22.yaml: valid (release manifest, version v2026-11-22)\n", r.stdout)

	writeFile(t, dir, "odd.yaml", []byte("name: x\n"))
	r = shepherd(t, nil, "validate", "odd.yaml")
	assert.Equal(t, exitCannot, r.code)
	assert.Equal(t, "odd.yaml:1:1: cannot tell a release manifest (version: …, in releases/) from a configuration (ocl:, storage:, … in .github/shepherd.yaml) by its fields\n", r.stdout)
}

func TestValidateRefusesWhatWouldOtherwisePassUnnoticed(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, dir, ".github/shepherd.yaml", []byte("qa:\n  disabled: [FR-99]\n"))
	writeFile(t, dir, "drafts/v2026-11-22.yaml", []byte("version: v2026-11-22\nqa:\n  severity:\n    EX-06: error\n"))

	r := shepherd(t, nil, "validate", "--config", "missing.yaml", "drafts/v2026-11-22.yaml")
	assert.Equal(t, exitCannot, r.code)
	assert.Equal(t, "missing.yaml: cannot be read: no such file or directory\n"+
		`drafts/v2026-11-22.yaml:4:5: qa.severity.EX-06: "EX-06" is not a QA rule, did you mean EX-05? (the rules are listed in docs/qa-rules.md)`+"\n"+
		"drafts/v2026-11-22.yaml:1:10: version: the workflows pick up only releases/vYYYY-MM-DD.yaml: move the file to releases/v2026-11-22.yaml\n", r.stdout)
	assert.Equal(t, "shepherd validate: 2 of 2 files are invalid\n", r.stderr)

	r = shepherd(t, nil, "validate", ".github/shepherd.yaml")
	assert.Equal(t, exitCannot, r.code)
	assert.Equal(t, `.github/shepherd.yaml:2:14: qa.disabled[0]: "FR-99" is not a QA rule, did you mean FR-19? (the rules are listed in docs/qa-rules.md)`+"\n", r.stdout)
}

func TestValidateRefusesABadConfiguration(t *testing.T) {
	dir := t.TempDir()
	config := writeFile(t, dir, "shepherd.yaml", []byte("ocl:\n  org: CIEL\n  sorce: CIEL\n"))
	manifestPath := writeFile(t, dir, "releases/v2026-11-22.yaml", []byte("version: v2026-11-22\n"))

	r := shepherd(t, nil, "validate", "--config", config, manifestPath)

	assert.Equal(t, exitCannot, r.code)
	assert.Contains(t, r.stdout, config+`:3:3: ocl: unknown field "sorce", did you mean "source"?`)
	assert.Contains(t, r.stdout, manifestPath+": valid (release manifest, version v2026-11-22)", "manifests are still checked, without the configuration")
	assert.Equal(t, "shepherd validate: 1 of 2 files is invalid\n", r.stderr)
}

func TestNewWritesTodaysManifestByDefault(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "releases")
	before := manifest.VersionForDate(time.Now())

	r := shepherd(t, nil, "new", "--dir", dir, "--config", filepath.Join(dir, "none.yaml"))

	require.Equal(t, exitOK, r.code, r.stderr)
	files := filesIn(t, dir)
	require.Len(t, files, 1, "one manifest and no temporary file")
	version := strings.TrimSuffix(files[0], ".yaml")
	// The run may straddle midnight UTC.
	assert.Contains(t, []string{before, manifest.VersionForDate(time.Now())}, version)
	path := filepath.Join(dir, files[0])
	assert.Contains(t, r.stdout, "wrote "+path+"\n")
	m, err := manifest.LoadManifest(path)
	require.NoError(t, err)
	assert.Equal(t, version, m.Version)
	require.NoError(t, m.Validate(manifest.DefaultConfig()))
}

func TestNew(t *testing.T) {
	const existing = "version: v2026-12-01\nnotes: written by hand\n"
	tests := []struct {
		name        string
		args        []string
		wantCode    int
		wantStdout  string // contained in stdout
		wantStderr  string // equal to stderr
		wantFile    string // content of releases/v2026-12-01.yaml afterwards; "" for none
		preexisting bool
	}{
		{
			name: "named version", args: []string{"--version", "v2026-12-01"},
			wantCode: exitOK, wantStdout: "wrote {dir}/v2026-12-01.yaml\nNext: commit it on a branch", wantFile: "{generated}",
		},
		{
			name: "refuses to overwrite", args: []string{"--version", "v2026-12-01"}, preexisting: true,
			wantCode:   exitCannot,
			wantStderr: "shepherd new: {dir}/v2026-12-01.yaml already exists (use --force to overwrite)\n", wantFile: existing,
		},
		{
			name: "overwrites with --force", args: []string{"--version", "v2026-12-01", "--force"}, preexisting: true,
			wantCode: exitOK, wantStdout: "wrote {dir}/v2026-12-01.yaml", wantFile: "{generated}",
		},
		{
			name: "dry run prints and writes nothing", args: []string{"--version", "v2026-12-01", "--dry-run"},
			wantCode: exitOK, wantStdout: "\nversion: v2026-12-01\n",
		},
		{
			name: "dry run leaves an existing file alone", args: []string{"--version", "v2026-12-01", "--dry-run"}, preexisting: true,
			wantCode: exitOK, wantStdout: "\nversion: v2026-12-01\n", wantFile: existing,
		},
		{
			name: "not a real date", args: []string{"--version", "v2026-02-30"},
			wantCode:   exitCannot,
			wantStderr: "shepherd new: --version \"v2026-02-30\": version \"v2026-02-30\" is not a real date\n",
		},
		{
			name: "no v", args: []string{"--version", "2026-11-22"},
			wantCode:   exitCannot,
			wantStderr: "shepherd new: --version \"2026-11-22\": version \"2026-11-22\" is not a version (expected v and a date, like v2026-11-22)\n",
		},
		{
			name: "short month and day", args: []string{"--version", "v2026-1-2"},
			wantCode:   exitCannot,
			wantStderr: "shepherd new: --version \"v2026-1-2\": version \"v2026-1-2\" is not a version (expected v and a date, like v2026-11-22)\n",
		},
		{
			name: "stray argument", args: []string{"v2026-12-01"},
			wantCode:   exitCannot,
			wantStderr: "shepherd new: unexpected arguments [\"v2026-12-01\"]\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "releases")
			path := filepath.Join(dir, "v2026-12-01.yaml")
			if tt.preexisting {
				writeFile(t, dir, "v2026-12-01.yaml", []byte(existing))
			}
			args := append([]string{"new", "--dir", dir, "--config", filepath.Join(dir, "none.yaml")}, tt.args...)

			r := shepherd(t, nil, args...)

			expand := func(s string) string { return strings.ReplaceAll(s, "{dir}", dir) }
			assert.Equal(t, tt.wantCode, r.code, r.stderr)
			assert.Contains(t, r.stdout, expand(tt.wantStdout))
			assert.Equal(t, expand(tt.wantStderr), r.stderr)
			switch tt.wantFile {
			case "":
				assert.Nil(t, filesIn(t, dir), "nothing written")
			case "{generated}":
				assert.Equal(t, []string{"v2026-12-01.yaml"}, filesIn(t, dir), "no temporary file left")
				m, err := manifest.LoadManifest(path)
				require.NoError(t, err)
				assert.Equal(t, "v2026-12-01", m.Version)
				assert.Equal(t, "CIEL v2026-12-01", m.Description)
			default:
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				assert.Equal(t, tt.wantFile, string(data))
			}
		})
	}
}

func TestNewDryRunPrintsWhatItWouldWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "releases")
	config := filepath.Join(dir, "none.yaml")
	dry := shepherd(t, nil, "new", "--dir", dir, "--config", config, "--version", "v2026-12-01", "--dry-run")
	require.Equal(t, exitOK, dry.code, dry.stderr)
	written := shepherd(t, nil, "new", "--dir", dir, "--config", config, "--version", "v2026-12-01")
	require.Equal(t, exitOK, written.code, written.stderr)

	data, err := os.ReadFile(filepath.Join(dir, "v2026-12-01.yaml"))
	require.NoError(t, err)
	assert.Equal(t, string(data), dry.stdout)
}

func TestNewCannotWriteWhereAFileStands(t *testing.T) {
	dir := t.TempDir()
	notAFolder := writeFile(t, dir, "releases", []byte("a file, not a folder"))

	r := shepherd(t, nil, "new", "--dir", notAFolder, "--version", "v2026-12-01", "--config", filepath.Join(dir, "none.yaml"))

	assert.Equal(t, exitCannot, r.code)
	assert.Equal(t, "shepherd new: stat "+filepath.Join(notAFolder, "v2026-12-01.yaml")+": not a directory\n", r.stderr)
	assert.Equal(t, []string{"releases"}, filesIn(t, dir))
}
