/* The GBNF parser: llama.cpp's grammar language (src/llama-grammar.cpp at
 * commit c392e50 defines the format; this is an independent reading of it).
 * Recursive descent whose only recursion is a parenthesized group, bounded
 * by LC_GRAMMAR_MAX_DEPTH; every other bound (rules, elements, repetition
 * counts) is checked before the memory is taken. */
#include "grammar.h"

#include "common/buffer.h"
#include "common/unicode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A rule while parsing: its name (into the names arena), its body once
 * defined, where it was defined or first referenced. */
typedef struct prule {
    size_t name_off, name_len;
    uint32_t owner; /* named rule a generated one belongs to (itself if named) */
    bool defined, generated;
    uint32_t body, body_len; /* into parser.elems */
    uint32_t ref_line, ref_col;
    uint32_t def_line, def_col;
} prule;

/* One sequence being built: the elements of the current alternative(s). */
typedef struct pseq {
    lc_gelem *e;
    size_t n, cap;
} pseq;

typedef struct parser {
    lc_env env;
    const char *s;
    size_t len, pos;
    size_t line_start;
    uint32_t line;
    prule *rules;
    size_t n_rules, rules_cap;
    lc_bytes names;
    uint32_t *map; /* open addressing: rule id + 1, 0 empty */
    size_t map_cap;
    lc_gelem *elems; /* committed bodies */
    size_t n_elems, elems_cap;
    lc_grange *ranges;
    size_t n_ranges, ranges_cap;
    size_t budget; /* elements committed + in open sequences */
    pseq seqs[LC_GRAMMAR_MAX_DEPTH + 1];
    int32_t err_line, err_col;
} parser;

static uint32_t col_of(const parser *p, size_t pos) { return (uint32_t)(pos - p->line_start + 1); }

static llamac_status fail_at(parser *p, llamac_status st, size_t pos, const char *fmt, ...) LC_PRINTF(4, 5);
static llamac_status fail_at(parser *p, llamac_status st, size_t pos, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* pos is on the current line (errors are found where the parser is). */
    p->err_line = (int32_t)p->line;
    p->err_col = (int32_t)col_of(p, pos);
    return lc_fail(st, "grammar: line %u, column %u: %s", p->line, col_of(p, pos), msg);
}

/* What is at pos, for "found ..." in messages. */
static const char *found(const parser *p, size_t pos, char buf[16]) {
    if (pos >= p->len) return "the end of the grammar";
    unsigned char c = (unsigned char)p->s[pos];
    if (c == '\n' || c == '\r') return "the end of the line";
    if (c >= 0x20 && c < 0x7f) snprintf(buf, 16, "'%c'", c);
    else snprintf(buf, 16, "byte 0x%02X", c);
    return buf;
}

static int peek(const parser *p, size_t off) {
    return p->pos + off < p->len ? (unsigned char)p->s[p->pos + off] : -1;
}

static bool is_word(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* Spaces, tabs and comments; newlines too when newline_ok. */
static void skip_space(parser *p, bool newline_ok) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c == ' ' || c == '\t') {
            p->pos++;
        } else if (c == '#') {
            while (p->pos < p->len && p->s[p->pos] != '\n' && p->s[p->pos] != '\r') p->pos++;
        } else if (newline_ok && (c == '\n' || c == '\r')) {
            p->pos++;
            if (c == '\r' && p->pos < p->len && p->s[p->pos] == '\n') p->pos++;
            p->line++;
            p->line_start = p->pos;
        } else {
            break;
        }
    }
}

/* ---- rules and names ---- */

