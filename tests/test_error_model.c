/* The error model's behaviours beyond NULL arguments (test_api_null.c),
 * on the shipped model (argv[1]) so nothing here skips:
 *   - a successful call leaves llamac_last_error() as it was (fault 5: a
 *     load left an internal "key ... not found" behind);
 *   - llamac_sampler_chain_add(chain, NULL) reports the failed
 *     constructor's status, NO_MEMORY included (fault 6);
 *   - llamac_get_logits_ith(ctx, -1) is the last output row, as in
 *     llama.cpp (fault 8). */
#include "test_alloc.h"
#include "test_util.h"

#include "llamac.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

static const char *model_path;

/* Makes the thread's message a known failure's and returns a copy. */
static void known_message(char *buf, size_t size) {
    llamac_gguf *g = NULL;
    assert_int_equal(llamac_gguf_open("/nonexistent-dir/llamac-known-failure.gguf", NULL, &g), LLAMAC_ERR_IO);
    snprintf(buf, size, "%s", llamac_last_error());
    assert_non_null(strstr(buf, "llamac-known-failure"));
}

static void expect_message(const char *want, const char *after) {
    if (strcmp(llamac_last_error(), want) != 0)
        fail_msg("after %s the message is '%s', expected it unchanged ('%s')", after, llamac_last_error(), want);
}

/* ---- fault 5: success leaves the message alone ---- */

static void model_load_leaves_the_message(void **state) {
    (void)state;
    char want[512];
    known_message(want, sizeof want);
    for (int repack = 0; repack <= 1; repack++) {
        llamac_model_params mp = llamac_model_default_params();
        mp.repack = repack;
        llamac_model *m = NULL;
        assert_int_equal(llamac_model_load(model_path, &mp, &m), LLAMAC_OK);
        expect_message(want, "a successful llamac_model_load");
        llamac_model_free(m);
    }
}

static void vocab_load_leaves_the_message(void **state) {
    (void)state;
    char want[512];
    known_message(want, sizeof want);
    llamac_vocab *v = NULL;
    assert_int_equal(llamac_vocab_load(model_path, NULL, &v), LLAMAC_OK);
    expect_message(want, "a successful llamac_vocab_load");
    llamac_vocab_free(v);
}

static void quantize_leaves_the_message(void **state) {
    (void)state;
    char want[512], out[] = "/tmp/llamac-error-model-XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    known_message(want, sizeof want);
    llamac_quantize_params qp = llamac_quantize_default_params();
    qp.ftype = LLAMAC_FTYPE_MOSTLY_Q8_0;
    qp.n_threads = 1;
    llamac_status st = llamac_model_quantize(model_path, out, &qp);
    unlink(out);
    assert_int_equal(st, LLAMAC_OK);
    expect_message(want, "a successful llamac_model_quantize");
}

/* On a new thread the message starts empty and stays empty through a
 * whole successful session: load, context, tokenize, decode, generate. */
static void *session_on_a_new_thread(void *arg) {
    (void)arg;
    llamac_model *m = NULL;
    llamac_context *ctx = NULL;
    llamac_sampler *chain = NULL;
    llamac_generator *gen = NULL;
    const char *bad = NULL;
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 64;
    cp.n_threads = 2;
    llamac_token toks[32];
    int32_t n = 0;
    llamac_generation_step step;
    if (llamac_model_load(model_path, NULL, &m)) bad = "model_load";
    else if (*llamac_last_error()) bad = "model_load (message)";
    else if (llamac_context_new(m, &cp, &ctx)) bad = "context_new";
    else if (llamac_tokenize(llamac_model_vocab(m), "In the beginning", 16, toks, 32, true, false, &n))
        bad = "tokenize";
    else if (!(chain = llamac_sampler_chain_new(NULL)) ||
             llamac_sampler_chain_add(chain, llamac_sampler_init_top_k(5, NULL)) ||
             llamac_sampler_chain_add(chain, llamac_sampler_init_dist(7, NULL)))
        bad = "sampler chain";
    else if (llamac_generator_new(ctx, chain, NULL, &gen) || llamac_generator_prompt(gen, toks, n))
        bad = "generator";
    for (int i = 0; !bad && i < 4; i++)
        if (llamac_generator_next(gen, &step)) bad = "generator_next";
    char *result = NULL;
    if (bad || *llamac_last_error()) {
        result = malloc(600);
        if (result) snprintf(result, 600, "%s: '%s'", bad ? bad : "a successful session", llamac_last_error());
    }
    llamac_generator_free(gen);
    llamac_sampler_free(chain);
    llamac_context_free(ctx);
    llamac_model_free(m);
    return result;
}

static void a_successful_session_leaves_the_message_empty(void **state) {
    (void)state;
    pthread_t t;
    void *result = NULL;
    assert_int_equal(pthread_create(&t, NULL, session_on_a_new_thread, NULL), 0);
    assert_int_equal(pthread_join(t, &result), 0);
    if (result) fail_msg("%s", (char *)result);
}

/* ---- fault 6: chain_add forwards a constructor's status ---- */

