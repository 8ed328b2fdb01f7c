/* A JSON Schema "pattern" (a regular expression anchored by ^ and $)
 * turned into GBNF the way the peer's _visit_pattern does (llama.cpp's
 * json-schema-to-grammar.cpp at c392e50): literal runs become quoted
 * literals, classes and '.' pass through, groups nest, quantifiers and
 * {m,n} become GBNF repetitions (a repeated non-literal gets a rule of its
 * own, NAME-1, NAME-2, ...). Where the peer crashes or loops (a quantifier
 * with nothing before it, a stray ']' or '}', numbers out of range) this
 * refuses with a message. Group nesting is bounded by
 * LC_JS_MAX_GROUP_DEPTH (the converter recurses per group). */
#include "json_schema_private.h"

#include <string.h>

typedef struct item {
    lc_bytes s;
    bool literal;
} item;

/* A repeated sub-expression and the rule made for it. */
typedef struct sub_rule {
    lc_bytes sub, id;
} sub_rule;

typedef struct pat {
    lc_js *c;
    const char *p;
    size_t len, i;
    const char *name;
    size_t name_len;
    sub_rule *subs;
    size_t n_subs, cap_subs;
} pat;

/* Characters that end a literal run; those a regex escapes but a GBNF
 * literal need not. */
static bool non_literal(char ch) {
    return ch && strchr("|.()[]{}*+?", ch);
}
static bool escaped_in_regex_only(char ch) {
    return ch && strchr("^$.[]()|{}*+?", ch);
}

static void to_rule(lc_js *c, lc_bytes *out, const item *it) {
    if (it->literal) lc_js_putc(c, out, '"');
    lc_js_put(c, out, it->s.data, it->s.len);
    if (it->literal) lc_js_putc(c, out, '"');
}

/* The sequence with consecutive literals merged, joined by spaces. */
static void join_seq(lc_js *c, const item *seq, size_t n, lc_bytes *out) {
    bool first = true;
    for (size_t k = 0; k < n && !c->st;) {
        if (!first) lc_js_putc(c, out, ' ');
        first = false;
        if (!seq[k].literal) {
            to_rule(c, out, &seq[k++]);
            continue;
        }
        lc_js_putc(c, out, '"');
        for (; k < n && seq[k].literal; k++) lc_js_put(c, out, seq[k].s.data, seq[k].s.len);
        lc_js_putc(c, out, '"');
    }
}

static item *push(pat *P, item **seq, size_t *n, size_t *cap, bool literal) {
    if (P->c->st) return NULL;
    if (lc_grow(P->c->env, seq, cap, *n + 1, sizeof **seq)) {
        lc_js_fail(P->c, LLAMAC_ERR_NO_MEMORY, "out of memory converting a pattern");
        return NULL;
    }
    item *it = &(*seq)[(*n)++];
    *it = (item){.literal = literal};
    return it;
}

/* A count in {m,n}: decimal digits, at most LC_JS_MAX_COUNT. */
static bool parse_count(pat *P, const char *s, size_t n, int64_t *v) {
    if (n == 0) return lc_js_fail(P->c, LLAMAC_ERR_FORMAT, "pattern: invalid number in curly brackets"), false;
    *v = 0;
    for (size_t k = 0; k < n; k++) {
        if (s[k] < '0' || s[k] > '9')
            return lc_js_fail(P->c, LLAMAC_ERR_FORMAT, "pattern: invalid number in curly brackets"), false;
        *v = *v * 10 + (s[k] - '0');
        if (*v > LC_JS_MAX_COUNT)
            return lc_js_fail(P->c, LLAMAC_ERR_LIMIT, "pattern: a repetition count above %d", LC_JS_MAX_COUNT), false;
    }
    return true;
}

