/* The public kernels choice of a context: validated, and honoured. */
#include "test_files.h"
#include "test_util.h"

#include "llamac.h"

#include <string.h>

/* Logits of the last token of a fixed prompt, with the given kernels. */
static void last_logits(llamac_model *m, llamac_kernels k, float *out) {
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 64;
    cp.n_threads = 2;
    cp.kernels = k;
    llamac_context *ctx = NULL;
    assert_int_equal(llamac_context_new(m, &cp, &ctx), LLAMAC_OK);
    llamac_batch b;
    assert_int_equal(llamac_batch_init(&b, 8, 1, NULL), LLAMAC_OK);
    const llamac_token toks[] = {1, 450, 439, 860, 289, 798};
    for (int i = 0; i < 6; i++) {
        llamac_seq_id s = 0;
        assert_int_equal(llamac_batch_add(&b, toks[i], i, &s, 1, i == 5), LLAMAC_OK);
    }
    assert_int_equal(llamac_decode(ctx, &b), LLAMAC_OK);
    const float *l = llamac_get_logits(ctx, 0);
    assert_non_null(l);
    memcpy(out, l, sizeof(float) * (size_t)llamac_model_n_vocab(m));
    llamac_batch_free(&b);
    llamac_context_free(ctx);
}

static void unknown_kernels_value_is_refused(void **state) {
    (void)state;
    llamac_model *m = test_load_shared_model("models/tiny-F32.gguf");
    if (!m) { skip(); return; }
    llamac_context_params cp = llamac_context_default_params();
    cp.n_ctx = 16;
    cp.kernels = (llamac_kernels)7;
    llamac_context *ctx = (llamac_context *)&cp; /* must be reset to NULL */
    assert_int_equal(llamac_context_new(m, &cp, &ctx), LLAMAC_ERR_INVALID_ARG);
    assert_null(ctx);
    assert_non_null(strstr(llamac_last_error(), "kernels"));
    llamac_model_free(m);
}

/* Q8_0's SIMD kernels reproduce the reference's float steps, so forcing
 * the scalar kernels must not change a single bit there; on F32 the
 * summation order differs, so only closeness holds. */
static void scalar_kernels_are_selectable_and_agree(void **state) {
    (void)state;
    llamac_model *m = test_load_shared_model("models/tiny-Q8_0.gguf");
    if (!m) { skip(); return; }
    int32_t n = llamac_model_n_vocab(m);
    float *a = malloc(sizeof(float) * (size_t)n), *b = malloc(sizeof(float) * (size_t)n);
    last_logits(m, LLAMAC_KERNELS_AUTO, a);
    last_logits(m, LLAMAC_KERNELS_SCALAR, b);
    assert_memory_equal(a, b, sizeof(float) * (size_t)n);
    free(a);
    free(b);
    llamac_model_free(m);
}

int main(void) {
    return run_cases(NULL, NULL,
                     unknown_kernels_value_is_refused,
                     scalar_kernels_are_selectable_and_agree);
}