static uint64_t hash_name(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static llamac_status new_rule(parser *p, const char *name, size_t n, bool generated, uint32_t owner,
                              uint32_t *id) {
    if (p->n_rules >= LC_GRAMMAR_MAX_RULES)
        return fail_at(p, LLAMAC_ERR_LIMIT, p->pos, "more than %u rules (repetitions count theirs)",
                       LC_GRAMMAR_MAX_RULES);
    llamac_status st = lc_grow(&p->env, &p->rules, &p->rules_cap, p->n_rules + 1, sizeof *p->rules);
    if (st != LLAMAC_OK) return st;
    prule *r = &p->rules[p->n_rules];
    memset(r, 0, sizeof *r);
    r->generated = generated;
    r->owner = generated ? owner : (uint32_t)p->n_rules;
    if (!generated) {
        size_t off;
        st = lc_bytes_add_entry(&p->env, &p->names, name, n, &off);
        if (st != LLAMAC_OK) return st;
        r->name_off = off;
        r->name_len = n;
    }
    *id = (uint32_t)p->n_rules++;
    return LLAMAC_OK;
}

static const char *rule_name(const parser *p, uint32_t id) {
    return p->names.data + p->rules[p->rules[id].owner].name_off;
}

/* The id of the named rule, created (undefined) on first sight. */
static llamac_status lookup(parser *p, const char *name, size_t n, uint32_t *id) {
    if (p->map_cap < 2 * (p->n_rules + 1)) { /* rehash: named and generated ids alike */
        size_t cap = p->map_cap ? p->map_cap * 2 : 64;
        while (cap < 2 * (p->n_rules + 1)) cap *= 2;
        uint32_t *m = lc_calloc(&p->env, cap, sizeof *m);
        if (!m) return LLAMAC_ERR_NO_MEMORY;
        for (size_t i = 0; i < p->map_cap; i++) {
            if (!p->map[i]) continue;
            const prule *r = &p->rules[p->map[i] - 1];
            size_t h = (size_t)hash_name(p->names.data + r->name_off, r->name_len) & (cap - 1);
            while (m[h]) h = (h + 1) & (cap - 1);
            m[h] = p->map[i];
        }
        lc_free(&p->env, p->map);
        p->map = m;
        p->map_cap = cap;
    }
    size_t h = (size_t)hash_name(name, n) & (p->map_cap - 1);
    while (p->map[h]) {
        const prule *r = &p->rules[p->map[h] - 1];
        if (r->name_len == n && memcmp(p->names.data + r->name_off, name, n) == 0) {
            *id = p->map[h] - 1;
            return LLAMAC_OK;
        }
        h = (h + 1) & (p->map_cap - 1);
    }
    llamac_status st = new_rule(p, name, n, false, 0, id);
    if (st != LLAMAC_OK) return st;
    p->map[h] = *id + 1;
    return LLAMAC_OK;
}

/* ---- element budget and sequences ---- */

static llamac_status take_budget(parser *p, size_t n) {
    if (n > LC_GRAMMAR_MAX_ELEMENTS - p->budget)
        return fail_at(p, LLAMAC_ERR_LIMIT, p->pos,
                       "the grammar expands to more than %u elements (repetitions copy their item)",
                       LC_GRAMMAR_MAX_ELEMENTS);
    p->budget += n;
    return LLAMAC_OK;
}

static llamac_status seq_push(parser *p, pseq *q, lc_gelem e) {
    llamac_status st = take_budget(p, 1);
    if (st == LLAMAC_OK) st = lc_grow(&p->env, &q->e, &q->cap, q->n + 1, sizeof *q->e);
    if (st != LLAMAC_OK) return st;
    q->e[q->n++] = e;
    return LLAMAC_OK;
}

static llamac_status seq_append(parser *p, pseq *q, const lc_gelem *e, size_t n) {
    llamac_status st = take_budget(p, n);
    if (st == LLAMAC_OK) st = lc_grow(&p->env, &q->e, &q->cap, q->n + n, sizeof *q->e);
    if (st != LLAMAC_OK) return st;
    if (n) memcpy(q->e + q->n, e, n * sizeof *e);
    q->n += n;
    return LLAMAC_OK;
}

/* Commits elements as the body of rule id (the budget was taken when they
 * entered a sequence, or is taken here for copies). */
static llamac_status define(parser *p, uint32_t id, const lc_gelem *e, size_t n, bool charge) {
    llamac_status st = charge ? take_budget(p, n) : LLAMAC_OK;
    if (st == LLAMAC_OK) st = lc_grow(&p->env, &p->elems, &p->elems_cap, p->n_elems + n, sizeof *p->elems);
    if (st != LLAMAC_OK) return st;
    memcpy(p->elems + p->n_elems, e, n * sizeof *e);
    p->rules[id].body = (uint32_t)p->n_elems;
    p->rules[id].body_len = (uint32_t)n;
    p->rules[id].defined = true;
    p->n_elems += n;
    return LLAMAC_OK;
}

static lc_gelem ref(uint32_t id) { return (lc_gelem){.type = LC_G_REF, .a = id}; }
static lc_gelem mark(uint8_t t) { return (lc_gelem){.type = t}; }

/* ---- characters ---- */

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One character of a literal or class: an escape or a UTF-8 sequence. */
static llamac_status parse_char(parser *p, uint32_t *cp) {
    char fb[16];
    if (p->pos >= p->len) return fail_at(p, LLAMAC_ERR_FORMAT, p->pos, "unexpected end of the grammar");
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c == '\\') {
        int e = peek(p, 1);
        size_t digits = 0;
        switch (e) {
        case 'x': digits = 2; break;
        case 'u': digits = 4; break;
        case 'U': digits = 8; break;
        case 't': *cp = '\t'; p->pos += 2; return LLAMAC_OK;
        case 'r': *cp = '\r'; p->pos += 2; return LLAMAC_OK;
        case 'n': *cp = '\n'; p->pos += 2; return LLAMAC_OK;
        case '\\': case '"': case '[': case ']':
            *cp = (uint32_t)e;
            p->pos += 2;
            return LLAMAC_OK;
        default:
            return fail_at(p, LLAMAC_ERR_FORMAT, p->pos,
                           "unknown escape (expected one of \\n \\t \\r \\\\ \\\" \\[ \\] \\xHH \\uHHHH "
                           "\\UHHHHHHHH), found %s after the backslash", found(p, p->pos + 1, fb));
        }
        uint32_t v = 0;
        for (size_t i = 0; i < digits; i++) {
            int h = peek(p, 2 + i);
            if (h < 0 || hexval(h) < 0)
                return fail_at(p, LLAMAC_ERR_FORMAT, p->pos + 2 + i, "expected %zu hex digits after \\%c, found %s",
                               digits, e, found(p, p->pos + 2 + i, fb));
            v = v << 4 | (uint32_t)hexval(h);
        }
        p->pos += 2 + digits;
        *cp = v;
        return LLAMAC_OK;
    }
    if (c == '\n' || c == '\r')
        return fail_at(p, LLAMAC_ERR_FORMAT, p->pos, "unterminated literal or class at the end of the line");
    if (c == 0) return fail_at(p, LLAMAC_ERR_FORMAT, p->pos, "NUL byte in the grammar");
    size_t n = lc_utf8_decode((const unsigned char *)p->s + p->pos, p->len - p->pos, cp);
    if (n == 0) return fail_at(p, LLAMAC_ERR_FORMAT, p->pos, "invalid UTF-8 (byte 0x%02X)", c);
    p->pos += n;
    return LLAMAC_OK;
}

