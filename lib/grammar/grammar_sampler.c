/* The grammar sampler (llamac.h section 12): masks the candidates whose
 * text cannot continue the parse. Token texts sit in a byte trie laid out
 * in preorder, so one pass over it feeds each shared prefix once and skips
 * a whole subtree as soon as its prefix has no live parse. */
#include "grammar_match.h"

#include "common/buffer.h"
#include "sampling/sampler.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Immutable after construction, shared by clones (reference counted). */
typedef struct gtrie {
    atomic_int refs;
    lc_env env;
    int32_t n_vocab;
    char *text;           /* all pieces */
    size_t *piece_off;    /* [n_vocab + 1] */
    uint8_t *is_eog;      /* [n_vocab] */
    size_t n_nodes;
    uint8_t *byte;        /* [n_nodes] */
    uint16_t *depth;      /* [n_nodes], 1-based */
    uint32_t *end;        /* preorder index after the subtree */
    uint32_t *tok_begin, *tok_end; /* tokens whose piece ends here: toks[begin..end) */
    int32_t *toks;
    size_t max_depth;
} gtrie;

/* Stack sets met during one masking pass, hash-consed, with the set each
 * byte leads to: inside a JSON string, reading an ordinary character leads
 * back to the very same set, so most trie nodes cost one table lookup.
 * Only sets of nodes older than the pass are kept (a parent is older than
 * its child, so checking the tops suffices): the pass never drops those. */
#define SETS_MAX 4096
#define SET_TOPS_MAX 64
#define MEMO_UNKNOWN (-2)
#define MEMO_DEAD (-1)

typedef struct set_table {
    uint32_t *tops; /* arena */
    size_t n_tops, cap_tops;
    uint32_t *off, *len;
    lc_gpartial *partial;
    size_t n, cap;
    uint32_t *buckets; /* set id + 1, open addressing, 2 * SETS_MAX */
    int32_t *memo;     /* [set * 256 + byte] */
    size_t memo_cap;
} set_table;

typedef struct level_view {
    const uint32_t *tops; /* when sid < 0 */
    size_t n;
    lc_gpartial partial;
    int32_t sid;
} level_view;

typedef struct grammar_state {
    gtrie *trie;
    set_table sets;
    level_view *views; /* [max_depth + 1] */
    lc_gmatch m;
    lc_gstacks *levels; /* [max_depth + 1], scratch of a masking pass */
    size_t *marks;
    uint8_t *allowed;   /* [n_vocab] */
    lc_gstacks saved;
    lc_bytes history;   /* text accepted since the start: the saved state */
    lc_gmatch pending;  /* state_check's replay, taken by state_commit */
    bool has_pending;
} grammar_state;

static void trie_release(gtrie *t) {
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1) return;
    lc_env env = t->env;
    lc_free(&env, t->text);
    lc_free(&env, t->piece_off);
    lc_free(&env, t->is_eog);
    lc_free(&env, t->byte);
    lc_free(&env, t->depth);
    lc_free(&env, t->end);
    lc_free(&env, t->tok_begin);
    lc_free(&env, t->tok_end);
    lc_free(&env, t->toks);
    lc_free(&env, t);
}

typedef struct piece_ref {
    const char *s;
    size_t len;
    int32_t id;
} piece_ref;

