package buildinfo

import (
	"runtime/debug"
	"testing"
)

func withStamp(t *testing.T, v, c string) {
	t.Helper()
	oldV, oldC := version, commit
	version, commit = v, c
	t.Cleanup(func() { version, commit = oldV, oldC })
}

func withBuildInfo(t *testing.T, bi *debug.BuildInfo) {
	t.Helper()
	old := readBuildInfo
	readBuildInfo = func() (*debug.BuildInfo, bool) { return bi, bi != nil }
	t.Cleanup(func() { readBuildInfo = old })
}

func TestStampedVersionWins(t *testing.T) {
	withStamp(t, "v1.2.3", "0123456789abcdef0123456789abcdef01234567")
	withBuildInfo(t, &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}})
	if got := Version(); got != "v1.2.3" {
		t.Errorf("Version() = %q, want the stamped v1.2.3", got)
	}
	if got := Commit(); got != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("Commit() = %q, want the stamped commit", got)
	}
	if got := String(); got != "v1.2.3 (commit 0123456789abcdef0123456789abcdef01234567)" {
		t.Errorf("String() = %q", got)
	}
}

func TestFallsBackToTheToolchainsRecord(t *testing.T) {
	withStamp(t, "", "")
	withBuildInfo(t, &debug.BuildInfo{
		Main: debug.Module{Version: "v0.0.0-20261207120000-abcdef123456+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abcdef1234567890"},
			{Key: "vcs.modified", Value: "true"},
		},
	})
	if got := Version(); got != "v0.0.0-20261207120000-abcdef123456+dirty" {
		t.Errorf("Version() = %q", got)
	}
	if got := Commit(); got != "abcdef1234567890-dirty" {
		t.Errorf("Commit() = %q", got)
	}
}

func TestUnversionedBuildIsDev(t *testing.T) {
	withStamp(t, "", "")
	withBuildInfo(t, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}})
	if got := Version(); got != Dev {
		t.Errorf("Version() = %q, want %q", got, Dev)
	}
	if got := Commit(); got != "unknown" {
		t.Errorf("Commit() = %q, want unknown", got)
	}
	withBuildInfo(t, nil)
	if got := Version(); got != Dev {
		t.Errorf("without build info Version() = %q, want %q", got, Dev)
	}
}

func TestIsRelease(t *testing.T) {
	for v, want := range map[string]bool{
		"v1.2.3":                               true,
		"v0.1.0":                               true,
		"v1.2.0-rc.1":                          true,
		"v10.20.30":                            true,
		"dev":                                  false,
		"(devel)":                              false,
		"1.2.3":                                false,
		"v1.2":                                 false,
		"v01.2.3":                              false,
		"v1.2.3+dirty":                         false,
		"v0.0.0-20261207120000-abcdef123456":   false,
		"v1.2.4-0.20261207120000-abcdef123456": false,
		"v0.0.0-20261207120000-abcdef123456+dirty": false,
		"main": false,
	} {
		if got := IsRelease(v); got != want {
			t.Errorf("IsRelease(%q) = %v, want %v", v, got, want)
		}
	}
}
