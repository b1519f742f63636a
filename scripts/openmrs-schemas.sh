#!/usr/bin/env bash
# Rebuilds the OpenMRS target databases the SQL load tests start from, and dumps them into
# internal/export/openmrsdb/schemas/ (gzipped mysqldump, schema and core data, without
# Liquibase's own bookkeeping tables):
#
#   openmrs-1.11.sql.gz  the clean OpenMRS 1.11.0 database, restored and dumped again
#   openmrs-2.N.sql.gz   a new OpenMRS 2.N database as OpenMRS makes one: Liquibase runs
#                        liquibase-schema-only-2.N.x.xml, then liquibase-core-data-2.N.x.xml
#
# The inputs are OpenMRS's own files, kept gzipped in internal/export/openmrsdb/source/
# (origin and licence in its README.md). Needs the MariaDB client tools, a server
# (default 127.0.0.1:3306, root, no password; override with MYSQL_HOST, MYSQL_PORT,
# MYSQL_USER), Java 17 and Liquibase (scripts/tools.sh installs it). Each database gets
# a random name and is dropped at the end.
#
# Usage: scripts/openmrs-schemas.sh [VERSION...]   (default: 1.11 2.2 2.7 2.9)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
pkg="$root/internal/export/openmrsdb"
src="$pkg/source"
out="$pkg/schemas"
host="${MYSQL_HOST:-127.0.0.1}" port="${MYSQL_PORT:-3306}" user="${MYSQL_USER:-root}"
tools="$("$root/scripts/tools.sh" liquibase)"
liquibase="$tools/liquibase/liquibase"

versions=("$@")
[[ ${#versions[@]} -gt 0 ]] || versions=(1.11 2.2 2.7 2.9)

client=(mariadb --host="$host" --port="$port" --user="$user")
work="$(mktemp -d)"
databases=()
cleanup() {
  for db in "${databases[@]}"; do "${client[@]}" -e "DROP DATABASE IF EXISTS \`$db\`" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

newdb() { # version -> name of a fresh database created as OpenMRS creates its own
  local db
  db="openmrs_schema_${1//./_}_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  "${client[@]}" -e "CREATE DATABASE \`$db\` CHARACTER SET utf8 COLLATE utf8_general_ci"
  echo "$db"
}

dump() { # database version
  local db=$1 version=$2 file="$out/openmrs-$2.sql.gz"
  # Without dates, server versions or host names, the same database gives the same bytes.
  # MariaDB 10.11's first line (sandbox mode) is dropped: MySQL's client rejects it.
  {
    echo "-- OpenMRS $version: a new database's schema and core data, made by scripts/openmrs-schemas.sh"
    echo "-- from OpenMRS's own files (see internal/export/openmrsdb/source/README.md; MPL 2.0)."
    mariadb-dump --host="$host" --port="$port" --user="$user" \
      --skip-comments --skip-dump-date --no-tablespaces --single-transaction \
      --ignore-table="$db.DATABASECHANGELOG" --ignore-table="$db.DATABASECHANGELOGLOCK" \
      --ignore-table="$db.liquibasechangelog" --ignore-table="$db.liquibasechangeloglock" \
      "$db" | sed '/^\/\*M!999999\\- enable the sandbox mode \*\/ *$/d'
  } | gzip -n -9 >"$file.tmp"
  mv "$file.tmp" "$file"
  echo "wrote $file ($(stat -c %s "$file") bytes)" >&2
}

mkdir -p "$out"
for v in "${versions[@]}"; do
  db="$(newdb "$v")"
  databases+=("$db") # here, not in newdb: a command substitution's subshell keeps nothing
  started=$SECONDS
  if [[ "$v" == 1.11 ]]; then
    gunzip -c "$src/openmrs-1.11.0-clean.sql.gz" | "${client[@]}" "$db"
  else
    for changelog in "liquibase-schema-only-$v.x.xml" "liquibase-core-data-$v.x.xml"; do
      gunzip -c "$src/$changelog.gz" >"$work/$changelog"
      "$liquibase" --url="jdbc:mariadb://$host:$port/$db" --username="$user" --password= \
        --search-path="$work" --changelog-file="$changelog" --log-level=WARNING --show-banner=false \
        update >"$work/liquibase.log" 2>&1 || { cat "$work/liquibase.log" >&2; exit 1; }
    done
  fi
  echo "built OpenMRS $v in $((SECONDS - started)) s" >&2
  dump "$db" "$v"
done
