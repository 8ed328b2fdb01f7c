/* Decoding real files: every tensor of ../shared/models/tiny-<TYPE>.gguf,
 * decoded by the scalar reference, against the same tensor of
 * tiny-F32.gguf (the quantized files were made from those weights).
 *
 * - F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1: the files were written with
 *   ggml's round-to-nearest rules, so re-encoding the F32 weights with our
 *   reference encoders must reproduce the file's bytes exactly.
 * - every type: the decoded weights are close to the F32 ones. The bounds
 *   on relative RMS error (error RMS / weight RMS over all tensors of that
 *   type) are the textbook size of each encoding's rounding for
 *   Gaussian-like weights, about step / sqrt(12) with the step of its grid,
 *   with margin: a wrong layout gives errors of order 1. */
#include "test_files.h"
#include "test_util.h"

#include "kernels/kernels.h"

#include <math.h>
#include <string.h>

typedef struct type_error {
    llamac_type type;
    double max_rel_rms; /* bound on sqrt(sum err^2 / sum w^2) */
    double max_rel_mae; /* bound on sum |err| / sum |w| */
} type_error;

static const type_error bounds[] = {
    {LLAMAC_TYPE_F16, 1e-3, 1e-3},    {LLAMAC_TYPE_BF16, 5e-3, 5e-3},
    {LLAMAC_TYPE_Q8_0, 0.01, 0.01},   {LLAMAC_TYPE_Q6_K, 0.03, 0.03},
    {LLAMAC_TYPE_Q5_0, 0.05, 0.05},   {LLAMAC_TYPE_Q5_1, 0.05, 0.05},
    {LLAMAC_TYPE_Q5_K, 0.05, 0.05},   {LLAMAC_TYPE_Q4_0, 0.12, 0.12},
    {LLAMAC_TYPE_Q4_1, 0.12, 0.12},   {LLAMAC_TYPE_Q4_K, 0.12, 0.12},
    {LLAMAC_TYPE_IQ4_NL, 0.12, 0.12}, {LLAMAC_TYPE_IQ4_XS, 0.12, 0.12},
    {LLAMAC_TYPE_Q3_K, 0.25, 0.25},   {LLAMAC_TYPE_Q2_K, 0.45, 0.45},
};

static const type_error *bound_of(llamac_type t) {
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++)
        if (bounds[i].type == t) return &bounds[i];
    return NULL;
}

/* Types whose file bytes come from ggml's deterministic reference encoders. */
static bool reencodes_exactly(llamac_type t) {
    return t == LLAMAC_TYPE_F16 || t == LLAMAC_TYPE_BF16 || t == LLAMAC_TYPE_Q8_0 ||
           t == LLAMAC_TYPE_Q4_0 || t == LLAMAC_TYPE_Q4_1 || t == LLAMAC_TYPE_Q5_0 ||
           t == LLAMAC_TYPE_Q5_1;
}

typedef struct err_sums {
    double e2, w2, ae, aw;
    int64_t n_tensors;
} err_sums;

