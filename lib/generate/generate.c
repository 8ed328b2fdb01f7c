/* The generation loop of llamac.h section 7: prompt decoding in batches,
 * one sampled token per call, streaming text with stop-string holdback,
 * the context shift of params.n_keep, and resuming a cached sequence. */
#include "generator_private.h"
#include "common/params.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- creation ---- */

void llamac_generator_params_init(llamac_generator_params *params, size_t size) {
    static const llamac_generator_params defaults = {
        .n_predict = -1,
        .stop_at_eog = true,
        .n_keep = -1,
    };
    lc_params_init(params, size, &defaults, sizeof defaults);
}

void llamac_generator_free(llamac_generator *gen) {
    if (!gen) return;
    const lc_env *env = gen->env;
    lc_gen_step_free(gen);
    if (gen->stops)
        for (int32_t i = 0; i < gen->params.n_stop; i++) lc_free(env, gen->stops[i]);
    lc_free(env, gen->stops);
    lc_free(env, gen->stop_len);
    llamac_detok_free(gen->detok);
    llamac_batch_free(&gen->batch);
    lc_free(env, gen->held.data);
    lc_free(env, gen->out.data);
    lc_free(env, gen);
}

static llamac_status copy_stops(llamac_generator *gen, const char *const *strings) {
    const int32_t n = gen->params.n_stop;
    if (n == 0) return LLAMAC_OK;
    gen->stops = lc_calloc(gen->env, (size_t)n, sizeof *gen->stops);
    gen->stop_len = lc_calloc(gen->env, (size_t)n, sizeof *gen->stop_len);
    if (!gen->stops || !gen->stop_len) return LLAMAC_ERR_NO_MEMORY;
    for (int32_t i = 0; i < n; i++) {
        gen->stops[i] = lc_strdup(gen->env, strings[i]);
        if (!gen->stops[i]) return LLAMAC_ERR_NO_MEMORY;
        gen->stop_len[i] = strlen(gen->stops[i]);
    }
    return LLAMAC_OK;
}

llamac_status llamac_generator_new(llamac_context *ctx, llamac_sampler *smpl,
                                   const llamac_generator_params *params, llamac_generator **out) {
    if (!out) return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_generator_new: out is NULL");
    *out = NULL;
    if (!ctx || !smpl)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_generator_new: %s is NULL",
                       !ctx ? "ctx" : "smpl");
    llamac_generator_params p;
    llamac_generator_params_init(&p, sizeof p);
    llamac_status params_st = lc_params_read(&p, sizeof p, params, "llamac_generator_new", "llamac_generator");
    if (params_st) return params_st;
    const llamac_model *model = llamac_context_model(ctx);
    const llamac_vocab *vocab = llamac_model_vocab(model);
    if (!vocab)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_generator_new: the model has no vocabulary to detokenize with");
    if (p.seq_id < 0 || (uint32_t)p.seq_id >= llamac_context_n_seq_max(ctx))
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_generator_new: seq_id %d is outside [0, %u) of the context",
                       (int)p.seq_id, llamac_context_n_seq_max(ctx));
    if (p.n_predict < -1)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_generator_new: n_predict %d must be >= -1",
                       (int)p.n_predict);
    if (p.n_keep < -1)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_generator_new: n_keep %d must be >= -1 (-1: no context shift)", (int)p.n_keep);
    if (p.n_stop < 0 || (p.n_stop > 0 && !p.stop_strings))
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_generator_new: n_stop %d needs as many stop_strings",
                       (int)p.n_stop);
    for (int32_t i = 0; i < p.n_stop; i++)
        if (!p.stop_strings[i] || !p.stop_strings[i][0])
            return lc_fail(LLAMAC_ERR_INVALID_ARG,
                           "llamac_generator_new: stop string %d is NULL or empty", (int)i);

    const lc_env *env = lc_context_env(ctx);
    llamac_generator *gen = lc_calloc(env, 1, sizeof *gen);
    if (!gen) return LLAMAC_ERR_NO_MEMORY;
    gen->ctx = ctx;
    gen->smpl = smpl;
    gen->env = env;
    gen->vocab = vocab;
    gen->n_vocab = llamac_model_n_vocab(model);
    gen->params = p;
    gen->params.stop_strings = NULL; /* the caller's array is not kept */
    gen->pending = LLAMAC_TOKEN_NULL;
    gen->pos_next = (int64_t)llamac_kv_seq_pos_max(ctx, p.seq_id) + 1;

    llamac_detok_params dp = llamac_detok_default_params();
    dp.unparse_special = p.unparse_special;
    dp.strip_leading_space = false; /* the text continues the prompt's */
    llamac_status st = copy_stops(gen, p.stop_strings);
    if (st == LLAMAC_OK) st = llamac_detok_new(vocab, &dp, &gen->detok);
    if (st == LLAMAC_OK)
        st = llamac_batch_init(&gen->batch, (int32_t)llamac_context_n_batch(ctx), 1, &env->alloc);
    if (st == LLAMAC_OK) st = lc_bytes_append(env, &gen->out, "", 0); /* step text never NULL */
    if (st != LLAMAC_OK) {
        lc_error_prefix("llamac_generator_new");
        llamac_generator_free(gen);
        return st;
    }
    *out = gen;
    return LLAMAC_OK;
}

