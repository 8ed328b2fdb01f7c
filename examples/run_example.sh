#!/bin/sh
# Runs an example (generate, decode_loop: same arguments) on the tiny
# reference model; skip (77) without it.
set -eu
exe=$1 shared=$2
model="$shared/models/tiny-F32.gguf"
if [ ! -r "$model" ]; then echo "SKIP: $model not found (../shared absent?)"; exit 77; fi
out=$("$exe" "$model" "Once upon a time" 16)
echo "$out"
case "$out" in "Once upon a time"?*) echo "1 passed, 0 failed";; *) echo "no continuation"; exit 1;; esac
