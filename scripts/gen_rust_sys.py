#!/usr/bin/env python3
"""Generates the Rust mirror of include/llamac.h for the llamac-sys crate
(bindings/rust/llamac-sys), from the header through scripts/llamac_header.py
(the same reader gen_python_lib.py uses):

  src/bindings.rs    extern "C" declarations, #[repr(C)] structs, opaque
                     handles, enums as integer types plus constants, defines
  tests/layout.c     a C program printing size, alignment and field offsets
                     of every struct, as the C compiler lays them out
  tests/layout/layout_rs.rs
                     the same table as Rust computes it (size_of, align_of,
                     offset_of!), included by tests/layout.rs which compares,
                     and the address of every function (a link check)

  gen_rust_sys.py            rewrite the three files
  gen_rust_sys.py --check    exit 1 if a committed file differs from what the
                             header gives (a function, field or enum value
                             missing, added or of another type)
  gen_rust_sys.py --stdout   print bindings.rs

Mapping (docs/rust.md, "llamac-sys"):
  void -> () / c_void behind pointers; bool -> bool; char -> c_char;
  intN_t/uintN_t -> iN/uN; size_t -> usize; float/double -> f32/f64;
  int -> c_int (and the other C integer names -> their core::ffi type);
  an enum -> a type alias of c_int (C enums of this header are int-sized,
  and a Rust enum would be undefined behaviour for a value the library
  adds later) plus one constant per value; an alias -> `pub type`;
  a struct -> #[repr(C)] struct (Copy, Clone, Debug); an opaque handle ->
  a zero-sized #[repr(C)] struct that is !Send, !Sync and !Unpin, used only
  behind pointers; a callback or function-pointer field ->
  Option<unsafe extern "C" fn(..)> (None is NULL); `const T *` -> *const T,
  `T *` -> *mut T (each level's constness from the header); `T[N]` -> [T; N].
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import llamac_header as lh  # noqa: E402

ROOT = os.path.dirname(HERE)
CRATE = os.path.join(ROOT, "bindings", "rust", "llamac-sys")
OUT_RS = os.path.join(CRATE, "src", "bindings.rs")
OUT_C = os.path.join(CRATE, "tests", "layout.c")
OUT_LAYOUT_RS = os.path.join(CRATE, "tests", "layout", "layout_rs.rs")

SCALARS = {
    "bool": "bool", "char": "c_char", "float": "f32", "double": "f64",
    "int8_t": "i8", "uint8_t": "u8", "int16_t": "i16", "uint16_t": "u16",
    "int32_t": "i32", "uint32_t": "u32", "int64_t": "i64", "uint64_t": "u64",
    "size_t": "usize", "int": "c_int", "unsigned int": "c_uint", "unsigned": "c_uint",
    "long": "c_long", "unsigned long": "c_ulong", "short": "c_short",
    "unsigned short": "c_ushort", "signed char": "c_schar", "unsigned char": "c_uchar",
    "long long": "c_longlong", "unsigned long long": "c_ulonglong",
    "intptr_t": "isize", "uintptr_t": "usize", "ptrdiff_t": "isize",
}

# Rust names that are keywords: a parameter called `type` becomes `type_`.
KEYWORDS = {"type", "fn", "ref", "mut", "move", "match", "loop", "impl", "in", "self",
            "Self", "struct", "enum", "trait", "use", "where", "while", "mod", "box",
            "crate", "dyn", "let", "static", "super", "true", "false", "as", "break",
            "const", "continue", "else", "extern", "for", "if", "pub", "return", "unsafe",
            "async", "await", "abstract", "become", "do", "final", "macro", "override",
            "priv", "typeof", "unsized", "virtual", "yield", "try", "gen"}

# Defines that are not constants of the API (include guard, export macro).
SKIP_DEFINES = {"LLAMAC_H", "LLAMAC_API"}
# The Rust type of each constant define; one not listed here fails the
# generator, so a new define gets a deliberate type.
DEFINE_TYPES = {
    "LLAMAC_VERSION_MAJOR": "c_int", "LLAMAC_VERSION_MINOR": "c_int",
    "LLAMAC_VERSION_PATCH": "c_int", "LLAMAC_VERSION_NUMBER": "c_int",
    "LLAMAC_VERSION_STRING": "&str",
    "LLAMAC_TOKEN_NULL": "llamac_token", "LLAMAC_STATE_ALL_SEQS": "llamac_seq_id",
    "LLAMAC_STATE_HEADER_BYTES": "usize", "LLAMAC_JINJA_NOW_CURRENT": "i64",
    "LLAMAC_JSON_SCHEMA_COMPACT_SPACES": "u32", "LLAMAC_JSON_SCHEMA_DOTALL": "u32",
    "LLAMAC_TOKENIZE_ADD_SPECIAL": "u32", "LLAMAC_TOKENIZE_PARSE_SPECIAL": "u32",
    "LLAMAC_TOKENIZE_BOS_ONCE": "u32",
}
# Replacement texts the reader cannot evaluate (names from <stdint.h>).
KNOWN_TEXT = {"INT64_MIN": "i64::MIN"}


class GenError(Exception):
    pass


def ident(name: str) -> str:
    return name + "_" if name in KEYWORDS else name


class Gen:
    def __init__(self, h: lh.Header):
        self.h = h

    def rtype(self, t: lh.CType) -> str:
        """Rust type for a C type (parameter, field or return)."""
        if t.func is not None:
            s = self.fnptr(t.func)
            # t.pointers[0] is the function pointer itself
            for c in t.pointers[1:]:
                s = f"*mut {s}"
            return s
        kind = self.h.kind(t.base)
        if kind == "callback":
            s = t.base  # already an Option<fn>
        elif t.base == "void":
            s = "c_void" if t.pointers else "()"
        elif kind == "builtin":
            s = SCALARS[t.base]
        else:  # struct, enum, opaque, alias: their own Rust names
            s = t.base
        # pointers[i] says whether pointer i itself is const; the pointee of
        # pointer 0 is the base (const when t.const), the pointee of pointer
        # i > 0 is pointer i - 1.
        for i in range(len(t.pointers)):
            pointee_const = t.const if i == 0 else t.pointers[i - 1]
            s = f"*{'const' if pointee_const else 'mut'} {s}"
        for n in reversed(t.array):
            s = f"[{s}; {n}]"
        return s

    def fnptr(self, sig: lh.Signature) -> str:
        params = ", ".join(f"{ident(p.name) or '_'}: {self.rtype(p.type)}"
                           if p.name else self.rtype(p.type) for p in sig.params)
        ret = self.rtype(sig.ret)
        tail = "" if ret == "()" else f" -> {ret}"
        return f'Option<unsafe extern "C" fn({params}){tail}>'

    @staticmethod
    def doc(lines_out, doc: str, indent: str = ""):
        for ln in doc.split("\n"):
            ln = ln.rstrip()
            lines_out.append(f"{indent}///{(' ' + ln) if ln else ''}")

    def define_value(self, d: lh.Define) -> str:
        if d.value is None:
            if d.text in KNOWN_TEXT:
                return KNOWN_TEXT[d.text]
            raise GenError(f"define {d.name} = {d.text!r} is not a constant this generator knows")
        if isinstance(d.value, str):
            return '"' + d.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(d.value, float):
            return repr(d.value)
        return str(d.value)

    def bindings(self) -> str:
        h = self.h
        o = []
        w = o.append
        w("// Generated by scripts/gen_rust_sys.py from include/llamac.h: do not edit.")
        w("// Re-run the generator after changing the header; its --check mode (meson")
        w("// test rust_sys_fresh) fails when this file is stale.")
        w("")
        w("use core::ffi::{c_char, c_int, c_void};")
        w("#[allow(unused_imports)]")
        w("use core::ffi::{c_long, c_longlong, c_schar, c_short, c_uchar, c_uint, c_ulong,")
        w("                c_ulonglong, c_ushort};")
        w("")
        w("// ---- constants (#define) ----")
        seen = set()
        for d in h.defines:
            if d.name in SKIP_DEFINES or d.name in seen:
                continue
            seen.add(d.name)
            if d.name not in DEFINE_TYPES:
                raise GenError(f"define {d.name} has no Rust type: add it to DEFINE_TYPES")
            w(f"pub const {d.name}: {DEFINE_TYPES[d.name]} = {self.define_value(d)};")
        w("")
        w("// ---- aliases ----")
        for a in h.aliases:
            if a.doc:
                self.doc(o, a.doc)
            w(f"pub type {a.name} = {self.rtype(a.type)};")
        w("")
        w("// ---- enums: a C int and one constant per value ----")
        for e in h.enums:
            if e.doc:
                self.doc(o, e.doc)
            w(f"pub type {e.name} = c_int;")
            for v in e.values:
                if v.doc:
                    self.doc(o, v.doc)
                w(f"pub const {v.name}: {e.name} = {v.value};")
            w("")
        w("// ---- opaque handles ----")
        for op in h.opaques:
            if op.doc:
                self.doc(o, op.doc)
            w("#[repr(C)]")
            w(f"pub struct {op.name} {{")
            w("    _data: [u8; 0],")
            w("    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,")
            w("}")
            w("")
        w("// ---- callbacks (None is NULL) ----")
        for c in h.callbacks:
            if c.doc:
                self.doc(o, c.doc)
            w(f"pub type {c.name} = {self.fnptr(c.sig)};")
        w("")
        w("// ---- structs ----")
        for s in h.structs:
            if s.doc:
                self.doc(o, s.doc)
            w("#[repr(C)]")
            w("#[derive(Debug, Copy, Clone)]")
            w(f"pub struct {s.name} {{")
            for f in s.fields:
                w(f"    pub {ident(f.name)}: {self.rtype(f.type)},")
            w("}")
            w("")
        w("// ---- functions ----")
        w('extern "C" {')
        for f in h.functions:
            if f.doc:
                self.doc(o, f.doc, "    ")
            params = ", ".join(f"{ident(p.name) or f'arg{i}'}: {self.rtype(p.type)}"
                               for i, p in enumerate(f.sig.params))
            ret = self.rtype(f.sig.ret)
            tail = "" if ret == "()" else f" -> {ret}"
            w(f"    pub fn {f.name}({params}){tail};")
        w("}")
        return "\n".join(o) + "\n"

    def layout_c(self) -> str:
        o = []
        w = o.append
        w("/* Generated by scripts/gen_rust_sys.py from include/llamac.h: do not edit.")
        w(" * Prints one line per struct (\"S name size align\") and per field")
        w(" * (\"F struct field offset size\") as the C compiler lays them out;")
        w(" * tests/layout.rs compiles it and compares with Rust's layout. */")
        w("#include <stddef.h>")
        w("#include <stdio.h>")
        w("#include <stdalign.h>")
        w('#include "llamac.h"')
        w("")
        w("#define S(T) printf(\"S %s %zu %zu\\n\", #T, sizeof(T), alignof(T))")
        w("#define F(T, f) printf(\"F %s %s %zu %zu\\n\", #T, #f, offsetof(T, f), sizeof(((T *)0)->f))")
        w("")
        w("int main(void) {")
        for s in self.h.structs:
            w(f"    S({s.name});")
            for f in s.fields:
                w(f"    F({s.name}, {f.name});")
        w("    return 0;")
        w("}")
        return "\n".join(o) + "\n"

    def layout_rs(self) -> str:
        o = []
        w = o.append
        w("// Generated by scripts/gen_rust_sys.py from include/llamac.h: do not edit.")
        w("// The Rust side of the layout comparison (tests/layout.rs): the same")
        w("// lines tests/layout.c prints, computed from llamac-sys's types.")
        w("")
        w("#[allow(unused_imports)]")
        w("use core::mem::{align_of, offset_of, size_of};")
        w("use llamac_sys::*;")
        w("")
        w("fn field_size<T, F>(_: fn(&T) -> &F) -> usize {")
        w("    size_of::<F>()")
        w("}")
        w("")
        w("pub fn rust_layout() -> Vec<String> {")
        w("    vec![")
        for s in self.h.structs:
            w(f'        format!("S {s.name} {{}} {{}}", size_of::<{s.name}>(), align_of::<{s.name}>()),')
            for f in s.fields:
                fi = ident(f.name)
                w(f'        format!("F {s.name} {f.name} {{}} {{}}", offset_of!({s.name}, {fi}),')
                w(f"                field_size(|s: &{s.name}| &s.{fi})),")
        w("    ]")
        w("}")
        w("")
        w("/// Every declared function with its address: linking this fails when the")
        w("/// library lacks a symbol the header declares.")
        w("pub fn functions() -> Vec<(&'static str, usize)> {")
        w("    vec![")
        for f in self.h.functions:
            w(f'        ("{f.name}", {f.name} as *const () as usize),')
        w("    ]")
        w("}")
        return "\n".join(o) + "\n"


def main(argv):
    try:
        g = Gen(lh.parse_file())
        outs = {OUT_RS: g.bindings(), OUT_C: g.layout_c(), OUT_LAYOUT_RS: g.layout_rs()}
    except (lh.HeaderError, GenError, KeyError) as e:
        print(f"gen_rust_sys: {e}", file=sys.stderr)
        return 1
    if "--stdout" in argv:
        sys.stdout.write(outs[OUT_RS])
        return 0
    if "--check" in argv:
        stale = []
        for path, text in outs.items():
            try:
                with open(path, encoding="utf-8") as f:
                    old = f.read()
            except FileNotFoundError:
                old = None
            if old != text:
                stale.append(os.path.relpath(path, ROOT))
                if old is not None:
                    import difflib
                    diff = difflib.unified_diff(text.splitlines(), old.splitlines(),
                                                "from the header", "committed", lineterm="", n=1)
                    for i, ln in enumerate(diff):
                        if i >= 40:
                            print("  ...", file=sys.stderr)
                            break
                        print("  " + ln, file=sys.stderr)
        if stale:
            print(f"gen_rust_sys: stale: {', '.join(stale)}: run scripts/gen_rust_sys.py",
                  file=sys.stderr)
            return 1
        return 0
    for path, text in outs.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