static int cmp_piece(const void *a, const void *b) {
    const piece_ref *x = a, *y = b;
    const size_t n = x->len < y->len ? x->len : y->len;
    const int c = n ? memcmp(x->s, y->s, n) : 0;
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static llamac_status trie_build(const lc_env *env, const llamac_vocab *vocab, gtrie **out) {
    const int32_t nv = llamac_vocab_n_tokens(vocab);
    gtrie *t = lc_calloc(env, 1, sizeof *t);
    if (!t) return LLAMAC_ERR_NO_MEMORY;
    atomic_init(&t->refs, 1);
    t->env = *env;
    t->n_vocab = nv;
    llamac_status st = LLAMAC_ERR_NO_MEMORY;
    piece_ref *refs = NULL;
    size_t *path = NULL;
    lc_bytes text = {0};
    t->piece_off = lc_calloc(env, (size_t)nv + 1, sizeof *t->piece_off);
    t->is_eog = lc_calloc(env, (size_t)nv + 1, 1);
    refs = lc_calloc(env, (size_t)nv + 1, sizeof *refs);
    if (!t->piece_off || !t->is_eog || !refs) goto out;
    char buf[256];
    for (int32_t i = 0; i < nv; i++) {
        size_t n = 0;
        t->piece_off[i] = text.len;
        t->is_eog[i] = llamac_vocab_is_eog(vocab, i);
        st = llamac_token_to_piece(vocab, i, buf, sizeof buf, 0, false, &n);
        if (st == LLAMAC_ERR_BUFFER_TOO_SMALL) {
            char *big = lc_malloc(env, n);
            if (!big) { st = LLAMAC_ERR_NO_MEMORY; goto out; }
            st = llamac_token_to_piece(vocab, i, big, n, 0, false, &n);
            if (st == LLAMAC_OK) st = lc_bytes_append(env, &text, big, n);
            lc_free(env, big);
        } else if (st == LLAMAC_OK) {
            st = lc_bytes_append(env, &text, buf, n);
        }
        if (st != LLAMAC_OK) goto out;
    }
    t->piece_off[nv] = text.len;
    t->text = text.data;
    text.data = NULL;
    size_t nr = 0, n_nodes_max = 0;
    for (int32_t i = 0; i < nv; i++) {
        const size_t len = t->piece_off[i + 1] - t->piece_off[i];
        if (len == 0 || t->is_eog[i]) continue; /* empty texts are never allowed; EOG goes by completeness */
        refs[nr++] = (piece_ref){t->text + t->piece_off[i], len, i};
        n_nodes_max += len;
        if (len > t->max_depth) t->max_depth = len;
    }
    qsort(refs, nr, sizeof *refs, cmp_piece);
    t->byte = lc_calloc(env, n_nodes_max + 1, 1);
    t->depth = lc_calloc(env, n_nodes_max + 1, sizeof *t->depth);
    t->end = lc_calloc(env, n_nodes_max + 1, sizeof *t->end);
    t->tok_begin = lc_calloc(env, n_nodes_max + 1, sizeof *t->tok_begin);
    t->tok_end = lc_calloc(env, n_nodes_max + 1, sizeof *t->tok_end);
    t->toks = lc_calloc(env, nr + 1, sizeof *t->toks);
    path = lc_calloc(env, t->max_depth + 2, sizeof *path);
    if (!t->byte || !t->depth || !t->end || !t->tok_begin || !t->tok_end || !t->toks || !path) {
        st = LLAMAC_ERR_NO_MEMORY;
        goto out;
    }
    if (t->max_depth > UINT16_MAX) {
        st = lc_fail(LLAMAC_ERR_UNSUPPORTED, "a token's text is longer than %u bytes", UINT16_MAX);
        goto out;
    }
    size_t nn = 0, open = 0; /* path[0..open): the nodes of the previous piece */
    for (size_t k = 0; k < nr; k++) {
        size_t l = 0;
        if (k > 0) {
            const piece_ref *a = &refs[k - 1], *b = &refs[k];
            while (l < a->len && l < b->len && a->s[l] == b->s[l]) l++;
        }
        while (open > l) t->end[path[--open]] = (uint32_t)nn; /* close what the new piece leaves */
        for (size_t d = l; d < refs[k].len; d++) {
            t->byte[nn] = (uint8_t)refs[k].s[d];
            t->depth[nn] = (uint16_t)(d + 1);
            t->tok_begin[nn] = t->tok_end[nn] = 0;
            path[open++] = nn++;
        }
        const size_t leaf = path[refs[k].len - 1];
        if (t->tok_begin[leaf] == t->tok_end[leaf]) t->tok_begin[leaf] = t->tok_end[leaf] = (uint32_t)k;
        t->toks[k] = refs[k].id;
        t->tok_end[leaf] = (uint32_t)k + 1;
    }
    while (open > 0) t->end[path[--open]] = (uint32_t)nn;
    t->n_nodes = nn;
    st = LLAMAC_OK;
out:
    lc_free(env, refs);
    lc_free(env, path);
    lc_free(env, text.data);
    if (st != LLAMAC_OK) trie_release(t);
    else *out = t;
    return st;
}

static const char *piece_of(const gtrie *t, llamac_token id, size_t *len) {
    *len = t->piece_off[id + 1] - t->piece_off[id];
    return t->text + t->piece_off[id];
}

static uint32_t set_hash(const uint32_t *t, size_t n, const lc_gpartial *q) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)q->value << 8 ^ q->have ^ (uint64_t)q->need << 4;
    for (size_t i = 0; i < n; i++) h = (h ^ t[i]) * 0x100000001B3ull;
    return (uint32_t)(h ^ h >> 29);
}

