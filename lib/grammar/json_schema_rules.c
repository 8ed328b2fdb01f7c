/* The converter's rule table: names made safe as the peer makes them,
 * de-duplication by body, the peer's built-in rules, and the grammar's
 * text in byte order of the rule names (the peer keeps a std::map). */
#include "json_schema_private.h"

#include "common/sort.h"

#include <string.h>

/* The peer's PRIMITIVE_RULES and STRING_FORMAT_RULES (json-schema-to-
 * grammar.cpp at c392e50): GBNF text the output must repeat exactly. */
typedef struct builtin_rule {
    const char *name, *body;
    const char *deps[6];
    bool primitive; /* a PRIMITIVE_RULES key (else a string format rule) */
} builtin_rule;

static const builtin_rule BUILTINS[] = {
    {"boolean", "(\"true\" | \"false\") space", {0}, true},
    {"decimal-part", "[0-9]{1,16}", {0}, true},
    {"integral-part", "[0] | [1-9] [0-9]{0,15}", {0}, true},
    {"number", "(\"-\"? integral-part) (\".\" decimal-part)? ([eE] [-+]? integral-part)? space",
     {"integral-part", "decimal-part"}, true},
    {"integer", "(\"-\"? integral-part) space", {"integral-part"}, true},
    {"value", "object | array | string | number | boolean | null",
     {"object", "array", "string", "number", "boolean", "null"}, true},
    {"object", "\"{\" space ( string \":\" space value (\",\" space string \":\" space value)* )? \"}\" space",
     {"string", "value"}, true},
    {"array", "\"[\" space ( value (\",\" space value)* )? \"]\" space", {"value"}, true},
    {"uuid",
     "\"\\\"\" [0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" "
     "[0-9a-fA-F]{12} \"\\\"\" space",
     {0}, true},
    {"char", "[^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] ([\"\\\\bfnrt] | \"u\" [0-9a-fA-F]{4})", {0}, true},
    {"string", "\"\\\"\" char* \"\\\"\" space", {"char"}, true},
    {"null", "\"null\" space", {0}, true},
    {"date", "[0-9]{4} \"-\" ( \"0\" [1-9] | \"1\" [0-2] ) \"-\" ( \"0\" [1-9] | [1-2] [0-9] | \"3\" [0-1] )", {0},
     false},
    {"time",
     "([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9] \":\" [0-5] [0-9] ( \".\" [0-9]{3} )? ( \"Z\" | ( \"+\" | \"-\" "
     ") ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )",
     {0}, false},
    {"date-time", "date \"T\" time", {"date", "time"}, false},
    {"date-string", "\"\\\"\" date \"\\\"\" space", {"date"}, false},
    {"time-string", "\"\\\"\" time \"\\\"\" space", {"time"}, false},
    {"date-time-string", "\"\\\"\" date-time \"\\\"\" space", {"date-time"}, false},
};
enum { N_BUILTINS = sizeof BUILTINS / sizeof BUILTINS[0] };

static const builtin_rule *find_builtin(const char *s, size_t n) {
    for (size_t i = 0; i < N_BUILTINS; i++)
        if (lc_js_str_eq(s, n, BUILTINS[i].name, strlen(BUILTINS[i].name))) return &BUILTINS[i];
    return NULL;
}

bool lc_js_is_primitive(const char *s, size_t n) {
    const builtin_rule *b = find_builtin(s, n);
    return b && b->primitive;
}

bool lc_js_is_reserved(const char *s, size_t n) {
    return lc_js_str_eq(s, n, "root", 4) || find_builtin(s, n);
}

bool lc_js_is_string_format(const char *s, size_t n) {
    static const char *const FORMATS[] = {"date", "time", "date-time"};
    for (size_t i = 0; i < 3; i++)
        if (lc_js_str_eq(s, n, FORMATS[i], strlen(FORMATS[i]))) return true;
    return false;
}

/* ---- the table: insertion-ordered rules, hashed by name ---- */

