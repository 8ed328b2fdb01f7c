"""Grammars from Python: LlamaGrammar, grammar=, response_format=, and the
grammar sampler in SamplerChain, on the shipped model. Outputs are checked
by Python itself (json.loads, re, hand checks of keys and enums), not by the
library's matcher."""
import json
import os
import re

import pytest

import llamac
from llamac import (Generator, GrammarError, Llama, LlamacError, LlamaGrammar, SamplerChain,
                    JSON_GBNF, json_schema_to_grammar)

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 12},
        "tribe": {"enum": ["Judah", "Levi", "Benjamin"]},
        "age": {"type": "integer", "minimum": 1, "maximum": 999},
        "sons": {"type": "array", "items": {"enum": ["Er", "Onan", "Shelah"]}, "maxItems": 3},
    },
    "required": ["name", "tribe", "age"],
    "additionalProperties": False,
}


def check_record(text):
    """Validates SCHEMA's instance by hand."""
    obj = json.loads(text)
    assert isinstance(obj, dict)
    assert {"name", "tribe", "age"} <= set(obj) <= {"name", "tribe", "age", "sons"}
    assert isinstance(obj["name"], str) and len(obj["name"]) <= 12
    assert obj["tribe"] in ("Judah", "Levi", "Benjamin")
    assert isinstance(obj["age"], int) and not isinstance(obj["age"], bool)
    assert 1 <= obj["age"] <= 999
    if "sons" in obj:
        assert isinstance(obj["sons"], list) and len(obj["sons"]) <= 3
        assert all(s in ("Er", "Onan", "Shelah") for s in obj["sons"])
    return obj


@pytest.fixture(scope="module")
def llm(shipped):
    with Llama(model_path=shipped, n_ctx=1024, verbose=False) as m:
        yield m


@pytest.fixture(scope="module")
def chat_llm(shipped):
    with Llama(model_path=shipped, n_ctx=1024, chat_format="chatml", verbose=False) as m:
        yield m


def test_json_gbnf_is_the_shipped_file(root):
    with open(os.path.join(root, "grammars", "json.gbnf"), encoding="utf-8") as f:
        assert f.read() == JSON_GBNF


def test_shipped_grammars_load(root):
    d = os.path.join(root, "grammars")
    names = sorted(n for n in os.listdir(d) if n.endswith(".gbnf"))
    assert "json.gbnf" in names and len(names) >= 5
    for n in names:
        g = LlamaGrammar.from_file(os.path.join(d, n))
        assert "root" in g.grammar


def test_yes_no(llm):
    g = LlamaGrammar.from_string('root ::= "yes" | "no"')
    seen = set()
    for seed in range(6):
        r = llm("And he said, ", grammar=g, max_tokens=16, temperature=1.5, top_k=0, top_p=1.0,
                min_p=0.0, seed=seed)
        text = r["choices"][0]["text"]
        assert text in ("yes", "no"), text
        assert r["choices"][0]["finish_reason"] == "stop"
        seen.add(text)
    # greedy with a grammar that only allows the other word
    r = llm("And he said, ", grammar=LlamaGrammar.from_string('root ::= "no"'), max_tokens=16,
            temperature=0)
    assert r["choices"][0]["text"] == "no"
    # plain GBNF text is accepted too
    r = llm("And he said, ", grammar='root ::= "yes" | "no"', max_tokens=16, temperature=0)
    assert r["choices"][0]["text"] in ("yes", "no")


def test_ends_only_where_complete(llm):
    # Greedy KJV text would go on past three words; the grammar ends it
    # after exactly three words and a period, and never earlier.
    g = LlamaGrammar.from_string('root ::= word " " word " " word "."\nword ::= [a-z]{1,8}')
    for seed in range(4):
        r = llm("In the beginning", grammar=g, max_tokens=64, temperature=0.8, seed=seed)
        text = r["choices"][0]["text"]
        assert r["choices"][0]["finish_reason"] == "stop", text
        assert re.fullmatch(r"[a-z]{1,8} [a-z]{1,8} [a-z]{1,8}\.", text), text


def test_json_gbnf_parses(llm):
    g = LlamaGrammar.from_string(JSON_GBNF)
    stopped = 0
    for seed in range(12):
        r = llm("And he said, ", grammar=g, max_tokens=96, temperature=0.8, seed=seed)
        text = r["choices"][0]["text"]
        assert text.startswith("{"), text
        if r["choices"][0]["finish_reason"] == "stop":
            stopped += 1
            assert isinstance(json.loads(text), dict), text
    # The shipped model rarely writes '"', so a string, once opened, may
    # run to max_tokens; many completions still close by themselves (5 of
    # the first 8 seeds here).
    assert stopped >= 3


