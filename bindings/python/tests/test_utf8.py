"""Streams never split a UTF-8 character. Tokens are forced to spell text
with an emoji, CJK and a combining mark (many of them byte-fallback tokens,
one byte each): a logit bias ranks the wanted tokens in order far above the
model's logits, and a presence penalty larger than any bias gap pushes each
token down once emitted, so greedy decoding emits them in order."""
from llamac import Llama

TEXT = "e\u0301 \u65e5\U0001F600\u4e2d"  # é (e + COMBINING ACUTE), 日, 😀, 中


def test_stream_chunks_are_whole_characters(shipped):
    with Llama(model_path=shipped, verbose=False) as llm:
        want = llm.tokenize(TEXT.encode(), add_bos=False)
        assert len(set(want)) == len(want), "the forcing needs distinct tokens"
        pieces = [llm.detokenize([t]) for t in want]
        assert any(len(p) == 1 and p[0] >= 0x80 for p in pieces), "expected byte tokens"
        k = len(want)
        bias = {t: 100.0 * (k - i) for i, t in enumerate(want)}
        kw = dict(max_tokens=k, temperature=0, logit_bias=bias, presence_penalty=100.0 * k + 1000)
        whole = llm("Text:", **kw)["choices"][0]["text"]
        assert llm.input_ids[-k:] == want
        chunks = []
        for c in llm("Text:", stream=True, **kw):
            t = c["choices"][0]["text"]
            assert "\ufffd" not in t
            t.encode("utf-8")  # a str of whole characters: no lone surrogates
            chunks.append(t)
        assert "".join(chunks) == whole
        assert whole.strip() == TEXT.strip() or whole == " " + TEXT or whole == TEXT
        assert len([c for c in chunks if c]) > 1  # really streamed in pieces