int32_t llamac_generator_n_generated(const llamac_generator *gen) {
    return gen ? gen->n_generated : 0;
}

/* ---- decoding ---- */

static bool aborted(const llamac_generator *gen) {
    return gen->params.abort_fn && gen->params.abort_fn(gen->params.abort_user);
}

/* Decodes batch.token[0..n) (n <= n_batch) at positions pos_next..,
 * keeping the logits of the last. */
static llamac_status decode_batch(llamac_generator *gen, int32_t n) {
    if (aborted(gen))
        return lc_fail(LLAMAC_ERR_CANCELLED, "generator: stopped by the abort callback");
    /* Positions are int32: a sequence that reaches INT32_MAX has no room
     * left, like a full cache. */
    if (gen->pos_next + n - 1 > INT32_MAX)
        return lc_fail(LLAMAC_ERR_CONTEXT_FULL,
                       "generator: %d tokens from position %lld would pass the last position %d", (int)n,
                       (long long)gen->pos_next, INT32_MAX);
    llamac_batch *b = &gen->batch;
    for (int32_t i = 0; i < n; i++) {
        b->pos[i] = (llamac_pos)(gen->pos_next + i);
        b->n_seq_id[i] = 1;
        b->seq_id[i][0] = gen->params.seq_id;
        b->logits[i] = i == n - 1;
    }
    b->n_tokens = n;
    llamac_status st = llamac_decode(gen->ctx, b);
    if (st != LLAMAC_OK) return st;
    gen->pos_next += n;
    gen->have_logits = true;
    gen->logit_index = n - 1;
    return LLAMAC_OK;
}

/* ---- context shift ---- */

bool lc_gen_shift_on(const llamac_generator *gen) { return gen->params.n_keep >= 0; }

/* n_keep clamped as llama.cpp does: to the sequence's length and to
 * room - 4, room being the cells the sequence can use, so that a shift
 * always has at least 4 tokens to halve. */
int32_t lc_gen_clamp_keep(const llamac_generator *gen, int64_t seq_len, int32_t room) {
    int64_t k = gen->params.n_keep;
    if (k > seq_len) k = seq_len;
    if (k > (int64_t)room - 4) k = (int64_t)room - 4;
    return k < 0 ? 0 : (int32_t)k;
}

/* The keep count is fixed once, by the first prompt or resume that succeeds. */
void lc_gen_fix_keep(llamac_generator *gen, int32_t keep) {
    if (!lc_gen_shift_on(gen) || gen->keep_fixed) return;
    gen->keep = keep;
    gen->keep_fixed = true;
}

