#!/usr/bin/env bash
# The test command (CI runs exactly this): install what is missing, then
#   1. build with gcc (release, -Werror, plus -g for the ABI check: gcc's -g
#      does not change the generated code) and run every test;
#   2. compare the ABI of that build's libllamac.so.0 with the committed
#      baseline abi/libllamac.so.0.abi (scripts/abi_check.sh, docs/abi.md),
#      and test the check itself on edited copies of the baseline;
#   2b. install the Python binding (bindings/python) into a venv and run its
#      pytest suite against that build's library (scripts/test_python.sh);
#   2c. cargo test --offline of the Rust bindings (bindings/rust) against
#      that build's library, and their examples once (scripts/test_rust.sh);
#   3. build with clang under AddressSanitizer + UndefinedBehaviorSanitizer
#      (-Werror too) and run every test again: leaks and UB fail the run;
#   4. build only tests/test_threads and tests/test_games_worker with clang
#      under ThreadSanitizer and run
#      the `threads` suite: any data race fails the run.
# The kernel back ends (AVX2 where the CPU has it, and the scalar reference)
# are both exercised by the suite itself (golden / golden_scalar, simd tests).
# LLAMAC_TEST_QUICK=1 skips steps 3 and 4. Long soaks: meson setup -Dlong_tests=true.
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

configure() {  # dir, then meson setup args
  local dir=$1; shift
  if [ -d "$dir" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
  else meson setup "$dir" "$@" >/dev/null; fi
}

run_suite() {  # dir, then meson setup args
  configure "$@"
  meson compile -C "$1"
  meson test -C "$1" --print-errorlogs --num-processes 2
}

step_start=$SECONDS
step_done() { echo "== $1: $((SECONDS - step_start)) s"; step_start=$SECONDS; }

echo "== gcc, release (+ debug info) =="
CC=gcc run_suite build-test -Ddebug=true
step_done "gcc pass"
echo "== ABI check =="
scripts/abi_check.sh build-test
# The check's own verdicts on edited copies of the baseline.
python3 scripts/abi_selftest.py scripts/abi_check.sh
step_done "ABI check"
echo "== Python binding (against the gcc build) =="
scripts/test_python.sh build-test
step_done "Python binding"
echo "== Rust bindings (against the gcc build) =="
scripts/test_rust.sh build-test
step_done "Rust bindings"
if [ "${LLAMAC_TEST_QUICK:-0}" != 1 ]; then
  echo "== clang, ASan + UBSan =="
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  CC=clang run_suite build-test-asan -Db_sanitize=address,undefined \
    -Dbuildtype=debugoptimized -Db_lundef=false
  step_done "ASan + UBSan pass"

  echo "== clang, ThreadSanitizer (suite threads) =="
  CC=clang configure build-test-tsan -Db_sanitize=thread \
    -Dbuildtype=debugoptimized -Db_lundef=false
  meson compile -C build-test-tsan tests/test_threads tests/test_games_worker
  # clang 14's TSan only knows the memory layout of kernels with up to 28
  # bits of mmap randomization; with more it dies with "unexpected memory
  # mapping". Running without ASLR avoids that wherever the kernel lets us
  # turn it off (not under Docker's default seccomp profile, so try first).
  no_aslr=()
  if setarch "$(uname -m)" -R true 2>/dev/null; then no_aslr=(setarch "$(uname -m)" -R); fi
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 "${no_aslr[@]}" \
    meson test -C build-test-tsan --no-rebuild --suite threads --print-errorlogs
  step_done "TSan pass"
fi
