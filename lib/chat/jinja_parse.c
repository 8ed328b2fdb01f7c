/* The parser: tokens to the syntax tree, following jinja2's grammar
 * (jinja2/parser.py, 3.1) so that precedence and the places where filters
 * and tests bind are the same:
 *   condexpr:  or ('if' or ('else' condexpr)?)*
 *   or / and / not, then compare (== != < <= > >= in, not in),
 *   + -, then ~, then * / // %, then **, then unary - +, then a primary
 *   with postfixes (.name [subscript] (call)) and filters (| name) and
 *   tests (is [not] name).
 * Recursion is bounded: parse_condexpr, parse_not, parse_unary and
 * parse_statement each take one level of max_depth.
 *
 * Node fields by kind (jinja.h):
 *   N_CONST val; N_NAME val.s name; N_ATTR a, val.s name; N_ITEM a, b;
 *   N_SLICE a, kids[3] (start, stop, step; NULL when absent);
 *   N_CALL a, kids (positional), kw; N_FILTER a (NULL in a filter block),
 *   val.s name, kids, kw; N_TEST a, val.s name, kids, sub (1: `is not`);
 *   N_NOT/N_NEG/N_POS a; N_BIN/N_CMP a, b, sub (jbin); N_AND/N_OR a, b;
 *   N_COND a (value), b (test), c (else, may be NULL); N_LIST/N_TUPLE
 *   kids; N_DICT kids (key, value, key, value, ...); N_CONCAT kids;
 *   N_TEXT val; N_OUT a; N_BODY kids;
 *   N_IF kids (cond, body, cond, body, ...), a (else body or NULL);
 *   N_FOR a (target: N_NAME or N_TUPLE of them), b (iterable), c (body),
 *   d (else body), kw[0] (filter condition, n_kw 0 or 1);
 *   N_SET a (target), b (value); N_SETBLOCK a (target), b (body), c
 *   (filter chain or NULL); N_MACRO val.s name, kids (parameter names as
 *   N_NAME), kw (defaults, aligned to the last parameters: kw_names are
 *   their names), a (body); N_CALLBLOCK a (the call), b (caller body), kids
 *   (caller parameters), kw (their defaults); N_FILTERBLOCK a (body), b
 *   (filter chain, innermost N_FILTER's a NULL). */
#include "jinja.h"

#include "common/escape.h"

#include <stdio.h>
#include <string.h>

static const jtoken *cur(jctx *c) { return &c->toks[c->pos]; }
static const jtoken *peek(jctx *c, size_t k) {
    size_t i = c->pos + k;
    return &c->toks[i < c->n_toks ? i : c->n_toks - 1];
}
static void advance(jctx *c) {
    if (c->pos + 1 < c->n_toks) c->pos++;
}

static bool tok_is(const jtoken *t, jtok kind, const char *text) {
    if (t->kind != kind) return false;
    if (!text) return true;
    size_t k = strlen(text);
    return t->n == k && memcmp(t->p, text, k) == 0;
}
static bool is_op(jctx *c, const char *op) { return tok_is(cur(c), T_OP, op); }
static bool is_name(jctx *c, const char *name) { return tok_is(cur(c), T_NAME, name); }

static const char *tok_desc(const jtoken *t, char *buf, size_t size) {
    switch (t->kind) {
    case T_EOF: return "end of template";
    case T_VAR_END: return "end of print statement";
    case T_BLOCK_END: return "end of statement block";
    case T_STRING: return "string";
    case T_INT: return "integer";
    case T_FLOAT: return "float";
    default: lc_escape(buf, size, t->p, t->n); return buf;
    }
}

_Noreturn static void unexpected(jctx *c, const char *expected) {
    char buf[64];
    const jtoken *t = cur(c);
    jfail(c, LLAMAC_ERR_FORMAT, t->line, t->col, "expected %s, got '%s'", expected, tok_desc(t, buf, sizeof buf));
}

static void expect_op(jctx *c, const char *op) {
    if (!is_op(c, op)) {
        char e[16];
        snprintf(e, sizeof e, "'%s'", op);
        unexpected(c, e);
    }
    advance(c);
}

