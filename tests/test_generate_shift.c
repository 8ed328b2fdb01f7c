/* The generator's context shift (params.n_keep) and resume, on the model
 * in models/: after a shift the cache holds the kept tokens and the moved
 * tail at positions counted by hand from llama.cpp's arithmetic, and the
 * logits are the bits of that shift done by hand with the cache calls; shifted generation is bit-identical from run to run
 * and across thread counts; an over-long prompt is cut as llama.cpp cuts
 * it; a new generator resumed on a cached sequence continues with the
 * tokens and logits bits of an uninterrupted run. */
#include "test_util.h"

#include "llamac.h"

#include <string.h>

typedef struct fixture {
    llamac_model *model;
    int32_t n_vocab;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    if (llamac_model_load(shipped_model_path(), NULL, &f->model) != LLAMAC_OK) {
        fprintf(stderr, "model: %s\n", llamac_last_error());
        free(f);
        return -1;
    }
    f->n_vocab = llamac_model_n_vocab(f->model);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    llamac_model_free(f->model);
    free(f);
    return 0;
}

static llamac_context *new_ctx(const fixture *f, uint32_t n_ctx, int32_t threads) {
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = 16;
    cp.n_threads = threads;
    llamac_context *ctx = NULL;
    if (llamac_context_new(f->model, &cp, &ctx) != LLAMAC_OK) fail_msg("context: %s", llamac_last_error());
    return ctx;
}

/* A prompt of n tokens: BOS, then ordinary pieces spread over the vocabulary. */
static void some_tokens(const fixture *f, llamac_token *out, int32_t n) {
    out[0] = llamac_vocab_bos(llamac_model_vocab(f->model));
    for (int32_t i = 1; i < n; i++) out[i] = 3 + (llamac_token)((i * 37 + 11) % (f->n_vocab - 3));
}

static llamac_generator *new_gen(llamac_context *ctx, llamac_sampler *s, int32_t n_keep) {
    llamac_generator_params gp = llamac_generator_default_params();
    gp.stop_at_eog = false;
    gp.n_keep = n_keep;
    llamac_generator *gen = NULL;
    assert_int_equal(llamac_generator_new(ctx, s, &gp, &gen), LLAMAC_OK);
    return gen;
}

/* One step that must produce a token; its logits row (the one it was
 * sampled from) is copied to `logits` when that is not NULL. */
static llamac_token next_token(const fixture *f, llamac_generator *gen, llamac_context *ctx, float *logits) {
    llamac_generation_step step;
    if (llamac_generator_next(gen, &step) != LLAMAC_OK) fail_msg("next: %s", llamac_last_error());
    assert_int_equal(step.stop, LLAMAC_STOP_NONE);
    assert_true(step.token != LLAMAC_TOKEN_NULL);
    if (logits) memcpy(logits, llamac_get_logits(ctx, -1), (size_t)f->n_vocab * sizeof *logits);
    return step.token;
}

/* The reference for a shift: `tokens` (n) decoded into a fresh context of
 * n_ctx cells at positions 0..n-1, then the shift done by hand with the
 * public cache calls (drop [first, first + n_discard), move the rest down),
 * then `next` decoded at position n - n_discard: its logits into out. */
static void shifted_by_hand(const fixture *f, uint32_t n_ctx, const llamac_token *tokens, int32_t n,
                            int32_t first, int32_t n_discard, llamac_token next, float *out) {
    llamac_context *ctx = new_ctx(f, n_ctx, 2);
    llamac_batch b;
    assert_int_equal(llamac_batch_init(&b, 16, 1, NULL), LLAMAC_OK);
    const llamac_seq_id seq0 = 0;
    for (int32_t i0 = 0; i0 < n; i0 += 16) {
        b.n_tokens = 0;
        for (int32_t i = i0; i < n && i < i0 + 16; i++)
            assert_int_equal(llamac_batch_add(&b, tokens[i], i, &seq0, 1, false), LLAMAC_OK);
        assert_int_equal(llamac_decode(ctx, &b), LLAMAC_OK);
    }
    assert_int_equal(llamac_kv_seq_rm(ctx, 0, first, first + n_discard), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_add(ctx, 0, first + n_discard, -1, -n_discard), LLAMAC_OK);
    b.n_tokens = 0;
    assert_int_equal(llamac_batch_add(&b, next, n - n_discard, &seq0, 1, true), LLAMAC_OK);
    assert_int_equal(llamac_decode(ctx, &b), LLAMAC_OK);
    memcpy(out, llamac_get_logits(ctx, -1), (size_t)f->n_vocab * sizeof *out);
    llamac_batch_free(&b);
    llamac_context_free(ctx);
}

