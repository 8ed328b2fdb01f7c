/* The evaluator: expressions to values, statements to output. Scoping as
 * jinja2 compiles it: a for loop's body gets a fresh scope each iteration
 * (so `set` inside a loop does not leak out, nor into the next iteration:
 * namespace() is the way out), `if` shares its enclosing scope, a macro
 * runs in a scope whose parent is where it was defined. Every node
 * evaluated is one step and one level of max_depth. */
#include "jinja.h"

#include "common/unicode.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { F_RANGE = 1, F_NAMESPACE, F_DICT, F_RAISE, F_STRFTIME };

/* ---- scopes ---- */

static jscope *scope_new(jctx *c, jscope *parent) {
    jscope *s = jalloc(c, sizeof *s);
    s->parent = parent;
    return s;
}

static void scope_set(jctx *c, jscope *s, const char *name, jv v) {
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0) {
            s->vals[i] = v;
            return;
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        const char **names = jalloc_array(c, cap, sizeof *names);
        jv *vals = jalloc_array(c, cap, sizeof *vals);
        if (s->n) {
            memcpy(names, s->names, s->n * sizeof *names);
            memcpy(vals, s->vals, s->n * sizeof *vals);
        }
        s->names = names;
        s->vals = vals;
        s->cap = cap;
    }
    s->names[s->n] = name;
    s->vals[s->n++] = v;
}

static const jv *scope_get(jctx *c, const jscope *s, const char *name) {
    for (; s; s = s->parent) {
        for (size_t i = s->n; i-- > 0;) {
            if ((i & 31) == 31) jstep(c, NULL);
            if (strcmp(s->names[i], name) == 0) return &s->vals[i];
        }
    }
    return NULL;
}

static jv undefined_msg(jctx *c, const char *fmt, const char *a, size_t an, const char *b) {
    char tmp[256];
    char an_buf[96];
    size_t k = an < sizeof an_buf - 1 ? an : sizeof an_buf - 1;
    memcpy(an_buf, a, k);
    an_buf[k] = '\0';
    snprintf(tmp, sizeof tmp, fmt, an_buf, b ? b : "");
    return jv_undef(jstrdup(c, tmp, strlen(tmp)));
}

_Noreturn static void undefined_error(jctx *c, const jnode *at, const jv *v) {
    jfail_at(c, at, "%s", v->u.s.p ? v->u.s.p : "the value is undefined");
}

static void need_defined(jctx *c, const jnode *at, const jv *v) {
    if (v->k == JV_UNDEF) undefined_error(c, at, v);
}

/* ---- attribute and item access ---- */

static int64_t loop_field(const jloop *l, const char *name, size_t n, bool *found) {
    *found = true;
#define IS(s) (n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
    if (IS("index")) return l->index0 + 1;
    if (IS("index0")) return l->index0;
    if (IS("revindex")) return l->length - l->index0;
    if (IS("revindex0")) return l->length - l->index0 - 1;
    if (IS("length")) return l->length;
    if (IS("depth")) return 1;
    if (IS("depth0")) return 0;
#undef IS
    *found = false;
    return 0;
}

static jv loop_attr(jctx *c, const jv *obj, const char *name, size_t n) {
    const jloop *l = obj->u.loop;
    bool found;
    int64_t x = loop_field(l, name, n, &found);
    if (found) return jv_int(x);
    if (n == 5 && memcmp(name, "first", 5) == 0) return jv_bool(l->index0 == 0);
    if (n == 4 && memcmp(name, "last", 4) == 0) return jv_bool(l->index0 == l->length - 1);
    if (n == 8 && memcmp(name, "previtem", 8) == 0)
        return l->index0 > 0 ? l->items[l->index0 - 1] : undefined_msg(c, "there is no previous item%s%s", "", 0, NULL);
    if (n == 8 && memcmp(name, "nextitem", 8) == 0)
        return l->index0 + 1 < l->length ? l->items[l->index0 + 1]
                                         : undefined_msg(c, "there is no next item%s%s", "", 0, NULL);
    if (n == 5 && memcmp(name, "cycle", 5) == 0) {
        jv m = {.k = JV_METHOD};
        m.u.bm = jalloc(c, sizeof *m.u.bm);
        m.u.bm->self = *obj;
        m.u.bm->name = "cycle";
        return m;
    }
    return undefined_msg(c, "'LoopContext object' has no attribute '%s'%s", name, n, NULL);
}

