/* The parse-stack engine: hash-consed stack nodes, the expansion of a
 * stack until its top is a character set, and the step over one byte
 * (UTF-8 decoded as it goes, so a code point may arrive in pieces). All
 * loops are iterative over explicit work lists. */
#include "grammar.h"

#include "common/buffer.h"

#include <string.h>

static uint32_t hash2(uint32_t pos, uint32_t parent) {
    uint64_t h = ((uint64_t)pos << 32 | parent) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 32);
}

void lc_gpool_init(lc_gpool *p, const lc_env *env) {
    memset(p, 0, sizeof *p);
    p->env = *env;
}

void lc_gpool_free(lc_gpool *p) {
    lc_free(&p->env, p->nodes);
    lc_free(&p->env, p->next);
    lc_free(&p->env, p->stamp);
    lc_free(&p->env, p->buckets);
    lc_free(&p->env, p->work);
    memset(p, 0, sizeof *p);
}

static llamac_status rehash(lc_gpool *p, size_t n_buckets) {
    uint32_t *b = lc_malloc(&p->env, n_buckets * sizeof *b);
    if (!b) return LLAMAC_ERR_NO_MEMORY;
    memset(b, 0xff, n_buckets * sizeof *b);
    for (size_t i = 0; i < p->n; i++) {
        const uint32_t h = hash2(p->nodes[i].pos, p->nodes[i].parent) & (uint32_t)(n_buckets - 1);
        p->next[i] = b[h];
        b[h] = (uint32_t)i;
    }
    lc_free(&p->env, p->buckets);
    p->buckets = b;
    p->n_buckets = n_buckets;
    return LLAMAC_OK;
}

/* Drops the nodes from `mark` on. Chains were built by pushing at the
 * head, so undoing newest first restores every bucket. */
void lc_gpool_truncate(lc_gpool *p, size_t mark) {
    while (p->n > mark) {
        const size_t i = --p->n;
        const uint32_t h = hash2(p->nodes[i].pos, p->nodes[i].parent) & (uint32_t)(p->n_buckets - 1);
        p->buckets[h] = p->next[i];
    }
}

/* The node (pos, parent), made if new. */
static llamac_status intern(lc_gpool *p, uint32_t pos, uint32_t parent, uint32_t *id) {
    if (p->n_buckets) {
        const uint32_t h = hash2(pos, parent) & (uint32_t)(p->n_buckets - 1);
        for (uint32_t i = p->buckets[h]; i != LC_GNODE_NIL; i = p->next[i])
            if (p->nodes[i].pos == pos && p->nodes[i].parent == parent) {
                *id = i;
                return LLAMAC_OK;
            }
    }
    if (p->n >= LC_GRAMMAR_MAX_NODES)
        return lc_fail(LLAMAC_ERR_LIMIT, "grammar: more than %u parse-stack nodes", LC_GRAMMAR_MAX_NODES);
    if (p->n == p->cap) {
        size_t cap = p->cap;
        llamac_status st = lc_grow(&p->env, &p->nodes, &cap, p->n + 1, sizeof *p->nodes);
        size_t c2 = p->cap, c3 = p->cap;
        if (st == LLAMAC_OK) st = lc_reserve(&p->env, &p->next, &c2, cap, sizeof *p->next);
        if (st == LLAMAC_OK) st = lc_reserve(&p->env, &p->stamp, &c3, cap, sizeof *p->stamp);
        if (st != LLAMAC_OK) return st;
        p->cap = cap;
    }
    if (p->n + 1 > p->n_buckets) {
        llamac_status st = rehash(p, p->n_buckets ? p->n_buckets * 4 : 1024);
        if (st != LLAMAC_OK) return st;
    }
    const size_t i = p->n++;
    p->nodes[i] = (lc_gnode){pos, parent};
    p->stamp[i] = 0;
    const uint32_t h = hash2(pos, parent) & (uint32_t)(p->n_buckets - 1);
    p->next[i] = p->buckets[h];
    p->buckets[h] = (uint32_t)i;
    *id = (uint32_t)i;
    return LLAMAC_OK;
}

static bool is_end(uint8_t t) { return t == LC_G_END || t == LC_G_ALT; }

static llamac_status push_top(lc_gstacks *out, const lc_env *env, uint32_t top) {
    if (out->n >= LC_GRAMMAR_MAX_STACKS)
        return lc_fail(LLAMAC_ERR_LIMIT, "grammar: more than %u parse stacks alive at once (an ambiguous "
                       "grammar, such as nested repetitions)", LC_GRAMMAR_MAX_STACKS);
    llamac_status st = lc_grow(env, &out->tops, &out->cap, out->n + 1, sizeof *out->tops);
    if (st != LLAMAC_OK) return st;
    out->tops[out->n++] = top;
    return LLAMAC_OK;
}

static llamac_status work_push(lc_gpool *p, size_t *n, uint32_t id) {
    if (p->stamp[id] == p->clock) return LLAMAC_OK;
    p->stamp[id] = p->clock;
    llamac_status st = lc_grow(&p->env, &p->work, &p->work_cap, *n + 1, sizeof *p->work);
    if (st != LLAMAC_OK) return st;
    p->work[(*n)++] = id;
    return LLAMAC_OK;
}

