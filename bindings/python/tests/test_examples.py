"""examples/python/*.py and `python3 -m llamac` run end to end on the shipped model."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.parametrize("name", ["complete.py", "stream.py", "chat.py", "json_output.py", "npc.py"])
def test_example_runs(shipped, name):
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "python", name), shipped],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()


def test_module_cli_matches_llama(shipped):
    r = subprocess.run([sys.executable, "-m", "llamac", "-m", shipped, "-p", "In the beginning",
                        "-n", "12", "--temp", "0"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    from llamac import Llama
    with Llama(model_path=shipped, n_ctx=2048, verbose=False) as llm:
        want = llm("In the beginning", max_tokens=12, temperature=0)["choices"][0]["text"]
    assert r.stdout == want + "\n"


def test_module_cli_grammar(shipped, tmp_path):
    r = subprocess.run([sys.executable, "-m", "llamac", "-m", shipped, "-p", "And he said, ",
                        "-n", "16", "--grammar", 'root ::= "yes" | "no"'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout in ("yes\n", "no\n")
    r = subprocess.run([sys.executable, "-m", "llamac", "-m", shipped, "-p", "x",
                        "--json-schema", '{"enum": ["Amen"]}', "--temp", "0"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '"Amen"'  # the schema's grammar allows a blank after it
    bad = tmp_path / "bad.gbnf"
    bad.write_text("root ::= (\n")
    r = subprocess.run([sys.executable, "-m", "llamac", "-m", shipped, "-p", "x",
                        "--grammar-file", str(bad)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    # newlines inside parentheses are blanks: the end of the text is at line 2, column 1
    assert r.returncode == 1 and "line 2, column 1" in r.stderr, r.stderr
