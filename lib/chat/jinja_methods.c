/* Methods of values, as the sandbox lets a template call them: str, dict
 * and list methods that do not modify anything, and loop.cycle. Methods
 * that would modify a value (list.append, dict.update, ...) are refused
 * the way jinja2's ImmutableSandboxedEnvironment refuses them. */
#include "jinja_str.h"

#include <stdio.h>
#include <string.h>

static const char *const STR_METHODS[] = {"strip", "lstrip", "rstrip", "split", "startswith", "endswith", "upper",
                                          "lower", "replace", "title", "capitalize", "find", "count", "join",
                                          "rfind", "isdigit", "isspace", "isalpha", "islower", "isupper", NULL};
static const char *const DICT_METHODS[] = {"items", "keys", "values", "get", NULL};
static const char *const LIST_METHODS[] = {"index", "count", NULL};
/* Modifying methods: the immutable sandbox refuses them. */
static const char *const UNSAFE[] = {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
                                     "update", "setdefault", "popitem", "add", "discard", "format", "format_map",
                                     NULL};

static bool in(const char *const *list, const char *name) {
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0) return true;
    return false;
}

bool jmethod_exists(const jv *self, const char *name) {
    switch (self->k) {
    case JV_STR: return in(STR_METHODS, name) || in(UNSAFE, name);
    case JV_DICT: return in(DICT_METHODS, name) || in(UNSAFE, name);
    case JV_LIST:
    case JV_TUPLE: return in(LIST_METHODS, name) || (self->k == JV_LIST && in(UNSAFE, name));
    default: return false;
    }
}

static jv str_arg(jctx *c, const jnode *at, const jargs *a, size_t i, const char *name, const char *method) {
    const jv *v = jarg(a, i, name);
    if (!v || v->k != JV_STR) jfail_at(c, at, "%s expects a string argument", method);
    return *v;
}

static int64_t int_arg(jctx *c, const jnode *at, const jargs *a, size_t i, const char *name, int64_t def) {
    const jv *v = jarg(a, i, name);
    if (!v || v->k == JV_NONE) return def;
    if (v->k != JV_INT) jfail_at(c, at, "expected an integer argument '%s'", name);
    return v->u.i;
}

static bool affix(jctx *c, const jnode *at, jv s, const jv *arg, bool ends) {
    if (!arg) jfail_at(c, at, "%s expects an argument", ends ? "endswith" : "startswith");
    if (arg->k == JV_TUPLE || arg->k == JV_LIST) {
        for (size_t i = 0; i < arg->u.l->n; i++)
            if (arg->u.l->v[i].k == JV_STR &&
                (ends ? jstr_ends(s, arg->u.l->v[i]) : jstr_starts(s, arg->u.l->v[i])))
                return true;
        return false;
    }
    if (arg->k != JV_STR) jfail_at(c, at, "%s expects a string or a tuple of strings", ends ? "endswith" : "startswith");
    return ends ? jstr_ends(s, *arg) : jstr_starts(s, *arg);
}