/* {m}, {m,}, {,n}, {m,n} after the last item. */
static void repeat_braces(pat *P, item *seq, size_t n) {
    lc_js *c = P->c;
    const size_t open = P->i++;
    while (P->i < P->len && P->p[P->i] != '}') P->i++;
    if (P->i >= P->len) {
        lc_js_fail(c, LLAMAC_ERR_FORMAT, "pattern: unbalanced curly brackets");
        return;
    }
    const char *body = P->p + open + 1;
    const size_t body_len = P->i - open - 1;
    P->i++;
    const char *comma = memchr(body, ',', body_len);
    int64_t min = 0, max = -1;
    if (!comma) {
        if (!parse_count(P, body, body_len, &min)) return;
        max = min;
    } else {
        const size_t a = (size_t)(comma - body), b = body_len - a - 1;
        if (memchr(comma + 1, ',', b)) {
            lc_js_fail(c, LLAMAC_ERR_FORMAT, "pattern: wrong number of values in curly brackets");
            return;
        }
        if (a && !parse_count(P, body, a, &min)) return;
        if (b && !parse_count(P, comma + 1, b, &max)) return;
    }
    if (n == 0) {
        lc_js_fail(c, LLAMAC_ERR_FORMAT, "pattern: a repetition with nothing to repeat");
        return;
    }
    if (max >= 0 && min > max) {
        lc_js_fail(c, LLAMAC_ERR_FORMAT, "pattern: repetition {%lld,%lld} has min above max", (long long)min,
                   (long long)max);
        return;
    }
    item *last = &seq[n - 1];
    lc_bytes operand = {0};
    if (last->literal) {
        to_rule(c, &operand, last);
    } else {
        /* A repeated non-literal becomes a rule, one per distinct text. */
        size_t k = 0;
        for (; k < P->n_subs && !c->st; k++) {
            lc_js_spend(c, 1 + last->s.len);
            if (lc_js_str_eq(P->subs[k].sub.data, P->subs[k].sub.len, last->s.data, last->s.len)) break;
        }
        if (k == P->n_subs && !c->st) {
            if (lc_grow(c->env, &P->subs, &P->cap_subs, P->n_subs + 1, sizeof *P->subs)) {
                lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory converting a pattern");
            } else {
                sub_rule *r = &P->subs[P->n_subs++];
                *r = (sub_rule){0};
                lc_js_put(c, &r->sub, last->s.data, last->s.len);
                lc_bytes rule_name = {0};
                lc_js_put(c, &rule_name, P->name, P->name_len);
                lc_js_putc(c, &rule_name, '-');
                lc_js_putu(c, &rule_name, P->n_subs);
                if (!c->st) lc_js_add_rule(c, rule_name.data, rule_name.len, last->s.data, last->s.len, &r->id);
                lc_js_bytes_free(c, &rule_name);
            }
        }
        if (!c->st) lc_js_put(c, &operand, P->subs[k].id.data, P->subs[k].id.len);
    }
    lc_bytes rep = {0};
    if (!c->st) lc_js_repetition(c, &rep, operand.data, operand.len, min, max, NULL);
    lc_js_bytes_free(c, &operand);
    lc_js_bytes_free(c, &last->s);
    last->s = rep;
    last->literal = false;
}

/* A run of literal characters (the peer's rule: a character followed by a
 * quantifier or another special character starts a run of its own, so the
 * quantifier applies to it alone). */
static void literal_run(pat *P, item **seq, size_t *n, size_t *cap) {
    lc_js *c = P->c;
    lc_bytes lit = {0};
    const char *p = P->p;
    while (P->i < P->len && !c->st) {
        const size_t i = P->i;
        if (p[i] == '\\' && i < P->len - 1) {
            if (escaped_in_regex_only(p[i + 1])) {
                lc_js_putc(c, &lit, p[i + 1]);
            } else {
                lc_js_put(c, &lit, p + i, 2);
            }
            P->i += 2;
        } else if (p[i] == '"') {
            lc_js_puts(c, &lit, "\\\"");
            P->i++;
        } else if (!non_literal(p[i]) &&
                   (i == P->len - 1 || lit.len == 0 || p[i + 1] == '.' || !non_literal(p[i + 1]))) {
            lc_js_putc(c, &lit, p[i]);
            P->i++;
        } else {
            break;
        }
    }
    if (lit.len == 0 && !c->st) {
        /* Only ']' and '}' get here: the peer would loop forever. */
        lc_js_fail(c, LLAMAC_ERR_FORMAT, "pattern: unexpected '%c' at byte %zu", P->p[P->i], P->i + 1);
    } else if (!c->st) {
        item *it = push(P, seq, n, cap, true);
        if (it) {
            it->s = lit;
            return;
        }
    }
    lc_js_bytes_free(c, &lit);
}

