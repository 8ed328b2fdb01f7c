"""One Model shared by 4 threads, a Context each, generating at once, gives
what running them one after another gives; a Context used by two threads at
once raises instead of corrupting."""
import threading

import pytest

import llamac
from llamac import Context, Generator, Model, SamplerChain

PROMPTS = ["In the beginning", "And God said", "The LORD is my shepherd", "Blessed are"]


def generate(model, prompt, seed):
    with Context(model, n_ctx=128, n_threads=1) as ctx, \
            SamplerChain(n_vocab=model.n_vocab(), temperature=0.9, seed=seed) as smpl:
        g = Generator(ctx, smpl, model.tokenize(prompt), max_tokens=24)
        text = b"".join(g)
        return text, list(g.tokens)


def test_threads_equal_sequential(shipped):
    with Model(shipped) as model:
        seq = [generate(model, p, i) for i, p in enumerate(PROMPTS)]
        results = [None] * 4
        errors = []
        barrier = threading.Barrier(4)

        def work(i):
            try:
                barrier.wait()
                results[i] = generate(model, PROMPTS[i], i)
            except Exception as e:  # reported below
                errors.append(e)
        ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert not errors
        assert results == seq
        assert all(len(toks) == 24 for _, toks in seq)


def test_concurrent_use_of_one_context_raises(shipped):
    with Model(shipped) as model, Context(model, n_ctx=512, n_threads=1) as ctx:
        toks = model.tokenize("In the beginning " * 20)
        inside = threading.Event()
        release = threading.Event()
        real = llamac.core.lib.llamac_decode
        hits = []

        # Hold the context busy from one thread (inside decode) and call it
        # from another: the second must raise ConcurrentUseError.
        def slow_decode(*a):
            inside.set()
            release.wait(10)
            return real(*a)
        llamac.core.lib.llamac_decode = slow_decode
        try:
            t = threading.Thread(target=lambda: hits.append(ctx.decode(toks)))
            t.start()
            assert inside.wait(10)
            with pytest.raises(llamac.ConcurrentUseError):
                ctx.decode(toks[:1])
            with pytest.raises(llamac.ConcurrentUseError):
                ctx.logits()
            release.set()
            t.join()
        finally:
            llamac.core.lib.llamac_decode = real
        assert hits == [None]
        assert len(ctx.logits()) == model.n_vocab()  # usable afterwards


def test_calls_release_the_gil():
    # ctypes.CDLL releases the GIL around every foreign call; PyDLL would not.
    import ctypes
    assert isinstance(llamac.lib, ctypes.CDLL) and not isinstance(llamac.lib, ctypes.PyDLL)
    assert llamac.lib._func_flags_ & ctypes._FUNCFLAG_PYTHONAPI == 0
