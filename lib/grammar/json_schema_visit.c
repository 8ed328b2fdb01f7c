/* The schema walk: the peer's SchemaConverter::visit (llama.cpp's
 * json-schema-to-grammar.cpp at c392e50), branch for branch and in its
 * order, plus its resolve_refs check. The walk recurses per subschema,
 * bounded by LC_JS_MAX_VISIT_DEPTH (which also ends $ref and allOf
 * chains that loop), so a schema cannot drive it deep. */
#include "json_schema_private.h"

#include "common/escape.h"
#include "common/sort.h"

#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static bool is_str(const lc_json *v, const char *s) {
    size_t n;
    const char *t = lc_js_string(v, &n);
    return t && lc_js_str_eq(t, n, s, strlen(s));
}

/* nlohmann's empty(): null, {} and []. */
static bool is_empty(const lc_json *v) {
    lc_json_kind k = lc_js_kind(v);
    return !v || k == LC_JSON_NULL || ((k == LC_JSON_ARRAY || k == LC_JSON_OBJECT) && lc_js_count(v) == 0);
}

static void fail_key(lc_js *c, llamac_status st, const char *key, const char *what) {
    lc_js_fail(c, st, "\"%s\" %s", key, what);
}

/* An integer count (minItems, maxLength, ...): 0..LC_JS_MAX_COUNT. */
static bool get_count(lc_js *c, const lc_json *v, const char *key, int64_t *out) {
    double x = lc_js_number(v);
    if (lc_js_kind(v) != LC_JSON_NUMBER || x != floor(x) || x < 0)
        return fail_key(c, LLAMAC_ERR_FORMAT, key, "must be a non-negative integer"), false;
    if (x > LC_JS_MAX_COUNT)
        return lc_js_fail(c, LLAMAC_ERR_LIMIT, "\"%s\" is above %d", key, LC_JS_MAX_COUNT), false;
    *out = (int64_t)x;
    return true;
}

/* A bound of an integer range: a 32-bit integer, as the peer reads it. */
static bool get_int(lc_js *c, const lc_json *v, const char *key, int64_t *out) {
    double x = lc_js_number(v);
    if (lc_js_kind(v) != LC_JSON_NUMBER || x != floor(x))
        return fail_key(c, LLAMAC_ERR_FORMAT, key, "must be an integer for \"type\": \"integer\""), false;
    if (x < INT32_MIN || x > INT32_MAX)
        return fail_key(c, LLAMAC_ERR_LIMIT, key, "is outside the 32-bit integers (-2147483648..2147483647)"), false;
    *out = (int64_t)x;
    return true;
}

static void put_name(lc_js *c, lc_bytes *b, const char *s, size_t n) {
    lc_js_put(c, b, s, n);
    if (!b->data) lc_js_put(c, b, "", 0);
}

/* ---- $ref ---- */

const lc_json *lc_js_resolve_pointer(lc_js *c, const char *ref, size_t len) {
    char quoted[96];
    if (len < 2 || ref[0] != '#' || ref[1] != '/') {
        lc_js_fail(c, LLAMAC_ERR_UNSUPPORTED, "unsupported $ref '%s' (only \"#/...\" within the schema)",
                   lc_escape(quoted, sizeof quoted, ref, len));
        return NULL;
    }
    const lc_json *target = c->root;
    size_t i = 2;
    for (;;) {
        size_t j = i;
        while (j < len && ref[j] != '/') j++;
        const lc_json *next = NULL;
        for (size_t k = 0; k < lc_js_count(target) && lc_js_kind(target) == LC_JSON_OBJECT; k++) {
            size_t kn;
            const char *key = lc_json_key_at(target, k, &kn);
            if (lc_js_str_eq(key, kn, ref + i, j - i)) next = lc_js_at(target, k);
        }
        if (!next) {
            char seg[64];
            lc_js_fail(c, LLAMAC_ERR_FORMAT, "error resolving $ref '%s': '%s' not found",
                       lc_escape(quoted, sizeof quoted, ref, len), lc_escape(seg, sizeof seg, ref + i, j - i));
            return NULL;
        }
        target = next;
        if (j >= len) return target;
        i = j + 1;
    }
}

