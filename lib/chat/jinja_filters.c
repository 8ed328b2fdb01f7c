/* The filters (jinja2/filters.py, 3.1, plus Hugging Face's tojson), each
 * with jinja2's argument names and defaults. */
#include "jinja_str.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef jv (*filter_fn)(jctx *c, const jnode *at, const jv *v, const jargs *a);

static bool flag(const jargs *a, size_t i, const char *name, bool def) {
    const jv *v = jarg(a, i, name);
    return v ? jv_truthy(v) : def;
}

static jv as_str(jctx *c, const jnode *at, const jv *v) { return jv_to_string(c, v, at); }

static jv items_of(jctx *c, const jnode *at, const jv *v) { return jv_iterable(c, v, at); }

/* a dotted attribute path ("a.b", "0") of an item, as jinja2's
 * make_attrgetter looks it up */
static jv attr_path(jctx *c, const jnode *at, jv item, jv path) {
    const char *p = path.u.s.p, *end = p + path.u.s.n;
    while (p <= end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        if (!dot) dot = end;
        bool digits = dot > p;
        for (const char *q = p; q < dot; q++) digits = digits && *q >= '0' && *q <= '9';
        jv key = digits ? jv_int(strtoll(p, NULL, 10)) : jv_str(p, (size_t)(dot - p));
        if (item.k == JV_UNDEF) return item;
        item = jitem(c, at, &item, &key);
        p = dot + 1;
    }
    return item;
}

static jv attr_arg(jctx *c, const jnode *at, const jargs *a, size_t i, const char *name) {
    const jv *v = jarg(a, i, name);
    if (!v || v->k == JV_NONE) return jv_undef(NULL);
    if (v->k == JV_INT) return jv_to_string(c, v, at);
    if (v->k != JV_STR) jfail_at(c, at, "the attribute argument must be a string");
    return *v;
}

static jv f_trim(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    const jv *chars = jarg(a, 0, "chars");
    if (chars && chars->k == JV_NONE) chars = NULL;
    return jstr_strip(as_str(c, at, v), chars, true, true);
}

static jv f_length(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    switch (v->k) {
    case JV_STR: return jv_int((int64_t)jstr_len(*v));
    case JV_LIST:
    case JV_TUPLE: return jv_int((int64_t)v->u.l->n);
    case JV_DICT:
    case JV_NS: return jv_int((int64_t)v->u.d->n);
    case JV_UNDEF: return jv_int(0);
    default: jfail_at(c, at, "object of type '%s' has no len()", jv_type_name(v));
    }
}

static jv f_upper(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    return jstr_case(c, as_str(c, at, v), JCASE_UPPER);
}
static jv f_lower(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    return jstr_case(c, as_str(c, at, v), JCASE_LOWER);
}
static jv f_capitalize(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    return jstr_case(c, as_str(c, at, v), JCASE_CAPITALIZE);
}

/* jinja2's title: words start after runs of whitespace, '-', '(', '{',
 * '[' or '<'; each word's first character upper, the rest lower */
static jv f_title(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    jv s = as_str(c, at, v);
    char *out = jalloc(c, s.u.s.n + 1);
    bool start = true;
    for (size_t i = 0; i < s.u.s.n; i++) {
        char ch = s.u.s.p[i];
        const bool sep = jstr_is_space(ch) || ch == '-' || ch == '(' || ch == '{' || ch == '[' || ch == '<';
        if (start && ch >= 'a' && ch <= 'z') ch = (char)(ch - 32);
        else if (!start && ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
        out[i] = ch;
        start = sep;
    }
    return jv_str(out, s.u.s.n);
}

static jv f_tojson(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    const jv *ind = jarg(a, 1, "indent");
    int indent = -1;
    if (ind && ind->k != JV_NONE) {
        if (ind->k != JV_INT || ind->u.i < 0 || ind->u.i > 64) jfail_at(c, at, "tojson: indent must be an integer 0..64");
        indent = (int)ind->u.i;
    }
    if (jarg(a, 2, "separators") && jarg(a, 2, "separators")->k != JV_NONE)
        jfail(c, LLAMAC_ERR_UNSUPPORTED, at->line, at->col, "tojson: separators= is not supported");
    jbuf b = {0};
    jv_write_json(c, &b, v, indent, flag(a, 3, "sort_keys", false), at);
    return jv_str(b.p ? b.p : "", b.n);
}

static jv f_default(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)c;
    (void)at;
    const jv *def = jarg(a, 0, "default_value");
    const bool boolean = flag(a, 1, "boolean", false);
    if (v->k == JV_UNDEF || (boolean && !jv_truthy(v))) return def ? *def : jv_cstr("");
    return *v;
}