static int cmp_range(const void *a, const void *b) {
    const lc_grange *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo ? 1 : (x->hi > y->hi) - (x->hi < y->hi);
}

/* Sorts and merges ranges[first..) into disjoint, non-adjacent ones. */
static void merge_ranges(parser *p, size_t first) {
    size_t n = p->n_ranges - first;
    lc_grange *r = p->ranges + first;
    qsort(r, n, sizeof *r, cmp_range);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].lo > r[i].hi) continue; /* [z-a] matches nothing, as in llama.cpp */
        if (w > 0 && r[i].lo <= (r[w - 1].hi == UINT32_MAX ? UINT32_MAX : r[w - 1].hi + 1)) {
            if (r[i].hi > r[w - 1].hi) r[w - 1].hi = r[i].hi;
        } else {
            r[w++] = r[i];
        }
    }
    p->n_ranges = first + w;
}

static llamac_status add_range(parser *p, uint32_t lo, uint32_t hi) {
    if (p->n_ranges >= LC_GRAMMAR_MAX_ELEMENTS)
        return fail_at(p, LLAMAC_ERR_LIMIT, p->pos, "more than %u character ranges", LC_GRAMMAR_MAX_ELEMENTS);
    llamac_status st = lc_grow(&p->env, &p->ranges, &p->ranges_cap, p->n_ranges + 1, sizeof *p->ranges);
    if (st != LLAMAC_OK) return st;
    p->ranges[p->n_ranges++] = (lc_grange){lo, hi};
    return LLAMAC_OK;
}

static llamac_status single_char(parser *p, pseq *q, uint32_t cp) {
    llamac_status st = add_range(p, cp, cp);
    if (st != LLAMAC_OK) return st;
    return seq_push(p, q, (lc_gelem){.type = LC_G_SET, .a = (uint32_t)p->n_ranges - 1, .n = 1});
}

static llamac_status parse_literal(parser *p, pseq *q) {
    size_t open = p->pos;
    p->pos++;
    while (p->pos < p->len && p->s[p->pos] != '"') {
        uint32_t cp;
        llamac_status st = parse_char(p, &cp);
        if (st == LLAMAC_OK) st = single_char(p, q, cp);
        if (st != LLAMAC_OK) return st;
    }
    if (p->pos >= p->len)
        return fail_at(p, LLAMAC_ERR_FORMAT, open, "unterminated literal (expected '\"' before the end)");
    p->pos++;
    return LLAMAC_OK;
}