static const char *expect_name(jctx *c, size_t *n) {
    if (cur(c)->kind != T_NAME) unexpected(c, "a name");
    const jtoken *t = cur(c);
    advance(c);
    if (n) *n = t->n;
    return jstrdup(c, t->p, t->n);
}

static jnode *mk(jctx *c, jop op, const jtoken *at) {
    jnode *n = jalloc(c, sizeof *n);
    n->op = (uint8_t)op;
    n->line = at->line;
    n->col = at->col;
    c->cur_line = at->line; /* where a memory limit hit while parsing is reported */
    c->cur_col = at->col;
    return n;
}

/* A left-nested chain (a + b + c, x|f|g, x.a.b) makes the tree one level
 * deeper per link, without recursion here; each link takes a level of
 * max_depth (given back when the chain ends) so the evaluator's recursion
 * over the tree stays within it too. */
static void chain_link(jctx *c, const jtoken *t, uint32_t *links) {
    jdepth_enter(c, t->line, t->col);
    (*links)++;
}

/* A growable node list in the arena. */
typedef struct nlist {
    const jnode **v;
    size_t n, cap;
    const char **names;
} nlist;

static void nl_push(jctx *c, nlist *l, const jnode *x, const char *name) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        const jnode **v = jalloc_array(c, cap, sizeof *v);
        const char **nm = jalloc_array(c, cap, sizeof *nm);
        if (l->n) {
            memcpy(v, l->v, l->n * sizeof *v);
            memcpy(nm, l->names, l->n * sizeof *nm);
        }
        l->v = v;
        l->names = nm;
        l->cap = cap;
    }
    l->names[l->n] = name;
    l->v[l->n++] = x;
}

static const jnode *parse_expr(jctx *c);
static const jnode *parse_condexpr_noif(jctx *c);
static const jnode *parse_unary(jctx *c, bool with_filter);
static const jnode *parse_primary(jctx *c);
static const jnode *parse_postfix(jctx *c, const jnode *n);
static const jnode *parse_filter_expr(jctx *c, const jnode *n);
static const jnode *parse_or(jctx *c);

/* tuple: expr (',' expr)* ; a single expression without a comma is itself */
static const jnode *parse_tuple(jctx *c, bool with_condexpr, bool explicit_parens, const char *stop_name) {
    const jtoken *start = cur(c);
    nlist items = {0};
    bool comma = false;
    for (;;) {
        if (items.n) {
            if (!is_op(c, ",")) break;
            advance(c);
            comma = true;
        }
        const jtoken *t = cur(c);
        if (t->kind == T_VAR_END || t->kind == T_BLOCK_END || t->kind == T_EOF || is_op(c, ")") ||
            (stop_name && is_name(c, stop_name)) || (items.n && is_name(c, "if")))
            break;
        nl_push(c, &items, with_condexpr ? parse_expr(c) : parse_or(c), NULL);
    }
    if (!comma) {
        if (items.n == 1) return items.v[0];
        if (!explicit_parens) unexpected(c, "an expression");
    }
    jnode *n = mk(c, N_TUPLE, start);
    n->kids = items.v;
    n->n_kids = items.n;
    return n;
}

/* call arguments after '(' up to ')' */
static void parse_args(jctx *c, jnode *n) {
    nlist pos = {0}, kw = {0};
    while (!is_op(c, ")")) {
        if (pos.n || kw.n) {
            expect_op(c, ",");
            if (is_op(c, ")")) break;
        }
        if (is_op(c, "*") || is_op(c, "**")) {
            const jtoken *t = cur(c);
            jfail(c, LLAMAC_ERR_UNSUPPORTED, t->line, t->col, "*args and **kwargs in calls are not supported");
        }
        if (cur(c)->kind == T_NAME && tok_is(peek(c, 1), T_OP, "=")) {
            const char *name = expect_name(c, NULL);
            advance(c);
            nl_push(c, &kw, parse_expr(c), name);
        } else {
            if (kw.n) unexpected(c, "a keyword argument (positional after keyword)");
            nl_push(c, &pos, parse_expr(c), NULL);
        }
    }
    advance(c);
    n->kids = pos.v;
    n->n_kids = pos.n;
    n->kw = kw.v;
    n->kw_names = kw.names;
    n->n_kw = kw.n;
}

