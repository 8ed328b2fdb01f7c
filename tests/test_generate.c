/* The generation API on the tiny model of ../shared: golden greedy tokens,
 * seeded determinism across thread counts, stop conditions (EOG, length,
 * stop strings across token boundaries, full context), abort between
 * prompt batches, and prompt/response alternation. Expected tokens come
 * from the golden file (llama.cpp's run), expected texts from this test's
 * own unconstrained run of the same generator. */
#include "test_util.h"

#include "../tools/golden.h"
#include "llamac.h"

#include <string.h>

typedef struct fixture {
    llamac_model *model;
    golden ref;
} fixture;

static int setup(void **state) {
    char buf[512];
    const char *model = shared_path(buf, sizeof buf, "models/tiny-F32.gguf");
    if (!model) return 0; /* tests skip */
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    if (llamac_model_load(model, NULL, &f->model) != LLAMAC_OK) return -1;
    char err[256], gbuf[512];
    const char *g = shared_path(gbuf, sizeof gbuf, "golden/tiny-F32.golden");
    if (!g || golden_read(g, &f->ref, err, sizeof err) != 0) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    if (!f) return 0;
    golden_free(&f->ref);
    llamac_model_free(f->model);
    free(f);
    return 0;
}

#define NEED_FIXTURE(f)                                                          \
    fixture *f = *state;                                                         \
    if (!f) {                                                                    \
        skip();                                                                  \
        return;                                                                  \
    }

static llamac_context *new_ctx(const fixture *f, uint32_t n_ctx, uint32_t n_batch, int32_t threads) {
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = n_batch;
    cp.n_threads = threads;
    llamac_context *ctx = NULL;
    llamac_status st = llamac_context_new(f->model, &cp, &ctx);
    if (st != LLAMAC_OK) fail_msg("context: %s", llamac_last_error());
    return ctx;
}

static llamac_sampler *greedy(void) { return llamac_sampler_init_greedy(NULL); }

static llamac_sampler *seeded(uint64_t seed) {
    llamac_sampler *c = llamac_sampler_chain_new(NULL);
    assert_int_equal(llamac_sampler_chain_add(c, llamac_sampler_init_top_k(40, NULL)), LLAMAC_OK);
    assert_int_equal(llamac_sampler_chain_add(c, llamac_sampler_init_temp(1.5f, NULL)), LLAMAC_OK);
    assert_int_equal(llamac_sampler_chain_add(c, llamac_sampler_init_dist(seed, NULL)), LLAMAC_OK);
    return c;
}

typedef struct gen_result {
    llamac_token tokens[256];
    int32_t n;
    char text[4096];
    size_t text_len;
    llamac_stop_reason stop;
} gen_result;

/* Runs a generator to its stop, gathering tokens and text. */
static void run_to_stop(llamac_generator *gen, gen_result *r) {
    memset(r, 0, sizeof *r);
    llamac_generation_step s;
    do {
        assert_int_equal(llamac_generator_next(gen, &s), LLAMAC_OK);
        if (s.token != LLAMAC_TOKEN_NULL) r->tokens[r->n++] = s.token;
        assert_true(r->text_len + s.text_len < sizeof r->text);
        memcpy(r->text + r->text_len, s.text, s.text_len);
        r->text_len += s.text_len;
        assert_true(r->n < 256);
    } while (s.stop == LLAMAC_STOP_NONE);
    r->stop = s.stop;
}

/* Golden prompt, given sampler and params; consumes the sampler. */
static void generate(const fixture *f, llamac_sampler *smpl, const llamac_generator_params *gp,
                     int32_t threads, gen_result *r) {
    llamac_context *ctx = new_ctx(f, 256, 64, threads);
    llamac_generator *gen = NULL;
    assert_int_equal(llamac_generator_new(ctx, smpl, gp, &gen), LLAMAC_OK);
    assert_int_equal(llamac_generator_prompt(gen, f->ref.prompt, (int32_t)f->ref.n_prompt), LLAMAC_OK);
    run_to_stop(gen, r);
    llamac_generator_free(gen);
    llamac_sampler_free(smpl);
    llamac_context_free(ctx);
}

static llamac_generator_params n_tokens(int32_t n) {
    llamac_generator_params gp = llamac_generator_default_params();
    gp.n_predict = n;
    return gp;
}

