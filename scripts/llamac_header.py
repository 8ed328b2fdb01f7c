#!/usr/bin/env python3
"""Reads include/llamac.h into a data model: the one header reader that every
binding generator and drift test shares (Python today, Rust next).

The header is written in a small, regular subset of C, and this reader
understands exactly that subset, failing loudly (HeaderError naming the line)
on anything else rather than guessing:

  #define NAME value                 -> Define
  typedef struct X X;                -> Opaque (a handle)
  typedef struct X { fields } X;     -> Struct
  typedef enum X { A = 1, B } X;     -> Enum
  typedef RET (*X)(params);          -> Callback (function pointer type)
  typedef TYPE X;                    -> Alias (llamac_token = int32_t)
  LLAMAC_API RET name(params);       -> Function
  static inline ... { ... }          -> skipped (header-only helpers)

Data model (all dataclasses; `Header.to_json()` gives plain dicts):

  CType: one C type as written.
    base      the type name: "void", "char", "bool", "float", "double",
              "size_t", "int32_t", "uint64_t", ... or a llamac name
              ("llamac_model", "llamac_token", "llamac_log_fn").
              Multi-word builtins are joined by a space ("unsigned int").
    const     the base type is const-qualified ("const char *" -> True).
    pointers  one entry per '*', innermost first; each is True when that
              pointer itself is const ("const char *const *" -> [True, False]).
    array     fixed array dimensions of a field ("char arch[16]" -> [16]).
    func      for a function-pointer field written inline
              ("void *(*malloc_fn)(void *, size_t)"): a Signature; the field's
              CType then has base "" and pointers [False] (pointer to it).
  Param / Field: name (may be "" for an unnamed parameter) and CType.
  Signature: ret (CType) and params ([Param]); `void` alone means no params.
  Function:  name, Signature, section, line, doc.
  Struct:    name, fields, section, line, doc.
  Enum:      name, values ([EnumValue(name, value, doc)]), section, line, doc.
  Opaque:    name, section, line, doc.
  Callback:  name, Signature, section, line, doc.
  Alias:     name, CType (the aliased type), section, line, doc.
  Define:    name, value (int, float, str, or None when the replacement is
             not a constant, e.g. a macro for attributes), text (raw).

`section` is the number of the header's "==== end of section N ====" block
that holds the item (the first end marker after it; 0 after the last). `doc` is the comment that
ends right before the item (its text without the comment markers), or "".

`Header.kind(name)` says what a type name is: "builtin", "struct", "enum",
"opaque", "callback" or "alias"; `Header.resolve(ctype)` follows aliases.

CLI: llamac_header.py [HEADER] prints the model as JSON;
     llamac_header.py --self-test [HEADER] checks the reader on a small
     header covering every construct, then reads HEADER (default
     include/llamac.h) and sanity-checks it.
"""
from __future__ import annotations

import ast
import dataclasses
import json
import operator
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union

__all__ = [
    "CType", "Signature", "Param", "Field", "Function", "Struct", "EnumValue",
    "Enum", "Opaque", "Callback", "Alias", "Define", "Header", "HeaderError",
    "parse", "parse_file", "BUILTIN_TYPES", "default_header_path",
]

# The C types the header may use besides its own names, with their sizes on
# the platforms llamac supports (LP64); "size" is informative only.
BUILTIN_TYPES = {
    "void": 0, "char": 1, "bool": 1, "float": 4, "double": 8,
    "int8_t": 1, "uint8_t": 1, "int16_t": 2, "uint16_t": 2,
    "int32_t": 4, "uint32_t": 4, "int64_t": 8, "uint64_t": 8,
    "size_t": 8, "int": 4, "unsigned int": 4, "unsigned": 4, "long": 8,
    "unsigned long": 8, "short": 2, "unsigned short": 2, "signed char": 1,
    "unsigned char": 1, "long long": 8, "unsigned long long": 8,
    "intptr_t": 8, "uintptr_t": 8, "ptrdiff_t": 8,
}
_TYPE_WORDS = {"unsigned", "signed", "long", "short", "int", "char"}


