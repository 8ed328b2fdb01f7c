/* Values: construction, Python's truthiness, equality and ordering, and
 * their printing as Python's str(), repr() and json.dumps() print them. */
#include "jinja.h"

#include "common/json.h"
#include "common/unicode.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

jv jv_cstr(const char *s) { return jv_str(s, strlen(s)); }

jv jv_strcopy(jctx *c, const char *p, size_t n) { return jv_str(jstrdup(c, p, n), n); }

jv jv_list_new(jctx *c, size_t cap) {
    jv v = {.k = JV_LIST};
    v.u.l = jalloc(c, sizeof *v.u.l);
    if (cap) {
        v.u.l->v = jalloc_array(c, cap, sizeof(jv));
        v.u.l->cap = cap;
    }
    return v;
}

jv jv_dict_new(jctx *c, size_t cap) {
    jv v = {.k = JV_DICT};
    v.u.d = jalloc(c, sizeof *v.u.d);
    if (cap) {
        v.u.d->key = jalloc_array(c, cap, sizeof(jv));
        v.u.d->val = jalloc_array(c, cap, sizeof(jv));
        v.u.d->cap = cap;
    }
    return v;
}

void jlist_push(jctx *c, jlist *l, jv v) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        jv *nv = jalloc_array(c, cap, sizeof *nv);
        if (l->n) memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
}

jv *jdict_find(jctx *c, const jdict *d, jv key) {
    for (size_t i = 0; i < d->n; i++) {
        if ((i & 63) == 63) jstep(c, NULL);
        if (jv_equal(c, &d->key[i], &key)) return &d->val[i];
    }
    return NULL;
}

jv *jdict_find_str(jctx *c, const jdict *d, const char *key, size_t n) {
    for (size_t i = 0; i < d->n; i++) {
        if ((i & 63) == 63) jstep(c, NULL);
        const jv *k = &d->key[i];
        if (k->k == JV_STR && k->u.s.n == n && memcmp(k->u.s.p, key, n) == 0) return &d->val[i];
    }
    return NULL;
}

void jdict_set(jctx *c, jdict *d, jv key, jv val) {
    jv *old = jdict_find(c, d, key);
    if (old) {
        *old = val;
        return;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        jv *k = jalloc_array(c, cap, sizeof *k), *v = jalloc_array(c, cap, sizeof *v);
        if (d->n) {
            memcpy(k, d->key, d->n * sizeof *k);
            memcpy(v, d->val, d->n * sizeof *v);
        }
        d->key = k;
        d->val = v;
        d->cap = cap;
    }
    d->key[d->n] = key;
    d->val[d->n++] = val;
}

bool jv_is_seq(const jv *v) { return v->k == JV_LIST || v->k == JV_TUPLE; }
bool jv_is_num(const jv *v) { return v->k == JV_INT || v->k == JV_FLOAT || v->k == JV_BOOL; }
double jv_num(const jv *v) {
    return v->k == JV_FLOAT ? v->u.f : v->k == JV_INT ? (double)v->u.i : v->k == JV_BOOL ? (double)v->u.b : 0.0;
}

bool jv_truthy(const jv *v) {
    switch (v->k) {
    case JV_UNDEF:
    case JV_NONE: return false;
    case JV_BOOL: return v->u.b;
    case JV_INT: return v->u.i != 0;
    case JV_FLOAT: return v->u.f != 0.0;
    case JV_STR: return v->u.s.n != 0;
    case JV_LIST:
    case JV_TUPLE: return v->u.l->n != 0;
    case JV_DICT: return v->u.d->n != 0;
    default: return true;
    }
}

const char *jv_type_name(const jv *v) {
    static const char *const names[] = {"Undefined", "NoneType", "bool", "int", "float", "str", "list", "tuple",
                                        "dict", "Namespace", "Macro", "function", "method", "LoopContext", "object"};
    return v->k < sizeof names / sizeof names[0] ? names[v->k] : "object";
}

