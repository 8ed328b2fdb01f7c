#!/bin/bash
# The measurements of docs/games.md, for a quiet machine:
#   scripts/bench_games.sh [BUILD_DIR] [MODEL...]
# BUILD_DIR defaults to build; the models to the shipped one plus
# /tmp/r17/tl-q4_0.gguf when it exists, made with
#   llamac synth --shape tinyllama-1.1b --type f16 -o /tmp/r17/tl-f16.gguf
#   llamac quantize /tmp/r17/tl-f16.gguf /tmp/r17/tl-q4_0.gguf Q4_0
# Per model, 2 threads (THREADS=N to change), FRAMES frames (default 600):
#   1. plain generation speed: llamac bench -p 0 -n 32 (tg32) and
#      llamac run --temp 0 -n 200 (what the must-show compares with:
#      the generation speed of a run, sampling included);
#   2. examples/npc in-frame stepping, budget 4 ms, 1 and 3 NPCs, and the
#      --no-budget run (one whole decode step per frame) for comparison;
#   3. examples/npc --worker: submit/poll/cancel times;
#   4. test_games_worker --model: cancel latency, idle worker CPU;
#   5. test_games_memory --model: llamac_estimate_memory vs RSS growth.
# Prints what each prints; nothing is written to the repository.
set -euo pipefail
build=${1:-build}
shift || true
threads=${THREADS:-2}
frames=${FRAMES:-600}
root=$(cd "$(dirname "$0")/.." && pwd)
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=("$root/models/kjv-6m-f16.gguf")
  [ -r /tmp/r17/tl-q4_0.gguf ] && models+=(/tmp/r17/tl-q4_0.gguf)
fi
echo "== $(date -u) on $(nproc) CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for m in "${models[@]}"; do
  echo "== $m, $threads threads"
  "$build/tools/llamac" bench -m "$m" -p 0 -n 32 -t "$threads" -r 3 2>&1 | grep -E 'tg32|RSS'
  for r in 1 2 3; do
    printf 'llamac run --temp 0 -n 200:        '
    "$build/tools/llamac" run -m "$m" -p "And the king said unto the prophet," -n 200 --temp 0 -t "$threads" \
      2>&1 >/dev/null | grep -E '^ *generation'
  done
  for npcs in 1 3; do
    printf 'stepping, %d NPC(s), budget 4 ms:  ' "$npcs"
    "$build/examples/npc" -m "$m" --frames "$frames" --npcs "$npcs" -t "$threads" --budget-ms 4 --quiet | tail -n 1
  done
  printf 'no budget, 3 NPCs:                 '
  "$build/examples/npc" -m "$m" --frames "$frames" --npcs 3 -t "$threads" --no-budget --quiet | tail -n 1
  printf 'worker, 3 NPCs (call times):       '
  "$build/examples/npc" -m "$m" --frames "$frames" --npcs 3 -t "$threads" --worker --quiet | tail -n 1
  "$build/tests/test_games_worker" --model "$m" 2>&1 | grep -E 'loaded in|cancel:|idle worker'
  "$build/tests/test_games_memory" --model "$m" 2>&1 | grep -E 'n_ctx|FAILED' || true
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
