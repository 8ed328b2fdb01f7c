"""Greedy completion equals `llamac run --temp 0` and llama.cpp's golden tokens."""
import os
import struct

from conftest import SHARED, need, run_cli

from llamac import Llama

# The prompt of ../shared/golden (its README): llama.cpp's greedy continuation.
GOLDEN_PROMPT = ("The quick brown fox jumps over the lazy dog. Once upon a time, "
                 "in a small village")


def golden_tokens(path):
    with open(path, "rb") as f:
        magic, version, n_vocab, n_prompt, n_gen = struct.unpack("<4sIIII", f.read(20))
        assert magic == b"LGLD" and version == 1
        prompt = list(struct.unpack(f"<{n_prompt}i", f.read(4 * n_prompt)))
        gen = list(struct.unpack(f"<{n_gen}i", f.read(4 * n_gen)))
    return prompt, gen


def test_greedy_equals_cli_and_golden(tiny_f32, cli):
    prompt_ids, gen = golden_tokens(need(os.path.join(SHARED, "golden", "tiny-F32.golden")))
    n = min(16, len(gen))
    with Llama(model_path=tiny_f32, verbose=False) as llm:
        out = llm(GOLDEN_PROMPT, max_tokens=n, temperature=0)
        assert llm.input_ids[:len(prompt_ids)] == prompt_ids
        assert llm.input_ids[len(prompt_ids):] == gen[:n]      # llama.cpp's tokens
        assert out["usage"]["completion_tokens"] == n
        assert out["choices"][0]["finish_reason"] == "length"
    printed = run_cli(cli, "run", "-m", tiny_f32, "-p", GOLDEN_PROMPT, "-n", str(n),
                      "--temp", "0", "-t", "1")
    assert printed.endswith(b"\n")
    assert out["choices"][0]["text"] == printed[:-1].decode("utf-8", "replace")


def test_greedy_other_prompt_equals_cli(shipped, cli):
    prompt = "In the beginning God created"
    with Llama(model_path=shipped, verbose=False) as llm:
        text = llm(prompt, max_tokens=16, temperature=0)["choices"][0]["text"]
        stream = "".join(c["choices"][0]["text"] for c in
                         llm(prompt, max_tokens=16, temperature=0, stream=True))
    printed = run_cli(cli, "run", "-m", shipped, "-p", prompt, "-n", "16", "--temp", "0")
    assert text == printed[:-1].decode("utf-8", "replace")
    assert stream == text


def test_bos_once(shipped, cli):
    """A prompt that starts with the BOS text gets no second BOS (the
    library's LLAMAC_TOKENIZE_BOS_ONCE, as `llamac run` does)."""
    with Llama(model_path=shipped, n_ctx=128, verbose=False) as llm:
        bos = llm.token_bos()
        bos_text = llm.model.detokenize([bos], unparse_special=True)
        plain = llm.model.tokenize(b"In the beginning", add_special=True, parse_special=True)
        once = llm.model.tokenize(bos_text + b"In the beginning", add_special=True, parse_special=True,
                                  bos_once=True)
        twice = llm.model.tokenize(bos_text + b"In the beginning", add_special=True, parse_special=True)
        assert plain[0] == bos and once == plain
        assert twice == [bos] + plain
        # completions tokenize their prompt this way: same text with or without the BOS text
        a = llm(bos_text.decode() + "In the beginning", max_tokens=8, temperature=0)["choices"][0]["text"]
        b = llm("In the beginning", max_tokens=8, temperature=0)["choices"][0]["text"]
        assert a == b