static const jnode *parse_primary(jctx *c) {
    const jtoken *t = cur(c);
    jnode *n;
    switch (t->kind) {
    case T_NAME: {
        advance(c);
        n = mk(c, N_CONST, t);
        if (tok_is(t, T_NAME, "true") || tok_is(t, T_NAME, "True")) {
            n->val = jv_bool(true);
        } else if (tok_is(t, T_NAME, "false") || tok_is(t, T_NAME, "False")) {
            n->val = jv_bool(false);
        } else if (tok_is(t, T_NAME, "none") || tok_is(t, T_NAME, "None")) {
            n->val = jv_none();
        } else {
            n->op = N_NAME;
            n->val = jv_str(jstrdup(c, t->p, t->n), t->n);
        }
        return n;
    }
    case T_STRING: {
        /* adjacent literals concatenate */
        jbuf b = {0};
        while (cur(c)->kind == T_STRING) {
            jbuf_put(c, &b, cur(c)->p, cur(c)->n);
            advance(c);
        }
        n = mk(c, N_CONST, t);
        n->val = jv_str(b.p ? b.p : "", b.n);
        return n;
    }
    case T_INT:
        advance(c);
        n = mk(c, N_CONST, t);
        n->val = jv_int(t->i);
        return n;
    case T_FLOAT:
        advance(c);
        n = mk(c, N_CONST, t);
        n->val = jv_float(t->f);
        return n;
    case T_OP:
        if (is_op(c, "(")) {
            advance(c);
            const jnode *e = parse_tuple(c, true, true, NULL);
            expect_op(c, ")");
            return e;
        }
        if (is_op(c, "[")) {
            advance(c);
            nlist items = {0};
            while (!is_op(c, "]")) {
                if (items.n) {
                    expect_op(c, ",");
                    if (is_op(c, "]")) break;
                }
                nl_push(c, &items, parse_expr(c), NULL);
            }
            advance(c);
            n = mk(c, N_LIST, t);
            n->kids = items.v;
            n->n_kids = items.n;
            return n;
        }
        if (is_op(c, "{")) {
            advance(c);
            nlist items = {0};
            while (!is_op(c, "}")) {
                if (items.n) {
                    expect_op(c, ",");
                    if (is_op(c, "}")) break;
                }
                nl_push(c, &items, parse_expr(c), NULL);
                expect_op(c, ":");
                nl_push(c, &items, parse_expr(c), NULL);
            }
            advance(c);
            n = mk(c, N_DICT, t);
            n->kids = items.v;
            n->n_kids = items.n;
            return n;
        }
        break;
    default: break;
    }
    unexpected(c, "an expression");
}

static const jnode *parse_subscript(jctx *c, const jnode *obj, const jtoken *at) {
    /* after '[' : expr | [expr]:[expr][:[expr]] | expr, expr (tuple key) */
    const jnode *parts[3] = {NULL, NULL, NULL};
    int k = 0;
    bool is_slice = false;
    for (;;) {
        if (is_op(c, ":")) {
            is_slice = true;
            if (++k > 2) unexpected(c, "']'");
            advance(c);
            continue;
        }
        if (is_op(c, "]")) break;
        if (parts[k]) unexpected(c, "':' or ']'");
        parts[k] = k == 0 && !is_slice ? parse_tuple(c, true, false, NULL) : parse_expr(c);
    }
    advance(c);
    if (!is_slice) {
        if (!parts[0]) unexpected(c, "a subscript");
        jnode *n = mk(c, N_ITEM, at);
        n->a = obj;
        n->b = parts[0];
        return n;
    }
    jnode *n = mk(c, N_SLICE, at);
    n->a = obj;
    const jnode **kids = jalloc_array(c, 3, sizeof *kids);
    memcpy(kids, parts, sizeof parts);
    n->kids = kids;
    n->n_kids = 3;
    return n;
}

