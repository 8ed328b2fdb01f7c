#!/usr/bin/env python3
"""Python binding overhead per generated token vs `llamac run`.

  bench_python.py --cli BUILD/tools/llamac -m MODEL [-n 64] [-t 2] [--rounds 5]

Runs interleaved rounds (CLI, then Python, same model, prompt, threads and
sampling: greedy) and prints each side's median generation tokens/s (the
CLI's own "generation" line; for Python the time of the Generator's steps
after the prompt, which is the same span) and the ratio. The machine may be
shared: medians of interleaved rounds damp that, not remove it.
Needs LLAMAC_LIBRARY (or an installed llamac) for the Python side."""
import argparse
import re
import statistics
import subprocess
import time

PROMPT = "The quick brown fox jumps over the lazy dog. Once upon a time"


def cli_rate(cli, model, n, threads):
    r = subprocess.run([cli, "run", "-m", model, "-p", PROMPT, "-n", str(n), "--temp", "0",
                        "-t", str(threads), "-c", "512"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    m = re.search(r"generation\s+[\d.]+ ms\s+(\d+) tokens\s+([\d.]+) tokens/s", r.stderr)
    if not m:
        raise SystemExit(f"no generation line in: {r.stderr}")
    return float(m.group(2)), int(m.group(1))


def py_rate(model, ctx, n):
    from llamac import Generator, SamplerChain
    with SamplerChain(n_vocab=model.n_vocab(), temperature=0) as smpl:
        ctx.kv_clear()
        g = Generator(ctx, smpl, model.tokenize(PROMPT, parse_special=True), max_tokens=n)
        t0 = time.perf_counter()
        k = 0
        while g.stop_reason == 0:
            tok, _, _ = g.step()
            k += tok is not None
        dt = time.perf_counter() - t0
        g.close()
    return k / dt, k


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("-n", type=int, default=64)
    ap.add_argument("-t", "--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    from llamac import Context, Model
    model = Model(a.model)
    ctx = Context(model, n_ctx=512, n_threads=a.threads)
    cr, pr = [], []
    for i in range(a.rounds):
        c, nc = cli_rate(a.cli, a.model, a.n, a.threads)
        p, npy = py_rate(model, ctx, a.n)
        cr.append(c)
        pr.append(p)
        print(f"round {i + 1}: cli {c:8.2f} tok/s ({nc})   python {p:8.2f} tok/s ({npy})", flush=True)
    mc, mp = statistics.median(cr), statistics.median(pr)
    print(f"median: cli {mc:.2f} tok/s, python {mp:.2f} tok/s, python/cli {mp / mc:.3f} "
          f"({(1 - mp / mc) * 100:+.1f}% slower)")
    ctx.close()
    model.close()


if __name__ == "__main__":
    main()