static llamac_status parse_class(parser *p, pseq *q) {
    size_t open = p->pos;
    p->pos++;
    bool negated = peek(p, 0) == '^';
    if (negated) p->pos++;
    size_t first = p->n_ranges;
    while (p->pos < p->len && p->s[p->pos] != ']') {
        uint32_t lo, hi;
        llamac_status st = parse_char(p, &lo);
        if (st != LLAMAC_OK) return st;
        hi = lo;
        if (peek(p, 0) == '-' && peek(p, 1) != ']' && peek(p, 1) >= 0) {
            p->pos++;
            st = parse_char(p, &hi);
            if (st != LLAMAC_OK) return st;
        }
        st = add_range(p, lo, hi);
        if (st != LLAMAC_OK) return st;
    }
    if (p->pos >= p->len)
        return fail_at(p, LLAMAC_ERR_FORMAT, open, "unterminated character class (expected ']' before the end)");
    p->pos++;
    merge_ranges(p, first);
    return seq_push(p, q, (lc_gelem){.type = LC_G_SET, .negated = negated, .a = (uint32_t)first,
                                     .n = (uint32_t)(p->n_ranges - first)});
}

/* ---- repetition ---- */

static llamac_status parse_count(parser *p, uint32_t *v) {
    char fb[16];
    if (peek(p, 0) < '0' || peek(p, 0) > '9')
        return fail_at(p, LLAMAC_ERR_FORMAT, p->pos, "expected a number in {...}, found %s", found(p, p->pos, fb));
    size_t start = p->pos;
    uint64_t x = 0;
    while (peek(p, 0) >= '0' && peek(p, 0) <= '9') {
        if (x <= LC_GRAMMAR_MAX_REPEAT) x = x * 10 + (uint64_t)(p->s[p->pos] - '0');
        p->pos++;
    }
    if (x > LC_GRAMMAR_MAX_REPEAT)
        return fail_at(p, LLAMAC_ERR_LIMIT, start, "repetition count above the limit of %u", LC_GRAMMAR_MAX_REPEAT);
    *v = (uint32_t)x;
    return LLAMAC_OK;
}

/* Rewrites q's item at [item, n) as item{min,max} (max UINT32_MAX: no
 * bound): min copies in place, then a reference to generated rules
 *   S' ::= S S' |                  (unbounded)
 *   S'1 ::= S | ; S'k ::= S S'(k-1) |   (max - min of them)          */
static llamac_status repeat(parser *p, pseq *q, size_t item, uint32_t min, uint32_t max, uint32_t owner) {
    const size_t len = q->n - item;
    if (max != UINT32_MAX && max < min)
        return fail_at(p, LLAMAC_ERR_FORMAT, p->pos, "repetition {%u,%u}: the maximum is below the minimum", min, max);
    lc_gelem *copy = lc_calloc(&p->env, len ? len : 1, sizeof *copy);
    if (!copy) return LLAMAC_ERR_NO_MEMORY;
    memcpy(copy, q->e + item, len * sizeof *copy);
    llamac_status st = LLAMAC_OK;
    if (min == 0) {
        p->budget -= len;
        q->n = item;
    }
    for (uint32_t i = 1; i < min && st == LLAMAC_OK; i++) st = seq_append(p, q, copy, len);
    const uint32_t n_opt = max == UINT32_MAX ? 1 : max - min;
    lc_gelem *body = NULL;
    if (st == LLAMAC_OK && n_opt > 0) {
        body = lc_calloc(&p->env, len + 3, sizeof *body);
        if (!body) st = LLAMAC_ERR_NO_MEMORY;
    }
    uint32_t last = 0;
    for (uint32_t i = 0; i < n_opt && st == LLAMAC_OK; i++) {
        uint32_t id;
        st = new_rule(p, NULL, 0, true, owner, &id);
        if (st != LLAMAC_OK) break;
        memcpy(body, copy, len * sizeof *body);
        size_t k = len;
        if (max == UINT32_MAX) body[k++] = ref(id);
        else if (i > 0) body[k++] = ref(last);
        body[k++] = mark(LC_G_ALT);
        body[k++] = mark(LC_G_END);
        st = define(p, id, body, k, true);
        last = id;
    }
    if (st == LLAMAC_OK && n_opt > 0) st = seq_push(p, q, ref(last));
    lc_free(&p->env, body);
    lc_free(&p->env, copy);
    return st;
}

/* ---- sequences and alternatives ---- */

static llamac_status parse_alternates(parser *p, uint32_t id, uint32_t owner, int depth);

