"""Grammars: `LlamaGrammar` (llama-cpp-python's class) over the library's
GBNF parser (llamac.h section 12) and JSON Schema converter (section 13).

    from llamac import Llama, LlamaGrammar
    g = LlamaGrammar.from_string('root ::= "yes" | "no"')
    llm("Is it? ", grammar=g, max_tokens=8)

A grammar is checked by the library when the LlamaGrammar is made: an
invalid one raises GrammarError (a LlamacError and a ValueError) carrying
the library's message, which names the line and column, and .line/.column.
"""
import ctypes
import json
import os

from . import _lib
from ._state import lib
from .errors import LlamacError, error_for

#: The text of the repository's grammars/json.gbnf (a JSON object; the top
#: level is an object, as in llama-cpp-python's JSON_GBNF). What
#: response_format={"type": "json_object"} constrains to. A test checks
#: that it equals grammars/json.gbnf.
JSON_GBNF = r'''# A JSON object (RFC 8259), written for llamac. The top level is an object,
# as in llama.cpp's grammars/json.gbnf. Whitespace runs are bounded so that
# a model cannot pad forever.
root    ::= object
value   ::= object | array | string | number | ( "true" | "false" | "null" ) ws
object  ::= "{" ws ( member ( "," ws member )* )? "}" ws
member  ::= string ":" ws value
array   ::= "[" ws ( value ( "," ws value )* )? "]" ws
string  ::= "\"" ( [^"\\\x00-\x1F\x7F] | "\\" escape )* "\"" ws
escape  ::= ["\\/bfnrt] | "u" [0-9a-fA-F]{4}
number  ::= "-"? ( "0" | [1-9] [0-9]{0,15} ) ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,3} )? ws
ws      ::= | " " | "\n" [ \t]{0,20}
'''

LLAMA_GRAMMAR_DEFAULT_ROOT = "root"

# Statuses that mean "this grammar or schema is not acceptable" (GrammarError);
# others (no memory, ...) keep their own LlamacError subclass.
_REFUSALS = (_lib.LLAMAC_ERR_INVALID_ARG, _lib.LLAMAC_ERR_FORMAT, _lib.LLAMAC_ERR_UNSUPPORTED,
             _lib.LLAMAC_ERR_LIMIT)


class GrammarError(LlamacError, ValueError):
    """A grammar (or a JSON Schema) the library refuses. .status/.status_name:
    LLAMAC_ERR_FORMAT (syntax, undefined rule, left recursion, not JSON ...),
    LLAMAC_ERR_LIMIT (past a bound), LLAMAC_ERR_UNSUPPORTED (a schema feature);
    .message: the library's text ("grammar: line L, column C: ..."); .line and
    .column: 1-based, or None when the error has no place."""

    def __init__(self, status, message, line=None, column=None):
        super().__init__(status, message)
        self.line = line or None
        self.column = column or None


def _encode(text):
    if isinstance(text, str):
        # surrogateescape: a grammar file read with invalid UTF-8 gets its
        # bytes back, so the library (not Python) reports them.
        return text.encode("utf-8", "surrogateescape")
    return bytes(text)


def _root(root):
    return None if root is None else _encode(root)


def check_grammar(grammar, root=LLAMA_GRAMMAR_DEFAULT_ROOT):
    """Checks GBNF text (str or bytes) with llamac_grammar_check; raises
    GrammarError with the library's message, line and column."""
    data = _encode(grammar)
    line, col = ctypes.c_int32(), ctypes.c_int32()
    st = lib.llamac_grammar_check(data, len(data), _root(root), ctypes.byref(line),
                                  ctypes.byref(col))
    if st != 0:
        raise _error(st, line.value, col.value)


def _error(st, line=None, col=None):
    msg = lib.llamac_last_error().decode("utf-8", "replace")
    if st in _REFUSALS:
        return GrammarError(st, msg, line, col)
    return error_for(st, msg)