class HeaderError(ValueError):
    """The header uses a construct this reader does not understand."""


@dataclass
class Signature:
    ret: "CType"
    params: List["Param"] = field(default_factory=list)


@dataclass
class CType:
    base: str
    const: bool = False
    pointers: List[bool] = field(default_factory=list)
    array: List[int] = field(default_factory=list)
    func: Optional[Signature] = None

    def is_pointer(self) -> bool:
        return bool(self.pointers)

    def spelling(self) -> str:
        """The type as C would write it (without a declarator name)."""
        if self.func is not None:
            params = ", ".join(p.type.spelling() for p in self.func.params) or "void"
            return f"{self.func.ret.spelling()} (*)({params})"
        s = ("const " if self.const else "") + self.base
        for c in self.pointers:
            s += " *" + ("const" if c else "")
        for n in self.array:
            s += f"[{n}]"
        return s


@dataclass
class Param:
    name: str
    type: CType


Field = Param


@dataclass
class Function:
    name: str
    sig: Signature
    section: int = 0
    line: int = 0
    doc: str = ""


@dataclass
class Struct:
    name: str
    fields: List[Field]
    section: int = 0
    line: int = 0
    doc: str = ""


@dataclass
class EnumValue:
    name: str
    value: int
    doc: str = ""


@dataclass
class Enum:
    name: str
    values: List[EnumValue]
    section: int = 0
    line: int = 0
    doc: str = ""


@dataclass
class Opaque:
    name: str
    section: int = 0
    line: int = 0
    doc: str = ""


@dataclass
class Callback:
    name: str
    sig: Signature
    section: int = 0
    line: int = 0
    doc: str = ""


@dataclass
class Alias:
    name: str
    type: CType
    section: int = 0
    line: int = 0
    doc: str = ""


@dataclass
class Define:
    name: str
    value: Union[int, float, str, None]
    text: str
    line: int = 0


@dataclass
class Header:
    functions: List[Function] = field(default_factory=list)
    structs: List[Struct] = field(default_factory=list)
    enums: List[Enum] = field(default_factory=list)
    opaques: List[Opaque] = field(default_factory=list)
    callbacks: List[Callback] = field(default_factory=list)
    aliases: List[Alias] = field(default_factory=list)
    defines: List[Define] = field(default_factory=list)

    def kind(self, name: str) -> str:
        if name in BUILTIN_TYPES:
            return "builtin"
        for kind, items in (("struct", self.structs), ("enum", self.enums),
                            ("opaque", self.opaques), ("callback", self.callbacks),
                            ("alias", self.aliases)):
            if any(i.name == name for i in items):
                return kind
        raise KeyError(f"unknown type name {name!r}")

    def get(self, name: str):
        """The item (of any kind) called `name`, or None."""
        for items in (self.functions, self.structs, self.enums, self.opaques,
                      self.callbacks, self.aliases, self.defines):
            for i in items:
                if i.name == name:
                    return i
        return None

    def resolve(self, t: CType) -> CType:
        """Follows aliases: llamac_token * -> int32_t * (pointers appended)."""
        while t.func is None and self.kind(t.base) == "alias":
            a = self.get(t.base).type
            t = CType(a.base, a.const or t.const, a.pointers + t.pointers,
                      t.array + a.array, a.func)
        return t

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def default_header_path() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(here), "include", "llamac.h")


# ---- lexing ---------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<pp>^[ \t]*\#(?:/\*.*?\*/|[^\n\\/]|/(?!\*)|\\.)*)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<num>(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?)[uUlLfF]*)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<punct><<|>>|[{}()\[\];,*=+\-<>|&~/%?:.!^])
  | (?P<ws>\s+)
