#!/usr/bin/python3
"""Expected outputs of the Jinja engine's tests, rendered by Python's jinja2.

Run with Debian's /usr/bin/python3 (python3-jinja2):

    /usr/bin/python3 tests/jinja_expected.py tests/data/jinja/cases.json

For every case below (and every conversation through every published
template in tests/data/jinja/templates, see its SOURCES.md) this renders the
template the way Hugging Face's transformers apply_chat_template does
(transformers/utils/chat_template_utils.py: an ImmutableSandboxedEnvironment
with trim_blocks and lstrip_blocks, the loopcontrols extension, a tojson
filter that is json.dumps(ensure_ascii=False), raise_exception and
strftime_now as globals) and writes the inputs and jinja2's output (or the
fact that jinja2 raised) as JSON. tests/test_jinja.c renders the same
inputs with llamac_chat_render_jinja and compares byte for byte, so every
expected string in the data file comes from jinja2, not from llamac.
"""
import datetime
import json
import os
import sys

import jinja2
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

NOW = 1735787045  # 2025-01-02 03:04:05 UTC: the fixed clock of strftime_now


class Generation(Extension):
    """Hugging Face's AssistantTracker as apply_chat_template uses it when
    not tracking: {% generation %}...{% endgeneration %} renders its body."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.datetime.fromtimestamp(NOW, datetime.timezone.utc).strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols, Generation])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(template, messages, add_generation_prompt=False, bos="", eos="", tools=None, documents=None, extra=None):
    try:
        t = environment().from_string(template)
        kwargs = dict(extra or {})
        if tools is not None:
            kwargs["tools"] = tools
        if documents is not None:
            kwargs["documents"] = documents
        return t.render(messages=messages, add_generation_prompt=add_generation_prompt, bos_token=bos, eos_token=eos,
                        **kwargs), None
    except Exception as e:  # jinja2 refused: the engine must refuse too
        return None, f"{type(e).__name__}: {e}"


CHAT = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello."},
    {"role": "user", "content": "Bye"},
]

# name, template, and optional: vars (extra variables), messages
CASES = [
    # output and literals
    ("text", "plain text, no tags", {}),
    ("print_int", "{{ 42 }} {{ -7 }} {{ 1_000 }}", {}),
    ("print_float", "{{ 2.0 }} {{ 0.1 }} {{ 1e16 }} {{ 1.5e-7 }} {{ 3.14159 }} {{ 1e300*10 }}", {}),
    ("print_bool_none", "{{ true }} {{ False }} {{ none }} {{ None }}", {}),
    ("print_list_repr", "{{ [1, 'a', none, true, 1.5, [2], {'k': (1,)}] }}", {}),
    ("print_dict_repr", "{{ {'a': 1, 'b': \"it's\", 'c': 'x\"y', 'd': '\\n\\t'} }}", {}),
    ("print_tuple", "{{ (1, 2) }} {{ () }} {{ (1,) }}", {}),
    ("string_escapes", "{{ 'a\\nb\\tc\\\\d\\'e' }}|{{ \"q\\\"q\" }}|{{ '\\u00e9\\x41' }}", {}),
    ("string_concat_literals", "{{ 'a' 'b' \"c\" }}", {}),
    ("unicode_text", "héllo {{ 'wörld' }} 日本 {{ '😀'|length }}", {}),
    # whitespace control
    ("trim_blocks", "{% if true %}\nyes\n{% endif %}\nend", {}),
    ("lstrip_blocks", "  {% if true %}\n  x\n  {% endif %}\n  end", {}),
    ("lstrip_not_var", "  {{ 'v' }}\n  {% if true %}a{% endif %}", {}),
    ("minus_strip", "a   {%- if true -%}   b   {%- endif -%}   c", {}),
    ("minus_var", "a \n {{- 'x' -}} \n b", {}),
    ("plus_keeps", "  {%+ if true %}x{% endif +%}\ny", {}),
    ("comment", "a {# a comment #} b\n  {# own line #}\nc", {}),
    ("comment_strip", "a  {#- x -#}  b", {}),
    ("raw", "{% raw %}{{ not evaluated }} {% if %}{% endraw %}!", {}),
    ("trailing_newline", "line\n", {}),
    ("crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n", {}),
    ("lstrip_after_text", "x  {% if true %}y{% endif %}", {}),
    # expressions
    ("arith", "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1 / 2 }} {{ 4 / 2 }} {{ 7.5 // 2 }} {{ 1 + 2 * 3 - 4 }}", {}),
    ("arith_mixed", "{{ 1 + 2.5 }} {{ 3 * 1.0 }} {{ true + 1 }} {{ 10 - 0.5 }} {{ -(3) }} {{ +4 }}", {}),
    ("concat_tilde", "{{ 'a' ~ 1 ~ none ~ [1] ~ undefined_name }}", {}),
    ("str_ops", "{{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ [1] * 3 }} {{ [1, 2] + [3] }}", {}),
    ("compare", "{{ 1 < 2 }} {{ 2 <= 1 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ 1 != 2 }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}", {}),
    ("logic", "{{ true and 'x' }} {{ 0 or 'y' }} {{ not 0 }} {{ none or [] }} {{ 'a' and '' }}|", {}),
    ("in_ops", "{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }} {{ not 'z' in 'abc' }}", {}),
    ("cond_expr", "{{ 'y' if true else 'n' }} {{ 'y' if false else 'n' }} [{{ 'y' if false }}] {{ 1 if 0 else 2 if 0 else 3 }}", {}),
    ("precedence", "{{ (1 + 2) ~ 3 }} {{ 1 ~ 2 + 3 }} {{ 2 * 3 ** 2 }} {{ -2 ** 2 }} {{ not 1 == 2 }} {{ 'a' ~ 'b' | upper }}", {}),
    ("subscript_slice", "{{ [1,2,3,4,5][1:3] }} {{ [1,2,3,4,5][::2] }} {{ [1,2,3][::-1] }} {{ 'hello'[1:-1] }} {{ 'héllo'[1] }} {{ [1,2,3][-1] }} {{ 'abc'[5:] }}|{{ [1,2,3,4,5][-2:] }} {{ [1,2,3,4][4:0:-2] }}", {}),
    ("attr_item", "{{ d.a }} {{ d['b'] }} {{ d.c.x }} {{ l[0] }} {{ l.1 }} {{ d.missing }}|{{ d['missing'] }}|", {"d": {"a": 1, "b": 2, "c": {"x": 3}}, "l": [10, 20]}),
    ("list_dict_literals", "{% set x = {'a': [1, {'b': 2}], 'c': ()} %}{{ x.a[1].b }} {{ x['c'] }} {{ [1, 2,] }} {{ {'k': 'v',} }}", {}),
    ("undefined_printing", "[{{ nothing }}] [{{ nothing|default('d') }}] [{{ d.nothing }}] {{ nothing is defined }} {{ nothing is undefined }}", {"d": {}}),
    ("truthiness", "{% for v in [0, 1, '', 'a', [], [0], {}, none, 0.0] %}{{ 'T' if v else 'F' }}{% endfor %}", {}),
    # statements
    ("if_elif_else", "{% for i in range(4) %}{% if i == 0 %}zero{% elif i == 1 %}one{% elif i == 2 %}two{% else %}many{% endif %},{% endfor %}", {}),
    ("for_loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", {}),
    ("for_prev_next", "{% for x in [1, 2, 3] %}{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }}|{% endfor %}", {}),
    ("for_cycle", "{% for x in range(5) %}{{ loop.cycle('a', 'b', 'c') }}{% endfor %}", {}),
    ("for_else", "{% for x in [] %}x{% else %}empty{% endfor %} {% for x in [1] %}one{% else %}no{% endfor %}", {}),
    ("for_if_filter", "{% for x in range(10) if x is odd %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% endfor %}", {}),
    ("for_unpack", "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}{% for a, b in [[1, 2], (3, 4)] %}{{ a + b }}{% endfor %}", {}),
    ("for_dict", "{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}", {}),
    ("for_break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}),
    ("for_nested_loop", "{% for i in range(2) %}{% set outer = loop %}{% for j in range(2) %}{{ outer.index }}{{ loop.index }} {% endfor %}{% endfor %}", {}),
    ("for_scope", "{% set x = 1 %}{% for i in range(2) %}{{ x }}{% set x = 5 %}{{ x }}{% endfor %}{{ x }}", {}),
    ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 1, 2 %}{{ t }}", {}),
    ("set_block", "{% set x %}inner {{ 1 + 1 }}{% endset %}[{{ x }}]{% set y | upper %}shout{% endset %}{{ y }}", {}),
    ("namespace", "{% set ns = namespace(count=0, found=false) %}{% for i in range(3) %}{% set ns.count = ns.count + i %}{% endfor %}{{ ns.count }} {{ ns.found }}", {}),
    ("namespace_dict", "{% set ns = namespace({'a': 1}) %}{{ ns.a }}", {}),
    ("macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }} {{ greet(name='Z') }}", {}),
    ("macro_varargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}", {}),
    ("macro_scope", "{% set g = 'global' %}{% macro m() %}{{ g }}{% set g = 'local' %}{{ g }}{% endmacro %}{{ m() }}{{ g }}", {}),
    ("macro_recursive_ok", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}", {}),
    ("call_block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold{% endcall %}", {}),
    ("call_block_args", "{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) each([1, 2]) %}[{{ x }}]{% endcall %}", {}),
    ("filter_block", "{% filter upper %}abc {{ 'def' }}{% endfilter %}{% filter trim|title %}  two words  {% endfilter %}", {}),
    ("generation_tag", "{% generation %}inside{% endgeneration %}", {}),
    # filters
    ("f_trim", "[{{ '  a b  '|trim }}] [{{ 'xxaxx'|trim('x') }}]", {}),
    ("f_length", "{{ 'héllo'|length }} {{ [1, 2]|length }} {{ {'a': 1}|count }} {{ undefined_x|length }}", {}),
    ("f_case", "{{ 'Hello World'|upper }} {{ 'Hello'|lower }} {{ 'hello wORLD-foo(bar'|title }} {{ 'hELLO wORLD'|capitalize }}", {}),
    ("f_tojson", "{{ {'a': [1, 2.0, 'é<>&\\'', none, true], 'b': {}}|tojson }}", {}),
    ("f_tojson_indent", "{{ {'a': [1, {'b': []}], 'c': 'x'}|tojson(indent=2) }}\n{{ [1, [2]]|tojson(indent=4) }}", {}),
    ("f_tojson_sort", "{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }} {{ 'q\"\\\\\\n'|tojson }}", {}),
    ("f_tojson_input", "{{ tools|tojson }}", {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"x": 1, "y": 2.5, "z": [True, None]}}}]}),
    ("f_default", "{{ x|default('d') }} {{ ''|default('e') }} {{ ''|default('e', true) }} {{ none|d('n') }} {{ 0|d(5, boolean=true) }} {{ x|default }}|", {}),
    ("f_join", "{{ [1, 2, 3]|join(', ') }} {{ ['a', 'b']|join }} {{ users|join(',', attribute='name') }}", {"users": [{"name": "a"}, {"name": "b"}]}),
    ("f_replace", "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'ab'|replace('', '-') }}", {}),
    ("f_first_last", "{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ 'abc'|first }} [{{ []|first }}]", {}),
    ("f_items_list", "{{ {'a': 1}|items|list }} {{ 'ab'|list }} {{ {'k': 1}|list }}", {}),
    ("f_map", "{{ users|map(attribute='name')|join(',') }} {{ ['a', 'b']|map('upper')|list }} {{ [1.5, 2.4]|map('round')|list }} {{ users|map(attribute='age', default=0)|list }}", {"users": [{"name": "x", "age": 3}, {"name": "y"}]}),
    ("f_select_reject", "{{ range(6)|select('odd')|list }} {{ range(6)|reject('odd')|list }} {{ [0, 1, '', 'a']|select|list }} {{ range(10)|select('divisibleby', 3)|list }}", {}),
    ("f_selectattr", "{{ msgs|selectattr('role', 'equalto', 'user')|map(attribute='content')|list }} {{ msgs|rejectattr('role', 'eq', 'user')|list|length }} {{ msgs|selectattr('tool')|list|length }}", {"msgs": [{"role": "user", "content": "a"}, {"role": "bot", "content": "b", "tool": 1}]}),
    ("f_unique", "{{ ['a', 'A', 'b', 'a']|unique|list }} {{ ['a', 'A']|unique(case_sensitive=true)|list }} {{ [3, 1, 3]|unique|list }}", {}),
    ("f_indent", "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(2, blank=true) }}|{{ 'x\\n'|indent(3) }}|", {}),
    ("f_string_int_float", "{{ 3|string ~ 'x' }} {{ '42'|int + 1 }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ 3.9|int }} {{ '2.5'|float }} {{ 2|float }} {{ 'q'|float }} {{ true|int }}", {}),
    ("f_round_abs", "{{ 2.5|round }} {{ 3.5|round }} {{ 2.567|round(2) }} {{ 2.1|round(method='ceil') }} {{ 2.9|round(0, 'floor') }} {{ -3|abs }} {{ -2.5|abs }} {{ 3|round }}", {}),
    ("f_sort", "{{ [3, 1, 2]|sort }} {{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} {{ [3, 1, 2]|sort(reverse=true) }} {{ users|sort(attribute='age')|map(attribute='n')|join }}", {"users": [{"n": "a", "age": 3}, {"n": "b", "age": 1}, {"n": "c", "age": 2}]}),
    ("f_dictsort", "{{ {'b': 1, 'a': 2}|dictsort }} {{ {'b': 1, 'a': 2}|dictsort(by='value') }} {{ {'b': 1, 'A': 2}|dictsort(reverse=true) }}", {}),
    ("f_min_max_sum", "{{ [3, 1, 2]|min }} {{ [3, 1, 2]|max }} {{ [1, 2, 3]|sum }} {{ [1.5, 2]|sum }} {{ ['b', 'A']|min }} {{ users|sum(attribute='age') }} {{ users|max(attribute='age') }}", {"users": [{"age": 3}, {"age": 5}]}),
    ("f_batch_reverse", "{{ range(5)|batch(2)|list }} {{ range(5)|batch(2, 'x')|list }} {{ 'abc'|reverse }} {{ [1, 2]|reverse|list }}", {}),
    ("f_safe_escape", "{{ '<b>'|safe }} {{ '<a href=\"x\">&\\''|e }}", {}),
    ("f_chain", "{{ '  Hello  '|trim|lower|replace('l', 'L')|length }}", {}),
    # tests
    ("tests_types", "{% for v in [1, 1.5, 'a', none, true, [1], {'a': 1}, (1,)] %}{{ v is number }}{{ v is integer }}{{ v is float }}{{ v is string }}{{ v is none }}{{ v is boolean }}{{ v is mapping }}{{ v is iterable }}{{ v is sequence }}|{% endfor %}", {}),
    ("tests_compare", "{{ 3 is eq 3 }} {{ 3 is equalto 4 }} {{ 3 is ne 4 }} {{ 2 is lt 3 }} {{ 2 is gt 3 }} {{ 2 is le 2 }} {{ 2 is ge 3 }} {{ 2 is in [1, 2] }} {{ 'a' is in 'abc' }}", {}),
    ("tests_misc", "{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ range is callable }} {{ 'x' is callable }} {{ x is not defined }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ none is sameas none }}", {}),
    ("tests_defined_attr", "{{ d.a is defined }} {{ d.b is defined }} {{ d['a'] is not none }}", {"d": {"a": None}}),
    # methods
    ("m_strip", "[{{ '  a  '.strip() }}][{{ '  a  '.lstrip() }}][{{ '  a  '.rstrip() }}][{{ 'xxaxx'.strip('x') }}][{{ '\\n\\ta '.strip() }}]", {}),
    ("m_split", "{{ 'a,b,,c'.split(',') }} {{ '  a  b '.split() }} {{ 'a,b,c'.split(',', 1) }} {{ 'abc'.split('x') }}", {}),
    ("m_affix", "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} {{ 'hello'.startswith(('x', 'h')) }} {{ 'hello'.endswith('x') }}", {}),
    ("m_case_replace", "{{ 'aBc'.upper() }} {{ 'aBc'.lower() }} {{ 'a-b c'.title() }} {{ 'aBC'.capitalize() }} {{ 'aaa'.replace('a', 'b', 1) }}", {}),
    ("m_find_count_join", "{{ 'hello'.find('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ '-'.join(['a', 'b']) }} {{ 'héllo'.find('l') }}", {}),
    ("m_dict", "{{ d.items()|list }} {{ d.keys()|list }} {{ d.values()|list }} {{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 9) }}", {"d": {"a": 1, "b": 2}}),
    ("m_dict_attr_vs_key", "{{ d.items is defined }} {{ d['items'] }} {{ d.content }}", {"d": {"items": "key", "content": "c"}}),
    ("m_list_index", "{{ [1, 2, 3].index(2) }} {{ [1, 2, 2].count(2) }}", {}),
    # globals
    ("g_range", "{{ range(3)|list }} {{ range(1, 4)|list }} {{ range(10, 0, -3)|list }} {{ range(0)|list }}", {}),
    ("g_strftime", "{{ strftime_now('%Y-%m-%d %H:%M:%S') }} {{ strftime_now('%d %b %Y') }}", {}),
    ("g_dict", "{{ dict(a=1, b='x') }}", {}),
    ("g_vars", "[{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}]", {}, None, {"bos": "<s>", "eos": "</s>", "agp": True}),
    ("g_messages", "{% for m in messages %}{{ m.role }}: {{ m['content'] }}\n{% endfor %}", {}),
    ("g_tools_documents", "{{ tools|length }} {{ documents[0].title }}", {"tools": [{"a": 1}], "documents": [{"title": "T"}]}),
    # errors (jinja2 raises; the engine must fail too)
    ("e_raise", "{{ raise_exception('nope') }}", {}),
    ("e_undefined_attr", "{{ nothing.attr }}", {}),
    ("e_undefined_call", "{{ nothing() }}", {}),
    ("e_syntax_unclosed_if", "{% if true %}never closed", {}),
    ("e_syntax_unclosed_var", "{{ 1 + ", {}),
    ("e_unknown_tag", "{% frobnicate %}", {}),
    ("e_list_append", "{% set l = [] %}{{ l.append(1) }}", {}),
    ("e_type_add", "{{ 1 + 'a' }}", {}),
    ("e_div_zero", "{{ 1 / 0 }}", {}),
    ("e_range_sandbox", "{{ range(200000)|length }}", {}),
    ("e_set_attr_non_ns", "{% set d = {} %}{% set d.x = 1 %}", {}),
    ("e_unterminated_string", "{{ 'abc }}", {}),
    ("e_unterminated_comment", "a {# b", {}),
    ("e_endfor_without_for", "{% endfor %}", {}),
    ("e_compare_types", "{{ 1 < 'a' }}", {}),
    ("e_undefined_arith", "{{ nothing + 1 }}", {}),
    ("e_tojson_undefined", "{{ nothing|tojson }}", {}),
    ("e_unknown_filter_unreached", "{% if false %}{{ x|no_such_filter }}{% endif %}", {}),
    ("e_unknown_test", "{{ x is no_such_test }}", {}),
]


def expand(case):
    name, template, variables = case[0], case[1], case[2]
    messages = case[3] if len(case) > 3 and case[3] is not None else CHAT
    opts = case[4] if len(case) > 4 else {}
    variables = dict(variables)
    tools = variables.pop("tools", None)
    documents = variables.pop("documents", None)
    return {
        "name": name,
        "template": template,
        "messages": messages,
        "tools": tools,
        "documents": documents,
        "extra": variables,
        "add_generation_prompt": opts.get("agp", False),
        "bos_token": opts.get("bos", ""),
        "eos_token": opts.get("eos", ""),
    }


def conversations():
    """The conversations every published template renders."""
    return {
        "system_multi": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi there! How can I help?"},
            {"role": "user", "content": "What is 2+2?"},
        ],
        "no_system": [
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi!"},
            {"role": "user", "content": "Tell me a joke."},
        ],
        "single_user": [{"role": "user", "content": "One question only"}],
        "empty_content": [
            {"role": "system", "content": ""},
            {"role": "user", "content": ""},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": "x"},
        ],
        "unicode": [
            {"role": "user", "content": "Grüße, 日本語, emoji 😀 and \"quotes\" 'single' <tag> &amp;"},
            {"role": "assistant", "content": "Ça va — très bien.\nNew line\ttab"},
            {"role": "user", "content": "Ελληνικά"},
        ],
        "template_syntax_in_content": [
            {"role": "system", "content": "{{ system }} {% if %}"},
            {"role": "user", "content": "Print {{ messages }} and {% for x in y %}{# c #}"},
            {"role": "assistant", "content": "{%- raw -%} {{- '}}' -}}"},
            {"role": "user", "content": "  leading and trailing spaces  \n"},
        ],
    }


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather in a city",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "The city"}},
                                                          "required": ["city"]}}}]


def supports_system(template):
    """llama.cpp's probe (common/minja/chat-template.hpp at c392e50): a
    system message's text shows in the output of a two-message render."""
    text, _ = render(template, [{"role": "system", "content": "<System Needle>"},
                                {"role": "user", "content": "<User Needle>"}], False, "<s>", "</s>")
    return text is not None and "<System Needle>" in text


