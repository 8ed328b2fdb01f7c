"""examples/python/*.py and `python3 -m llamac` run end to end on the shipped model."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.parametrize("name", ["complete.py", "stream.py", "chat.py"])
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
