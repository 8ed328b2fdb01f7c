#!/usr/bin/env python3
"""Ports the JSON Schema cases of llama.cpp's grammar integration test.

Reads tests/test-grammar-integration.cpp of llama.cpp (commit c392e50) and
writes tests/data/json_schema/peer_integration.json: an array of
{"name", "schema", "accept": [strings], "reject": [strings]} taken from
each test_schema(name, schema, passing, failing) call: the peer converts
the schema and checks that its grammar matches every passing string and
none of the failing ones.
Usage: port_grammar_integration_schemas.py TEST_CPP OUT_JSON"""
import json
import re
import sys

SIMPLE_ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\', "'": "'", '0': '\0'}


class Reader:
    def __init__(self, text, pos):
        self.s, self.i = text, pos

    def skip(self):
        while True:
            m = re.compile(r'\s+|//[^\n]*').match(self.s, self.i)
            if not m or m.end() == self.i:
                return
            self.i = m.end()

    def expect(self, ch):
        self.skip()
        if self.s[self.i] != ch:
            raise ValueError('expected %r at %d: %r' % (ch, self.i, self.s[self.i:self.i + 40]))
        self.i += 1

    def peek(self):
        self.skip()
        return self.s[self.i]

    def string(self):
        """One string expression: adjacent literals concatenate."""
        parts = []
        while True:
            self.skip()
            if self.s.startswith('R"', self.i):
                j = self.s.index('(', self.i)
                delim = self.s[self.i + 2:j]
                end = self.s.index(')' + delim + '"', j)
                parts.append(self.s[j + 1:end])
                self.i = end + len(delim) + 2
            elif self.s[self.i] == '"':
                self.i += 1
                out = []
                while self.s[self.i] != '"':
                    ch = self.s[self.i]
                    if ch == '\\':
                        nxt = self.s[self.i + 1]
                        if nxt in SIMPLE_ESCAPES:
                            out.append(SIMPLE_ESCAPES[nxt])
                            self.i += 2
                        elif nxt == 'x':
                            m = re.compile(r'[0-9a-fA-F]+').match(self.s, self.i + 2)
                            out.append(chr(int(m.group(0), 16)))
                            self.i = m.end()
                        else:
                            raise ValueError('escape \\%s at %d' % (nxt, self.i))
                    else:
                        out.append(ch)
                        self.i += 1
                self.i += 1
                parts.append(''.join(out))
            else:
                break
        if not parts:
            raise ValueError('no string at %d: %r' % (self.i, self.s[self.i:self.i + 40]))
        return ''.join(parts)

    def string_list(self):
        self.expect('{')
        items = []
        while self.peek() != '}':
            items.append(self.string())
            if self.peek() == ',':
                self.i += 1
        self.i += 1
        return items


def main():
    src = open(sys.argv[1], encoding='utf-8').read()
    cases = []
    for m in re.finditer(r'\btest_schema\(', src):
        if src[max(0, m.start() - 12):m.start()].strip().endswith('void'):
            continue  # the helper's definition
        r = Reader(src, m.end())
        name = r.string()
        r.expect(',')
        schema = r.string()
        r.expect(',')
        accept = r.string_list()
        r.expect(',')
        reject = r.string_list()
        r.expect(')')
        cases.append({'name': name, 'schema': schema, 'accept': accept, 'reject': reject})
    with open(sys.argv[2], 'w', encoding='utf-8') as f:
        json.dump({'source': 'llama.cpp c392e50 tests/test-grammar-integration.cpp (test_schema calls), '
                             'ported by scripts/port_grammar_integration_schemas.py',
                   'cases': cases}, f, indent=1, ensure_ascii=False)
        f.write('\n')
    print('%d cases, %d accept and %d reject strings' % (
        len(cases), sum(len(c['accept']) for c in cases), sum(len(c['reject']) for c in cases)))


main()