static jv f_join(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    const jv *d = jarg(a, 0, "d");
    jv sep = d ? as_str(c, at, d) : jv_cstr("");
    jv attr = attr_arg(c, at, a, 1, "attribute");
    jv items = items_of(c, at, v);
    jbuf b = {0};
    for (size_t i = 0; i < items.u.l->n; i++) {
        jstep(c, at);
        if (i) jbuf_put(c, &b, sep.u.s.p, sep.u.s.n);
        jv x = attr.k == JV_STR ? attr_path(c, at, items.u.l->v[i], attr) : items.u.l->v[i];
        jv_write_str(c, &b, &x, at);
    }
    return jv_str(b.p ? b.p : "", b.n);
}

static jv f_replace(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    const jv *old = jarg(a, 0, "old"), *rep = jarg(a, 1, "new"), *count = jarg(a, 2, "count");
    if (!old || !rep) jfail_at(c, at, "replace expects old and new");
    int64_t n = -1;
    if (count && count->k != JV_NONE) {
        if (count->k != JV_INT) jfail_at(c, at, "replace: count must be an integer");
        n = count->u.i;
    }
    return jstr_replace(c, at, as_str(c, at, v), as_str(c, at, old), as_str(c, at, rep), n);
}

static jv f_first(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    jv items = items_of(c, at, v);
    return items.u.l->n ? items.u.l->v[0] : jv_undef("first: the sequence is empty");
}

static jv f_last(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    jv items = items_of(c, at, v);
    return items.u.l->n ? items.u.l->v[items.u.l->n - 1] : jv_undef("last: the sequence is empty");
}

static jv f_items(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    if (v->k == JV_UNDEF) return jv_list_new(c, 0);
    if (v->k != JV_DICT) jfail_at(c, at, "Can only get item pairs from a mapping.");
    jargs none = {0};
    return jmethod(c, at, v, "items", &none);
}

static jv f_list(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    jv items = items_of(c, at, v);
    jv out = jv_list_new(c, items.u.l->n);
    for (size_t i = 0; i < items.u.l->n; i++) jlist_push(c, out.u.l, items.u.l->v[i]);
    return out;
}

static jv f_reverse(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    jv items = items_of(c, at, v);
    jv out = jv_list_new(c, items.u.l->n);
    for (size_t i = items.u.l->n; i-- > 0;) jlist_push(c, out.u.l, items.u.l->v[i]);
    if (v->k != JV_STR) return out;
    jbuf b = {0};
    for (size_t i = 0; i < out.u.l->n; i++) jv_write_str(c, &b, &out.u.l->v[i], at);
    return jv_str(b.p ? b.p : "", b.n);
}

/* the arguments after position `skip` (a filter or test name given to map/select) */
static jargs rest(const jargs *a, size_t skip) {
    jargs r = *a;
    r.pos = a->n_pos > skip ? a->pos + skip : NULL;
    r.n_pos = a->n_pos > skip ? a->n_pos - skip : 0;
    return r;
}

static jv f_map(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    jv items = items_of(c, at, v);
    jv out = jv_list_new(c, items.u.l->n);
    const jv *attr = jarg(a, SIZE_MAX, "attribute");
    if (attr) {
        jv path = attr->k == JV_STR ? *attr : jv_to_string(c, attr, at);
        const jv *def = jarg(a, SIZE_MAX, "default");
        for (size_t i = 0; i < items.u.l->n; i++) {
            jstep(c, at);
            jv x = attr_path(c, at, items.u.l->v[i], path);
            if (x.k == JV_UNDEF && def) x = *def;
            jlist_push(c, out.u.l, x);
        }
        return out;
    }
    if (a->n_pos < 1 || a->pos[0].k != JV_STR) jfail_at(c, at, "map expects a filter name or attribute=");
    jargs r = rest(a, 1);
    for (size_t i = 0; i < items.u.l->n; i++) {
        jstep(c, at);
        jlist_push(c, out.u.l, jfilter(c, at, a->pos[0].u.s.p, &items.u.l->v[i], &r));
    }
    return out;
}

