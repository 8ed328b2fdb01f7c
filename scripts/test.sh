#!/usr/bin/env bash
# The test command (CI runs exactly this): install what is missing, then
#   1. build with gcc (release, -Werror) and run every test;
#   2. build with clang under AddressSanitizer + UndefinedBehaviorSanitizer
#      (-Werror too) and run every test again: leaks and UB fail the run.
# The kernel back ends (AVX2 where the CPU has it, and the scalar reference)
# are both exercised by the suite itself (golden / golden_scalar, simd tests).
# LLAMAC_TEST_QUICK=1 skips step 2. Long soaks: meson setup -Dlong_tests=true.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

# CI runs every test: without the reference data the tests that need it would
# only SKIP, so under CI=true a missing ../shared stops the run here (and the
# test programs themselves fail on a missing file, tests/test_util.c).
if [ "${CI:-}" = true ]; then
  for d in models golden vocab; do
    if [ ! -d "../shared/$d" ]; then
      echo "error: CI=true, but the reference data ../shared/$d is missing" \
        "(expected beside the source tree, at $(cd .. && pwd)/shared)" >&2
      exit 1
    fi
  done
fi

run_suite() {  # dir, then meson setup args
  local dir=$1; shift
  if [ -d "$dir" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
  else meson setup "$dir" "$@" >/dev/null; fi
  meson compile -C "$dir"
  meson test -C "$dir" --print-errorlogs --num-processes 2
}

echo "== gcc, release =="
CC=gcc run_suite build-test
if [ "${LLAMAC_TEST_QUICK:-0}" != 1 ]; then
  echo "== clang, ASan + UBSan =="
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  CC=clang run_suite build-test-asan -Db_sanitize=address,undefined \
    -Dbuildtype=debugoptimized -Db_lundef=false
fi