static uint64_t hash_name(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* The slot holding `name`, or the empty slot where it would go. */
static size_t find_slot(const lc_js *c, const char *name, size_t n) {
    size_t mask = c->n_slots - 1, i = (size_t)hash_name(name, n) & mask;
    while (c->slots[i]) {
        const lc_js_rule *r = &c->rules[c->slots[i] - 1];
        if (lc_js_str_eq(r->name, r->name_len, name, n)) return i;
        i = (i + 1) & mask;
    }
    return i;
}

static lc_js_rule *lookup(lc_js *c, const char *name, size_t n) {
    if (!c->n_slots || !lc_js_spend(c, 1 + n)) return NULL;
    uint32_t s = c->slots[find_slot(c, name, n)];
    return s ? &c->rules[s - 1] : NULL;
}

bool lc_js_has_rule(lc_js *c, const char *name, size_t name_len) {
    return lookup(c, name, name_len) != NULL;
}

static bool rehash(lc_js *c, size_t n_slots) {
    uint32_t *slots = lc_calloc(c->env, n_slots, sizeof *slots);
    if (!slots) return lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory for the rule table"), false;
    lc_free(c->env, c->slots);
    c->slots = slots;
    c->n_slots = n_slots;
    for (size_t r = 0; r < c->n_rules; r++)
        c->slots[find_slot(c, c->rules[r].name, c->rules[r].name_len)] = (uint32_t)(r + 1);
    return true;
}

static char *copy(lc_js *c, const char *s, size_t n) {
    char *p = lc_malloc(c->env, n + 1);
    if (!p) return lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory for a rule"), NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void insert(lc_js *c, const char *name, size_t n, const char *body, size_t body_len) {
    if (c->st) return;
    if (c->n_rules >= LC_JS_MAX_RULES) {
        lc_js_fail(c, LLAMAC_ERR_LIMIT, "the grammar needs more than %d rules", LC_JS_MAX_RULES);
        return;
    }
    if ((c->n_rules + 1) * 2 > c->n_slots && !rehash(c, c->n_slots ? c->n_slots * 2 : 64)) return;
    if (lc_grow(c->env, &c->rules, &c->cap_rules, c->n_rules + 1, sizeof *c->rules)) {
        lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory for the rule table");
        return;
    }
    lc_js_rule r = {copy(c, name, n), copy(c, body, body_len), n, body_len};
    if (!r.name || !r.body) {
        lc_free(c->env, r.name);
        lc_free(c->env, r.body);
        return;
    }
    c->slots[find_slot(c, name, n)] = (uint32_t)(c->n_rules + 1);
    c->rules[c->n_rules++] = r;
}

static bool rule_char(unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-';
}

void lc_js_add_rule(lc_js *c, const char *name, size_t name_len, const char *body, size_t body_len, lc_bytes *out) {
    lc_bytes key = {0};
    for (size_t i = 0; i < name_len && !c->st;) {
        if (rule_char((unsigned char)name[i])) {
            lc_js_putc(c, &key, name[i++]);
            continue;
        }
        while (i < name_len && !rule_char((unsigned char)name[i])) i++;
        lc_js_putc(c, &key, '-');
    }
    if (!key.data) lc_js_put(c, &key, "", 0); /* an empty name still needs a string */
    const size_t base_len = key.len;
    lc_js_rule *r = lookup(c, key.data, key.len);
    if (r && !lc_js_str_eq(r->body, r->body_len, body, body_len)) {
        for (uint64_t i = 0; !c->st; i++) {
            key.len = base_len;
            lc_js_putu(c, &key, i);
            if (c->st) break;
            r = lookup(c, key.data, key.len);
            if (!r || lc_js_str_eq(r->body, r->body_len, body, body_len)) break;
        }
    }
    if (!r) insert(c, key.data, key.len, body, body_len);
    if (out && !c->st) lc_js_put(c, out, key.data, key.len);
    lc_js_bytes_free(c, &key);
}

bool lc_js_add_primitive(lc_js *c, const char *name, size_t name_len, const char *prim, lc_bytes *out) {
    const builtin_rule *b = find_builtin(prim, strlen(prim));
    if (!b) return false;
    lc_js_add_rule(c, name, name_len, b->body, strlen(b->body), out);
    /* The dependency graph of the built-ins is fixed and shallow (value ->
     * object -> value stops because value is then present). */
    for (size_t i = 0; i < 6 && b->deps[i] && !c->st; i++)
        if (!lc_js_has_rule(c, b->deps[i], strlen(b->deps[i])))
            lc_js_add_primitive(c, b->deps[i], strlen(b->deps[i]), b->deps[i], NULL);
    return true;
}

/* lc_heapsort's comparator sees only the elements, so each carries its
 * name. */
typedef struct named {
    const char *name;
    size_t len;
    const char *body;
    size_t body_len;
} named;

static bool name_less(const void *x, const void *y) {
    const named *a = x, *b = y;
    size_t n = LC_MIN(a->len, b->len);
    int d = n ? memcmp(a->name, b->name, n) : 0;
    return d < 0 || (d == 0 && a->len < b->len);
}

void lc_js_emit(lc_js *c, lc_bytes *out) {
    if (c->st) return;
    named *order = lc_calloc(c->env, c->n_rules ? c->n_rules : 1, sizeof *order);
    if (!order) {
        lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory ordering the rules");
        return;
    }
    for (size_t i = 0; i < c->n_rules; i++) order[i] = (named){c->rules[i].name, c->rules[i].name_len, c->rules[i].body, c->rules[i].body_len};
    lc_heapsort(order, c->n_rules, sizeof *order, name_less);
    for (size_t i = 0; i < c->n_rules && !c->st; i++) {
        lc_js_put(c, out, order[i].name, order[i].len);
        lc_js_puts(c, out, " ::= ");
        lc_js_put(c, out, order[i].body, order[i].body_len);
        lc_js_putc(c, out, '\n');
    }
    lc_free(c->env, order);
}

void lc_js_rules_free(lc_js *c) {
    for (size_t i = 0; i < c->n_rules; i++) {
        lc_free(c->env, c->rules[i].name);
        lc_free(c->env, c->rules[i].body);
    }
    lc_free(c->env, c->rules);
    lc_free(c->env, c->slots);
    c->rules = NULL;
    c->slots = NULL;
    c->n_rules = c->cap_rules = c->n_slots = 0;
}
