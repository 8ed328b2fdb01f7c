#!/usr/bin/env bash
# Tests the Rust bindings (bindings/rust: crates llamac-sys and llamac)
# against a built library:
#   scripts/test_rust.sh [BUILD_DIR] [cargo test args...]
#                                   (default build-test: the gcc pass of
#                                    scripts/test.sh)
# Runs `cargo test --offline` (no crates.io: the crates have no
# dependencies) with LLAMAC_LIB_DIR=BUILD_DIR/lib (llamac-sys links from
# there and sets an rpath; LD_LIBRARY_PATH is set too for anything else),
# LLAMAC_CLI=BUILD_DIR/tools/llamac (the tests compare greedy text with
# `llamac run --temp 0`), and CARGO_TARGET_DIR=BUILD_DIR/cargo-target so the
# source tree stays clean. Then runs the three examples once on the shipped
# model. Needs Rust >= 1.77 (rust-version in bindings/rust/Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-test}
[ $# -gt 0 ] && shift
build=$(cd "$build" && pwd)
[ -f "$build/lib/libllamac.so" ] || { echo "test_rust: $build/lib/libllamac.so not built" >&2; exit 1; }
# rustup installs into ~/.cargo/bin, which a non-login shell may lack
[ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || { echo "test_rust: cargo not found (scripts/deps.sh installs it)" >&2; exit 1; }
need=1.77
have=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
  echo "test_rust: rustc $have is older than $need (bindings/rust rust-version); install a newer" \
    "Rust with rustup" >&2
  exit 1
fi
export LLAMAC_LIB_DIR="$build/lib"
export LLAMAC_CLI="$build/tools/llamac"
export LD_LIBRARY_PATH="$build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CARGO_TARGET_DIR="$build/cargo-target"
export CARGO_NET_OFFLINE=true
root=$PWD
cd bindings/rust
echo "test_rust: $(cargo --version), $(rustc --version)"
# the examples first: tests/api.rs runs target/debug/examples/generate
cargo build --offline --locked --examples
cargo test --offline --locked "$@"
model="$root/models/kjv-6m-f16.gguf"
ex="$CARGO_TARGET_DIR/debug/examples"
echo "test_rust: examples"
gen=$("$ex/generate" "$model" "In the beginning" 16)
ref=$("$LLAMAC_CLI" run -m "$model" --temp 0 -n 16 -p "In the beginning" 2>/dev/null)
if [ "$gen" != "$ref" ]; then
  echo "test_rust: the generate example printed '$gen', llamac run '$ref'" >&2
  exit 1
fi
"$ex/stream" "$model" "In the beginning" 16 >/dev/null
"$ex/npc" "$model" 12 >/dev/null
echo "test_rust: ok"