static jv select_impl(jctx *c, const jnode *at, const jv *v, const jargs *a, bool by_attr, bool keep) {
    jv items = items_of(c, at, v);
    jv out = jv_list_new(c, 0);
    size_t skip = by_attr ? 1 : 0;
    jv attr = by_attr ? attr_arg(c, at, a, 0, "attribute") : jv_undef(NULL);
    const jv *test = a->n_pos > skip ? &a->pos[skip] : NULL;
    if (test && test->k != JV_STR) jfail_at(c, at, "the test name must be a string");
    jargs r = rest(a, skip + 1);
    for (size_t i = 0; i < items.u.l->n; i++) {
        jstep(c, at);
        jv x = attr.k == JV_STR ? attr_path(c, at, items.u.l->v[i], attr) : items.u.l->v[i];
        bool t = test ? jtest(c, at, jstrdup(c, test->u.s.p, test->u.s.n), &x, &r) : jv_truthy(&x);
        if (t == keep) jlist_push(c, out.u.l, items.u.l->v[i]);
    }
    return out;
}

static jv f_select(jctx *c, const jnode *at, const jv *v, const jargs *a) { return select_impl(c, at, v, a, false, true); }
static jv f_reject(jctx *c, const jnode *at, const jv *v, const jargs *a) { return select_impl(c, at, v, a, false, false); }
static jv f_selectattr(jctx *c, const jnode *at, const jv *v, const jargs *a) { return select_impl(c, at, v, a, true, true); }
static jv f_rejectattr(jctx *c, const jnode *at, const jv *v, const jargs *a) { return select_impl(c, at, v, a, true, false); }

/* the key an item sorts and compares by: its attribute, lower-cased unless
 * case_sensitive */
static jv sort_key(jctx *c, const jnode *at, jv item, jv attr, bool case_sensitive) {
    jv k = attr.k == JV_STR ? attr_path(c, at, item, attr) : item;
    if (!case_sensitive && k.k == JV_STR) k = jstr_case(c, k, JCASE_LOWER);
    return k;
}

static jv f_unique(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    const bool cs = flag(a, 0, "case_sensitive", false);
    jv attr = attr_arg(c, at, a, 1, "attribute");
    jv items = items_of(c, at, v);
    jv out = jv_list_new(c, 0), seen = jv_list_new(c, 0);
    for (size_t i = 0; i < items.u.l->n; i++) {
        jstep(c, at);
        jv k = sort_key(c, at, items.u.l->v[i], attr, cs);
        bool dup = false;
        for (size_t j = 0; j < seen.u.l->n && !dup; j++) {
            jstep(c, at);
            dup = jv_equal(c, &seen.u.l->v[j], &k);
        }
        if (dup) continue;
        jlist_push(c, seen.u.l, k);
        jlist_push(c, out.u.l, items.u.l->v[i]);
    }
    return out;
}

/* str.splitlines: the line breaks Python knows in ASCII */
static bool is_break(char ch) { return ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f' || (ch >= 0x1c && ch <= 0x1e); }

static jv f_indent(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    const jv *w = jarg(a, 0, "width");
    jv ind;
    if (!w) ind = jv_cstr("    ");
    else if (w->k == JV_STR) ind = *w;
    else if (w->k == JV_INT) {
        if (w->u.i < 0 || w->u.i > 1024) jfail_at(c, at, "indent: width must be 0..1024");
        char *sp = jalloc(c, (size_t)w->u.i + 1);
        memset(sp, ' ', (size_t)w->u.i);
        ind = jv_str(sp, (size_t)w->u.i);
    } else jfail_at(c, at, "indent: width must be an integer or a string");
    const bool first = flag(a, 1, "first", false), blank = flag(a, 2, "blank", false);
    jv s = as_str(c, at, v);
    /* jinja2 splits s + "\n" with splitlines: s's lines, with an empty
     * last one when s ends in a line break */
    jbuf b = {0};
    if (first) jbuf_put(c, &b, ind.u.s.p, ind.u.s.n);
    const char *p = s.u.s.p;
    size_t n = s.u.s.n, i = 0, line = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && !is_break(p[j])) j++;
        jstep(c, at);
        if (line > 0) {
            jbuf_put(c, &b, "\n", 1);
            if (j > i || blank) jbuf_put(c, &b, ind.u.s.p, ind.u.s.n);
        }
        jbuf_put(c, &b, p + i, j - i);
        line++;
        if (j >= n) break;
        i = j + (p[j] == '\r' && j + 1 < n && p[j + 1] == '\n' ? 2 : 1);
    }
    return jv_str(b.p ? b.p : "", b.n);
}

