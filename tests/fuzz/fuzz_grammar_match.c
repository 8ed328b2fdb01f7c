/* libFuzzer target for grammar matching (llamac.h section 12; see
 * docs/fuzzing.md). The input is a grammar, a NUL byte, then the text to
 * match (no NUL: a built-in JSON grammar and the whole input as text).
 * Properties: feeding the text whole and feeding it byte by byte take the
 * same number of bytes and end equally complete (UTF-8 split anywhere);
 * a refused byte stays refused when fed again; after a reset the first
 * answer repeats. */
#include "llamac.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char json_grammar[] =
    "root ::= value\n"
    "value ::= object | array | string | number | (\"true\" | \"false\" | \"null\") ws\n"
    "object ::= \"{\" ws (string \":\" ws value (\",\" ws string \":\" ws value)*)? \"}\" ws\n"
    "array ::= \"[\" ws (value (\",\" ws value)*)? \"]\" ws\n"
    "string ::= \"\\\"\" ([^\"\\\\\\x00-\\x1f] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4}))* \"\\\"\" ws\n"
    "number ::= \"-\"? (\"0\" | [1-9] [0-9]{0,15}) (\".\" [0-9]+)? ([eE] [-+]? [0-9]+)? ws\n"
    "ws ::= [ \\t\\n]{0,20}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    const char *g = json_grammar;
    size_t glen = sizeof json_grammar - 1;
    const uint8_t *text = data;
    size_t n = size;
    if (nul) {
        g = (const char *)data;
        glen = (size_t)(nul - data);
        text = nul + 1;
        n = size - glen - 1;
    }
    if (n > 4096) n = 4096; /* bounded work per input */
    llamac_grammar_matcher *a = NULL, *b = NULL;
    if (llamac_grammar_matcher_new(g, glen, NULL, NULL, &a) != LLAMAC_OK) return 0;
    if (llamac_grammar_matcher_new(g, glen, NULL, NULL, &b) != LLAMAC_OK) abort();
    size_t used_a = 0, used_b = 0;
    const llamac_status sa = llamac_grammar_matcher_feed(a, text, n, &used_a);
    if (sa != LLAMAC_OK && sa != LLAMAC_ERR_LIMIT) abort();
    bool limited = sa == LLAMAC_ERR_LIMIT;
    for (size_t i = 0; i < n && !limited; i++) {
        size_t u = 0;
        const llamac_status sb = llamac_grammar_matcher_feed(b, text + i, 1, &u);
        if (sb == LLAMAC_ERR_LIMIT) limited = true;
        else if (sb != LLAMAC_OK) abort();
        if (u == 0) break;
        used_b++;
    }
    bool da = false, db = false;
    if (llamac_grammar_matcher_complete(a, &da) != LLAMAC_OK || llamac_grammar_matcher_complete(b, &db) != LLAMAC_OK)
        abort();
    if (!limited && (used_a != used_b || da != db)) abort();
    if (!limited && used_a < n) {
        size_t u = 9;
        if (llamac_grammar_matcher_feed(a, text + used_a, 1, &u) != LLAMAC_OK || u != 0) abort();
    }
    llamac_grammar_matcher_reset(a);
    size_t again = 0;
    const llamac_status s2 = llamac_grammar_matcher_feed(a, text, n, &again);
    if (!limited && (s2 != LLAMAC_OK || again != used_a)) abort();
    llamac_grammar_matcher_free(a);
    llamac_grammar_matcher_free(b);
    return 0;
}