/* ---- the shift ---- */

/* 32 cells, a 10-token prompt, n_keep 4. The 24th step finds the cache full
 * (10 + 22 cells): n_past 32, n_left = 32 - 4 = 28, n_discard = 14, so
 * positions 4..17 go, 18..31 move to 4..17, and the pending token lands at
 * 18: 19 cells at positions 0..18. The logits of that step are the bits of
 * the same shift done by hand with llamac_kv_seq_rm / _add on the same 32
 * tokens (a shift is not a fresh decode of the kept tokens: the moved
 * cells keep what attention to the dropped ones put in them); a shift by
 * one more or one fewer token, or keeping 3 or 5, gives other logits. The
 * second shift, 14 steps later, starts from the same 32 positions. */
static void a_shift_keeps_the_first_tokens_and_moves_the_tail_down(void **state) {
    fixture *f = *state;
    llamac_context *ctx = new_ctx(f, 32, 2);
    llamac_sampler *s = llamac_sampler_init_greedy(NULL);
    llamac_generator *gen = new_gen(ctx, s, 4);
    llamac_token seq[128];
    some_tokens(f, seq, 10);
    int32_t n_seq = 10;
    assert_int_equal(llamac_generator_prompt(gen, seq, 10), LLAMAC_OK);
    float *logits = malloc((size_t)f->n_vocab * sizeof *logits);
    float *want = malloc((size_t)f->n_vocab * sizeof *want);
    float *other = malloc((size_t)f->n_vocab * sizeof *other);
    assert_non_null(logits);
    assert_non_null(want);
    assert_non_null(other);

    for (int step = 1; step <= 22; step++) {
        seq[n_seq++] = next_token(f, gen, ctx, NULL);
        assert_int_equal(llamac_kv_n_used(ctx), 10 + step - 1);
    }
    assert_int_equal(llamac_kv_n_used(ctx), 31); /* the 22nd token is pending */
    seq[n_seq++] = next_token(f, gen, ctx, NULL);
    assert_int_equal(llamac_kv_n_used(ctx), 32);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), 31);

    /* step 24 decodes seq[32], which finds no cell: the shift */
    seq[n_seq++] = next_token(f, gen, ctx, logits);
    assert_int_equal(llamac_kv_n_used(ctx), 19);
    assert_int_equal(llamac_kv_seq_pos_min(ctx, 0), 0);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), 18);

    shifted_by_hand(f, 32, seq, 32, 4, 14, seq[32], want);
    assert_memory_equal(logits, want, (size_t)f->n_vocab * sizeof *logits);
    for (int32_t d = 13; d <= 15; d += 2) {
        shifted_by_hand(f, 32, seq, 32, 4, d, seq[32], other);
        assert_memory_not_equal(logits, other, (size_t)f->n_vocab * sizeof *logits);
    }
    shifted_by_hand(f, 32, seq, 32, 3, 14, seq[32], other);
    assert_memory_not_equal(logits, other, (size_t)f->n_vocab * sizeof *logits);
    shifted_by_hand(f, 32, seq, 32, 5, 13, seq[32], other);
    assert_memory_not_equal(logits, other, (size_t)f->n_vocab * sizeof *logits);

    /* the second shift: 13 more cells fill the cache again (19 + 13 = 32) */
    for (int step = 0; step < 13; step++) seq[n_seq++] = next_token(f, gen, ctx, NULL);
    assert_int_equal(llamac_kv_n_used(ctx), 32);
    seq[n_seq++] = next_token(f, gen, ctx, NULL);
    assert_int_equal(llamac_kv_n_used(ctx), 19);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), 18);

    free(logits);
    free(want);
    free(other);
    llamac_generator_free(gen);
    llamac_sampler_free(s);
    llamac_context_free(ctx);
}

enum { N_STEPS = 80 };

