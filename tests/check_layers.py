#!/usr/bin/env python3
"""Fails when an #include in lib/ points up the layers, across siblings that
must not know each other, or into another folder's private header.

The layers and what each may include are the table in docs/architecture.md;
LAYERS below is that table. A header named *_private.h belongs to its
folder alone. Usage: check_layers.py LIB_DIR (exit 0 clean, 1 on a
violation, each printed as file:line: what is wrong)."""
import os
import re
import sys

# folder -> folders it may include (besides itself and the public llamac.h)
LAYERS = {
    'common':   [],
    'kernels':  ['common'],
    'gguf':     ['common'],
    'vocab':    ['common'],
    'model':    ['common', 'kernels', 'gguf', 'vocab'],
    'runtime':  ['common', 'kernels', 'model'],
    'sampling': ['common'],
    'grammar':  ['common', 'sampling'],
    'quantize': ['common', 'kernels', 'gguf'],
    'generate': ['common', 'runtime', 'vocab', 'sampling'],
    'state':    ['common', 'runtime', 'model', 'sampling', 'vocab'],
    'chat':     ['common', 'vocab'],
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def target_folder(src_folder, name):
    """The lib/ folder an include names: 'x/y.h' is lib/x, a bare name is
    the including file's own folder, '../' climbs from there."""
    if name == 'llamac.h':
        return None
    if '/' not in name:
        return src_folder
    if name.startswith('../'):
        return os.path.normpath(os.path.join(src_folder, name)).split(os.sep)[0]
    return name.split('/')[0]


def check(lib_dir):
    problems = []
    n_files = 0
    for folder in sorted(os.listdir(lib_dir)):
        full = os.path.join(lib_dir, folder)
        if not os.path.isdir(full):
            continue
        for fname in sorted(os.listdir(full)):
            if not fname.endswith(('.c', '.h')):
                continue
            n_files += 1
            where = 'lib/%s/%s' % (folder, fname)
            if folder not in LAYERS:
                problems.append('%s: folder %s is not in the layer table '
                                '(docs/architecture.md, tests/check_layers.py)' % (where, folder))
                continue
            with open(os.path.join(full, fname), encoding='utf-8') as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    name = m.group(1)
                    dest = target_folder(folder, name)
                    if dest is None:
                        continue
                    inc = '%s:%d: #include "%s"' % (where, lineno, name)
                    if dest != folder and name.endswith('_private.h'):
                        problems.append('%s is private to lib/%s/' % (inc, dest))
                    elif dest != folder and dest not in LAYERS[folder]:
                        allowed = ', '.join(LAYERS[folder]) or 'nothing'
                        problems.append('%s: %s may not include %s (allowed: %s)'
                                        % (inc, folder, dest, allowed))
                    elif dest == folder and '/' in name:
                        problems.append('%s: a header of the same folder is included '
                                        'by its bare name' % inc)
    return n_files, problems


def main():
    if len(sys.argv) != 2:
        print('usage: check_layers.py LIB_DIR', file=sys.stderr)
        return 2
    n_files, problems = check(sys.argv[1])
    for p in problems:
        print(p)
    print('check_layers: %d files, %d layer violation%s'
          % (n_files, len(problems), '' if len(problems) == 1 else 's'))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