/* Whether the next token has nowhere to go: no free cell, or a position
 * past INT32_MAX. */
bool lc_gen_context_is_full(const llamac_generator *gen) {
    return llamac_kv_n_used(gen->ctx) >= (int32_t)llamac_context_n_ctx(gen->ctx) || gen->pos_next > INT32_MAX;
}

/* Halves the sequence after its first `keep` tokens (llama.cpp's context
 * shift): n_left = n_past - keep tokens follow the kept ones; the oldest
 * n_left / 2 of them are removed and the rest moved down over the gap.
 * False when there is nothing to discard or the cache refused (cells
 * shared with other sequences); the caller then stops the response. */
bool lc_gen_shift_context(llamac_generator *gen) {
    const llamac_seq_id seq = gen->params.seq_id;
    const llamac_pos p0 = llamac_kv_seq_pos_min(gen->ctx, seq);
    if (p0 < 0) return false;
    const int64_t n_past = gen->pos_next - p0;
    const int64_t n_left = n_past - gen->keep;
    const int64_t n_discard = n_left / 2;
    if (n_discard < 1) return false;
    /* first + n_discard <= pos_next - 1 <= INT32_MAX: both fit a position */
    const int64_t first = (int64_t)p0 + gen->keep;
    if (llamac_kv_seq_rm(gen->ctx, seq, (llamac_pos)first, (llamac_pos)(first + n_discard)) != LLAMAC_OK)
        return false;
    /* If the move is refused, the tokens after the gap stay where they
     * were: positions still increase, the sequence stays valid. */
    if (llamac_kv_seq_add(gen->ctx, seq, (llamac_pos)(first + n_discard), -1, -(llamac_pos)n_discard) !=
        LLAMAC_OK)
        return false;
    gen->pos_next -= n_discard;
    return true;
}

/* The tokens a prompt call decodes: the first `head` as given, the rest
 * from index head + skip on (a truncated prompt skips a middle part). */
typedef struct prompt_plan {
    int32_t n, head, skip;
} prompt_plan;

static llamac_token plan_token(const prompt_plan *plan, const llamac_token *tokens, int32_t i) {
    return tokens[i < plan->head ? i : i + plan->skip];
}

/* llama.cpp's truncation of an over-long prompt (tools/server): the first
 * keep tokens and a tail of whole blocks of n_left / 2 tokens, so that the
 * result is shorter than the room. Leaves the plan whole when the prompt
 * fits or the room is too small to make a block. */
static void plan_truncation(prompt_plan *plan, int32_t keep, int32_t room) {
    if (plan->n < room) return;
    const int32_t n_left = room - keep;
    const int32_t block = n_left / 2;
    if (block < 1) return;
    const int32_t erased = (plan->n - keep - block) / block;
    plan->head = keep;
    plan->skip = erased * block;
    plan->n -= plan->skip;
}

bool lc_gen_plan_prompt(const llamac_generator *gen, int32_t n_tokens, int32_t *n, int32_t *head, int32_t *skip,
                        int32_t *keep) {
    prompt_plan plan = {n_tokens, n_tokens, 0};
    const bool first_into_empty = lc_gen_shift_on(gen) && !gen->keep_fixed && gen->pending == LLAMAC_TOKEN_NULL &&
                                  llamac_kv_seq_pos_max(gen->ctx, gen->params.seq_id) < 0;
    *keep = 0;
    if (first_into_empty) {
        const int32_t n_free = (int32_t)llamac_context_n_ctx(gen->ctx) - llamac_kv_n_used(gen->ctx);
        *keep = lc_gen_clamp_keep(gen, n_tokens, n_free);
        plan_truncation(&plan, *keep, n_free);
    }
    *n = plan.n, *head = plan.head, *skip = plan.skip;
    return first_into_empty;
}

/* ---- prompts ---- */

