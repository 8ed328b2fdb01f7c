/* Object rules as the peer's _build_object_rule writes them (llama.cpp's
 * json-schema-to-grammar.cpp at c392e50): required properties in order,
 * then the optional ones as alternatives over which comes first, each
 * followed by a NAME-rest rule for the ones after it; additional
 * properties get a key rule that matches any string but the named keys
 * (the peer's _not_strings, a trie written as nested alternatives). Both
 * are built iteratively here: a schema's property count and key length are
 * the schema's to choose. */
#include "json_schema_private.h"

#include "common/sort.h"

#include <string.h>

/* One key/value pair of the object: its key and its kv rule's name. A
 * key listed twice (allOf repeats it) uses the last kv rule, as the peer's
 * map does. */
typedef struct entry {
    const char *key;
    size_t key_len;
    lc_bytes kv;
    size_t final; /* index of the entry whose kv this key uses */
} entry;

typedef struct key_ref {
    const char *key;
    size_t len, idx;
} key_ref;

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn) {
    size_t n = LC_MIN(an, bn);
    int d = n ? memcmp(a, b, n) : 0;
    return d ? d : an < bn ? -1 : an > bn;
}

static bool key_less(const void *x, const void *y) {
    const key_ref *a = x, *b = y;
    int d = cmp_bytes(a->key, a->len, b->key, b->len);
    return d < 0 || (d == 0 && a->idx < b->idx);
}

/* entries[i].final = the last entry with the same key. */
static void link_duplicates(lc_js *c, entry *e, size_t n) {
    key_ref *refs = lc_calloc(c->env, n ? n : 1, sizeof *refs);
    if (!refs) {
        lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory building an object rule");
        return;
    }
    for (size_t i = 0; i < n; i++) refs[i] = (key_ref){e[i].key, e[i].key_len, i};
    lc_heapsort(refs, n, sizeof *refs, key_less);
    for (size_t lo = 0; lo < n;) {
        size_t hi = lo + 1;
        while (hi < n && cmp_bytes(refs[hi].key, refs[hi].len, refs[lo].key, refs[lo].len) == 0) hi++;
        for (size_t k = lo; k < hi; k++) e[refs[k].idx].final = refs[hi - 1].idx;
        lo = hi;
    }
    lc_free(c->env, refs);
}

/* ---- keys other than the named ones ---- */

typedef struct name_ref {
    const char *s;
    size_t len;
} name_ref;

/* Names sort by bytes, which for UTF-8 is code point order: the trie's
 * children in the order both peers write them for ASCII keys. A node's
 * children are whole code points, as in the peer's Python script (its C++
 * converter splits a multi-byte character over several classes, which is
 * not UTF-8). */
static bool name_less(const void *x, const void *y) {
    const name_ref *a = x, *b = y;
    size_t n = LC_MIN(a->len, b->len);
    int d = n ? memcmp(a->s, b->s, n) : 0;
    return d < 0 || (d == 0 && a->len < b->len);
}

/* Bytes of the UTF-8 sequence that starts with lead byte b (the reader
 * validated the keys). */
