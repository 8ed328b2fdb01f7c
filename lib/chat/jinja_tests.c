/* The tests (`x is NAME`), as jinja2/tests.py (3.1) defines them. */
#include "jinja_str.h"

#include <math.h>
#include <string.h>

static const jv *need(jctx *c, const jnode *at, const jargs *a, const char *name) {
    const jv *v = jarg(a, 0, NULL);
    if (!v) jfail_at(c, at, "the test '%s' needs an argument", name);
    return v;
}

static bool eq(const char *a, const char *b) { return strcmp(a, b) == 0; }

static const char *const TESTS[] = {"defined", "undefined", "none", "string", "number", "integer", "float", "boolean",
                                    "mapping", "iterable", "sequence", "equalto", "eq", "==", "ne", "!=", "lt", "<",
                                    "lessthan", "le", "<=", "gt", ">", "greaterthan", "ge", ">=", "callable", "true",
                                    "false", "odd", "even", "divisibleby", "in", "sameas", "lower", "upper", NULL};

bool jtest_exists(const char *name) {
    for (size_t i = 0; TESTS[i]; i++)
        if (eq(TESTS[i], name)) return true;
    return false;
}

static int64_t int_of(jctx *c, const jnode *at, const jv *v, const char *test) {
    if (v->k == JV_INT) return v->u.i;
    if (v->k == JV_BOOL) return v->u.b;
    if (v->k == JV_UNDEF) jfail_at(c, at, "%s", v->u.s.p ? v->u.s.p : "the value is undefined");
    jfail_at(c, at, "the test '%s' needs an integer, not %s", test, jv_type_name(v));
}

bool jtest(jctx *c, const jnode *at, const char *name, const jv *v, const jargs *a) {
    jstep(c, at);
    const jkind k = (jkind)v->k;
    if (eq(name, "defined")) return k != JV_UNDEF;
    if (eq(name, "undefined")) return k == JV_UNDEF;
    if (eq(name, "none")) return k == JV_NONE;
    if (eq(name, "string")) return k == JV_STR;
    if (eq(name, "number")) return k == JV_INT || k == JV_FLOAT || k == JV_BOOL;
    if (eq(name, "integer")) return k == JV_INT;
    if (eq(name, "float")) return k == JV_FLOAT;
    if (eq(name, "boolean")) return k == JV_BOOL;
    if (eq(name, "true")) return k == JV_BOOL && v->u.b;
    if (eq(name, "false")) return k == JV_BOOL && !v->u.b;
    if (eq(name, "mapping")) return k == JV_DICT;
    if (eq(name, "iterable")) return k == JV_STR || k == JV_LIST || k == JV_TUPLE || k == JV_DICT || k == JV_UNDEF;
    if (eq(name, "sequence")) return k == JV_STR || k == JV_LIST || k == JV_TUPLE || k == JV_DICT || k == JV_UNDEF;
    if (eq(name, "callable")) return k == JV_MACRO || k == JV_FUNC || k == JV_METHOD;
    if (eq(name, "equalto") || eq(name, "eq") || eq(name, "==")) return jv_equal(c, v, need(c, at, a, name));
    if (eq(name, "ne") || eq(name, "!=")) return !jv_equal(c, v, need(c, at, a, name));
    if (eq(name, "sameas")) {
        const jv *o = need(c, at, a, name);
        if (k != o->k) return false;
        if (k == JV_NONE || k == JV_UNDEF) return true;
        if (k == JV_BOOL) return v->u.b == o->u.b;
        return jv_equal(c, v, o) && (k == JV_INT || k == JV_STR);
    }
    if (eq(name, "lt") || eq(name, "<") || eq(name, "lessthan") || eq(name, "le") || eq(name, "<=") ||
        eq(name, "gt") || eq(name, ">") || eq(name, "greaterthan") || eq(name, "ge") || eq(name, ">=")) {
        const jv *o = need(c, at, a, name);
        int r = jv_compare(c, at, v, o);
        if (name[0] == 'l' || name[0] == '<') return (name[1] == 'e' || name[1] == '=') ? r <= 0 : r < 0;
        return (name[1] == 'e' || name[1] == '=') ? r >= 0 : r > 0;
    }
    if (eq(name, "odd")) return int_of(c, at, v, name) % 2 != 0;
    if (eq(name, "even")) return int_of(c, at, v, name) % 2 == 0;
    if (eq(name, "divisibleby")) {
        int64_t d = int_of(c, at, need(c, at, a, name), name);
        if (d == 0) jfail_at(c, at, "divisibleby 0");
        if (d == -1) return true;
        return int_of(c, at, v, name) % d == 0;
    }
    if (eq(name, "in")) {
        const jv *o = need(c, at, a, name);
        jv seq = jv_iterable(c, o, at);
        if (o->k == JV_STR) {
            if (k != JV_STR) jfail_at(c, at, "'in <string>' requires string as left operand");
            return jstr_find(*o, *v, 0) >= 0;
        }
        for (size_t i = 0; i < seq.u.l->n; i++)
            if (jv_equal(c, v, &seq.u.l->v[i])) return true;
        return false;
    }
    if (eq(name, "lower") || eq(name, "upper")) {
        if (k != JV_STR) return false;
        jv s = jstr_case(c, *v, name[0] == 'l' ? JCASE_LOWER : JCASE_UPPER);
        return s.u.s.n == v->u.s.n && memcmp(s.u.s.p, v->u.s.p, s.u.s.n) == 0;
    }
    jfail(c, LLAMAC_ERR_UNSUPPORTED, at->line, at->col, "no test named '%s' (not in jinja2 or not supported)", name);
}
