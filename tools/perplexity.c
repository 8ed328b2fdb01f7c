#include "perplexity.h"

#include <math.h>
#include <stdio.h>

double ppl_token_nll(const float *logits, int32_t n_vocab, llamac_token target) {
    double max = logits[0];
    for (int32_t i = 1; i < n_vocab; i++)
        if (logits[i] > max) max = logits[i];
    double sum = 0.0;
    for (int32_t i = 0; i < n_vocab; i++) sum += exp((double)logits[i] - max);
    return log(sum) + max - (double)logits[target];
}

static llamac_status lib_fail(llamac_status st, char *err, size_t err_size, const char *what,
                              int64_t window_index) {
    snprintf(err, err_size, "%s (window %lld): %s: %s", what, (long long)window_index,
             llamac_status_name(st), llamac_last_error());
    return st;
}

llamac_status ppl_score(llamac_context *ctx, llamac_token bos, const llamac_token *tokens,
                        int64_t n_tokens, int32_t window, ppl_progress_fn progress,
                        void *progress_user, ppl_result *out, char *err, size_t err_size) {
    if (!out || !err || err_size == 0) return LLAMAC_ERR_INVALID_ARG;
    *out = (ppl_result){0.0, 0, 0};
    err[0] = '\0';
    if (!ctx || !tokens || n_tokens < 1 || window < 1 || window == INT32_MAX) {
        snprintf(err, err_size, "perplexity needs a context, at least one token and a window >= 1");
        return LLAMAC_ERR_INVALID_ARG;
    }
    const uint32_t need = (uint32_t)window + 1;
    if (llamac_context_n_ctx(ctx) < need || llamac_context_n_batch(ctx) < need) {
        snprintf(err, err_size,
                 "a window of %d tokens plus BOS needs n_ctx and n_batch >= %u; the context has "
                 "n_ctx %u, n_batch %u",
                 (int)window, need, llamac_context_n_ctx(ctx), llamac_context_n_batch(ctx));
        return LLAMAC_ERR_INVALID_ARG;
    }
    const int32_t n_vocab = llamac_model_n_vocab(llamac_context_model(ctx));
    /* Targets index the logits row, so every id is checked here, before any
     * work, rather than trusting the decode's own validation. */
    if (bos < 0 || bos >= n_vocab) {
        snprintf(err, err_size, "BOS id %d is outside the vocabulary [0, %d)", (int)bos, (int)n_vocab);
        return LLAMAC_ERR_INVALID_ARG;
    }
    for (int64_t i = 0; i < n_tokens; i++) {
        if (tokens[i] < 0 || tokens[i] >= n_vocab) {
            snprintf(err, err_size, "token %lld has id %d, outside the vocabulary [0, %d)",
                     (long long)i, (int)tokens[i], (int)n_vocab);
            return LLAMAC_ERR_INVALID_ARG;
        }
    }

    llamac_batch batch;
    llamac_status st = llamac_batch_init(&batch, (int32_t)need, 1, NULL);
    if (st) return lib_fail(st, err, err_size, "allocating the batch", 0);
    const int64_t n_windows_total = (n_tokens - 1) / window + 1;
    const llamac_seq_id seq0 = 0;
    for (int64_t start = 0, w = 0; start < n_tokens; start += window, w++) {
        const int32_t len = (int32_t)(n_tokens - start < window ? n_tokens - start : window);
        llamac_kv_clear(ctx);
        batch.n_tokens = 0;
        /* Input position j predicts window token j; the last input's
         * prediction lies past the window, so it asks for no logits. */
        for (int32_t j = 0; j <= len && !st; j++)
            st = llamac_batch_add(&batch, j == 0 ? bos : tokens[start + j - 1], j, &seq0, 1, j < len);
        if (st) {
            lib_fail(st, err, err_size, "building the batch", w);
            break;
        }
        if ((st = llamac_decode(ctx, &batch))) {
            lib_fail(st, err, err_size, "decoding", w);
            break;
        }
        for (int32_t j = 0; j < len; j++) {
            const float *row = llamac_get_logits_ith(ctx, j);
            if (!row) {
                st = lib_fail(LLAMAC_ERR_INTERNAL, err, err_size, "reading logits", w);
                break;
            }
            out->nll_sum += ppl_token_nll(row, n_vocab, tokens[start + j]);
        }
        if (st) break;
        out->n_scored += len;
        out->n_windows++;
        if (progress && !progress(out, n_windows_total, progress_user)) {
            st = LLAMAC_ERR_CANCELLED;
            snprintf(err, err_size, "cancelled after %lld of %lld windows", (long long)out->n_windows,
                     (long long)n_windows_total);
            break;
        }
    }
    llamac_batch_free(&batch);
    return st;
}