llamac_status lc_gen_check_ids(const llamac_generator *gen, const char *fn, const llamac_token *tokens,
                               int32_t n_tokens) {
    for (int32_t i = 0; i < n_tokens; i++)
        if (tokens[i] < 0 || tokens[i] >= gen->n_vocab)
            return lc_fail(LLAMAC_ERR_INVALID_ARG,
                           "%s: token %d at index %d is outside the vocabulary (0..%d); nothing was decoded", fn,
                           (int)tokens[i], (int)i, (int)gen->n_vocab - 1);
    return LLAMAC_OK;
}

/* What can be known before decoding is checked before decoding: a prompt
 * that cannot fit (or names a token the model lacks) is refused at once
 * instead of after every batch before the failing one ran. */
llamac_status lc_gen_check_prompt_fits(const llamac_generator *gen, int32_t n_tokens) {
    const bool pending = gen->pending != LLAMAC_TOKEN_NULL;
    const int64_t n_needed = (int64_t)n_tokens + pending;
    const int32_t n_ctx = (int32_t)llamac_context_n_ctx(gen->ctx);
    const int32_t n_free = n_ctx - llamac_kv_n_used(gen->ctx);
    if (n_needed > n_free)
        return lc_fail(LLAMAC_ERR_CONTEXT_FULL,
                       "llamac_generator_prompt: the prompt has %d tokens%s but only %d of the context's %d cells "
                       "are free; nothing was decoded (use a larger n_ctx or a shorter prompt)",
                       (int)n_tokens, pending ? " (and 1 sampled token to decode first)" : "", (int)n_free,
                       (int)n_ctx);
    /* Positions are int32: the sequence cannot pass INT32_MAX. */
    if (gen->pos_next + n_needed - 1 > INT32_MAX)
        return lc_fail(LLAMAC_ERR_CONTEXT_FULL,
                       "llamac_generator_prompt: %lld tokens from position %lld would pass the last position %d; "
                       "nothing was decoded",
                       (long long)n_needed, (long long)gen->pos_next, INT32_MAX);
    return LLAMAC_OK;
}

/* A new response starts after a prompt or a resume. */
void lc_gen_start_response(llamac_generator *gen) {
    gen->pending = LLAMAC_TOKEN_NULL;
    gen->stop = LLAMAC_STOP_NONE;
    gen->n_generated = 0;
}

llamac_status llamac_generator_prompt(llamac_generator *gen, const llamac_token *tokens,
                                      int32_t n_tokens) {
    LC_REQUIRE(gen);
    LC_REQUIRE(tokens);
    if (n_tokens < 1)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_generator_prompt: need a generator and n_tokens >= 1 tokens "
                       "(got %d)", (int)n_tokens);
    llamac_status st = lc_gen_check_ids(gen, "llamac_generator_prompt", tokens, n_tokens);
    if (st != LLAMAC_OK) return st;
    const llamac_seq_id seq = gen->params.seq_id;
    const int32_t n_ctx = (int32_t)llamac_context_n_ctx(gen->ctx);
    prompt_plan plan = {n_tokens, n_tokens, 0};
    /* With the shift on, a first prompt into an empty sequence may be
     * truncated; the room is then the free cells (n_ctx when the context
     * holds nothing else). */
    const bool first_into_empty = lc_gen_shift_on(gen) && !gen->keep_fixed && gen->pending == LLAMAC_TOKEN_NULL &&
                                  llamac_kv_seq_pos_max(gen->ctx, seq) < 0;
    int32_t keep = 0;
    if (first_into_empty) {
        const int32_t n_free = n_ctx - llamac_kv_n_used(gen->ctx);
        keep = lc_gen_clamp_keep(gen, n_tokens, n_free);
        plan_truncation(&plan, keep, n_free);
    }
    st = lc_gen_check_prompt_fits(gen, plan.n);
    if (st != LLAMAC_OK) return st;
    const int32_t n_batch = (int32_t)llamac_context_n_batch(gen->ctx);
    const int64_t pos0 = gen->pos_next;
    /* The pending token (sampled, never decoded) goes first. */
    int32_t used = 0;
    if (gen->pending != LLAMAC_TOKEN_NULL) gen->batch.token[used++] = gen->pending;
    for (int32_t i = 0; i < plan.n;) {
        const int32_t take = LC_MIN(n_batch - used, plan.n - i);
        for (int32_t j = 0; j < take; j++) gen->batch.token[used + j] = plan_token(&plan, tokens, i + j);
        i += take;
        st = decode_batch(gen, used + take);
        if (st != LLAMAC_OK) {
            /* All or nothing: drop the batches this call already decoded. */
            if (gen->pos_next > pos0) {
                /* pos0 <= INT32_MAX: a batch was decoded from it */
                llamac_kv_seq_rm(gen->ctx, seq, (llamac_pos)pos0, -1);
                gen->pos_next = pos0;
                gen->have_logits = false; /* the context's logits are of a dropped batch */
            }
            lc_error_prefix("llamac_generator_prompt: batch at token %d", (int)(i - take));
            return st;
        }
        used = 0;
    }
    if (!first_into_empty) {
        const llamac_pos p0 = llamac_kv_seq_pos_min(gen->ctx, seq);
        keep = lc_gen_clamp_keep(gen, gen->pos_next - (p0 < 0 ? 0 : p0), n_ctx);
    }
    lc_gen_fix_keep(gen, keep);
    lc_gen_start_response(gen);
    return LLAMAC_OK;
}

