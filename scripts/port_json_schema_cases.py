#!/usr/bin/env python3
"""Ports llama.cpp's JSON Schema conversion cases to a data file.

Reads tests/test-json-schema-to-grammar.cpp of llama.cpp (commit c392e50)
and writes tests/data/json_schema/peer_cases.json: an array of
{"name", "status" ("SUCCESS"/"FAILURE"), "schema" (text), "grammar"}.
"grammar" is the peer's expected text after the peer's own trim() (ends
stripped, leading blanks of each line removed), with a final newline: the
converter's output must equal it byte for byte.
Usage: port_json_schema_cases.py TEST_CPP OUT_JSON"""
import json
import re
import sys

# A field is a raw string R"""(...)""" or a plain C string "..."
FIELD = r'(R"""\(.*?\)"""|"(?:[^"\\]|\\.)*")'
CASE = re.compile(r'test\(\{\s*(SUCCESS|FAILURE),\s*' + FIELD + r',\s*' + FIELD +
                  r',\s*' + FIELD + r'\s*\}\);', re.S)


def c_string(field):
    if field.startswith('R"""('):
        return field[5:-4]
    return json.loads(field)  # the plain strings here use only JSON-compatible escapes


def trim(s):
    s = s.strip(' \n\r\t')
    return re.sub(r'(^|\n)[ \t]+', r'\1', s)


def main():
    src = open(sys.argv[1], encoding='utf-8').read()
    cases = []
    for m in CASE.finditer(src):
        status, name, schema, grammar = m.group(1), *map(c_string, m.groups()[1:])
        g = trim(grammar)
        cases.append({'name': name, 'status': status, 'schema': schema,
                      'grammar': g + '\n' if g else ''})
    if len(cases) != src.count('test({'):
        sys.exit('parsed %d cases of %d' % (len(cases), src.count('test({')))
    with open(sys.argv[2], 'w', encoding='utf-8') as f:
        json.dump({'source': 'llama.cpp c392e50 tests/test-json-schema-to-grammar.cpp, '
                             'ported by scripts/port_json_schema_cases.py',
                   'cases': cases}, f, indent=1, ensure_ascii=False)
        f.write('\n')


main()