/* The id of the set (tops, n, partial), added if new; -1 when it cannot be
 * kept (too big, too many sets, nodes of this pass, or out of memory). */
static int32_t set_intern(const lc_env *env, set_table *st, const uint32_t *tops, size_t n, const lc_gpartial *q,
                          size_t base) {
    if (n > SET_TOPS_MAX) return -1;
    uint32_t sorted[SET_TOPS_MAX];
    for (size_t i = 0; i < n; i++) {
        if (tops[i] >= base && tops[i] != LC_GSTACK_DONE) return -1;
        size_t j = i; /* insertion sort: sets are small */
        for (; j > 0 && sorted[j - 1] > tops[i]; j--) sorted[j] = sorted[j - 1];
        sorted[j] = tops[i];
    }
    const uint32_t mask = 2 * SETS_MAX - 1;
    uint32_t h = set_hash(sorted, n, q) & mask;
    for (; st->buckets[h]; h = (h + 1) & mask) {
        const uint32_t id = st->buckets[h] - 1;
        if (st->len[id] == n && memcmp(&st->partial[id], q, sizeof *q) == 0 &&
            (n == 0 || memcmp(st->tops + st->off[id], sorted, n * sizeof *sorted) == 0))
            return (int32_t)id;
    }
    if (st->n >= SETS_MAX) return -1;
    size_t cap = st->cap, c2 = st->cap, c3 = st->cap;
    if (lc_grow(env, &st->off, &cap, st->n + 1, sizeof *st->off) != LLAMAC_OK ||
        lc_reserve(env, &st->len, &c2, cap, sizeof *st->len) != LLAMAC_OK ||
        lc_reserve(env, &st->partial, &c3, cap, sizeof *st->partial) != LLAMAC_OK ||
        lc_grow(env, &st->tops, &st->cap_tops, st->n_tops + n, sizeof *st->tops) != LLAMAC_OK ||
        lc_grow(env, &st->memo, &st->memo_cap, (st->n + 1) * 256, sizeof *st->memo) != LLAMAC_OK)
        return -1;
    st->cap = cap;
    const size_t id = st->n++;
    st->off[id] = (uint32_t)st->n_tops;
    st->len[id] = (uint32_t)n;
    st->partial[id] = *q;
    if (n) memcpy(st->tops + st->n_tops, sorted, n * sizeof *sorted);
    st->n_tops += n;
    for (size_t b = 0; b < 256; b++) st->memo[id * 256 + b] = MEMO_UNKNOWN;
    st->buckets[h] = (uint32_t)id + 1;
    return (int32_t)id;
}