/* Drops what the generator holds of an earlier response: the pending
 * token, held-back text, a half-detokenized character. */
static void forget_response(llamac_generator *gen) {
    const char *tail;
    size_t tail_len;
    (void)llamac_detok_flush(gen->detok, &tail, &tail_len); /* resets it; the bytes are discarded */
    gen->held.len = 0;
    if (gen->held.cap) gen->held.data[0] = '\0';
    gen->pending = LLAMAC_TOKEN_NULL;
    gen->have_logits = false;
}

llamac_status llamac_generator_resume(llamac_generator *gen, const llamac_token *tokens, int32_t n_tokens) {
    LC_REQUIRE(gen);
    LC_REQUIRE(tokens);
    if (n_tokens < 1)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_generator_resume: n_tokens must be >= 1 (got %d)",
                       (int)n_tokens);
    llamac_status st = lc_gen_check_ids(gen, "llamac_generator_resume", tokens, n_tokens);
    if (st != LLAMAC_OK) return st;
    const llamac_seq_id seq = gen->params.seq_id;
    const llamac_pos lo = llamac_kv_seq_pos_min(gen->ctx, seq), hi = llamac_kv_seq_pos_max(gen->ctx, seq);
    const llamac_pos last = n_tokens - 1;
    const bool whole = lo == 0 && hi == last;
    /* The last token may be missing (a state saved without its cell, or a
     * resume whose decode failed): it is decoded all the same. */
    const bool all_but_last = last == 0 ? hi < 0 : lo == 0 && hi == last - 1;
    if (!whole && !all_but_last) {
        char found[64], or_short[48];
        if (hi < 0) snprintf(found, sizeof found, "is empty");
        else snprintf(found, sizeof found, "holds positions %d..%d", (int)lo, (int)hi);
        if (last == 0) snprintf(or_short, sizeof or_short, "an empty sequence");
        else snprintf(or_short, sizeof or_short, "0..%d without the last", (int)last - 1);
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_generator_resume: sequence %d %s, but %d tokens need positions 0..%d (or %s); "
                       "nothing changed",
                       (int)seq, found, (int)n_tokens, (int)last, or_short);
    }
    forget_response(gen);
    /* The logits of the last token are needed: decode it again. Its cell
     * goes first, so the cache never holds two cells at one position. */
    if (whole) {
        st = llamac_kv_seq_rm(gen->ctx, seq, last, -1);
        if (st != LLAMAC_OK) return st;
    }
    gen->pos_next = last;
    gen->batch.token[0] = tokens[last];
    st = decode_batch(gen, 1);
    if (st != LLAMAC_OK) {
        lc_error_prefix("llamac_generator_resume: decoding the last token (position %d)", (int)last);
        return st;
    }
    lc_gen_fix_keep(gen, lc_gen_clamp_keep(gen, n_tokens, (int32_t)llamac_context_n_ctx(gen->ctx)));
    lc_gen_start_response(gen);
    return LLAMAC_OK;
}