def json_schema_to_grammar(schema, compact_spaces=False, dotall=False):
    """Converts a JSON Schema (a str/bytes of JSON, or a dict/list/bool,
    which is serialized with json.dumps) to GBNF text with the library's
    converter (llamac_json_schema_to_grammar: llama.cpp's rules). Raises
    GrammarError for a schema it cannot convert, with the library's
    message."""
    if isinstance(schema, (dict, list, bool)):
        schema = json.dumps(schema)
    data = _encode(schema)
    flags = ((_lib.LLAMAC_JSON_SCHEMA_COMPACT_SPACES if compact_spaces else 0)
             | (_lib.LLAMAC_JSON_SCHEMA_DOTALL if dotall else 0))
    n = ctypes.c_size_t()
    st = lib.llamac_json_schema_to_grammar(data, len(data), flags, None, None, 0, ctypes.byref(n))
    if st != _lib.LLAMAC_ERR_BUFFER_TOO_SMALL:
        if st == 0:  # an empty grammar: cannot happen for a valid schema
            return ""
        raise _error(st)
    buf = ctypes.create_string_buffer(max(n.value, 1))
    st = lib.llamac_json_schema_to_grammar(data, len(data), flags, None, buf, n.value,
                                           ctypes.byref(n))
    if st != 0:
        raise _error(st)
    return buf.raw[:n.value].decode("utf-8")


class LlamaGrammar:
    """A GBNF grammar, as llama-cpp-python's llama_cpp.LlamaGrammar: made with
    from_string, from_file or from_json_schema and passed as grammar= to
    Llama.create_completion / __call__ / create_chat_completion. The text is
    checked by the library when the object is made (GrammarError if it is
    invalid). It holds only the text: every completion starts a fresh
    grammar sampler from it, so one LlamaGrammar can be reused and shared by
    threads."""

    def __init__(self, *args, _grammar, root=LLAMA_GRAMMAR_DEFAULT_ROOT, **kwargs):
        if args:
            raise TypeError("LlamaGrammar: use LlamaGrammar.from_string(text)")
        check_grammar(_grammar, root)
        self._grammar = _grammar if isinstance(_grammar, str) else \
            bytes(_grammar).decode("utf-8", "surrogateescape")
        self._root = root

    @property
    def grammar(self):
        """The GBNF text."""
        return self._grammar

    @property
    def root(self):
        return self._root

    def _bytes(self):
        return _encode(self._grammar)

    @classmethod
    def from_string(cls, grammar, verbose=True, root=LLAMA_GRAMMAR_DEFAULT_ROOT):
        """GBNF text (str or bytes). `verbose` is accepted for
        llama-cpp-python's signature and has no effect (errors are raised,
        never printed)."""
        return cls(_grammar=grammar, root=root)

    @classmethod
    def from_file(cls, file, verbose=True, root=LLAMA_GRAMMAR_DEFAULT_ROOT):
        """A .gbnf file (bytes read as they are; line ends LF or CRLF). An
        unreadable file raises OSError, an empty one ValueError."""
        with open(os.fspath(file), "rb") as f:
            data = f.read()
        if not data.strip():
            raise ValueError(f"from_file: {os.fspath(file)!r} is empty")
        return cls(_grammar=data.decode("utf-8", "surrogateescape"), root=root)

    @classmethod
    def from_json_schema(cls, json_schema, verbose=True, *, compact_spaces=False):
        """A JSON Schema (a JSON str, or a dict) converted by the library's
        converter (llama.cpp's rules; docs/json-schema.md lists what is
        supported). A schema it cannot convert raises GrammarError.
        compact_spaces (llamac's addition): at most one blank between
        tokens instead of up to a newline and 20 blanks."""
        return cls(_grammar=json_schema_to_grammar(json_schema, compact_spaces=compact_spaces))

    def __repr__(self):
        first = self._grammar.strip().splitlines()[0] if self._grammar.strip() else ""
        return f"<LlamaGrammar {first[:60]!r}...>"
