/* Budgeted generation (llamac.h section 14): llamac_generator_submit
 * queues a prompt, llamac_generators_step advances the generators of one
 * context by at most a time budget and returns, keeping its progress.
 *
 * The work of every call is a sequence of units: a unit of the forward
 * pass in progress (a layer of the batch, a chunk of output rows:
 * runtime/step.c), or one generator's sampling. A unit starts only when
 * its predicted cost (a moving average of what such units took) fits in
 * what is left of the budget; the first unit of a call always runs, so
 * every call makes progress. A pass decodes, for each generator with
 * work, its sampled token or the next part of its prompt, all in one
 * batch (one pass over the weights serves every NPC); prompts are cut in
 * sub-batches whose layer is predicted to fit the budget. Decoding a
 * prompt in sub-batches, several sequences in one batch, and pausing
 * between units all leave the bits as an uninterrupted decode
 * (docs/threading.md), so the tokens are those of llamac_generator_next. */
#include "generator_private.h"
#include "common/os.h"

#include <string.h>

/* Prompt sub-batch before any layer was measured. */
#define FIRST_SUB_BATCH 16
#define SAMPLE_ALPHA 0.25

void lc_gen_step_free(llamac_generator *gen) {
    llamac_context *ctx = gen->ctx;
    if (lc_decode_busy(ctx)) {
        llamac_generator *owner = lc_decode_owner(ctx);
        bool member = owner == gen;
        for (int32_t i = 0; owner && !member && i < owner->n_members; i++) member = owner->members[i] == gen;
        if (member) lc_decode_abandon(ctx);
    }
    if (gen->group_ready) llamac_batch_free(&gen->group);
    lc_free(gen->env, gen->members);
    lc_free(gen->env, gen->queue);
}

llamac_status llamac_generator_submit(llamac_generator *gen, const llamac_token *tokens, int32_t n_tokens) {
    LC_REQUIRE(gen);
    LC_REQUIRE(tokens);
    if (n_tokens < 1)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "llamac_generator_submit: n_tokens must be >= 1 (got %d)",
                       (int)n_tokens);
    if (gen->queue_done < gen->queue_n)
        return lc_fail(LLAMAC_ERR_INVALID_ARG,
                       "llamac_generator_submit: the previous prompt is still being decoded (cancel it first)");
    llamac_status st = lc_gen_check_ids(gen, "llamac_generator_submit", tokens, n_tokens);
    if (st != LLAMAC_OK) return st;
    int32_t n, head, skip, keep;
    const bool first = lc_gen_plan_prompt(gen, n_tokens, &n, &head, &skip, &keep);
    st = lc_gen_check_prompt_fits(gen, n);
    if (st != LLAMAC_OK) {
        lc_error_prefix("llamac_generator_submit");
        return st;
    }
    if (n > gen->queue_cap) {
        llamac_token *q = lc_malloc(gen->env, (size_t)n * sizeof *q);
        if (!q) return lc_fail(LLAMAC_ERR_NO_MEMORY, "llamac_generator_submit: out of memory for %d tokens", (int)n);
        lc_free(gen->env, gen->queue);
        gen->queue = q;
        gen->queue_cap = n;
    }
    for (int32_t i = 0; i < n; i++) gen->queue[i] = tokens[i < head ? i : i + skip];
    gen->queue_n = n;
    gen->queue_done = 0;
    gen->queue_pos0 = gen->pos_next;
    gen->queue_pending = gen->pending;
    gen->queue_keep = keep;
    gen->queue_first = first;
    gen->have_logits = false;
    gen->stop = LLAMAC_STOP_NONE; /* a response is in progress from here on */
    gen->n_generated = 0;
    return LLAMAC_OK;
}

/* Whether the generator has decoding to do: prompt tokens or a sampled
 * token whose logits the next sampling needs. */
static bool wants_pass(const llamac_generator *gen) {
    if (gen->queue_done < gen->queue_n) return true;
    return gen->stop == LLAMAC_STOP_NONE && gen->pending != LLAMAC_TOKEN_NULL && !gen->have_logits;
}

static bool wants_sample(const llamac_generator *gen) {
    return gen->queue_done == gen->queue_n && gen->stop == LLAMAC_STOP_NONE && gen->have_logits;
}

/* The prompt went in whole: what llamac_generator_prompt does at its end. */
static void prompt_done(llamac_generator *gen) {
    int32_t keep = gen->queue_keep;
    if (!gen->queue_first) {
        const llamac_pos p0 = llamac_kv_seq_pos_min(gen->ctx, gen->params.seq_id);
        keep = lc_gen_clamp_keep(gen, gen->pos_next - (p0 < 0 ? 0 : p0), (int32_t)llamac_context_n_ctx(gen->ctx));
    }
    lc_gen_fix_keep(gen, keep);
    gen->queue_n = gen->queue_done = 0;
    gen->n_generated = 0;
}