static llamac_status parse_sequence(parser *p, pseq *q, uint32_t owner, int depth) {
    const bool nested = depth > 0;
    size_t item = SIZE_MAX; /* where the last item starts, for a repetition */
    char fb[16];
    for (;;) {
        int c = peek(p, 0);
        size_t start = q->n;
        llamac_status st = LLAMAC_OK;
        if (c == '"') {
            st = parse_literal(p, q);
            item = start;
        } else if (c == '[') {
            st = parse_class(p, q);
            item = start;
        } else if (c == '.') {
            p->pos++;
            st = seq_push(p, q, (lc_gelem){.type = LC_G_SET, .negated = 1, .a = 0, .n = 0});
            item = start;
        } else if (c >= 0 && is_word(c)) {
            size_t s0 = p->pos;
            while (peek(p, 0) >= 0 && is_word(peek(p, 0))) p->pos++;
            uint32_t id;
            st = lookup(p, p->s + s0, p->pos - s0, &id);
            if (st == LLAMAC_OK && !p->rules[id].defined && !p->rules[id].ref_line) {
                p->rules[id].ref_line = p->line;
                p->rules[id].ref_col = col_of(p, s0);
            }
            if (st == LLAMAC_OK) st = seq_push(p, q, ref(id));
            item = start;
        } else if (c == '(') {
            const size_t open = p->pos, open_line_start = p->line_start;
            const uint32_t open_line = p->line;
            if (depth >= LC_GRAMMAR_MAX_DEPTH)
                return fail_at(p, LLAMAC_ERR_LIMIT, p->pos, "parentheses nested deeper than %d", LC_GRAMMAR_MAX_DEPTH);
            p->pos++;
            skip_space(p, true);
            uint32_t id;
            st = new_rule(p, NULL, 0, true, owner, &id);
            if (st == LLAMAC_OK) st = parse_alternates(p, id, owner, depth + 1);
            if (st != LLAMAC_OK) return st;
            if (peek(p, 0) != ')')
                return fail_at(p, LLAMAC_ERR_FORMAT, p->pos,
                               "expected ')' to close the '(' at line %u, column %u, found %s", open_line,
                               (unsigned)(open - open_line_start + 1), found(p, p->pos, fb));
            p->pos++;
            st = seq_push(p, q, ref(id));
            item = start;
        } else if (c == '*' || c == '+' || c == '?' || c == '{') {
            if (item == SIZE_MAX || item == q->n)
                return fail_at(p, LLAMAC_ERR_FORMAT, p->pos, "expected an item before '%c'", c);
            uint32_t min = 0, max = UINT32_MAX;
            p->pos++;
            if (c == '+') min = 1;
            else if (c == '?') max = 1;
            else if (c == '{') {
                skip_space(p, nested);
                st = parse_count(p, &min);
                if (st != LLAMAC_OK) return st;
                skip_space(p, nested);
                if (peek(p, 0) == '}') {
                    max = min;
                } else if (peek(p, 0) == ',') {
                    p->pos++;
                    skip_space(p, nested);
                    if (peek(p, 0) >= '0' && peek(p, 0) <= '9') {
                        st = parse_count(p, &max);
                        if (st != LLAMAC_OK) return st;
                        skip_space(p, nested);
                    }
                    if (peek(p, 0) != '}')
                        return fail_at(p, LLAMAC_ERR_FORMAT, p->pos, "expected '}', found %s", found(p, p->pos, fb));
                } else {
                    return fail_at(p, LLAMAC_ERR_FORMAT, p->pos, "expected ',' or '}', found %s", found(p, p->pos, fb));
                }
                p->pos++;
            }
            st = repeat(p, q, item, min, max, owner);
            /* the repeated item (a reference, or copies) stays repeatable */
        } else {
            return LLAMAC_OK;
        }
        if (st != LLAMAC_OK) return st;
        skip_space(p, nested);
    }
}

static llamac_status parse_alternates(parser *p, uint32_t id, uint32_t owner, int depth) {
    pseq *q = &p->seqs[depth];
    q->n = 0;
    llamac_status st = parse_sequence(p, q, owner, depth);
    while (st == LLAMAC_OK && peek(p, 0) == '|') {
        p->pos++;
        st = seq_push(p, q, mark(LC_G_ALT));
        skip_space(p, true);
        if (st == LLAMAC_OK) st = parse_sequence(p, q, owner, depth);
    }
    if (st == LLAMAC_OK) st = seq_push(p, q, mark(LC_G_END));
    if (st != LLAMAC_OK) return st;
    p->budget -= q->n; /* define() moves them; they count once */
    st = define(p, id, q->e, q->n, true);
    q->n = 0;
    return st;
}