/* The peer's _resolve_ref: the rule named after the pointer's last
 * segment, visited once (a cycle refers to it by name). */
static void resolve_ref(lc_js *c, const char *ref, size_t len, lc_bytes *out) {
    size_t slash = len;
    while (slash > 0 && ref[slash - 1] != '/') slash--;
    const char *ref_name = ref + slash;
    const size_t ref_name_len = len - slash;
    bool resolving = false;
    for (size_t k = 0; k < c->n_resolving; k++)
        resolving |= lc_js_str_eq(c->resolving[k].ref, c->resolving[k].len, ref, len);
    if (lc_js_has_rule(c, ref_name, ref_name_len) || resolving || c->st) {
        put_name(c, out, ref_name, ref_name_len);
        return;
    }
    const lc_json *target = lc_js_resolve_pointer(c, ref, len);
    if (!target) return;
    if (lc_grow(c->env, &c->resolving, &c->cap_resolving, c->n_resolving + 1, sizeof *c->resolving)) {
        lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory resolving a $ref");
        return;
    }
    c->resolving[c->n_resolving++] = (lc_js_ref){ref, len};
    lc_js_visit(c, target, ref_name, ref_name_len, out);
    c->n_resolving--;
}

/* ---- unions ---- */

static void visit_typed(lc_js *c, const lc_json *schema, const lc_json *type, const char *name, size_t name_len,
                        lc_bytes *out);

/* Alternative i named NAME-i (or alternative-i at the top). type, when
 * not NULL, replaces each alternative's "type" (a list of types). */
static void union_rule(lc_js *c, const lc_json *alts, const lc_json *schema, const char *name, size_t name_len,
                       lc_bytes *out) {
    const size_t n = schema ? lc_js_count(lc_js_get(schema, "type")) : lc_js_count(alts);
    for (size_t i = 0; i < n && !c->st; i++) {
        if (i > 0) lc_js_puts(c, out, " | ");
        lc_bytes alt_name = {0};
        lc_js_put(c, &alt_name, name, name_len);
        lc_js_puts(c, &alt_name, name_len ? "-" : "alternative-");
        lc_js_putu(c, &alt_name, i);
        if (schema)
            visit_typed(c, schema, lc_js_at(lc_js_get(schema, "type"), i), alt_name.data, alt_name.len, out);
        else
            lc_js_visit(c, lc_js_at(alts, i), alt_name.data, alt_name.len, out);
        lc_js_bytes_free(c, &alt_name);
    }
}

/* ---- objects ---- */

static bool in_required(const lc_json *required, const char *key, size_t n) {
    for (size_t k = 0; k < lc_js_count(required) && lc_js_kind(required) == LC_JSON_ARRAY; k++) {
        size_t rn;
        const char *r = lc_js_string(lc_js_at(required, k), &rn);
        if (r && lc_js_str_eq(r, rn, key, n)) return true;
    }
    return false;
}

typedef struct props {
    lc_js_prop *v;
    bool *req;
    size_t n, cap, cap_req;
} props;

static bool add_props(lc_js *c, props *P, const lc_json *properties, bool required_all, const lc_json *required) {
    if (lc_js_kind(properties) != LC_JSON_OBJECT)
        return lc_js_fail(c, LLAMAC_ERR_FORMAT, "\"properties\" must be an object"), false;
    const size_t n = lc_js_count(properties);
    if (!lc_js_spend(c, n * (1 + lc_js_count(required)))) return false;
    if (lc_grow(c->env, &P->v, &P->cap, P->n + n, sizeof *P->v) ||
        lc_grow(c->env, &P->req, &P->cap_req, P->n + n, sizeof *P->req))
        return lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory reading properties"), false;
    for (size_t i = 0; i < n; i++) {
        size_t kn;
        const char *k = lc_json_key_at(properties, i, &kn);
        P->v[P->n] = (lc_js_prop){k, kn, lc_js_at(properties, i)};
        P->req[P->n++] = required_all || in_required(required, k, kn);
    }
    return true;
}

