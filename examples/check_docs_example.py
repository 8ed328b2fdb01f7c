#!/usr/bin/env python3
"""Fails when the C block of a doc that names an example differs from it.

Usage: check_docs_example.py DOC.md EXAMPLE.c

The doc marks the block with a line `<!-- example: examples/NAME.c -->`
right before its ```c fence; the block must be the file, byte for byte, so
the program the doc shows is the one the build compiles and runs."""
import os
import sys


def block_after_marker(doc_text, name):
    marker = f"<!-- example: examples/{name} -->"
    lines = doc_text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() != marker:
            continue
        if i + 1 >= len(lines) or lines[i + 1].strip() != "```c":
            sys.exit(f"{marker} is not followed by a ```c fence")
        for j in range(i + 2, len(lines)):
            if lines[j].strip() == "```":
                return "\n".join(lines[i + 2:j]) + "\n"
        sys.exit(f"the block after {marker} has no closing fence")
    sys.exit(f"no line {marker}")


def main():
    doc, example = sys.argv[1], sys.argv[2]
    with open(doc, encoding="utf-8") as f:
        shown = block_after_marker(f.read(), os.path.basename(example))
    with open(example, encoding="utf-8") as f:
        actual = f.read()
    if shown != actual:
        a, b = shown.split("\n"), actual.split("\n")
        line = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
        sys.exit(f"{doc}: the block differs from {example} from line {line + 1}:\n"
                 f"  doc:     {a[line] if line < len(a) else '(end)'}\n"
                 f"  example: {b[line] if line < len(b) else '(end)'}")
    print(f"{doc} shows {example} as it is ({actual.count(chr(10))} lines)")


if __name__ == "__main__":
    main()
