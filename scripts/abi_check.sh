#!/usr/bin/env bash
# Compares the ABI of libllamac.so.0 built in BUILD_DIR (default build-abi,
# created with gcc -Ddebug=true if missing) with the committed baseline
# abi/libllamac.so.0.abi. Fails on any change docs/abi.md does not allow.
# Usage: scripts/abi_check.sh [BUILD_DIR]
#        scripts/abi_check.sh --compare BASELINE.abi CURRENT.abi
#          (only the comparison of two dumps; scripts/abi_selftest.py uses it)
set -euo pipefail
source "$(dirname "$0")/abi_common.sh"
cd "$abi_root"

compare() {  # baseline dump, current dump
  # abidiff's exit status is a bit mask: 1 ABIDIFF_ERROR, 2 ABIDIFF_USAGE_ERROR,
  # 4 ABIDIFF_ABI_CHANGE, 8 ABIDIFF_ABI_INCOMPATIBLE_CHANGE. The suppressions
  # already remove every allowed change, so any bit set fails: 1/2 because
  # nothing was compared, 4 because a change the policy does not allow is
  # left (abidiff cannot tell compatible from not; docs/abi.md can, and it
  # allows only what is suppressed), 8 because a symbol was removed.
  # --no-default-suppression: ~/.abignore or a system default file must not
  # widen what passes.
  local status=0 report
  report=$(abidiff --no-default-suppression --suppressions "$abi_suppressions" "$1" "$2") || status=$?
  if [ "$status" -ne 0 ]; then
    printf '%s\n' "$report"
    if (( status & 1 )); then
      echo "abi: abidiff failed (exit $status): nothing was compared" >&2
    elif (( status & 8 )); then
      echo "abi: FAIL: incompatible change (exit $status): an exported symbol was removed" >&2
    else
      echo "abi: FAIL: ABI change not allowed by docs/abi.md (exit $status)" >&2
    fi
    return 1
  fi
  if ! python3 "$abi_root/scripts/abi_layout.py" "$abi_suppressions" "$1" "$2"; then
    echo "abi: FAIL: a params struct or enum changed other than by appending (docs/abi.md)" >&2
    return 1
  fi
}

if [ "${1:-}" = --compare ]; then
  [ $# -eq 3 ] || { echo "usage: $0 --compare BASELINE.abi CURRENT.abi" >&2; exit 2; }
  compare "$2" "$3"
  exit
fi

dir=${1:-build-abi}
abi_build_library "$dir"
lib=$(abi_library_of "$dir")
current="$dir/abi/libllamac.so.0.abi"
mkdir -p "$dir/abi"
abi_dump "$lib" "$current"
compare "$abi_baseline" "$current"
echo "abi: libllamac.so.0 matches abi/libllamac.so.0.abi (allowed additions only)"
