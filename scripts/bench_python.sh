#!/usr/bin/env bash
# Python binding overhead vs `llamac run` on a tinyllama-shaped Q4_0 model:
#   scripts/bench_python.sh [BUILD_DIR] [extra bench_python.py args]
# (default build-test). The model (random weights, tinyllama-1.1b shape,
# quantized to Q4_0; about 0.6 GB, plus 2.2 GB F16 while it is made) is
# cached in BUILD_DIR/bench-models. BENCH_SHAPE=tiny for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-test}
[ $# -gt 0 ] && shift
shape=${BENCH_SHAPE:-tinyllama-1.1b}
dir="$build/bench-models"
mkdir -p "$dir"
q4="$dir/$shape-Q4_0.gguf"
if [ ! -f "$q4" ]; then
  "$build/tools/llamac" synth --shape "$shape" -o "$dir/$shape-F16.gguf"
  "$build/tools/llamac" quantize "$dir/$shape-F16.gguf" "$q4" Q4_0
  rm -f "$dir/$shape-F16.gguf"
fi
LLAMAC_LIBRARY="$build/lib/libllamac.so.0" PYTHONPATH=bindings/python \
  /usr/bin/python3 scripts/bench_python.py --cli "$build/tools/llamac" -m "$q4" "$@"
