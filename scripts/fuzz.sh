#!/usr/bin/env bash
# Runs every fuzz target of the module, one after another, for FUZZTIME each (default
# 30s), and stops with a non-zero exit at the first failure. go test saves the input
# that failed under <package>/testdata/fuzz/<target>/, where every later `go test`
# replays it: commit it with the fix.
#
#   FUZZTIME=10s scripts/fuzz.sh
#   FUZZPARALLEL=1 scripts/fuzz.sh    # fuzzing workers (default: one per core)
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-30s}"
parallel=()
if [[ -n "${FUZZPARALLEL:-}" ]]; then
	parallel=(-parallel "$FUZZPARALLEL")
fi

# One "<package dir> <target>" line per `func FuzzX(` in a test file.
targets=$(grep -r --include='*_test.go' --exclude-dir=.git --exclude-dir=vendor '^func Fuzz' . |
	sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*$#\1 \2#' | sort -u)
if [[ -z "$targets" ]]; then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 1
fi
total=$(wc -l <<<"$targets")
echo "fuzz.sh: $total fuzz targets, $fuzztime each"

n=0
while read -r dir target; do
	n=$((n + 1))
	echo "== [$n/$total] $target in $dir"
	# -run '^$' skips the ordinary tests; the anchors keep FuzzX from matching FuzzXY.
	if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" ${parallel[@]+"${parallel[@]}"} "$dir"; then
		echo "fuzz.sh: $target in $dir failed; the input is in $dir/testdata/fuzz/$target/" >&2
		exit 1
	fi
done <<<"$targets"
echo "fuzz.sh: all $total fuzz targets passed"