/* ---- tests ---- */

static void greedy_generation_reproduces_the_golden_tokens(void **state) {
    NEED_FIXTURE(f);
    llamac_generator_params gp = n_tokens((int32_t)f->ref.n_gen);
    gen_result r;
    generate(f, greedy(), &gp, 2, &r);
    assert_int_equal(r.stop, LLAMAC_STOP_MAX_TOKENS);
    assert_int_equal(r.n, f->ref.n_gen);
    assert_memory_equal(r.tokens, f->ref.gen, f->ref.n_gen * sizeof(int32_t));
}

static void golden_prompt_text_tokenizes_to_the_golden_prompt(void **state) {
    NEED_FIXTURE(f);
    static const char text[] =
        "The quick brown fox jumps over the lazy dog. Once upon a time, in a small village";
    llamac_token t[64];
    int32_t n = 0;
    assert_int_equal(llamac_tokenize(llamac_model_vocab(f->model), text, strlen(text), t, 64, true,
                                     true, &n),
                     LLAMAC_OK);
    assert_int_equal(n, f->ref.n_prompt);
    assert_memory_equal(t, f->ref.prompt, (size_t)n * sizeof *t);
}

static void same_seed_same_tokens_on_1_and_2_threads_other_seed_differs(void **state) {
    NEED_FIXTURE(f);
    llamac_generator_params gp = n_tokens(32);
    gen_result a, b, c;
    generate(f, seeded(42), &gp, 1, &a);
    generate(f, seeded(42), &gp, 2, &b);
    generate(f, seeded(43), &gp, 2, &c);
    assert_int_equal(a.n, 32);
    assert_memory_equal(a.tokens, b.tokens, sizeof a.tokens);
    assert_int_equal(a.text_len, b.text_len);
    assert_memory_equal(a.text, b.text, a.text_len);
    int differ = 0;
    for (int i = 0; i < 32; i++) differ += a.tokens[i] != c.tokens[i];
    assert_true(differ > 8);
}

static void text_is_the_detokenized_tokens(void **state) {
    NEED_FIXTURE(f);
    llamac_generator_params gp = n_tokens(40);
    gen_result r;
    generate(f, seeded(5), &gp, 2, &r);
    char want[4096];
    size_t n = 0;
    /* a continuation: no leading-space stripping, so detokenize after a
     * prompt token and drop that token's text */
    llamac_token with_prev[257];
    with_prev[0] = f->ref.prompt[f->ref.n_prompt - 1];
    memcpy(with_prev + 1, r.tokens, (size_t)r.n * sizeof *r.tokens);
    const llamac_vocab *v = llamac_model_vocab(f->model);
    size_t n_prev = 0;
    assert_int_equal(llamac_detokenize(v, with_prev, 1, want, sizeof want, false, false, &n_prev),
                     LLAMAC_OK);
    assert_int_equal(llamac_detokenize(v, with_prev, r.n + 1, want, sizeof want, false, false, &n),
                     LLAMAC_OK);
    assert_int_equal(r.text_len, n - n_prev);
    assert_memory_equal(r.text, want + n_prev, r.text_len);
}

/* A 4-letter stop string from a free run's text whose middle is a token
 * boundary: 2 bytes of token i's piece, then 2 bytes of what follows.
 * *at gets its first occurrence in the text. False if no boundary fits. */
