"""A library whose major.minor differs from the binding's fails the import
with a message naming both versions."""
import os
import subprocess
import sys

import llamac

FAKE = r'''
import ctypes
real = ctypes.CDLL
class Fake(real):
    def __getattr__(self, name):
        if name == "llamac_version_number":
            f = lambda: 9 * 10000 + 7 * 100 + 1   # a faked 9.7.1
            return f
        return real.__getattr__(self, name)
ctypes.CDLL = Fake
try:
    import llamac
except ImportError as e:
    print("IMPORTERROR", e)
'''


def test_version_mismatch_import_error():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    r = subprocess.run([sys.executable, "-c", FAKE], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, check=True)
    out = r.stdout
    assert out.startswith("IMPORTERROR"), (out, r.stderr)
    mine = "%d.%d" % llamac.WRITTEN_FOR
    assert "9.7.1" in out and mine in out, out


def test_version_matches():
    assert llamac.library_version().startswith("%d.%d." % llamac.WRITTEN_FOR)


def test_missing_library_path_is_import_error(tmp_path):
    env = dict(os.environ, LLAMAC_LIBRARY=str(tmp_path / "nope.so"))
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    r = subprocess.run([sys.executable, "-c", "import llamac"], env=env,
                       stderr=subprocess.PIPE, text=True)
    assert r.returncode != 0 and "ImportError" in r.stderr and "nope.so" in r.stderr