/* allowed[id] for every token whose text continues a parse from m->cur. */
static llamac_status compute_mask(grammar_state *s) {
    const gtrie *t = s->trie;
    lc_gmatch *m = &s->m;
    memset(s->allowed, 0, (size_t)t->n_vocab);
    const size_t base = m->pool.n;
    s->marks[0] = base;
    llamac_status st = LLAMAC_OK;
    set_table *sets = &s->sets;
    if (!sets->buckets && !(sets->buckets = lc_calloc(&m->env, 2 * SETS_MAX, sizeof *sets->buckets)))
        return LLAMAC_ERR_NO_MEMORY;
    memset(sets->buckets, 0, 2 * SETS_MAX * sizeof *sets->buckets);
    sets->n = 0;
    sets->n_tops = 0;
    s->views[0] = (level_view){.tops = m->cur.tops, .n = m->cur.n, .partial = m->cur.partial,
                               .sid = set_intern(&m->env, sets, m->cur.tops, m->cur.n, &m->cur.partial, base)};
    m->pool.steps = 0;
    for (size_t i = 0; i < t->n_nodes;) {
        const size_t d = t->depth[i];
        const uint8_t b = t->byte[i];
        const level_view *in = &s->views[d - 1];
        int32_t r = in->sid >= 0 ? sets->memo[(size_t)in->sid * 256 + b] : MEMO_UNKNOWN;
        if (r == MEMO_UNKNOWN) {
            lc_gpool_truncate(&m->pool, s->marks[d - 1]);
            lc_gstacks view = {.partial = in->partial, .n = in->n};
            view.tops = (uint32_t *)(in->sid >= 0 ? sets->tops + sets->off[in->sid] : in->tops);
            st = lc_gstacks_feed(m->g, &m->pool, &view, b, &s->levels[d]);
            if (st != LLAMAC_OK) break;
            const lc_gstacks *out = &s->levels[d];
            int32_t sid = -1;
            if (out->n == 0) r = MEMO_DEAD;
            else r = sid = set_intern(&m->env, sets, out->tops, out->n, &out->partial, base);
            if (in->sid >= 0 && (out->n == 0 || sid >= 0)) sets->memo[(size_t)in->sid * 256 + b] = r;
            if (out->n != 0 && sid < 0) r = MEMO_UNKNOWN; /* not kept: the level reads its own stacks */
            if (m->pool.steps > (uint64_t)LC_GRAMMAR_MAX_STEPS * 4) {
                st = lc_fail(LLAMAC_ERR_LIMIT, "grammar sampler: masking took more than %llu parse-stack steps (a "
                             "highly ambiguous grammar)", (unsigned long long)LC_GRAMMAR_MAX_STEPS * 4);
                break;
            }
            s->views[d] = (level_view){.tops = out->tops, .n = out->n, .partial = out->partial, .sid = sid};
        } else if (r >= 0) {
            s->views[d] = (level_view){.n = sets->len[r], .partial = sets->partial[r], .sid = r};
        }
        if (r == MEMO_DEAD) {
            i = t->end[i];
            continue;
        }
        for (uint32_t k = t->tok_begin[i]; k < t->tok_end[i]; k++) s->allowed[t->toks[k]] = 1;
        s->marks[d] = m->pool.n;
        i++;
    }
    lc_gpool_truncate(&m->pool, base);
    return st;
}

static llamac_status grammar_apply(llamac_sampler *smpl, llamac_token_data_array *cur) {
    grammar_state *s = smpl->state;
    if (s->m.cur.n == 0)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "grammar sampler: no parse can continue (reset it)");
    llamac_status st = compute_mask(s);
    if (st != LLAMAC_OK) return st;
    const bool complete = lc_gstacks_complete(&s->m.cur);
    const gtrie *t = s->trie;
    for (size_t i = 0; i < cur->size; i++) {
        const llamac_token id = cur->data[i].id;
        bool ok = id >= 0 && id < t->n_vocab && (t->is_eog[id] ? complete : s->allowed[id]);
        if (!ok) cur->data[i].logit = -INFINITY;
    }
    return LLAMAC_OK;
}

/* Feeds a token's text, all or nothing. */
static llamac_status advance(grammar_state *s, llamac_token token, bool record) {
    size_t len;
    const char *p = piece_of(s->trie, token, &len);
    lc_gmatch *m = &s->m;
    llamac_status st = lc_gstacks_copy(&m->env, &s->saved, &m->cur);
    if (st != LLAMAC_OK) return st;
    const size_t mark = m->pool.n, compacted = m->compacted;
    size_t used = 0;
    st = len ? lc_gmatch_feed(m, (const uint8_t *)p, len, &used) : LLAMAC_OK;
    if (st == LLAMAC_OK && used < len)
        st = lc_fail(LLAMAC_ERR_INVALID_ARG, "grammar sampler: token %d does not continue the grammar "
                     "(its byte %zu is refused)", (int)token, used);
    if (st == LLAMAC_OK && len == 0)
        st = lc_fail(LLAMAC_ERR_INVALID_ARG, "grammar sampler: token %d has no text", (int)token);
    if (st == LLAMAC_OK && record) st = lc_bytes_append(&m->env, &s->history, p, len);
    if (st != LLAMAC_OK && m->compacted == compacted) { /* undo (a compaction only follows success) */
        lc_gpool_truncate(&m->pool, mark);
        lc_gstacks t = m->cur;
        m->cur = s->saved;
        s->saved = t;
    }
    return st;
}

