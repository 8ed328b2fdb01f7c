/* Budgeted decoding (llamac.h section 14, lib/runtime/step.c,
 * lib/generate/step.c) on the shipped model:
 *   - a decode run one unit at a time, with the thread count changed and
 *     another context decoding between the units, gives the logits of an
 *     uninterrupted llamac_decode byte for byte;
 *   - llamac_generator_step with budgets from 0 µs up and 1..3 threads
 *     gives the tokens, text and logits of llamac_generator_prompt +
 *     llamac_generator_next, byte for byte;
 *   - three generators on three sequences stepped together in one batch
 *     give the tokens each gives alone;
 *   - a cancel mid-prompt leaves the cache as before the submit; the
 *     context refuses a decode and cell changes while a pass waits.
 * The expected values are those of the library's uninterrupted path, whose
 * own correctness is checked against llama.cpp in test_golden: what is
 * tested here is that cutting the work changes nothing. */
#include "test_files.h"
#include "test_util.h"

#include "llamac.h"
#include "runtime/context.h"

#include <stdlib.h>
#include <string.h>

#define N_CTX 128
#define N_PREDICT 12
#define MAX_TOK 64

typedef model_fixture fixture;

static const char *const prompts[3] = {
    "In the beginning God created the heaven and the earth. And the earth was without form",
    "And God said, Let there be light",
    "The LORD is my shepherd; I shall not want.",
};

static int32_t tokenize(const fixture *f, const char *text, llamac_token *out) {
    int32_t n = 0;
    assert_int_equal(llamac_tokenize(f->vocab, text, strlen(text), out, MAX_TOK, true, false, &n), LLAMAC_OK);
    return n;
}

static llamac_context *new_ctx(const fixture *f, int32_t n_threads, uint32_t n_seq, uint32_t n_batch) {
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = N_CTX;
    cp.n_threads = n_threads;
    cp.n_seq_max = n_seq;
    cp.n_batch = n_batch;
    llamac_context *ctx = NULL;
    assert_int_equal(llamac_context_new(f->model, &cp, &ctx), LLAMAC_OK);
    return ctx;
}

static llamac_sampler *greedy(void) {
    llamac_sampler *chain = llamac_sampler_chain_new(NULL);
    assert_non_null(chain);
    assert_int_equal(llamac_sampler_chain_add(chain, llamac_sampler_init_greedy(NULL)), LLAMAC_OK);
    return chain;
}

static llamac_generator *new_gen(llamac_context *ctx, llamac_sampler *smpl, llamac_seq_id seq) {
    llamac_generator_params gp = llamac_generator_default_params();
    gp.n_predict = N_PREDICT;
    gp.stop_at_eog = false;
    gp.seq_id = seq;
    llamac_generator *gen = NULL;
    assert_int_equal(llamac_generator_new(ctx, smpl, &gp, &gen), LLAMAC_OK);
    return gen;
}

/* ---- a decode cut into units ---- */

static void paused_decode_is_bit_exact(void **state) {
    const fixture *f = *state;
    llamac_token toks[MAX_TOK];
    const int32_t n = tokenize(f, prompts[0], toks);
    llamac_batch batch;
    assert_int_equal(llamac_batch_init(&batch, n, 1, NULL), LLAMAC_OK);
    const llamac_seq_id s0 = 0;
    for (int32_t i = 0; i < n; i++) assert_int_equal(llamac_batch_add(&batch, toks[i], i, &s0, 1, true), LLAMAC_OK);

    llamac_context *ref = new_ctx(f, 1, 1, 64);
    assert_int_equal(llamac_decode(ref, &batch), LLAMAC_OK);

    llamac_context *ctx = new_ctx(f, 3, 1, 64);
    llamac_context *other = new_ctx(f, 2, 1, 64);
    assert_int_equal(lc_decode_begin(ctx, &batch, NULL), LLAMAC_OK);
    /* while the pass waits: refused */
    assert_int_equal(llamac_decode(ctx, &batch), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_kv_seq_rm(ctx, 0, 0, -1), LLAMAC_ERR_INVALID_ARG);
    bool done = false;
    int units = 0;
    while (!done) {
        assert_int_equal(llamac_context_set_n_threads(ctx, 1 + units % 3), LLAMAC_OK);
        assert_int_equal(lc_decode_unit(ctx, &done), LLAMAC_OK);
        /* other work between units: another context's decode */
        llamac_kv_clear(other);
        assert_int_equal(llamac_decode(other, &batch), LLAMAC_OK);
        units++;
    }
    assert_true(units > llamac_model_n_layer(f->model)); /* the output came in units of its own */
    assert_int_equal(llamac_n_outputs(ctx), n);
    for (int32_t i = 0; i < n; i++)
        assert_memory_equal(llamac_get_logits(ctx, i), llamac_get_logits(ref, i), (size_t)f->n_vocab * sizeof(float));
    assert_int_equal(llamac_kv_n_used(ctx), n);

    /* an abandoned pass gives its cells back */
    llamac_kv_clear(ctx);
    assert_int_equal(lc_decode_begin(ctx, &batch, NULL), LLAMAC_OK);
    assert_int_equal(lc_decode_unit(ctx, &done), LLAMAC_OK);
    lc_decode_abandon(ctx);
    assert_int_equal(llamac_kv_n_used(ctx), 0);
    assert_int_equal(llamac_decode(ctx, &batch), LLAMAC_OK);
    assert_memory_equal(llamac_get_logits(ctx, -1), llamac_get_logits(ref, -1), (size_t)f->n_vocab * sizeof(float));

    assert_int_equal(llamac_context_set_n_threads(ctx, 4), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_context_set_n_threads(ctx, -1), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_context_set_n_threads(ctx, 0), LLAMAC_OK);
    llamac_context_free(other);
    llamac_context_free(ctx);
    llamac_context_free(ref);
    llamac_batch_free(&batch);
}