static void free_props(lc_js *c, props *P) {
    lc_free(c->env, P->v);
    lc_free(c->env, P->req);
}

/* allOf: the peer's add_component, following $ref to the properties. */
static void add_component(lc_js *c, props *P, const lc_json *comp, bool required, unsigned depth) {
    const lc_json *ref = lc_js_get(comp, "$ref");
    if (ref) {
        if (depth >= LC_JS_MAX_VISIT_DEPTH) {
            lc_js_fail(c, LLAMAC_ERR_LIMIT, "allOf: $ref chain longer than %d", LC_JS_MAX_VISIT_DEPTH);
            return;
        }
        size_t n;
        const char *s = lc_js_string(ref, &n);
        const lc_json *target = s ? lc_js_resolve_pointer(c, s, n) : NULL;
        if (target) add_component(c, P, target, required, depth + 1);
        return;
    }
    const lc_json *properties = lc_js_get(comp, "properties");
    if (properties) add_props(c, P, properties, required, NULL);
}

/* A key required by any component is required everywhere it appears (the
 * peer keeps a set of names): sort the keys, OR the flags of equal ones. */
typedef struct key_idx {
    const char *s;
    size_t n, i;
} key_idx;

static bool key_idx_less(const void *x, const void *y) {
    const key_idx *a = x, *b = y;
    size_t n = LC_MIN(a->n, b->n);
    int d = n ? memcmp(a->s, b->s, n) : 0;
    return d < 0 || (d == 0 && (a->n < b->n || (a->n == b->n && a->i < b->i)));
}

static void merge_required(lc_js *c, props *P) {
    if (P->n < 2 || c->st) return;
    key_idx *v = lc_calloc(c->env, P->n, sizeof *v);
    if (!v) {
        lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory merging allOf properties");
        return;
    }
    for (size_t i = 0; i < P->n; i++) v[i] = (key_idx){P->v[i].key, P->v[i].key_len, i};
    lc_heapsort(v, P->n, sizeof *v, key_idx_less);
    for (size_t lo = 0; lo < P->n;) {
        size_t hi = lo + 1;
        bool req = P->req[v[lo].i];
        while (hi < P->n && lc_js_str_eq(v[hi].s, v[hi].n, v[lo].s, v[lo].n)) req |= P->req[v[hi++].i];
        for (size_t k = lo; k < hi; k++) P->req[v[k].i] = req;
        lo = hi;
    }
    lc_free(c->env, v);
}

static void object_branch(lc_js *c, const lc_json *schema, const char *name, size_t name_len, const char *rule_name,
                          size_t rule_len, bool all_of, lc_bytes *out) {
    props P = {0};
    lc_bytes body = {0};
    if (!all_of) {
        const lc_json *properties = lc_js_get(schema, "properties");
        if (properties) add_props(c, &P, properties, false, lc_js_get(schema, "required"));
        if (!c->st)
            lc_js_object_rule(c, P.v, P.n, P.req, name, name_len, lc_js_get(schema, "additionalProperties"), &body);
    } else {
        const lc_json *all = lc_js_get(schema, "allOf");
        if (lc_js_kind(all) != LC_JSON_ARRAY) lc_js_fail(c, LLAMAC_ERR_FORMAT, "\"allOf\" must be an array");
        for (size_t i = 0; i < lc_js_count(all) && !c->st; i++) {
            const lc_json *t = lc_js_at(all, i), *any = lc_js_get(t, "anyOf");
            if (any) {
                for (size_t k = 0; k < lc_js_count(any) && lc_js_kind(any) == LC_JSON_ARRAY; k++)
                    add_component(c, &P, lc_js_at(any, k), false, c->depth);
            } else {
                add_component(c, &P, t, true, c->depth);
            }
        }
        merge_required(c, &P);
        if (!c->st) lc_js_object_rule(c, P.v, P.n, P.req, name, name_len, NULL, &body);
    }
    if (!c->st) lc_js_add_rule(c, rule_name, rule_len, body.data, body.len, out);
    lc_js_bytes_free(c, &body);
    free_props(c, &P);
}

