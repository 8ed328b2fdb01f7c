"""Shared fixtures. The library under test is LLAMAC_LIBRARY (scripts/
test_python.sh points it at the gcc build); LLAMAC_CLI is the matching
`llamac` tool (default: beside the library's build dir)."""
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
SHIPPED = os.path.join(ROOT, "models", "kjv-6m-f16.gguf")
TINY_F32 = os.path.join(SHARED, "models", "tiny-F32.gguf")


def _cli():
    cli = os.environ.get("LLAMAC_CLI")
    if cli:
        return cli
    lib = os.environ.get("LLAMAC_LIBRARY", "")
    cand = os.path.join(os.path.dirname(os.path.dirname(lib)), "tools", "llamac")
    return cand if os.path.isfile(cand) else None


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def cli():
    c = _cli()
    if not c:
        pytest.skip("no llamac CLI (set LLAMAC_CLI)")
    return c


def need(path):
    if not os.path.isfile(path):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {path} is missing")
        pytest.skip(f"{path} is missing")
    return path


@pytest.fixture(scope="session")
def shipped():
    return need(SHIPPED)


@pytest.fixture(scope="session")
def tiny_f32():
    return need(TINY_F32)


def run_cli(cli, *args):
    r = subprocess.run([cli, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return r.stdout