static void check_file(const char *suffix) {
    char name[64];
    snprintf(name, sizeof name, "models/tiny-%s.gguf", suffix);
    llamac_gguf *ref = test_open_shared_gguf("models/tiny-F32.gguf");
    if (!ref) {
        skip();
        return;
    }
    llamac_gguf *q = test_open_shared_gguf(name);
    if (!q) {
        llamac_gguf_free(ref);
        skip();
        return;
    }
    err_sums sums[LLAMAC_TYPE_COUNT];
    memset(sums, 0, sizeof sums);
    int64_t n_quantized = 0;
    for (int64_t i = 0; i < llamac_gguf_n_tensors(q); i++) {
        llamac_tensor_info ti, tr;
        assert_int_equal(llamac_gguf_tensor(q, i, &ti), LLAMAC_OK);
        if (ti.type == LLAMAC_TYPE_F32) continue;
        const int64_t j = llamac_gguf_find_tensor(ref, ti.name);
        if (j < 0) fail_msg("%s: tensor %s absent from tiny-F32.gguf", name, ti.name);
        assert_int_equal(llamac_gguf_tensor(ref, j, &tr), LLAMAC_OK);
        assert_int_equal(tr.type, LLAMAC_TYPE_F32);
        int64_t n = 1;
        for (int d = 0; d < 4; d++) {
            assert_int_equal(ti.ne[d], tr.ne[d]);
            n *= ti.ne[d];
        }
        const lc_type_traits *t = lc_scalar_traits(ti.type);
        const type_error *b = bound_of(ti.type);
        if (!t || !b) fail_msg("%s: tensor %s has type %s, not computable", name, ti.name, llamac_type_name(ti.type));

        float *w = malloc((size_t)n * sizeof *w), *dq = malloc((size_t)n * sizeof *dq);
        assert_non_null(w);
        assert_non_null(dq);
        memcpy(w, tr.data, (size_t)n * sizeof *w);
        t->to_float(ti.data, dq, n);
        err_sums *s = &sums[ti.type];
        for (int64_t k = 0; k < n; k++) {
            const double e = (double)dq[k] - (double)w[k];
            s->e2 += e * e;
            s->w2 += (double)w[k] * w[k];
            s->ae += fabs(e);
            s->aw += fabs((double)w[k]);
        }
        s->n_tensors++;
        n_quantized++;

        if (reencodes_exactly(ti.type)) {
            uint8_t *enc = malloc((size_t)ti.n_bytes);
            assert_non_null(enc);
            t->from_float(w, enc, n);
            for (uint64_t k = 0; k < ti.n_bytes; k++)
                if (enc[k] != ((const uint8_t *)ti.data)[k])
                    fail_msg("%s: tensor %s (%s) byte %llu: re-encoded 0x%02x, file has 0x%02x", name, ti.name,
                             llamac_type_name(ti.type), (unsigned long long)k, enc[k],
                             ((const uint8_t *)ti.data)[k]);
            free(enc);
        }
        free(w);
        free(dq);
    }
    assert_true(n_quantized > 0);
    for (int ty = 0; ty < LLAMAC_TYPE_COUNT; ty++) {
        const err_sums *s = &sums[ty];
        if (!s->n_tensors) continue;
        const type_error *b = bound_of((llamac_type)ty);
        const double rel_rms = sqrt(s->e2 / s->w2), rel_mae = s->ae / s->aw;
        print_message("%-12s %-7s %2lld tensors: relative RMS error %.5f, relative mean abs error %.5f\n", name,
                      llamac_type_name((llamac_type)ty), (long long)s->n_tensors, rel_rms, rel_mae);
        if (!(rel_rms <= b->max_rel_rms) || !(rel_mae <= b->max_rel_mae))
            fail_msg("%s: %s tensors decode with relative RMS error %.4f (bound %.3g), mean abs %.4f (bound %.3g)",
                     name, llamac_type_name((llamac_type)ty), rel_rms, b->max_rel_rms, rel_mae, b->max_rel_mae);
    }
    llamac_gguf_free(q);
    llamac_gguf_free(ref);
}

#define FILE_TEST(suffix)                                                    \
    static void tiny_##suffix##_decodes_close_to_f32_weights(void **state) { \
        (void)state;                                                         \
        check_file(#suffix);                                                 \
    }

FILE_TEST(F16)
FILE_TEST(BF16)
FILE_TEST(Q8_0)
FILE_TEST(Q4_0)
FILE_TEST(Q4_1)
FILE_TEST(Q5_0)
FILE_TEST(Q5_1)
FILE_TEST(Q2_K)
FILE_TEST(Q3_K_M)
FILE_TEST(Q4_K_M)
FILE_TEST(Q5_K_M)
FILE_TEST(Q6_K)
FILE_TEST(IQ4_NL)
FILE_TEST(IQ4_XS)

int main(void) {
    return run_cases(NULL, NULL,
                     tiny_F16_decodes_close_to_f32_weights,
                     tiny_BF16_decodes_close_to_f32_weights,
                     tiny_Q8_0_decodes_close_to_f32_weights,
                     tiny_Q4_0_decodes_close_to_f32_weights,
                     tiny_Q4_1_decodes_close_to_f32_weights,
                     tiny_Q5_0_decodes_close_to_f32_weights,
                     tiny_Q5_1_decodes_close_to_f32_weights,
                     tiny_Q2_K_decodes_close_to_f32_weights,
                     tiny_Q3_K_M_decodes_close_to_f32_weights,
                     tiny_Q4_K_M_decodes_close_to_f32_weights,
                     tiny_Q5_K_M_decodes_close_to_f32_weights,
                     tiny_Q6_K_decodes_close_to_f32_weights,
                     tiny_IQ4_NL_decodes_close_to_f32_weights,
                     tiny_IQ4_XS_decodes_close_to_f32_weights);
}