/* ---- arrays ---- */

static void array_branch(lc_js *c, const lc_json *schema, const char *name, size_t name_len, const char *rule_name,
                         size_t rule_len, lc_bytes *out) {
    const lc_json *items = lc_js_get(schema, "items");
    if (!items) items = lc_js_get(schema, "prefixItems");
    lc_bytes body = {0};
    if (lc_js_kind(items) == LC_JSON_ARRAY) {
        lc_js_puts(c, &body, "\"[\" space ");
        for (size_t i = 0; i < lc_js_count(items) && !c->st; i++) {
            if (i > 0) lc_js_puts(c, &body, " \",\" space ");
            lc_bytes child = {0};
            char suffix[32];
            int sn = snprintf(suffix, sizeof suffix, "tuple-%zu", i);
            lc_js_put_child(c, &child, name, name_len, suffix, (size_t)sn);
            if (!c->st) lc_js_visit(c, lc_js_at(items, i), child.data, child.len, &body);
            lc_js_bytes_free(c, &child);
        }
        lc_js_puts(c, &body, " \"]\" space");
    } else {
        lc_bytes child = {0}, item = {0};
        lc_js_put_child(c, &child, name, name_len, "item", 4);
        if (!c->st) lc_js_visit(c, items, child.data, child.len, &item);
        int64_t min = 0, max = -1;
        const lc_json *jmin = lc_js_get(schema, "minItems"), *jmax = lc_js_get(schema, "maxItems");
        if (jmin) get_count(c, jmin, "minItems", &min);
        /* The peer takes maxItems only when it is an integer. */
        if (lc_js_kind(jmax) == LC_JSON_NUMBER && lc_js_number(jmax) == floor(lc_js_number(jmax)))
            get_count(c, jmax, "maxItems", &max);
        if (max >= 0 && min > max) lc_js_fail(c, LLAMAC_ERR_FORMAT, "\"minItems\" is above \"maxItems\"");
        lc_js_puts(c, &body, "\"[\" space ");
        if (!c->st) lc_js_repetition(c, &body, item.data, item.len, min, max, "\",\" space");
        lc_js_puts(c, &body, " \"]\" space");
        lc_js_bytes_free(c, &child);
        lc_js_bytes_free(c, &item);
    }
    if (!c->st) lc_js_add_rule(c, rule_name, rule_len, body.data, body.len, out);
    lc_js_bytes_free(c, &body);
}

/* ---- strings and integers ---- */

static bool uuid_format(const char *f, size_t n) {
    return (n == 4 || (n == 5 && f[4] >= '1' && f[4] <= '5')) && memcmp(f, "uuid", 4) == 0;
}

static void string_length_branch(lc_js *c, const lc_json *schema, const char *rule_name, size_t rule_len,
                                 lc_bytes *out) {
    lc_bytes ch = {0}, body = {0};
    int64_t min = 0, max = -1;
    const lc_json *jmin = lc_js_get(schema, "minLength"), *jmax = lc_js_get(schema, "maxLength");
    if (jmin) get_count(c, jmin, "minLength", &min);
    if (jmax) get_count(c, jmax, "maxLength", &max);
    if (max >= 0 && min > max) lc_js_fail(c, LLAMAC_ERR_FORMAT, "\"minLength\" is above \"maxLength\"");
    lc_js_add_primitive(c, "char", 4, "char", &ch);
    lc_js_puts(c, &body, "\"\\\"\" ");
    if (!c->st) lc_js_repetition(c, &body, ch.data, ch.len, min, max, NULL);
    lc_js_puts(c, &body, " \"\\\"\" space");
    if (!c->st) lc_js_add_rule(c, rule_name, rule_len, body.data, body.len, out);
    lc_js_bytes_free(c, &ch);
    lc_js_bytes_free(c, &body);
}