static void transform(pat *P, unsigned depth, lc_bytes *result) {
    lc_js *c = P->c;
    const size_t start = P->i;
    item *seq = NULL;
    size_t n = 0, cap = 0;
    while (P->i < P->len && !c->st) {
        const char ch = P->p[P->i];
        if (ch == '.') {
            item *it = push(P, &seq, &n, &cap, false);
            if (it) {
                const char *dot = c->dotall ? "[\\U00000000-\\U0010FFFF]" : "[^\\x0A\\x0D]";
                lc_js_add_rule(c, "dot", 3, dot, strlen(dot), &it->s);
            }
            P->i++;
        } else if (ch == '(') {
            P->i++;
            /* (?...) is read as a plain group, as the peer does (it warns). */
            if (depth + 1 >= LC_JS_MAX_GROUP_DEPTH) {
                lc_js_fail(c, LLAMAC_ERR_LIMIT, "pattern: groups nested deeper than %d", LC_JS_MAX_GROUP_DEPTH);
                break;
            }
            lc_bytes inner = {0};
            transform(P, depth + 1, &inner);
            item *it = push(P, &seq, &n, &cap, false);
            if (it) {
                lc_js_putc(c, &it->s, '(');
                lc_js_put(c, &it->s, inner.data, inner.len);
                lc_js_putc(c, &it->s, ')');
            }
            lc_js_bytes_free(c, &inner);
        } else if (ch == ')') {
            P->i++;
            if (start > 0 && P->p[start - 1] != '(')
                lc_js_fail(c, LLAMAC_ERR_FORMAT, "pattern: unbalanced parentheses");
            break;
        } else if (ch == '[') {
            item *it = push(P, &seq, &n, &cap, false);
            if (!it) break;
            lc_js_putc(c, &it->s, '[');
            P->i++;
            while (P->i < P->len && P->p[P->i] != ']') {
                const size_t k = P->p[P->i] == '\\' ? LC_MIN((size_t)2, P->len - P->i) : 1;
                lc_js_put(c, &it->s, P->p + P->i, k);
                P->i += k;
            }
            if (P->i >= P->len) lc_js_fail(c, LLAMAC_ERR_FORMAT, "pattern: unbalanced square brackets");
            lc_js_putc(c, &it->s, ']');
            P->i++;
        } else if (ch == '|') {
            item *it = push(P, &seq, &n, &cap, false);
            if (it) lc_js_putc(c, &it->s, '|');
            P->i++;
        } else if (ch == '*' || ch == '+' || ch == '?') {
            if (n == 0) {
                lc_js_fail(c, LLAMAC_ERR_FORMAT, "pattern: '%c' at byte %zu has nothing to repeat", ch, P->i + 1);
                break;
            }
            lc_bytes q = {0};
            to_rule(c, &q, &seq[n - 1]);
            lc_js_putc(c, &q, ch);
            lc_js_bytes_free(c, &seq[n - 1].s);
            seq[n - 1] = (item){q, false};
            P->i++;
        } else if (ch == '{') {
            repeat_braces(P, seq, n);
        } else {
            literal_run(P, &seq, &n, &cap);
        }
    }
    join_seq(c, seq, n, result);
    for (size_t k = 0; k < n; k++) lc_js_bytes_free(c, &seq[k].s);
    lc_free(c->env, seq);
}

void lc_js_pattern(lc_js *c, const char *pattern, size_t len, const char *name, size_t name_len, lc_bytes *out) {
    if (len < 2 || pattern[0] != '^' || pattern[len - 1] != '$') {
        lc_js_fail(c, LLAMAC_ERR_FORMAT, "Pattern must start with '^' and end with '$'");
        return;
    }
    pat P = {.c = c, .p = pattern + 1, .len = len - 2, .name = name, .name_len = name_len};
    lc_bytes inner = {0}, body = {0};
    transform(&P, 0, &inner);
    lc_js_puts(c, &body, "\"\\\"\" (");
    lc_js_put(c, &body, inner.data, inner.len);
    lc_js_puts(c, &body, ") \"\\\"\" space");
    if (!c->st) lc_js_add_rule(c, name, name_len, body.data, body.len, out);
    for (size_t k = 0; k < P.n_subs; k++) {
        lc_js_bytes_free(c, &P.subs[k].sub);
        lc_js_bytes_free(c, &P.subs[k].id);
    }
    lc_free(c->env, P.subs);
    lc_js_bytes_free(c, &inner);
    lc_js_bytes_free(c, &body);
}