static const jnode *parse_postfix(jctx *c, const jnode *n) {
    uint32_t links = 0;
    for (;;) {
        const jtoken *t = cur(c);
        if (is_op(c, ".") || is_op(c, "[") || is_op(c, "(")) chain_link(c, t, &links);
        if (is_op(c, ".")) {
            advance(c);
            if (cur(c)->kind == T_INT) {
                jnode *x = mk(c, N_ITEM, t);
                jnode *k = mk(c, N_CONST, cur(c));
                k->val = jv_int(cur(c)->i);
                advance(c);
                x->a = n;
                x->b = k;
                n = x;
                continue;
            }
            size_t len;
            const char *name = expect_name(c, &len);
            jnode *x = mk(c, N_ATTR, t);
            x->a = n;
            x->val = jv_str(name, len);
            n = x;
        } else if (is_op(c, "[")) {
            advance(c);
            n = parse_subscript(c, n, t);
        } else if (is_op(c, "(")) {
            advance(c);
            jnode *x = mk(c, N_CALL, t);
            x->a = n;
            parse_args(c, x);
            n = x;
        } else {
            c->depth -= links;
            return n;
        }
    }
}

static jnode *parse_filter_one(jctx *c, const jnode *arg) {
    const jtoken *t = cur(c);
    size_t len;
    const char *name = expect_name(c, &len);
    while (is_op(c, ".")) { /* dotted filter names: join them */
        advance(c);
        size_t l2;
        const char *more = expect_name(c, &l2);
        char *joined = jalloc(c, len + l2 + 2);
        memcpy(joined, name, len);
        joined[len] = '.';
        memcpy(joined + len + 1, more, l2);
        name = joined;
        len += l2 + 1;
    }
    jnode *x = mk(c, N_FILTER, t);
    x->a = arg;
    x->val = jv_str(name, len);
    if (is_op(c, "(")) {
        advance(c);
        parse_args(c, x);
    }
    return x;
}

static const jnode *parse_filter_expr(jctx *c, const jnode *n) {
    uint32_t links = 0;
    for (;;) {
        if (is_op(c, "|") || is_name(c, "is") || is_op(c, "(")) chain_link(c, cur(c), &links);
        if (is_op(c, "|")) {
            advance(c);
            n = parse_filter_one(c, n);
        } else if (is_name(c, "is")) {
            const jtoken *t = cur(c);
            advance(c);
            bool negated = false;
            if (is_name(c, "not")) {
                advance(c);
                negated = true;
            }
            size_t len;
            const char *name = expect_name(c, &len);
            while (is_op(c, ".")) {
                advance(c);
                expect_name(c, NULL);
            }
            jnode *x = mk(c, N_TEST, t);
            x->a = n;
            x->val = jv_str(name, len);
            x->sub = negated;
            const jtoken *u = cur(c);
            if (is_op(c, "(")) {
                advance(c);
                parse_args(c, x);
            } else if ((u->kind == T_NAME || u->kind == T_STRING || u->kind == T_INT || u->kind == T_FLOAT ||
                        is_op(c, "[") || is_op(c, "{")) &&
                       !is_name(c, "else") && !is_name(c, "or") && !is_name(c, "and")) {
                if (is_name(c, "is")) unexpected(c, "a test argument");
                const jnode **kids = jalloc_array(c, 1, sizeof *kids);
                kids[0] = parse_postfix(c, parse_primary(c));
                x->kids = kids;
                x->n_kids = 1;
            }
            n = x;
        } else if (is_op(c, "(")) {
            const jtoken *t = cur(c);
            advance(c);
            jnode *x = mk(c, N_CALL, t);
            x->a = n;
            parse_args(c, x);
            n = x;
        } else {
            c->depth -= links;
            return n;
        }
    }
}

static const jnode *parse_unary(jctx *c, bool with_filter) {
    const jtoken *t = cur(c);
    jdepth_enter(c, t->line, t->col);
    const jnode *n;
    if (is_op(c, "-") || is_op(c, "+")) {
        advance(c);
        jnode *x = mk(c, tok_is(t, T_OP, "-") ? N_NEG : N_POS, t);
        x->a = parse_unary(c, false);
        n = x;
    } else {
        n = parse_primary(c);
    }
    n = parse_postfix(c, n);
    if (with_filter) n = parse_filter_expr(c, n);
    jdepth_leave(c);
    return n;
}