jv jattr(jctx *c, const jnode *at, const jv *obj, const char *name, size_t n) {
    switch (obj->k) {
    case JV_UNDEF: undefined_error(c, at, obj);
    case JV_LOOP: return loop_attr(c, obj, name, n);
    case JV_NS: {
        const jv *v = jdict_find_str(c, obj->u.d, name, n);
        return v ? *v : undefined_msg(c, "'Namespace object' has no attribute '%s'%s", name, n, NULL);
    }
    default: break;
    }
    if (jmethod_exists(obj, name)) {
        jv m = {.k = JV_METHOD};
        m.u.bm = jalloc(c, sizeof *m.u.bm);
        m.u.bm->self = *obj;
        m.u.bm->name = jstrdup(c, name, n);
        return m;
    }
    if (obj->k == JV_DICT) {
        const jv *v = jdict_find_str(c, obj->u.d, name, n);
        if (v) return *v;
    }
    char tname[32];
    snprintf(tname, sizeof tname, "%s", jv_type_name(obj));
    return undefined_msg(c, "'%s object' has no attribute '%s'", tname, strlen(tname), jstrdup(c, name, n));
}

/* Byte offset of code point i of s (i <= count). */
static size_t cp_offset(const char *s, size_t n, size_t i) {
    size_t off = 0;
    while (i-- > 0 && off < n) {
        size_t k = lc_utf8_lead_len((unsigned char)s[off]);
        off += k <= n - off ? k : n - off;
    }
    return off;
}

static size_t cp_count(const char *s, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) count++;
    return count;
}

jv jitem(jctx *c, const jnode *at, const jv *obj, const jv *key) {
    switch (obj->k) {
    case JV_UNDEF: undefined_error(c, at, obj);
    case JV_LIST:
    case JV_TUPLE:
        if (key->k == JV_INT || key->k == JV_BOOL) {
            int64_t i = key->k == JV_INT ? key->u.i : key->u.b;
            int64_t n = (int64_t)obj->u.l->n;
            if (i < 0) i += n;
            if (i >= 0 && i < n) return obj->u.l->v[i];
            return undefined_msg(c, "%s index out of range%s", jv_type_name(obj), strlen(jv_type_name(obj)), NULL);
        }
        break;
    case JV_STR:
        if (key->k == JV_INT) {
            int64_t n = (int64_t)cp_count(obj->u.s.p, obj->u.s.n), i = key->u.i;
            if (i < 0) i += n;
            if (i >= 0 && i < n) {
                size_t a = cp_offset(obj->u.s.p, obj->u.s.n, (size_t)i);
                size_t b = a + cp_offset(obj->u.s.p + a, obj->u.s.n - a, 1);
                return jv_str(obj->u.s.p + a, b - a);
            }
            return undefined_msg(c, "string index out of range%s%s", "", 0, NULL);
        }
        break;
    case JV_DICT: {
        const jv *v = jdict_find(c, obj->u.d, *key);
        if (v) return *v;
        break;
    }
    default: break;
    }
    if (key->k == JV_STR) return jattr(c, at, obj, key->u.s.p, key->u.s.n);
    if (obj->k == JV_DICT) {
        jbuf b = {0};
        jv_write_repr(c, &b, key, at);
        return undefined_msg(c, "'dict object' has no attribute %s%s", b.p, b.n, NULL);
    }
    return undefined_msg(c, "'%s object' has no item%s", jv_type_name(obj), strlen(jv_type_name(obj)), NULL);
}

/* Python's slice indices for a sequence of length n. */
static void slice_indices(jctx *c, const jnode *at, const jv *start, const jv *stop, const jv *step, int64_t n,
                          int64_t *a, int64_t *b, int64_t *st) {
    *st = 1;
    if (step && step->k != JV_NONE) {
        if (step->k != JV_INT) jfail_at(c, at, "slice indices must be integers or None");
        *st = step->u.i;
        if (*st == 0) jfail_at(c, at, "slice step cannot be zero");
    }
    const int64_t lo = *st < 0 ? -1 : 0, hi = *st < 0 ? n - 1 : n;
    const jv *ends[2] = {start, stop};
    int64_t *outs[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        const jv *e = ends[k];
        if (!e || e->k == JV_NONE || e->k == JV_UNDEF) {
            *outs[k] = (k == 0) == (*st > 0) ? lo : hi;
            continue;
        }
        if (e->k != JV_INT && e->k != JV_BOOL) jfail_at(c, at, "slice indices must be integers or None");
        int64_t x = e->k == JV_INT ? e->u.i : e->u.b;
        if (x < 0) {
            x = x < -n ? lo : x + n;
            if (x < lo) x = lo;
        } else if (x > hi) {
            x = hi;
        }
        *outs[k] = x;
    }
}