def polyfill(messages):
    """llama.cpp's system-role polyfill (chat_template::apply at c392e50),
    restated in Python: system texts wait (joined by a newline) for the next
    user message, which gets them in front ("SYS\nUSER", or "SYS" alone when
    its content is empty); any other role first gets them as a user message
    of their own, and so does the end of the conversation."""
    out, pending = [], ""
    for m in messages:
        m = dict(m)
        if isinstance(m.get("content"), str):
            if m["role"] == "system":
                pending = pending + "\n" + m["content"] if pending else m["content"]
                continue
            if pending:
                if m["role"] == "user":
                    m["content"] = pending + ("\n" + m["content"] if m["content"] else "")
                else:
                    out.append({"role": "user", "content": pending})
                pending = ""
        out.append(m)
    if pending:
        out.append({"role": "user", "content": pending})
    return out


def template_cases(template_dir):
    sources = sorted(f for f in os.listdir(template_dir) if f.endswith(".jinja"))
    out = []
    for f in sources:
        with open(os.path.join(template_dir, f), encoding="utf-8") as fh:
            text = fh.read()
        for conv_name, msgs in conversations().items():
            for agp in (False, True):
                out.append({
                    "name": f"{f}:{conv_name}:{'agp' if agp else 'noagp'}",
                    "template_file": f,
                    "template": text,
                    "messages": msgs,
                    "tools": None,
                    "documents": None,
                    "extra": {},
                    "add_generation_prompt": agp,
                    "bos_token": "<s>",
                    "eos_token": "</s>",
                })
        if not supports_system(text):
            for conv_name in ("system_multi", "empty_content"):
                out.append({
                    "name": f"{f}:{conv_name}:polyfill",
                    "template_file": f,
                    "template": text,
                    "messages": conversations()[conv_name],
                    "render_messages": polyfill(conversations()[conv_name]),
                    "polyfill": True,
                    "tools": None,
                    "documents": None,
                    "extra": {},
                    "add_generation_prompt": True,
                    "bos_token": "<s>",
                    "eos_token": "</s>",
                })
        if "tools" in text:
            out.append({
                "name": f"{f}:tools",
                "template_file": f,
                "template": text,
                "messages": conversations()["system_multi"],
                "tools": TOOLS,
                "documents": None,
                "extra": {},
                "add_generation_prompt": True,
                "bos_token": "<s>",
                "eos_token": "</s>",
            })
    return out


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data", "jinja", "cases.json")
    template_dir = os.path.join(os.path.dirname(os.path.abspath(out_path)), "templates")
    cases = [expand(c) for c in CASES]
    if os.path.isdir(template_dir):
        cases += template_cases(template_dir)
    for c in cases:
        text, error = render(c["template"], c.pop("render_messages", c["messages"]), c["add_generation_prompt"], c["bos_token"], c["eos_token"],
                             c["tools"], c["documents"], c["extra"])
        c["expected"] = text
        c["jinja2_error"] = error
        if "template_file" in c:
            del c["template"]  # read from the file by the test
        # the engine's inputs, as the JSON texts it takes
        for key in ("messages", "tools", "documents", "extra"):
            value = c.pop(key)
            c[key + "_json"] = None if value is None else json.dumps(value, ensure_ascii=False)
    doc = {
        "source": f"rendered by Python's jinja2 {jinja2.__version__} (Debian python3-jinja2) with Hugging Face's "
                  "apply_chat_template settings, by tests/jinja_expected.py; strftime_now's clock is fixed at "
                  f"{NOW} (UTC)",
        "now": NOW,
        "cases": cases,
    }
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    print(f"{len(cases)} cases written to {out_path}")


if __name__ == "__main__":
    main()