bool jv_equal(jctx *c, const jv *a, const jv *b) {
    if (jv_is_num(a) && jv_is_num(b)) {
        if (a->k != JV_FLOAT && b->k != JV_FLOAT) {
            int64_t x = a->k == JV_INT ? a->u.i : a->u.b, y = b->k == JV_INT ? b->u.i : b->u.b;
            return x == y;
        }
        return jv_num(a) == jv_num(b);
    }
    if (a->k != b->k) {
        if (jv_is_seq(a) && jv_is_seq(b)) return false; /* [1] != (1,) in Python */
        return false;
    }
    switch (a->k) {
    case JV_UNDEF:
    case JV_NONE: return true;
    case JV_STR: return a->u.s.n == b->u.s.n && memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
    case JV_LIST:
    case JV_TUPLE: {
        if (a->u.l->n != b->u.l->n) return false;
        jdepth_enter(c, c->cur_line, c->cur_col);
        bool eq = true;
        for (size_t i = 0; eq && i < a->u.l->n; i++) eq = jv_equal(c, &a->u.l->v[i], &b->u.l->v[i]);
        jdepth_leave(c);
        return eq;
    }
    case JV_DICT: {
        if (a->u.d->n != b->u.d->n) return false;
        jdepth_enter(c, c->cur_line, c->cur_col);
        bool eq = true;
        for (size_t i = 0; eq && i < a->u.d->n; i++) {
            const jv *o = jdict_find(c, b->u.d, a->u.d->key[i]);
            eq = o && jv_equal(c, &a->u.d->val[i], o);
        }
        jdepth_leave(c);
        return eq;
    }
    case JV_NS: return a->u.d == b->u.d;
    case JV_MACRO: return a->u.m == b->u.m;
    case JV_FUNC: return a->u.fn == b->u.fn;
    default: return false;
    }
}

int jv_compare(jctx *c, const jnode *at, const jv *a, const jv *b) {
    if (jv_is_num(a) && jv_is_num(b)) {
        if (a->k != JV_FLOAT && b->k != JV_FLOAT) {
            int64_t x = a->k == JV_INT ? a->u.i : a->u.b, y = b->k == JV_INT ? b->u.i : b->u.b;
            return x < y ? -1 : x > y;
        }
        double x = jv_num(a), y = jv_num(b);
        return x < y ? -1 : x > y;
    }
    if (a->k == JV_STR && b->k == JV_STR) {
        size_t n = LC_MIN(a->u.s.n, b->u.s.n);
        int r = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
        if (r) return r < 0 ? -1 : 1;
        return a->u.s.n < b->u.s.n ? -1 : a->u.s.n > b->u.s.n;
    }
    if (jv_is_seq(a) && a->k == b->k) {
        jdepth_enter(c, at ? at->line : c->cur_line, at ? at->col : c->cur_col);
        size_t n = LC_MIN(a->u.l->n, b->u.l->n);
        for (size_t i = 0; i < n; i++) {
            if (jv_equal(c, &a->u.l->v[i], &b->u.l->v[i])) continue;
            int r = jv_compare(c, at, &a->u.l->v[i], &b->u.l->v[i]);
            jdepth_leave(c);
            return r;
        }
        jdepth_leave(c);
        return a->u.l->n < b->u.l->n ? -1 : a->u.l->n > b->u.l->n;
    }
    jfail_at(c, at, "cannot compare '%s' with '%s'", jv_type_name(a), jv_type_name(b));
}

/* ---- printing ---- */

void jfloat_repr(double x, char *buf, size_t size) {
    if (lc_python_float_repr(x, buf, size)) snprintf(buf, size, "%.17g", x);
}

static void put_int(jctx *c, jbuf *b, int64_t i) {
    char tmp[32];
    int k = snprintf(tmp, sizeof tmp, "%lld", (long long)i);
    jbuf_put(c, b, tmp, (size_t)k);
}

static void put_float(jctx *c, jbuf *b, double f) {
    char tmp[48];
    jfloat_repr(f, tmp, sizeof tmp);
    jbuf_puts(c, b, tmp);
}

