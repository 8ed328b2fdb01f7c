#!/usr/bin/env bash
# Quick start: install what is missing, build llamac in build/, and generate
# text from the model that ships in models/ (see models/MODEL_CARD.md); no
# download. For a fresh Debian 12 machine, as root (or a user with sudo).
# Usage: scripts/quickstart.sh ["PROMPT" [TOKENS]]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

if [ -d build ]; then meson setup --reconfigure build >/dev/null
else meson setup build >/dev/null; fi
meson compile -C build

prompt=${1:-And God said}
n=${2:-120}
# A fixed seed makes the sample the same on every machine: llamac's sampling
# does not depend on the thread count.
echo
echo "== llamac run -p \"$prompt\" -n $n --seed 1611 (the shipped model, no -m needed) =="
printf '%s' "$prompt"
build/tools/llamac run -p "$prompt" -n "$n" --seed 1611