/* Drops a prompt being decoded: the cache and the pending token are as
 * before it was submitted. */
static void drop_prompt(llamac_generator *gen) {
    if (gen->queue_done == 0 && gen->queue_n == 0) return;
    if (gen->pos_next > gen->queue_pos0) {
        llamac_kv_seq_rm(gen->ctx, gen->params.seq_id, (llamac_pos)gen->queue_pos0, -1);
        gen->pos_next = gen->queue_pos0;
        gen->pending = gen->queue_pending;
    }
    gen->queue_n = gen->queue_done = 0;
    gen->have_logits = false;
}

static llamac_status ensure_group(llamac_generator *gen, int32_t n_members) {
    if (!gen->group_ready) {
        llamac_status st = llamac_batch_init(&gen->group, (int32_t)llamac_context_n_batch(gen->ctx), 1,
                                             &gen->env->alloc);
        if (st != LLAMAC_OK) return st;
        gen->group_ready = true;
    }
    if (n_members > gen->members_cap) {
        llamac_generator **m = lc_malloc(gen->env, (size_t)n_members * sizeof *m);
        if (!m) return LLAMAC_ERR_NO_MEMORY;
        lc_free(gen->env, gen->members);
        gen->members = m;
        gen->members_cap = n_members;
    }
    return LLAMAC_OK;
}

/* Largest sub-batch whose layer is predicted to fit the budget. */
static int32_t sub_batch_cap(const llamac_context *ctx, int64_t budget_us) {
    const int32_t n_batch = (int32_t)llamac_context_n_batch(ctx);
    if (lc_decode_predict_layer_us(ctx, 1) <= 0) return LC_MIN(FIRST_SUB_BATCH, n_batch);
    int32_t n = 1;
    while (n * 2 <= n_batch && lc_decode_predict_layer_us(ctx, n * 2) <= (double)budget_us) n *= 2;
    return n;
}

/* Puts the work of `gens` into a batch owned by gens[0] and begins its
 * pass. A generator that cannot get a cell stops (LLAMAC_STOP_CONTEXT_FULL;
 * a prompt is dropped). *started: whether a pass began. */
static llamac_status start_pass(llamac_generator *const *gens, int32_t n, int64_t budget_us, bool *started) {
    *started = false;
    llamac_generator *owner = gens[0];
    llamac_context *ctx = owner->ctx;
    llamac_status st = ensure_group(owner, n);
    if (st != LLAMAC_OK) return lc_fail(st, "llamac_generators_step: out of memory for the batch");
    const int32_t cap = sub_batch_cap(ctx, budget_us);
    llamac_batch *b = &owner->group;
    int32_t used = 0;
    owner->n_members = 0;
    for (int32_t i = 0; i < n && used < cap; i++) {
        llamac_generator *g = gens[i];
        g->pass_n = 0;
        if (!wants_pass(g)) continue;
        const bool prompt = g->queue_done < g->queue_n;
        const bool pending = g->pending != LLAMAC_TOKEN_NULL && !g->have_logits;
        int32_t free_cells = (int32_t)llamac_context_n_ctx(ctx) - llamac_kv_n_used(ctx) - used;
        if (!prompt && free_cells < 1 && lc_gen_shift_on(g) && used == 0 && lc_gen_shift_context(g))
            free_cells = (int32_t)llamac_context_n_ctx(ctx) - llamac_kv_n_used(ctx);
        if (free_cells < 1) {
            if (used > 0) break; /* the others' tokens free nothing: try again after this pass */
            if (prompt) drop_prompt(g);
            st = lc_gen_finish(g, LLAMAC_STOP_CONTEXT_FULL);
            if (st != LLAMAC_OK) return st;
            g->produced = true;
            continue;
        }
        int32_t take = LC_MIN(cap - used, free_cells);
        const int32_t prompt_left = g->queue_n - g->queue_done;
        take = LC_MIN(take, (int32_t)pending + prompt_left);
        if (g->pos_next + take - 1 > INT32_MAX) {
            if (prompt) drop_prompt(g);
            st = lc_gen_finish(g, LLAMAC_STOP_CONTEXT_FULL);
            if (st != LLAMAC_OK) return st;
            g->produced = true;
            continue;
        }
        g->pass_first = used;
        g->pass_n = take;
        g->pass_pending = pending;
        for (int32_t k = 0; k < take; k++) {
            const int32_t j = used + k;
            b->token[j] = pending && k == 0 ? g->pending : g->queue[g->queue_done + k - (int32_t)pending];
            b->pos[j] = (llamac_pos)(g->pos_next + k);
            b->n_seq_id[j] = 1;
            b->seq_id[j][0] = g->params.seq_id;
            b->logits[j] = k == take - 1 && take == (int32_t)pending + prompt_left;
        }
        used += take;
        owner->members[owner->n_members++] = g;
    }
    if (used == 0) return LLAMAC_OK;
    b->n_tokens = used;
    st = lc_decode_begin(ctx, b, owner);
    if (st != LLAMAC_OK) {
        for (int32_t i = 0; i < owner->n_members; i++) owner->members[i]->pass_n = 0;
        owner->n_members = 0;
        return st;
    }
    *started = true;
    return LLAMAC_OK;
}

