"""1,000 Llama create/close cycles keep RSS flat; use after close raises."""
import gc

import pytest

import llamac
from llamac import Context, Llama, Model


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def test_create_close_cycles_do_not_grow(tiny_f32):
    for _ in range(20):  # warm up allocator pools and ctypes caches
        Llama(model_path=tiny_f32, n_ctx=64, verbose=False).close()
    gc.collect()
    before = rss_kib()
    for _ in range(1000):
        llm = Llama(model_path=tiny_f32, n_ctx=64, verbose=False)
        llm.close()
    gc.collect()
    growth = rss_kib() - before
    assert growth < 5 * 1024, f"RSS grew {growth} KiB over 1000 cycles"


def test_use_after_close_raises(tiny_f32):
    llm = Llama(model_path=tiny_f32, n_ctx=64, verbose=False)
    llm.close()
    llm.close()  # twice is fine
    for call in (lambda: llm("x"), lambda: llm.tokenize(b"x"), lambda: llm.n_ctx(),
                 lambda: llm.eval([1]), lambda: llm.create_chat_completion([])):
        with pytest.raises(llamac.ClosedError):
            call()
    m = Model(tiny_f32)
    c = Context(m, n_ctx=64)
    m.close()  # closes its context first: the C API needs contexts to die first
    assert c.closed
    with pytest.raises(llamac.ClosedError):
        c.decode([1])
    with pytest.raises(llamac.ClosedError):
        m.tokenize(b"x")
    with pytest.raises(llamac.ClosedError):
        Context(m)


def test_errors_carry_status_and_message(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\0\0\0" + b"\0" * 5)  # v3, header cut short
    with pytest.raises(llamac.LlamacError) as e:
        Model(str(bad))
    assert e.value.status == llamac._lib.LLAMAC_ERR_FORMAT, e.value
    assert isinstance(e.value, llamac.FormatError)
    assert e.value.status_name == "LLAMAC_ERR_FORMAT" and e.value.message
    with pytest.raises(llamac.LlamacIOError) as e:
        Model(str(tmp_path / "missing.gguf"))
    assert e.value.status == llamac._lib.LLAMAC_ERR_IO and "missing.gguf" in e.value.message
