/* Logits do not depend on how the work is cut: bit-identical for any thread
 * count, and for a prompt decoded in one batch or in chunks of 1, 3 and 7
 * tokens. Checked on synthetic models of three weight encodings (float,
 * half, and an int8-activation quantized one) and, when ../shared is there,
 * on the tiny Q4_K_M model; with every kernel back end this CPU runs. */
#include "decode_util.h"

#include "../tools/golden.h"
#include "kernels/backend.h"

#include <math.h>
#include <string.h>

#define N_PROMPT 20
#define N_GEN 4

/* Synthetic spec big enough that matmuls and attention split unevenly. */
static void spec_for(tm_spec *s, llamac_type wtype) {
    tm_spec_default(s);
    s->n_embd = 64;
    s->n_head = 4;
    s->n_head_kv = 2;
    s->n_ff = 96;
    s->n_vocab = 96;
    s->wtype = wtype;
    s->seed = 7 + (uint64_t)wtype;
}

/* All rows (prompt, then each gen token alone) with a given cut. */
static float *run(const du_model *m, llamac_kernels kernels, int32_t n_threads, int32_t chunk) {
    llamac_token toks[N_PROMPT + N_GEN];
    du_tokens(toks, N_PROMPT + N_GEN, m->n_vocab, 3);
    llamac_context_params p = llamac_context_default_params();
    p.n_ctx = 64;
    p.n_batch = N_PROMPT;
    p.n_threads = n_threads;
    p.kernels = kernels;
    llamac_context *ctx = NULL;
    if (llamac_context_new(m->model, &p, &ctx) != LLAMAC_OK) fail_msg("context: %s", llamac_last_error());
    float *out = malloc((size_t)(N_PROMPT + N_GEN) * (size_t)m->n_vocab * sizeof(float));
    assert_non_null(out);
    llamac_status st = golden_decode(ctx, toks, N_PROMPT, toks + N_PROMPT, N_GEN, chunk, out);
    if (st != LLAMAC_OK) fail_msg("decode: %s", llamac_last_error());
    llamac_context_free(ctx);
    return out;
}

static void check_backend(const du_model *m, llamac_kernels backend) {
    const size_t n = (size_t)(N_PROMPT + N_GEN) * (size_t)m->n_vocab;
    float *ref = run(m, backend, 1, 0);
    /* A broken pass (NaN, constant rows) would compare equal to itself. */
    double sum = 0.0, sum2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        assert_true(isfinite(ref[i]));
        sum += ref[i];
        sum2 += (double)ref[i] * ref[i];
    }
    const double mean = sum / (double)n;
    assert_true(sum2 / (double)n - mean * mean > 0.25);
    for (int32_t t = 2; t <= 3; t++) {
        float *other = run(m, backend, t, 0);
        char what[64];
        snprintf(what, sizeof what, "%s kernels: %d threads vs 1", lc_kernels_name(backend), t);
        du_assert_same_bits(ref, other, n, what);
        free(other);
    }
    const int32_t chunks[] = {1, 3, 7};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        float *other = run(m, backend, 2, chunks[i]);
        char what[64];
        snprintf(what, sizeof what, "%s kernels: chunks of %d vs one batch", lc_kernels_name(backend), chunks[i]);
        du_assert_same_bits(ref, other, n, what);
        free(other);
    }
    free(ref);
}

static void check_model(const du_model *m) {
    lc_kernel_table simd;
    check_backend(m, LLAMAC_KERNELS_SCALAR);
    if (lc_kernels_resolve(LLAMAC_KERNELS_AVX2, &simd)) check_backend(m, LLAMAC_KERNELS_AVX2);
    if (lc_kernels_resolve(LLAMAC_KERNELS_AVX512, &simd)) check_backend(m, LLAMAC_KERNELS_AVX512);
}

static void check_synthetic(llamac_type wtype) {
    tm_spec s;
    spec_for(&s, wtype);
    du_model m;
    du_model_open(&m, &s);
    check_model(&m);
    du_model_close(&m);
}

static void f32_logits_do_not_depend_on_threads_or_chunks(void **state) {
    (void)state;
    check_synthetic(LLAMAC_TYPE_F32);
}

static void f16_logits_do_not_depend_on_threads_or_chunks(void **state) {
    (void)state;
    check_synthetic(LLAMAC_TYPE_F16);
}

static void q4_0_logits_do_not_depend_on_threads_or_chunks(void **state) {
    (void)state;
    check_synthetic(LLAMAC_TYPE_Q4_0);
}

static void tiny_q4_k_m_logits_do_not_depend_on_threads_or_chunks(void **state) {
    (void)state;
    du_model m;
    if (!du_model_open_shared(&m, "tiny-Q4_K_M.gguf")) {
        skip();
        return;
    }
    check_model(&m);
    du_model_close(&m);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(f32_logits_do_not_depend_on_threads_or_chunks),
        cmocka_unit_test(f16_logits_do_not_depend_on_threads_or_chunks),
        cmocka_unit_test(q4_0_logits_do_not_depend_on_threads_or_chunks),
    };
    const struct CMUnitTest needs_shared[] = {
        cmocka_unit_test(tiny_q4_k_m_logits_do_not_depend_on_threads_or_chunks),
    };
    if (test_part(argc, argv, "--shared")) return run_test_group(needs_shared, NULL, NULL);
    return run_test_group(tests, NULL, NULL);
}