static size_t seq_len(unsigned char b) {
    return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

/* A trie node: the names [lo, hi) (sorted) that share their first d bytes. */
typedef struct frame {
    size_t lo, hi, d, pos;
} frame;

static bool has_longer(const name_ref *v, size_t lo, size_t hi, size_t d) {
    for (size_t k = lo; k < hi; k++)
        if (v[k].len > d) return true;
    return false;
}

/* The code point of names[k] at byte d and its length (at most 4). */
static size_t char_at(const name_ref *v, size_t k, size_t d, const char **ch) {
    *ch = v[k].s + d;
    return LC_MIN(seq_len((unsigned char)v[k].s[d]), v[k].len - d);
}

static void not_strings(lc_js *c, name_ref *names, size_t n, lc_bytes *out) {
    lc_bytes char_rule = {0};
    lc_js_add_primitive(c, "char", 4, "char", &char_rule);
    lc_heapsort(names, n, sizeof *names, name_less);
    frame *stack = lc_calloc(c->env, 1, sizeof *stack);
    size_t depth = 1, cap = 1;
    if (!stack) lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory building a key rule");
    lc_js_puts(c, out, "[\"] ( ");
    if (stack) stack[0] = (frame){0, n, 0, 0};
    /* Names that end at a node sort first within it. */
    while (depth > 0 && !c->st) {
        frame *f = &stack[depth - 1];
        while (f->pos < f->hi && names[f->pos].len <= f->d) f->pos++;
        if (f->pos < f->hi) {
            const char *ch, *other;
            const size_t ch_len = char_at(names, f->pos, f->d, &ch);
            size_t g = f->pos;
            while (g < f->hi && char_at(names, g, f->d, &other) == ch_len && memcmp(other, ch, ch_len) == 0) g++;
            if (f->pos > f->lo && names[f->pos - 1].len > f->d) lc_js_puts(c, out, " | ");
            lc_js_putc(c, out, '[');
            lc_js_put(c, out, ch, ch_len);
            lc_js_putc(c, out, ']');
            const size_t lo = f->pos, d = f->d + ch_len;
            f->pos = g;
            if (has_longer(names, lo, g, d)) {
                lc_js_puts(c, out, " (");
                if (lc_grow(c->env, &stack, &cap, depth + 1, sizeof *stack)) {
                    lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory building a key rule");
                    break;
                }
                stack[depth++] = (frame){lo, g, d, lo};
            } else {
                /* Every name in the group ends here. */
                lc_js_puts(c, out, " ");
                lc_js_put(c, out, char_rule.data, char_rule.len);
                lc_js_putc(c, out, '+');
            }
            continue;
        }
        if (has_longer(names, f->lo, f->hi, f->d)) {
            lc_js_puts(c, out, " | [^\"");
            const char *prev = NULL;
            size_t prev_len = 0;
            for (size_t k = f->lo; k < f->hi; k++) {
                if (names[k].len <= f->d) continue;
                const char *ch;
                const size_t ch_len = char_at(names, k, f->d, &ch);
                if (prev && prev_len == ch_len && memcmp(prev, ch, ch_len) == 0) continue;
                prev = ch;
                prev_len = ch_len;
                lc_js_put(c, out, ch, ch_len);
            }
            lc_js_puts(c, out, "] ");
            lc_js_put(c, out, char_rule.data, char_rule.len);
            lc_js_putc(c, out, '*');
        }
        depth--;
        if (depth > 0) lc_js_putc(c, out, ')');
    }
    lc_js_puts(c, out, " )");
    bool root_ends = false;
    for (size_t k = 0; k < n; k++) root_ends |= names[k].len == 0;
    if (!root_ends) lc_js_putc(c, out, '?');
    lc_js_puts(c, out, " [\"] space");
    lc_free(c->env, stack);
    lc_js_bytes_free(c, &char_rule);
}

/* ---- the object rule ---- */

static bool is_star(const entry *e) {
    return lc_js_str_eq(e->key, e->key_len, "*", 1);
}

/* The peer's get_recursive_refs for optional[j..]: kv_j, or ( "," kv_j )?
 * when not first, then the rest rule of j. */
static void optional_text(lc_js *c, const entry *e, const size_t *opt, const lc_bytes *rest, size_t m, size_t j,
                          bool first_is_optional, lc_bytes *out) {
    const entry *k = &e[opt[j]];
    const lc_bytes *kv = &e[k->final].kv;
    if (first_is_optional) {
        lc_js_puts(c, out, "( \",\" space ");
        lc_js_put(c, out, kv->data, kv->len);
        lc_js_puts(c, out, is_star(k) ? " )*" : " )?");
    } else {
        lc_js_put(c, out, kv->data, kv->len);
        if (is_star(k)) {
            lc_js_puts(c, out, " ( \",\" space ");
            lc_js_put(c, out, kv->data, kv->len);
            lc_js_puts(c, out, " )*");
        }
    }
    if (j + 1 < m) {
        lc_js_putc(c, out, ' ');
        lc_js_put(c, out, rest[j].data, rest[j].len);
    }
}

void lc_js_object_rule(lc_js *c, const lc_js_prop *props, size_t n_props, const bool *required, const char *name,
                       size_t name_len, const lc_json *additional, lc_bytes *out) {
    const bool has_additional = additional && ((lc_js_kind(additional) == LC_JSON_BOOL && lc_js_bool(additional)) ||
                                               lc_js_kind(additional) == LC_JSON_OBJECT);
    const size_t n = n_props + has_additional;
    entry *e = lc_calloc(c->env, n ? n : 1, sizeof *e);
    size_t *req = lc_calloc(c->env, n ? n : 1, sizeof *req), *opt = lc_calloc(c->env, n ? n : 1, sizeof *opt);
    lc_bytes *rest = lc_calloc(c->env, n ? n : 1, sizeof *rest);
    size_t n_req = 0, m = 0;
    if (!e || !req || !opt || !rest) lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory building an object rule");
    for (size_t i = 0; i < n_props && !c->st; i++) {
        lc_bytes child = {0}, value = {0}, kv_name = {0}, kv_body = {0};
        lc_js_put_child(c, &child, name, name_len, props[i].key, props[i].key_len);
        if (!c->st) lc_js_visit(c, props[i].schema, child.data, child.len, &value);
        lc_js_put(c, &kv_name, child.data, child.len);
        lc_js_puts(c, &kv_name, "-kv");
        /* format_literal(json(key).dump()) */
        lc_bytes dumped = {0};
        if (!c->st) {
            llamac_status st = lc_json_write_string(c->env, &dumped, props[i].key, props[i].key_len);
            if (st) lc_js_fail(c, st, "cannot write a property name");
        }
        lc_js_put_literal(c, &kv_body, dumped.data, dumped.len);
        lc_js_puts(c, &kv_body, " space \":\" space ");
        lc_js_put(c, &kv_body, value.data, value.len);
        e[i] = (entry){props[i].key, props[i].key_len, {0}, i};
        if (!c->st) lc_js_add_rule(c, kv_name.data, kv_name.len, kv_body.data, kv_body.len, &e[i].kv);
        if (required[i])
            req[n_req++] = i;
        else
            opt[m++] = i;
        lc_js_bytes_free(c, &dumped);
        lc_js_bytes_free(c, &child);
        lc_js_bytes_free(c, &value);
        lc_js_bytes_free(c, &kv_name);
        lc_js_bytes_free(c, &kv_body);
    }
    if (has_additional && !c->st) {
        lc_bytes sub = {0}, value = {0}, key_rule = {0}, tmp = {0}, kv_body = {0};
        lc_js_put_child(c, &sub, name, name_len, "additional", 10);
        if (lc_js_kind(additional) == LC_JSON_OBJECT) {
            lc_js_put(c, &tmp, sub.data, sub.len);
            lc_js_puts(c, &tmp, "-value");
            if (!c->st) lc_js_visit(c, additional, tmp.data, tmp.len, &value);
        } else {
            lc_js_add_primitive(c, "value", 5, "value", &value);
        }
        if (n_props == 0) {
            lc_js_add_primitive(c, "string", 6, "string", &key_rule);
        } else {
            name_ref *names = lc_calloc(c->env, n_props, sizeof *names);
            if (!names) lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory building a key rule");
            for (size_t i = 0; names && i < n_props; i++) names[i] = (name_ref){props[i].key, props[i].key_len};
            lc_bytes body = {0};
            if (names) not_strings(c, names, n_props, &body);
            tmp.len = 0;
            lc_js_put(c, &tmp, sub.data, sub.len);
            lc_js_puts(c, &tmp, "-k");
            if (!c->st) lc_js_add_rule(c, tmp.data, tmp.len, body.data, body.len, &key_rule);
            lc_js_bytes_free(c, &body);
            lc_free(c->env, names);
        }
        lc_js_put(c, &kv_body, key_rule.data, key_rule.len);
        lc_js_puts(c, &kv_body, " \":\" space ");
        lc_js_put(c, &kv_body, value.data, value.len);
        tmp.len = 0;
        lc_js_put(c, &tmp, sub.data, sub.len);
        lc_js_puts(c, &tmp, "-kv");
        e[n_props] = (entry){"*", 1, {0}, n_props};
        if (!c->st) lc_js_add_rule(c, tmp.data, tmp.len, kv_body.data, kv_body.len, &e[n_props].kv);
        opt[m++] = n_props;
        lc_js_bytes_free(c, &sub);
        lc_js_bytes_free(c, &value);
        lc_js_bytes_free(c, &key_rule);
        lc_js_bytes_free(c, &tmp);
        lc_js_bytes_free(c, &kv_body);
    }
    if (!c->st) link_duplicates(c, e, n);

    lc_js_puts(c, out, "\"{\" space ");
    for (size_t i = 0; i < n_req && !c->st; i++) {
        if (i > 0) lc_js_puts(c, out, " \",\" space ");
        const lc_bytes *kv = &e[e[req[i]].final].kv;
        lc_js_put(c, out, kv->data, kv->len);
    }
    if (m > 0 && !c->st) {
        /* Rest rules from the last optional property backwards: the order
         * in which the peer's recursion first creates them. */
        for (size_t j = m - 1; j-- > 0 && !c->st;) {
            lc_bytes rest_name = {0}, body = {0};
            lc_js_put_child(c, &rest_name, name, name_len, e[opt[j]].key, e[opt[j]].key_len);
            lc_js_puts(c, &rest_name, "-rest");
            optional_text(c, e, opt, rest, m, j + 1, true, &body);
            if (!c->st) lc_js_add_rule(c, rest_name.data, rest_name.len, body.data, body.len, &rest[j]);
            lc_js_bytes_free(c, &rest_name);
            lc_js_bytes_free(c, &body);
        }
        lc_js_puts(c, out, " (");
        if (n_req > 0) lc_js_puts(c, out, " \",\" space ( ");
        for (size_t i = 0; i < m && !c->st; i++) {
            if (i > 0) lc_js_puts(c, out, " | ");
            optional_text(c, e, opt, rest, m, i, false, out);
        }
        if (n_req > 0) lc_js_puts(c, out, " )");
        lc_js_puts(c, out, " )?");
    }
    lc_js_puts(c, out, " \"}\" space");
    for (size_t i = 0; e && i < n; i++) lc_js_bytes_free(c, &e[i].kv);
    for (size_t i = 0; rest && i < n; i++) lc_js_bytes_free(c, &rest[i]);
    lc_free(c->env, e);
    lc_free(c->env, req);
    lc_free(c->env, opt);
    lc_free(c->env, rest);
}