static jv do_slice(jctx *c, const jnode *at, const jv *obj, const jv *s0, const jv *s1, const jv *s2) {
    need_defined(c, at, obj);
    if (obj->k == JV_STR) {
        /* code points */
        const size_t count = cp_count(obj->u.s.p, obj->u.s.n);
        size_t *off = jalloc_array(c, count + 1, sizeof *off);
        for (size_t i = 0, o = 0; i <= count; i++) {
            off[i] = o;
            if (o < obj->u.s.n) {
                size_t k = lc_utf8_lead_len((unsigned char)obj->u.s.p[o]);
                o += k <= obj->u.s.n - o ? k : obj->u.s.n - o;
            }
        }
        int64_t a, b, st;
        slice_indices(c, at, s0, s1, s2, (int64_t)count, &a, &b, &st);
        jbuf out = {0};
        for (int64_t i = a; st > 0 ? i < b : i > b; i += st) {
            jstep(c, at);
            jbuf_put(c, &out, obj->u.s.p + off[i], off[i + 1] - off[i]);
        }
        return jv_str(out.p ? out.p : "", out.n);
    }
    if (!jv_is_seq(obj)) jfail_at(c, at, "'%s' object is not subscriptable", jv_type_name(obj));
    int64_t a, b, st;
    slice_indices(c, at, s0, s1, s2, (int64_t)obj->u.l->n, &a, &b, &st);
    jv out = jv_list_new(c, 0);
    out.k = obj->k;
    for (int64_t i = a; st > 0 ? i < b : i > b; i += st) {
        jstep(c, at);
        jlist_push(c, out.u.l, obj->u.l->v[i]);
    }
    return out;
}

/* ---- arithmetic ---- */

_Noreturn static void type_error(jctx *c, const jnode *at, const char *op, const jv *a, const jv *b) {
    if (a->k == JV_UNDEF) undefined_error(c, at, a);
    if (b->k == JV_UNDEF) undefined_error(c, at, b);
    jfail_at(c, at, "unsupported operand types for %s: '%s' and '%s'", op, jv_type_name(a), jv_type_name(b));
}

static bool is_intlike(const jv *v) { return v->k == JV_INT || v->k == JV_BOOL; }
static int64_t as_int(const jv *v) { return v->k == JV_INT ? v->u.i : (int64_t)v->u.b; }

_Noreturn static void overflow(jctx *c, const jnode *at) {
    jfail(c, LLAMAC_ERR_UNSUPPORTED, at->line, at->col, "integer overflow (Python's integers are unbounded; "
                                                        "the engine's are 64-bit)");
}

static jv repeat(jctx *c, const jnode *at, const jv *seq, int64_t times) {
    if (times < 0) times = 0;
    if (seq->k == JV_STR) {
        size_t total;
        if (lc_mul_overflow_size(seq->u.s.n, (size_t)times, &total) || total > c->max_output)
            jfail(c, LLAMAC_ERR_LIMIT, at->line, at->col, "a repeated string exceeds max_output_bytes (%zu)",
                  c->max_output);
        jbuf b = {0};
        for (int64_t i = 0; i < times; i++) jbuf_put(c, &b, seq->u.s.p, seq->u.s.n);
        return jv_str(b.p ? b.p : "", b.n);
    }
    size_t total;
    if (lc_mul_overflow_size(seq->u.l->n, (size_t)times, &total) || total > c->max_steps - c->steps)
        jfail(c, LLAMAC_ERR_LIMIT, at->line, at->col, "a repeated list exceeds max_steps");
    jv out = jv_list_new(c, total);
    out.k = seq->k;
    for (int64_t i = 0; i < times; i++)
        for (size_t k = 0; k < seq->u.l->n; k++) jlist_push(c, out.u.l, seq->u.l->v[k]);
    return out;
}

static double py_fmod(double a, double b) {
    double m = fmod(a, b);
    if (m != 0 && ((m < 0) != (b < 0))) m += b;
    return m;
}

