#!/usr/bin/env python3
"""Checks the ABI check's decisions without building anything.

Usage: abi_selftest.py PATH/TO/scripts/abi_check.sh

Edits copies of abi/libllamac.so.0.abi the way a source change would edit the
dump (a removed function, swapped or widened params fields, an appended
field, changed and appended enumerators) and runs the comparison step of
scripts/abi_check.sh (--compare BASELINE CURRENT) on each, asserting
pass or fail. Real builds of the same edits gave the same verdicts
(docs/abi.md, "ABI check"); this keeps the suppressions and
scripts/abi_layout.py from drifting. Exit 0 when every verdict is right.
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = os.path.join(ROOT, 'abi', 'libllamac.so.0.abi')
PARAMS = 'llamac_context_params'


def struct_span(xml, name):
    start = xml.index("<class-decl name='%s'" % name)
    end = xml.index('</class-decl>', start)
    return start, end


def replace_once(xml, old, new):
    assert xml.count(old) >= 1, old
    return xml.replace(old, new, 1)


def in_struct(xml, name, edit):
    start, end = struct_span(xml, name)
    return xml[:start] + edit(xml[start:end]) + xml[end:]


def swap_two_fields(xml):
    def edit(body):
        # abort_fn and abort_user trade offsets, as if the lines were swapped.
        body = body.replace("layout-offset-in-bits='256'>\n        <var-decl name='abort_fn'",
                            "layout-offset-in-bits='320'>\n        <var-decl name='abort_fn'")
        return body.replace("layout-offset-in-bits='320'>\n        <var-decl name='abort_user'",
                            "layout-offset-in-bits='256'>\n        <var-decl name='abort_user'")
    return in_struct(xml, PARAMS, edit)


def type_id_of(xml, tag, name):
    return re.search(r"<%s name='%s'[^>]* id='([^']+)'" % (tag, re.escape(name)), xml).group(1)


def widen_field(xml):
    int64 = type_id_of(xml, 'typedef-decl', 'int64_t')
    return in_struct(xml, PARAMS, lambda body: re.sub(
        r"(<var-decl name='n_threads' type-id=')[^']+'", r"\g<1>%s'" % int64, body))


def size_of(xml, name):
    start, _ = struct_span(xml, name)
    return int(re.search(r"size-in-bits='(\d+)'", xml[start:]).group(1))


def append_field(xml, offset_delta=0):
    int32 = type_id_of(xml, 'typedef-decl', 'int32_t')
    old = size_of(xml, PARAMS)

    def edit(body):
        body = body.replace("size-in-bits='%d'" % old, "size-in-bits='%d'" % (old + 64), 1)
        return body + ("  <data-member access='public' layout-offset-in-bits='%d'>\n"
                       "        <var-decl name='appended' type-id='%s' visibility='default'/>\n"
                       "      </data-member>\n    " % (old + offset_delta, int32))
    return in_struct(xml, PARAMS, edit)


def remove_function(xml):
    xml = re.sub(r"\s*<elf-symbol name='llamac_vocab_eom'[^>]*/>", '', xml)
    return re.sub(r"\s*<function-decl name='llamac_vocab_eom'.*?</function-decl>", '', xml, flags=re.S)


def retype_parameter(xml):
    # llamac_get_logits(const llamac_context *, int32_t) -> (..., int64_t)
    int32, int64 = type_id_of(xml, 'typedef-decl', 'int32_t'), type_id_of(xml, 'typedef-decl', 'int64_t')
    # the declaration abidw linked to the exported symbol: an unlinked
    # declaration of the same name (abidw may emit one per caller's
    # translation unit) is not compared by abidiff
    start = re.search(r"<function-decl name='llamac_get_logits'[^>]*elf-symbol-id=", xml).start()
    end = xml.index('</function-decl>', start)
    body = xml[start:end].replace("<parameter type-id='%s'" % int32, "<parameter type-id='%s'" % int64)
    return xml[:start] + body + xml[end:]


ENUM_LAST = "<enumerator name='LLAMAC_ERR_INTERNAL' value='10'/>"
CASES = [
    # name, edit, should pass
    ('unchanged', lambda x: x, True),
    ('appended params field', append_field, True),
    ('appended enumerator', lambda x: replace_once(
        x, ENUM_LAST, ENUM_LAST + "\n      <enumerator name='LLAMAC_ERR_NEW' value='11'/>"), True),
    ('removed function', remove_function, False),
    ('parameter int32_t -> int64_t', retype_parameter, False),
    ('swapped params fields', swap_two_fields, False),
    ('widened params field', widen_field, False),
    ('field added inside the old size', lambda x: append_field(x, offset_delta=-32), False),
    ('changed enumerator value', lambda x: replace_once(
        x, ENUM_LAST, "<enumerator name='LLAMAC_ERR_INTERNAL' value='12'/>"), False),
    ('params struct without struct_size first', lambda x: in_struct(
        x, PARAMS, lambda b: b.replace("name='struct_size'", "name='size'")), False),
]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    check = sys.argv[1]
    with open(BASELINE) as f:
        baseline = f.read()
    wrong = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, edit, should_pass in CASES:
            current = os.path.join(tmp, 'current.abi')
            with open(current, 'w') as f:
                f.write(edit(baseline))
            run = subprocess.run([check, '--compare', BASELINE, current], capture_output=True, text=True)
            passed = run.returncode == 0
            verdict = 'ok' if passed == should_pass else 'WRONG'
            wrong += passed != should_pass
            reason = (run.stderr.strip().splitlines() or [''])[-1] if not passed else ''
            print('%-5s %-42s %s %s' % (verdict, name, 'passes' if passed else 'fails:', reason))
            if passed != should_pass:
                print('exit %d' % run.returncode + run.stdout + run.stderr)
    return 1 if wrong else 0


if __name__ == '__main__':
    sys.exit(main())