/* Python's repr of a str: quotes chosen as Python chooses them. */
static void put_str_repr(jctx *c, jbuf *b, const char *s, size_t n) {
    bool has_single = memchr(s, '\'', n) != NULL, has_double = memchr(s, '"', n) != NULL;
    const char q = has_single && !has_double ? '"' : '\'';
    jbuf_put(c, b, &q, 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char ch = (unsigned char)s[i];
        char esc[8];
        const char *e = NULL;
        size_t k = 2;
        if (ch == '\\') e = "\\\\";
        else if (ch == (unsigned char)q) e = q == '\'' ? "\\'" : "\\\"";
        else if (ch == '\n') e = "\\n";
        else if (ch == '\r') e = "\\r";
        else if (ch == '\t') e = "\\t";
        else if (ch < 0x20 || ch == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", ch);
            e = esc;
            k = 4;
        } else if (ch == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0xa0) {
            /* C1 controls and NBSP: Python prints them as \x80..\xa0 */
            snprintf(esc, sizeof esc, "\\x%02x", (unsigned char)s[i + 1]);
            jbuf_put(c, b, s + run, i - run);
            jbuf_put(c, b, esc, 4);
            i++;
            run = i + 1;
            continue;
        }
        if (!e) continue;
        jbuf_put(c, b, s + run, i - run);
        jbuf_put(c, b, e, k);
        run = i + 1;
    }
    jbuf_put(c, b, s + run, n - run);
    jbuf_put(c, b, &q, 1);
}

static void write_any(jctx *c, jbuf *b, const jv *v, const jnode *at, bool repr) {
    switch (v->k) {
    case JV_UNDEF: return;
    case JV_NONE: jbuf_puts(c, b, "None"); return;
    case JV_BOOL: jbuf_puts(c, b, v->u.b ? "True" : "False"); return;
    case JV_INT: put_int(c, b, v->u.i); return;
    case JV_FLOAT: put_float(c, b, v->u.f); return;
    case JV_STR:
        if (repr) put_str_repr(c, b, v->u.s.p, v->u.s.n);
        else jbuf_put(c, b, v->u.s.p, v->u.s.n);
        return;
    case JV_LIST:
    case JV_TUPLE: {
        jdepth_enter(c, at ? at->line : c->cur_line, at ? at->col : c->cur_col);
        const bool tuple = v->k == JV_TUPLE;
        jbuf_puts(c, b, tuple ? "(" : "[");
        for (size_t i = 0; i < v->u.l->n; i++) {
            if (i) jbuf_puts(c, b, ", ");
            jstep(c, at);
            write_any(c, b, &v->u.l->v[i], at, true);
        }
        if (tuple && v->u.l->n == 1) jbuf_puts(c, b, ",");
        jbuf_puts(c, b, tuple ? ")" : "]");
        jdepth_leave(c);
        return;
    }
    case JV_DICT:
    case JV_NS: {
        jdepth_enter(c, at ? at->line : c->cur_line, at ? at->col : c->cur_col);
        jbuf_puts(c, b, v->k == JV_NS ? "<Namespace {" : "{");
        for (size_t i = 0; i < v->u.d->n; i++) {
            if (i) jbuf_puts(c, b, ", ");
            jstep(c, at);
            write_any(c, b, &v->u.d->key[i], at, true);
            jbuf_puts(c, b, ": ");
            write_any(c, b, &v->u.d->val[i], at, true);
        }
        jbuf_puts(c, b, v->k == JV_NS ? "}>" : "}");
        jdepth_leave(c);
        return;
    }
    case JV_MACRO: jbuf_puts(c, b, "<Macro>"); return;
    case JV_FUNC: jbuf_puts(c, b, "<function>"); return;
    case JV_METHOD: jbuf_puts(c, b, "<built-in method>"); return;
    case JV_LOOP: jbuf_puts(c, b, "<LoopContext>"); return;
    default: jbuf_puts(c, b, "<object>"); return;
    }
}

void jv_write_str(jctx *c, jbuf *b, const jv *v, const jnode *at) { write_any(c, b, v, at, false); }
void jv_write_repr(jctx *c, jbuf *b, const jv *v, const jnode *at) { write_any(c, b, v, at, true); }

jv jv_to_string(jctx *c, const jv *v, const jnode *at) {
    if (v->k == JV_STR) return *v;
    jbuf b = {0};
    jv_write_str(c, &b, v, at);
    return jv_str(b.p ? b.p : "", b.n);
}