static jv f_safe(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)c;
    (void)at;
    (void)a;
    return *v;
}

static jv f_string(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    return as_str(c, at, v);
}

static bool parse_int(const jv *s, int base, int64_t *out) {
    char tmp[72];
    jv t = jstr_strip(*s, NULL, true, true);
    if (t.u.s.n == 0 || t.u.s.n >= sizeof tmp) return false;
    size_t k = 0;
    for (size_t i = 0; i < t.u.s.n; i++)
        if (t.u.s.p[i] != '_') tmp[k++] = t.u.s.p[i];
    tmp[k] = '\0';
    char *end;
    errno = 0;
    long long x = strtoll(tmp, &end, base);
    if (*end || errno) return false;
    *out = x;
    return true;
}

static bool parse_float(const jv *s, double *out) {
    char tmp[72];
    jv t = jstr_strip(*s, NULL, true, true);
    if (t.u.s.n == 0 || t.u.s.n >= sizeof tmp) return false;
    memcpy(tmp, t.u.s.p, t.u.s.n);
    tmp[t.u.s.n] = '\0';
    char *end;
    double x = strtod(tmp, &end);
    if (*end) return false;
    *out = x;
    return true;
}

static jv f_int(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    const jv *def = jarg(a, 0, "default");
    const jv *base = jarg(a, 1, "base");
    int b = base && base->k == JV_INT ? (int)base->u.i : 10;
    if (b != 0 && (b < 2 || b > 36)) jfail_at(c, at, "int: base must be 0 or 2..36");
    switch (v->k) {
    case JV_INT: return *v;
    case JV_BOOL: return jv_int(v->u.b);
    case JV_FLOAT:
        if (isfinite(v->u.f) && fabs(v->u.f) < 9.2e18) return jv_int((int64_t)v->u.f);
        break;
    case JV_STR: {
        int64_t x;
        if (parse_int(v, b, &x)) return jv_int(x);
        double f;
        if (b == 10 && parse_float(v, &f) && isfinite(f) && fabs(f) < 9.2e18) return jv_int((int64_t)f);
        break;
    }
    default: break;
    }
    return def ? *def : jv_int(0);
}

static jv f_float(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)c;
    (void)at;
    const jv *def = jarg(a, 0, "default");
    double f;
    if (jv_is_num(v)) return jv_float(jv_num(v));
    if (v->k == JV_STR && parse_float(v, &f)) return jv_float(f);
    return def ? *def : jv_float(0.0);
}

static jv f_round(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    const jv *prec = jarg(a, 0, "precision");
    const jv *method = jarg(a, 1, "method");
    int64_t p = prec && prec->k == JV_INT ? prec->u.i : 0;
    if (p < -20 || p > 20) jfail_at(c, at, "round: precision must be -20..20");
    if (!jv_is_num(v)) jfail_at(c, at, "round: '%s' is not a number", jv_type_name(v));
    const double scale = pow(10.0, (double)p), x = jv_num(v);
    if (!method || (method->k == JV_STR && method->u.s.n == 6 && !memcmp(method->u.s.p, "common", 6))) {
        if (v->k != JV_FLOAT) return jv_int(v->k == JV_BOOL ? v->u.b : v->u.i); /* round(int, n) is the int */
        return jv_float(nearbyint(x * scale) / scale); /* half to even, as Python's round */
    }
    if (method->k == JV_STR && method->u.s.n == 4 && !memcmp(method->u.s.p, "ceil", 4)) return jv_float(ceil(x * scale) / scale);
    if (method->k == JV_STR && method->u.s.n == 5 && !memcmp(method->u.s.p, "floor", 5)) return jv_float(floor(x * scale) / scale);
    jfail_at(c, at, "round: method must be common, ceil or floor");
}

static jv f_abs(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    if (v->k == JV_FLOAT) return jv_float(fabs(v->u.f));
    if (v->k == JV_INT) {
        if (v->u.i == INT64_MIN) jfail(c, LLAMAC_ERR_UNSUPPORTED, at->line, at->col, "integer overflow");
        return jv_int(v->u.i < 0 ? -v->u.i : v->u.i);
    }
    if (v->k == JV_BOOL) return jv_int(v->u.b);
    jfail_at(c, at, "bad operand type for abs(): '%s'", jv_type_name(v));
}