static bool spanning_stop(const fixture *f, const gen_result *run, char *stop, size_t *at) {
    const llamac_vocab *v = llamac_model_vocab(f->model);
    size_t off = 0;
    for (int i = 0; i + 1 < run->n; i++) {
        char piece[128];
        size_t len = 0;
        assert_int_equal(llamac_token_to_piece(v, run->tokens[i], piece, sizeof piece, 0, false, &len),
                         LLAMAC_OK);
        off += len;
        if (len < 2 || off + 2 > run->text_len) continue;
        const char *s = run->text + off - 2;
        bool letters = true;
        for (int k = 0; k < 4; k++) letters &= (s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z');
        if (!letters) continue;
        memcpy(stop, s, 4);
        stop[4] = '\0';
        *at = (size_t)(strstr(run->text, stop) - run->text);
        return true;
    }
    return false;
}

static void stop_string_across_tokens_stops_there_and_is_not_printed(void **state) {
    NEED_FIXTURE(f);
    gen_result full;
    llamac_generator_params gp = n_tokens(64);
    generate(f, greedy(), &gp, 2, &full);
    char stop[8] = "";
    size_t at = 0;
    if (!spanning_stop(f, &full, stop, &at)) fail_msg("no token boundary between letters to test");
    print_message("stop string \"%s\" first at byte %zu of %zu\n", stop, at, full.text_len);

    const char *stops[] = {"\x01never", stop};
    gp.stop_strings = stops;
    gp.n_stop = 2;
    gen_result r;
    generate(f, greedy(), &gp, 2, &r);
    assert_int_equal(r.stop, LLAMAC_STOP_STRING);
    assert_int_equal(r.text_len, at);
    assert_memory_equal(r.text, full.text, at);
    assert_null(strstr(r.text, stop));
    assert_true(r.n < full.n);
}

static void partial_stop_match_is_released_when_it_does_not_complete(void **state) {
    NEED_FIXTURE(f);
    gen_result full;
    llamac_generator_params gp = n_tokens(48);
    generate(f, greedy(), &gp, 2, &full);
    /* Every 3-byte substring of the text followed by a byte that never
     * follows it: held back each time it appears, then released. */
    char stop[5];
    memcpy(stop, full.text + full.text_len / 2, 3);
    stop[3] = '\x02';
    stop[4] = '\0';
    const char *stops[] = {stop};
    gp.stop_strings = stops;
    gp.n_stop = 1;
    gen_result r;
    generate(f, greedy(), &gp, 2, &r);
    assert_int_equal(r.stop, LLAMAC_STOP_MAX_TOKENS);
    assert_int_equal(r.text_len, full.text_len);
    assert_memory_equal(r.text, full.text, full.text_len);
}

static void eog_token_stops_without_printing(void **state) {
    NEED_FIXTURE(f);
    const llamac_vocab *v = llamac_model_vocab(f->model);
    const llamac_token eos = llamac_vocab_eos(v);
    assert_true(eos != LLAMAC_TOKEN_NULL);
    /* a bias makes EOS the greedy choice at once */
    llamac_sampler *c = llamac_sampler_chain_new(NULL);
    const llamac_logit_bias lb[] = {{eos, 1000.0f}};
    assert_int_equal(llamac_sampler_chain_add(c, llamac_sampler_init_logit_bias(
                                                     llamac_model_n_vocab(f->model), 1, lb, NULL)),
                     LLAMAC_OK);
    assert_int_equal(llamac_sampler_chain_add(c, greedy()), LLAMAC_OK);
    llamac_generator_params gp = n_tokens(10);
    gen_result r;
    generate(f, c, &gp, 2, &r);
    assert_int_equal(r.stop, LLAMAC_STOP_EOG);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.tokens[0], eos);
    assert_int_equal(r.text_len, 0);

    gp.stop_at_eog = false; /* then EOS is just a token */
    c = llamac_sampler_chain_new(NULL);
    assert_int_equal(llamac_sampler_chain_add(c, llamac_sampler_init_logit_bias(
                                                     llamac_model_n_vocab(f->model), 1, lb, NULL)),
                     LLAMAC_OK);
    assert_int_equal(llamac_sampler_chain_add(c, greedy()), LLAMAC_OK);
    generate(f, c, &gp, 2, &r);
    assert_int_equal(r.stop, LLAMAC_STOP_MAX_TOKENS);
    assert_int_equal(r.n, 10);
}

static void length_limits_count_tokens_and_zero_generates_none(void **state) {
    NEED_FIXTURE(f);
    gen_result r;
    llamac_generator_params gp = n_tokens(5);
    generate(f, greedy(), &gp, 2, &r);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.stop, LLAMAC_STOP_MAX_TOKENS);
    gp = n_tokens(0);
    generate(f, greedy(), &gp, 2, &r);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.stop, LLAMAC_STOP_MAX_TOKENS);
}