/* ---- the generator, plain and budgeted ---- */

typedef struct run {
    llamac_token tok[N_PREDICT];
    float *logits; /* N_PREDICT rows: what each token was sampled from */
    char text[1024];
    size_t text_len;
    int n;
} run;

static void run_free(run *r) { free(r->logits); }

static void record(run *r, const fixture *f, llamac_context *ctx, llamac_token tok, const char *text, size_t len) {
    assert_true(r->n < N_PREDICT);
    if (!r->logits) r->logits = calloc((size_t)N_PREDICT * (size_t)f->n_vocab, sizeof(float));
    assert_non_null(r->logits);
    memcpy(r->logits + (size_t)r->n * (size_t)f->n_vocab, llamac_get_logits(ctx, -1), (size_t)f->n_vocab * sizeof(float));
    r->tok[r->n++] = tok;
    assert_true(r->text_len + len < sizeof r->text);
    memcpy(r->text + r->text_len, text, len);
    r->text_len += len;
}

static void plain_run(const fixture *f, const char *prompt, run *r) {
    llamac_token toks[MAX_TOK];
    const int32_t n = tokenize(f, prompt, toks);
    llamac_context *ctx = new_ctx(f, 1, 1, 512);
    llamac_sampler *smpl = greedy();
    llamac_generator *gen = new_gen(ctx, smpl, 0);
    assert_int_equal(llamac_generator_prompt(gen, toks, n), LLAMAC_OK);
    llamac_generation_step s;
    for (;;) {
        const float *before = llamac_get_logits(ctx, -1);
        (void)before;
        assert_int_equal(llamac_generator_next(gen, &s), LLAMAC_OK);
        if (s.token == LLAMAC_TOKEN_NULL) break;
        record(r, f, ctx, s.token, s.text, s.text_len);
        if (s.stop != LLAMAC_STOP_NONE) break;
    }
    llamac_generator_free(gen);
    llamac_sampler_free(smpl);
    llamac_context_free(ctx);
}

static void stepped_run(const fixture *f, const char *prompt, int64_t budget_us, int32_t n_threads, uint32_t n_batch,
                        run *r) {
    llamac_token toks[MAX_TOK];
    const int32_t n = tokenize(f, prompt, toks);
    llamac_context *ctx = new_ctx(f, n_threads, 1, n_batch);
    llamac_sampler *smpl = greedy();
    llamac_generator *gen = new_gen(ctx, smpl, 0);
    assert_int_equal(llamac_generator_submit(gen, toks, n), LLAMAC_OK);
    llamac_step s;
    int calls = 0;
    for (;;) {
        assert_int_equal(llamac_generator_step(gen, budget_us, &s), LLAMAC_OK);
        assert_true(++calls < 100000);
        if (s.kind == LLAMAC_STEP_TOKEN) record(r, f, ctx, s.token, s.text, s.text_len);
        if (s.kind == LLAMAC_STEP_DONE) break;
        if (s.kind == LLAMAC_STEP_TOKEN && s.stop != LLAMAC_STOP_NONE) {
            assert_int_equal(llamac_generator_step(gen, budget_us, &s), LLAMAC_OK);
            assert_int_equal(s.kind, LLAMAC_STEP_DONE);
            break;
        }
    }
    assert_int_equal(s.stop, LLAMAC_STOP_MAX_TOKENS);
    /* a budget of 0 runs one unit per call: many calls */
    if (budget_us == 0) assert_true(calls > N_PREDICT * llamac_model_n_layer(f->model));
    llamac_generator_free(gen);
    llamac_sampler_free(smpl);
    llamac_context_free(ctx);
}