/* stable merge sort of items by keys */
static void sort_items(jctx *c, const jnode *at, jv *items, jv *keys, size_t n, bool reverse) {
    jv *ti = jalloc_array(c, n ? n : 1, sizeof *ti), *tk = jalloc_array(c, n ? n : 1, sizeof *tk);
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = LC_MIN(lo + w, n), hi = LC_MIN(lo + 2 * w, n), i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                jstep(c, at);
                int r = jv_compare(c, at, &keys[j], &keys[i]);
                bool take_right = reverse ? r > 0 : r < 0;
                if (take_right) {
                    ti[k] = items[j];
                    tk[k++] = keys[j++];
                } else {
                    ti[k] = items[i];
                    tk[k++] = keys[i++];
                }
            }
            while (i < mid) ti[k] = items[i], tk[k++] = keys[i++];
            while (j < hi) ti[k] = items[j], tk[k++] = keys[j++];
        }
        memcpy(items, ti, n * sizeof *ti);
        memcpy(keys, tk, n * sizeof *tk);
    }
}

static jv f_sort(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    const bool reverse = flag(a, 0, "reverse", false), cs = flag(a, 1, "case_sensitive", false);
    jv attr = attr_arg(c, at, a, 2, "attribute");
    jv items = f_list(c, at, v, a);
    const size_t n = items.u.l->n;
    jv *keys = jalloc_array(c, n ? n : 1, sizeof *keys);
    for (size_t i = 0; i < n; i++) keys[i] = sort_key(c, at, items.u.l->v[i], attr, cs);
    sort_items(c, at, items.u.l->v, keys, n, reverse);
    return items;
}

static jv f_dictsort(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    const bool cs = flag(a, 0, "case_sensitive", false), reverse = flag(a, 2, "reverse", false);
    const jv *by = jarg(a, 1, "by");
    const bool by_value = by && by->k == JV_STR && by->u.s.n == 5 && !memcmp(by->u.s.p, "value", 5);
    jv items = f_items(c, at, v, a);
    const size_t n = items.u.l->n;
    jv *keys = jalloc_array(c, n ? n : 1, sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        jv k = items.u.l->v[i].u.l->v[by_value ? 1 : 0];
        keys[i] = !cs && k.k == JV_STR ? jstr_case(c, k, JCASE_LOWER) : k;
    }
    sort_items(c, at, items.u.l->v, keys, n, reverse);
    return items;
}

static jv minmax(jctx *c, const jnode *at, const jv *v, const jargs *a, bool want_max) {
    const bool cs = flag(a, 0, "case_sensitive", false);
    jv attr = attr_arg(c, at, a, 1, "attribute");
    jv items = items_of(c, at, v);
    if (items.u.l->n == 0) return jv_undef(want_max ? "max: the sequence is empty" : "min: the sequence is empty");
    size_t best = 0;
    jv bk = sort_key(c, at, items.u.l->v[0], attr, cs);
    for (size_t i = 1; i < items.u.l->n; i++) {
        jstep(c, at);
        jv k = sort_key(c, at, items.u.l->v[i], attr, cs);
        int r = jv_compare(c, at, &k, &bk);
        if (want_max ? r > 0 : r < 0) {
            best = i;
            bk = k;
        }
    }
    return items.u.l->v[best];
}

static jv f_min(jctx *c, const jnode *at, const jv *v, const jargs *a) { return minmax(c, at, v, a, false); }
static jv f_max(jctx *c, const jnode *at, const jv *v, const jargs *a) { return minmax(c, at, v, a, true); }

static jv f_sum(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    jv attr = attr_arg(c, at, a, 0, "attribute");
    const jv *start = jarg(a, 1, "start");
    jv total = start ? *start : jv_int(0);
    jv items = items_of(c, at, v);
    for (size_t i = 0; i < items.u.l->n; i++) {
        jv x = attr.k == JV_STR ? attr_path(c, at, items.u.l->v[i], attr) : items.u.l->v[i];
        if (!jv_is_num(&x) || !jv_is_num(&total))
            jfail_at(c, at, "sum: unsupported operand types '%s' and '%s'", jv_type_name(&total), jv_type_name(&x));
        if (total.k == JV_FLOAT || x.k == JV_FLOAT) {
            total = jv_float(jv_num(&total) + jv_num(&x));
        } else {
            int64_t r;
            if (__builtin_add_overflow((int64_t)jv_num(&total), (int64_t)jv_num(&x), &r))
                jfail(c, LLAMAC_ERR_UNSUPPORTED, at->line, at->col, "integer overflow");
            total = jv_int(r);
        }
    }
    return total;
}