static void integer_range_branch(lc_js *c, const lc_json *schema, const char *rule_name, size_t rule_len,
                                 lc_bytes *out) {
    /* INT32_MIN and INT32_MAX mean "no bound", as in the peer. */
    int64_t min = INT32_MIN, max = INT32_MAX, v;
    const lc_json *j;
    if ((j = lc_js_get(schema, "minimum"))) {
        if (get_int(c, j, "minimum", &v)) min = v;
    } else if ((j = lc_js_get(schema, "exclusiveMinimum"))) {
        if (get_int(c, j, "exclusiveMinimum", &v)) min = v + 1;
    }
    if ((j = lc_js_get(schema, "maximum"))) {
        if (get_int(c, j, "maximum", &v)) max = v;
    } else if ((j = lc_js_get(schema, "exclusiveMaximum"))) {
        if (get_int(c, j, "exclusiveMaximum", &v)) max = v - 1;
    }
    const bool has_min = min != INT32_MIN, has_max = max != INT32_MAX;
    if (c->st) return;
    if (!has_min && !has_max) {
        lc_js_fail(c, LLAMAC_ERR_FORMAT, "an integer range needs a minimum or a maximum other than the 32-bit ends");
        return;
    }
    if (has_min && has_max && min > max) {
        lc_js_fail(c, LLAMAC_ERR_FORMAT, "integer range: the minimum %lld is above the maximum %lld", (long long)min,
                   (long long)max);
        return;
    }
    lc_bytes body = {0};
    lc_js_putc(c, &body, '(');
    lc_js_int_range(c, &body, has_min, min, has_max, max);
    lc_js_puts(c, &body, ") space");
    if (!c->st) lc_js_add_rule(c, rule_name, rule_len, body.data, body.len, out);
    lc_js_bytes_free(c, &body);
}

/* ---- visit ---- */

static void const_rule(lc_js *c, const lc_json *v, lc_bytes *out) {
    lc_bytes dumped = {0};
    lc_js_put_dump(c, &dumped, v);
    lc_js_put_literal(c, out, dumped.data, dumped.len);
    lc_js_bytes_free(c, &dumped);
}

