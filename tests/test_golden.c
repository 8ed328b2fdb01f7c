/* The logits of llama.cpp (../shared/golden) reproduced on the 15 tiny
 * models, by the criteria of ../shared/golden/README.md:
 *   1. same file: mean KLD to tiny-TYPE.golden over all positions;
 *   2. faithful to full precision: mean KLD to tiny-F32.golden over the
 *      prompt positions <= 1.10 * KLD_q(TYPE) + 2e-5;
 *   3. greedy generation from the prompt reproduces `gen` (F32, F16).
 * Kernels: the best back end of this CPU, or LLAMAC_KERNELS=scalar|avx2|avx512
 * (a forced back end this CPU cannot run makes every case skip loudly). */
#include "test_files.h"
#include "test_util.h"

#include "../tools/golden.h"
#include "kernels/backend.h"
#include "runtime/context.h"
#include "llamac.h"

#include <string.h>

typedef struct run {
    golden ref;     /* tiny-TYPE.golden */
    float *logits;  /* ours, same layout */
} run;

/* ../shared/models/tiny-TYPE.gguf, or NULL when absent. */
static llamac_model *load_tiny(const char *type) {
    char rel[64];
    snprintf(rel, sizeof rel, "models/tiny-%s.gguf", type);
    return test_load_shared_model(rel);
}

static llamac_context *new_context(const llamac_model *model, int32_t n_threads) {
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 128;
    cp.n_batch = 64;
    cp.n_threads = n_threads;
    const char *env = getenv("LLAMAC_KERNELS");
    if (env && !lc_kernels_parse(env, &cp.kernels))
        fail_msg("LLAMAC_KERNELS=%s: expected auto, scalar, avx2 or avx512", env);
    llamac_context *ctx = NULL;
    llamac_status st = llamac_context_new(model, &cp, &ctx);
    if (st != LLAMAC_OK) fail_msg("context: %s: %s", llamac_status_name(st), llamac_last_error());
    return ctx;
}

/* Whether LLAMAC_KERNELS forces a back end this build or CPU cannot run
 * (then the case skips, saying so). */
static bool forced_kernels_missing(void) {
    const char *env = getenv("LLAMAC_KERNELS");
    llamac_kernels k;
    lc_kernel_table t;
    if (!env || !lc_kernels_parse(env, &k) || lc_kernels_resolve(k, &t)) return false;
    fprintf(stderr, "SKIP: LLAMAC_KERNELS=%s: this CPU (or build) cannot run that back end\n", env);
    return true;
}

static bool read_golden(const char *type, golden *g) {
    char buf[512], rel[64], err[256];
    snprintf(rel, sizeof rel, "golden/tiny-%s.golden", type);
    const char *path = shared_path(buf, sizeof buf, rel);
    if (!path) return false;
    if (golden_read(path, g, err, sizeof err) != 0) fail_msg("%s", err);
    return true;
}

static void check_type(const char *type) {
    golden ref, f32;
    if (forced_kernels_missing() || !read_golden(type, &ref)) {
        skip();
        return;
    }
    if (!read_golden("F32", &f32)) {
        golden_free(&ref);
        skip();
        return;
    }
    llamac_model *model = load_tiny(type);
    if (!model) {
        golden_free(&ref);
        golden_free(&f32);
        skip();
        return;
    }
    assert_int_equal(llamac_model_n_vocab(model), (int)ref.n_vocab);
    llamac_context *ctx = new_context(model, 2);
    const uint32_t rows = ref.n_prompt + ref.n_gen;
    float *ours = malloc((size_t)rows * ref.n_vocab * sizeof(float));
    assert_non_null(ours);
    llamac_status st = golden_decode(ctx, ref.prompt, ref.n_prompt, ref.gen, ref.n_gen, 0, ours);
    if (st != LLAMAC_OK) fail_msg("decode: %s: %s", llamac_status_name(st), llamac_last_error());

    double same_max, kld_q;
    assert_int_equal(golden_criteria(type, &same_max, &kld_q), 0);
    const double kld_same = golden_mean_kld(ref.logits, ours, ref.n_vocab, 0, rows);
    const double kld_f32 = golden_mean_kld(f32.logits, ours, ref.n_vocab, 0, ref.n_prompt);
    const double faithful_max = golden_faithful_max(kld_q);
    fprintf(stderr, "%-7s %-6s criterion 1: mean KLD %.3e (limit %.1e)   criterion 2: %.3e (limit %.3e, KLD_q %.3e)\n",
            type, lc_context_kernels_name(ctx), kld_same, same_max, kld_f32, faithful_max, kld_q);
    if (kld_same > same_max) fail_msg("%s: criterion 1 mean KLD %.3e > %.1e", type, kld_same, same_max);
    if (kld_f32 > faithful_max) fail_msg("%s: criterion 2 mean KLD %.3e > %.3e", type, kld_f32, faithful_max);

    free(ours);
    llamac_context_free(ctx);
    llamac_model_free(model);
    golden_free(&ref);
    golden_free(&f32);
}

