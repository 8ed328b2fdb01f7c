#!/bin/sh
# Smoke test of examples/npc on the shipped model (its default): 120 frames
# in stepping, no-budget and worker mode; each must print NPC text and end
# with the summary line, with tokens > 0. On a loaded machine 120 frames (2 s)
# may pass before the first token (the worker loads the model on its own
# thread), so each run goes on until it has 20 tokens (at most 2 minutes
# more: --min-tokens).
set -eu
exe=$1
err=$(mktemp)
trap 'rm -f "$err"' EXIT
for mode in "" "--no-budget" "--worker"; do
  # one thread: a 2-thread pool on a machine with many more runnable
  # threads than cores can take seconds for a few tokens
  out=$("$exe" --frames 120 --min-tokens 20 --npcs 3 -t 1 $mode 2>"$err")
  last=$(printf '%s\n' "$out" | tail -n 1)
  echo "mode '${mode:-stepping}': $last"
  # an NPC's request that fails (e.g. the context full) is printed on stderr
  if [ -s "$err" ]; then cat "$err"; echo "errors on stderr"; exit 1; fi
  printf '%s\n' "$out" | grep -q '^\[npc [0-2]\] ' || { echo "no NPC text"; exit 1; }
  printf '%s\n' "$last" | grep -Eq '^frames [0-9]+ over_budget [0-9]+ max_ms [0-9.]+ p99_ms [0-9.]+ tokens (2[0-9]|[3-9][0-9]|[1-9][0-9][0-9]+) tok_per_s [0-9.]+$' ||
    { echo "bad last line"; exit 1; }
done
echo "3 passed, 0 failed"
