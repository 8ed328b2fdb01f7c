#!/usr/bin/env python3
"""Layout rules of docs/abi.md that abidiff cannot be told precisely.

Usage: abi_layout.py SUPPRESSIONS BASELINE.abi CURRENT.abi

abi/suppressions.ini lets abidiff accept a params struct that grew at the
end. libabigail (2.2) applies such a rule to *any* change of a matching
struct that neither removes a member nor shrinks it: two swapped fields or a
widened field pass too. So this script checks what the suppression hides:

  * every struct the suppression names starts with `size_t struct_size`;
  * its baseline members are still there, in order, at the same offsets and
    with the same types (types written out in full, through pointers and
    typedefs), and new members lie past the baseline's size;
  * every enumerator of every baseline enum keeps its name and value (new
    enumerators may be added), and the enum keeps its size.

Exit 0 when the rules hold, 1 with one line per violation otherwise.
"""
import configparser
import re
import sys
import xml.etree.ElementTree as ET

TYPE_TAGS = {'type-decl', 'typedef-decl', 'qualified-type-def', 'pointer-type-def',
             'array-type-def', 'enum-decl', 'class-decl', 'union-decl', 'function-type'}


def params_regex(suppressions_path):
    """The name_regexp of the suppression that uses has_data_member_inserted_at."""
    parser = configparser.ConfigParser(strict=False)
    with open(suppressions_path) as f:
        text = f.read()
    # Sections repeat in a suppression file; number them so that configparser
    # keeps every one.
    counter = iter(range(1 << 30))
    text = re.sub(r'^\s*\[(\w+)\]', lambda m: '[%s.%d]' % (m.group(1), next(counter)), text,
                  flags=re.M)
    parser.read_string(text)
    for section in parser.sections():
        body = parser[section]
        if 'has_data_member_inserted_at' in body and 'name_regexp' in body:
            return re.compile(body['name_regexp'].strip())
    sys.exit('abi_layout: no has_data_member_inserted_at rule in ' + suppressions_path)


class Corpus:
    def __init__(self, path):
        self.types = {}
        for elem in ET.parse(path).getroot().iter():
            if elem.tag not in TYPE_TAGS or 'id' not in elem.attrib:
                continue
            known = self.types.get(elem.get('id'))
            # A full definition wins over a declaration-only mention.
            if known is None or (known.get('is-declaration-only') == 'yes'
                                 and elem.get('is-declaration-only') != 'yes'):
                self.types[elem.get('id')] = elem

    def named(self, tag, regex=None):
        out = {}
        for elem in self.types.values():
            name = elem.get('name')
            if elem.tag == tag and name and (regex is None or regex.match(name)) \
                    and elem.get('is-declaration-only') != 'yes':
                out[name] = elem
        return out

    def render(self, type_id, params, seen=()):
        """The type written out so that any layout-relevant change shows."""
        elem = self.types.get(type_id)
        if elem is None:
            return '?' + type_id
        tag, name = elem.tag, elem.get('name', '')
        size = elem.get('size-in-bits', '')
        if tag == 'type-decl':
            return '%s:%s' % (name, size) if size else name
        if tag == 'typedef-decl':
            return '%s=%s' % (name, self.render(elem.get('type-id'), params, seen))
        if tag == 'qualified-type-def':
            quals = ''.join(q + ' ' for q in ('const', 'volatile', 'restrict') if elem.get(q) == 'yes')
            return quals + self.render(elem.get('type-id'), params, seen)
        if tag == 'pointer-type-def':
            return '*' + self.render(elem.get('type-id'), params, seen)
        if tag == 'array-type-def':
            dims = ''.join('[%s]' % s.get('length', '?') for s in elem.findall('subrange'))
            return self.render(elem.get('element-type-id'), params, seen) + dims
        if tag == 'enum-decl':
            # Enumerators are checked on their own (they may be appended).
            under = elem.find('underlying-type')
            return 'enum %s:%s' % (name, self.render(under.get('type-id'), params, seen))
        if tag == 'function-type':
            args = [self.render(p.get('type-id'), params, seen) for p in elem.findall('parameter')]
            ret = elem.find('return')
            return 'fn(%s)->%s' % (', '.join(args), self.render(ret.get('type-id'), params, seen))
        # struct or union
        if elem.get('is-declaration-only') == 'yes' or type_id in seen \
                or (params.match(name) and seen):
            return '%s %s' % (tag, name)
        members = []
        for member in elem.findall('data-member'):
            var = member.find('var-decl')
            members.append('%s@%s:%s' % (var.get('name'), member.get('layout-offset-in-bits'),
                                         self.render(var.get('type-id'), params, seen + (type_id,))))
        return '%s %s:%s{%s}' % (tag, name, size, '; '.join(members))


