"""Budgeted stepping and worker mode (llamac.h section 14) through the
Python binding, on the shipped model: greedy outputs equal the plain
generator's and `llamac run --temp 0`'s, batching three sequences changes
no token, cancel and close behave."""
import time

import pytest

from conftest import run_cli

from llamac import (Context, EventKind, Generator, InvalidArgumentError, Model, SamplerChain,
                    StepKind, StopReason, Worker, WorkerState, estimate_memory, next_us, step_all)

PROMPTS = ["In the beginning God created", "And God said", "The LORD is my shepherd"]
N = 16


def plain(model, prompt, n=N, n_ctx=256):
    """Greedy tokens and bytes of the unbudgeted generator."""
    with Context(model, n_ctx=n_ctx, n_threads=1) as ctx, \
            SamplerChain(n_vocab=model.n_vocab(), temperature=0) as smpl:
        g = Generator(ctx, smpl, model.tokenize(prompt), max_tokens=n)
        text = b"".join(g)
        return list(g.tokens), text, g.stop_reason


@pytest.fixture(scope="module")
def model(shipped):
    with Model(shipped) as m:
        yield m


@pytest.fixture(scope="module")
def reference(model):
    return {p: plain(model, p) for p in PROMPTS}


def run_stepped(gen, budget_us, limit=10000):
    data, kinds = b"", []
    for _ in range(limit):
        st = gen.step(budget_us)
        kinds.append(st.kind)
        assert st.used_us >= 0
        if st.kind == StepKind.TOKEN:
            assert st.token is not None
        else:
            assert st.token is None
        data += st.bytes
        if st.kind == StepKind.DONE:
            return data, kinds, st
    pytest.fail("no DONE step")


def test_step_equals_plain_and_cli(model, reference, shipped, cli):
    with Context(model, n_ctx=256, n_threads=1) as ctx, \
            SamplerChain(n_vocab=model.n_vocab(), temperature=0) as smpl:
        for prompt in PROMPTS:
            # A new generator on a cleared cache per prompt (a generator's
            # last sampled token, never decoded, would go before its next
            # prompt).
            ctx.kv_clear()
            g = Generator(ctx, smpl, max_tokens=N)
            g.submit(model.tokenize(prompt))
            data, kinds, last = run_stepped(g, 200)  # 0.2 ms: several calls per token
            toks, text, stop = reference[prompt]
            assert g.tokens == toks and len(toks) == N
            assert data == text
            assert kinds.count(StepKind.TOKEN) == N
            assert kinds.count(StepKind.BUSY) > 0  # the budget did cut the work
            assert last.stop == stop == StopReason.MAX_TOKENS
            assert g.stop_reason == StopReason.MAX_TOKENS
            printed = run_cli(cli, "run", "-m", shipped, "-p", prompt, "-n", str(N),
                              "--temp", "0", "-t", "1")
            assert printed == text + b"\n"
        # A step with nothing submitted is DONE at once.
        assert g.step(1000).kind == StepKind.DONE
        g.close()


def test_step_zero_budget_runs_one_unit(model, reference):
    with Context(model, n_ctx=256, n_threads=1) as ctx, \
            SamplerChain(n_vocab=model.n_vocab(), temperature=0) as smpl:
        g = Generator(ctx, smpl, max_tokens=4)
        g.submit(model.tokenize(PROMPTS[0]))
        data, kinds, _ = run_stepped(g, 0)
        assert g.tokens == reference[PROMPTS[0]][0][:4]
        # One unit per call: at least one call per layer per token.
        assert len(kinds) > 4 * 2


def test_step_all_three_equal_alone(model, reference):
    with Context(model, n_ctx=768, n_threads=1, n_seq_max=3) as ctx:
        smpls = [SamplerChain(n_vocab=model.n_vocab(), temperature=0) for _ in PROMPTS]
        gens = [Generator(ctx, s, max_tokens=N, seq=i) for i, s in enumerate(smpls)]
        for g, p in zip(gens, PROMPTS):
            g.submit(model.tokenize(p))
        data = [b""] * 3
        done = [False] * 3
        for _ in range(10000):
            steps = step_all(gens, 1000)
            assert len(steps) == 3
            for i, st in enumerate(steps):
                data[i] += st.bytes
                if st.kind == StepKind.DONE:
                    done[i] = True
            if all(done):
                break
        assert all(done)
        for g, p, d in zip(gens, PROMPTS, data):
            toks, text, _ = reference[p]
            assert g.tokens == toks
            assert d == text
        # Generators of another context are refused before the library.
        with Context(model, n_ctx=64, n_threads=1) as other:
            og = Generator(other, smpls[0])
            with pytest.raises(InvalidArgumentError):
                step_all([gens[0], og], 1000)
        for s in smpls:
            s.close()


