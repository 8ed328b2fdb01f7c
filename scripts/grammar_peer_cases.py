#!/usr/bin/env python3
"""Extracts llama.cpp's grammar test data into tests/data/grammar_peer_cases.json.

Reads tests/test-grammar-integration.cpp (its test_grammar(...) calls: a
grammar, strings it accepts, strings it rejects, and the grammars that must
fail to build) and tests/test-grammar-parser.cpp (verify_parsing grammars,
which must parse, and verify_failure grammars, which must not) and the
grammars/*.gbnf files (which must parse) from a
llama.cpp checkout at commit c392e50, and writes them as JSON data. Only the
data is taken: grammars and strings, no code. The JSON Schema cases
(test_schema) belong to the schema converter's tests.
Usage: grammar_peer_cases.py LLAMA_CPP_DIR OUT.json"""
import json
import re
import sys


def cxx_strings(text):
    """The C++ string literals of text in order: R\"\"\"(...)\"\"\" raw ones and
    ordinary "..." ones with their escapes decoded."""
    return [v for k, v in cxx_tokens(text) if k == 'str']


def cxx_tokens(text):
    """String literals ('str', value) and braces ('{' / '}', None) outside them."""
    out = []
    i = 0
    while i < len(text):
        if text.startswith('R"""(', i):
            j = text.index(')"""', i + 5)
            out.append(('str', text[i + 5:j]))
            i = j + 4
        elif text.startswith('//', i):
            i = text.index('\n', i)
        elif text[i] == '"':
            j = i + 1
            buf = bytearray()
            while text[j] != '"':
                if text[j] == '\\':
                    e = text[j + 1]
                    buf += {'n': b'\n', 't': b'\t', 'r': b'\r', '\\': b'\\', '"': b'"', "'": b"'"}[e]
                    j += 2
                else:
                    buf += text[j].encode('utf-8')
                    j += 1
            out.append(('str', buf.decode('utf-8')))
            i = j + 1
        elif text[i] in '{}':
            out.append((text[i], None))
            i += 1
        else:
            i += 1
    return out


def calls(text, name):
    """The argument texts of each call `name(` ... `);` at statement level."""
    res = []
    for m in re.finditer(r'\n\s*' + name + r'\(', text):
        depth, i = 1, m.end()
        start = i
        while depth:
            if text.startswith('R"""(', i):
                i = text.index(')"""', i) + 4
                continue
            c = text[i]
            if c == '"':
                i += 1
                while text[i] != '"':
                    i += 2 if text[i] == '\\' else 1
            elif c == '(':
                depth += 1
            elif c == ')':
                depth -= 1
            i += 1
        res.append(text[start:i - 1])
    return res


def main():
    root, out = sys.argv[1], sys.argv[2]
    integ = open(root + '/tests/test-grammar-integration.cpp', encoding='utf-8').read()
    parser = open(root + '/tests/test-grammar-parser.cpp', encoding='utf-8').read()
    cases = []
    for args in calls(integ, 'test_grammar'):
        # name, grammar, then the two brace lists
        toks = cxx_tokens(args)
        name, grammar = toks[0][1], toks[1][1]
        lists, cur = [], None
        for k, v in toks[2:]:
            if k == '{':
                cur = []
            elif k == '}':
                lists.append(cur)
            else:
                cur.append(v)
        cases.append({'name': name, 'grammar': grammar, 'accept': lists[0], 'reject': lists[1]})
    must_fail = []
    for fn in ('test_failure_left_recursion', 'test_failure_missing_reference'):
        body = integ[integ.index('static void ' + fn):]
        body = body[:body.index('\n}\n')]
        must_fail += [s for s in cxx_strings(body) if '::=' in s]
    missing_root = integ[integ.index('static void test_failure_missing_root'):]
    missing_root = missing_root[:missing_root.index('\n}\n')]
    must_fail += [s for s in cxx_strings(missing_root) if '::=' in s]
    valid = [cxx_strings(a)[0] for a in calls(parser, 'verify_parsing')]
    import glob
    import os
    for path in sorted(glob.glob(root + '/grammars/*.gbnf')):  # the peer's shipped grammars
        valid.append(open(path, encoding='utf-8').read())
    invalid = [cxx_strings(a)[0] for a in calls(parser, 'verify_failure')]
    doc = {
        'source': 'llama.cpp commit c392e50: tests/test-grammar-integration.cpp (test_grammar cases, '
                  'test_failure_* grammars) and tests/test-grammar-parser.cpp (verify_parsing, '
                  'verify_failure grammars) and grammars/*.gbnf (in "valid"); extracted by scripts/grammar_peer_cases.py',
        'cases': cases,
        'invalid': must_fail + invalid,
        'valid': valid,
    }
    with open(out, 'w', encoding='utf-8') as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print('%d cases, %d invalid, %d valid grammars' % (len(cases), len(doc['invalid']), len(valid)))


if __name__ == '__main__':
    main()