def test_json_schema(llm):
    g = LlamaGrammar.from_json_schema(json.dumps(SCHEMA))
    assert g.grammar == json_schema_to_grammar(SCHEMA)
    for seed in range(6):
        r = llm("And he said, ", grammar=g, max_tokens=0, temperature=0.8, seed=seed)
        c = r["choices"][0]
        assert c["finish_reason"] == "stop", c["text"]
        check_record(c["text"])
    # compact spaces: at most one blank between tokens
    g = LlamaGrammar.from_json_schema(SCHEMA, compact_spaces=True)
    r = llm("And he said, ", grammar=g, max_tokens=0, temperature=0.8, seed=1)
    assert r["choices"][0]["finish_reason"] == "stop"
    text = r["choices"][0]["text"]
    assert "\n" not in text and "  " not in text, text
    check_record(text)


def test_response_format(chat_llm):
    msgs = [{"role": "system", "content": "You answer in JSON."},
            {"role": "user", "content": "Who begat Shelah?"}]
    for seed in range(3):
        r = chat_llm.create_chat_completion(
            msgs, response_format={"type": "json_object", "schema": SCHEMA}, max_tokens=0,
            temperature=0.8, seed=seed)
        assert r["choices"][0]["finish_reason"] == "stop"
        check_record(r["choices"][0]["message"]["content"])
    # OpenAI's shape of the same
    r = chat_llm.create_chat_completion(
        msgs, response_format={"type": "json_schema", "json_schema": {"name": "r", "schema": SCHEMA}},
        max_tokens=0, temperature=0)
    check_record(r["choices"][0]["message"]["content"])
    # any JSON object
    r = chat_llm.create_chat_completion(msgs, response_format={"type": "json_object"},
                                        max_tokens=96, temperature=0)
    text = r["choices"][0]["message"]["content"]
    assert text.startswith("{")
    if r["choices"][0]["finish_reason"] == "stop":
        assert isinstance(json.loads(text), dict)
    # text: no grammar, the same as no response_format
    a = chat_llm.create_chat_completion(msgs, response_format={"type": "text"}, max_tokens=16,
                                        temperature=0)
    b = chat_llm.create_chat_completion(msgs, max_tokens=16, temperature=0)
    assert a["choices"][0]["message"] == b["choices"][0]["message"]
    assert not a["choices"][0]["message"]["content"].startswith("{")
    # grammar= in chat
    r = chat_llm.create_chat_completion(msgs, grammar=LlamaGrammar.from_string('root ::= "Judah"'),
                                        max_tokens=16, temperature=0)
    assert r["choices"][0]["message"]["content"] == "Judah"
    with pytest.raises(ValueError):
        chat_llm.create_chat_completion(msgs, grammar='root ::= "x"',
                                        response_format={"type": "json_object"})
    with pytest.raises(ValueError):
        chat_llm.create_chat_completion(msgs, response_format={"type": "yaml"})


def test_invalid_grammar_raises(llm, tmp_path):
    with pytest.raises(GrammarError) as e:
        LlamaGrammar.from_string('root ::= "a" (\nfoo ::= "b"')
    err = e.value
    assert isinstance(err, LlamacError) and isinstance(err, ValueError)
    assert err.status == llamac._lib.LLAMAC_ERR_FORMAT
    # "foo ::=": the ':' at line 2, column 5 is where ')' was expected
    assert "line 2, column 5" in err.message
    assert (err.line, err.column) == (2, 5)
    with pytest.raises(GrammarError, match=r"line 1, column 10: .*undefined rule 'foo'"):
        LlamaGrammar.from_string("root ::= foo")
    with pytest.raises(GrammarError, match="left recursion|left-recursi"):
        LlamaGrammar.from_string('root ::= root "x" | "y"')
    with pytest.raises(GrammarError) as e:
        LlamaGrammar.from_string("x ::= \"a\"")  # no root
    assert e.value.line is None
    p = tmp_path / "bad.gbnf"
    p.write_bytes(b'root ::= "a"\r\nb ::= [a-\r\n')
    with pytest.raises(GrammarError, match="line 2, column"):
        LlamaGrammar.from_file(p)
    ok = tmp_path / "ok.gbnf"
    ok.write_bytes(b'root ::= "a" b\r\nb ::= "c"\r\n')
    assert LlamaGrammar.from_file(str(ok)).grammar.startswith("root")
    (tmp_path / "empty.gbnf").write_bytes(b"")
    with pytest.raises(ValueError):
        LlamaGrammar.from_file(tmp_path / "empty.gbnf")
    with pytest.raises(OSError):
        LlamaGrammar.from_file(tmp_path / "missing.gbnf")
    # raised by the call, before anything is generated
    with pytest.raises(GrammarError, match="line 1"):
        llm("x", grammar="root ::= [")
    with pytest.raises(TypeError):
        llm("x", grammar=object())


