"""python3 -m llamac -m MODEL -p PROMPT [-n N] [--temp T] [--seed S]
[--grammar TEXT | --grammar-file FILE | --json-schema FILE_OR_TEXT] ...:
streams a completion to stdout, like `llamac run`."""
import argparse
import sys

from . import Llama, LlamaGrammar, GrammarError


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m llamac", description=__doc__)
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("-p", "--prompt", required=True)
    ap.add_argument("-n", "--n-predict", type=int, default=128)
    ap.add_argument("--temp", type=float, default=0.8)
    ap.add_argument("--top-k", type=int, default=40)
    ap.add_argument("--top-p", type=float, default=0.95)
    ap.add_argument("--min-p", type=float, default=0.05)
    ap.add_argument("--repeat-penalty", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("-c", "--ctx-size", type=int, default=2048)
    ap.add_argument("-t", "--threads", type=int, default=None)
    ap.add_argument("--stop", action="append", default=[])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--grammar", help="GBNF text")
    g.add_argument("--grammar-file", help="a GBNF file")
    g.add_argument("--json-schema", help="a JSON Schema: text when it starts with '{', else a file")
    a = ap.parse_args(argv)
    grammar = None
    try:
        if a.grammar is not None:
            grammar = LlamaGrammar.from_string(a.grammar)
        elif a.grammar_file is not None:
            grammar = LlamaGrammar.from_file(a.grammar_file)
        elif a.json_schema is not None:
            schema = a.json_schema
            if not schema.lstrip().startswith("{"):
                with open(schema, encoding="utf-8") as f:
                    schema = f.read()
            grammar = LlamaGrammar.from_json_schema(schema)
    except (GrammarError, OSError, ValueError) as e:
        sys.stderr.write(f"python3 -m llamac: {e}\n")
        return 1
    with Llama(a.model, n_ctx=a.ctx_size, n_threads=a.threads, verbose=False) as llm:
        for c in llm(a.prompt, max_tokens=a.n_predict, temperature=a.temp, top_k=a.top_k,
                     top_p=a.top_p, min_p=a.min_p, repeat_penalty=a.repeat_penalty,
                     seed=a.seed, stop=a.stop, stream=True, grammar=grammar):
            sys.stdout.write(c["choices"][0]["text"])
            sys.stdout.flush()
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
