/* SentencePiece BPE, as the Llama 1/2 tokenizer runs it: spaces become ▁
 * (U+2581), the text is cut into characters, and the adjacent pair whose
 * concatenation is the highest-scoring vocabulary piece is merged, again and
 * again, leftmost first among equal scores. Characters left that are not
 * pieces are spelled with the <0xNN> byte tokens (byte fallback).
 *
 * Candidate merges sit in a priority queue and symbols in a linked list, so each merge
 * costs O(log n): linear-ish even on one enormous word. Lookups are bounded
 * by the longest piece, so hashing stays O(1) per candidate. */
#include "common/unicode.h"
#include "vocab_private.h"

#include <string.h>

/* Heap keys order ascending; higher scores must come first. */
static uint32_t score_key(float score) {
    uint32_t u;
    if (score == 0.0f) score = 0.0f; /* -0 and +0 tie */
    memcpy(&u, &score, sizeof u);
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u); /* monotonic in score */
    return ~u;
}

typedef struct spm_run {
    const llamac_vocab *v;
    const char *text;
    lc_symbol *sym;
    size_t cap;
    lc_merge_queue queue;
} spm_run;

static llamac_status try_pair(spm_run *r, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return LLAMAC_OK;
    const lc_symbol *a = &r->sym[left], *b = &r->sym[right];
    uint32_t size = a->n + b->n;
    if (size > r->v->max_piece_len) return LLAMAC_OK;
    int32_t id = lc_strmap_get(&r->v->spm_map, r->text + a->start, size);
    if (id < 0) return LLAMAC_OK;
    return lc_mq_push(&r->queue, &r->v->env, score_key(r->v->tokens[id].score), left, size);
}

static llamac_status emit_bytes(const llamac_vocab *v, const char *s, size_t n, lc_tok_out *out) {
    for (size_t i = 0; i < n; i++) {
        llamac_token t = v->byte_token[(unsigned char)s[i]];
        if (t == LLAMAC_TOKEN_NULL) t = v->unk;
        if (t == LLAMAC_TOKEN_NULL)
            return lc_fail(LLAMAC_ERR_UNSUPPORTED,
                           "byte 0x%02X is not in the vocabulary and it has neither a <0x%02X> "
                           "byte token nor an unknown token",
                           (unsigned char)s[i], (unsigned char)s[i]);
        lc_tok_push(out, t);
    }
    return LLAMAC_OK;
}

/* Merges symbols sym[0..n) (one chunk, linked in order) and emits them. */
static llamac_status merge_chunk(spm_run *r, int32_t n, lc_tok_out *out) {
    const llamac_vocab *v = r->v;
    llamac_status st = LLAMAC_OK;
    lc_mq_reset(&r->queue);
    for (int32_t k = 1; k < n && st == LLAMAC_OK; k++) st = try_pair(r, k - 1, k);

    lc_merge m;
    while (st == LLAMAC_OK && lc_mq_pop(&r->queue, &m)) {
        lc_symbol *a = &r->sym[m.left];
        if (a->n == 0 || a->next < 0) continue;
        lc_symbol *b = &r->sym[a->next];
        if (a->n + b->n != m.size) continue; /* one side changed since queued */
        a->n += b->n;
        b->n = 0;
        a->next = b->next;
        if (a->next >= 0) r->sym[a->next].prev = m.left;
        st = try_pair(r, a->prev, m.left);
        if (st == LLAMAC_OK) st = try_pair(r, m.left, a->next);
    }
    for (int32_t k = 0; k >= 0 && st == LLAMAC_OK; k = r->sym[k].next) {
        const lc_symbol *s = &r->sym[k];
        int32_t id = lc_strmap_get(&v->spm_map, r->text + s->start, s->n);
        if (id >= 0) lc_tok_push(out, id);
        else st = emit_bytes(v, r->text + s->start, s->n, out);
    }
    return st;
}

static llamac_status grow(spm_run *r, size_t need) {
    return lc_grow(&r->v->env, &r->sym, &r->cap, need, sizeof *r->sym);
}

llamac_status lc_tokenize_spm(const llamac_vocab *v, const char *text, size_t len,
                              bool space_prefix, lc_tok_out *out) {
    static const char ws[3] = {'\xE2', '\x96', '\x81'}; /* U+2581 */
    const lc_env *env = &v->env;
    size_t cap;
    if (len == 0 && !space_prefix) return LLAMAC_OK;
    if (lc_mul_overflow_size(len, 3, &cap) || lc_add_overflow_size(cap, 3, &cap) || cap > INT32_MAX)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "text fragment of %zu bytes is too long", len);

    char *esc = lc_malloc(env, cap);
    if (!esc) return LLAMAC_ERR_NO_MEMORY;
    size_t n = 0;
    if (space_prefix) { memcpy(esc, ws, 3); n = 3; }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') { memcpy(esc + n, ws, 3); n += 3; }
        else esc[n++] = text[i];
    }

    /* Symbols are UTF-8 characters; each byte of an ill-formed sequence is
     * a symbol of its own, which byte fallback spells as <0xNN>. (llama.cpp
     * cuts by the lead byte alone, so a stray lead byte can swallow the ▁
     * after it and turn the space into the bytes of U+2581; this way any
     * byte string round-trips.) When the vocabulary allows it (see
     * lc_vocab.spm_word_split), a ▁ that follows another character starts a
     * new chunk merged on its own. */
    spm_run r = {v, esc, NULL, 0, {0}};
    llamac_status st = LLAMAC_OK;
    for (size_t i = 0; i < n && st == LLAMAC_OK;) {
        int32_t k = 0;
        bool prev_ws = false;
        while (i < n) {
            uint32_t cp;
            size_t cl = lc_utf8_decode((const unsigned char *)esc + i, n - i, &cp);
            if (cl == 0) cl = 1;
            bool is_ws = cl == 3 && memcmp(esc + i, ws, 3) == 0;
            if (k > 0 && is_ws && !prev_ws && v->spm_word_split) break;
            if ((st = grow(&r, (size_t)k + 1))) break;
            r.sym[k] = (lc_symbol){k - 1, k + 1, (uint32_t)i, (uint32_t)cl};
            k++;
            i += cl;
            prev_ws = is_ws;
        }
        if (st) break;
        r.sym[k - 1].next = -1;
        st = merge_chunk(&r, k, out);
    }
    lc_mq_free(&r.queue, env);
    lc_free(env, r.sym);
    lc_free(env, esc);
    return st;
}