static void new_step(lc_gpool *p) {
    if (++p->clock == 0) { /* wrapped: forget old marks */
        memset(p->stamp, 0, p->n * sizeof *p->stamp);
        p->clock = 1;
    }
}

/* Expands the work list into stacks whose tops are character sets (or
 * DONE), appending new ones to out. Items are nodes (pos, parent) meaning
 * "continue at pos, then return to parent"; each is visited once per step.
 * A reference that ends its alternative passes its own parent on (a tail
 * call), so right recursion does not deepen stacks. */
static llamac_status expand(const lc_grammar *g, lc_gpool *p, size_t nw, lc_gstacks *out, bool *done_seen) {
    while (nw > 0) {
        const uint32_t id = p->work[--nw];
        const lc_gnode nd = p->nodes[id];
        const lc_gelem e = g->elems[nd.pos];
        llamac_status st = LLAMAC_OK;
        if (e.type == LC_G_SET) {
            st = push_top(out, &p->env, id);
        } else if (is_end(e.type)) {
            if (nd.parent == LC_GNODE_NIL) {
                if (!*done_seen) {
                    *done_seen = true;
                    st = push_top(out, &p->env, LC_GSTACK_DONE);
                }
            } else {
                st = work_push(p, &nw, nd.parent);
            }
        } else { /* LC_G_REF */
            uint32_t cont = nd.parent;
            if (!is_end(g->elems[nd.pos + 1].type)) st = intern(p, nd.pos + 1, nd.parent, &cont);
            for (uint32_t a = g->rule_alt[e.a]; a < g->rule_alt[e.a + 1] && st == LLAMAC_OK; a++) {
                uint32_t item = 0;
                st = intern(p, g->alts[a], cont, &item);
                if (st == LLAMAC_OK) st = work_push(p, &nw, item);
            }
        }
        if (st != LLAMAC_OK) return st;
    }
    return LLAMAC_OK;
}

llamac_status lc_gstacks_start(const lc_grammar *g, lc_gpool *p, lc_gstacks *out) {
    out->n = 0;
    memset(&out->partial, 0, sizeof out->partial);
    new_step(p);
    size_t nw = 0;
    bool done = false;
    for (uint32_t a = g->rule_alt[g->root]; a < g->rule_alt[g->root + 1]; a++) {
        uint32_t item = 0;
        llamac_status st = intern(p, g->alts[a], LC_GNODE_NIL, &item);
        if (st == LLAMAC_OK) st = work_push(p, &nw, item);
        if (st != LLAMAC_OK) return st;
    }
    return expand(g, p, nw, out, &done);
}

static bool set_has(const lc_grammar *g, const lc_gelem *e, uint32_t cp) {
    const lc_grange *r = g->ranges + e->a;
    bool in = false;
    if (e->n <= 8) {
        for (uint32_t i = 0; i < e->n && !in; i++) in = r[i].lo <= cp && cp <= r[i].hi;
    } else {
        uint32_t lo = 0, hi = e->n;
        while (lo < hi) {
            const uint32_t mid = lo + (hi - lo) / 2;
            if (r[mid].hi < cp) lo = mid + 1;
            else hi = mid;
        }
        in = lo < e->n && r[lo].lo <= cp;
    }
    return in != (e->negated != 0);
}

/* Whether the set holds some code point of [lo, hi]. */
static bool set_meets(const lc_grammar *g, const lc_gelem *e, uint32_t lo, uint32_t hi) {
    const lc_grange *r = g->ranges + e->a;
    for (uint32_t i = 0; i < e->n; i++) {
        if (e->negated) {
            if (r[i].lo <= lo && hi <= r[i].hi) return false; /* merged ranges: one covers all or none */
        } else if (r[i].lo <= hi && lo <= r[i].hi) {
            return true;
        }
    }
    return e->negated != 0;
}

bool lc_gstacks_complete(const lc_gstacks *s) {
    if (s->partial.need) return false;
    for (size_t i = 0; i < s->n; i++)
        if (s->tops[i] == LC_GSTACK_DONE) return true;
    return false;
}

/* The code points a partial sequence can still become, or false when the
 * bytes so far are no prefix of well-formed UTF-8 (overlong forms,
 * surrogates D800-DFFF and values past 10FFFF are not). */
static bool partial_range(const lc_gpartial *q, uint32_t *lo, uint32_t *hi) {
    const unsigned rest = (unsigned)(q->need - q->have) * 6;
    *lo = q->value << rest;
    *hi = (q->value << rest) | ((1u << rest) - 1);
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (*lo < min_cp[q->need]) *lo = min_cp[q->need];
    if (*hi > 0x10FFFF) *hi = 0x10FFFF;
    if (*lo >= 0xD800 && *hi <= 0xDFFF) return false;
    if (*lo < 0xD800 && *hi >= 0xD800 && *hi <= 0xDFFF) *hi = 0xD7FF;
    return *lo <= *hi;
}