/* N_STEPS greedy tokens with several shifts (n_ctx 24), every step's logits kept. */
static void shifted_run(const fixture *f, int32_t threads, llamac_token *tokens, float *logits) {
    llamac_context *ctx = new_ctx(f, 24, threads);
    llamac_sampler *s = llamac_sampler_init_greedy(NULL);
    llamac_generator *gen = new_gen(ctx, s, 3);
    llamac_token prompt[8];
    some_tokens(f, prompt, 8);
    assert_int_equal(llamac_generator_prompt(gen, prompt, 8), LLAMAC_OK);
    for (int i = 0; i < N_STEPS; i++) tokens[i] = next_token(f, gen, ctx, logits + (size_t)i * f->n_vocab);
    assert_true(llamac_kv_n_used(ctx) < 24); /* it did shift */
    llamac_generator_free(gen);
    llamac_sampler_free(s);
    llamac_context_free(ctx);
}

static void shifted_generation_is_bit_identical_across_runs_and_thread_counts(void **state) {
    fixture *f = *state;
    const size_t n = (size_t)N_STEPS * (size_t)f->n_vocab;
    float *l1 = malloc(n * sizeof *l1), *l2 = malloc(n * sizeof *l2), *l2b = malloc(n * sizeof *l2b);
    llamac_token t1[N_STEPS], t2[N_STEPS], t2b[N_STEPS];
    assert_true(l1 && l2 && l2b);
    shifted_run(f, 1, t1, l1);
    shifted_run(f, 2, t2, l2);
    shifted_run(f, 2, t2b, l2b);
    assert_memory_equal(t1, t2, sizeof t1);
    assert_memory_equal(t2, t2b, sizeof t2);
    assert_memory_equal(l1, l2, n * sizeof *l1);
    assert_memory_equal(l2, l2b, n * sizeof *l2);
    free(l1);
    free(l2);
    free(l2b);
}

/* Without n_keep the same run stops when the cache is full: 8 prompt cells
 * + 16 decoded responses fill 24, and the 17th response is sampled but
 * finds no cell for its decode. */
static void without_n_keep_a_full_context_still_stops(void **state) {
    fixture *f = *state;
    llamac_context *ctx = new_ctx(f, 24, 2);
    llamac_sampler *s = llamac_sampler_init_greedy(NULL);
    llamac_generator *gen = new_gen(ctx, s, -1);
    llamac_token prompt[8];
    some_tokens(f, prompt, 8);
    assert_int_equal(llamac_generator_prompt(gen, prompt, 8), LLAMAC_OK);
    llamac_generation_step step;
    int n = 0;
    do {
        assert_int_equal(llamac_generator_next(gen, &step), LLAMAC_OK);
        n += step.token != LLAMAC_TOKEN_NULL;
    } while (step.stop == LLAMAC_STOP_NONE);
    assert_int_equal(step.stop, LLAMAC_STOP_CONTEXT_FULL);
    assert_int_equal(n, 17);
    assert_int_equal(llamac_kv_n_used(ctx), 24);
    llamac_generator_free(gen);
    llamac_sampler_free(s);
    llamac_context_free(ctx);
}

/* ---- truncation of an over-long prompt ---- */

/* The prompt `tokens` (n) given with n_keep into 32 cells must decode as
 * exactly the `want_n` tokens made of tokens[0..head) and tokens[from..n):
 * same cells, and the next 6 steps give the bits of a generator prompted
 * with that list directly. */
static void check_truncation(const fixture *f, const llamac_token *tokens, int32_t n, int32_t n_keep,
                             int32_t head, int32_t from, int32_t want_n) {
    llamac_token cut[64];
    int32_t n_cut = 0;
    for (int32_t i = 0; i < head; i++) cut[n_cut++] = tokens[i];
    for (int32_t i = from; i < n; i++) cut[n_cut++] = tokens[i];
    assert_int_equal(n_cut, want_n);

    llamac_context *a = new_ctx(f, 32, 2), *b = new_ctx(f, 32, 2);
    llamac_sampler *sa = llamac_sampler_init_greedy(NULL), *sb = llamac_sampler_init_greedy(NULL);
    llamac_generator *ga = new_gen(a, sa, n_keep), *gb = new_gen(b, sb, -1);
    assert_int_equal(llamac_generator_prompt(ga, tokens, n), LLAMAC_OK);
    assert_int_equal(llamac_kv_n_used(a), want_n);
    assert_int_equal(llamac_kv_seq_pos_max(a, 0), want_n - 1);
    assert_int_equal(llamac_generator_prompt(gb, cut, n_cut), LLAMAC_OK);
    float *la = malloc((size_t)f->n_vocab * sizeof *la), *lb = malloc((size_t)f->n_vocab * sizeof *lb);
    assert_true(la && lb);
    /* as many steps as gb's 32 cells allow without a shift (and at most 6) */
    const int n_steps = want_n <= 27 ? 6 : 33 - want_n;
    for (int i = 0; i < n_steps; i++) {
        assert_int_equal(next_token(f, ga, a, la), next_token(f, gb, b, lb));
        assert_memory_equal(la, lb, (size_t)f->n_vocab * sizeof *la);
    }
    free(la);
    free(lb);
    llamac_generator_free(ga);
    llamac_generator_free(gb);
    llamac_sampler_free(sa);
    llamac_sampler_free(sb);
    llamac_context_free(a);
    llamac_context_free(b);
}