def test_invalid_schema_raises():
    with pytest.raises(GrammarError, match="line 1, column"):
        LlamaGrammar.from_json_schema('{"type": ')
    with pytest.raises(GrammarError):
        LlamaGrammar.from_json_schema({"type": "no-such-type"})
    with pytest.raises(GrammarError) as e:
        LlamaGrammar.from_json_schema({"$ref": "https://example.com/s.json"})
    assert e.value.status == llamac._lib.LLAMAC_ERR_UNSUPPORTED


def test_stream_equals_whole(llm, chat_llm):
    g = LlamaGrammar.from_json_schema(SCHEMA)
    whole = llm("And he said, ", grammar=g, max_tokens=0, temperature=0)
    chunks = list(llm("And he said, ", grammar=g, max_tokens=0, temperature=0, stream=True))
    text = "".join(c["choices"][0]["text"] for c in chunks)
    assert len(chunks) > 3
    assert text == whole["choices"][0]["text"]
    assert chunks[-1]["choices"][0]["finish_reason"] == whole["choices"][0]["finish_reason"] == "stop"
    check_record(text)
    msgs = [{"role": "user", "content": "Name a tribe."}]
    rf = {"type": "json_object", "schema": SCHEMA}
    whole = chat_llm.create_chat_completion(msgs, response_format=rf, max_tokens=0, temperature=0)
    chunks = list(chat_llm.create_chat_completion(msgs, response_format=rf, max_tokens=0,
                                                  temperature=0, stream=True))
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == whole["choices"][0]["message"]["content"]
    check_record(text)


def test_sampler_chain_grammar(shipped):
    from llamac import Context, Model
    with Model(shipped) as model, Context(model, n_ctx=256) as ctx:
        with pytest.raises(TypeError):
            SamplerChain(n_vocab=model.n_vocab(), grammar='root ::= "x"')
        with pytest.raises(GrammarError, match="line 1, column"):
            SamplerChain(model=model, grammar="root ::= (")
        for seed in range(3):
            with SamplerChain(model=model, temperature=1.0, seed=seed,
                              grammar='root ::= ("yes" | "no") " " [0-9]') as smpl:
                gen = Generator(ctx, smpl, model.tokenize("And he said"), max_tokens=32)
                text = b"".join(gen).decode()
                assert re.fullmatch(r"(yes|no) [0-9]", text), text
                assert gen.stop_reason == llamac._lib.LLAMAC_STOP_EOG
                gen.close()
        # a LlamaGrammar with another start rule
        g = LlamaGrammar.from_string('answer ::= "Amen"', root="answer")
        with SamplerChain(model=model, temperature=0, grammar=g) as smpl:
            gen = Generator(ctx, smpl, model.tokenize("And he said"), max_tokens=32)
            assert b"".join(gen) == b"Amen"
            gen.close()


def test_greedy_equals_cli(llm, cli, root):
    """The same grammar-constrained greedy text as `llamac run --temp 0`
    with --grammar-file and with --json-schema (the CLI adds a newline)."""
    from conftest import run_cli
    path = os.path.join(root, "grammars", "npc_action.gbnf")
    want = llm("And he said, ", grammar=LlamaGrammar.from_file(path), max_tokens=48,
               temperature=0)["choices"][0]["text"]
    got = run_cli(cli, "run", "-m", llm.model_path, "-c", "1024", "-p", "And he said, ", "-n",
                  "48", "--temp", "0", "--grammar-file", path)
    assert want and got.decode("utf-8") == want + "\n"
    want = llm("And he said, ", grammar=LlamaGrammar.from_json_schema(SCHEMA), max_tokens=0,
               temperature=0)["choices"][0]["text"]
    got = run_cli(cli, "run", "-m", llm.model_path, "-c", "1024", "-p", "And he said, ",
                  "--temp", "0", "--json-schema", json.dumps(SCHEMA))
    assert got.decode("utf-8") == want + "\n"
    check_record(want)
