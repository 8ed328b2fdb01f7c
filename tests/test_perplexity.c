/* The perplexity protocol of tools/perplexity.h (the trainer's definition):
 * the per-token NLL against hand-computed values, the whole score against
 * llama.cpp's own logits (../shared/golden), and the windowing rules
 * (each window alone after BOS, every token scored, a short last window).
 * The argument and callback checks run on the model in models/; with
 * --shared, the cases that compare with llama.cpp (../shared). */
#include "test_util.h"

#include "../tools/golden.h"
#include "../tools/perplexity.h"
#include "llamac.h"

#include <math.h>
#include <string.h>

/* cmocka's float assertion works in float; these checks need double. */
#define assert_near(a, b, eps)                                                       \
    do {                                                                             \
        const double a_ = (a), b_ = (b);                                             \
        if (!(fabs(a_ - b_) <= (eps))) fail_msg("%.17g != %.17g (+- %g)", a_, b_, (double)(eps)); \
    } while (0)

static void token_nll_matches_hand_computed_log_softmax(void **state) {
    (void)state;
    const float two[2] = {0.0f, 0.0f};
    assert_near(ppl_token_nll(two, 2, 0), log(2.0), 1e-12);
    /* log(e^-2 + e^-1 + 1) = 0.4076059644443804 */
    const float three[3] = {1.0f, 2.0f, 3.0f};
    assert_near(ppl_token_nll(three, 3, 2), 0.4076059644443804, 1e-12);
    assert_near(ppl_token_nll(three, 3, 0), 2.4076059644443804, 1e-12);
    /* Huge logits must not overflow exp(): the max is subtracted first. */
    const float huge[2] = {1000.0f, 0.0f};
    assert_near(ppl_token_nll(huge, 2, 1), 1000.0, 1e-9);
    assert_near(ppl_token_nll(huge, 2, 0), 0.0, 1e-12);
}

typedef struct fixture {
    golden ref;
    llamac_model *model;
    llamac_context *ctx;
} fixture;

/* The model and a 64-cell context on it. */
static int open_model(fixture *f, const char *path) {
    if (llamac_model_load(path, NULL, &f->model) != LLAMAC_OK) return -1;
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 64;
    cp.n_batch = 64;
    cp.n_threads = 2;
    return llamac_context_new(f->model, &cp, &f->ctx) == LLAMAC_OK ? 0 : -1;
}

/* tiny-F32 and its golden file (../shared), for the cases that compare with
 * llama.cpp. */