static jnode *bin(jctx *c, jop op, int sub, const jtoken *t, const jnode *a, const jnode *b) {
    jnode *x = mk(c, op, t);
    x->sub = (uint8_t)sub;
    x->a = a;
    x->b = b;
    return x;
}

static const jnode *parse_pow(jctx *c) {
    const jnode *n = parse_unary(c, true);
    uint32_t links = 0;
    while (is_op(c, "**")) {
        const jtoken *t = cur(c);
        chain_link(c, t, &links);
        advance(c);
        n = bin(c, N_BIN, B_POW, t, n, parse_unary(c, true));
    }
    c->depth -= links;
    return n;
}

static const jnode *parse_math2(jctx *c) {
    const jnode *n = parse_pow(c);
    uint32_t links = 0;
    for (;;) {
        const jtoken *t = cur(c);
        int op = is_op(c, "*") ? B_MUL : is_op(c, "/") ? B_DIV : is_op(c, "//") ? B_FDIV : is_op(c, "%") ? B_MOD : -1;
        if (op < 0) {
            c->depth -= links;
            return n;
        }
        chain_link(c, t, &links);
        advance(c);
        n = bin(c, N_BIN, op, t, n, parse_pow(c));
    }
}

static const jnode *parse_concat(jctx *c) {
    const jtoken *t = cur(c);
    const jnode *first = parse_math2(c);
    if (!is_op(c, "~")) return first;
    nlist items = {0};
    nl_push(c, &items, first, NULL);
    while (is_op(c, "~")) {
        advance(c);
        nl_push(c, &items, parse_math2(c), NULL);
    }
    jnode *x = mk(c, N_CONCAT, t);
    x->kids = items.v;
    x->n_kids = items.n;
    return x;
}

static const jnode *parse_math1(jctx *c) {
    const jnode *n = parse_concat(c);
    uint32_t links = 0;
    for (;;) {
        const jtoken *t = cur(c);
        int op = is_op(c, "+") ? B_ADD : is_op(c, "-") ? B_SUB : -1;
        if (op < 0) {
            c->depth -= links;
            return n;
        }
        chain_link(c, t, &links);
        advance(c);
        n = bin(c, N_BIN, op, t, n, parse_concat(c));
    }
}

static const jnode *parse_compare(jctx *c) {
    const jnode *n = parse_math1(c);
    const jnode *result = NULL, *left = n;
    uint32_t links = 0;
    for (;;) {
        const jtoken *t = cur(c);
        int op = is_op(c, "==") ? B_EQ : is_op(c, "!=") ? B_NE : is_op(c, "<") ? B_LT : is_op(c, "<=") ? B_LE
               : is_op(c, ">") ? B_GT : is_op(c, ">=") ? B_GE : is_name(c, "in") ? B_IN : -1;
        if (op < 0 && is_name(c, "not") && tok_is(peek(c, 1), T_NAME, "in")) {
            advance(c);
            op = B_NOTIN;
        }
        if (op < 0) break;
        chain_link(c, t, &links);
        advance(c);
        const jnode *right = parse_math1(c);
        const jnode *cmp = bin(c, N_CMP, op, t, left, right);
        /* a < b < c is (a < b) and (b < c) */
        result = result ? bin(c, N_AND, 0, t, result, cmp) : cmp;
        left = right;
    }
    c->depth -= links;
    return result ? result : n;
}

static const jnode *parse_not(jctx *c) {
    const jtoken *t = cur(c);
    if (is_name(c, "not")) {
        jdepth_enter(c, t->line, t->col);
        advance(c);
        jnode *x = mk(c, N_NOT, t);
        x->a = parse_not(c);
        jdepth_leave(c);
        return x;
    }
    return parse_compare(c);
}