/* The pass of `owner` ended: every member moves past its tokens. */
static void pass_done(llamac_generator *owner) {
    const llamac_batch *b = &owner->group;
    for (int32_t i = 0; i < owner->n_members; i++) {
        llamac_generator *g = owner->members[i];
        const int32_t last = g->pass_first + g->pass_n - 1;
        g->pos_next += g->pass_n;
        if (g->pass_pending) g->pending = LLAMAC_TOKEN_NULL;
        g->queue_done += g->pass_n - (int32_t)g->pass_pending;
        g->have_logits = b->logits[last] != 0;
        g->logit_index = last;
        g->pass_n = 0;
        if (g->queue_n > 0 && g->queue_done == g->queue_n) prompt_done(g);
    }
    owner->n_members = 0;
}

/* The pass was abandoned (an error, a cancel): no member moved. */
static void pass_dropped(llamac_generator *owner) {
    for (int32_t i = 0; i < owner->n_members; i++) owner->members[i]->pass_n = 0;
    owner->n_members = 0;
}

static llamac_status run_unit(llamac_context *ctx) {
    llamac_generator *owner = lc_decode_owner(ctx);
    bool done = false;
    llamac_status st = lc_decode_unit(ctx, &done);
    if (st != LLAMAC_OK) {
        if (owner) pass_dropped(owner);
        return st;
    }
    if (done && owner) pass_done(owner);
    return LLAMAC_OK;
}

static llamac_status sample_one(llamac_generator *g, llamac_step *step) {
    const int64_t t0 = lc_now_us();
    llamac_status st = lc_gen_check_length(g);
    llamac_token tok = LLAMAC_TOKEN_NULL;
    if (st == LLAMAC_OK && g->stop == LLAMAC_STOP_NONE) st = lc_gen_sample(g, &tok);
    if (st != LLAMAC_OK) return st;
    const double us = (double)(lc_now_us() - t0);
    g->sample_us = g->sample_us > 0 ? g->sample_us + SAMPLE_ALPHA * (us - g->sample_us) : (us > 0 ? us : 1);
    g->produced = true;
    step->kind = tok != LLAMAC_TOKEN_NULL ? LLAMAC_STEP_TOKEN : LLAMAC_STEP_DONE;
    step->token = tok;
    return LLAMAC_OK;
}

static bool all_settled(llamac_generator *const *gens, int32_t n) {
    for (int32_t i = 0; i < n; i++)
        if (!gens[i]->produced && (wants_pass(gens[i]) || wants_sample(gens[i]))) return false;
    return true;
}

/* fn: the calling function's name; out, out_name: its output argument. */
static llamac_status check_gens(const char *fn, llamac_generator *const *gens, int32_t n, const void *out,
                                const char *out_name) {
    if (!gens || !out || n < 1)
        return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: %s%s", fn, !gens ? "gens" : !out ? out_name : "n must be >= 1",
                       !gens || !out ? " is NULL" : "");
    for (int32_t i = 0; i < n; i++) {
        if (!gens[i]) return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: gens[%d] is NULL", fn, (int)i);
        if (gens[i]->ctx != gens[0]->ctx)
            return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: gens[%d] uses another context than gens[0]", fn, (int)i);
        for (int32_t j = 0; j < i; j++)
            if (gens[j] == gens[i] || gens[j]->params.seq_id == gens[i]->params.seq_id)
                return lc_fail(LLAMAC_ERR_INVALID_ARG, "%s: gens[%d] and gens[%d] %s", fn, (int)j, (int)i,
                               gens[j] == gens[i] ? "are the same generator" : "share a sequence");
    }
    return LLAMAC_OK;
}

