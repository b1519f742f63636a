#!/usr/bin/env bash
# Installs the pinned tools the tests use into a cache folder (not into go.mod):
# actionlint for the workflows and the MinIO server for the S3 tests.
# Idempotent: a tool already built at the pinned version is kept.
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

tools="${SHEPHERD_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/shepherd/tools}"
mkdir -p "$tools"

install() { # name module version
  local name=$1 module=$2 version=$3 stamp="$tools/$1.version"
  if [[ -x "$tools/$name" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
    return
  fi
  echo "installing $name $version into $tools (the MinIO server takes a few minutes the first time)" >&2
  # Build outside the module so the tools never enter go.mod.
  (cd "$(mktemp -d)" && GOBIN="$tools" GOFLAGS=-buildvcs=false go install "$module@$version")
  echo "$version" >"$stamp"
}

install actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION"
install minio github.com/minio/minio "$MINIO_VERSION"
echo "$tools"
