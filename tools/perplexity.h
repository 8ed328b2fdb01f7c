/* Perplexity of a token stream by the protocol the trainer of the shipped
 * model uses (tools/train/evaluate.py), so that `llamac perplexity` and the
 * trainer report the same figure for the same file:
 *
 *   - the stream is cut into consecutive windows of `window` tokens (the
 *     last may be shorter);
 *   - each window is decoded on its own from an empty cache as
 *     [BOS] + window at positions 0..len, so its first token is predicted
 *     from BOS alone and no window sees another;
 *   - every window token is scored: -log softmax(logits of the input
 *     position before it)[token], summed in double precision.
 *
 * perplexity = exp(nll_sum / n_scored). Uses only the public API. */
#ifndef LLAMAC_TOOLS_PERPLEXITY_H
#define LLAMAC_TOOLS_PERPLEXITY_H

#include "llamac.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ppl_result {
    double nll_sum;    /* nats, over every scored token */
    int64_t n_scored;  /* tokens scored: all of the stream */
    int64_t n_windows;
} ppl_result;

/* Called after each window with the totals so far; returning false stops
 * the run with LLAMAC_ERR_CANCELLED. */
typedef bool (*ppl_progress_fn)(const ppl_result *so_far, int64_t n_windows_total, void *user);

/* Scores tokens[0..n_tokens) on sequence 0 of ctx, which must hold at least
 * window + 1 cells in one batch (n_ctx and n_batch >= window + 1). The
 * cache is cleared before each window and left holding the last one.
 * Errors: LLAMAC_ERR_INVALID_ARG (NULL pointers, n_tokens < 1, window < 1,
 * a context too small, a token or BOS outside the model's vocabulary),
 * decode errors, LLAMAC_ERR_NO_MEMORY, LLAMAC_ERR_CANCELLED; one line
 * saying what failed (token index and id, window, the library's message)
 * goes to err. *out holds the totals reached so far either way. */
llamac_status ppl_score(llamac_context *ctx, llamac_token bos, const llamac_token *tokens,
                        int64_t n_tokens, int32_t window, ppl_progress_fn progress,
                        void *progress_user, ppl_result *out, char *err, size_t err_size);

/* -log softmax(logits)[target] over n_vocab logits, in double precision. */
double ppl_token_nll(const float *logits, int32_t n_vocab, llamac_token target);

#endif
