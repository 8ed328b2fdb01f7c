#!/bin/sh
# Smoke test of examples/npc on the shipped model (its default): 60 frames
# in stepping, no-budget and worker mode; each must print NPC text and end
# with the summary line, with tokens > 0.
set -eu
exe=$1
for mode in "" "--no-budget" "--worker"; do
  out=$("$exe" --frames 60 --npcs 3 -t 2 $mode)
  last=$(printf '%s\n' "$out" | tail -n 1)
  echo "mode '${mode:-stepping}': $last"
  printf '%s\n' "$out" | grep -q '^\[npc [0-2]\] ' || { echo "no NPC text"; exit 1; }
  printf '%s\n' "$last" | grep -Eq '^frames 60 over_budget [0-9]+ max_ms [0-9.]+ p99_ms [0-9.]+ tokens [1-9][0-9]* tok_per_s [0-9.]+$' ||
    { echo "bad last line"; exit 1; }
done
echo "3 passed, 0 failed"
