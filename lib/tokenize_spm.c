/* SentencePiece BPE, as the Llama 1/2 tokenizer runs it: spaces become ▁
 * (U+2581), the text is cut into characters, and the adjacent pair whose
 * concatenation is the highest-scoring vocabulary piece is merged, again and
 * again, leftmost first among equal scores. Characters left that are not
 * pieces are spelled with the <0xNN> byte tokens (byte fallback).
 *
 * Candidate merges sit in a heap and symbols in a linked list, so each merge
 * costs O(log n): linear-ish even on one enormous word. Lookups are bounded
 * by the longest piece, so hashing stays O(1) per candidate. */
#include "unicode.h"
#include "vocab_impl.h"

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
    lc_merge_heap heap;
} spm_run;

static llamac_status try_pair(spm_run *r, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return LLAMAC_OK;
    const lc_symbol *a = &r->sym[left], *b = &r->sym[right];
    uint32_t size = a->n + b->n;
    if (size > r->v->max_piece_len) return LLAMAC_OK;
    int32_t id = lc_strmap_get(&r->v->spm_map, r->text + a->start, size);
    if (id < 0) return LLAMAC_OK;
    lc_merge m = {score_key(r->v->tokens[id].score), left, size};
    return lc_heap_push(&r->heap, &r->v->env, m);
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

    /* One symbol per character, cut by lead bytes only (no validation:
     * ill-formed bytes end up byte-encoded by the fallback anyway). */
    size_t n_sym = 0;
    for (size_t i = 0; i < n; i += LC_MIN(lc_utf8_lead_len((unsigned char)esc[i]), n - i)) n_sym++;
    spm_run r = {v, esc, lc_calloc(env, n_sym, sizeof(lc_symbol)), {0}};
    llamac_status st = LLAMAC_OK;
    if (!r.sym) { st = LLAMAC_ERR_NO_MEMORY; goto done; }
    for (size_t i = 0, k = 0; i < n; k++) {
        size_t cl = LC_MIN(lc_utf8_lead_len((unsigned char)esc[i]), n - i);
        r.sym[k] = (lc_symbol){(int32_t)k - 1, k + 1 < n_sym ? (int32_t)k + 1 : -1, (uint32_t)i, (uint32_t)cl};
        i += cl;
    }
    for (size_t k = 1; k < n_sym && st == LLAMAC_OK; k++) st = try_pair(&r, (int32_t)k - 1, (int32_t)k);

    lc_merge m;
    while (st == LLAMAC_OK && lc_heap_pop(&r.heap, &m)) {
        lc_symbol *a = &r.sym[m.left];
        if (a->n == 0 || a->next < 0) continue;
        lc_symbol *b = &r.sym[a->next];
        if (a->n + b->n != m.size) continue; /* one side changed since queued */
        a->n += b->n;
        b->n = 0;
        a->next = b->next;
        if (a->next >= 0) r.sym[a->next].prev = m.left;
        st = try_pair(&r, a->prev, m.left);
        if (st == LLAMAC_OK) st = try_pair(&r, m.left, a->next);
    }

    for (int32_t k = n_sym ? 0 : -1; k >= 0 && st == LLAMAC_OK; k = r.sym[k].next) {
        const lc_symbol *s = &r.sym[k];
        int32_t id = lc_strmap_get(&v->spm_map, esc + s->start, s->n);
        if (id >= 0) lc_tok_push(out, id);
        else st = emit_bytes(v, esc + s->start, s->n, out);
    }
done:
    lc_heap_free(&r.heap, env);
    lc_free(env, r.sym);
    lc_free(env, esc);
    return st;
}