static llamac_status grammar_accept(llamac_sampler *smpl, llamac_token token) {
    grammar_state *s = smpl->state;
    if (token < 0 || token >= s->trie->n_vocab)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "grammar sampler: token %d is outside the vocabulary", (int)token);
    if (s->trie->is_eog[token]) return LLAMAC_OK;
    return advance(s, token, true);
}

static void grammar_reset(llamac_sampler *smpl) {
    grammar_state *s = smpl->state;
    lc_error_saved saved;
    lc_error_save(&saved);
    if (lc_gmatch_reset(&s->m) != LLAMAC_OK) s->m.cur.n = 0;
    s->history.len = 0;
    lc_error_restore(&saved);
}

static llamac_status alloc_scratch(llamac_sampler *smpl) {
    grammar_state *s = smpl->state;
    const size_t nd = s->trie->max_depth + 1;
    s->levels = lc_calloc(&smpl->env, nd, sizeof *s->levels);
    s->marks = lc_calloc(&smpl->env, nd, sizeof *s->marks);
    s->views = lc_calloc(&smpl->env, nd, sizeof *s->views);
    if (!s->views) return LLAMAC_ERR_NO_MEMORY;
    s->allowed = lc_calloc(&smpl->env, (size_t)s->trie->n_vocab + 1, 1);
    return s->levels && s->marks && s->allowed ? LLAMAC_OK : LLAMAC_ERR_NO_MEMORY;
}

static void grammar_free_state(llamac_sampler *smpl) {
    grammar_state *s = smpl->state;
    if (s->levels)
        for (size_t d = 0; d <= s->trie->max_depth; d++) lc_free(&smpl->env, s->levels[d].tops);
    lc_free(&smpl->env, s->levels);
    lc_free(&smpl->env, s->marks);
    lc_free(&smpl->env, s->views);
    lc_free(&smpl->env, s->sets.tops);
    lc_free(&smpl->env, s->sets.off);
    lc_free(&smpl->env, s->sets.len);
    lc_free(&smpl->env, s->sets.partial);
    lc_free(&smpl->env, s->sets.buckets);
    lc_free(&smpl->env, s->sets.memo);
    lc_free(&smpl->env, s->allowed);
    lc_free(&smpl->env, s->saved.tops);
    lc_free(&smpl->env, s->history.data);
    if (s->has_pending) lc_gmatch_free(&s->pending);
    if (s->m.g) lc_gmatch_free(&s->m);
    trie_release(s->trie);
}

static llamac_status grammar_clone_deep(llamac_sampler *dst, const llamac_sampler *src) {
    const grammar_state *from = src->state;
    grammar_state *s = dst->state;
    memset(s, 0, sizeof *s);
    atomic_fetch_add(&from->trie->refs, 1);
    s->trie = from->trie;
    llamac_status st = alloc_scratch(dst);
    if (st == LLAMAC_OK) st = lc_gmatch_clone(&s->m, &from->m);
    if (st == LLAMAC_OK) st = lc_bytes_append(&dst->env, &s->history, from->history.data, from->history.len);
    return st;
}

/* ---- saved state: the accepted text, replayed ---- */

static size_t grammar_state_size(const llamac_sampler *smpl) {
    const grammar_state *s = smpl->state;
    return s->history.len;
}

static void grammar_state_write(const llamac_sampler *smpl, uint8_t *out) {
    const grammar_state *s = smpl->state;
    if (s->history.len) memcpy(out, s->history.data, s->history.len);
}