static const jnode *parse_and(jctx *c) {
    const jnode *n = parse_not(c);
    uint32_t links = 0;
    while (is_name(c, "and")) {
        const jtoken *t = cur(c);
        chain_link(c, t, &links);
        advance(c);
        n = bin(c, N_AND, 0, t, n, parse_not(c));
    }
    c->depth -= links;
    return n;
}

static const jnode *parse_or(jctx *c) {
    const jnode *n = parse_and(c);
    uint32_t links = 0;
    while (is_name(c, "or")) {
        const jtoken *t = cur(c);
        chain_link(c, t, &links);
        advance(c);
        n = bin(c, N_OR, 0, t, n, parse_and(c));
    }
    c->depth -= links;
    return n;
}

static const jnode *parse_expr(jctx *c) {
    const jtoken *t0 = cur(c);
    jdepth_enter(c, t0->line, t0->col);
    const jnode *n = parse_or(c);
    uint32_t links = 0;
    while (is_name(c, "if")) {
        const jtoken *t = cur(c);
        chain_link(c, t, &links);
        advance(c);
        jnode *x = mk(c, N_COND, t);
        x->a = n;
        x->b = parse_or(c);
        if (is_name(c, "else")) {
            advance(c);
            x->c = parse_expr(c);
        }
        n = x;
    }
    c->depth -= links;
    jdepth_leave(c);
    return n;
}

static const jnode *parse_condexpr_noif(jctx *c) { return parse_or(c); }

/* ---- statements ---- */

static const jnode *parse_body(jctx *c, const char *const *ends);

static void expect_block_end(jctx *c) {
    if (cur(c)->kind != T_BLOCK_END) unexpected(c, "end of statement block");
    advance(c);
}

/* an assignment target: name, name.attr, or names with commas */
static const jnode *parse_target(jctx *c, bool allow_attr, const char *stop) {
    const jtoken *start = cur(c);
    nlist names = {0};
    for (;;) {
        const jtoken *t = cur(c);
        size_t len;
        const char *name = expect_name(c, &len);
        jnode *n = mk(c, N_NAME, t);
        n->val = jv_str(name, len);
        if (allow_attr && is_op(c, ".")) {
            advance(c);
            size_t l2;
            const char *attr = expect_name(c, &l2);
            jnode *a = mk(c, N_ATTR, t);
            a->a = n;
            a->val = jv_str(attr, l2);
            n = a;
        }
        nl_push(c, &names, n, NULL);
        if (!is_op(c, ",")) break;
        advance(c);
        if (stop && is_name(c, stop)) break;
    }
    if (names.n == 1) return names.v[0];
    jnode *x = mk(c, N_TUPLE, start);
    x->kids = names.v;
    x->n_kids = names.n;
    return x;
}

static const char *const END_FOR[] = {"endfor", "else", NULL};
static const char *const END_FOR2[] = {"endfor", NULL};
static const char *const END_IF[] = {"elif", "else", "endif", NULL};
static const char *const END_IF2[] = {"endif", NULL};
static const char *const END_SET[] = {"endset", NULL};
static const char *const END_MACRO[] = {"endmacro", NULL};
static const char *const END_CALL[] = {"endcall", NULL};
static const char *const END_FILTER[] = {"endfilter", NULL};
static const char *const END_GEN[] = {"endgeneration", NULL};

/* Consumes `{% word %}` after parse_body stopped at it; returns the word's
 * token (the block's name). */
static const jtoken *end_tag(jctx *c) {
    advance(c); /* BLOCK_BEGIN */
    const jtoken *t = cur(c);
    advance(c);
    return t;
}

static void parse_params(jctx *c, jnode *n) {
    nlist names = {0}, defs = {0};
    expect_op(c, "(");
    while (!is_op(c, ")")) {
        if (names.n) expect_op(c, ",");
        const jtoken *t = cur(c);
        size_t len;
        const char *name = expect_name(c, &len);
        jnode *p = mk(c, N_NAME, t);
        p->val = jv_str(name, len);
        nl_push(c, &names, p, NULL);
        if (is_op(c, "=")) {
            advance(c);
            nl_push(c, &defs, parse_expr(c), name);
        } else if (defs.n) {
            unexpected(c, "a default value (parameters without one come first)");
        }
    }
    advance(c);
    n->kids = names.v;
    n->n_kids = names.n;
    n->kw = defs.v;
    n->kw_names = defs.names;
    n->n_kw = defs.n;
}

