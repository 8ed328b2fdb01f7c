#!/bin/sh
# The shared library exports exactly the llamac_* functions of the header:
# nothing else (visibility), and nothing the header does not declare.
set -eu
lib=$1 header=$2
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | sort)
bad=$(printf '%s\n' "$syms" | grep -v '^llamac_' || true)
if [ -n "$bad" ]; then echo "exported non-llamac symbols:"; echo "$bad"; exit 1; fi
missing=0
for s in $syms; do
  grep -q "\b$s\b" "$header" || { echo "exported but not in llamac.h: $s"; missing=1; }
done
declared=$(grep 'LLAMAC_API' "$header" | grep -o 'llamac_[a-z0-9_]*(' | tr -d '(' | sort -u)
for s in $declared; do
  printf '%s\n' "$syms" | grep -qx "$s" || { echo "declared but not exported: $s"; missing=1; }
done
[ $missing -eq 0 ] || exit 1
echo "1 passed, 0 failed: $(printf '%s\n' "$syms" | wc -l) exported symbols, all llamac_ and declared"
