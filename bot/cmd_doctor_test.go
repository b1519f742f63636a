package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDoctorCannotRunWithBadInput(t *testing.T) {
	dir := t.TempDir()
	badConfig := writeFile(t, dir, "shepherd.yaml", []byte("ocl:\n  org: [not, a, name]\n"))
	tests := []struct {
		name    string
		vars    map[string]string
		args    []string
		wantErr string
	}{
		{"unknown flag", nil, []string{"doctor", "--repo", "a/b", "--fix"}, "flag provided but not defined: -fix"},
		{"bad format", nil, []string{"doctor", "--repo", "a/b", "--format", "xml"}, `--format "xml": expected one of text, json`},
		{"no repository", nil, []string{"doctor"}, `--repo "": expected OWNER/NAME`},
		{"repository without owner", nil, []string{"doctor", "--repo", "ciel-releases"}, `--repo "ciel-releases": expected OWNER/NAME`},
		{"stray argument", map[string]string{"GITHUB_REPOSITORY": "a/b"}, []string{"doctor", "now"}, `unexpected argument "now"`},
		{"unreadable configuration", nil, []string{"doctor", "--repo", "a/b", "--config", badConfig}, "shepherd.yaml:2"},
		{"configuration is a folder", nil, []string{"doctor", "--repo", "a/b", "--config", dir}, "shepherd doctor:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := shepherd(t, tt.vars, tt.args...)
			assert.Equal(t, exitCannot, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.wantErr)
			assert.Empty(t, r.stdout, "nothing is checked when doctor cannot run")
		})
	}
}

// Without any credentials and with services that answer nothing, doctor still runs every
// check, reports the failures, and exits 1.
func TestDoctorReportsFailuresWithExitOne(t *testing.T) {
	config := writeFile(t, t.TempDir(), "shepherd.yaml", []byte(
		"ocl:\n  base_url: http://127.0.0.1:1\ngithub:\n  base_url: http://127.0.0.1:1/api/v3/\n"))
	r := shepherd(t, map[string]string{"GITHUB_REPOSITORY": "openmrs/ciel-releases"},
		"doctor", "--config", config, "--format", "json")
	assert.Equal(t, exitFindings, r.code, r.stderr)
	assert.Contains(t, r.stderr, "checks failed; each says how to fix it")
	var report struct {
		Repository string `json:"repository"`
		Config     string `json:"config"`
		Checks     []struct {
			ID, Status, Found, Fix, Docs string
		} `json:"checks"`
		ExitCode int `json:"exit_code"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report), r.stdout)
	assert.Equal(t, "openmrs/ciel-releases", report.Repository)
	assert.Equal(t, filepath.Base(config), filepath.Base(report.Config))
	assert.Equal(t, 1, report.ExitCode)
	require.NotEmpty(t, report.Checks)
	assert.Equal(t, "credentials", report.Checks[0].ID)
	assert.Equal(t, "fail", report.Checks[0].Status)
	assert.Contains(t, report.Checks[0].Found, "OCL_TOKEN")
	assert.Equal(t, "docs/doctor.md#credentials", report.Checks[0].Docs)
}
