"""llamac: run Llama-family GGUF models on the CPU, from Python.

    from llamac import Llama                 # llama-cpp-python compatible
    from llamac import LlamaGrammar          # grammar= (GBNF, JSON Schema)
    from llamac import Model, Context, SamplerChain, Generator
    from llamac import step_all, next_us, Worker, estimate_memory   # games: budgeted steps
    from llamac import lib                   # the C API through ctypes

The shared library is found through LLAMAC_LIBRARY (a path), a copy inside
this package, or the system loader; its major.minor version must match the
one this binding was written for (ImportError otherwise). docs/python.md.
"""
from . import _lib
from ._loader import WRITTEN_FOR
from ._state import lib, library_path, check
from .errors import (LlamacError, InvalidArgumentError, LlamacIOError, FormatError,
                     UnsupportedError, NotFoundError, TypeMismatchError, NoMemoryError,
                     CancelledError, ContextFullError, InternalError, BufferTooSmallError,
                     MismatchError, LimitError, ClosedError, ConcurrentUseError)
from .core import Model, Context, SamplerChain, Generator, Step, StepKind, StopReason, step_all, next_us
from .worker import Worker, WorkerEvent, EventKind, WorkerState, estimate_memory
from .grammar import (LlamaGrammar, GrammarError, JSON_GBNF, LLAMA_GRAMMAR_DEFAULT_ROOT,
                      json_schema_to_grammar, check_grammar)
from .llama import Llama, LlamaState, LLAMA_DEFAULT_SEED

__version__ = "%d.%d.%d" % (_lib.LLAMAC_VERSION_MAJOR, _lib.LLAMAC_VERSION_MINOR,
                            _lib.LLAMAC_VERSION_PATCH)


def library_version():
    """The loaded library's version string ("0.3.0")."""
    return lib.llamac_version().decode()
