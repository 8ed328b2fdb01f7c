/* Validation of a decode batch against a context's limits and KV cache. */
#ifndef LLAMAC_BATCH_H
#define LLAMAC_BATCH_H

#include "common/internal.h"

typedef struct lc_batch_limits {
    int32_t n_batch;   /* most tokens per call */
    int32_t n_vocab;
    int32_t n_seq_max;
} lc_batch_limits;

/* Checks every field of every token (see llamac_decode in llamac.h for the
 * rules). seq_pos[n_seq_max] holds, on entry, the highest cached position of
 * each sequence (-1 when empty); it is updated as tokens are checked, so on
 * success it holds the highest position after the batch. On failure the
 * message names the token index and value. Counts the tokens that want
 * logits into *n_outputs. */
llamac_status lc_batch_validate(const llamac_batch *batch, const lc_batch_limits *lim, int32_t *seq_pos,
                                int32_t *n_outputs);

/* Whether token i of a validated batch wants its logits kept. */
static inline bool lc_batch_wants_logits(const llamac_batch *batch, int32_t i) {
    return batch->logits ? batch->logits[i] != 0 : i == batch->n_tokens - 1;
}

#endif
