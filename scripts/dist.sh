#!/usr/bin/env bash
# Builds the release binaries of Shepherd, as the dist workflow does on a version tag:
# one shepherd_<version>_<os>_<arch>.tar.gz per platform, holding the `shepherd` binary
# with the version and commit stamped in, and SHA256SUMS over the archives, in the form
# `sha256sum --check` reads. The actions download these (actions/shepherd.sh).
#
# Usage: scripts/dist.sh VERSION [OUT]          (OUT defaults to dist/)
#   DIST_PLATFORMS="linux/amd64 linux/arm64"    which platforms (default: linux and
#                                               darwin, amd64 and arm64)
#
# Reproducible: the same commit and Go give byte-identical archives (-trimpath, no VCS
# stamp beyond the commit given, files dated at the commit, tar and gzip without owners
# or times of their own). Needs GNU tar.
set -euo pipefail

version=${1:?usage: scripts/dist.sh VERSION [OUT]}
out=${2:-dist}
platforms=${DIST_PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64}
if ! [[ $version =~ ^v?[0-9A-Za-z][0-9A-Za-z._+-]*$ ]]; then
	echo "dist.sh: version $version is not a tag-like name (v1.2.3)" >&2
	exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$root" rev-parse HEAD)
if [[ -n $(git -C "$root" status --porcelain --untracked-files=no) ]]; then
	commit+=-dirty
fi
epoch=$(git -C "$root" log -1 --format=%ct HEAD)
pkg=github.com/shepherd-release/shepherd/internal/buildinfo
ldflags="-s -w -X $pkg.version=$version -X $pkg.commit=$commit"

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for platform in $platforms; do
	goos=${platform%/*}
	goarch=${platform#*/}
	name=shepherd_${version}_${goos}_${goarch}
	mkdir -p "$work/$name"
	echo "building $name.tar.gz" >&2
	(cd "$root" && CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOFLAGS=-buildvcs=false \
		go build -trimpath -ldflags "$ldflags" -o "$work/$name/shepherd" ./bot)
	chmod 0755 "$work/$name/shepherd"
	touch -d "@$epoch" "$work/$name/shepherd"
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --format=gnu \
		-C "$work/$name" -cf - shepherd | gzip -9n >"$out/$name.tar.gz"
done

(cd "$out" && sha256sum -- *.tar.gz >SHA256SUMS)
echo "wrote $(cd "$out" && ls | tr '\n' ' ')into $out" >&2