static jv f_batch(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    const jv *count = jarg(a, 0, "linecount");
    const jv *fill = jarg(a, 1, "fill_with");
    if (!count || count->k != JV_INT || count->u.i <= 0) jfail_at(c, at, "batch: linecount must be a positive integer");
    jv items = items_of(c, at, v);
    jv out = jv_list_new(c, 0);
    jv cur = jv_list_new(c, 0);
    for (size_t i = 0; i < items.u.l->n; i++) {
        jlist_push(c, cur.u.l, items.u.l->v[i]);
        if ((int64_t)cur.u.l->n == count->u.i) {
            jlist_push(c, out.u.l, cur);
            cur = jv_list_new(c, 0);
        }
    }
    if (cur.u.l->n) {
        if (fill && fill->k != JV_NONE)
            while ((int64_t)cur.u.l->n < count->u.i) {
                jstep(c, at);
                jlist_push(c, cur.u.l, *fill);
            }
        jlist_push(c, out.u.l, cur);
    }
    return out;
}

static jv f_attr(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    const jv *name = jarg(a, 0, "name");
    if (!name || name->k != JV_STR) jfail_at(c, at, "attr expects a name");
    return jattr(c, at, v, name->u.s.p, name->u.s.n);
}

static jv f_escape(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    jv s = as_str(c, at, v);
    jbuf b = {0};
    size_t run = 0;
    for (size_t i = 0; i < s.u.s.n; i++) {
        const char ch = s.u.s.p[i];
        const char *e = ch == '&' ? "&amp;" : ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '"' ? "&#34;"
                      : ch == '\'' ? "&#39;" : NULL;
        if (!e) continue;
        jbuf_put(c, &b, s.u.s.p + run, i - run);
        jbuf_puts(c, &b, e);
        run = i + 1;
    }
    jbuf_put(c, &b, s.u.s.p + run, s.u.s.n - run);
    return jv_str(b.p ? b.p : "", b.n);
}

static jv f_wordcount(jctx *c, const jnode *at, const jv *v, const jargs *a) {
    (void)a;
    jv s = as_str(c, at, v);
    return jv_int((int64_t)jstr_split(c, at, s, NULL, -1).u.l->n);
}

static const struct {
    const char *name;
    filter_fn fn;
} FILTERS[] = {
    {"abs", f_abs},           {"attr", f_attr},           {"batch", f_batch},
    {"capitalize", f_capitalize}, {"count", f_length},    {"d", f_default},
    {"default", f_default},   {"dictsort", f_dictsort},   {"e", f_escape},
    {"escape", f_escape},     {"first", f_first},         {"float", f_float},
    {"indent", f_indent},     {"int", f_int},             {"items", f_items},
    {"join", f_join},         {"last", f_last},           {"length", f_length},
    {"list", f_list},         {"lower", f_lower},         {"map", f_map},
    {"max", f_max},           {"min", f_min},             {"reject", f_reject},
    {"rejectattr", f_rejectattr}, {"replace", f_replace}, {"reverse", f_reverse},
    {"round", f_round},       {"safe", f_safe},           {"select", f_select},
    {"selectattr", f_selectattr}, {"sort", f_sort},       {"string", f_string},
    {"sum", f_sum},           {"title", f_title},         {"tojson", f_tojson},
    {"trim", f_trim},         {"unique", f_unique},       {"upper", f_upper},
    {"wordcount", f_wordcount},
};

bool jfilter_exists(const char *name) {
    for (size_t i = 0; i < sizeof FILTERS / sizeof FILTERS[0]; i++)
        if (!strcmp(FILTERS[i].name, name)) return true;
    return false;
}

jv jfilter(jctx *c, const jnode *at, const char *name, const jv *val, const jargs *args) {
    jstep(c, at);
    for (size_t i = 0; i < sizeof FILTERS / sizeof FILTERS[0]; i++)
        if (!strcmp(FILTERS[i].name, name)) return FILTERS[i].fn(c, at, val, args);
    jfail(c, LLAMAC_ERR_UNSUPPORTED, at->line, at->col, "no filter named '%s' (not in jinja2 or not supported)", name);
}