static const jnode *parse_filter_chain(jctx *c) {
    const jnode *chain = parse_filter_one(c, NULL);
    while (is_op(c, "|")) {
        advance(c);
        chain = parse_filter_one(c, chain);
    }
    return chain;
}

static const jnode *parse_statement(jctx *c) {
    const jtoken *begin = cur(c);
    jdepth_enter(c, begin->line, begin->col);
    advance(c);
    const jtoken *t = cur(c);
    if (t->kind != T_NAME) unexpected(c, "a statement name");
    advance(c);
    jnode *n = NULL;
    if (tok_is(t, T_NAME, "if")) {
        n = mk(c, N_IF, t);
        nlist br = {0};
        nl_push(c, &br, parse_tuple(c, false, false, NULL), NULL);
        expect_block_end(c);
        for (;;) {
            nl_push(c, &br, parse_body(c, END_IF), NULL);
            const jtoken *e = end_tag(c);
            if (tok_is(e, T_NAME, "elif")) {
                nl_push(c, &br, parse_tuple(c, false, false, NULL), NULL);
                expect_block_end(c);
            } else if (tok_is(e, T_NAME, "else")) {
                expect_block_end(c);
                n->a = parse_body(c, END_IF2);
                end_tag(c);
                expect_block_end(c);
                break;
            } else {
                expect_block_end(c);
                break;
            }
        }
        n->kids = br.v;
        n->n_kids = br.n;
    } else if (tok_is(t, T_NAME, "for")) {
        n = mk(c, N_FOR, t);
        n->a = parse_target(c, false, "in");
        if (!is_name(c, "in")) unexpected(c, "'in'");
        advance(c);
        n->b = parse_tuple(c, false, false, "recursive");
        if (is_name(c, "if")) {
            advance(c);
            const jnode **kw = jalloc_array(c, 1, sizeof *kw);
            kw[0] = parse_expr(c);
            n->kw = kw;
            n->n_kw = 1;
        }
        if (is_name(c, "recursive"))
            jfail(c, LLAMAC_ERR_UNSUPPORTED, cur(c)->line, cur(c)->col, "recursive for loops are not supported");
        expect_block_end(c);
        n->c = parse_body(c, END_FOR);
        const jtoken *e = end_tag(c);
        expect_block_end(c);
        if (tok_is(e, T_NAME, "else")) {
            n->d = parse_body(c, END_FOR2);
            end_tag(c);
            expect_block_end(c);
        }
    } else if (tok_is(t, T_NAME, "set")) {
        const jnode *target = parse_target(c, true, NULL);
        if (is_op(c, "=")) {
            advance(c);
            n = mk(c, N_SET, t);
            n->a = target;
            n->b = parse_tuple(c, true, false, NULL);
            expect_block_end(c);
        } else {
            n = mk(c, N_SETBLOCK, t);
            n->a = target;
            if (target->op != N_NAME) unexpected(c, "'=' (a block set takes one name)");
            if (is_op(c, "|")) {
                advance(c);
                n->c = parse_filter_chain(c);
            }
            expect_block_end(c);
            n->b = parse_body(c, END_SET);
            end_tag(c);
            expect_block_end(c);
        }
    } else if (tok_is(t, T_NAME, "macro")) {
        n = mk(c, N_MACRO, t);
        size_t len;
        const char *name = expect_name(c, &len);
        n->val = jv_str(name, len);
        parse_params(c, n);
        expect_block_end(c);
        n->a = parse_body(c, END_MACRO);
        end_tag(c);
        if (cur(c)->kind == T_NAME) advance(c); /* {% endmacro name %} */
        expect_block_end(c);
    } else if (tok_is(t, T_NAME, "call")) {
        n = mk(c, N_CALLBLOCK, t);
        if (is_op(c, "(")) parse_params(c, n);
        const jnode *call = parse_expr(c);
        if (call->op != N_CALL) jfail(c, LLAMAC_ERR_FORMAT, t->line, t->col, "{%% call %%} needs a call expression");
        n->a = call;
        expect_block_end(c);
        n->b = parse_body(c, END_CALL);
        end_tag(c);
        expect_block_end(c);
    } else if (tok_is(t, T_NAME, "filter")) {
        n = mk(c, N_FILTERBLOCK, t);
        n->b = parse_filter_chain(c);
        expect_block_end(c);
        n->a = parse_body(c, END_FILTER);
        end_tag(c);
        expect_block_end(c);
    } else if (tok_is(t, T_NAME, "break") || tok_is(t, T_NAME, "continue")) {
        n = mk(c, tok_is(t, T_NAME, "break") ? N_BREAK : N_CONTINUE, t);
        expect_block_end(c);
    } else if (tok_is(t, T_NAME, "generation")) {
        /* Hugging Face's AssistantTracker tag: renders its body */
        expect_block_end(c);
        const jnode *body = parse_body(c, END_GEN);
        end_tag(c);
        expect_block_end(c);
        jdepth_leave(c);
        return body;
    } else {
        static const char *const unsupported[] = {"include", "import", "from", "extends", "block", "with", "do",
                                                  "autoescape", "trans"};
        for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
            if (tok_is(t, T_NAME, unsupported[i]))
                jfail(c, LLAMAC_ERR_UNSUPPORTED, t->line, t->col, "the {%% %s %%} tag is not supported",
                      unsupported[i]);
        char buf[64];
        jfail(c, LLAMAC_ERR_FORMAT, t->line, t->col, "unknown tag '%s'", tok_desc(t, buf, sizeof buf));
    }
    jdepth_leave(c);
    return n;
}

