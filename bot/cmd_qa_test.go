package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shepherd-release/shepherd/internal/ocl/ocltest"
	"github.com/shepherd-release/shepherd/internal/ocl/ocltest/dataset"
	"github.com/shepherd-release/shepherd/internal/qa"
	"github.com/shepherd-release/shepherd/internal/qa/render"
)

// readJSONReport reads a report the command wrote.
func readJSONReport(t *testing.T, path string) *qa.Report {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	report, err := qa.ReadReport(f)
	require.NoError(t, err)
	return report
}

func ruleIDs(findings []qa.Finding) []string {
	ids := make([]string, len(findings))
	for i, f := range findings {
		ids[i] = f.Rule
	}
	return ids
}

func TestQAOnAnExportExitsByTheWorstSeverity(t *testing.T) {
	tests := []struct {
		name       string
		inject     []dataset.Injection
		wantCode   int
		wantRules  []string
		wantErrors int
	}{
		{name: "clean", wantCode: exitOK, wantRules: []string{}},
		{name: "a warning", inject: []dataset.Injection{{Rule: "FR-19", Index: -1}}, wantCode: exitOK, wantRules: []string{"FR-19"}},
		{name: "an error", inject: []dataset.Injection{{Rule: "FR-01", Index: -1}}, wantCode: exitFindings, wantRules: []string{"FR-01"}, wantErrors: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			export := tinyExport(t, tt.inject...)
			out := filepath.Join(t.TempDir(), "report.json")

			r := shepherd(t, nil, "qa", "--export", export, "--format", "json", "--out", out)

			assert.Equal(t, tt.wantCode, r.code, r.stderr)
			report := readJSONReport(t, out)
			assert.Equal(t, tt.wantRules, ruleIDs(report.Findings))
			assert.Equal(t, tt.wantErrors, report.Errors())
			assert.Equal(t, "CIEL/CIEL", report.Summary.Source)
			assert.Equal(t, testVersion, report.Summary.Version)
			assert.Equal(t, qa.InputExport, report.Summary.Input)
			assert.Equal(t, 50, report.Summary.ConceptsChecked)
			assert.Contains(t, r.stderr, fmt.Sprintf("QA of CIEL/CIEL %s (export, source from export metadata): 50 concepts, %d mappings: %s\n",
				testVersion, report.Summary.MappingsChecked, render.Verdict(report.Errors(), report.Warnings(), 0)))
			if tt.wantCode == exitFindings {
				assert.Contains(t, r.stderr, "shepherd qa: 1 error found: the release would stop\n")
			}
		})
	}
}

func TestQAFormats(t *testing.T) {
	export := tinyExport(t, dataset.Injection{Rule: "FR-01", Index: -1})
	tests := []struct {
		format     string
		wantPrefix string
		wantText   string
	}{
		{"json", "{\n  \"schema_version\": 1,", `"rule": "FR-01"`},
		{"md", "## QA report: CIEL/CIEL " + testVersion, "FR-01"},
		{"markdown", "## QA report: CIEL/CIEL " + testVersion, "FR-01"},
		{"html", "<!DOCTYPE html>", "FR-01"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			r := shepherd(t, nil, "qa", "--export", export, "--format", tt.format, "--quiet")
			assert.Equal(t, exitFindings, r.code, r.stderr)
			assert.True(t, strings.HasPrefix(r.stdout, tt.wantPrefix), "starts with %q: %.80q", tt.wantPrefix, r.stdout)
			assert.Contains(t, r.stdout, tt.wantText)
		})
	}
}

func TestQAWritesTheReportToOutAtomically(t *testing.T) {
	export := tinyExport(t)
	dir := filepath.Join(t.TempDir(), "reports")
	writeFile(t, dir, "qa.md", []byte("an older report"))

	r := shepherd(t, nil, "qa", "--export", export, "--out", filepath.Join(dir, "qa.md"))

	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout, "the report goes to the file only")
	assert.Equal(t, []string{"qa.md"}, filesIn(t, dir), "no temporary file left")
	data, err := os.ReadFile(filepath.Join(dir, "qa.md"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), "## QA report: CIEL/CIEL "+testVersion), "%.80q", data)
}