static jv binop(jctx *c, const jnode *at, int op, const jv *a, const jv *b) {
    static const char *const names[] = {"+", "-", "*", "/", "//", "%", "**"};
    const char *name = names[op];
    if (op == B_ADD) {
        if (a->k == JV_STR && b->k == JV_STR) {
            jbuf o = {0};
            jbuf_put(c, &o, a->u.s.p, a->u.s.n);
            jbuf_put(c, &o, b->u.s.p, b->u.s.n);
            return jv_str(o.p ? o.p : "", o.n);
        }
        if (jv_is_seq(a) && a->k == b->k) {
            jv out = jv_list_new(c, a->u.l->n + b->u.l->n);
            out.k = a->k;
            for (size_t i = 0; i < a->u.l->n; i++) jlist_push(c, out.u.l, a->u.l->v[i]);
            for (size_t i = 0; i < b->u.l->n; i++) jlist_push(c, out.u.l, b->u.l->v[i]);
            return out;
        }
    }
    if (op == B_MUL) {
        if ((a->k == JV_STR || jv_is_seq(a)) && is_intlike(b)) return repeat(c, at, a, as_int(b));
        if ((b->k == JV_STR || jv_is_seq(b)) && is_intlike(a)) return repeat(c, at, b, as_int(a));
    }
    if (op == B_MOD && a->k == JV_STR)
        jfail(c, LLAMAC_ERR_UNSUPPORTED, at->line, at->col, "printf-style string formatting (%%) is not supported");
    if (!jv_is_num(a) || !jv_is_num(b)) type_error(c, at, name, a, b);
    if (is_intlike(a) && is_intlike(b)) {
        int64_t x = as_int(a), y = as_int(b), r;
        switch (op) {
        case B_ADD:
            if (__builtin_add_overflow(x, y, &r)) overflow(c, at);
            return jv_int(r);
        case B_SUB:
            if (__builtin_sub_overflow(x, y, &r)) overflow(c, at);
            return jv_int(r);
        case B_MUL:
            if (__builtin_mul_overflow(x, y, &r)) overflow(c, at);
            return jv_int(r);
        case B_DIV:
            if (y == 0) jfail_at(c, at, "division by zero");
            return jv_float((double)x / (double)y);
        case B_FDIV:
        case B_MOD: {
            if (y == 0) jfail_at(c, at, "integer division or modulo by zero");
            if (x == INT64_MIN && y == -1) overflow(c, at);
            int64_t q = x / y, m = x % y;
            if (m != 0 && ((m < 0) != (y < 0))) {
                q -= 1;
                m += y;
            }
            return jv_int(op == B_FDIV ? q : m);
        }
        case B_POW: {
            if (y < 0) return jv_float(pow((double)x, (double)y));
            int64_t result = 1, base = x;
            for (int64_t e = y; e > 0; e >>= 1) {
                if (e & 1)
                    if (__builtin_mul_overflow(result, base, &result)) overflow(c, at);
                if (e > 1 && __builtin_mul_overflow(base, base, &base)) overflow(c, at);
            }
            return jv_int(result);
        }
        default: break;
        }
    }
    const double x = jv_num(a), y = jv_num(b);
    switch (op) {
    case B_ADD: return jv_float(x + y);
    case B_SUB: return jv_float(x - y);
    case B_MUL: return jv_float(x * y);
    case B_DIV:
        if (y == 0) jfail_at(c, at, "float division by zero");
        return jv_float(x / y);
    case B_FDIV:
        if (y == 0) jfail_at(c, at, "float floor division by zero");
        return jv_float(floor(x / y));
    case B_MOD:
        if (y == 0) jfail_at(c, at, "float modulo");
        return jv_float(py_fmod(x, y));
    default: return jv_float(pow(x, y));
    }
}

static bool contains(jctx *c, const jnode *at, const jv *item, const jv *container) {
    switch (container->k) {
    case JV_STR:
        if (item->k != JV_STR) jfail_at(c, at, "'in <string>' requires string as left operand, not %s", jv_type_name(item));
        if (item->u.s.n == 0) return true;
        for (size_t i = 0; i + item->u.s.n <= container->u.s.n; i++)
            if (memcmp(container->u.s.p + i, item->u.s.p, item->u.s.n) == 0) return true;
        return false;
    case JV_LIST:
    case JV_TUPLE:
        for (size_t i = 0; i < container->u.l->n; i++) {
            if ((i & 63) == 63) jstep(c, at);
            if (jv_equal(c, item, &container->u.l->v[i])) return true;
        }
        return false;
    case JV_DICT:
    case JV_NS: return jdict_find(c, container->u.d, *item) != NULL;
    case JV_UNDEF: return false;
    default: jfail_at(c, at, "argument of type '%s' is not iterable", jv_type_name(container));
    }
}

static bool compare(jctx *c, const jnode *at, int op, const jv *a, const jv *b) {
    switch (op) {
    case B_EQ: return jv_equal(c, a, b);
    case B_NE: return !jv_equal(c, a, b);
    case B_IN: return contains(c, at, a, b);
    case B_NOTIN: return !contains(c, at, a, b);
    default: break;
    }
    if (a->k == JV_UNDEF) undefined_error(c, at, a);
    if (b->k == JV_UNDEF) undefined_error(c, at, b);
    int r = jv_compare(c, at, a, b);
    return op == B_LT ? r < 0 : op == B_LE ? r <= 0 : op == B_GT ? r > 0 : r >= 0;
}

/* ---- calls ---- */

static void exec(jctx *c, const jnode *n);

static jv capture(jctx *c, const jnode *body) {
    jbuf *saved = c->out;
    jbuf b = {0};
    c->out = &b;
    exec(c, body);
    c->out = saved;
    return jv_str(b.p ? b.p : "", b.n);
}

const jv *jarg(const jargs *a, size_t i, const char *name) {
    if (i < a->n_pos) return &a->pos[i];
    if (name)
        for (size_t k = 0; k < a->n_kw; k++)
            if (strcmp(a->kw_names[k], name) == 0) return &a->kw[k];
    return NULL;
}