/* Statements until `{% end %}` for one of ends (left unconsumed) or, with
 * ends NULL, the end of the template. */
static const jnode *parse_body(jctx *c, const char *const *ends) {
    const jtoken *start = cur(c);
    nlist items = {0};
    for (;;) {
        const jtoken *t = cur(c);
        if (t->kind == T_EOF) {
            if (ends) {
                char want[64];
                snprintf(want, sizeof want, "'{%% %s %%}' before the end of the template", ends[0]);
                jfail(c, LLAMAC_ERR_FORMAT, start->line, start->col, "this block is never closed: expected %s",
                      want);
            }
            break;
        }
        if (t->kind == T_TEXT) {
            jnode *x = mk(c, N_TEXT, t);
            x->val = jv_str(t->p, t->n);
            nl_push(c, &items, x, NULL);
            advance(c);
        } else if (t->kind == T_VAR_BEGIN) {
            advance(c);
            jnode *x = mk(c, N_OUT, t);
            x->a = parse_tuple(c, true, false, NULL);
            if (cur(c)->kind != T_VAR_END) unexpected(c, "end of print statement");
            advance(c);
            nl_push(c, &items, x, NULL);
        } else if (t->kind == T_BLOCK_BEGIN) {
            const jtoken *name = peek(c, 1);
            bool stop = false;
            for (size_t i = 0; ends && ends[i]; i++)
                if (tok_is(name, T_NAME, ends[i])) stop = true;
            if (stop) break;
            if (name->kind == T_NAME && name->n > 3 && memcmp(name->p, "end", 3) == 0) {
                char buf[64];
                jfail(c, LLAMAC_ERR_FORMAT, name->line, name->col, "unexpected '%s'", tok_desc(name, buf, sizeof buf));
            }
            if (tok_is(name, T_NAME, "elif") || tok_is(name, T_NAME, "else"))
                jfail(c, LLAMAC_ERR_FORMAT, name->line, name->col, "unexpected '%s'",
                      tok_is(name, T_NAME, "else") ? "else" : "elif");
            nl_push(c, &items, parse_statement(c), NULL);
        } else {
            unexpected(c, "text or a tag");
        }
    }
    jnode *x = mk(c, N_BODY, start);
    x->kids = items.v;
    x->n_kids = items.n;
    return x;
}

const jnode *jparse(jctx *c) {
    c->pos = 0;
    (void)parse_condexpr_noif;
    return parse_body(c, NULL);
}