func TestQAProgressGoesToStderr(t *testing.T) {
	export := tinyExport(t)
	summary := fmt.Sprintf("QA of CIEL/CIEL %s (export, source from export metadata): 50 concepts, ", testVersion)

	loud := shepherd(t, nil, "qa", "--export", export, "--format", "json")
	require.Equal(t, exitOK, loud.code, loud.stderr)
	assert.Regexp(t, `(?m)^… 50 concepts, \d+ mappings checked \([0-9.]+ (ms|s)\)$`, loud.stderr)
	assert.Contains(t, loud.stderr, summary)
	assert.NotContains(t, loud.stdout, "…", "progress never mixes with the report")
	var report map[string]any
	require.NoError(t, json.Unmarshal([]byte(loud.stdout), &report), "stdout is the JSON report alone")

	quiet := shepherd(t, nil, "qa", "--export", export, "--format", "json", "--quiet")
	require.Equal(t, exitOK, quiet.code)
	assert.NotContains(t, quiet.stderr, "…")
	assert.Contains(t, quiet.stderr, summary, "the summary line stays")
}

func TestQAComparesWithAPreviousReport(t *testing.T) {
	dir := t.TempDir()
	previous := filepath.Join(dir, "previous.json")
	r := shepherd(t, nil, "qa", "--export", tinyExport(t, dataset.Injection{Rule: "FR-19", Index: -1}),
		"--format", "json", "--out", previous)
	require.Equal(t, exitOK, r.code, r.stderr)

	current := filepath.Join(dir, "current.json")
	r = shepherd(t, nil, "qa", "--export", tinyExport(t, dataset.Injection{Rule: "FR-01", Index: -1}),
		"--format", "json", "--out", current, "--previous", previous)

	require.Equal(t, exitFindings, r.code, r.stderr)
	cmp := readJSONReport(t, current).Comparison
	require.NotNil(t, cmp)
	assert.Equal(t, testVersion, cmp.PreviousVersion)
	assert.Equal(t, []string{"FR-01"}, ruleIDs(cmp.New))
	assert.Equal(t, []string{"FR-19"}, ruleIDs(cmp.Fixed))
	assert.Zero(t, cmp.UnchangedCount)
}

func TestQARefusesAPreviousFileThatIsNotAReport(t *testing.T) {
	export := tinyExport(t)
	tests := []struct {
		name    string
		content string
		want    string // after "--previous: <path>: "
	}{
		{"another JSON document", `{"concepts":[]}`, "read QA report: not a Shepherd QA report (no schema_version)"},
		{"a Markdown report", "## QA report: CIEL/CIEL HEAD\n", "read QA report: not a JSON report: invalid character '#' looking for beginning of value"},
		{"a newer schema", `{"schema_version":99}`, "read QA report: schema_version 99 is not supported (this Shepherd reads version 1)"},
		{"wrong types", `{"schema_version":1,"summary":{"concepts_checked":"many"}}`,
			`read QA report: not a Shepherd QA report: field "summary.concepts_checked" has the wrong type (string at byte 56)`},
		{"two documents", `{"schema_version":1} {}`, "read QA report: unexpected data after the report at byte 22"},
		{"truncated", `{"schema_version":1,"findings":[`, "read QA report: not a JSON report: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			previous := writeFile(t, dir, "previous.json", []byte(tt.content))
			out := filepath.Join(dir, "report.json")

			r := shepherd(t, nil, "qa", "--export", export, "--previous", previous, "--out", out)

			assert.Equal(t, exitCannot, r.code)
			assert.Equal(t, "shepherd qa: --previous: "+previous+": "+tt.want+"\n", r.stderr)
			assert.NoFileExists(t, out)
		})
	}
}

func TestQAUsageErrors(t *testing.T) {
	export := tinyExport(t)
	dir := t.TempDir()
	badConfig := writeFile(t, dir, "shepherd.yaml", []byte("ocl:\n  base_url: https://api.openconceptlab.org\nqa:\n  max_findings: lots\n"))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no input", []string{"qa"}, "shepherd qa: give exactly one of --export FILE or --version HEAD\n"},
		{"two inputs", []string{"qa", "--export", export, "--version", "HEAD"}, "shepherd qa: give exactly one of --export FILE or --version HEAD\n"},
		{"unknown format", []string{"qa", "--export", export, "--format", "pdf"}, "shepherd qa: --format \"pdf\": expected one of json, md, markdown, html\n"},
		{"bad source", []string{"qa", "--version", "HEAD", "--source", "CIEL"}, "shepherd qa: --source \"CIEL\": expected ORG/SOURCE, like CIEL/CIEL\n"},
		{"source with three parts", []string{"qa", "--version", "HEAD", "--source", "a/b/c"}, "shepherd qa: --source \"a/b/c\": expected ORG/SOURCE, like CIEL/CIEL\n"},
		{"bad configuration", []string{"qa", "--export", export, "--config", badConfig},
			"shepherd qa: " + badConfig + ":4:17: qa.max_findings: expected a whole number, got the text \"lots\"\n"},
		{"missing export", []string{"qa", "--export", filepath.Join(dir, "nope.zip")},
			"shepherd qa: " + filepath.Join(dir, "nope.zip") + ": cannot read the file\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if !strings.Contains(strings.Join(args, " "), "--config") {
				args = append(args, "--config", filepath.Join(dir, "none.yaml"))
			}
			r := shepherd(t, nil, args...)
			assert.Equal(t, exitCannot, r.code)
			assert.Equal(t, tt.want, r.stderr)
			assert.Empty(t, r.stdout)
		})
	}
}

