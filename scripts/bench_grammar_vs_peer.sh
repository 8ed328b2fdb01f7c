#!/bin/sh
# Grammar sampling time per token (apply + accept), llamac next to llama.cpp,
# on the same vocabulary, grammar, token sequence and logits
# (docs/grammar.md, "Speed next to llama.cpp").
#
#   LLAMA_CPP_DIR=/path/to/llama.cpp scripts/bench_grammar_vs_peer.sh [BUILD_DIR [RUNS]]
#
# LLAMA_CPP_DIR is a llama.cpp checkout built with cmake into
# $LLAMA_CPP_DIR/build (LLAMA_CPP_BUILD overrides), static or shared; at
# least the `llama` target. BUILD_DIR is a llamac meson build (default
# build/) with tests/bench_grammar and tools/llamac. scripts/peer/peer_grammar.cpp
# is compiled in a temporary directory against llama.cpp; nothing is built or
# written inside this repository. For each vocabulary (../shared/vocab: Llama 2
# SPM 32k, Llama 3 BPE 128k) and each grammar (grammars/json.gbnf and the
# grammar llamac makes from scripts/peer/records.schema.json), it runs the two
# programs alternately RUNS times (default 3), one timed pass each, and
# prints the medians. The peer program checks that its tokenization equals
# llamac's and counts the steps whose allowed set differs.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
runs=${2:-3}
: "${LLAMA_CPP_DIR:?set LLAMA_CPP_DIR to a built llama.cpp checkout}"
lbuild=${LLAMA_CPP_BUILD:-$LLAMA_CPP_DIR/build}
vocabdir=$here/../shared/vocab
[ -f "$vocabdir/ggml-vocab-llama-spm.gguf" ] || { echo "no $vocabdir: skipped" >&2; exit 77; }
for f in "$build/tests/bench_grammar" "$build/tools/llamac"; do
    [ -x "$f" ] || { echo "missing $f (meson compile -C $build)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
libllama=$(find "$lbuild" -name 'libllama.a' | head -n 1)
if [ -n "$libllama" ]; then
    libs="$libllama"
    for l in ggml ggml-cpu ggml-base; do libs="$libs $(find "$lbuild" -name "lib$l.a" | head -n 1)"; done
    libs="$libs -fopenmp -lpthread -lm"
else
    libdir=$(dirname "$(find "$lbuild" -name 'libllama.so' | head -n 1)")
    gdir=$(dirname "$(find "$lbuild" -name 'libggml.so' | head -n 1)")
    libs="-L$libdir -L$gdir -Wl,-rpath,$libdir -Wl,-rpath,$gdir -lllama -lggml -lggml-base -lpthread -lm"
fi
# shellcheck disable=SC2086
${CXX:-g++} -O2 -std=c++17 -I"$LLAMA_CPP_DIR/include" -I"$LLAMA_CPP_DIR/ggml/include" \
    "$here/scripts/peer/peer_grammar.cpp" -o "$tmp/peer_grammar" $libs
"$build/tools/llamac" grammar --json-schema "$here/scripts/peer/records.schema.json" > "$tmp/records.gbnf"
if [ -d "$LLAMA_CPP_DIR/.git" ]; then
    echo "llama.cpp $(git -C "$LLAMA_CPP_DIR" rev-parse --short HEAD)"
fi

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
mspt() { sed -n 's/.* \([0-9.]*\) ms\/token.*/\1/p'; }

printf '| vocabulary | grammar | tokens | llamac ms/token | llama.cpp ms/token | llama.cpp / llamac | steps whose allowed set differs |\n'
printf '|---|---|---|---|---|---|---|\n' 
for v in spm bpe; do
    vocab=$vocabdir/ggml-vocab-llama-$v.gguf
    for g in "$here/grammars/json.gbnf" "$tmp/records.gbnf"; do
        : > "$tmp/a" && : > "$tmp/b"
        i=0
        while [ "$i" -lt "$runs" ]; do
            "$build/tests/bench_grammar" "$vocab" "$g" 1 "$tmp/dump" > "$tmp/out.a"
            "$tmp/peer_grammar" "$vocab" "$g" "$tmp/dump" 1 > "$tmp/out.b" 2> "$tmp/err.b"
            mspt < "$tmp/out.a" >> "$tmp/a"
            mspt < "$tmp/out.b" >> "$tmp/b"
            echo "run $i $v $(basename "$g"): llamac $(mspt < "$tmp/out.a"), llama.cpp $(mspt < "$tmp/out.b")" >&2
            i=$((i + 1))
        done
        a=$(median < "$tmp/a")
        b=$(median < "$tmp/b")
        n=$(sed -n 's/.*, \([0-9]*\) tokens (.*/\1/p' "$tmp/out.a")
        diff=$(sed -n 's/.*average, \([0-9]*\) steps.*/\1/p' "$tmp/out.b")
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$v" "$(basename "$g")" "$n" "$a" "$b" \
            "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.1f", b / a}')" "$diff"
    done
done
