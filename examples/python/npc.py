#!/usr/bin/env python3
"""Three NPCs answering at once in a 60 frames per second loop, two ways:
budgeted steps on the game thread (step_all, 3 ms per frame), then the
library's worker thread (the game thread only submits and polls). Prints
each NPC's line and the frame times.
usage: npc.py [MODEL.gguf] [N_PREDICT]"""
import os
import sys
import time

from llamac import (Context, EventKind, Generator, Model, SamplerChain, StepKind, Worker,
                    step_all)

here = os.path.dirname(os.path.abspath(__file__))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "models", "kjv-6m-f16.gguf")
n_predict = int(sys.argv[2]) if len(sys.argv) > 2 else 24
lines = ["And God said", "The LORD is my shepherd", "Blessed are the"]
FRAME = 1 / 60


def stepped(model):
    with Context(model, n_ctx=256 * len(lines), n_threads=1, n_seq_max=len(lines)) as ctx:
        smpls = [SamplerChain(n_vocab=model.n_vocab(), temperature=0) for _ in lines]
        npcs = [Generator(ctx, s, max_tokens=n_predict, seq=i) for i, s in enumerate(smpls)]
        for g, text in zip(npcs, lines):
            g.submit(model.tokenize(text))
        said = [b""] * len(lines)
        frame_ms = []
        while True:
            t0 = time.perf_counter()
            steps = step_all(npcs, 3000)
            frame_ms.append((time.perf_counter() - t0) * 1000)
            for i, st in enumerate(steps):
                said[i] += st.bytes
            if all(st.kind == StepKind.DONE for st in steps):
                break
            time.sleep(max(0.0, FRAME - (time.perf_counter() - t0)))
        for s in smpls:
            s.close()
    frame_ms.sort()
    print(f"stepped: {len(frame_ms)} frames, median {frame_ms[len(frame_ms) // 2]:.2f} ms, "
          f"max {frame_ms[-1]:.2f} ms")
    return said


def worker(model):
    said = [b""] * len(lines)
    poll_ms = []
    with Worker(model=model, n_slots=len(lines), n_predict=n_predict, budget_us=3000) as w:
        for i, text in enumerate(lines):
            w.submit(i, text)
        ended = 0
        while ended < len(lines):
            t0 = time.perf_counter()
            for ev in w.events():
                if ev.kind == EventKind.TEXT:
                    said[ev.slot] += ev.bytes
                elif ev.kind in (EventKind.DONE, EventKind.ERROR):
                    ended += 1
            poll_ms.append((time.perf_counter() - t0) * 1000)
            time.sleep(FRAME)
    print(f"worker: {len(poll_ms)} frames, game thread max {max(poll_ms):.3f} ms per frame")
    return said


with Model(path) as model:
    a = stepped(model)
    b = worker(model)
for text, x, y in zip(lines, a, b):
    print(f"{text}{x.decode('utf-8', 'replace')!r}" + ("" if x == y else "  (worker differs!)"))
sys.exit(0 if a == b else 1)