/* ---- JSON ---- */

static void json_string(jctx *c, jbuf *b, const char *s, size_t n) {
    jbuf_puts(c, b, "\"");
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
        char esc[8];
        const char *e = ch == '"' ? "\\\"" : ch == '\\' ? "\\\\" : ch == '\n' ? "\\n" : ch == '\r' ? "\\r"
                      : ch == '\t' ? "\\t" : ch == '\b' ? "\\b" : ch == '\f' ? "\\f" : NULL;
        if (!e) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            e = esc;
        }
        jbuf_put(c, b, s + run, i - run);
        jbuf_puts(c, b, e);
        run = i + 1;
    }
    jbuf_put(c, b, s + run, n - run);
    jbuf_puts(c, b, "\"");
}

static void json_number(jctx *c, jbuf *b, const jv *v) {
    if (v->k == JV_INT) {
        put_int(c, b, v->u.i);
    } else if (v->k == JV_BOOL) {
        jbuf_puts(c, b, v->u.b ? "true" : "false");
    } else if (isnan(v->u.f)) {
        jbuf_puts(c, b, "NaN");
    } else if (isinf(v->u.f)) {
        jbuf_puts(c, b, v->u.f < 0 ? "-Infinity" : "Infinity");
    } else {
        put_float(c, b, v->u.f);
    }
}

static void json_newline(jctx *c, jbuf *b, int indent, size_t depth) {
    jbuf_puts(c, b, "\n");
    for (size_t i = 0; i < depth; i++)
        for (int k = 0; k < indent; k++) jbuf_put(c, b, " ", 1);
}

static void json_any(jctx *c, jbuf *b, const jv *v, int indent, bool sort_keys, const jnode *at, size_t depth);

static void json_key(jctx *c, jbuf *b, const jv *k, const jnode *at) {
    switch (k->k) {
    case JV_STR: json_string(c, b, k->u.s.p, k->u.s.n); return;
    case JV_NONE: jbuf_puts(c, b, "\"null\""); return;
    case JV_BOOL:
    case JV_INT:
    case JV_FLOAT:
        jbuf_puts(c, b, "\"");
        json_number(c, b, k);
        jbuf_puts(c, b, "\"");
        return;
    default: jfail_at(c, at, "tojson: keys must be str, int, float, bool or None, not %s", jv_type_name(k));
    }
}

static void json_any(jctx *c, jbuf *b, const jv *v, int indent, bool sort_keys, const jnode *at, size_t depth) {
    jstep(c, at);
    switch (v->k) {
    case JV_NONE: jbuf_puts(c, b, "null"); return;
    case JV_BOOL:
    case JV_INT:
    case JV_FLOAT: json_number(c, b, v); return;
    case JV_STR: json_string(c, b, v->u.s.p, v->u.s.n); return;
    case JV_LIST:
    case JV_TUPLE: {
        if (v->u.l->n == 0) {
            jbuf_puts(c, b, "[]");
            return;
        }
        jdepth_enter(c, at ? at->line : c->cur_line, at ? at->col : c->cur_col);
        jbuf_puts(c, b, "[");
        for (size_t i = 0; i < v->u.l->n; i++) {
            if (i) jbuf_puts(c, b, indent >= 0 ? "," : ", ");
            if (indent >= 0) json_newline(c, b, indent, depth + 1);
            json_any(c, b, &v->u.l->v[i], indent, sort_keys, at, depth + 1);
        }
        if (indent >= 0) json_newline(c, b, indent, depth);
        jbuf_puts(c, b, "]");
        jdepth_leave(c);
        return;
    }
    case JV_DICT: {
        const jdict *d = v->u.d;
        if (d->n == 0) {
            jbuf_puts(c, b, "{}");
            return;
        }
        jdepth_enter(c, at ? at->line : c->cur_line, at ? at->col : c->cur_col);
        size_t *order = jalloc_array(c, d->n, sizeof *order);
        for (size_t i = 0; i < d->n; i++) order[i] = i;
        if (sort_keys) /* insertion sort: small dicts; steps bound the rest */
            for (size_t i = 1; i < d->n; i++)
                for (size_t j = i; j > 0 && jv_compare(c, at, &d->key[order[j - 1]], &d->key[order[j]]) > 0; j--) {
                    jstep(c, at);
                    size_t t = order[j];
                    order[j] = order[j - 1];
                    order[j - 1] = t;
                }
        jbuf_puts(c, b, "{");
        for (size_t i = 0; i < d->n; i++) {
            if (i) jbuf_puts(c, b, indent >= 0 ? "," : ", ");
            if (indent >= 0) json_newline(c, b, indent, depth + 1);
            json_key(c, b, &d->key[order[i]], at);
            jbuf_puts(c, b, ": ");
            json_any(c, b, &d->val[order[i]], indent, sort_keys, at, depth + 1);
        }
        if (indent >= 0) json_newline(c, b, indent, depth);
        jbuf_puts(c, b, "}");
        jdepth_leave(c);
        return;
    }
    case JV_UNDEF: jfail_at(c, at, "tojson: Object of type Undefined is not JSON serializable");
    default: jfail_at(c, at, "tojson: Object of type %s is not JSON serializable", jv_type_name(v));
    }
}

