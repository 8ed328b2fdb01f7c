"""Finds and loads libllamac.so.0, checks its version, binds every function.

Order: the LLAMAC_LIBRARY environment variable (a path to the file), a copy
inside this package (libllamac.so.0 beside this file), the system's loader.
"""
import ctypes
import ctypes.util
import os

from . import _lib

#: (major, minor) of the header this binding was generated from.
WRITTEN_FOR = (_lib.LLAMAC_VERSION_MAJOR, _lib.LLAMAC_VERSION_MINOR)


def _open():
    env = os.environ.get("LLAMAC_LIBRARY")
    if env:
        if not os.path.isfile(env):
            raise ImportError(f"llamac: LLAMAC_LIBRARY={env!r} is not a file")
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise ImportError(f"llamac: cannot load LLAMAC_LIBRARY={env!r}: {e}") from e
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("libllamac.so.0", "libllamac.so"):
        p = os.path.join(here, name)
        if os.path.isfile(p):
            return ctypes.CDLL(p), p
    name = ctypes.util.find_library("llamac") or "libllamac.so.0"
    try:
        return ctypes.CDLL(name), name
    except OSError as e:
        raise ImportError(
            "llamac: libllamac.so.0 not found: set LLAMAC_LIBRARY to its path, copy it "
            f"into {here}, or install it where the system loader finds it ({e})") from e


def check_version(number, path):
    """ImportError unless the library's major.minor equals WRITTEN_FOR. (A
    newer patch release is compatible; a newer minor may add fields the
    generated structs do not know, and a major change breaks the ABI.)"""
    found = (number // 10000, number // 100 % 100)
    if found != WRITTEN_FOR:
        raise ImportError(
            f"llamac: the library {path} is version {found[0]}.{found[1]}.{number % 100} but "
            f"this binding was written for {WRITTEN_FOR[0]}.{WRITTEN_FOR[1]}; install the "
            "matching binding or library")
    return found


def load():
    cdll, path = _open()
    try:
        vn = cdll.llamac_version_number
    except AttributeError as e:
        raise ImportError(f"llamac: {path} has no llamac_version_number: not libllamac") from e
    vn.restype = ctypes.c_int
    vn.argtypes = []
    check_version(int(vn()), path)
    missing = _lib.bind(cdll)
    return cdll, path, missing