static void full_context_is_a_stop_not_an_error(void **state) {
    NEED_FIXTURE(f);
    llamac_context *ctx = new_ctx(f, f->ref.n_prompt + 4, 64, 2);
    llamac_sampler *s = greedy();
    llamac_generator *gen = NULL;
    assert_int_equal(llamac_generator_new(ctx, s, NULL, &gen), LLAMAC_OK);
    assert_int_equal(llamac_generator_prompt(gen, f->ref.prompt, (int32_t)f->ref.n_prompt), LLAMAC_OK);
    gen_result r;
    run_to_stop(gen, &r);
    /* 4 free cells: 4 tokens decoded, a 5th sampled from the last logits */
    assert_int_equal(r.stop, LLAMAC_STOP_CONTEXT_FULL);
    assert_int_equal(r.n, 5);
    assert_memory_equal(r.tokens, f->ref.gen, 5 * sizeof(int32_t));
    llamac_generation_step s2;
    assert_int_equal(llamac_generator_next(gen, &s2), LLAMAC_OK); /* stays stopped */
    assert_int_equal(s2.stop, LLAMAC_STOP_CONTEXT_FULL);
    assert_int_equal(s2.token, LLAMAC_TOKEN_NULL);
    llamac_generator_free(gen);
    llamac_sampler_free(s);
    llamac_context_free(ctx);
}

/* Positions are int32: a sequence that already holds INT32_MAX - 1 takes
 * one more token; a prompt or a step past INT32_MAX is a full context, not
 * a wrapped (negative) position. */
static void positions_past_int32_max_are_a_full_context(void **state) {
    NEED_FIXTURE(f);
    llamac_context *ctx = new_ctx(f, 16, 8, 1);
    llamac_batch b;
    assert_int_equal(llamac_batch_init(&b, 1, 1, NULL), LLAMAC_OK);
    const llamac_seq_id seq = 0;
    assert_int_equal(llamac_batch_add(&b, f->ref.prompt[0], INT32_MAX - 1, &seq, 1, true), LLAMAC_OK);
    assert_int_equal(llamac_decode(ctx, &b), LLAMAC_OK);
    llamac_batch_free(&b);

    llamac_sampler *s = greedy();
    llamac_generator *gen = NULL;
    assert_int_equal(llamac_generator_new(ctx, s, NULL, &gen), LLAMAC_OK);
    assert_int_equal(llamac_generator_prompt(gen, f->ref.prompt + 1, 2), LLAMAC_ERR_CONTEXT_FULL);
    assert_non_null(strstr(llamac_last_error(), "2147483647"));
    assert_int_equal(llamac_kv_n_used(ctx), 1); /* nothing was decoded */
    assert_int_equal(llamac_generator_prompt(gen, f->ref.prompt + 1, 1), LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), INT32_MAX);
    llamac_generation_step st;
    assert_int_equal(llamac_generator_next(gen, &st), LLAMAC_OK); /* sampled from the last logits */
    assert_int_equal(st.stop, LLAMAC_STOP_NONE);
    assert_int_equal(llamac_generator_next(gen, &st), LLAMAC_OK); /* no position left to decode it */
    assert_int_equal(st.stop, LLAMAC_STOP_CONTEXT_FULL);
    llamac_generator_free(gen);
    llamac_sampler_free(s);
    llamac_context_free(ctx);
}

typedef struct abort_after { int calls, limit; } abort_after;
static bool abort_cb(void *user) {
    abort_after *a = user;
    return ++a->calls > a->limit;
}

static void abort_between_prompt_batches_leaves_the_cache_unchanged(void **state) {
    NEED_FIXTURE(f);
    llamac_context *ctx = new_ctx(f, 256, 8, 2); /* the 33-token prompt: 5 batches */
    llamac_sampler *s = greedy();
    abort_after ab = {0, 2};
    llamac_generator_params gp = n_tokens((int32_t)f->ref.n_gen);
    gp.abort_fn = abort_cb;
    gp.abort_user = &ab;
    llamac_generator *gen = NULL;
    assert_int_equal(llamac_generator_new(ctx, s, &gp, &gen), LLAMAC_OK);
    assert_int_equal(llamac_generator_prompt(gen, f->ref.prompt, (int32_t)f->ref.n_prompt),
                     LLAMAC_ERR_CANCELLED);
    assert_int_equal(ab.calls, 3); /* two batches ran, the third was refused */
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), -1);
    llamac_generation_step st;
    assert_int_equal(llamac_generator_next(gen, &st), LLAMAC_ERR_INVALID_ARG);

    ab.limit = 1000;
    assert_int_equal(llamac_generator_prompt(gen, f->ref.prompt, (int32_t)f->ref.n_prompt), LLAMAC_OK);
    gen_result r;
    run_to_stop(gen, &r);
    assert_memory_equal(r.tokens, f->ref.gen, f->ref.n_gen * sizeof(int32_t));
    llamac_generator_free(gen);
    llamac_sampler_free(s);
    llamac_context_free(ctx);
}