static jv str_method(jctx *c, const jnode *at, jv s, const char *name, const jargs *a) {
    if (!strcmp(name, "strip") || !strcmp(name, "lstrip") || !strcmp(name, "rstrip")) {
        const jv *chars = jarg(a, 0, "chars");
        if (chars && chars->k == JV_NONE) chars = NULL;
        if (chars && chars->k != JV_STR) jfail_at(c, at, "%s arg must be None or str", name);
        return jstr_strip(s, chars, name[0] != 'r', name[0] != 'l');
    }
    if (!strcmp(name, "split")) {
        const jv *sep = jarg(a, 0, "sep");
        if (sep && sep->k == JV_NONE) sep = NULL;
        if (sep && sep->k != JV_STR) jfail_at(c, at, "split: the separator must be a string");
        return jstr_split(c, at, s, sep, int_arg(c, at, a, 1, "maxsplit", -1));
    }
    if (!strcmp(name, "startswith")) return jv_bool(affix(c, at, s, jarg(a, 0, "prefix"), false));
    if (!strcmp(name, "endswith")) return jv_bool(affix(c, at, s, jarg(a, 0, "suffix"), true));
    if (!strcmp(name, "upper")) return jstr_case(c, s, JCASE_UPPER);
    if (!strcmp(name, "lower")) return jstr_case(c, s, JCASE_LOWER);
    if (!strcmp(name, "title")) return jstr_case(c, s, JCASE_TITLE);
    if (!strcmp(name, "capitalize")) return jstr_case(c, s, JCASE_CAPITALIZE);
    if (!strcmp(name, "replace"))
        return jstr_replace(c, at, s, str_arg(c, at, a, 0, "old", "replace"), str_arg(c, at, a, 1, "new", "replace"),
                            int_arg(c, at, a, 2, "count", -1));
    if (!strcmp(name, "find") || !strcmp(name, "rfind")) {
        jv sub = str_arg(c, at, a, 0, "sub", name);
        ptrdiff_t hit = -1;
        if (name[0] == 'f') {
            hit = jstr_find(s, sub, 0);
        } else {
            for (ptrdiff_t p = jstr_find(s, sub, 0); p >= 0; p = jstr_find(s, sub, (size_t)p + 1)) {
                hit = p;
                if ((size_t)p >= s.u.s.n) break;
            }
        }
        if (hit < 0) return jv_int(-1);
        return jv_int((int64_t)jstr_len(jv_str(s.u.s.p, (size_t)hit)));
    }
    if (!strcmp(name, "count")) {
        jv sub = str_arg(c, at, a, 0, "sub", "count");
        if (sub.u.s.n == 0) return jv_int((int64_t)jstr_len(s) + 1);
        int64_t k = 0;
        for (ptrdiff_t p = jstr_find(s, sub, 0); p >= 0; p = jstr_find(s, sub, (size_t)p + sub.u.s.n)) k++;
        return jv_int(k);
    }
    if (!strcmp(name, "join")) {
        const jv *it = jarg(a, 0, "iterable");
        if (!it) jfail_at(c, at, "join expects an iterable");
        jv items = jv_iterable(c, it, at);
        jbuf b = {0};
        for (size_t i = 0; i < items.u.l->n; i++) {
            if (items.u.l->v[i].k != JV_STR) jfail_at(c, at, "sequence item %zu: expected str instance, %s found", i,
                                                      jv_type_name(&items.u.l->v[i]));
            if (i) jbuf_put(c, &b, s.u.s.p, s.u.s.n);
            jbuf_put(c, &b, items.u.l->v[i].u.s.p, items.u.l->v[i].u.s.n);
        }
        return jv_str(b.p ? b.p : "", b.n);
    }
    /* is* predicates over ASCII classes */
    bool all = s.u.s.n > 0, any_cased = false;
    for (size_t i = 0; i < s.u.s.n; i++) {
        const char ch = s.u.s.p[i];
        const bool up = ch >= 'A' && ch <= 'Z', lo = ch >= 'a' && ch <= 'z';
        if (up || lo) any_cased = true;
        if (!strcmp(name, "isdigit")) all = all && ch >= '0' && ch <= '9';
        else if (!strcmp(name, "isspace")) all = all && jstr_is_space(ch);
        else if (!strcmp(name, "isalpha")) all = all && (up || lo);
        else if (!strcmp(name, "islower")) all = all && !up;
        else if (!strcmp(name, "isupper")) all = all && !lo;
    }
    if (!strcmp(name, "islower") || !strcmp(name, "isupper")) all = all && any_cased;
    return jv_bool(all);
}

static jv pair(jctx *c, jv k, jv v) {
    jv t = jv_list_new(c, 2);
    t.k = JV_TUPLE;
    jlist_push(c, t.u.l, k);
    jlist_push(c, t.u.l, v);
    return t;
}

jv jmethod(jctx *c, const jnode *at, const jv *self, const char *name, const jargs *a) {
    jstep(c, at);
    if (self->k == JV_LOOP && !strcmp(name, "cycle")) {
        if (a->n_pos == 0) jfail_at(c, at, "no items for cycling given");
        return a->pos[self->u.loop->index0 % (int64_t)a->n_pos];
    }
    if (in(UNSAFE, name) && jmethod_exists(self, name))
        jfail_at(c, at, "access to attribute '%s' of '%s' object is unsafe.", name, jv_type_name(self));
    switch (self->k) {
    case JV_STR: return str_method(c, at, *self, name, a);
    case JV_DICT: {
        const jdict *d = self->u.d;
        if (!strcmp(name, "get")) {
            const jv *key = jarg(a, 0, "key");
            if (!key) jfail_at(c, at, "get expected at least 1 argument, got 0");
            const jv *v = jdict_find(c, d, *key);
            const jv *def = jarg(a, 1, "default");
            return v ? *v : def ? *def : jv_none();
        }
        jv out = jv_list_new(c, d->n);
        for (size_t i = 0; i < d->n; i++)
            jlist_push(c, out.u.l, !strcmp(name, "keys") ? d->key[i] : !strcmp(name, "values") ? d->val[i]
                                                                                               : pair(c, d->key[i], d->val[i]));
        return out;
    }
    case JV_LIST:
    case JV_TUPLE: {
        const jv *x = jarg(a, 0, "value");
        if (!x) jfail_at(c, at, "%s expects an argument", name);
        int64_t k = 0;
        for (size_t i = 0; i < self->u.l->n; i++)
            if (jv_equal(c, &self->u.l->v[i], x)) {
                if (!strcmp(name, "index")) return jv_int((int64_t)i);
                k++;
            }
        if (!strcmp(name, "index")) jfail_at(c, at, "list.index(x): x not in list");
        return jv_int(k);
    }
    default: break;
    }
    jfail_at(c, at, "'%s' object has no method '%s'", jv_type_name(self), name);
}
