/* Whole-model consequence of the exact-order kernels: on the tiny models
 * whose weights are all Q8_0 or K-quants, decoding with the AVX2 back end
 * gives the very logits of the scalar reference, at every prompt and
 * generated position (docs/kernels.md says why, and why the F16 attention
 * dot keeps other models from being identical everywhere). Skips loudly
 * without ../shared or without AVX2. */
#include "test_util.h"

#include "../tools/golden.h"
#include "test_kernels_simd_util.h"

static float *decode_with(llamac_model *model, const golden *ref, llamac_kernels kernels) {
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 128;
    cp.n_batch = 64;
    cp.n_threads = 2;
    cp.kernels = kernels;
    llamac_context *ctx = NULL;
    llamac_status st = llamac_context_new(model, &cp, &ctx);
    if (st != LLAMAC_OK) fail_msg("context: %s: %s", llamac_status_name(st), llamac_last_error());
    const size_t n = (size_t)(ref->n_prompt + ref->n_gen) * ref->n_vocab;
    float *logits = malloc(n * sizeof *logits);
    assert_non_null(logits);
    st = golden_decode(ctx, ref->prompt, ref->n_prompt, ref->gen, ref->n_gen, 0, logits);
    if (st != LLAMAC_OK) fail_msg("decode: %s: %s", llamac_status_name(st), llamac_last_error());
    llamac_context_free(ctx);
    return logits;
}

static void check_model(const char *type) {
    char mbuf[512], gbuf[512], rel[64], err[256];
    snprintf(rel, sizeof rel, "models/tiny-%s.gguf", type);
    const char *mpath = shared_path(mbuf, sizeof mbuf, rel);
    snprintf(rel, sizeof rel, "golden/tiny-%s.golden", type);
    const char *gpath = shared_path(gbuf, sizeof gbuf, rel);
    if (!mpath || !gpath) { skip(); return; }
    golden ref;
    if (golden_read(gpath, &ref, err, sizeof err) != 0) fail_msg("%s", err);
    llamac_model *model = NULL;
    llamac_status st = llamac_model_load(mpath, NULL, &model);
    if (st != LLAMAC_OK) fail_msg("loading %s: %s", mpath, llamac_last_error());
    float *fast = decode_with(model, &ref, LLAMAC_KERNELS_AVX2),
          *slow = decode_with(model, &ref, LLAMAC_KERNELS_SCALAR);
    for (uint32_t r = 0; r < ref.n_prompt + ref.n_gen; r++)
        for (uint32_t v = 0; v < ref.n_vocab; v++) {
            const size_t i = (size_t)r * ref.n_vocab + v;
            if (memcmp(&fast[i], &slow[i], sizeof(float)) != 0)
                fail_msg("tiny-%s position %u token %u: avx2 %.9g, scalar %.9g", type, r, v, (double)fast[i],
                         (double)slow[i]);
        }
    free(fast);
    free(slow);
    llamac_model_free(model);
    golden_free(&ref);
}

static void k_quant_and_q8_0_models_give_the_reference_logits(void **state) {
    (void)state;
    if (!simd_have_avx2("models")) { skip(); return; }
    const char *types[] = {"Q8_0", "Q4_K_M", "Q5_K_M", "Q6_K", "Q2_K", "IQ4_XS"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) check_model(types[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(k_quant_and_q8_0_models_give_the_reference_logits),
    };
    return run_test_group(tests, NULL, NULL);
}