llamac_status lc_gstacks_feed(const lc_grammar *g, lc_gpool *p, const lc_gstacks *in, uint8_t b, lc_gstacks *out) {
    out->n = 0;
    p->steps += in->n;
    lc_gpartial q = in->partial;
    uint32_t cp;
    if (q.need == 0) {
        if (b < 0x80) {
            cp = b;
        } else {
            const unsigned need = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
            if (!need) return LLAMAC_OK; /* not a lead byte */
            q = (lc_gpartial){.have = 1, .need = (uint8_t)need, .lead = b,
                              .value = b & (need == 2 ? 0x1Fu : need == 3 ? 0x0Fu : 0x07u)};
        }
    } else {
        if ((b & 0xC0) != 0x80) return LLAMAC_OK;
        if (q.have == 1) { /* second byte limits of well-formed UTF-8 */
            if ((q.lead == 0xE0 && b < 0xA0) || (q.lead == 0xED && b > 0x9F) || (q.lead == 0xF0 && b < 0x90) ||
                (q.lead == 0xF4 && b > 0x8F))
                return LLAMAC_OK;
        }
        q.value = q.value << 6 | (b & 0x3Fu);
        q.have++;
        if (q.have == q.need) {
            cp = q.value;
            memset(&q, 0, sizeof q);
        }
    }
    if (q.need) { /* still inside a sequence: keep the stacks a code point of it could continue */
        uint32_t lo, hi;
        if (!partial_range(&q, &lo, &hi)) return LLAMAC_OK;
        bool any = false;
        for (size_t i = 0; i < in->n && !any; i++)
            if (in->tops[i] != LC_GSTACK_DONE) any = set_meets(g, &g->elems[p->nodes[in->tops[i]].pos], lo, hi);
        if (!any) return LLAMAC_OK;
        llamac_status st = lc_grow(&p->env, &out->tops, &out->cap, in->n, sizeof *out->tops);
        if (st != LLAMAC_OK) return st;
        for (size_t i = 0; i < in->n; i++) /* the sets are tested again on the whole code point */
            if (in->tops[i] != LC_GSTACK_DONE) out->tops[out->n++] = in->tops[i];
        out->partial = q;
        return LLAMAC_OK;
    }
    out->partial = q;
    new_step(p);
    size_t nw = 0;
    bool done = false;
    for (size_t i = 0; i < in->n; i++) {
        const uint32_t t = in->tops[i];
        if (t == LC_GSTACK_DONE) continue;
        const lc_gnode nd = p->nodes[t];
        if (!set_has(g, &g->elems[nd.pos], cp)) continue;
        uint32_t item = nd.parent;
        llamac_status st = LLAMAC_OK;
        if (!is_end(g->elems[nd.pos + 1].type)) st = intern(p, nd.pos + 1, nd.parent, &item);
        else if (item == LC_GNODE_NIL) {
            if (!done) {
                done = true;
                st = push_top(out, &p->env, LC_GSTACK_DONE);
            }
            if (st != LLAMAC_OK) return st;
            continue;
        }
        if (st == LLAMAC_OK) st = work_push(p, &nw, item);
        if (st != LLAMAC_OK) return st;
    }
    return expand(g, p, nw, out, &done);
}

llamac_status lc_gstacks_copy(const lc_env *env, lc_gstacks *dst, const lc_gstacks *src) {
    llamac_status st = lc_grow(env, &dst->tops, &dst->cap, src->n ? src->n : 1, sizeof *dst->tops);
    if (st != LLAMAC_OK) return st;
    if (src->n) memcpy(dst->tops, src->tops, src->n * sizeof *src->tops);
    dst->n = src->n;
    dst->partial = src->partial;
    return LLAMAC_OK;
}

/* Keeps the nodes reachable from s. A parent is always older than its
 * child, so one pass from the newest down marks everything reachable and
 * the survivors keep their order (parents still before children). */
llamac_status lc_gpool_compact(lc_gpool *p, lc_gstacks *s) {
    if (p->n == 0) return LLAMAC_OK;
    uint32_t *map = lc_malloc(&p->env, p->n * sizeof *map);
    if (!map) return LLAMAC_ERR_NO_MEMORY;
    memset(map, 0, p->n * sizeof *map);
    for (size_t i = 0; i < s->n; i++)
        if (s->tops[i] != LC_GSTACK_DONE) map[s->tops[i]] = 1;
    for (size_t i = p->n; i-- > 0;)
        if (map[i] && p->nodes[i].parent != LC_GNODE_NIL) map[p->nodes[i].parent] = 1;
    size_t w = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (!map[i]) continue;
        lc_gnode nd = p->nodes[i];
        if (nd.parent != LC_GNODE_NIL) nd.parent = map[nd.parent];
        map[i] = (uint32_t)w;
        p->nodes[w++] = nd;
    }
    for (size_t i = 0; i < s->n; i++)
        if (s->tops[i] != LC_GSTACK_DONE) s->tops[i] = map[s->tops[i]];
    lc_free(&p->env, map);
    p->n = w;
    memset(p->stamp, 0, p->cap * sizeof *p->stamp);
    p->clock = 1;
    size_t nb = 1024;
    while (nb < p->n) nb *= 4;
    return rehash(p, nb);
}