static jv call_macro(jctx *c, const jnode *at, const jmacro *m, const jargs *a) {
    const jnode *def = m->node;
    jdepth_enter(c, at->line, at->col);
    jstep(c, at);
    jscope *s = scope_new(c, m->closure);
    const size_t np = def->n_kids;
    /* defaults align with the last parameters */
    const size_t first_default = np - def->n_kw;
    for (size_t i = 0; i < np; i++) {
        const char *pname = def->kids[i]->val.u.s.p;
        const jv *v = jarg(a, i, pname);
        jv val;
        if (v) {
            val = *v;
        } else if (i >= first_default) {
            jscope *saved = c->cur_scope;
            c->cur_scope = s;
            val = jeval(c, def->kw[i - first_default]);
            c->cur_scope = saved;
        } else {
            val = undefined_msg(c, "parameter '%s' was not provided%s", pname, strlen(pname), NULL);
        }
        scope_set(c, s, pname, val);
    }
    jv varargs = jv_list_new(c, 0);
    varargs.k = JV_TUPLE;
    for (size_t i = np; i < a->n_pos; i++) jlist_push(c, varargs.u.l, a->pos[i]);
    jv kwargs = jv_dict_new(c, 0);
    for (size_t k = 0; k < a->n_kw; k++) {
        bool known = false;
        for (size_t i = 0; i < np; i++)
            if (strcmp(def->kids[i]->val.u.s.p, a->kw_names[k]) == 0) known = true;
        if (!known && strcmp(a->kw_names[k], "caller") != 0)
            jdict_set(c, kwargs.u.d, jv_cstr(a->kw_names[k]), a->kw[k]);
    }
    scope_set(c, s, "varargs", varargs);
    scope_set(c, s, "kwargs", kwargs);
    const jv *caller = jarg(a, SIZE_MAX, "caller");
    if (caller) scope_set(c, s, "caller", *caller);
    jscope *saved = c->cur_scope;
    const int saved_ctl = c->loop_ctl;
    c->cur_scope = s;
    jv out = capture(c, def->op == N_CALLBLOCK ? def->b : def->a);
    c->cur_scope = saved;
    c->loop_ctl = saved_ctl;
    jdepth_leave(c);
    return out;
}

static jv fn_range(jctx *c, const jnode *at, const jargs *a) {
    int64_t v[3] = {0, 0, 1};
    if (a->n_pos < 1 || a->n_pos > 3 || a->n_kw) jfail_at(c, at, "range expects 1 to 3 integer arguments");
    for (size_t i = 0; i < a->n_pos; i++) {
        if (!is_intlike(&a->pos[i])) jfail_at(c, at, "range: '%s' object cannot be interpreted as an integer",
                                             jv_type_name(&a->pos[i]));
        v[a->n_pos == 1 ? 1 : i] = as_int(&a->pos[i]);
    }
    if (v[2] == 0) jfail_at(c, at, "range() arg 3 must not be zero");
    /* item count without overflow */
    long double span = v[2] > 0 ? (long double)v[1] - v[0] : (long double)v[0] - v[1];
    long double count = span <= 0 ? 0 : ceill(span / (v[2] > 0 ? (long double)v[2] : -(long double)v[2]));
    if (count > 100000)
        jfail(c, LLAMAC_ERR_LIMIT, at->line, at->col,
              "range too big: the sandbox (as jinja2's) allows at most 100000 items, this one has %.0Lf", count);
    jv out = jv_list_new(c, (size_t)count);
    for (int64_t i = 0, x = v[0]; i < (int64_t)count; i++, x += v[2]) jlist_push(c, out.u.l, jv_int(x));
    return out;
}

static jv fn_strftime(jctx *c, const jnode *at, const jargs *a) {
    const jv *fmt = jarg(a, 0, "format");
    if (!fmt || fmt->k != JV_STR) jfail_at(c, at, "strftime_now expects a format string");
    if (fmt->u.s.n > 256) jfail_at(c, at, "strftime_now: the format is longer than 256 bytes");
    char f[260], out[1024];
    memcpy(f, fmt->u.s.p, fmt->u.s.n);
    f[fmt->u.s.n] = '\0';
    time_t t = c->now == INT64_MIN ? time(NULL) : (time_t)c->now;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) jfail_at(c, at, "strftime_now: the time is out of range");
    size_t n = f[0] ? strftime(out, sizeof out, f, &tm) : 0;
    return jv_strcopy(c, out, n);
}