def test_frame_loop_steps_while_next_us_fits(model, reference):
    # The loop of llamac.h's llamac_generators_next_us: several calls (so
    # several tokens) per 4 ms frame on the small model, the same tokens.
    with Context(model, n_ctx=768, n_threads=1, n_seq_max=3) as ctx:
        smpls = [SamplerChain(n_vocab=model.n_vocab(), temperature=0) for _ in PROMPTS]
        gens = [Generator(ctx, s, max_tokens=N, seq=i) for i, s in enumerate(smpls)]
        assert next_us(gens, 4000) == 0  # nothing submitted
        for g, p in zip(gens, PROMPTS):
            g.submit(model.tokenize(p))
        data = [b""] * 3
        done = [False] * 3
        frames = calls = 0
        while not all(done):
            frames += 1
            assert frames < 10000
            left = 4000
            while True:
                steps = step_all(gens, left)
                calls += 1
                for i, st in enumerate(steps):
                    data[i] += st.bytes
                    done[i] = done[i] or st.kind == StepKind.DONE
                left -= steps[0].used_us
                nxt = next_us(gens, left)
                assert nxt >= 0
                if all(done) or all(st.kind == StepKind.BUSY for st in steps) or nxt == 0 or nxt > left:
                    break
        assert calls > frames
        for g, p, d in zip(gens, PROMPTS, data):
            toks, text, _ = reference[p]
            assert g.tokens == toks
            assert d == text
        with pytest.raises(InvalidArgumentError):
            next_us([], 1000)
        for s in smpls:
            s.close()


def test_cancel_mid_response(model, reference):
    with Context(model, n_ctx=256, n_threads=1) as ctx, \
            SamplerChain(n_vocab=model.n_vocab(), temperature=0) as smpl:
        g = Generator(ctx, smpl, max_tokens=N)
        g.submit(model.tokenize(PROMPTS[0]))
        while len(g.tokens) < 3:
            g.step(200)
        g.cancel()
        st = g.step(200)
        assert st.kind == StepKind.DONE
        assert st.stop == StopReason.CANCELLED
        assert g.stop_reason == StopReason.CANCELLED
        # The context is usable again: a new generator on a cleared cache
        # gives the reference tokens.
        g.close()
        ctx.kv_clear()
        g = Generator(ctx, smpl, max_tokens=N)
        g.submit(model.tokenize(PROMPTS[1]))
        run_stepped(g, 1000)
        assert g.tokens == reference[PROMPTS[1]][0]


def collect(w, want_done, timeout=60.0):
    """Polls until want_done DONE/ERROR events came; returns every event."""
    events, ends = [], 0
    t0 = time.monotonic()
    while ends < want_done:
        assert time.monotonic() - t0 < timeout, f"worker timed out: {events[-5:]}"
        ev = w.poll()
        if ev is None:
            time.sleep(0.002)
            continue
        events.append(ev)
        if ev.kind in (EventKind.DONE, EventKind.ERROR):
            ends += 1
    return events


def test_worker_three_slots_equal_plain(shipped, reference):
    with Worker(model_path=shipped, n_slots=3, n_predict=N, n_threads=1, budget_us=2000) as w:
        assert w.state in (WorkerState.LOADING, WorkerState.READY)
        rids = [w.submit(i, p) for i, p in enumerate(PROMPTS)]
        assert len(set(rids)) == 3 and all(r > 0 for r in rids)
        events = collect(w, 3)
        assert w.state == WorkerState.READY
        assert [e.kind for e in events].count(EventKind.LOADED) == 1
        for i, p in enumerate(PROMPTS):
            mine = [e for e in events if e.slot == i]
            assert all(e.request == rids[i] for e in mine)
            texts = [e for e in mine if e.kind == EventKind.TEXT]
            toks, text, _ = reference[p]
            assert [e.token for e in texts] == toks
            assert b"".join(e.bytes for e in texts) == text
            assert mine[-1].kind == EventKind.DONE
            assert mine[-1].stop == StopReason.MAX_TOKENS