/* ---- stepping ---- */

/* Whether `b` ends with the first k bytes of `s`. */
static bool ends_with_prefix(const lc_bytes *b, const char *s, size_t k) {
    return k <= b->len && memcmp(b->data + b->len - k, s, k) == 0;
}

/* Position of the earliest complete stop string in `held`, or SIZE_MAX. */
static size_t find_stop(const llamac_generator *gen) {
    const lc_bytes *h = &gen->held;
    size_t best = SIZE_MAX;
    for (int32_t j = 0; j < gen->params.n_stop; j++) {
        const size_t n = gen->stop_len[j];
        for (size_t i = 0; i + n <= h->len && i < best; i++)
            if (memcmp(h->data + i, gen->stops[j], n) == 0) best = i;
    }
    return best;
}

/* Bytes at the end of `held` that could still grow into a stop string: the
 * longest suffix that is a proper prefix of one. Everything before it can
 * be printed, since no stop string can start there any more. */
static size_t stop_prefix_len(const llamac_generator *gen) {
    size_t keep = 0;
    for (int32_t j = 0; j < gen->params.n_stop; j++)
        for (size_t k = LC_MIN(gen->stop_len[j] - 1, gen->held.len); k > keep; k--)
            if (ends_with_prefix(&gen->held, gen->stops[j], k)) {
                keep = k;
                break;
            }
    return keep;
}

/* Moves the first n held bytes to the step's text. */
static llamac_status release(llamac_generator *gen, size_t n) {
    if (n == 0) return LLAMAC_OK;
    llamac_status st = lc_bytes_append(gen->env, &gen->out, gen->held.data, n);
    if (st == LLAMAC_OK) lc_bytes_consume(&gen->held, n);
    return st;
}

/* Ends the response: everything held back is printed after all. */
llamac_status lc_gen_finish(llamac_generator *gen, llamac_stop_reason why) {
    const char *tail;
    size_t tail_len;
    llamac_status st = llamac_detok_flush(gen->detok, &tail, &tail_len);
    if (st == LLAMAC_OK) st = lc_bytes_append(gen->env, &gen->held, tail, tail_len);
    if (st == LLAMAC_OK) st = release(gen, gen->held.len);
    if (st == LLAMAC_OK) gen->stop = why;
    return st;
}

/* Feeds the token's text through the detokenizer and the stop strings. */
static llamac_status emit(llamac_generator *gen, llamac_token tok) {
    const char *piece;
    size_t piece_len;
    llamac_status st = llamac_detok_push(gen->detok, tok, &piece, &piece_len);
    if (st == LLAMAC_OK) st = lc_bytes_append(gen->env, &gen->held, piece, piece_len);
    if (st != LLAMAC_OK) return st;
    const size_t at = find_stop(gen);
    if (at != SIZE_MAX) {
        st = release(gen, at);
        if (st != LLAMAC_OK) return st;
        gen->held.len = 0; /* the stop string and what followed it */
        const char *tail;
        size_t tail_len;
        st = llamac_detok_flush(gen->detok, &tail, &tail_len); /* discarded too */
        if (st == LLAMAC_OK) gen->stop = LLAMAC_STOP_STRING;
        return st;
    }
    return release(gen, gen->held.len - stop_prefix_len(gen));
}

/* Stops the response if n_predict tokens were generated. */
llamac_status lc_gen_check_length(llamac_generator *gen) {
    const int32_t n = gen->params.n_predict;
    if (gen->stop == LLAMAC_STOP_NONE && n >= 0 && gen->n_generated >= n)
        return lc_gen_finish(gen, LLAMAC_STOP_MAX_TOKENS);
    return LLAMAC_OK;
}