static void prompt_after_a_response_continues_the_sequence(void **state) {
    NEED_FIXTURE(f);
    /* prompt[0..20) + 4 greedy tokens, then prompt[20..) as a second turn,
     * must leave the cache with positions 0 .. 20 + 4 + 13 - 1 */
    llamac_context *ctx = new_ctx(f, 256, 64, 2);
    llamac_sampler *s = greedy();
    llamac_generator_params gp = n_tokens(4);
    llamac_generator *gen = NULL;
    assert_int_equal(llamac_generator_new(ctx, s, &gp, &gen), LLAMAC_OK);
    assert_int_equal(llamac_generator_prompt(gen, f->ref.prompt, 20), LLAMAC_OK);
    gen_result r;
    run_to_stop(gen, &r);
    assert_int_equal(r.n, 4);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), 20 + 3 - 1); /* last token pending */
    assert_int_equal(llamac_generator_prompt(gen, f->ref.prompt + 20, (int32_t)f->ref.n_prompt - 20),
                     LLAMAC_OK);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), (int32_t)f->ref.n_prompt + 4 - 1);
    assert_int_equal(llamac_generator_n_generated(gen), 0);
    run_to_stop(gen, &r);
    assert_int_equal(r.n, 4);
    llamac_generator_free(gen);
    llamac_sampler_free(s);
    llamac_context_free(ctx);
}

static void bad_arguments_are_refused_with_reasons(void **state) {
    NEED_FIXTURE(f);
    llamac_context *ctx = new_ctx(f, 64, 16, 1);
    llamac_sampler *s = greedy();
    llamac_generator *gen = (llamac_generator *)&gen;
    llamac_generator_params gp = llamac_generator_default_params();
    const char *empty[] = {""};
    gp.stop_strings = empty;
    gp.n_stop = 1;
    assert_int_equal(llamac_generator_new(ctx, s, &gp, &gen), LLAMAC_ERR_INVALID_ARG);
    assert_null(gen);
    assert_non_null(strstr(llamac_last_error(), "stop string 0"));
    gp = llamac_generator_default_params();
    gp.seq_id = 3;
    assert_int_equal(llamac_generator_new(ctx, s, &gp, &gen), LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "seq_id 3"));
    gp = llamac_generator_default_params();
    gp.n_predict = -2;
    assert_int_equal(llamac_generator_new(ctx, s, &gp, &gen), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_generator_new(NULL, s, NULL, &gen), LLAMAC_ERR_INVALID_ARG);

    assert_int_equal(llamac_generator_new(ctx, s, NULL, &gen), LLAMAC_OK);
    llamac_generation_step st;
    assert_int_equal(llamac_generator_next(gen, &st), LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "prompt"));
    const llamac_token bad[] = {1, 99999};
    assert_int_equal(llamac_generator_prompt(gen, bad, 2), LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_kv_seq_pos_max(ctx, 0), -1);
    assert_int_equal(llamac_generator_prompt(gen, bad, 0), LLAMAC_ERR_INVALID_ARG);
    llamac_generator_free(gen);
    llamac_sampler_free(s);
    llamac_context_free(ctx);
}

int main(void) {
    return run_cases(setup, teardown,
                     greedy_generation_reproduces_the_golden_tokens,
                     golden_prompt_text_tokenizes_to_the_golden_prompt,
                     same_seed_same_tokens_on_1_and_2_threads_other_seed_differs,
                     text_is_the_detokenized_tokens,
                     stop_string_across_tokens_stops_there_and_is_not_printed,
                     partial_stop_match_is_released_when_it_does_not_complete,
                     eog_token_stops_without_printing,
                     length_limits_count_tokens_and_zero_generates_none,
                     full_context_is_a_stop_not_an_error,
                     positions_past_int32_max_are_a_full_context,
                     abort_between_prompt_batches_leaves_the_cache_unchanged,
                     prompt_after_a_response_continues_the_sequence,
                     bad_arguments_are_refused_with_reasons);
}
