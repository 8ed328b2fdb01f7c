#!/usr/bin/env bash
# The test command: install what is missing, build with gcc, run every test.
# Usage: scripts/test.sh            (default suite, a few minutes)
#        LLAMAC_TEST_SANITIZE=1 scripts/test.sh   (also an ASan+UBSan clang build)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

run_suite() {  # dir, then meson setup args
  local dir=$1; shift
  if [ -d "$dir" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
  else meson setup "$dir" "$@" >/dev/null; fi
  meson compile -C "$dir"
  meson test -C "$dir" --print-errorlogs
}

CC=gcc run_suite build-test
if [ "${LLAMAC_TEST_SANITIZE:-0}" = 1 ]; then
  CC=clang run_suite build-test-asan -Db_sanitize=address,undefined -Dbuildtype=debugoptimized -Db_lundef=false
fi