static void visit_branches(lc_js *c, const lc_json *schema, const lc_json *type, const char *name, size_t name_len,
                           const char *rule_name, size_t rule_len, lc_bytes *out) {
    const bool type_none = !type, type_object = is_str(type, "object");
    size_t fmt_len = 0;
    const char *fmt = "";
    const lc_json *jfmt = lc_js_get(schema, "format");
    if (jfmt) {
        fmt = lc_js_string(jfmt, &fmt_len);
        if (!fmt) {
            lc_js_fail(c, LLAMAC_ERR_FORMAT, "\"format\" must be a string");
            return;
        }
    }
    const lc_json *j;
    lc_bytes body = {0};
    if ((j = lc_js_get(schema, "$ref"))) {
        size_t n;
        const char *ref = lc_js_string(j, &n);
        if (!ref) {
            lc_js_fail(c, LLAMAC_ERR_FORMAT, "\"$ref\" must be a string");
            return;
        }
        resolve_ref(c, ref, n, &body);
    } else if ((j = lc_js_get(schema, "oneOf")) || (j = lc_js_get(schema, "anyOf"))) {
        if (lc_js_kind(j) != LC_JSON_ARRAY) {
            lc_js_fail(c, LLAMAC_ERR_FORMAT, "\"oneOf\" and \"anyOf\" must be arrays");
            return;
        }
        union_rule(c, j, NULL, name, name_len, &body);
    } else if (lc_js_kind(type) == LC_JSON_ARRAY) {
        union_rule(c, NULL, schema, name, name_len, &body);
    } else if ((j = lc_js_get(schema, "const"))) {
        const_rule(c, j, &body);
        lc_js_puts(c, &body, " space");
    } else if ((j = lc_js_get(schema, "enum"))) {
        lc_js_putc(c, &body, '(');
        const bool many = lc_js_kind(j) == LC_JSON_ARRAY || lc_js_kind(j) == LC_JSON_OBJECT;
        const size_t n = many ? lc_js_count(j) : 1;
        for (size_t i = 0; i < n && !c->st; i++) {
            if (i) lc_js_puts(c, &body, " | ");
            const_rule(c, many ? lc_js_at(j, i) : j, &body);
        }
        lc_js_puts(c, &body, ") space");
    } else if ((type_none || type_object) &&
               (lc_js_get(schema, "properties") ||
                ((j = lc_js_get(schema, "additionalProperties")) &&
                 !(lc_js_kind(j) == LC_JSON_BOOL && lc_js_bool(j))))) {
        object_branch(c, schema, name, name_len, rule_name, rule_len, false, out);
        return;
    } else if ((type_none || type_object) && lc_js_get(schema, "allOf")) {
        object_branch(c, schema, name, name_len, rule_name, rule_len, true, out);
        return;
    } else if ((type_none || is_str(type, "array")) &&
               (lc_js_get(schema, "items") || lc_js_get(schema, "prefixItems"))) {
        array_branch(c, schema, name, name_len, rule_name, rule_len, out);
        return;
    } else if ((type_none || is_str(type, "string")) && (j = lc_js_get(schema, "pattern"))) {
        size_t n;
        const char *p = lc_js_string(j, &n);
        if (!p)
            lc_js_fail(c, LLAMAC_ERR_FORMAT, "\"pattern\" must be a string");
        else
            lc_js_pattern(c, p, n, rule_name, rule_len, out);
        return;
    } else if ((type_none || is_str(type, "string")) && uuid_format(fmt, fmt_len)) {
        const bool root = lc_js_str_eq(rule_name, rule_len, "root", 4);
        lc_js_add_primitive(c, root ? "root" : fmt, root ? 4 : fmt_len, "uuid", out);
        return;
    } else if ((type_none || is_str(type, "string")) && lc_js_is_string_format(fmt, fmt_len)) {
        char prim[32];
        snprintf(prim, sizeof prim, "%s-string", fmt);
        lc_js_add_primitive(c, prim, strlen(prim), prim, &body);
    } else if (is_str(type, "string") && (lc_js_get(schema, "minLength") || lc_js_get(schema, "maxLength"))) {
        string_length_branch(c, schema, rule_name, rule_len, out);
        return;
    } else if (is_str(type, "integer") &&
               (lc_js_get(schema, "minimum") || lc_js_get(schema, "exclusiveMinimum") ||
                lc_js_get(schema, "maximum") || lc_js_get(schema, "exclusiveMaximum"))) {
        integer_range_branch(c, schema, rule_name, rule_len, out);
        return;
    } else if ((is_empty(schema) && !type) || type_object) {
        lc_js_add_primitive(c, "object", 6, "object", &body);
    } else {
        size_t tn;
        const char *t = lc_js_string(type, &tn);
        if (!t || !lc_js_is_primitive(t, tn)) {
            lc_bytes dumped = {0};
            lc_js_put_dump(c, &dumped, schema);
            char quoted[160];
            if (!c->st)
                lc_js_fail(c, LLAMAC_ERR_FORMAT, "Unrecognized schema: %s",
                           lc_escape(quoted, sizeof quoted, dumped.data, dumped.len));
            lc_js_bytes_free(c, &dumped);
            return;
        }
        const bool root = lc_js_str_eq(rule_name, rule_len, "root", 4);
        lc_js_add_primitive(c, root ? "root" : t, root ? 4 : tn, t, out);
        return;
    }
    if (!c->st) lc_js_add_rule(c, rule_name, rule_len, body.data, body.len, out);
    lc_js_bytes_free(c, &body);
}

