"""llamac._lib must mirror include/llamac.h: every function with the right
argument and return types, every struct field, enum value and constant.

The check is independent of the generator's mapping: both sides are reduced
to a neutral description (pointer/array/function structure, and for scalars
their kind, size and signedness) — from the header through
scripts/llamac_header.py, from the ctypes objects by inspecting them — and
compared. Struct layouts are also compared with what the compiler laid out
(the DWARF-derived ABI baseline abi/libllamac.so.0.abi)."""
import ctypes
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import llamac_header as lh  # noqa: E402

from llamac import _lib  # noqa: E402

H = lh.parse_file(os.path.join(ROOT, "include", "llamac.h"))

# name -> (kind, bytes, signed): what each C scalar is, written out by hand.
C_SCALARS = {
    "bool": ("bool", 1, False), "char": ("char", 1, None), "float": ("float", 4, True),
    "double": ("float", 8, True), "size_t": ("int", 8, False), "int": ("int", 4, True),
    "int8_t": ("int", 1, True), "uint8_t": ("int", 1, False),
    "int16_t": ("int", 2, True), "uint16_t": ("int", 2, False),
    "int32_t": ("int", 4, True), "uint32_t": ("int", 4, False),
    "int64_t": ("int", 8, True), "uint64_t": ("int", 8, False),
}
CT_CODES = {"?": ("bool", False), "c": ("char", None), "f": ("float", True),
            "d": ("float", True), "b": ("int", True), "B": ("int", False),
            "h": ("int", True), "H": ("int", False), "i": ("int", True),
            "I": ("int", False), "l": ("int", True), "L": ("int", False),
            "q": ("int", True), "Q": ("int", False)}


def from_header(t):
    if t.func is not None:
        d = ("fn", from_header(t.func.ret), tuple(from_header(p.type) for p in t.func.params))
        for _ in t.pointers[1:]:
            d = ("ptr", d)
        return d
    t = H.resolve(t)
    kind = H.kind(t.base)
    if kind == "callback":
        sig = H.get(t.base).sig
        d = ("fn", from_header(sig.ret), tuple(from_header(p.type) for p in sig.params))
    elif t.base == "void":
        d = ("void",)
    elif kind == "enum":
        d = ("int", 4, True)  # C enums here are int
    elif kind in ("struct", "opaque"):
        d = ("struct", t.base)
    else:
        d = C_SCALARS[t.base]
    for _ in t.pointers:
        d = ("ptr", d)
    for n in reversed(t.array):
        d = ("array", n, d)
    return d


def from_ctypes(c):
    if c is None:
        return ("void",)
    if c is ctypes.c_char_p:
        return ("ptr", ("char", 1, None))
    if c is ctypes.c_void_p:
        return ("ptr", ("void",))
    if hasattr(c, "_restype_") and hasattr(c, "_argtypes_"):
        return ("fn", from_ctypes(c._restype_), tuple(from_ctypes(a) for a in c._argtypes_))
    if issubclass(c, ctypes._Pointer):
        return ("ptr", from_ctypes(c._type_))
    if issubclass(c, ctypes.Array):
        return ("array", c._length_, from_ctypes(c._type_))
    if issubclass(c, ctypes.Structure):
        return ("struct", c.__name__)
    kind, signed = CT_CODES[c._type_]
    return (kind, ctypes.sizeof(c), signed)


@pytest.mark.parametrize("fn", H.functions, ids=lambda f: f.name)
def test_function(fn):
    assert fn.name in _lib.FUNCTIONS, f"{fn.name} missing from _lib.py"
    restype, argtypes = _lib.FUNCTIONS[fn.name]
    assert from_ctypes(restype) == from_header(fn.sig.ret), f"{fn.name}: return type"
    assert len(argtypes) == len(fn.sig.params), f"{fn.name}: argument count"
    for i, (p, a) in enumerate(zip(fn.sig.params, argtypes)):
        assert from_ctypes(a) == from_header(p.type), f"{fn.name}: argument {i} ({p.name})"


def test_no_extra_functions():
    assert set(_lib.FUNCTIONS) == {f.name for f in H.functions}


@pytest.mark.parametrize("st", H.structs, ids=lambda s: s.name)
def test_struct(st):
    cls = _lib.STRUCTS.get(st.name)
    assert cls is not None, f"struct {st.name} missing"
    got = [(n, from_ctypes(t)) for n, t in cls._fields_]
    want = [(f.name, from_header(f.type)) for f in st.fields]
    assert got == want


@pytest.mark.parametrize("en", H.enums, ids=lambda e: e.name)
def test_enum(en):
    cls = _lib.ENUMS.get(en.name)
    assert cls is not None, f"enum {en.name} missing"
    assert {m.name: m.value for m in cls} == {v.name: v.value for v in en.values}
    for v in en.values:
        assert getattr(_lib, v.name) == v.value


def test_defines():
    for d in H.defines:
        if d.value is not None:
            assert getattr(_lib, d.name) == d.value, d.name


def test_callbacks():
    for cb in H.callbacks:
        got = from_ctypes(getattr(_lib, cb.name))
        assert got == ("fn", from_header(cb.sig.ret), tuple(from_header(p.type) for p in cb.sig.params))


def _baseline_layouts():
    tree = ET.parse(os.path.join(ROOT, "abi", "libllamac.so.0.abi"))
    out = {}
    for c in tree.iter("class-decl"):
        name = c.get("name")
        if not name or not name.startswith("llamac_") or c.get("is-declaration-only") == "yes":
            continue
        members = [(dm.find("var-decl").get("name"), int(dm.get("layout-offset-in-bits")))
                   for dm in c.findall("data-member")]
        if members:
            out[name] = (int(c.get("size-in-bits")), members)
    return out


def test_struct_layouts_match_compiler():
    base = _baseline_layouts()
    checked = 0
    for name, cls in _lib.STRUCTS.items():
        if name not in base:
            continue  # newer than the baseline
        bits, members = base[name]
        assert ctypes.sizeof(cls) * 8 == bits, name
        for mname, off in members:
            assert getattr(cls, mname).offset * 8 == off, f"{name}.{mname}"
        checked += 1
    assert checked >= 15, checked


def test_generated_file_is_fresh():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_python_lib.py"), "--check"],
                       stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr


def test_every_function_bound_on_the_library():
    from llamac import lib
    from llamac._state import missing_functions
    assert missing_functions == []
    for name, (restype, argtypes) in _lib.FUNCTIONS.items():
        assert getattr(lib, name).argtypes == list(argtypes)
