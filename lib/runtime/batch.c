/* Batches: the llamac_batch_init/free/add helpers and the validation that
 * llamac_decode runs before it touches anything. */
#include "batch.h"

#include <string.h>

/* llamac_batch_init makes one block: this header, then the arrays. The
 * header remembers the allocator so that llamac_batch_free needs nothing
 * else, and the capacities for llamac_batch_add. */
typedef struct batch_block {
    lc_env env;
    int32_t n_tokens_max;
    int32_t n_seq_max;
} batch_block;

/* Rounds n up to a multiple of the strictest alignment in the block. */
static size_t align_up(size_t n) {
    const size_t a = sizeof(void *) > 8 ? sizeof(void *) : 8;
    return (n + a - 1) / a * a;
}

llamac_status llamac_batch_init(llamac_batch *batch, int32_t n_tokens_max, int32_t n_seq_max,
                                const llamac_allocator *allocator) {
    if (!batch) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_batch_init: batch is NULL");
    memset(batch, 0, sizeof *batch);
    if (n_tokens_max < 1 || n_seq_max < 1)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_batch_init: n_tokens_max %d and n_seq_max %d must be >= 1",
                       n_tokens_max, n_seq_max);
    const size_t nt = (size_t)n_tokens_max, ns = (size_t)n_seq_max;
    size_t n_ids, sz_tok, sz_ptr, sz_ids, sz_log, total = align_up(sizeof(batch_block));
    if (lc_mul_overflow_size(nt, sizeof(int32_t), &sz_tok) || lc_mul_overflow_size(nt, sizeof(void *), &sz_ptr) ||
        lc_mul_overflow_size(nt, ns, &n_ids) || lc_mul_overflow_size(n_ids, sizeof(int32_t), &sz_ids))
        return lc_fail(LLAMAC_ERR_NO_MEMORY, "llamac_batch_init: %d tokens x %d sequences overflows", n_tokens_max,
                       n_seq_max);
    sz_log = nt;
    size_t parts[] = {sz_tok, sz_tok, sz_tok, sz_ptr, sz_ids, sz_log};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (lc_add_overflow_size(total, align_up(parts[i]), &total))
            return lc_fail(LLAMAC_ERR_NO_MEMORY, "llamac_batch_init: batch size overflows");

    lc_env env;
    lc_env_init(&env, allocator, NULL, NULL);
    unsigned char *mem = lc_malloc(&env, total);
    if (!mem) return LLAMAC_ERR_NO_MEMORY;
    batch_block *blk = (batch_block *)mem;
    blk->env = env;
    blk->n_tokens_max = n_tokens_max;
    blk->n_seq_max = n_seq_max;
    size_t off = align_up(sizeof(batch_block));
    batch->token = (llamac_token *)(mem + off);
    off += align_up(sz_tok);
    batch->pos = (llamac_pos *)(mem + off);
    off += align_up(sz_tok);
    batch->n_seq_id = (int32_t *)(mem + off);
    off += align_up(sz_tok);
    batch->seq_id = (llamac_seq_id **)(mem + off);
    off += align_up(sz_ptr);
    llamac_seq_id *ids = (llamac_seq_id *)(mem + off);
    off += align_up(sz_ids);
    batch->logits = (int8_t *)(mem + off);
    for (size_t i = 0; i < nt; i++) batch->seq_id[i] = ids + i * ns;
    memset(batch->logits, 0, nt);
    batch->owned = mem;
    return LLAMAC_OK;
}

void llamac_batch_free(llamac_batch *batch) {
    if (!batch || !batch->owned) return;
    batch_block *blk = batch->owned;
    lc_env env = blk->env;
    lc_free(&env, batch->owned);
    memset(batch, 0, sizeof *batch);
}