llamac_status llamac_generators_step(llamac_generator *const *gens, int32_t n, int64_t budget_us,
                                     llamac_step *steps) {
    llamac_status st = check_gens("llamac_generators_step", gens, n, steps, "steps");
    if (st != LLAMAC_OK) return st;
    const int64_t t0 = lc_now_us();
    const int64_t budget = budget_us < 0 ? 0 : budget_us;
    llamac_context *ctx = gens[0]->ctx;
    for (int32_t i = 0; i < n; i++) {
        llamac_generator *g = gens[i];
        g->produced = false;
        g->out.len = 0;
        g->out.data[0] = '\0';
        steps[i] = (llamac_step){.kind = LLAMAC_STEP_BUSY, .token = LLAMAC_TOKEN_NULL};
    }
    bool ran = false;
    while (st == LLAMAC_OK) {
        const double left = (double)(t0 + budget - lc_now_us());
        if (lc_decode_busy(ctx)) {
            if (ran && lc_decode_predict_next_us(ctx) > left) break;
            st = run_unit(ctx);
            ran = true;
            continue;
        }
        /* sampling: the logits of the pass just ended are current */
        bool sampled = false;
        for (int32_t i = 0; i < n && st == LLAMAC_OK; i++) {
            llamac_generator *g = gens[i];
            if (g->produced || !wants_sample(g)) continue;
            if (ran && g->sample_us > left) goto out;
            st = sample_one(g, &steps[i]);
            ran = sampled = true;
        }
        if (st != LLAMAC_OK || all_settled(gens, n)) break;
        if (sampled) continue;
        /* a new pass: not while a sampled generator still waits for its
         * turn (its logits would be overwritten) */
        bool waiting = false;
        for (int32_t i = 0; i < n; i++) waiting |= wants_sample(gens[i]);
        if (waiting) break;
        bool started;
        st = start_pass(gens, n, budget, &started);
        if (st != LLAMAC_OK || !started) break;
    }
out:;
    const int64_t used = lc_now_us() - t0;
    for (int32_t i = 0; i < n; i++) {
        llamac_generator *g = gens[i];
        llamac_step *s = &steps[i];
        if (s->kind == LLAMAC_STEP_BUSY && !wants_pass(g) && !wants_sample(g)) s->kind = LLAMAC_STEP_DONE;
        s->text = g->out.data;
        s->text_len = g->out.len;
        s->stop = g->stop;
        s->used_us = used;
    }
    return st;
}

/* Mirrors the order of llamac_generators_step's loop: a unit of the pass
 * in progress; else the first sampling due; else the first layer of the
 * pass start_pass would build (the same members and sub-batch cap). */
llamac_status llamac_generators_next_us(llamac_generator *const *gens, int32_t n, int64_t budget_us, int64_t *us) {
    llamac_status st = check_gens("llamac_generators_next_us", gens, n, us, "us");
    if (st != LLAMAC_OK) return st;
    const llamac_context *ctx = gens[0]->ctx;
    double predicted = 0;
    if (lc_decode_busy(ctx)) {
        predicted = lc_decode_predict_next_us(ctx);
    } else {
        int32_t i = 0;
        while (i < n && !wants_sample(gens[i])) i++;
        if (i < n) {
            predicted = gens[i]->sample_us;
        } else {
            const int32_t n_ctx = (int32_t)llamac_context_n_ctx(ctx);
            const int32_t cap = sub_batch_cap(ctx, budget_us < 0 ? 0 : budget_us);
            int32_t used = 0;
            for (i = 0; i < n && used < cap; i++) {
                const llamac_generator *g = gens[i];
                if (!wants_pass(g)) continue;
                const bool pending = g->pending != LLAMAC_TOKEN_NULL && !g->have_logits;
                const int32_t free_cells = n_ctx - llamac_kv_n_used(ctx) - used;
                if (free_cells < 1) break; /* the step would stop it or shift the context first */
                used += LC_MIN(LC_MIN(cap - used, free_cells), (int32_t)pending + g->queue_n - g->queue_done);
            }
            if (used > 0) predicted = lc_decode_predict_layer_us(ctx, used);
        }
    }
    *us = predicted > 0 ? (int64_t)(predicted + 0.5) : 0;
    return LLAMAC_OK;
}

llamac_status llamac_generator_step(llamac_generator *gen, int64_t budget_us, llamac_step *step) {
    LC_REQUIRE(gen);
    if (!step) return lc_null_arg(__func__, "step");
    return llamac_generators_step(&gen, 1, budget_us, step);
}

llamac_status llamac_generator_cancel(llamac_generator *gen) {
    LC_REQUIRE(gen);
    llamac_context *ctx = gen->ctx;
    llamac_generator *owner = lc_decode_busy(ctx) ? lc_decode_owner(ctx) : NULL;
    if (owner) {
        bool member = owner == gen;
        for (int32_t i = 0; !member && i < owner->n_members; i++) member = owner->members[i] == gen;
        if (member) {
            lc_decode_abandon(ctx);
            pass_dropped(owner);
        }
    }
    drop_prompt(gen);
    gen->have_logits = false;
    if (gen->stop == LLAMAC_STOP_NONE) gen->stop = LLAMAC_STOP_CANCELLED;
    return LLAMAC_OK;
}