void jv_write_json(jctx *c, jbuf *b, const jv *v, int indent, bool sort_keys, const jnode *at) {
    json_any(c, b, v, indent, sort_keys, at, 0);
}

jv jv_from_json(jctx *c, const void *json) {
    const lc_json *j = json;
    jdepth_enter(c, c->cur_line, c->cur_col);
    jv v;
    switch (lc_json_kind_of(j)) {
    case LC_JSON_NULL: v = jv_none(); break;
    case LC_JSON_BOOL: v = jv_bool(lc_json_bool(j)); break;
    case LC_JSON_NUMBER: {
        /* JSON has one number type; an integral value within 2^53 is an int
         * (as Python's json.loads makes "3" an int; "3.0" also becomes one
         * here, a documented difference). */
        double x = lc_json_number(j);
        v = (x == floor(x) && fabs(x) <= 9007199254740992.0) ? jv_int((int64_t)x) : jv_float(x);
        break;
    }
    case LC_JSON_STRING: {
        size_t n;
        const char *s = lc_json_string(j, &n);
        v = jv_strcopy(c, s, n);
        break;
    }
    case LC_JSON_ARRAY: {
        size_t n = lc_json_count(j);
        v = jv_list_new(c, n);
        for (size_t i = 0; i < n; i++) jlist_push(c, v.u.l, jv_from_json(c, lc_json_at(j, i)));
        break;
    }
    default: {
        size_t n = lc_json_count(j);
        v = jv_dict_new(c, n);
        for (size_t i = 0; i < n; i++) {
            size_t kn;
            const char *k = lc_json_key_at(j, i, &kn);
            jdict_set(c, v.u.d, jv_strcopy(c, k, kn), jv_from_json(c, lc_json_at(j, i)));
        }
        break;
    }
    }
    jdepth_leave(c);
    return v;
}

jv jv_iterable(jctx *c, const jv *v, const jnode *at) {
    switch (v->k) {
    case JV_LIST:
    case JV_TUPLE: return *v;
    case JV_DICT:
    case JV_NS: {
        jv out = jv_list_new(c, v->u.d->n);
        for (size_t i = 0; i < v->u.d->n; i++) jlist_push(c, out.u.l, v->u.d->key[i]);
        return out;
    }
    case JV_STR: {
        jv out = jv_list_new(c, v->u.s.n);
        const unsigned char *s = (const unsigned char *)v->u.s.p;
        for (size_t i = 0; i < v->u.s.n;) {
            size_t k = lc_utf8_lead_len(s[i]);
            if (k > v->u.s.n - i) k = v->u.s.n - i;
            jlist_push(c, out.u.l, jv_str(v->u.s.p + i, k));
            i += k;
        }
        return out;
    }
    case JV_UNDEF: return jv_list_new(c, 0); /* jinja2: iterating Undefined yields nothing */
    default: jfail_at(c, at, "'%s' object is not iterable", jv_type_name(v));
    }
}