llamac_status llamac_batch_add(llamac_batch *batch, llamac_token token, llamac_pos pos,
                               const llamac_seq_id *seq_ids, int32_t n_seq_ids, bool logits) {
    LC_REQUIRE(batch);
    LC_REQUIRE(seq_ids);
    if (!batch->owned)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_batch_add: the batch was not made by llamac_batch_init");
    const batch_block *blk = batch->owned;
    if (batch->n_tokens < 0 || batch->n_tokens >= blk->n_tokens_max)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_batch_add: the batch holds %d tokens, its capacity is %d",
                       batch->n_tokens, blk->n_tokens_max);
    if (n_seq_ids < 1 || n_seq_ids > blk->n_seq_max || !seq_ids)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_batch_add: %d sequence ids given, expected 1..%d",
                       n_seq_ids, blk->n_seq_max);
    int32_t i = batch->n_tokens++;
    batch->token[i] = token;
    batch->pos[i] = pos;
    batch->n_seq_id[i] = n_seq_ids;
    memcpy(batch->seq_id[i], seq_ids, (size_t)n_seq_ids * sizeof *seq_ids);
    batch->logits[i] = logits ? 1 : 0;
    return LLAMAC_OK;
}

llamac_status lc_batch_validate(const llamac_batch *b, const lc_batch_limits *lim, int32_t *seq_pos,
                                int32_t *n_outputs) {
    if (!b) return lc_fail(LLAMAC_ERR_INVALID_ARG, "decode: batch is NULL");
    if (b->n_tokens < 1 || b->n_tokens > lim->n_batch)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "decode: batch has %d tokens, expected 1..%d (n_batch)", b->n_tokens,
                       lim->n_batch);
    if (!b->token || !b->pos || !b->n_seq_id || !b->seq_id)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "decode: batch array %s is NULL",
                       !b->token ? "token" : !b->pos ? "pos" : !b->n_seq_id ? "n_seq_id" : "seq_id");
    int32_t n_out = 0;
    for (int32_t i = 0; i < b->n_tokens; i++) {
        const llamac_token t = b->token[i];
        if (t < 0 || t >= lim->n_vocab)
            return lc_fail(LLAMAC_ERR_INVALID_ARG, "decode: batch token %d: id %d is outside the vocabulary [0, %d)", i,
                           t, lim->n_vocab);
        const llamac_pos p = b->pos[i];
        if (p < 0) return lc_fail(LLAMAC_ERR_INVALID_ARG, "decode: batch token %d: position %d is negative", i, p);
        const int32_t ns = b->n_seq_id[i];
        if (ns < 1 || ns > lim->n_seq_max)
            return lc_fail(LLAMAC_ERR_INVALID_ARG, "decode: batch token %d: n_seq_id is %d, expected 1..%d", i, ns,
                           lim->n_seq_max);
        const llamac_seq_id *ids = b->seq_id[i];
        if (!ids) return lc_fail(LLAMAC_ERR_INVALID_ARG, "decode: batch token %d: seq_id[%d] is NULL", i, i);
        for (int32_t k = 0; k < ns; k++) {
            const llamac_seq_id s = ids[k];
            if (s < 0 || s >= lim->n_seq_max)
                return lc_fail(LLAMAC_ERR_INVALID_ARG,
                               "decode: batch token %d: sequence id %d is not valid in this context (0..%d)", i, s,
                               lim->n_seq_max - 1);
            for (int32_t k2 = 0; k2 < k; k2++)
                if (ids[k2] == s)
                    return lc_fail(LLAMAC_ERR_INVALID_ARG, "decode: batch token %d: sequence id %d is listed twice", i,
                                   s);
        }
        for (int32_t k = 0; k < ns; k++) {
            const llamac_seq_id s = ids[k];
            if (p <= seq_pos[s])
                return lc_fail(LLAMAC_ERR_INVALID_ARG,
                               "decode: batch token %d: position %d of sequence %d does not come after its last "
                               "position %d (positions must increase within a sequence)",
                               i, p, s, seq_pos[s]);
            seq_pos[s] = p;
        }
        n_out += lc_batch_wants_logits(b, i);
    }
    *n_outputs = n_out;
    return LLAMAC_OK;
}