/* llama.cpp's rule with n_ctx 32, worked by hand:
 *   50 tokens, n_keep 5:   keep 5, n_left 27, block 13, erased (50-5-13)/13 = 2:
 *                          tokens 0..4 and 31..49, 24 tokens;
 *   32 tokens, n_keep 5:   erased (32-5-13)/13 = 1: 0..4 and 18..31, 19 tokens;
 *   50 tokens, n_keep 100: keep clamped to 32 - 4 = 28, n_left 4, block 2,
 *                          erased (50-28-2)/2 = 10: 0..27 and 48..49, 30 tokens;
 *   31 tokens, n_keep 5:   fits (31 < 32): all 31. */
static void an_over_long_prompt_is_cut_as_llama_cpp_cuts_it(void **state) {
    fixture *f = *state;
    llamac_token tokens[50];
    some_tokens(f, tokens, 50);
    check_truncation(f, tokens, 50, 5, 5, 31, 24);
    check_truncation(f, tokens, 32, 5, 5, 18, 19);
    check_truncation(f, tokens, 50, 100, 28, 48, 30);
    check_truncation(f, tokens, 31, 5, 31, 31, 31);

    /* without n_keep: refused, as before */
    llamac_context *ctx = new_ctx(f, 32, 2);
    llamac_sampler *s = llamac_sampler_init_greedy(NULL);
    llamac_generator *gen = new_gen(ctx, s, -1);
    assert_int_equal(llamac_generator_prompt(gen, tokens, 50), LLAMAC_ERR_CONTEXT_FULL);
    assert_int_equal(llamac_kv_n_used(ctx), 0);
    llamac_generator_free(gen);
    llamac_sampler_free(s);
    llamac_context_free(ctx);
}

/* ---- resume ---- */

enum { N_RESUME = 16 };

typedef struct run_record {
    llamac_token tokens[N_RESUME];
    float *logits; /* N_RESUME rows */
} run_record;

static void record_steps(const fixture *f, llamac_generator *gen, llamac_context *ctx, run_record *r, int from,
                         int to) {
    for (int i = from; i < to; i++)
        r->tokens[i] = next_token(f, gen, ctx, r->logits + (size_t)i * (size_t)f->n_vocab);
}

static void uninterrupted(const fixture *f, const llamac_token *prompt, int32_t n, run_record *r) {
    llamac_context *ctx = new_ctx(f, 64, 2);
    llamac_sampler *s = llamac_sampler_init_greedy(NULL);
    llamac_generator *gen = new_gen(ctx, s, -1);
    assert_int_equal(llamac_generator_prompt(gen, prompt, n), LLAMAC_OK);
    record_steps(f, gen, ctx, r, 0, N_RESUME);
    llamac_generator_free(gen);
    llamac_sampler_free(s);
    llamac_context_free(ctx);
}

/* The prompt of the resume tests and the uninterrupted run over it. */
typedef struct resume_runs {
    llamac_token prompt[11];
    run_record ref, got;
} resume_runs;

static void resume_runs_init(const fixture *f, resume_runs *r) {
    some_tokens(f, r->prompt, 11);
    const size_t bytes = (size_t)N_RESUME * (size_t)f->n_vocab * sizeof(float);
    r->ref.logits = malloc(bytes);
    r->got.logits = malloc(bytes);
    assert_true(r->ref.logits && r->got.logits);
    uninterrupted(f, r->prompt, 11, &r->ref);
}