// fakeOCL serves org/source HEAD from the tiny dataset with the given violations, and
// needs token on every request. It returns a configuration file pointing at it.
func fakeOCL(t *testing.T, token string) (*ocltest.Server, string) {
	t.Helper()
	srv := ocltest.NewServer()
	t.Cleanup(srv.Close)
	srv.RequireToken(token)
	config := fmt.Sprintf("ocl:\n  base_url: %s\n  token_env: TEST_OCL_TOKEN\n", srv.URL())
	return srv, writeFile(t, t.TempDir(), "shepherd.yaml", []byte(config))
}

// addSource adds a tiny generated source to the fake.
func addSource(t *testing.T, srv *ocltest.Server, org, source string, inject ...dataset.Injection) {
	t.Helper()
	spec := dataset.Tiny
	spec.Org, spec.Source, spec.Inject = org, source, inject
	head, err := dataset.New(spec)
	require.NoError(t, err)
	srv.AddSource(org, source, head, head.Version("HEAD").SupportedLocales)
}

func TestQAOnHEADThroughTheAPI(t *testing.T) {
	const token = "s3cret-t0ken"
	srv, config := fakeOCL(t, token)
	addSource(t, srv, "CIEL", "CIEL")
	addSource(t, srv, "ACME", "DRUGS", dataset.Injection{Rule: "FR-01", Index: -1})
	out := filepath.Join(t.TempDir(), "head.json")
	env := map[string]string{"TEST_OCL_TOKEN": token}

	r := shepherd(t, env, "qa", "--version", "HEAD", "--config", config, "--format", "json", "--out", out)

	require.Equal(t, exitOK, r.code, r.stderr)
	report := readJSONReport(t, out)
	assert.Equal(t, "CIEL/CIEL", report.Summary.Source)
	assert.Equal(t, "HEAD", report.Summary.Version)
	assert.Equal(t, qa.InputAPI, report.Summary.Input)
	assert.Equal(t, 50, report.Summary.ConceptsChecked)
	assert.Positive(t, report.Summary.MappingsChecked)
	assert.Contains(t, r.stderr, fmt.Sprintf("QA of CIEL/CIEL HEAD (api, source from default): 50 concepts, %d mappings: no errors\n", report.Summary.MappingsChecked))
	assert.Positive(t, srv.Count("GET", ocltest.RouteConcepts))
	for _, req := range srv.Requests() {
		assert.True(t, req.HadAuth, "%s %s sent the token", req.Method, req.Path)
		assert.Less(t, req.Status, 400, "%s %s", req.Method, req.Path)
	}

	t.Run("another source", func(t *testing.T) {
		r := shepherd(t, env, "qa", "--version", "HEAD", "--source", "ACME/DRUGS", "--config", config, "--format", "json", "--out", out)
		require.Equal(t, exitFindings, r.code, r.stderr)
		report := readJSONReport(t, out)
		assert.Equal(t, "ACME/DRUGS", report.Summary.Source)
		assert.Equal(t, []string{"FR-01"}, ruleIDs(report.Findings))
	})

	t.Run("the token never shows", func(t *testing.T) {
		for _, format := range []string{"json", "md", "html"} {
			r := shepherd(t, env, "qa", "--version", "HEAD", "--config", config, "--format", format)
			assert.NotContains(t, r.stdout+r.stderr, token, format)
		}
	})
}