jv jcall_value(jctx *c, const jnode *at, const jv *callee, const jv *args, size_t n_args, const char **kw_names,
               const jv *kw, size_t n_kw) {
    jargs a = {args, n_args, kw_names, kw, n_kw};
    switch (callee->k) {
    case JV_MACRO: return call_macro(c, at, callee->u.m, &a);
    case JV_METHOD: return jmethod(c, at, &callee->u.bm->self, callee->u.bm->name, &a);
    case JV_FUNC:
        switch (callee->u.fn) {
        case F_RANGE: return fn_range(c, at, &a);
        case F_NAMESPACE:
        case F_DICT: {
            jv d = jv_dict_new(c, 0);
            if (n_args >= 1 && (args[0].k == JV_DICT || args[0].k == JV_NS))
                for (size_t i = 0; i < args[0].u.d->n; i++) jdict_set(c, d.u.d, args[0].u.d->key[i], args[0].u.d->val[i]);
            for (size_t k = 0; k < n_kw; k++) jdict_set(c, d.u.d, jv_cstr(kw_names[k]), kw[k]);
            if (callee->u.fn == F_NAMESPACE) d.k = JV_NS;
            return d;
        }
        case F_RAISE: {
            jv msg = n_args ? jv_to_string(c, &args[0], at) : jv_cstr("");
            jfail_at(c, at, "raise_exception: %.*s", (int)LC_MIN(msg.u.s.n, 400), msg.u.s.p);
        }
        case F_STRFTIME: return fn_strftime(c, at, &a);
        default: break;
        }
        break;
    case JV_UNDEF: undefined_error(c, at, callee);
    default: break;
    }
    jfail_at(c, at, "'%s' object is not callable", jv_type_name(callee));
}

static jv *eval_list(jctx *c, const jnode *const *kids, size_t n) {
    jv *v = n ? jalloc_array(c, n, sizeof *v) : NULL;
    for (size_t i = 0; i < n; i++) v[i] = jeval(c, kids[i]);
    return v;
}

static jv eval_call(jctx *c, const jnode *n, const jv *caller) {
    jv *args = eval_list(c, n->kids, n->n_kids);
    size_t n_kw = n->n_kw + (caller ? 1 : 0);
    jv *kw = n_kw ? jalloc_array(c, n_kw, sizeof *kw) : NULL;
    const char **names = n_kw ? jalloc_array(c, n_kw, sizeof *names) : NULL;
    for (size_t i = 0; i < n->n_kw; i++) {
        kw[i] = jeval(c, n->kw[i]);
        names[i] = n->kw_names[i];
    }
    if (caller) {
        kw[n->n_kw] = *caller;
        names[n->n_kw] = "caller";
    }
    const jnode *f = n->a;
    if (f->op == N_ATTR) { /* obj.method(...) without making a bound method */
        jv obj = jeval(c, f->a);
        if (obj.k != JV_UNDEF && obj.k != JV_NS && obj.k != JV_LOOP && jmethod_exists(&obj, f->val.u.s.p)) {
            jargs a = {args, n->n_kids, names, kw, n_kw};
            return jmethod(c, n, &obj, f->val.u.s.p, &a);
        }
        jv callee = jattr(c, f, &obj, f->val.u.s.p, f->val.u.s.n);
        return jcall_value(c, n, &callee, args, n->n_kids, names, kw, n_kw);
    }
    jv callee = jeval(c, f);
    return jcall_value(c, n, &callee, args, n->n_kids, names, kw, n_kw);
}

/* Applies a filter node's chain (innermost first): to v in a filter block
 * (the innermost node's `a` is NULL), else to the operand expression. */
static jv apply_filter(jctx *c, const jnode *f, jv v) {
    jdepth_enter(c, f->line, f->col);
    if (f->a) v = f->a->op == N_FILTER ? apply_filter(c, f->a, v) : jeval(c, f->a);
    jv *args = eval_list(c, f->kids, f->n_kids);
    jv *kw = f->n_kw ? eval_list(c, f->kw, f->n_kw) : NULL;
    jargs a = {args, f->n_kids, f->kw_names, kw, f->n_kw};
    v = jfilter(c, f, f->val.u.s.p, &v, &a);
    jdepth_leave(c);
    return v;
}

static jv eval_concat(jctx *c, const jnode *n) {
    jbuf b = {0};
    for (size_t i = 0; i < n->n_kids; i++) {
        jv v = jeval(c, n->kids[i]);
        jv_write_str(c, &b, &v, n);
    }
    return jv_str(b.p ? b.p : "", b.n);
}

