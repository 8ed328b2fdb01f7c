#!/usr/bin/env bash
# Installs the Debian packages llamac needs to build and test, if missing.
# Safe to run repeatedly; needs root (or sudo) only when something is missing.
set -euo pipefail
need=(meson ninja-build gcc clang pkg-config libcmocka-dev zlib1g-dev python3-numpy python3-jinja2
      python3-venv python3-pip python3-setuptools python3-wheel python3-pytest
      abigail-tools)
# Rust (bindings/rust, scripts/test_rust.sh): the machines have it from
# rustup in ~/.cargo/bin; elsewhere Debian's cargo and rustc (too old for
# the crates' rust-version 1.77 on bookworm: test_rust.sh then says so).
if ! command -v cargo >/dev/null && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  need+=(cargo rustc)
fi
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