/* Criterion 3, literally: feed our own argmax back, compare with `gen`. */
static void check_greedy(const char *type) {
    golden ref;
    if (forced_kernels_missing() || !read_golden(type, &ref)) {
        skip();
        return;
    }
    llamac_model *model = load_tiny(type);
    if (!model) {
        golden_free(&ref);
        skip();
        return;
    }
    llamac_context *ctx = new_context(model, 1);
    llamac_batch b;
    assert_int_equal(llamac_batch_init(&b, (int32_t)ref.n_prompt, 1, NULL), LLAMAC_OK);
    const llamac_seq_id s0 = 0;
    for (uint32_t i = 0; i < ref.n_prompt; i++)
        assert_int_equal(llamac_batch_add(&b, ref.prompt[i], (llamac_pos)i, &s0, 1, i + 1 == ref.n_prompt), LLAMAC_OK);
    assert_int_equal(llamac_decode(ctx, &b), LLAMAC_OK);
    for (uint32_t i = 0; i < ref.n_gen; i++) {
        const llamac_token next = golden_argmax(llamac_get_logits(ctx, -1), ref.n_vocab);
        if (next != ref.gen[i]) fail_msg("%s: greedy token %u is %d, reference %d", type, i, next, ref.gen[i]);
        b.n_tokens = 0;
        assert_int_equal(llamac_batch_add(&b, next, (llamac_pos)(ref.n_prompt + i), &s0, 1, true), LLAMAC_OK);
        assert_int_equal(llamac_decode(ctx, &b), LLAMAC_OK);
    }
    llamac_batch_free(&b);
    llamac_context_free(ctx);
    llamac_model_free(model);
    golden_free(&ref);
}

#define GOLDEN_TEST(T) \
    static void golden_##T##_matches_peer(void **state) { (void)state; check_type(#T); }
GOLDEN_TEST(F32)
GOLDEN_TEST(F16)
GOLDEN_TEST(BF16)
GOLDEN_TEST(Q8_0)
GOLDEN_TEST(Q4_0)
GOLDEN_TEST(Q4_1)
GOLDEN_TEST(Q5_0)
GOLDEN_TEST(Q5_1)
GOLDEN_TEST(Q2_K)
GOLDEN_TEST(Q3_K_M)
GOLDEN_TEST(Q4_K_M)
GOLDEN_TEST(Q5_K_M)
GOLDEN_TEST(Q6_K)
GOLDEN_TEST(IQ4_NL)
GOLDEN_TEST(IQ4_XS)

static void golden_F32_greedy_reproduces_gen(void **state) {
    (void)state;
    check_greedy("F32");
}

static void golden_F16_greedy_reproduces_gen(void **state) {
    (void)state;
    check_greedy("F16");
}

/* A 20-byte file whose header claims 2^20 rows of 2^24 logits (64 TiB):
 * refused by its size, not by a failed (or, under a sanitizer, fatal)
 * allocation of what it claims. */
static void golden_header_larger_than_the_file_is_refused(void **state) {
    (void)state;
    char path[] = "/tmp/llamac-golden-XXXXXX", err[256];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    const unsigned char h[20] = {'L', 'G', 'L', 'D', 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 16, 0, 0, 0, 0, 0};
    assert_int_equal(fwrite(h, 1, sizeof h, f), sizeof h);
    fclose(f);
    golden g;
    assert_int_equal(golden_read(path, &g, err, sizeof err), -1);
    remove(path);
    if (!strstr(err, "differs from the")) fail_msg("message: %s", err);
    assert_null(g.logits);
}

int main(int argc, char **argv) {
    const struct CMUnitTest needs_shared[] = {
        cmocka_unit_test(golden_F32_matches_peer),    cmocka_unit_test(golden_F16_matches_peer),
        cmocka_unit_test(golden_BF16_matches_peer),   cmocka_unit_test(golden_Q8_0_matches_peer),
        cmocka_unit_test(golden_Q4_0_matches_peer),   cmocka_unit_test(golden_Q4_1_matches_peer),
        cmocka_unit_test(golden_Q5_0_matches_peer),   cmocka_unit_test(golden_Q5_1_matches_peer),
        cmocka_unit_test(golden_Q2_K_matches_peer),   cmocka_unit_test(golden_Q3_K_M_matches_peer),
        cmocka_unit_test(golden_Q4_K_M_matches_peer), cmocka_unit_test(golden_Q5_K_M_matches_peer),
        cmocka_unit_test(golden_Q6_K_matches_peer),   cmocka_unit_test(golden_IQ4_NL_matches_peer),
        cmocka_unit_test(golden_IQ4_XS_matches_peer), cmocka_unit_test(golden_F32_greedy_reproduces_gen),
        cmocka_unit_test(golden_F16_greedy_reproduces_gen),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_header_larger_than_the_file_is_refused),
    };
    if (test_part(argc, argv, "--shared")) return run_test_group(needs_shared, NULL, NULL);
    return run_test_group(tests, NULL, NULL);
}