jv jeval(jctx *c, const jnode *n) {
    jstep(c, n);
    jdepth_enter(c, n->line, n->col);
    c->cur_line = n->line;
    c->cur_col = n->col;
    jv r;
    switch (n->op) {
    case N_CONST: r = n->val; break;
    case N_NAME: {
        const jv *v = scope_get(c, c->cur_scope, n->val.u.s.p);
        r = v ? *v : undefined_msg(c, "'%s' is undefined%s", n->val.u.s.p, n->val.u.s.n, NULL);
        break;
    }
    case N_ATTR: {
        jv obj = jeval(c, n->a);
        r = jattr(c, n, &obj, n->val.u.s.p, n->val.u.s.n);
        break;
    }
    case N_ITEM: {
        jv obj = jeval(c, n->a), key = jeval(c, n->b);
        r = jitem(c, n, &obj, &key);
        break;
    }
    case N_SLICE: {
        jv obj = jeval(c, n->a), p[3];
        for (int i = 0; i < 3; i++) p[i] = n->kids[i] ? jeval(c, n->kids[i]) : jv_none();
        r = do_slice(c, n, &obj, &p[0], &p[1], &p[2]);
        break;
    }
    case N_CALL: r = eval_call(c, n, NULL); break;
    case N_FILTER: r = apply_filter(c, n, jv_none()); break; /* a is evaluated inside */
    case N_TEST: {
        jv v = jeval(c, n->a);
        jv *args = eval_list(c, n->kids, n->n_kids);
        jv *kw = n->n_kw ? eval_list(c, n->kw, n->n_kw) : NULL;
        jargs a = {args, n->n_kids, n->kw_names, kw, n->n_kw};
        bool t = jtest(c, n, n->val.u.s.p, &v, &a);
        r = jv_bool(n->sub ? !t : t);
        break;
    }
    case N_NOT: {
        jv v = jeval(c, n->a);
        r = jv_bool(!jv_truthy(&v));
        break;
    }
    case N_NEG:
    case N_POS: {
        jv v = jeval(c, n->a);
        if (v.k == JV_UNDEF) undefined_error(c, n, &v);
        if (!jv_is_num(&v)) jfail_at(c, n, "bad operand type for unary %s: '%s'", n->op == N_NEG ? "-" : "+", jv_type_name(&v));
        if (n->op == N_POS) r = v.k == JV_BOOL ? jv_int(v.u.b) : v;
        else if (v.k == JV_FLOAT) r = jv_float(-v.u.f);
        else {
            int64_t x = as_int(&v);
            if (x == INT64_MIN) overflow(c, n);
            r = jv_int(-x);
        }
        break;
    }
    case N_BIN: {
        jv a = jeval(c, n->a), b = jeval(c, n->b);
        r = binop(c, n, n->sub, &a, &b);
        break;
    }
    case N_AND: {
        r = jeval(c, n->a);
        if (jv_truthy(&r)) r = jeval(c, n->b);
        break;
    }
    case N_OR: {
        r = jeval(c, n->a);
        if (!jv_truthy(&r)) r = jeval(c, n->b);
        break;
    }
    case N_CMP: {
        jv a = jeval(c, n->a), b = jeval(c, n->b);
        r = jv_bool(compare(c, n, n->sub, &a, &b));
        break;
    }
    case N_COND: {
        jv t = jeval(c, n->b);
        r = jv_truthy(&t) ? jeval(c, n->a) : n->c ? jeval(c, n->c) : jv_undef("the conditional expression has no else");
        break;
    }
    case N_LIST:
    case N_TUPLE: {
        r = jv_list_new(c, n->n_kids);
        r.k = n->op == N_LIST ? JV_LIST : JV_TUPLE;
        for (size_t i = 0; i < n->n_kids; i++) jlist_push(c, r.u.l, jeval(c, n->kids[i]));
        break;
    }
    case N_DICT: {
        r = jv_dict_new(c, n->n_kids / 2);
        for (size_t i = 0; i + 1 < n->n_kids; i += 2) {
            jv k = jeval(c, n->kids[i]);
            jdict_set(c, r.u.d, k, jeval(c, n->kids[i + 1]));
        }
        break;
    }
    case N_CONCAT: r = eval_concat(c, n); break;
    default: jfail_at(c, n, "internal: statement used as an expression");
    }
    jdepth_leave(c);
    return r;
}

/* ---- statements ---- */

static void assign(jctx *c, const jnode *target, jv v) {
    if (target->op == N_NAME) {
        scope_set(c, c->cur_scope, target->val.u.s.p, v);
    } else if (target->op == N_ATTR) {
        jv ns = jeval(c, target->a);
        if (ns.k != JV_NS) jfail_at(c, target, "cannot assign attribute on non-namespace object");
        jdict_set(c, ns.u.d, jv_str(target->val.u.s.p, target->val.u.s.n), v);
    } else {
        jv seq = jv_iterable(c, &v, target);
        if (seq.u.l->n != target->n_kids)
            jfail_at(c, target, "cannot unpack %zu values into %zu names", seq.u.l->n, target->n_kids);
        for (size_t i = 0; i < target->n_kids; i++) assign(c, target->kids[i], seq.u.l->v[i]);
    }
}

