/* Public calls of llamac.h section 12 that need no model: the grammar
 * check and the matcher. */
#include "grammar.h"
#include "grammar_match.h"

#include "common/buffer.h"

#include <string.h>

llamac_status llamac_grammar_check(const char *text, size_t len, const char *root, int32_t *line, int32_t *col) {
    if (line) *line = 0;
    if (col) *col = 0;
    LC_REQUIRE(text);
    lc_env env;
    lc_env_init(&env, NULL, NULL, NULL);
    lc_grammar *g = NULL;
    llamac_status st = lc_grammar_parse(&env, text, len, root, &g, line, col);
    lc_grammar_free(g);
    return st;
}

/* ---- lc_gmatch: a grammar's parse state, shared with the sampler ---- */

llamac_status lc_gmatch_init(lc_gmatch *m, const lc_env *env, const char *text, size_t len, const char *root,
                             int32_t *line, int32_t *col) {
    memset(m, 0, sizeof *m);
    m->env = *env;
    lc_gpool_init(&m->pool, env);
    llamac_status st = lc_grammar_parse(env, text, len, root, &m->g, line, col);
    if (st == LLAMAC_OK) st = lc_gmatch_reset(m);
    if (st != LLAMAC_OK) lc_gmatch_free(m);
    return st;
}

void lc_gmatch_free(lc_gmatch *m) {
    lc_grammar_free(m->g);
    lc_gpool_free(&m->pool);
    lc_free(&m->env, m->cur.tops);
    lc_free(&m->env, m->next.tops);
    memset(m, 0, sizeof *m);
}

llamac_status lc_gmatch_reset(lc_gmatch *m) {
    lc_gpool_truncate(&m->pool, 0);
    m->compacted = 0;
    return lc_gstacks_start(m->g, &m->pool, &m->cur);
}

llamac_status lc_gmatch_feed(lc_gmatch *m, const uint8_t *b, size_t n, size_t *used) {
    *used = 0;
    m->pool.steps = 0;
    const uint64_t budget = (uint64_t)n * LC_GRAMMAR_STEPS_PER_BYTE > LC_GRAMMAR_MAX_STEPS
                                ? (uint64_t)n * LC_GRAMMAR_STEPS_PER_BYTE
                                : LC_GRAMMAR_MAX_STEPS;
    for (size_t i = 0; i < n; i++) {
        if (m->pool.steps > budget)
            return lc_fail(LLAMAC_ERR_LIMIT, "grammar: matching %zu bytes took more than %llu parse-stack steps "
                           "(a highly ambiguous grammar, such as nested repetitions); stopped at byte %zu", n,
                           (unsigned long long)budget, i);
        llamac_status st = lc_gstacks_feed(m->g, &m->pool, &m->cur, b[i], &m->next);
        if (st != LLAMAC_OK) return st;
        if (m->next.n == 0) return LLAMAC_OK;
        lc_gstacks t = m->cur;
        m->cur = m->next;
        m->next = t;
        *used = i + 1;
    }
    /* Nodes only accumulate: keep the pool near what the live stacks hold. */
    if (m->pool.n > 65536 && m->pool.n > 4 * m->compacted) {
        llamac_status st = lc_gpool_compact(&m->pool, &m->cur);
        if (st != LLAMAC_OK) return st;
        m->compacted = m->pool.n;
    }
    return LLAMAC_OK;
}

/* Copies src's parse (grammar shared by re-parsing is avoided: the compiled
 * grammar is copied). */