static llamac_status parse_rule(parser *p) {
    char fb[16];
    size_t s0 = p->pos;
    while (peek(p, 0) >= 0 && is_word(peek(p, 0))) p->pos++;
    if (p->pos == s0) return fail_at(p, LLAMAC_ERR_FORMAT, p->pos, "expected a rule name, found %s", found(p, p->pos, fb));
    uint32_t id;
    llamac_status st = lookup(p, p->s + s0, p->pos - s0, &id);
    if (st != LLAMAC_OK) return st;
    if (p->rules[id].defined)
        return fail_at(p, LLAMAC_ERR_FORMAT, s0, "rule '%s' is defined twice (first on line %u)", rule_name(p, id),
                       p->rules[id].def_line);
    p->rules[id].def_line = p->line;
    p->rules[id].def_col = col_of(p, s0);
    skip_space(p, false);
    if (!(peek(p, 0) == ':' && peek(p, 1) == ':' && peek(p, 2) == '='))
        return fail_at(p, LLAMAC_ERR_FORMAT, p->pos, "expected '::=' after the rule name, found %s", found(p, p->pos, fb));
    p->pos += 3;
    skip_space(p, true);
    st = parse_alternates(p, id, id, 0);
    if (st != LLAMAC_OK) return st;
    int c = peek(p, 0);
    if (c == '\r' || c == '\n') {
        skip_space(p, true);
    } else if (c >= 0) {
        return fail_at(p, LLAMAC_ERR_FORMAT, p->pos,
                       "expected an item, '|' or the end of the line, found %s", found(p, p->pos, fb));
    }
    return LLAMAC_OK;
}

/* ---- checks after parsing: undefined rules, left recursion ---- */

static llamac_status check_defined(parser *p) {
    for (size_t i = 0; i < p->n_rules; i++) {
        const prule *r = &p->rules[i];
        if (!r->defined) {
            p->err_line = (int32_t)r->ref_line;
            p->err_col = (int32_t)r->ref_col;
            return lc_fail(LLAMAC_ERR_FORMAT, "grammar: line %u, column %u: undefined rule '%s'", r->ref_line,
                           r->ref_col, rule_name(p, (uint32_t)i));
        }
    }
    return LLAMAC_OK;
}

static bool is_end(uint8_t t) { return t == LC_G_END || t == LC_G_ALT; }

/* Nullable rules by a work list: each alternative counts the references it
 * still waits for; one with a terminal never becomes nullable. */
static llamac_status find_nullable(parser *p, const lc_grammar *g, bool *nullable) {
    const size_t n_alts = g->rule_alt[g->n_rules];
    uint32_t *wait = lc_calloc(&p->env, n_alts + 1, sizeof *wait);
    uint32_t *alt_rule = lc_calloc(&p->env, n_alts + 1, sizeof *alt_rule);
    uint32_t *occ_n = lc_calloc(&p->env, (size_t)g->n_rules + 1, sizeof *occ_n);
    uint32_t *occ = NULL, *queue = lc_calloc(&p->env, (size_t)g->n_rules + 1, sizeof *queue);
    llamac_status st = LLAMAC_ERR_NO_MEMORY;
    if (!wait || !alt_rule || !occ_n || !queue) goto out;
    size_t total = 0;
    for (uint32_t r = 0; r < g->n_rules; r++)
        for (uint32_t a = g->rule_alt[r]; a < g->rule_alt[r + 1]; a++) {
            alt_rule[a] = r;
            for (uint32_t k = g->alts[a]; !is_end(g->elems[k].type); k++)
                if (g->elems[k].type == LC_G_REF) total++;
        }
    occ = lc_calloc(&p->env, total + 1, sizeof *occ);
    if (!occ) goto out;
    /* occ_n[r]: start of rule r's occurrence list (prefix sums) */
    for (uint32_t a = 0; a < n_alts; a++)
        for (uint32_t k = g->alts[a]; !is_end(g->elems[k].type); k++)
            if (g->elems[k].type == LC_G_REF) occ_n[g->elems[k].a + 1]++;
    for (uint32_t r = 0; r < g->n_rules; r++) occ_n[r + 1] += occ_n[r];
    uint32_t *fill = lc_calloc(&p->env, (size_t)g->n_rules + 1, sizeof *fill);
    if (!fill) goto out;
    size_t qn = 0;
    for (uint32_t a = 0; a < n_alts; a++) {
        bool terminal = false;
        for (uint32_t k = g->alts[a]; !is_end(g->elems[k].type); k++) {
            if (g->elems[k].type == LC_G_REF) {
                const uint32_t r = g->elems[k].a;
                occ[occ_n[r] + fill[r]++] = a;
                wait[a]++;
            } else {
                terminal = true;
            }
        }
        if (terminal) wait[a] = UINT32_MAX;
        else if (wait[a] == 0 && !nullable[alt_rule[a]]) {
            nullable[alt_rule[a]] = true;
            queue[qn++] = alt_rule[a];
        }
    }
    lc_free(&p->env, fill);
    for (size_t qi = 0; qi < qn; qi++) {
        const uint32_t r = queue[qi];
        for (uint32_t o = occ_n[r]; o < occ_n[r + 1]; o++) {
            const uint32_t a = occ[o];
            if (wait[a] == UINT32_MAX || wait[a] == 0) continue;
            if (--wait[a] == 0 && !nullable[alt_rule[a]]) {
                nullable[alt_rule[a]] = true;
                queue[qn++] = alt_rule[a];
            }
        }
    }
    st = LLAMAC_OK;
out:
    lc_free(&p->env, wait);
    lc_free(&p->env, alt_rule);
    lc_free(&p->env, occ_n);
    lc_free(&p->env, occ);
    lc_free(&p->env, queue);
    return st;
}

