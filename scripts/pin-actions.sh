#!/usr/bin/env bash
# Points every action the reusable workflows (.github/workflows/*.yml with workflow_call)
# use at one ref of Shepherd, or checks that they are at it.
#
#   scripts/pin-actions.sh REF [OWNER/REPO]   rewrite: uses: OWNER/REPO/actions/<step>@REF
#                                             (OWNER/REPO defaults to the one written now)
#   scripts/pin-actions.sh --check REF        fail unless every action is at REF
#
# A release commit pins its own tag before it is tagged (the dist workflow runs --check);
# main pins main. A fork that changes Shepherd's code points the actions at itself:
#   scripts/pin-actions.sh main your-org/shepherd
set -euo pipefail

check=false
if [[ ${1:-} == --check ]]; then
	check=true
	shift
fi
ref=${1:?usage: scripts/pin-actions.sh [--check] REF [OWNER/REPO]}
repo=${2:-}
name='[A-Za-z0-9_.-]+'
[[ $ref =~ ^[A-Za-z0-9_./-]+$ ]] || { echo "pin-actions.sh: $ref is not a ref" >&2; exit 2; }
[[ -z $repo || $repo =~ ^$name/$name$ ]] || { echo "pin-actions.sh: $repo is not OWNER/REPO" >&2; exit 2; }

root=${SHEPHERD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
mapfile -t files < <(grep -l '^  workflow_call:' "$root"/.github/workflows/*.yml)
[[ ${#files[@]} -gt 0 ]] || { echo "pin-actions.sh: no reusable workflows in $root/.github/workflows" >&2; exit 2; }
use="uses: ($name/$name)/actions/([a-z-]+)@([^[:space:]]+)"

if $check; then
	off=$(grep -EHn "$use" "${files[@]}" | grep -Ev "@${ref//./\\.}\$" || true)
	if [[ -n $off ]]; then
		echo "pin-actions.sh: these actions are not at $ref:" >&2
		echo "$off" >&2
		exit 1
	fi
	echo "every action of the reusable workflows is at $ref"
	exit 0
fi
sed -E -i "s#$use#uses: ${repo:-\\1}/actions/\\2@$ref#" "${files[@]}"
echo "pinned the actions of ${#files[@]} reusable workflows at $ref"