static void visit_typed(lc_js *c, const lc_json *schema, const lc_json *type, const char *name, size_t name_len,
                        lc_bytes *out) {
    if (c->st) return;
    if (c->depth >= LC_JS_MAX_VISIT_DEPTH) {
        lc_js_fail(c, LLAMAC_ERR_LIMIT, "subschemas nested deeper than %d (counting $ref and type lists)",
                   LC_JS_MAX_VISIT_DEPTH);
        return;
    }
    if (!lc_js_spend(c, 16)) return;
    c->depth++;
    lc_bytes rule_name = {0};
    if (lc_js_is_reserved(name, name_len)) {
        lc_js_put(c, &rule_name, name, name_len);
        lc_js_putc(c, &rule_name, '-');
    } else if (name_len == 0) {
        lc_js_puts(c, &rule_name, "root");
    } else {
        lc_js_put(c, &rule_name, name, name_len);
    }
    if (!c->st) visit_branches(c, schema, type, name, name_len, rule_name.data, rule_name.len, out);
    lc_js_bytes_free(c, &rule_name);
    c->depth--;
}

void lc_js_visit(lc_js *c, const lc_json *schema, const char *name, size_t name_len, lc_bytes *out) {
    visit_typed(c, schema, lc_js_get(schema, "type"), name, name_len, out);
}

/* ---- the check before the walk ---- */

typedef struct key_ref {
    const char *s;
    size_t n;
} key_ref;

static bool key_less(const void *x, const void *y) {
    const key_ref *a = x, *b = y;
    size_t n = LC_MIN(a->n, b->n);
    int d = n ? memcmp(a->s, b->s, n) : 0;
    return d < 0 || (d == 0 && a->n < b->n);
}

static void check_duplicates(lc_js *c, const lc_json *obj, key_ref **keys, size_t *cap) {
    const size_t n = lc_js_count(obj);
    if (n < 2) return;
    if (lc_grow(c->env, keys, cap, n, sizeof **keys)) {
        lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory checking the schema");
        return;
    }
    for (size_t i = 0; i < n; i++) (*keys)[i].s = lc_json_key_at(obj, i, &(*keys)[i].n);
    lc_heapsort(*keys, n, sizeof **keys, key_less);
    for (size_t i = 1; i < n; i++) {
        if (lc_js_str_eq((*keys)[i].s, (*keys)[i].n, (*keys)[i - 1].s, (*keys)[i - 1].n)) {
            char quoted[96];
            lc_js_fail(c, LLAMAC_ERR_FORMAT, "duplicate key '%s' in an object",
                       lc_escape(quoted, sizeof quoted, (*keys)[i].s, (*keys)[i].n));
            return;
        }
    }
}

typedef struct walk_item {
    const lc_json *v;
    bool under_ref; /* inside an object holding $ref: the peer does not look there */
} walk_item;

void lc_js_check_schema(lc_js *c) {
    walk_item *stack = NULL;
    key_ref *keys = NULL;
    size_t n = 0, cap = 0, keys_cap = 0;
    if (lc_grow(c->env, &stack, &cap, 1, sizeof *stack)) {
        lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory checking the schema");
        return;
    }
    stack[n++] = (walk_item){c->root, false};
    while (n > 0 && !c->st) {
        walk_item w = stack[--n];
        lc_json_kind k = lc_js_kind(w.v);
        if (k != LC_JSON_OBJECT && k != LC_JSON_ARRAY) continue;
        bool under_ref = w.under_ref;
        if (k == LC_JSON_OBJECT) {
            check_duplicates(c, w.v, &keys, &keys_cap);
            const lc_json *ref = lc_js_get(w.v, "$ref");
            if (ref && !under_ref) {
                size_t rn;
                const char *s = lc_js_string(ref, &rn);
                if (!s)
                    lc_js_fail(c, LLAMAC_ERR_FORMAT, "\"$ref\" must be a string");
                else
                    lc_js_resolve_pointer(c, s, rn);
                under_ref = true;
            }
        }
        const size_t m = lc_js_count(w.v);
        if (lc_grow(c->env, &stack, &cap, n + m, sizeof *stack)) {
            lc_js_fail(c, LLAMAC_ERR_NO_MEMORY, "out of memory checking the schema");
            break;
        }
        for (size_t i = m; i-- > 0;) stack[n++] = (walk_item){lc_js_at(w.v, i), under_ref};
    }
    lc_free(c->env, stack);
    lc_free(c->env, keys);
}