/* The left-corner edges of rule r: rules it may start with without reading
 * input. The self-edge of a repetition's rule S' ::= S S' | reached after a
 * nullable S is left out: it is a tail call that the engine's
 * de-duplication ends, so ( [x]* )* is accepted. Calls visit(r, target). */
static void left_edges(const lc_grammar *g, const parser *p, const bool *nullable, uint32_t r, uint32_t *out,
                       size_t *n) {
    *n = 0;
    for (uint32_t a = g->rule_alt[r]; a < g->rule_alt[r + 1]; a++)
        for (uint32_t k = g->alts[a]; !is_end(g->elems[k].type); k++) {
            if (g->elems[k].type != LC_G_REF) break;
            const uint32_t t = g->elems[k].a;
            const bool tail_self = t == r && p->rules[r].generated && is_end(g->elems[k + 1].type);
            if (!tail_self) out[(*n)++] = t;
            if (!nullable[t]) break;
        }
}

/* Cycle search over left-corner edges with an explicit stack (no C
 * recursion): colour 0 new, 1 on the path, 2 done. */
static llamac_status check_left_recursion(parser *p, const lc_grammar *g) {
    const size_t nr = g->n_rules;
    bool *nullable = lc_calloc(&p->env, nr + 1, sizeof *nullable);
    uint8_t *colour = lc_calloc(&p->env, nr + 1, 1);
    uint32_t *path = lc_calloc(&p->env, nr + 1, sizeof *path);
    uint32_t *edge_i = lc_calloc(&p->env, nr + 1, sizeof *edge_i);
    /* edges of every rule, CSR: at most one per element */
    uint32_t *e_start = lc_calloc(&p->env, nr + 1, sizeof *e_start);
    uint32_t *edges = lc_calloc(&p->env, (size_t)g->n_elems + 1, sizeof *edges);
    llamac_status st = LLAMAC_ERR_NO_MEMORY;
    if (!nullable || !colour || !path || !edge_i || !e_start || !edges) goto out;
    st = find_nullable(p, g, nullable);
    if (st != LLAMAC_OK) goto out;
    size_t ne = 0;
    for (uint32_t r = 0; r < nr; r++) {
        size_t n;
        e_start[r] = (uint32_t)ne;
        left_edges(g, p, nullable, r, edges + ne, &n);
        ne += n;
    }
    e_start[nr] = (uint32_t)ne;
    for (uint32_t s = 0; s < nr; s++) {
        if (colour[s]) continue;
        size_t depth = 0;
        path[depth] = s;
        edge_i[depth] = e_start[s];
        colour[s] = 1;
        while (depth != SIZE_MAX) {
            const uint32_t r = path[depth];
            if (edge_i[depth] == e_start[r + 1]) {
                colour[r] = 2;
                depth = depth == 0 ? SIZE_MAX : depth - 1;
                continue;
            }
            const uint32_t t = edges[edge_i[depth]++];
            if (colour[t] == 1) {
                const prule *pr = &p->rules[p->rules[t].owner];
                p->err_line = (int32_t)pr->def_line;
                p->err_col = (int32_t)pr->def_col;
                const uint32_t via = p->rules[r].owner;
                if (via == p->rules[t].owner)
                    st = lc_fail(LLAMAC_ERR_FORMAT,
                                 "grammar: line %u, column %u: left recursion: rule '%s' can reach itself "
                                 "without reading input", pr->def_line, pr->def_col, rule_name(p, t));
                else
                    st = lc_fail(LLAMAC_ERR_FORMAT,
                                 "grammar: line %u, column %u: left recursion: rule '%s' can reach itself "
                                 "through '%s' without reading input", pr->def_line, pr->def_col,
                                 rule_name(p, t), rule_name(p, via));
                goto out;
            }
            if (colour[t] == 0) {
                colour[t] = 1;
                path[++depth] = t;
                edge_i[depth] = e_start[t];
            }
        }
    }
    st = LLAMAC_OK;
out:
    lc_free(&p->env, nullable);
    lc_free(&p->env, colour);
    lc_free(&p->env, path);
    lc_free(&p->env, edge_i);
    lc_free(&p->env, e_start);
    lc_free(&p->env, edges);
    return st;
}