static void assert_same_run(const fixture *f, const run *a, const run *b) {
    assert_int_equal(a->n, b->n);
    assert_memory_equal(a->tok, b->tok, (size_t)a->n * sizeof a->tok[0]);
    assert_int_equal(a->text_len, b->text_len);
    assert_memory_equal(a->text, b->text, a->text_len);
    assert_memory_equal(a->logits, b->logits, (size_t)a->n * (size_t)f->n_vocab * sizeof(float));
}

static void stepping_matches_plain_generation(void **state) {
    const fixture *f = *state;
    run ref = {0};
    plain_run(f, prompts[0], &ref);
    assert_int_equal(ref.n, N_PREDICT);
    static const int64_t budgets[] = {0, 1, 200, 3000, 1000000};
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++)
        for (int32_t t = 1; t <= 3; t++) {
            /* n_batch 4 forces sub-batches even when the budget allows more */
            run r = {0};
            stepped_run(f, prompts[0], budgets[b], t, b % 2 ? 4 : 512, &r);
            assert_same_run(f, &ref, &r);
            run_free(&r);
        }
    run_free(&ref);
}

/* ---- several NPCs in one batch ---- */

static void npcs_batched_match_alone(void **state) {
    const fixture *f = *state;
    run alone[3], together[3];
    memset(alone, 0, sizeof alone);
    memset(together, 0, sizeof together);
    for (int i = 0; i < 3; i++) plain_run(f, prompts[i], &alone[i]);

    llamac_context *ctx = new_ctx(f, 2, 3, 512);
    llamac_sampler *smpl[3];
    llamac_generator *gens[3];
    for (int i = 0; i < 3; i++) {
        smpl[i] = greedy();
        gens[i] = new_gen(ctx, smpl[i], i);
        llamac_token toks[MAX_TOK];
        const int32_t n = tokenize(f, prompts[i], toks);
        assert_int_equal(llamac_generator_submit(gens[i], toks, n), LLAMAC_OK);
    }
    llamac_step steps[3];
    bool done[3] = {false, false, false};
    int calls = 0;
    while (!(done[0] && done[1] && done[2])) {
        assert_int_equal(llamac_generators_step(gens, 3, 2000, steps), LLAMAC_OK);
        assert_true(++calls < 100000);
        for (int i = 0; i < 3; i++) {
            if (steps[i].kind == LLAMAC_STEP_TOKEN) {
                /* its logits row: the tokens share one batch, one row each */
                run *r = &together[i];
                assert_true(r->n < N_PREDICT);
                r->tok[r->n++] = steps[i].token;
                memcpy(r->text + r->text_len, steps[i].text, steps[i].text_len);
                r->text_len += steps[i].text_len;
            }
            if (steps[i].kind == LLAMAC_STEP_DONE) done[i] = true;
        }
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(together[i].n, alone[i].n);
        assert_memory_equal(together[i].tok, alone[i].tok, (size_t)alone[i].n * sizeof(llamac_token));
        assert_int_equal(together[i].text_len, alone[i].text_len);
        assert_memory_equal(together[i].text, alone[i].text, alone[i].text_len);
        llamac_generator_free(gens[i]);
        llamac_sampler_free(smpl[i]);
        run_free(&alone[i]);
    }
    llamac_context_free(ctx);
}

/* ---- the next unit's predicted cost ---- */

/* llamac_generators_next_us changes nothing (a frame loop that asks it
 * before every call gives the plain run's tokens, text and logits), is 0
 * with nothing to do or nothing measured, positive once the unit it
 * would run was measured, and makes a frame loop that steps again while
 * the prediction fits run several passes per frame. */