llamac_status lc_gmatch_clone(lc_gmatch *dst, const lc_gmatch *src) {
    memset(dst, 0, sizeof *dst);
    dst->env = src->env;
    lc_gpool_init(&dst->pool, &src->env);
    const lc_grammar *g = src->g;
    lc_grammar *c = lc_calloc(&dst->env, 1, sizeof *c);
    if (!c) return LLAMAC_ERR_NO_MEMORY;
    *c = *g;
    c->elems = lc_malloc(&dst->env, (size_t)g->n_elems * sizeof *g->elems + 1);
    c->ranges = lc_malloc(&dst->env, (size_t)g->n_ranges * sizeof *g->ranges + 1);
    c->rule_alt = lc_malloc(&dst->env, ((size_t)g->n_rules + 1) * sizeof *g->rule_alt);
    const size_t n_alts = g->rule_alt[g->n_rules];
    c->alts = lc_malloc(&dst->env, n_alts * sizeof *g->alts + 1);
    dst->g = c;
    if (!c->elems || !c->ranges || !c->rule_alt || !c->alts) {
        lc_gmatch_free(dst);
        return LLAMAC_ERR_NO_MEMORY;
    }
    memcpy(c->elems, g->elems, (size_t)g->n_elems * sizeof *g->elems);
    memcpy(c->ranges, g->ranges, (size_t)g->n_ranges * sizeof *g->ranges);
    memcpy(c->rule_alt, g->rule_alt, ((size_t)g->n_rules + 1) * sizeof *g->rule_alt);
    memcpy(c->alts, g->alts, n_alts * sizeof *g->alts);
    /* the pool: copy the live part after compacting a scratch copy */
    const lc_gpool *sp = &src->pool;
    lc_gpool *dp = &dst->pool;
    llamac_status st = LLAMAC_OK;
    if (sp->n) {
        size_t cap = 0, c2 = 0, c3 = 0;
        st = lc_reserve(&dst->env, &dp->nodes, &cap, sp->n, sizeof *dp->nodes);
        if (st == LLAMAC_OK) st = lc_reserve(&dst->env, &dp->next, &c2, sp->n, sizeof *dp->next);
        if (st == LLAMAC_OK) st = lc_reserve(&dst->env, &dp->stamp, &c3, sp->n, sizeof *dp->stamp);
        if (st == LLAMAC_OK) {
            dp->cap = sp->n;
            dp->n = sp->n;
            memcpy(dp->nodes, sp->nodes, sp->n * sizeof *sp->nodes);
        }
    }
    if (st == LLAMAC_OK) st = lc_gstacks_copy(&dst->env, &dst->cur, &src->cur);
    if (st == LLAMAC_OK) st = lc_gpool_compact(dp, &dst->cur);
    if (st != LLAMAC_OK) {
        lc_gmatch_free(dst);
        return st;
    }
    dst->compacted = dp->n;
    return LLAMAC_OK;
}

/* ---- the public matcher ---- */

struct llamac_grammar_matcher {
    lc_gmatch m;
};

llamac_status llamac_grammar_matcher_new(const char *text, size_t len, const char *root,
                                         const llamac_allocator *allocator, llamac_grammar_matcher **out) {
    LC_REQUIRE(out);
    *out = NULL;
    LC_REQUIRE(text);
    lc_env env;
    lc_env_init(&env, allocator, NULL, NULL);
    llamac_grammar_matcher *h = lc_calloc(&env, 1, sizeof *h);
    if (!h) return LLAMAC_ERR_NO_MEMORY;
    llamac_status st = lc_gmatch_init(&h->m, &env, text, len, root, NULL, NULL);
    if (st != LLAMAC_OK) {
        lc_free(&env, h);
        return st;
    }
    *out = h;
    return LLAMAC_OK;
}

void llamac_grammar_matcher_free(llamac_grammar_matcher *m) {
    if (!m) return;
    lc_env env = m->m.env;
    lc_gmatch_free(&m->m);
    lc_free(&env, m);
}

void llamac_grammar_matcher_reset(llamac_grammar_matcher *m) {
    if (!m) return;
    lc_error_saved saved;
    lc_error_save(&saved);
    /* Restarting reuses memory the start state had before: it cannot fail
     * for want of memory except on a pool that was emptied, and then the
     * next feed reports it. */
    if (lc_gmatch_reset(&m->m) != LLAMAC_OK) m->m.cur.n = 0;
    lc_error_restore(&saved);
}

llamac_status llamac_grammar_matcher_feed(llamac_grammar_matcher *m, const void *bytes, size_t n,
                                          size_t *n_accepted) {
    if (n_accepted) *n_accepted = 0;
    LC_REQUIRE(m);
    if (n > 0 && !bytes) return lc_null_arg(__func__, "bytes");
    size_t used = 0;
    llamac_status st = lc_gmatch_feed(&m->m, bytes, n, &used);
    if (n_accepted) *n_accepted = used;
    return st;
}

llamac_status llamac_grammar_matcher_complete(const llamac_grammar_matcher *m, bool *complete) {
    LC_REQUIRE(complete);
    *complete = false;
    LC_REQUIRE(m);
    *complete = lc_gstacks_complete(&m->m.cur);
    return LLAMAC_OK;
}
