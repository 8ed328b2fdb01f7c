"""llama-cpp-python's module name for the grammar class: code that says
`from llama_cpp.llama_grammar import LlamaGrammar` works as
`from llamac.llama_grammar import LlamaGrammar`. See llamac.grammar."""
from .grammar import (GrammarError, JSON_GBNF, LLAMA_GRAMMAR_DEFAULT_ROOT, LlamaGrammar,  # noqa: F401
                      check_grammar, json_schema_to_grammar)