static llamac_status grammar_state_check(llamac_sampler *smpl, const uint8_t *in, size_t n) {
    grammar_state *s = smpl->state;
    if (s->has_pending) {
        lc_gmatch_free(&s->pending);
        s->has_pending = false;
    }
    llamac_status st = lc_gmatch_clone(&s->pending, &s->m);
    if (st != LLAMAC_OK) return st;
    s->has_pending = true;
    size_t used = 0;
    st = lc_gmatch_reset(&s->pending);
    if (st == LLAMAC_OK) st = lc_gmatch_feed(&s->pending, in, n, &used);
    if (st == LLAMAC_OK && used < n)
        st = lc_fail(LLAMAC_ERR_MISMATCH, "grammar sampler: the saved text does not match this grammar "
                     "(byte %zu is refused)", used);
    if (st == LLAMAC_OK) st = lc_reserve(&smpl->env, &s->history.data, &s->history.cap, n + 1, 1);
    if (st != LLAMAC_OK) {
        lc_gmatch_free(&s->pending);
        s->has_pending = false;
    }
    return st;
}

static void grammar_state_commit(llamac_sampler *smpl, const uint8_t *in, size_t n) {
    grammar_state *s = smpl->state;
    lc_gmatch_free(&s->m);
    s->m = s->pending;
    s->has_pending = false;
    if (n) memcpy(s->history.data, in, n);
    s->history.data[n] = 0;
    s->history.len = n;
}

static const lc_sampler_vtable grammar_vt = {
    .name = "grammar",
    .apply = grammar_apply,
    .accept = grammar_accept,
    .reset = grammar_reset,
    .clone_deep = grammar_clone_deep,
    .free_state = grammar_free_state,
    LC_SAMPLER_STATE_HOOKS(grammar),
};

llamac_sampler *llamac_sampler_init_grammar(const llamac_vocab *vocab, const char *grammar, size_t len,
                                            const char *root, const llamac_allocator *allocator) {
    static const char fn[] = "llamac_sampler_init_grammar";
    if (!vocab) {
        lc_null_arg(fn, "vocab");
        return lc_sampler_ctor_failed();
    }
    if (!grammar) {
        lc_null_arg(fn, "grammar");
        return lc_sampler_ctor_failed();
    }
    llamac_sampler *smpl = lc_sampler_new(allocator, &grammar_vt, sizeof(grammar_state));
    if (!smpl) return NULL;
    grammar_state *s = smpl->state;
    llamac_status st = lc_gmatch_init(&s->m, &smpl->env, grammar, len, root, NULL, NULL);
    if (st == LLAMAC_OK) st = trie_build(&smpl->env, vocab, &s->trie);
    if (st == LLAMAC_OK) st = alloc_scratch(smpl);
    if (st != LLAMAC_OK) {
        lc_error_saved saved;
        lc_error_save(&saved);
        llamac_sampler_free(smpl);
        lc_error_restore(&saved);
        return lc_sampler_ctor_failed();
    }
    return smpl;
}

llamac_status llamac_sampler_grammar_allows(llamac_sampler *smpl, llamac_token token, bool *allowed) {
    LC_REQUIRE(allowed);
    *allowed = false;
    LC_REQUIRE(smpl);
    if (smpl->vt != &grammar_vt)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: sampler '%s' is not a grammar sampler", __func__, smpl->vt->name);
    grammar_state *s = smpl->state;
    if (token < 0 || token >= s->trie->n_vocab)
        return lc_fail(LLAMAC_ERR_NOT_FOUND, "%s: token %d is outside the vocabulary", __func__, (int)token);
    if (s->trie->is_eog[token]) {
        *allowed = lc_gstacks_complete(&s->m.cur);
        return LLAMAC_OK;
    }
    size_t len;
    const char *p = piece_of(s->trie, token, &len);
    if (len == 0) return LLAMAC_OK;
    lc_gmatch *m = &s->m;
    const size_t base = m->pool.n;
    const lc_gstacks *in = &m->cur;
    llamac_status st = LLAMAC_OK;
    size_t j = 0;
    for (; j < len; j++) {
        lc_gstacks *out = &s->levels[(j % 2) + 1]; /* two scratch levels suffice (max_depth >= len >= 1) */
        if (s->trie->max_depth < 2) out = &s->levels[1];
        if (out == in) out = &s->levels[0];
        st = lc_gstacks_feed(m->g, &m->pool, in, (uint8_t)p[j], out);
        if (st != LLAMAC_OK || out->n == 0) break;
        in = out;
    }
    lc_gpool_truncate(&m->pool, base);
    if (st == LLAMAC_OK) *allowed = j == len;
    return st;
}