static void chain_add_reports_a_constructors_out_of_memory(void **state) {
    (void)state;
    alloc_counter none;
    const llamac_allocator refusing = counting_allocator(&none, 0);
    llamac_sampler *chain = llamac_sampler_chain_new(NULL);
    assert_non_null(chain);
    assert_int_equal(llamac_sampler_chain_add(chain, llamac_sampler_init_top_k(40, &refusing)),
                     LLAMAC_ERR_NO_MEMORY);
    assert_non_null(strstr(llamac_last_error(), "llamac_sampler_chain_add"));
    assert_non_null(strstr(llamac_last_error(), "out of memory"));
    assert_int_equal(llamac_sampler_chain_add(chain, llamac_sampler_init_penalties(64, 1.1f, 0, 0, &refusing)),
                     LLAMAC_ERR_NO_MEMORY);
    const llamac_logit_bias b = {1, 2.0f};
    assert_int_equal(llamac_sampler_chain_add(chain, llamac_sampler_init_logit_bias(8, 1, &b, &refusing)),
                     LLAMAC_ERR_NO_MEMORY);
    /* a bad argument stays INVALID_ARG, with the constructor's message */
    assert_int_equal(llamac_sampler_chain_add(chain, llamac_sampler_init_top_k(-5, NULL)),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "k -5"));
    assert_int_equal(llamac_sampler_chain_n(chain), 0);
    llamac_sampler_free(chain);
}

static void chain_add_does_not_blame_an_older_constructor_failure(void **state) {
    (void)state;
    alloc_counter none;
    const llamac_allocator refusing = counting_allocator(&none, 0);
    llamac_sampler *chain = llamac_sampler_chain_new(NULL);
    llamac_sampler *failed = llamac_sampler_init_greedy(&refusing);
    assert_null(failed);
    char other[512];
    known_message(other, sizeof other); /* a later, unrelated failure */
    assert_int_equal(llamac_sampler_chain_add(chain, failed), LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "smpl is NULL"));
    assert_null(strstr(llamac_last_error(), "out of memory"));
    llamac_sampler_free(chain);
}

/* ---- fault 8: negative indices of llamac_get_logits_ith ---- */

typedef struct decoded {
    llamac_model *model;
    llamac_context *ctx;
} decoded;

/* Decodes tokens 1, 2, 3 at positions 0..2; logits for all or only the last. */
static void decode_three(decoded *d, bool all_logits) {
    assert_int_equal(llamac_model_load(model_path, NULL, &d->model), LLAMAC_OK);
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 16;
    cp.n_threads = 1;
    assert_int_equal(llamac_context_new(d->model, &cp, &d->ctx), LLAMAC_OK);
    llamac_batch b;
    assert_int_equal(llamac_batch_init(&b, 3, 1, NULL), LLAMAC_OK);
    const llamac_seq_id s = 0;
    for (int i = 0; i < 3; i++)
        assert_int_equal(llamac_batch_add(&b, 1 + i, i, &s, 1, all_logits || i == 2), LLAMAC_OK);
    assert_int_equal(llamac_decode(d->ctx, &b), LLAMAC_OK);
    llamac_batch_free(&b);
}

static void free_decoded(decoded *d) {
    llamac_context_free(d->ctx);
    llamac_model_free(d->model);
}

static void logits_ith_minus_one_is_the_last_row(void **state) {
    (void)state;
    decoded d;
    decode_three(&d, true);
    assert_int_equal(llamac_n_outputs(d.ctx), 3);
    const float *last = llamac_get_logits_ith(d.ctx, 2);
    assert_non_null(last);
    assert_ptr_equal(llamac_get_logits_ith(d.ctx, -1), last);
    assert_ptr_equal(llamac_get_logits(d.ctx, -1), last);
    assert_ptr_equal(llamac_get_logits_ith(d.ctx, -3), llamac_get_logits_ith(d.ctx, 0));
    assert_ptr_equal(llamac_get_logits_ith(d.ctx, -2), llamac_get_logits_ith(d.ctx, 1));
    assert_null(llamac_get_logits_ith(d.ctx, -4));
    assert_non_null(strstr(llamac_last_error(), "llamac_get_logits_ith"));
    assert_null(llamac_get_logits_ith(d.ctx, 3));
    free_decoded(&d);
}

/* llama.cpp counts a negative index over the output rows, not the batch:
 * with only the last token's logits, -1 is that row and -2 is nothing. */
static void negative_indices_count_output_rows(void **state) {
    (void)state;
    decoded d;
    decode_three(&d, false);
    assert_int_equal(llamac_n_outputs(d.ctx), 1);
    assert_null(llamac_get_logits_ith(d.ctx, 0)); /* token 0 asked for none */
    assert_non_null(llamac_get_logits_ith(d.ctx, 2));
    assert_ptr_equal(llamac_get_logits_ith(d.ctx, -1), llamac_get_logits_ith(d.ctx, 2));
    assert_null(llamac_get_logits_ith(d.ctx, -2));
    free_decoded(&d);
}

int main(int argc, char **argv) {
    model_path = test_first_arg(argc, argv, "MODEL.gguf");
    return run_cases(NULL, NULL,
                     model_load_leaves_the_message,
                     vocab_load_leaves_the_message,
                     quantize_leaves_the_message,
                     a_successful_session_leaves_the_message_empty,
                     chain_add_reports_a_constructors_out_of_memory,
                     chain_add_does_not_blame_an_older_constructor_failure,
                     logits_ith_minus_one_is_the_last_row,
                     negative_indices_count_output_rows);
}