static void next_us_predicts_and_changes_nothing(void **state) {
    const fixture *f = *state;
    run ref = {0}, got = {0};
    plain_run(f, prompts[1], &ref);
    llamac_token toks[MAX_TOK];
    const int32_t n = tokenize(f, prompts[1], toks);
    llamac_context *ctx = new_ctx(f, 2, 1, 512);
    llamac_sampler *smpl = greedy();
    llamac_generator *gen = new_gen(ctx, smpl, 0);
    int64_t us = -1;
    assert_int_equal(llamac_generators_next_us(&gen, 1, 4000, &us), LLAMAC_OK);
    assert_int_equal(us, 0); /* nothing submitted */
    assert_int_equal(llamac_generator_submit(gen, toks, n), LLAMAC_OK);
    assert_int_equal(llamac_generators_next_us(&gen, 1, 4000, &us), LLAMAC_OK);
    assert_int_equal(us, 0); /* a fresh context has measured nothing */
    const int64_t budget = 4000;
    int frames = 0, calls = 0, positive = 0;
    bool done = false;
    while (!done) {
        assert_true(++frames < 100000);
        for (int64_t left = budget;;) { /* one frame: the loop llamac.h shows */
            llamac_step s;
            assert_int_equal(llamac_generator_step(gen, left, &s), LLAMAC_OK);
            calls++;
            if (s.kind == LLAMAC_STEP_TOKEN) record(&got, f, ctx, s.token, s.text, s.text_len);
            if (s.kind == LLAMAC_STEP_DONE) done = true;
            left -= s.used_us;
            int64_t next = -1;
            assert_int_equal(llamac_generators_next_us(&gen, 1, left, &next), LLAMAC_OK);
            assert_true(next >= 0);
            positive += next > 0;
            if (done || s.kind == LLAMAC_STEP_BUSY || next == 0 || next > left) break;
        }
    }
    assert_same_run(f, &ref, &got);
    assert_true(positive > 0);
    /* the shipped model decodes a token in well under the 4 ms budget: the
     * loop ran several calls (tokens) in most frames */
    assert_true(calls > frames);
    assert_int_equal(llamac_generators_next_us(&gen, 1, 4000, &us), LLAMAC_OK);
    assert_int_equal(us, 0); /* the response is over */
    /* a new prompt: its first layer was measured by the last one */
    assert_int_equal(llamac_generator_submit(gen, toks, n), LLAMAC_OK);
    assert_int_equal(llamac_generators_next_us(&gen, 1, 4000, &us), LLAMAC_OK);
    assert_true(us > 0);
    /* arguments: llamac_generators_step's checks, and us */
    llamac_generator *two[2] = {gen, gen};
    assert_int_equal(llamac_generators_next_us(&gen, 1, 4000, NULL), LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "us is NULL"));
    assert_int_equal(llamac_generators_next_us(NULL, 1, 4000, &us), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_generators_next_us(&gen, 0, 4000, &us), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_generators_next_us(two, 2, 4000, &us), LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "same generator"));
    llamac_generator_free(gen);
    llamac_sampler_free(smpl);
    llamac_context_free(ctx);
    run_free(&ref);
    run_free(&got);
}

/* ---- cancel ---- */

static void cancel_restores_the_cache(void **state) {
    const fixture *f = *state;
    llamac_token toks[MAX_TOK];
    const int32_t n = tokenize(f, prompts[0], toks);
    run ref = {0};
    plain_run(f, prompts[0], &ref);

    llamac_context *ctx = new_ctx(f, 2, 1, 4); /* sub-batches of 4: the prompt takes several passes */
    llamac_sampler *smpl = greedy();
    llamac_generator *gen = new_gen(ctx, smpl, 0);
    llamac_step s;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(llamac_generator_submit(gen, toks, n), LLAMAC_OK);
        /* refused while its prompt is decoded */
        for (int i = 0; i < 3 * llamac_model_n_layer(f->model) + round; i++) {
            assert_int_equal(llamac_generator_step(gen, 0, &s), LLAMAC_OK);
            assert_int_equal(s.kind, LLAMAC_STEP_BUSY);
        }
        assert_true(llamac_kv_n_used(ctx) > 0);
        assert_int_equal(llamac_generator_submit(gen, toks, n), LLAMAC_ERR_INVALID_ARG);
        assert_int_equal(llamac_generator_cancel(gen), LLAMAC_OK);
        assert_int_equal(llamac_kv_n_used(ctx), 0);
        assert_int_equal(llamac_generator_step(gen, 0, &s), LLAMAC_OK);
        assert_int_equal(s.kind, LLAMAC_STEP_DONE);
        assert_int_equal(s.stop, LLAMAC_STOP_CANCELLED);
    }
    /* and then the response comes out as if nothing had happened */
    assert_int_equal(llamac_generator_submit(gen, toks, n), LLAMAC_OK);
    run r = {0};
    for (;;) {
        assert_int_equal(llamac_generator_step(gen, 500, &s), LLAMAC_OK);
        if (s.kind == LLAMAC_STEP_TOKEN) record(&r, f, ctx, s.token, s.text, s.text_len);
        if (s.kind == LLAMAC_STEP_DONE || (s.kind == LLAMAC_STEP_TOKEN && s.stop != LLAMAC_STOP_NONE)) break;
    }
    assert_same_run(f, &ref, &r);
    run_free(&r);
    run_free(&ref);
    llamac_generator_free(gen);
    llamac_sampler_free(smpl);
    llamac_context_free(ctx);
}

int main(void) {
    return run_cases(shipped_model_setup, shipped_model_teardown, paused_decode_is_bit_exact,
                     stepping_matches_plain_generation, npcs_batched_match_alone,
                     next_us_predicts_and_changes_nothing, cancel_restores_the_cache);
}