""", re.S | re.M | re.X)


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _lex(src: str) -> List[_Tok]:
    out, i = [], 0
    while i < len(src):
        m = _TOKEN.match(src, i)
        if not m:
            raise HeaderError(f"line {src.count(chr(10), 0, i) + 1}: cannot read {src[i:i + 20]!r}")
        if m.lastgroup != "ws":
            out.append(_Tok(m.lastgroup, m.group(), i))
        i = m.end()
    return out


def _comment_text(c: str) -> str:
    if c.startswith("//"):
        return c[2:].strip()
    body = c[2:-2]
    lines = [re.sub(r"^\s*\*? ?", "", ln).rstrip() for ln in body.split("\n")]
    return "\n".join(lines).strip()


# ---- constant expressions ---------------------------------------------------

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.LShift: operator.lshift, ast.RShift: operator.rshift,
        ast.BitOr: operator.or_, ast.BitAnd: operator.and_, ast.BitXor: operator.xor,
        ast.FloorDiv: operator.floordiv}


def _eval_const(text: str, names: Dict[str, object]):
    """Value of a C integer/float/string constant expression, or None."""
    t = text.strip()
    # casts to a type name: "((llamac_token)-1)" -> "((-1))"
    t = re.sub(r"\(\s*(?:const\s+)?[A-Za-z_]\w*\s*\*?\s*\)(?=\s*[-\w(])", "", t)
    t = re.sub(r"(?<=[0-9a-fA-FxX])[uUlL]+\b", "", t)
    t = t.replace("/", "//")
    try:
        node = ast.parse(t, mode="eval").body
    except SyntaxError:
        return None

    def ev(n):
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float, str)):
            return n.value
        if isinstance(n, ast.Name) and n.id in names and names[n.id] is not None:
            return names[n.id]
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd, ast.Invert)):
            v = ev(n.operand)
            return -v if isinstance(n.op, ast.USub) else (~v if isinstance(n.op, ast.Invert) else v)
        if isinstance(n, ast.BinOp) and type(n.op) in _OPS:
            return _OPS[type(n.op)](ev(n.left), ev(n.right))
        raise ValueError
    try:
        return ev(node)
    except (ValueError, TypeError, ZeroDivisionError):
        return None


# ---- parsing ----------------------------------------------------------------

class _Parser:
    def __init__(self, src: str):
        self.src = src
        all_toks = _lex(src)
        self.header = Header()
        self.ends = [(m.start(), int(m.group(1)))
                     for m in re.finditer(r"==== end of section (\d+) ====", src)]
        self.toks: List[_Tok] = []
        self.doc_before: Dict[int, str] = {}  # token index -> preceding comment
        pending = None
        for t in all_toks:
            if t.kind == "comment":
                pending = t
                continue
            if t.kind == "pp":
                self._define(t)
                pending = None
                continue
            if pending is not None:
                gap = src[pending.pos + len(pending.text):t.pos]
                if gap.count("\n") <= 1:
                    self.doc_before[len(self.toks)] = _comment_text(pending.text)
            pending = None
            self.toks.append(t)
        self.i = 0

    # -- helpers
    def line(self, pos: int) -> int:
        return self.src.count("\n", 0, pos) + 1

    def section(self, pos: int) -> int:
        for end, n in self.ends:
            if end > pos:
                return n
        return 0

    def err(self, msg: str):
        pos = self.toks[min(self.i, len(self.toks) - 1)].pos if self.toks else 0
        raise HeaderError(f"line {self.line(pos)}: {msg}")

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.toks[j].text if j < len(self.toks) else ""

    def take(self, expect: Optional[str] = None) -> str:
        if self.i >= len(self.toks):
            self.err(f"unexpected end of header (expected {expect!r})")
        t = self.toks[self.i].text
        if expect is not None and t != expect:
            self.err(f"expected {expect!r}, found {t!r}")
        self.i += 1
        return t

    def ident(self) -> str:
        t = self.toks[self.i] if self.i < len(self.toks) else None
        if t is None or t.kind != "id":
            self.err(f"expected a name, found {t.text if t else 'end'!r}")
        self.i += 1
        return t.text

    def _define(self, t: _Tok):
        # comments (possibly spanning lines) and continuations are blanks
        text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", t.text, flags=re.S)
        text = re.sub(r"\\\n", " ", text).strip()
        m = re.match(r"#\s*define\s+([A-Za-z_]\w*)(\([^)]*\))?\s*(.*)$", text, re.S)
        if not m or m.group(2):
            return  # #if/#ifdef/#include, or a function-like macro
        name, rest = m.group(1), m.group(3).strip()
        names = {d.name: d.value for d in self.header.defines}
        value = _eval_const(rest, names) if rest else None
        self.header.defines.append(Define(name, value, rest, self.line(t.pos)))

    # -- types and declarators
    def specifiers(self) -> CType:
        const = False
        words: List[str] = []
        while True:
            p = self.peek()
            if p == "const":
                const = True
                self.i += 1
            elif p in ("struct", "enum"):
                self.i += 1
            elif p in _TYPE_WORDS and (not words or words[-1] in _TYPE_WORDS):
                words.append(self.take())
            elif not words and self.toks[self.i].kind == "id":
                words.append(self.take())
            else:
                break
        if not words:
            self.err(f"expected a type, found {self.peek()!r}")
        return CType(" ".join(words), const)

    def declarator(self, base: CType, allow_abstract: bool):
        """Pointers, then a name or (*name)(params), then [N]...; -> (name, CType)."""
        ptrs: List[bool] = []
        while self.peek() == "*":
            self.take()
            c = False
            while self.peek() == "const":
                self.take()
                c = True
            ptrs.append(c)
        t = CType(base.base, base.const, list(base.pointers) + ptrs)
        if self.peek() == "(" and self.peek(1) == "*":
            self.take("(")
            self.take("*")
            name = self.ident()
            self.take(")")
            sig = Signature(t, self.params())
            t = CType("", False, [False], [], sig)
        elif self.i < len(self.toks) and self.toks[self.i].kind == "id":
            name = self.ident()
        elif allow_abstract:
            name = ""
        else:
            self.err(f"expected a name, found {self.peek()!r}")
        while self.peek() == "[":
            self.take("[")
            expr = []
            while self.peek() != "]":
                expr.append(self.take())
            self.take("]")
            v = _eval_const(" ".join(expr), {d.name: d.value for d in self.header.defines})
            if not isinstance(v, int):
                self.err(f"array size {' '.join(expr)!r} is not a constant")
            t.array.append(v)
        return name, t

    def params(self) -> List[Param]:
        self.take("(")
        out: List[Param] = []
        if self.peek() == "void" and self.peek(1) == ")":
            self.take()
        while self.peek() != ")":
            base = self.specifiers()
            name, t = self.declarator(base, allow_abstract=True)
            out.append(Param(name, t))
            if self.peek() == ",":
                self.take()
            elif self.peek() != ")":
                self.err(f"expected ',' or ')' in parameters, found {self.peek()!r}")
        self.take(")")
        return out

    # -- top level
    def parse(self) -> Header:
        h = self.header
        while self.i < len(self.toks):
            start = self.i
            pos = self.toks[start].pos
            doc = self.doc_before.get(start, "")
            where = dict(section=self.section(pos), line=self.line(pos), doc=doc)
            p = self.peek()
            if p == "extern" and self.peek(1).startswith('"'):
                self.i += 2
                if self.peek() == "{":
                    self.take()
                continue
            if p == "}":  # closing extern "C" (only seen when not preprocessed out)
                self.take()
                continue
            if p == "static":
                self.skip_inline()
                continue
            if p == "typedef":
                self.take()
                self.typedef(where)
                continue
            if p == "LLAMAC_API":
                self.take()
                base = self.specifiers()
                ptrs: List[bool] = []
                while self.peek() == "*":
                    self.take()
                    c = False
                    while self.peek() == "const":
                        self.take()
                        c = True
                    ptrs.append(c)
                ret = CType(base.base, base.const, ptrs)
                name = self.ident()
                sig = Signature(ret, self.params())
                self.take(";")
                h.functions.append(Function(name, sig, **where))
                continue
            self.err(f"unexpected {p!r} at top level")
        return h

    def skip_inline(self):
        while self.peek() != "{":
            self.take()
        depth = 0
        while True:
            t = self.take()
            if t == "{":
                depth += 1
            elif t == "}":
                depth -= 1
                if depth == 0:
                    return

    def typedef(self, where):
        h = self.header
        if self.peek() == "struct":
            self.take()
            tag = self.ident()
            if self.peek() == "{":
                fields = self.struct_body()
                name = self.ident()
                self.take(";")
                h.structs.append(Struct(name, fields, **where))
                return
            name = self.ident()
            self.take(";")
            if name != tag:
                self.err(f"typedef struct {tag} {name}: tag and name differ")
            h.opaques.append(Opaque(name, **where))
            return
        if self.peek() == "enum":
            self.take()
            if self.peek() != "{":
                self.ident()
            h.enums.append(Enum("", self.enum_body(), **where))
            h.enums[-1].name = self.ident()
            self.take(";")
            return
        base = self.specifiers()
        name, t = self.declarator(base, allow_abstract=False)
        self.take(";")
        if t.func is not None:
            h.callbacks.append(Callback(name, t.func, **where))
        else:
            h.aliases.append(Alias(name, t, **where))

    def struct_body(self) -> List[Field]:
        self.take("{")
        fields: List[Field] = []
        while self.peek() != "}":
            base = self.specifiers()
            while True:
                name, t = self.declarator(base, allow_abstract=False)
                fields.append(Field(name, t))
                if self.peek() == ",":
                    self.take()
                    continue
                break
            self.take(";")
        self.take("}")
        return fields

    def enum_body(self) -> List[EnumValue]:
        self.take("{")
        values: List[EnumValue] = []
        names = {d.name: d.value for d in self.header.defines}
        for e in self.header.enums:
            names.update({v.name: v.value for v in e.values})
        nxt = 0
        while self.peek() != "}":
            doc = self.doc_before.get(self.i, "")
            name = self.ident()
            if self.peek() == "=":
                self.take()
                expr = []
                depth = 0
                while not (depth == 0 and self.peek() in (",", "}")):
                    t = self.take()
                    depth += (t == "(") - (t == ")")
                    expr.append(t)
                v = _eval_const(" ".join(expr), names)
                if not isinstance(v, int):
                    self.err(f"enum value {name} = {' '.join(expr)!r} is not a constant")
                nxt = v
            values.append(EnumValue(name, nxt, doc))
            names[name] = nxt
            nxt += 1
            if self.peek() == ",":
                self.take()
        self.take("}")
        return values


def parse(src: str) -> Header:
    """Reads header text; raises HeaderError on an unsupported construct."""
    return _Parser(src).parse()


def parse_file(path: Optional[str] = None) -> Header:
    with open(path or default_header_path(), encoding="utf-8") as f:
        return parse(f.read())


# ---- self-test ----------------------------------------------------------------

_SAMPLE = r'''
#define X_MAJOR 1
#define X_NUMBER (X_MAJOR * 10000 + 2 * 100)
#define X_STRING "1.2.0"
#define X_NULL ((x_token)-1)
#define X_FLAG (1u << 4) /* a comment that goes
                                on */
#define X_AFTER 7 // line comment
/* A handle. */
typedef struct x_thing x_thing;
typedef int32_t x_token;
typedef enum x_color { X_RED, X_GREEN = 4, /* doc of blue */
    X_BLUE, X_NEG = -1, X_BIT = 1 << 3, X_NEXT = X_BIT + X_GREEN } x_color;
typedef bool (*x_cb)(float fraction, void *user);
typedef struct x_params {
    size_t struct_size;
    void *(*alloc)(void *user, size_t size);
    const char *const *names;
    char tag[16];
    int32_t a, b;
    x_cb cb;
} x_params;
static inline x_params x_default(void) { x_params p; { p.a = 0; } return p; }
/* ==== end of section 1 ==== */
/* Does the thing. */
LLAMAC_API const char *x_name(const x_thing *t, int64_t i);
LLAMAC_API void x_free(x_thing *t);
LLAMAC_API int x_count(void);
/* ==== end of section 2 ==== */
'''


def self_test(path: Optional[str]) -> None:
    h = parse(_SAMPLE)
    d = {x.name: x for x in h.defines}
    assert d["X_NUMBER"].value == 10200, d["X_NUMBER"]
    assert d["X_STRING"].value == "1.2.0"
    assert d["X_NULL"].value == -1, d["X_NULL"]
    assert [o.name for o in h.opaques] == ["x_thing"] and h.opaques[0].doc == "A handle."
    assert h.aliases[0].name == "x_token" and h.aliases[0].type.base == "int32_t"
    (e,) = h.enums
    assert [(v.name, v.value) for v in e.values] == [
        ("X_RED", 0), ("X_GREEN", 4), ("X_BLUE", 5), ("X_NEG", -1), ("X_BIT", 8),
        ("X_NEXT", 12)], e
    assert d["X_FLAG"].value == 16, d["X_FLAG"]
    assert d["X_AFTER"].value == 7, d["X_AFTER"]
    assert e.values[2].doc == "doc of blue"
    (cb,) = h.callbacks
    assert cb.sig.ret.base == "bool" and [p.name for p in cb.sig.params] == ["fraction", "user"]
    (s,) = h.structs
    f = {x.name: x.type for x in s.fields}
    assert list(f) == ["struct_size", "alloc", "names", "tag", "a", "b", "cb"]
    assert f["alloc"].func.ret.pointers == [False] and f["alloc"].func.ret.base == "void"
    assert f["names"].const and f["names"].pointers == [True, False]
    assert f["tag"].array == [16] and f["tag"].base == "char"
    assert f["b"].base == "int32_t"
    fn = {x.name: x for x in h.functions}
    assert list(fn) == ["x_name", "x_free", "x_count"]
    assert fn["x_name"].sig.ret.spelling() == "const char *"
    assert fn["x_name"].doc == "Does the thing." and fn["x_name"].section == 2
    assert s.section == 1
    assert fn["x_count"].sig.params == []
    assert h.resolve(CType("x_token", False, [False])).spelling() == "int32_t *"
    for bad in ("LLAMAC_API int f(int a b);", "union u { int a; };"):
        try:
            parse(bad)
        except HeaderError:
            continue
        raise AssertionError(f"accepted {bad!r}")

    real = parse_file(path)
    names = {f.name for f in real.functions}
    for must in ("llamac_version_number", "llamac_model_load", "llamac_generator_next"):
        assert must in names, must
    assert len(real.functions) > 100, len(real.functions)
    for fnc in real.functions:
        for t in [fnc.sig.ret] + [p.type for p in fnc.sig.params]:
            if t.func is None:
                real.kind(t.base)  # every type name is known
    print(f"ok: {len(real.functions)} functions, {len(real.structs)} structs, "
          f"{len(real.enums)} enums, {len(real.callbacks)} callbacks, "
          f"{len(real.defines)} defines")


def main(argv: List[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    path = args[0] if args else None
    try:
        if "--self-test" in argv:
            self_test(path)
            return 0
        json.dump(parse_file(path).to_json(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    except HeaderError as e:
        print(f"llamac_header: {path or default_header_path()}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
