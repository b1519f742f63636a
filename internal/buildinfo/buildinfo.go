// Package buildinfo says which version and commit of Shepherd is running.
//
// Release builds stamp both with the linker (scripts/dist.sh):
//
//	-ldflags "-X github.com/shepherd-release/shepherd/internal/buildinfo.version=v1.2.3
//	          -X github.com/shepherd-release/shepherd/internal/buildinfo.commit=<sha>"
//
// Anything else (go build, go run, go install) falls back to what the Go toolchain
// recorded in the binary: the module version and the VCS revision, when it had them.
package buildinfo

import (
	"regexp"
	"runtime/debug"
	"strings"
)

// Stamped by -ldflags -X; empty in builds that were not stamped.
var (
	version string
	commit  string
)

// Dev is the version of a build that carries no version: a `go run` or a build outside
// a module version.
const Dev = "dev"

// readBuildInfo is debug.ReadBuildInfo, replaceable in tests.
var readBuildInfo = debug.ReadBuildInfo

// Version is the running binary's version: the stamped tag (v1.2.3), else the module
// version the toolchain recorded (a tag for `go install ...@v1.2.3`, a pseudo-version
// for a build from a checkout), else Dev.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := readBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
	}
	return Dev
}

// Commit is the VCS revision the binary was built from: the stamped commit, else the
// toolchain's vcs.revision (with "-dirty" when the tree had changes), else "unknown".
func Commit() string {
	if commit != "" {
		return commit
	}
	bi, ok := readBuildInfo()
	if !ok {
		return "unknown"
	}
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

// releaseTag is a published version tag: vMAJOR.MINOR.PATCH with an optional
// pre-release (v1.2.0-rc.1), and no build metadata.
var releaseTag = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// pseudoVersion is the middle of a Go pseudo-version (v0.0.0-20260101120000-abcdef123456):
// a timestamp and a 12-digit commit prefix, which no published tag carries.
var pseudoVersion = regexp.MustCompile(`(^|[-.])[0-9]{14}-[0-9a-f]{12}$`)

// IsRelease reports whether v is a published version tag, one a workflow can pin
// (`uses: ...@v1.2.3`), rather than Dev, a pseudo-version or a dirty build.
func IsRelease(v string) bool {
	return releaseTag.MatchString(v) && !pseudoVersion.MatchString(v) && !strings.Contains(v, "+")
}

// String is the one-line description `shepherd --version` prints:
// "v1.2.3 (commit 0123abc…)".
func String() string {
	return Version() + " (commit " + Commit() + ")"
}