static void resume_runs_free(resume_runs *r) {
    free(r->ref.logits);
    free(r->got.logits);
}

/* A context whose cache holds the prompt, left by a generator that is gone. */
static llamac_context *ctx_holding_prompt(const fixture *f, llamac_sampler *s, const llamac_token *prompt) {
    llamac_context *ctx = new_ctx(f, 64, 2);
    llamac_generator *first = new_gen(ctx, s, -1);
    assert_int_equal(llamac_generator_prompt(first, prompt, 11), LLAMAC_OK);
    llamac_generator_free(first);
    return ctx;
}

static void assert_same_steps(const fixture *f, const run_record *a, const run_record *b, int from) {
    for (int i = from; i < N_RESUME; i++) {
        if (a->tokens[i] != b->tokens[i]) fail_msg("step %d: token %d vs %d", i, a->tokens[i], b->tokens[i]);
        const size_t row = (size_t)i * (size_t)f->n_vocab;
        if (memcmp(a->logits + row, b->logits + row, (size_t)f->n_vocab * sizeof(float)) != 0)
            fail_msg("step %d: the logits differ", i);
    }
}

/* The start of a resume test: r set up, and a context holding its prompt,
 * left by a generator with the greedy sampler *s. */
static llamac_context *start_resume(const fixture *f, resume_runs *r, llamac_sampler **s) {
    resume_runs_init(f, r);
    *s = llamac_sampler_init_greedy(NULL);
    return ctx_holding_prompt(f, *s, r->prompt);
}

/* Records the resumed generator's steps from `from` on into r->got, checks
 * every step against the uninterrupted run, and frees the generator, its
 * sampler and the context. */
static void expect_uninterrupted_steps(const fixture *f, resume_runs *r, int from, llamac_generator *gen,
                                       llamac_sampler *s, llamac_context *ctx) {
    record_steps(f, gen, ctx, &r->got, from, N_RESUME);
    assert_same_steps(f, &r->ref, &r->got, 0);
    llamac_generator_free(gen);
    llamac_sampler_free(s);
    llamac_context_free(ctx);
}

/* Prompt P, then a new generator on the same context resumed with P:
 * the 16 greedy tokens and every step's logits are those of one
 * uninterrupted generator (the last prompt token decoded alone, instead of
 * at the end of a batch of 11, gives the same bits). */
static void a_new_generator_resumed_on_the_prompt_continues_bit_identically(void **state) {
    fixture *f = *state;
    resume_runs r;
    llamac_sampler *s;
    llamac_context *ctx = start_resume(f, &r, &s);
    llamac_generator *gen = new_gen(ctx, s, -1);
    assert_int_equal(llamac_generator_resume(gen, r.prompt, 11), LLAMAC_OK);
    assert_int_equal(llamac_kv_n_used(ctx), 11);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), 10);
    expect_uninterrupted_steps(f, &r, 0, gen, s, ctx);
    resume_runs_free(&r);
}

/* Stopped after 8 steps, the cache holds the prompt and 7 responses (the
 * 8th was sampled, never decoded). A new generator resumed with all 8
 * (the last one not cached: decoded) or with the 7 cached ones (the last
 * one's cell replaced) continues as the uninterrupted run. */
static void a_resume_mid_response_continues_bit_identically(void **state) {
    fixture *f = *state;
    resume_runs r;
    resume_runs_init(f, &r);
    llamac_token all[11 + N_RESUME];
    memcpy(all, r.prompt, sizeof r.prompt);
    memcpy(all + 11, r.ref.tokens, sizeof r.ref.tokens);

    for (int cached_last = 0; cached_last < 2; cached_last++) {
        llamac_context *ctx = new_ctx(f, 64, 2);
        llamac_sampler *s = llamac_sampler_init_greedy(NULL);
        llamac_generator *first = new_gen(ctx, s, -1);
        assert_int_equal(llamac_generator_prompt(first, r.prompt, 11), LLAMAC_OK);
        record_steps(f, first, ctx, &r.got, 0, 8);
        llamac_generator_free(first);
        assert_int_equal(llamac_kv_n_used(ctx), 11 + 7);
        llamac_generator *gen = new_gen(ctx, s, -1);
        /* 18 tokens are all cached; with 19 the last is not */
        const int32_t n = cached_last ? 18 : 19;
        assert_int_equal(llamac_generator_resume(gen, all, n), LLAMAC_OK);
        assert_int_equal(llamac_kv_n_used(ctx), n);
        expect_uninterrupted_steps(f, &r, n - 11, gen, s, ctx);
    }
    resume_runs_free(&r);
}