/* ---- the compiled grammar ---- */

void lc_grammar_free(lc_grammar *g) {
    if (!g) return;
    lc_env env = g->env;
    lc_free(&env, g->elems);
    lc_free(&env, g->ranges);
    lc_free(&env, g->alts);
    lc_free(&env, g->rule_alt);
    lc_free(&env, g);
}

static llamac_status build(parser *p, uint32_t root, lc_grammar **out) {
    lc_grammar *g = lc_calloc(&p->env, 1, sizeof *g);
    if (!g) return LLAMAC_ERR_NO_MEMORY;
    g->env = p->env;
    g->n_rules = (uint32_t)p->n_rules;
    g->root = root;
    /* Rule bodies in rule order, so alternatives index one array. */
    g->elems = lc_calloc(&p->env, p->n_elems + 1, sizeof *g->elems);
    g->ranges = lc_calloc(&p->env, p->n_ranges + 1, sizeof *g->ranges);
    g->rule_alt = lc_calloc(&p->env, p->n_rules + 1, sizeof *g->rule_alt);
    size_t n_alts = 0;
    for (size_t i = 0; i < p->n_elems; i++) n_alts += is_end(p->elems[i].type);
    g->alts = lc_calloc(&p->env, n_alts + 1, sizeof *g->alts);
    if (!g->elems || !g->ranges || !g->rule_alt || !g->alts) {
        lc_grammar_free(g);
        return LLAMAC_ERR_NO_MEMORY;
    }
    if (p->n_ranges) memcpy(g->ranges, p->ranges, p->n_ranges * sizeof *g->ranges);
    g->n_ranges = (uint32_t)p->n_ranges;
    size_t w = 0, a = 0;
    for (size_t r = 0; r < p->n_rules; r++) {
        g->rule_alt[r] = (uint32_t)a;
        const prule *pr = &p->rules[r];
        g->alts[a++] = (uint32_t)w;
        for (uint32_t k = 0; k < pr->body_len; k++) {
            const lc_gelem e = p->elems[pr->body + k];
            g->elems[w++] = e;
            if (e.type == LC_G_ALT) g->alts[a++] = (uint32_t)w;
        }
    }
    g->rule_alt[p->n_rules] = (uint32_t)a;
    g->n_elems = (uint32_t)w;
    *out = g;
    return LLAMAC_OK;
}

llamac_status lc_grammar_parse(const lc_env *env, const char *text, size_t len, const char *root,
                               lc_grammar **out, int32_t *line, int32_t *col) {
    parser *p = lc_calloc(env, 1, sizeof *p);
    if (!p) return LLAMAC_ERR_NO_MEMORY;
    p->env = *env;
    p->s = text;
    p->len = len;
    p->line = 1;
    *out = NULL;
    llamac_status st = LLAMAC_OK;
    if (!root) root = "root";
    skip_space(p, true);
    while (st == LLAMAC_OK && p->pos < p->len) st = parse_rule(p);
    if (st == LLAMAC_OK) st = check_defined(p);
    uint32_t root_id = 0;
    if (st == LLAMAC_OK) {
        const size_t n = strlen(root);
        size_t before = p->n_rules;
        st = lookup(p, root, n, &root_id);
        if (st == LLAMAC_OK && (root_id >= before || !p->rules[root_id].defined)) {
            p->err_line = p->err_col = 0;
            st = lc_fail(LLAMAC_ERR_FORMAT, "grammar: no rule named '%s' (the start rule)", root);
        }
    }
    lc_grammar *g = NULL;
    if (st == LLAMAC_OK) st = build(p, root_id, &g);
    if (st == LLAMAC_OK) {
        st = check_left_recursion(p, g);
        if (st != LLAMAC_OK) lc_grammar_free(g);
        else *out = g;
    }
    if (line) *line = st == LLAMAC_OK ? 0 : p->err_line;
    if (col) *col = st == LLAMAC_OK ? 0 : p->err_col;
    lc_free(env, p->rules);
    lc_free(env, p->names.data);
    lc_free(env, p->map);
    lc_free(env, p->elems);
    lc_free(env, p->ranges);
    for (int i = 0; i <= LC_GRAMMAR_MAX_DEPTH; i++) lc_free(env, p->seqs[i].e);
    lc_free(env, p);
    return st;
}
