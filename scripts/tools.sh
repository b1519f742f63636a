#!/usr/bin/env bash
# Installs the pinned tools the tests use into a cache folder (not into go.mod):
# actionlint for the workflows, the MinIO server for the S3 tests and Liquibase (with its
# MariaDB driver; it runs on Java 17) for the SQL load tests against real OpenMRS schemas;
# Debian's chromium for the release site's browser tests (a system package: installed
# with apt-get when this runs as root or with password-less sudo, as on CI).
# Idempotent: a tool already installed at the pinned version is kept.
#
# Usage: scripts/tools.sh [TOOL...]   (default: all of actionlint minio liquibase chromium)
# Prints the folder the tools are in.
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
# Liquibase's own CLI as the npm registry ships it (package/dist/liquibase), checked
# against this sha256 of the package.
LIQUIBASE_VERSION=4.28.1
LIQUIBASE_SHA256=2ff637c6641fcc8f1c571d3cd940db802bce41c08fe2e31967a48e023ba30aa3

tools="${SHEPHERD_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/shepherd/tools}"
mkdir -p "$tools"

installed() { # name version
  [[ -e "$tools/$1" && -f "$tools/$1.version" && "$(cat "$tools/$1.version")" == "$2" ]]
}

install() { # name module version
  local name=$1 module=$2 version=$3
  installed "$name" "$version" && return
  echo "installing $name $version into $tools (the MinIO server takes a few minutes the first time)" >&2
  # Build outside the module so the tools never enter go.mod.
  (cd "$(mktemp -d)" && GOBIN="$tools" GOFLAGS=-buildvcs=false go install "$module@$version")
  echo "$version" >"$tools/$name.version"
}

install_liquibase() {
  installed liquibase "$LIQUIBASE_VERSION" && return
  echo "installing liquibase $LIQUIBASE_VERSION into $tools (from the npm registry)" >&2
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "liquibase@$LIQUIBASE_VERSION" >/dev/null)
  echo "$LIQUIBASE_SHA256  $tmp/liquibase-$LIQUIBASE_VERSION.tgz" | sha256sum -c --quiet -
  tar -xzf "$tmp/liquibase-$LIQUIBASE_VERSION.tgz" -C "$tmp" package/dist/liquibase
  rm -rf "$tools/liquibase"
  mv "$tmp/package/dist/liquibase" "$tools/liquibase"
  rm -rf "$tmp"
  echo "$LIQUIBASE_VERSION" >"$tools/liquibase.version"
}

install_chromium() {
  command -v chromium >/dev/null && return
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      echo "chromium is not installed and this is not root: run 'apt-get install -y chromium' as root." >&2
      echo "The release site's browser tests skip without it, and fail under CI=true." >&2
      return
    fi
  fi
  echo "installing chromium (Debian package) with apt-get" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >/dev/null
}

wanted=("$@")
[[ ${#wanted[@]} -gt 0 ]] || wanted=(actionlint minio liquibase chromium)
for tool in "${wanted[@]}"; do
  case "$tool" in
  actionlint) install actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION" ;;
  minio) install minio github.com/minio/minio "$MINIO_VERSION" ;;
  liquibase) install_liquibase ;;
  chromium) install_chromium ;;
  *) echo "scripts/tools.sh: unknown tool $tool (known: actionlint minio liquibase chromium)" >&2; exit 2 ;;
  esac
done
echo "$tools"
