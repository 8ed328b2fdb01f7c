/* Byte-level BPE, as Llama 3 runs it: the pre-tokenizer cuts the text into
 * pieces; each piece starts as one symbol per byte and the adjacent pair
 * with the lowest merge rank is merged, again and again (leftmost first
 * among equal ranks) until no listed merge applies.
 *
 * The vocabulary stores tokens in the GPT-2 byte alphabet (each byte spelled
 * as a printable codepoint). vocab_load.c translates tokens and merges back
 * to raw bytes once, so this loop works on the input bytes directly and
 * looks merges up by symbol ids, never by string. */
#include "vocab_private.h"

#include <string.h>

typedef struct bpe_run {
    const llamac_vocab *v;
    lc_symbol *sym;
    int32_t *sid; /* string id of each symbol's current text */
    size_t cap;
    lc_merge_queue queue;
} bpe_run;

static llamac_status try_pair(bpe_run *r, int32_t left, int32_t right) {
    if (left < 0 || right < 0 || r->sid[left] < 0 || r->sid[right] < 0) return LLAMAC_OK;
    const lc_pairmap_slot *p = lc_pairmap_get(&r->v->merges, r->sid[left], r->sid[right]);
    if (!p) return LLAMAC_OK;
    return lc_mq_push(&r->queue, &r->v->env, (uint32_t)p->rank, left, r->sym[left].n + r->sym[right].n);
}

/* A symbol whose text is not a token (only possible when the merge list
 * builds strings the token list lacks) is spelled byte by byte. */
static void emit_symbol(const llamac_vocab *v, const unsigned char *s, const lc_symbol *sym,
                        int32_t sid, lc_tok_out *out) {
    if (sid >= 0 && sid < v->n_tokens) {
        lc_tok_push(out, sid);
        return;
    }
    for (uint32_t i = 0; i < sym->n; i++) {
        int32_t b = v->byte_sid[s[sym->start + i]];
        if (b >= 0 && b < v->n_tokens) lc_tok_push(out, b);
    }
}

static llamac_status grow(bpe_run *r, size_t n) {
    if (n <= r->cap) return LLAMAC_OK;
    size_t cap = LC_MAX(n, r->cap * 2);
    if (cap > INT32_MAX) cap = n;
    if (n > INT32_MAX) return lc_fail(LLAMAC_ERR_INVALID_ARG, "pre-token of %zu bytes is too long", n);
    size_t sym_bytes, sid_bytes;
    if (lc_mul_overflow_size(cap, sizeof(lc_symbol), &sym_bytes) || lc_mul_overflow_size(cap, sizeof(int32_t), &sid_bytes))
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "pre-token of %zu bytes needs too much memory", n);
    /* Every entry is written before it is read: no need to zero. */
    lc_symbol *sym = lc_malloc(&r->v->env, sym_bytes);
    int32_t *sid = sym ? lc_malloc(&r->v->env, sid_bytes) : NULL;
    if (!sym || !sid) {
        lc_free(&r->v->env, sym);
        lc_free(&r->v->env, sid);
        return LLAMAC_ERR_NO_MEMORY;
    }
    lc_free(&r->v->env, r->sym);
    lc_free(&r->v->env, r->sid);
    r->sym = sym;
    r->sid = sid;
    r->cap = cap;
    return LLAMAC_OK;
}

static llamac_status merge_word(bpe_run *r, const unsigned char *w, size_t n, lc_tok_out *out) {
    const llamac_vocab *v = r->v;
    if (v->ignore_merges) {
        int32_t id = lc_strmap_get(&v->raw_map, w, n);
        if (id >= 0 && id < v->n_tokens) { /* a token, not just a merge string */
            lc_tok_push(out, id);
            return LLAMAC_OK;
        }
    }
    llamac_status st = grow(r, n);
    if (st != LLAMAC_OK) return st;
    for (size_t i = 0; i < n; i++) {
        r->sym[i] = (lc_symbol){(int32_t)i - 1, i + 1 < n ? (int32_t)i + 1 : -1, (uint32_t)i, 1};
        r->sid[i] = v->byte_sid[w[i]];
    }
    lc_mq_reset(&r->queue);
    for (size_t i = 1; i < n && st == LLAMAC_OK; i++) st = try_pair(r, (int32_t)i - 1, (int32_t)i);

    lc_merge m;
    while (st == LLAMAC_OK && lc_mq_pop(&r->queue, &m)) {
        lc_symbol *a = &r->sym[m.left];
        if (a->n == 0 || a->next < 0) continue;
        lc_symbol *b = &r->sym[a->next];
        if (a->n + b->n != m.size) continue; /* one side changed since queued */
        const lc_pairmap_slot *p = lc_pairmap_get(&v->merges, r->sid[m.left], r->sid[a->next]);
        if (!p) return lc_fail(LLAMAC_ERR_INTERNAL, "queued BPE merge vanished at byte %d", m.left);
        r->sid[m.left] = p->result;
        a->n += b->n;
        b->n = 0;
        a->next = b->next;
        if (a->next >= 0) r->sym[a->next].prev = m.left;
        st = try_pair(r, a->prev, m.left);
        if (st == LLAMAC_OK) st = try_pair(r, m.left, a->next);
    }
    for (int32_t k = 0; st == LLAMAC_OK && k >= 0; k = r->sym[k].next)
        emit_symbol(v, w, &r->sym[k], r->sid[k], out);
    return st;
}

llamac_status lc_tokenize_bpe(const llamac_vocab *v, const char *text, size_t len, lc_tok_out *out) {
    const unsigned char *t = (const unsigned char *)text;
    bpe_run r = {v, NULL, NULL, 0, {0}};
    llamac_status st = LLAMAC_OK;
    for (size_t pos = 0; pos < len && st == LLAMAC_OK;) {
        size_t end = lc_llama3_pretoken_end(t, len, pos);
        if (end == pos + 1) {
            /* One byte: no merge can apply; skip the set-up. */
            lc_symbol one = {-1, -1, 0, 1};
            emit_symbol(v, t + pos, &one, v->byte_sid[t[pos]], out);
        } else {
            st = merge_word(&r, t + pos, end - pos, out);
        }
        pos = end;
    }
    lc_mq_free(&r.queue, &v->env);
    lc_free(&v->env, r.sym);
    lc_free(&v->env, r.sid);
    return st;
}
