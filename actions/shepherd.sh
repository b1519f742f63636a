#!/usr/bin/env bash
# Finds the `shepherd` binary a Shepherd action runs; every actions/*/action.yml calls it.
#
#   actions/shepherd.sh plan      decide, and write the decision as step outputs
#   actions/shepherd.sh install   make the binary ready; write its path as output "path"
#
# Used at a version tag (uses: shepherd-release/shepherd/actions/qa@v1.2.3) the action
# runs the binary published with that tag's GitHub Release, checked against the release's
# SHA256SUMS; the workflow caches the download (actions/cache, keyed on version and
# architecture) so later jobs fetch nothing. At any other ref (a branch, a commit) and
# from a local checkout (uses: ./actions/qa, as a fork does) it builds the binary from
# the action's own source instead, with the Go that setup-go installed.
#
# Reads: GITHUB_ACTION_PATH, SHEPHERD_ACTION_REF and SHEPHERD_ACTION_REPOSITORY (the
# action's github.action_ref and github.action_repository, passed through env as GitHub
# asks for composite actions), RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_SERVER_URL,
# GITHUB_OUTPUT.
set -euo pipefail

die() {
	echo "::error::shepherd.sh: $*" >&2
	exit 1
}

action_path=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this from an action}
source_root=$(cd "$action_path/../.." && pwd)
ref=${SHEPHERD_ACTION_REF:-}
repository=${SHEPHERD_ACTION_REPOSITORY:-}

# The runner's own copy of a remote action lives at _actions/OWNER/REPO/REF/; read the
# ref from there when the context left it empty (it can be, in composite actions:
# https://github.com/actions/runner/issues/2473).
if [[ -z $ref && $action_path =~ /_actions/([^/]+)/([^/]+)/([^/]+)/actions/[^/]+/?$ ]]; then
	repository=${BASH_REMATCH[1]}/${BASH_REMATCH[2]}
	ref=${BASH_REMATCH[3]}
fi

case ${RUNNER_OS:-Linux} in
Linux) os=linux ;;
macOS) os=darwin ;;
*) die "runner OS ${RUNNER_OS} has no Shepherd binary; use a Linux or macOS runner" ;;
esac
case ${RUNNER_ARCH:-X64} in
X64) arch=amd64 ;;
ARM64) arch=arm64 ;;
*) die "runner architecture ${RUNNER_ARCH} has no Shepherd binary; use an X64 or ARM64 runner" ;;
esac

# A published version tag: vMAJOR.MINOR.PATCH with an optional pre-release.
release_tag='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$'
if [[ $ref =~ $release_tag && -n $repository ]]; then
	mode=release
	version=$ref
	dir=${RUNNER_TEMP:?}/shepherd-$version-$os-$arch
else
	mode=source
	version=${ref:-local}
	dir=${RUNNER_TEMP:?}/shepherd-source
fi
archive=shepherd_${version}_${os}_${arch}.tar.gz

output() {
	if [[ -n ${GITHUB_OUTPUT:-} ]]; then
		echo "$1=$2" >>"$GITHUB_OUTPUT"
	else
		echo "$1=$2"
	fi
}

case ${1:-} in
plan)
	output mode "$mode"
	output version "$version"
	output dir "$dir"
	output key "shepherd-$version-$os-$arch"
	output source "$source_root"
	;;
install)
	mkdir -p "$dir"
	if [[ $mode == release ]]; then
		base=${GITHUB_SERVER_URL:-https://github.com}/$repository/releases/download/$version
		if [[ ! -f $dir/$archive || ! -f $dir/SHA256SUMS ]]; then
			echo "Downloading $archive and SHA256SUMS from $base"
			curl --fail --silent --show-error --location --retry 3 --output "$dir/SHA256SUMS" "$base/SHA256SUMS" ||
				die "could not download SHA256SUMS of Shepherd $version from $base"
			curl --fail --silent --show-error --location --retry 3 --output "$dir/$archive" "$base/$archive" ||
				die "could not download $archive from $base"
		else
			echo "Using the cached $archive"
		fi
		# Checked on every use, cached or not: the cache is only as good as what went in.
		line=$(grep -E "^[0-9a-f]{64}  $archive\$" "$dir/SHA256SUMS" || true)
		[[ -n $line ]] || die "SHA256SUMS of Shepherd $version lists no $archive"
		(cd "$dir" && sha256sum --check --strict --quiet - <<<"$line") ||
			{ rm -f "$dir/$archive" "$dir/SHA256SUMS"; die "$archive does not match its sha256 in SHA256SUMS"; }
		rm -rf "$dir/bin" && mkdir -p "$dir/bin"
		tar -xzf "$dir/$archive" -C "$dir/bin" shepherd
		output path "$dir/bin/shepherd"
	else
		command -v go >/dev/null || die "building Shepherd from source needs Go: the action's setup-go step did not run"
		echo "Building shepherd from $source_root (ref ${version})"
		(cd "$source_root" && go build -trimpath -o "$dir/shepherd" ./bot)
		output path "$dir/shepherd"
	fi
	;;
*)
	die "usage: shepherd.sh plan|install"
	;;
esac