func TestQAOnHEADCannotRun(t *testing.T) {
	const token = "s3cret-t0ken"
	srv, config := fakeOCL(t, token)
	addSource(t, srv, "CIEL", "CIEL")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // the end of stderr, after any progress
	}{
		{"no token", nil, nil,
			"shepherd qa: ocl: GET /orgs/CIEL/sources/CIEL/HEAD/: 401 Unauthorized (unauthorized): Authentication credentials were not provided. (no token was sent: TEST_OCL_TOKEN is not set)\n"},
		{"wrong token", map[string]string{"TEST_OCL_TOKEN": "guess"}, nil,
			"shepherd qa: ocl: GET /orgs/CIEL/sources/CIEL/HEAD/: 401 Unauthorized (unauthorized): Invalid token.\n"},
		{"unknown source", map[string]string{"TEST_OCL_TOKEN": token}, []string{"--source", "ACME/NOPE"},
			"shepherd qa: ocl: GET /orgs/ACME/sources/NOPE/HEAD/: 404 Not Found (not found): Not found.\n"},
		{"unknown version", map[string]string{"TEST_OCL_TOKEN": token}, []string{"--version", "v1999-01-01"},
			"shepherd qa: ocl: GET /orgs/CIEL/sources/CIEL/v1999-01-01/: 404 Not Found (not found): Not found.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "head.json")
			args := append([]string{"qa", "--version", "HEAD", "--config", config, "--out", out}, tt.args...)

			r := shepherd(t, tt.env, args...)

			assert.Equal(t, exitCannot, r.code, r.stderr)
			assert.True(t, strings.HasSuffix(r.stderr, tt.want), "stderr ends with %q: %q", tt.want, r.stderr)
			assert.NotContains(t, r.stderr, token)
			assert.NoFileExists(t, out)
		})
	}
}

func TestQAOnAnExportNamesWhatItChecked(t *testing.T) {
	concept := func(code, url string) string {
		return fmt.Sprintf(`{"id":%q,"concept_class":"Misc","datatype":"N/A","url":%q,`+
			`"names":[{"name":"Concept %s","locale":"en","name_type":"FULLY_SPECIFIED","locale_preferred":true}]}`, code, url, code)
	}
	exports := map[string]string{
		// 2015-era CIEL: the whole source, no version.
		"2015": `{"type":"Source","id":"CIEL","owner":"CIEL","extras":null,"concepts":[` + concept("1", "/orgs/CIEL/sources/CIEL/concepts/1/") + `]}`,
		"collection": `{"type":"Collection Version","id":"v3","owner":"ACME","url":"/orgs/ACME/collections/Starter/v3/","concepts":[` +
			concept("1", "/orgs/CIEL/sources/CIEL/concepts/1/") + `]}`,
		"2026 PIH": `{"type":"Source Version","id":"v2026-01-02","name":"PIH","owner":"PIH","url":"/orgs/PIH/sources/PIH/v2026-01-02/","concepts":[` +
			concept("1", "/orgs/PIH/sources/PIH/concepts/1/") + `]}`,
	}
	dir := t.TempDir()
	configured := writeFile(t, dir, "shepherd.yaml", []byte("ocl:\n  org: MOH\n  source: DICT\n"))
	tests := []struct {
		export     string
		args       []string
		wantSource string
		wantVer    string
		wantFrom   string
	}{
		{"2015", nil, "CIEL/CIEL", "", "export metadata"},
		{"collection", nil, "ACME/Starter", "v3", "export metadata"},
		{"2026 PIH", nil, "PIH/PIH", "v2026-01-02", "export metadata"},
		{"2026 PIH", []string{"--source", "CIEL/CIEL"}, "CIEL/CIEL", "v2026-01-02", "--source"},
		{"2026 PIH", []string{"--config", configured}, "MOH/DICT", "v2026-01-02", "configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.export+" "+strings.Join(tt.args, " "), func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "export.zip", zipBytes(t, zipEntry{"export.json", exports[tt.export]}))
			out := filepath.Join(t.TempDir(), "report.json")
			args := append([]string{"qa", "--export", path, "--format", "json", "--out", out, "--quiet"}, tt.args...)

			r := shepherd(t, nil, args...)

			report := readJSONReport(t, out)
			assert.Equal(t, tt.wantSource, report.Summary.Source)
			assert.Equal(t, tt.wantVer, report.Summary.Version)
			assert.Equal(t, tt.wantFrom, report.Summary.SourceFrom)
			version := tt.wantVer
			if version == "" {
				version = "(no version)"
			}
			assert.Contains(t, r.stderr, fmt.Sprintf("QA of %s %s (export, source from %s): 1 concept,", tt.wantSource, version, tt.wantFrom))
		})
	}
}
