#!/usr/bin/env bash
# Tests the Python binding (bindings/python) against a built library:
#   scripts/test_python.sh [BUILD_DIR]      (default build-test: the gcc pass
#                                            of scripts/test.sh)
# Makes a venv under BUILD_DIR with /usr/bin/python3 (system site packages:
# Debian's pytest, setuptools, wheel), installs the package into it offline
# from a copy of bindings/python (so the source tree stays clean), then runs
# its pytest suite with LLAMAC_LIBRARY pointing at BUILD_DIR's library and
# LLAMAC_CLI at BUILD_DIR's llamac tool.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-test}
[ $# -gt 0 ] && shift
build=$(cd "$build" && pwd)
lib="$build/lib/libllamac.so.0"
[ -f "$lib" ] || { echo "test_python: $lib not built" >&2; exit 1; }
venv="$build/python-venv"
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
src="$build/python-src"
rm -rf "$src"
cp -r bindings/python "$src"
rm -rf "$src/tests"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-index \
  --no-build-isolation --no-deps \
  --force-reinstall "$src"
export LLAMAC_LIBRARY="$lib"
export LLAMAC_CLI="$build/tools/llamac"
# Run from the build dir so that `import llamac` finds the installed package,
# not the source tree.
root=$PWD
cd "$build"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/bindings/python/tests" "$@"