static bool abort_once(void *user) {
    int *calls = user;
    return (*calls)++ == 0;
}

/* A resume cancelled in its decode leaves the sequence without its last
 * token (documented); the same call again then continues bit-identically. */
static void a_cancelled_resume_can_be_retried(void **state) {
    fixture *f = *state;
    resume_runs r;
    llamac_sampler *s;
    llamac_context *ctx = start_resume(f, &r, &s);
    int calls = 0;
    llamac_generator_params gp = llamac_generator_default_params();
    gp.stop_at_eog = false;
    gp.abort_fn = abort_once;
    gp.abort_user = &calls;
    llamac_generator *gen = NULL;
    assert_int_equal(llamac_generator_new(ctx, s, &gp, &gen), LLAMAC_OK);
    assert_int_equal(llamac_generator_resume(gen, r.prompt, 11), LLAMAC_ERR_CANCELLED);
    assert_int_equal(llamac_kv_n_used(ctx), 10);
    assert_int_equal(llamac_generator_resume(gen, r.prompt, 11), LLAMAC_OK);
    expect_uninterrupted_steps(f, &r, 0, gen, s, ctx);
    resume_runs_free(&r);
}

static void assert_mentions(const char *what) {
    if (!strstr(llamac_last_error(), what))
        fail_msg("message \"%s\" does not mention \"%s\"", llamac_last_error(), what);
}

/* A resume whose tokens do not match the cached positions changes nothing. */
static void a_resume_that_does_not_match_the_cache_is_refused(void **state) {
    fixture *f = *state;
    llamac_token tokens[16];
    some_tokens(f, tokens, 16);
    llamac_context *ctx = new_ctx(f, 64, 2);
    llamac_sampler *s = llamac_sampler_init_greedy(NULL);
    llamac_generator *gen = new_gen(ctx, s, -1);
    assert_int_equal(llamac_generator_resume(gen, tokens, 3), LLAMAC_ERR_INVALID_ARG); /* empty */
    assert_mentions("empty");
    assert_int_equal(llamac_generator_prompt(gen, tokens, 10), LLAMAC_OK);
    llamac_generator_free(gen);
    gen = new_gen(ctx, s, -1);
    assert_int_equal(llamac_generator_resume(gen, tokens, 12), LLAMAC_ERR_INVALID_ARG);
    assert_mentions("positions 0..9");
    assert_mentions("0..11");
    assert_int_equal(llamac_generator_resume(gen, tokens, 9), LLAMAC_ERR_INVALID_ARG);
    const llamac_token bad[1] = {f->n_vocab};
    assert_int_equal(llamac_generator_resume(gen, bad, 1), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_generator_resume(gen, tokens, 0), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_kv_n_used(ctx), 10);
    llamac_generation_step step;
    assert_int_equal(llamac_generator_next(gen, &step), LLAMAC_ERR_INVALID_ARG); /* nothing to continue */
    /* a sequence that does not start at 0 */
    assert_int_equal(llamac_kv_seq_rm(ctx, 0, 0, 1), LLAMAC_OK);
    assert_int_equal(llamac_generator_resume(gen, tokens, 10), LLAMAC_ERR_INVALID_ARG);
    assert_mentions("positions 1..9");
    assert_int_equal(llamac_kv_n_used(ctx), 9);
    llamac_generator_free(gen);
    llamac_sampler_free(s);
    llamac_context_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_shift_keeps_the_first_tokens_and_moves_the_tail_down),
        cmocka_unit_test(shifted_generation_is_bit_identical_across_runs_and_thread_counts),
        cmocka_unit_test(without_n_keep_a_full_context_still_stops),
        cmocka_unit_test(an_over_long_prompt_is_cut_as_llama_cpp_cuts_it),
        cmocka_unit_test(a_new_generator_resumed_on_the_prompt_continues_bit_identically),
        cmocka_unit_test(a_resume_mid_response_continues_bit_identically),
        cmocka_unit_test(a_resume_that_does_not_match_the_cache_is_refused),
        cmocka_unit_test(a_cancelled_resume_can_be_retried),
    };
    return run_test_group(tests, setup, teardown);
}