static int setup(void **state) {
    static fixture f;
    memset(&f, 0, sizeof f);
    *state = &f;
    char gbuf[512], mbuf[512], err[256];
    const char *gpath = shared_path(gbuf, sizeof gbuf, "golden/tiny-F32.golden");
    const char *mpath = shared_path(mbuf, sizeof mbuf, "models/tiny-F32.gguf");
    if (!gpath || !mpath) return 0; /* tests skip */
    if (golden_read(gpath, &f.ref, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return open_model(&f, mpath);
}

/* The model in models/, for the cases that need any model (its vocabulary
 * has 2048 tokens, like tiny's); no golden file. */
static int setup_shipped(void **state) {
    static fixture f;
    memset(&f, 0, sizeof f);
    *state = &f;
    const char *path = getenv("LLAMAC_SHIPPED_MODEL");
    if (!path) {
        fprintf(stderr, "LLAMAC_SHIPPED_MODEL is not set (meson sets it)\n");
        return -1;
    }
    return open_model(&f, path);
}

static int teardown(void **state) {
    fixture *f = *state;
    llamac_context_free(f->ctx);
    llamac_model_free(f->model);
    golden_free(&f->ref);
    return 0;
}

#define NEED_FIXTURE(f)     \
    fixture *f = *state;    \
    if (!f->model) {        \
        skip();             \
        return;             \
    }

/* The golden prompt (BOS first) and its greedy continuation, as one token
 * stream without the BOS: what the scorer reads. */
static llamac_token *golden_stream(const golden *g, int64_t *n) {
    *n = (int64_t)g->n_prompt - 1 + g->n_gen;
    llamac_token *t = malloc((size_t)*n * sizeof *t);
    assert_non_null(t);
    memcpy(t, g->prompt + 1, (g->n_prompt - 1) * sizeof *t);
    memcpy(t + g->n_prompt - 1, g->gen, g->n_gen * sizeof *t);
    return t;
}

/* llama.cpp decoded the same tokens after the same BOS, so its logits row r
 * predicts stream token r: prompt rows first, then the gen rows. */
static void one_window_score_equals_llama_cpp_logits(void **state) {
    NEED_FIXTURE(f);
    int64_t n;
    llamac_token *tokens = golden_stream(&f->ref, &n);
    double want = 0.0;
    for (int64_t r = 0; r < n; r++)
        want += ppl_token_nll(f->ref.logits + (size_t)r * f->ref.n_vocab, (int32_t)f->ref.n_vocab,
                              tokens[r]);
    ppl_result got;
    char err[512];
    llamac_status st = ppl_score(f->ctx, f->ref.prompt[0], tokens, n, (int32_t)n, NULL, NULL, &got,
                                 err, sizeof err);
    if (st != LLAMAC_OK) fail_msg("%s", err);
    assert_int_equal(got.n_scored, n);
    assert_int_equal(got.n_windows, 1);
    /* Golden criterion 1 allows a mean KLD of 2e-5 for F32; a mean NLL
     * within 1e-3 nats keeps the perplexity within 0.1 %. */
    const double diff = fabs(got.nll_sum / (double)n - want / (double)n);
    if (diff > 1e-3)
        fail_msg("mean NLL %.6f vs llama.cpp's %.6f over %lld tokens", got.nll_sum / (double)n,
                 want / (double)n, (long long)n);
    free(tokens);
}

/* Scoring A+B with window |A| must give exactly the sum of scoring A and B
 * on their own: each window starts from an empty cache and BOS. */
static void windows_are_scored_independently_after_bos(void **state) {
    NEED_FIXTURE(f);
    int64_t n;
    llamac_token *tokens = golden_stream(&f->ref, &n);
    const llamac_token bos = f->ref.prompt[0];
    const int32_t w = 7;
    assert_true(n > 2 * w + 1);
    char err[512];
    ppl_result whole, a, b, c;
    const int64_t n_use = 2 * w + 3; /* two full windows and a short one */
    assert_int_equal(ppl_score(f->ctx, bos, tokens, n_use, w, NULL, NULL, &whole, err, sizeof err),
                     LLAMAC_OK);
    assert_int_equal(ppl_score(f->ctx, bos, tokens, w, w, NULL, NULL, &a, err, sizeof err), LLAMAC_OK);
    assert_int_equal(ppl_score(f->ctx, bos, tokens + w, w, w, NULL, NULL, &b, err, sizeof err),
                     LLAMAC_OK);
    assert_int_equal(ppl_score(f->ctx, bos, tokens + 2 * w, 3, w, NULL, NULL, &c, err, sizeof err),
                     LLAMAC_OK);
    assert_int_equal(whole.n_windows, 3);
    assert_int_equal(whole.n_scored, n_use);
    /* Same tokens, same positions, same batch shape: bit-identical logits;
     * only the order of the double additions differs. A window that saw its
     * predecessor would move the sum by far more. */
    assert_near(whole.nll_sum, a.nll_sum + b.nll_sum + c.nll_sum, 1e-12 * fabs(whole.nll_sum));
    /* And the windowing matters: one window over the same tokens sees more
     * context, so it scores differently. */
    ppl_result one;
    assert_int_equal(ppl_score(f->ctx, bos, tokens, n_use, (int32_t)n_use, NULL, NULL, &one, err,
                               sizeof err),
                     LLAMAC_OK);
    assert_true(one.nll_sum != whole.nll_sum);
    free(tokens);
}

/* A window's first token is predicted from BOS alone: llama.cpp's first
 * prompt row. */
static void first_token_of_a_window_is_predicted_from_bos(void **state) {
    NEED_FIXTURE(f);
    const llamac_token t = f->ref.prompt[1];
    ppl_result r;
    char err[512];
    assert_int_equal(ppl_score(f->ctx, f->ref.prompt[0], &t, 1, 5, NULL, NULL, &r, err, sizeof err),
                     LLAMAC_OK);
    assert_near(r.nll_sum, ppl_token_nll(f->ref.logits, (int32_t)f->ref.n_vocab, t), 1e-3);
}

static void token_outside_vocabulary_is_rejected_with_its_index(void **state) {
    fixture *f = *state;
    assert_int_equal(llamac_model_n_vocab(f->model), 2048);
    llamac_token t[8] = {5, 6, 7, 8, 9, 2048, 10, 11};
    ppl_result r;
    char err[512];
    assert_int_equal(ppl_score(f->ctx, 1, t, 8, 4, NULL, NULL, &r, err, sizeof err),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "token 5 has id 2048"));
    assert_int_equal(r.n_scored, 0);
    t[5] = -1;
    assert_int_equal(ppl_score(f->ctx, 1, t, 8, 4, NULL, NULL, &r, err, sizeof err),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(ppl_score(f->ctx, 2048, t, 5, 4, NULL, NULL, &r, err, sizeof err),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "BOS id 2048"));
}

static void window_larger_than_context_is_rejected(void **state) {
    fixture *f = *state;
    llamac_token t[4] = {5, 6, 7, 8};
    ppl_result r;
    char err[512];
    /* The context holds 64 cells: a window of 64 plus BOS does not fit. */
    assert_int_equal(ppl_score(f->ctx, 1, t, 4, 64, NULL, NULL, &r, err, sizeof err),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "n_ctx and n_batch >= 65"));
    assert_int_equal(ppl_score(f->ctx, 1, t, 4, 63, NULL, NULL, &r, err, sizeof err), LLAMAC_OK);
    assert_int_equal(ppl_score(f->ctx, 1, t, 0, 4, NULL, NULL, &r, err, sizeof err),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(ppl_score(f->ctx, 1, t, 4, 0, NULL, NULL, &r, err, sizeof err),
                     LLAMAC_ERR_INVALID_ARG);
}

static bool stop_after_first(const ppl_result *r, int64_t total, void *user) {
    (void)user;
    assert_int_equal(total, 2);
    return r->n_windows < 1;
}

static void progress_callback_can_cancel(void **state) {
    fixture *f = *state;
    llamac_token t[6] = {5, 6, 7, 8, 9, 10};
    ppl_result r;
    char err[512];
    assert_int_equal(ppl_score(f->ctx, 1, t, 6, 3, stop_after_first, NULL, &r, err, sizeof err),
                     LLAMAC_ERR_CANCELLED);
    assert_int_equal(r.n_windows, 1);
    assert_int_equal(r.n_scored, 3);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_nll_matches_hand_computed_log_softmax),
        cmocka_unit_test_setup_teardown(token_outside_vocabulary_is_rejected_with_its_index, setup_shipped, teardown),
        cmocka_unit_test_setup_teardown(window_larger_than_context_is_rejected, setup_shipped, teardown),
        cmocka_unit_test_setup_teardown(progress_callback_can_cancel, setup_shipped, teardown),
    };
    const struct CMUnitTest needs_shared[] = {
        cmocka_unit_test(one_window_score_equals_llama_cpp_logits),
        cmocka_unit_test(windows_are_scored_independently_after_bos),
        cmocka_unit_test(first_token_of_a_window_is_predicted_from_bos),
    };
    if (test_part(argc, argv, "--shared")) return run_test_group(needs_shared, setup, teardown);
    return run_test_group(tests, NULL, NULL);
}
