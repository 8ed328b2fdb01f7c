#!/bin/bash
# Side-by-side speed of llamac and llama.cpp (commit c392e50) on the same
# GGUF files, as docs/performance.md describes: interleaved rounds (each
# round runs `llama-bench -r 1` then `llamac bench -r 1` per file and
# kernel set), medians per engine, ratio = llamac / llama.cpp.
#
#   scripts/bench_vs_peer.sh [options] FILE.gguf...
#
#   LLAMA_CPP_GIT=DIR   a llama.cpp git repository (work tree or bare, e.g.
#                       a fetched mirror) holding commit c392e50; built once
#                       under $PEER_DIR (default /tmp/llamacpp-c392e50) with
#                       cmake, native flags (about 10 minutes of 2 cores).
#                       Unset: reuse the build in $PEER_DIR.
#   ROUNDS=N            interleaved rounds (default 7)
#   THREADS=N           threads for both engines (default 2)
#   PP=N TG=N           prompt and generated tokens (default 128 and 32)
#   KERNELS="auto avx2" llamac kernel sets to run, each its own column
#                       (LLAMAC_KERNELS; default "auto")
#   LLAMAC=PATH         the llamac program (default build/tools/llamac)
#
# Prints one line per file, test and kernel set: medians and the ratio.
# Raw samples go to $OUT (default /tmp/bench_vs_peer.csv). Nothing here
# touches the repository. Run it on a quiet machine: a shared one swings by
# tens of percent from minute to minute (the interleaving keeps the ratio
# fair, not the absolute numbers).
set -euo pipefail

PEER_COMMIT=c392e50
PEER_DIR=${PEER_DIR:-/tmp/llamacpp-$PEER_COMMIT}
ROUNDS=${ROUNDS:-7}
THREADS=${THREADS:-2}
PP=${PP:-128}
TG=${TG:-32}
KERNELS=${KERNELS:-auto}
LLAMAC=${LLAMAC:-build/tools/llamac}
OUT=${OUT:-/tmp/bench_vs_peer.csv}

if [ $# -eq 0 ]; then
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
for f in "$@"; do [ -f "$f" ] || { echo "bench_vs_peer: no file $f" >&2; exit 1; }; done
[ -x "$LLAMAC" ] || { echo "bench_vs_peer: $LLAMAC is not built (meson compile -C build)" >&2; exit 1; }

PEER_BENCH=$PEER_DIR/build/bin/llama-bench
if [ -n "${LLAMA_CPP_GIT:-}" ] && [ ! -x "$PEER_BENCH" ]; then
    command -v cmake >/dev/null || { echo "bench_vs_peer: needs cmake (apt-get install cmake)" >&2; exit 1; }
    mkdir -p "$PEER_DIR/src"
    git --git-dir="$(git -C "$LLAMA_CPP_GIT" rev-parse --absolute-git-dir)" archive "$PEER_COMMIT" |
        tar -x -C "$PEER_DIR/src"
    cmake -S "$PEER_DIR/src" -B "$PEER_DIR/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
        -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF
    cmake --build "$PEER_DIR/build" --target llama-bench -j "$(nproc)"
fi
[ -x "$PEER_BENCH" ] || {
    echo "bench_vs_peer: no $PEER_BENCH; set LLAMA_CPP_GIT to a llama.cpp repository holding $PEER_COMMIT" >&2
    exit 1
}

# One CSV line per sample: engine,kernels,file,test,tokens_per_s
echo "engine,kernels,file,test,tokens_per_s" >"$OUT"
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    for f in "$@"; do
        "$PEER_BENCH" -m "$f" -p "$PP" -n "$TG" -t "$THREADS" -r 1 -o csv 2>/dev/null |
            /usr/bin/python3 -c '
import csv, sys
f = sys.argv[1]
for r in csv.DictReader(sys.stdin):
    test = "pp%s" % r["n_prompt"] if int(r["n_prompt"]) else "tg%s" % r["n_gen"]
    print("llama.cpp,-,%s,%s,%s" % (f, test, r["avg_ts"]))' "$f" >>"$OUT"
        for k in $KERNELS; do
            LLAMAC_KERNELS=$k "$LLAMAC" bench -m "$f" -p "$PP" -n "$TG" -t "$THREADS" -r 1 -o csv 2>/dev/null |
                awk -F, -v f="$f" -v k="$k" 'NR > 1 { print "llamac," k "," f "," $5 "," $7 }' >>"$OUT"
        done
    done
done

/usr/bin/python3 - "$OUT" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
med = {}
for r in rows:
    med.setdefault((r["engine"], r["kernels"], r["file"], r["test"]), []).append(float(r["tokens_per_s"]))
print("| file | test | llama.cpp t/s | llamac kernels | llamac t/s | ratio |")
print("|---|---|---:|---|---:|---:|")
for (engine, kernels, f, test), v in sorted(med.items(), key=lambda kv: (kv[0][2], kv[0][3], kv[0][1])):
    if engine != "llamac":
        continue
    peer = med.get(("llama.cpp", "-", f, test))
    ours = statistics.median(v)
    if peer:
        p = statistics.median(peer)
        print("| %s | %s | %.2f | %s | %.2f | %.2fx |" % (f.split("/")[-1], test, p, kernels, ours, ours / p))
    else:
        print("| %s | %s | - | %s | %.2f | - |" % (f.split("/")[-1], test, kernels, ours))
EOF
