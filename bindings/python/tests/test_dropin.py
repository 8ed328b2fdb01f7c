"""llama-cpp-python README code, run with only the import changed."""
import warnings

import pytest

from llamac import Llama  # was: from llama_cpp import Llama


def test_readme_completion(shipped):
    llm = Llama(model_path=shipped)
    output = llm(
        "Q: Name the planets in the solar system? A: ",  # Prompt
        max_tokens=32,  # Generate up to 32 tokens, set to None to generate up to the end of the context window
        stop=["Q:", "\n"],  # Stop generating just before the model would generate a new question
        echo=True  # Echo the prompt back in the output
    )
    assert output["object"] == "text_completion"
    assert output["id"].startswith("cmpl-")
    assert isinstance(output["created"], int)
    assert output["model"] == shipped
    (choice,) = output["choices"]
    assert set(choice) == {"text", "index", "logprobs", "finish_reason"}
    assert choice["text"].startswith("Q: Name the planets in the solar system? A: ")
    generated = choice["text"][len("Q: Name the planets in the solar system? A: "):]
    assert "\n" not in generated and "Q:" not in generated
    assert choice["finish_reason"] in ("stop", "length")
    u = output["usage"]
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
    assert u["completion_tokens"] <= 32

    # the same with stream=True, chunk by chunk
    pieces = []
    reasons = []
    for chunk in llm("Q: Name the planets in the solar system? A: ", max_tokens=32,
                     stop=["Q:", "\n"], echo=True, stream=True, seed=7, temperature=0):
        assert chunk["object"] == "text_completion"
        pieces.append(chunk["choices"][0]["text"])
        reasons.append(chunk["choices"][0]["finish_reason"])
    assert reasons[-1] in ("stop", "length") and all(r is None for r in reasons[:-1])
    whole = llm("Q: Name the planets in the solar system? A: ", max_tokens=32,
                stop=["Q:", "\n"], echo=True, seed=7, temperature=0)
    assert "".join(pieces) == whole["choices"][0]["text"]
    llm.close()


def test_seeded_sampling_repeats(shipped):
    with Llama(model_path=shipped, seed=1234, verbose=False) as llm:
        a = llm("And God said", max_tokens=24, temperature=0.8)["choices"][0]["text"]
        b = llm("And God said", max_tokens=24, temperature=0.8)["choices"][0]["text"]
        c = llm("And God said", max_tokens=24, temperature=0.8, seed=99)["choices"][0]["text"]
    assert a == b
    assert isinstance(c, str)


@pytest.mark.parametrize("fmt", ["chatml", "llama-2"])
def test_readme_chat(shipped, fmt):
    llm = Llama(model_path=shipped, chat_format=fmt)
    r = llm.create_chat_completion(
        messages=[
            {"role": "system", "content": "You are an assistant who perfectly describes images."},
            {"role": "user", "content": "Describe this image in detail please."},
        ],
        max_tokens=16,
    )
    assert r["object"] == "chat.completion" and r["id"].startswith("chatcmpl-")
    msg = r["choices"][0]["message"]
    assert msg["role"] == "assistant" and isinstance(msg["content"], str)
    assert r["usage"]["completion_tokens"] <= 16
    # the prompt really is the built-in format
    p = llm.model.apply_chat_template([{"role": "user", "content": "hi"}],
                                      {"chatml": "chatml", "llama-2": "llama2"}[fmt])
    if fmt == "chatml":
        assert p == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    else:
        assert p.startswith("[INST]") or p.startswith("<s>[INST]")
    chunks = list(llm.create_chat_completion(
        messages=[{"role": "user", "content": "Hello"}], max_tokens=8, stream=True,
        temperature=0))
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
    assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    whole = llm.create_chat_completion(messages=[{"role": "user", "content": "Hello"}],
                                       max_tokens=8, temperature=0)
    assert text == whole["choices"][0]["message"]["content"]
    llm.close()