def members_of(corpus, struct, params):
    out = []
    for member in struct.findall('data-member'):
        var = member.find('var-decl')
        out.append((var.get('name'), int(member.get('layout-offset-in-bits')),
                    corpus.render(var.get('type-id'), params, (struct.get('id'),))))
    return out


def check_struct_size_first(corpus, struct, params, which):
    members = members_of(corpus, struct, params)
    if not members or members[0][0] != 'struct_size' or members[0][1] != 0 \
            or not members[0][2].startswith('size_t='):
        return ['%s: struct %s matches the params rule but does not begin with size_t struct_size'
                % (which, struct.get('name'))]
    return []


def check_params(old, new, params):
    errors = []
    old_structs = old.named('class-decl', params)
    new_structs = new.named('class-decl', params)
    for name, struct in sorted(new_structs.items()):
        errors += check_struct_size_first(new, struct, params, 'current')
    for name, old_struct in sorted(old_structs.items()):
        errors += check_struct_size_first(old, old_struct, params, 'baseline')
        new_struct = new_structs.get(name)
        if new_struct is None:
            errors.append('struct %s: in the baseline, gone now' % name)
            continue
        old_size = int(old_struct.get('size-in-bits'))
        if int(new_struct.get('size-in-bits')) < old_size:
            errors.append('struct %s: shrank from %d to %s bits'
                          % (name, old_size, new_struct.get('size-in-bits')))
        old_members = members_of(old, old_struct, params)
        new_members = members_of(new, new_struct, params)
        for i, was in enumerate(old_members):
            now = new_members[i] if i < len(new_members) else None
            if now != was:
                errors.append('struct %s: member %d was %s at bit %d (%s), is now %s'
                              % (name, i, was[0], was[1], was[2],
                                 'missing' if now is None else '%s at bit %d (%s)' % now))
        for extra in new_members[len(old_members):]:
            if extra[1] < old_size:
                errors.append('struct %s: new member %s at bit %d lies inside the old %d-bit struct'
                              % (name, extra[0], extra[1], old_size))
    return errors


def check_enums(old, new, params):
    errors = []
    new_enums = new.named('enum-decl')
    for name, old_enum in sorted(old.named('enum-decl').items()):
        new_enum = new_enums.get(name)
        if new_enum is None:
            continue  # no longer reachable from an export: abidiff reports the function
        if new.render(new_enum.get('id'), params) != old.render(old_enum.get('id'), params):
            errors.append('enum %s: underlying type changed' % name)
        now = {e.get('name'): e.get('value') for e in new_enum.findall('enumerator')}
        for e in old_enum.findall('enumerator'):
            if now.get(e.get('name')) != e.get('value'):
                errors.append('enum %s: %s was %s, is now %s'
                              % (name, e.get('name'), e.get('value'),
                                 now.get(e.get('name'), 'missing')))
    return errors


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    params = params_regex(sys.argv[1])
    old, new = Corpus(sys.argv[2]), Corpus(sys.argv[3])
    if not old.named('class-decl', params):
        sys.exit('abi_layout: the baseline has no struct matching %s' % params.pattern)
    errors = check_params(old, new, params) + check_enums(old, new, params)
    for line in errors:
        print('abi_layout: ' + line)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