/* The sampler refuses NaN and +inf logits as a caller's mistake; here the
 * caller is the generator and the logits are the model's, so a refusal for
 * that reason is reported as what it is: the model computed them. Checked
 * only after a refusal, so a normal step scans nothing twice. */
static llamac_status blame_model_for_bad_logits(const llamac_generator *gen, const float *logits,
                                                llamac_status st) {
    for (int32_t i = 0; i < gen->n_vocab; i++)
        if (isnan(logits[i]) || (isinf(logits[i]) && logits[i] > 0))
            return lc_fail(LLAMAC_ERR_FORMAT,
                           "llamac_generator_next: the model produced a non-finite logit (%s for token %d) at "
                           "position %lld; its weights are likely bad (NaN or inf in the file, or values large "
                           "enough to overflow)",
                           isnan(logits[i]) ? "NaN" : "+inf", (int)i, (long long)gen->pos_next - 1);
    return st;
}

llamac_status lc_gen_sample(llamac_generator *gen, llamac_token *tok) {
    *tok = LLAMAC_TOKEN_NULL;
    if (!gen->have_logits)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_generator_next: no logits yet; call llamac_generator_prompt first");
    const float *logits = llamac_get_logits_ith(gen->ctx, gen->logit_index);
    if (!logits) return LLAMAC_ERR_INTERNAL;
    llamac_status st = llamac_sampler_sample(gen->smpl, logits, gen->n_vocab, tok);
    if (st == LLAMAC_ERR_INVALID_ARG) st = blame_model_for_bad_logits(gen, logits, st);
    if (st != LLAMAC_OK) {
        *tok = LLAMAC_TOKEN_NULL;
        return st;
    }
    gen->pending = *tok;
    gen->have_logits = false; /* sampled: the next token needs a decode first */
    gen->n_generated++;
    if (gen->params.stop_at_eog && llamac_vocab_is_eog(gen->vocab, *tok))
        st = lc_gen_finish(gen, LLAMAC_STOP_EOG);
    else
        st = emit(gen, *tok);
    if (st == LLAMAC_OK) st = lc_gen_check_length(gen);
    return st;
}

/* One step without filling the result: sets *tok to the sampled token or
 * leaves it LLAMAC_TOKEN_NULL when the response stops first. */
static llamac_status step(llamac_generator *gen, llamac_token *tok) {
    if (gen->stop != LLAMAC_STOP_NONE) return LLAMAC_OK;
    llamac_status st = lc_gen_check_length(gen); /* n_predict 0: nothing to do */
    if (st != LLAMAC_OK || gen->stop != LLAMAC_STOP_NONE) return st;
    if (gen->pending != LLAMAC_TOKEN_NULL) {
        if (lc_gen_shift_on(gen) && lc_gen_context_is_full(gen) && !lc_gen_shift_context(gen))
            return lc_gen_finish(gen, LLAMAC_STOP_CONTEXT_FULL);
        gen->batch.token[0] = gen->pending;
        st = decode_batch(gen, 1);
        if (st == LLAMAC_ERR_CONTEXT_FULL) return lc_gen_finish(gen, LLAMAC_STOP_CONTEXT_FULL);
        if (st != LLAMAC_OK) return st;
        gen->pending = LLAMAC_TOKEN_NULL;
    }
    return lc_gen_sample(gen, tok);
}

llamac_status llamac_generator_next(llamac_generator *gen, llamac_generation_step *out) {
    LC_REQUIRE(gen);
    if (!out) return lc_null_arg(__func__, "step");
    gen->out.len = 0;
    gen->out.data[0] = '\0';
    llamac_token tok = LLAMAC_TOKEN_NULL;
    llamac_status st = step(gen, &tok);
    if (st != LLAMAC_OK) return st;
    *out = (llamac_generation_step){tok, gen->out.data, gen->out.len, gen->stop};
    return LLAMAC_OK;
}