def test_unsupported_is_loud(shipped):
    with pytest.raises(TypeError):
        Llama(model_path=shipped, rope_freq_base=20000.0)
    with pytest.raises(TypeError):
        Llama(model_path=shipped, no_such_keyword=1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        llm = Llama(model_path=shipped, n_gpu_layers=-1, use_mlock=True, verbose=False)
    assert len(w) == 2
    with pytest.raises(NotImplementedError):
        llm.create_embedding("x")
    with pytest.raises(NotImplementedError):
        llm.embed("x")
    with pytest.raises(TypeError, match="grammar"):
        llm("x", grammar=object())
    with pytest.raises(ValueError, match="response_format"):
        llm.create_chat_completion([{"role": "user", "content": "x"}],
                                   response_format={"type": "xml"})
    with pytest.raises(NotImplementedError):
        Llama.from_pretrained("repo", "file")
    llm.close()


def test_vocab_calls(shipped):
    with Llama(model_path=shipped, n_ctx=256, verbose=False) as llm:
        toks = llm.tokenize(b"In the beginning")
        assert toks[0] == llm.token_bos()
        assert llm.detokenize(toks) == b"In the beginning"
        assert llm.tokenize(b"In the beginning", add_bos=False) == toks[1:]
        assert llm.n_ctx() == 256 and llm.n_vocab() == 2048
        assert llm.token_eos() != llm.token_bos()
        llm.eval(toks)
        assert len(llm.scores[-1]) == llm.n_vocab() and llm.n_tokens == len(toks)
        # eval's logits are the ones greedy decoding picks from
        best = max(range(llm.n_vocab()), key=lambda i: (llm.scores[-1][i], -i))
        out = llm(b"In the beginning".decode(), max_tokens=1, temperature=0)
        assert llm.input_ids[-1] == best
        llm.reset()
        assert llm.n_tokens == 0


def test_logprobs(shipped):
    import math
    with Llama(model_path=shipped, verbose=False) as llm:
        out = llm("In the beginning", max_tokens=4, temperature=0, logprobs=3)
        lp = out["choices"][0]["logprobs"]
        assert len(lp["token_logprobs"]) == 4 == len(lp["top_logprobs"])
        for v, top in zip(lp["token_logprobs"], lp["top_logprobs"]):
            assert v <= 0 and len(top) <= 3
            assert math.isclose(v, max(top.values()), rel_tol=1e-6)  # greedy picks the top


def test_save_load_state(shipped):
    with Llama(model_path=shipped, verbose=False) as llm:
        llm.eval(llm.tokenize(b"In the beginning"))
        row = llm.scores[-1]
        st = llm.save_state()
        ids = list(llm.input_ids)
        llm.reset()
        llm.load_state(st)
        assert llm.input_ids == ids
        # decoding the next token gives the same logits as without the round trip
        llm.eval([llm.tokenize(b" God", add_bos=False)[0]])
        after = llm.scores[-1]
        llm.reset()
        llm.eval(ids + [llm.tokenize(b" God", add_bos=False)[0]])
        assert llm.scores[-1] == after
        assert row != after


CHATML_JINJA = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
                "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
                "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def test_model_template_rendered_as_jinja(shipped):
    msgs = [{"role": "user", "content": "hi"}]
    # chatml by hand (the format's published layout)
    want = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    with Llama(model_path=shipped, verbose=False) as llm:
        assert llm.model.render_jinja(CHATML_JINJA, msgs) == want
        # a model that ships a template: Llama renders it with the Jinja engine
        llm.model.metadata = lambda key: CHATML_JINJA if key == "tokenizer.chat_template" else None
        assert llm._format_chat(msgs) == want
        r = llm.create_chat_completion(messages=msgs, max_tokens=4, temperature=0)
        assert r["choices"][0]["message"]["role"] == "assistant"
    with Llama(model_path=shipped, verbose=False) as llm:
        with pytest.warns(UserWarning, match="llama-2"):
            p = llm._format_chat(msgs)
        assert p == llm.model.apply_chat_template(msgs, "llama2")


def test_eval_after_completion_continues_the_text(shipped):
    with Llama(model_path=shipped, verbose=False) as llm:
        llm("In the beginning", max_tokens=5, temperature=0)
        ids = list(llm.input_ids)
        nxt = llm.tokenize(b" God", add_bos=False)[0]
        llm.eval([nxt])
        after = llm.scores[-1]
        assert llm.input_ids == ids + [nxt]
        llm.reset()
        llm.eval(ids + [nxt])  # the same text decoded from scratch
        assert llm.scores[-1] == after