static void exec_for(jctx *c, const jnode *n) {
    jv src = jeval(c, n->b);
    jv items = jv_iterable(c, &src, n->b);
    jscope *outer = c->cur_scope;
    if (n->n_kw) { /* `for x in y if cond`: filter first, so loop.length counts what runs */
        jv kept = jv_list_new(c, items.u.l->n);
        for (size_t i = 0; i < items.u.l->n; i++) {
            jstep(c, n);
            c->cur_scope = scope_new(c, outer);
            assign(c, n->a, items.u.l->v[i]);
            jv t = jeval(c, n->kw[0]);
            if (jv_truthy(&t)) jlist_push(c, kept.u.l, items.u.l->v[i]);
        }
        c->cur_scope = outer;
        items = kept;
    }
    const size_t count = items.u.l->n;
    jloop *l = jalloc(c, sizeof *l);
    l->items = items.u.l->v;
    l->length = (int64_t)count;
    l->at = n;
    jv loopv = {.k = JV_LOOP};
    loopv.u.loop = l;
    jscope *s = scope_new(c, outer);
    for (size_t i = 0; i < count; i++) {
        jstep(c, n);
        l->index0 = (int64_t)i;
        s->n = 0; /* a fresh scope each iteration, as jinja2's */
        c->cur_scope = s;
        scope_set(c, s, "loop", loopv);
        assign(c, n->a, items.u.l->v[i]);
        exec(c, n->c);
        const int ctl = c->loop_ctl;
        c->loop_ctl = 0;
        if (ctl == 1) break;
    }
    c->cur_scope = outer;
    if (count == 0 && n->d) exec(c, n->d);
}

static void exec(jctx *c, const jnode *n) {
    jstep(c, n);
    c->cur_line = n->line;
    c->cur_col = n->col;
    switch (n->op) {
    case N_TEXT: jbuf_put(c, c->out, n->val.u.s.p, n->val.u.s.n); return;
    case N_OUT: {
        jv v = jeval(c, n->a);
        jv_write_str(c, c->out, &v, n);
        return;
    }
    case N_BODY:
        jdepth_enter(c, n->line, n->col);
        for (size_t i = 0; i < n->n_kids && !c->loop_ctl; i++) exec(c, n->kids[i]);
        jdepth_leave(c);
        return;
    case N_IF:
        for (size_t i = 0; i + 1 < n->n_kids; i += 2) {
            jv t = jeval(c, n->kids[i]);
            if (jv_truthy(&t)) {
                exec(c, n->kids[i + 1]);
                return;
            }
        }
        if (n->a) exec(c, n->a);
        return;
    case N_FOR: exec_for(c, n); return;
    case N_SET: assign(c, n->a, jeval(c, n->b)); return;
    case N_SETBLOCK: {
        jv v = capture(c, n->b);
        if (n->c) v = apply_filter(c, n->c, v);
        assign(c, n->a, v);
        return;
    }
    case N_MACRO: {
        jv m = {.k = JV_MACRO};
        m.u.m = jalloc(c, sizeof *m.u.m);
        m.u.m->node = n;
        m.u.m->closure = c->cur_scope;
        scope_set(c, c->cur_scope, n->val.u.s.p, m);
        return;
    }
    case N_CALLBLOCK: {
        jv caller = {.k = JV_MACRO};
        caller.u.m = jalloc(c, sizeof *caller.u.m);
        caller.u.m->node = n;
        caller.u.m->closure = c->cur_scope;
        jv r = eval_call(c, n->a, &caller);
        jv_write_str(c, c->out, &r, n);
        return;
    }
    case N_FILTERBLOCK: {
        jv v = capture(c, n->a);
        v = apply_filter(c, n->b, v);
        jv_write_str(c, c->out, &v, n);
        return;
    }
    case N_BREAK: c->loop_ctl = 1; return;
    case N_CONTINUE: c->loop_ctl = 2; return;
    default: {
        jv v = jeval(c, n);
        (void)v;
        return;
    }
    }
}

void jrender(jctx *c, const jnode *root) {
    static const struct {
        const char *name;
        int fn;
    } fns[] = {{"range", F_RANGE},
               {"namespace", F_NAMESPACE},
               {"dict", F_DICT},
               {"raise_exception", F_RAISE},
               {"strftime_now", F_STRFTIME}};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        jv f = {.k = JV_FUNC};
        f.u.fn = fns[i].fn;
        if (!scope_get(c, c->globals, fns[i].name)) scope_set(c, c->globals, fns[i].name, f);
    }
    c->cur_scope = scope_new(c, c->globals);
    exec(c, root);
}

void jscope_define(jctx *c, jscope *s, const char *name, jv v) { scope_set(c, s, name, v); }
jscope *jscope_new(jctx *c, jscope *parent) { return scope_new(c, parent); }