def test_worker_borrowed_model_and_cancel(model, reference):
    with Worker(model=model, n_slots=2, n_predict=200, n_threads=1, budget_us=1000) as w:
        rid = w.submit(0, PROMPTS[0])
        queued = w.submit(0, PROMPTS[1])  # behind the first: dropped by the cancel
        # Wait for the first tokens, then cancel.
        events = []
        t0 = time.monotonic()
        while not any(e.kind == EventKind.TEXT for e in events):
            assert time.monotonic() - t0 < 60
            ev = w.poll()
            if ev is None:
                time.sleep(0.001)
            else:
                events.append(ev)
        w.cancel(0)
        events += collect(w, 2)
        dones = [e for e in events if e.kind == EventKind.DONE]
        assert sorted(d.request for d in dones) == sorted([rid, queued])
        assert all(d.stop == StopReason.CANCELLED for d in dones)
        n_text = len([e for e in events if e.kind == EventKind.TEXT])
        assert 0 < n_text < 200
        # The slot works afterwards (its sequence continues: not compared).
        w.submit(1, PROMPTS[2])
        ev = collect(w, 1)
        toks, text, _ = reference[PROMPTS[2]]
        got = [e.token for e in ev if e.kind == EventKind.TEXT]
        assert got[:N] == toks
    # Closing the model first closes the worker.
    with Model(model.path) as m2:
        w2 = Worker(model=m2, n_slots=1)
        w2.submit(0, "x")
    assert w2.closed


def test_worker_close_during_work(shipped):
    # Destroy while loading, mid-prompt, mid-generation, with unread events.
    for i in range(6):
        w = Worker(model_path=shipped, n_slots=3, n_predict=64, n_threads=1, budget_us=500)
        for s in range(3):
            w.submit(s, PROMPTS[s])
        if i % 3 == 1:
            time.sleep(0.05)
        elif i % 3 == 2:
            while w.state == WorkerState.LOADING:
                time.sleep(0.001)
            time.sleep(0.01)
            w.poll()
        t0 = time.monotonic()
        w.close()
        assert time.monotonic() - t0 < 10
        assert w.closed
        w.close()  # twice is fine


def test_worker_close_cycles_random(shipped, model):
    # 30 create -> submit -> cancel/close cycles at random moments, with a
    # second thread submitting while this one polls; a borrowed-model worker
    # closed through its model. None may hang or crash.
    import random
    import threading
    rng = random.Random(17)
    for i in range(30):
        borrowed = i % 2 == 1
        w = (Worker(model=model, n_slots=2, n_predict=32, n_threads=1, budget_us=300)
             if borrowed else
             Worker(model_path=shipped, n_slots=2, n_predict=32, n_threads=1, budget_us=300))
        stop = threading.Event()

        def feeder(w=w, stop=stop):
            k = 0
            while not stop.is_set():
                try:
                    w.submit(k % 2, PROMPTS[k % 3])
                except Exception:  # ClosedError once closed
                    return
                k += 1
                time.sleep(0.001)

        t = threading.Thread(target=feeder)
        t.start()
        t_end = time.monotonic() + rng.uniform(0, 0.03)
        while time.monotonic() < t_end:
            w.poll()
        if rng.random() < 0.5:
            w.cancel(rng.randrange(2))
        t0 = time.monotonic()
        w.close()
        stop.set()
        t.join(10)
        assert not t.is_alive()
        assert time.monotonic() - t0 < 10
    with Model(shipped) as m2:
        w = Worker(model=m2, n_slots=1)
        w.submit(0, PROMPTS[0])
    assert w.closed  # the model closed it first, mid-work


def test_worker_load_failure(tmp_path):
    bad = tmp_path / "missing.gguf"
    with Worker(model_path=bad) as w:
        ev = collect(w, 1)
        assert ev[-1].kind == EventKind.ERROR and ev[-1].slot == -1
        assert ev[-1].status != 0 and ev[-1].text
        assert w.state == WorkerState.FAILED
        with pytest.raises(InvalidArgumentError):
            w.submit(0, "x")
    with pytest.raises(InvalidArgumentError):
        Worker()
    with pytest.raises(InvalidArgumentError):
        Worker(model_path=bad, n_slots=0)


def test_estimate_memory(shipped):
    small = estimate_memory(shipped, n_ctx=256)
    big = estimate_memory(shipped, n_ctx=2048)
    for e in (small, big):
        assert set(e) == {"weights", "model_other", "kv_cache", "compute", "total"}
        assert all(v > 0 for v in e.values())
        assert e["total"] == e["weights"] + e["model_other"] + e["kv_cache"] + e["compute"]
    assert big["kv_cache"] > small["kv_cache"]
    assert big["weights"] == small["weights"]
    with pytest.raises(Exception):
        estimate_memory("/nonexistent/model.gguf")
