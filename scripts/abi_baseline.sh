#!/usr/bin/env bash
# Rewrites abi/libllamac.so.0.abi from the library built in BUILD_DIR
# (default build-abi, created with gcc -Ddebug=true if missing). Run it only
# when the ABI changes on purpose (docs/abi.md, "ABI check"): a release that
# bumps the SONAME, or after a reviewed allowed addition. Commit the result.
# Usage: scripts/abi_baseline.sh [BUILD_DIR]
set -euo pipefail
source "$(dirname "$0")/abi_common.sh"
cd "$abi_root"
dir=${1:-build-abi}

abi_build_library "$dir"
lib=$(abi_library_of "$dir")
abi_dump "$lib" "$abi_baseline"
# The new baseline must satisfy its own rules (every params struct begins
# with struct_size).
python3 "$abi_root/scripts/abi_layout.py" "$abi_suppressions" "$abi_baseline" "$abi_baseline"
echo "abi: wrote abi/libllamac.so.0.abi from $lib ($(grep -c '<elf-symbol ' "$abi_baseline") symbols)"
