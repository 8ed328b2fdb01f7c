/* llamac_quantize_rows: every encoder's error stays within what its bit
 * budget allows, zero stays zero, and bad arguments are refused. */
#include "test_util.h"

#include "kernels/kernels.h"
#include "quantize/quantize.h"
#include "common/rng.h"

#include <math.h>
#include <string.h>

#define N_ROWS 64
#define N_PER_ROW 1024

/* Standard normal samples (Box-Muller), reproducible. */
static void gaussian(float *x, int64_t n, uint64_t seed) {
    lc_rng r;
    lc_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i += 2) {
        const double m = sqrt(-2.0 * log(1.0 - lc_rng_uniform(&r)));
        const double a = 6.283185307179586 * lc_rng_uniform(&r);
        x[i] = (float)(m * cos(a));
        if (i + 1 < n) x[i + 1] = (float)(m * sin(a));
    }
}

/* RMS of (decode(encode(x)) - x) over RMS of x. */
static double relative_rmse(llamac_type type, const float *x, int64_t n_rows, int64_t n_per_row) {
    const size_t bytes = lc_quant_row_bytes(type, n_per_row) * (size_t)n_rows;
    void *q = malloc(bytes);
    float *y = malloc((size_t)(n_rows * n_per_row) * sizeof *y);
    assert_non_null(q);
    assert_non_null(y);
    size_t written = 0;
    assert_int_equal(llamac_quantize_rows(type, x, n_rows, n_per_row, q, bytes, &written), LLAMAC_OK);
    assert_int_equal(written, bytes);
    lc_quant_decoder(type)(q, y, n_rows * n_per_row);
    double err = 0, ref = 0;
    for (int64_t i = 0; i < n_rows * n_per_row; i++) {
        err += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
        ref += (double)x[i] * x[i];
    }
    free(q);
    free(y);
    return sqrt(err / ref);
}

/* Bounds from the step sizes, for standard normal data (sigma 1): a
 * rounding quantizer of step s errs by s / sqrt(12) RMS. The largest of 16
 * or 32 normal samples is about 2-2.5 sigma, a group's range about 4-5.
 *   Q8_0   step amax/127 over 32          ~0.006
 *   Q6_K   step amax/32 over 16           ~0.018
 *   Q5_0/1 step amax/16, range/31         ~0.045
 *   Q5_K   range/31 over 32               ~0.042
 *   Q4_0/1 step amax/8, range/15          ~0.09
 *   Q4_K   range/15 over 32               ~0.087
 *   IQ4_*  16 non-uniform levels          ~ Q4_0
 *   Q3_K   step amax/4 over 16            ~0.14
 *   Q2_K   range/3 over 16                ~0.34
 *   F16    rounding to 11 significant bits: relative error at most 2^-11,
 *          RMS below 2^-11 / sqrt(3) = 2.8e-4; BF16 (8 bits) below 2.3e-3
 * The quantized types' limits add about a third for group-to-group spread. The
 * searches of the K-quants only lower the error, so the limits hold for
 * plain rounding too; a broken search or scale packing exceeds them by
 * far. */
static const struct {
    llamac_type type;
    double max;
} bounds[] = {
    {LLAMAC_TYPE_F32, 0.0},      {LLAMAC_TYPE_F16, 2.8e-4},   {LLAMAC_TYPE_BF16, 2.3e-3},
    {LLAMAC_TYPE_Q8_0, 0.008},   {LLAMAC_TYPE_Q6_K, 0.025},   {LLAMAC_TYPE_Q5_0, 0.06},
    {LLAMAC_TYPE_Q5_1, 0.06},    {LLAMAC_TYPE_Q5_K, 0.055},   {LLAMAC_TYPE_Q4_0, 0.12},
    {LLAMAC_TYPE_Q4_1, 0.12},    {LLAMAC_TYPE_Q4_K, 0.115},   {LLAMAC_TYPE_IQ4_NL, 0.12},
    {LLAMAC_TYPE_IQ4_XS, 0.12},  {LLAMAC_TYPE_Q3_K, 0.19},    {LLAMAC_TYPE_Q2_K, 0.45},
};

static void every_encoder_error_is_within_its_bit_budget(void **state) {
    (void)state;
    float *x = malloc(N_ROWS * N_PER_ROW * sizeof *x);
    assert_non_null(x);
    gaussian(x, N_ROWS * N_PER_ROW, 1234);
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        const double e = relative_rmse(bounds[i].type, x, N_ROWS, N_PER_ROW);
        print_message("%-7s relative RMSE %.5f (limit %.5f)\n", llamac_type_name(bounds[i].type), e,
                      bounds[i].max);
        if (!(e <= bounds[i].max))
            fail_msg("%s: relative RMSE %.5f exceeds %.5f", llamac_type_name(bounds[i].type), e,
                     bounds[i].max);
    }
    free(x);
}

/* More bits never hurt: within one family the error falls as bits rise. */
static void error_falls_as_bits_rise(void **state) {
    (void)state;
    float *x = malloc(N_ROWS * N_PER_ROW * sizeof *x);
    assert_non_null(x);
    gaussian(x, N_ROWS * N_PER_ROW, 99);
    const llamac_type k_family[] = {LLAMAC_TYPE_Q2_K, LLAMAC_TYPE_Q3_K, LLAMAC_TYPE_Q4_K,
                                    LLAMAC_TYPE_Q5_K, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_Q8_0};
    double prev = INFINITY;
    for (size_t i = 0; i < sizeof k_family / sizeof k_family[0]; i++) {
        const double e = relative_rmse(k_family[i], x, N_ROWS, N_PER_ROW);
        if (!(e < prev)) fail_msg("%s errs %.5f, not below the previous %.5f", llamac_type_name(k_family[i]), e, prev);
        prev = e;
    }
    /* the searched IQ4_NL beats the plain nearest-level IQ4_NL encoder */
    const size_t bytes = lc_quant_row_bytes(LLAMAC_TYPE_IQ4_NL, N_PER_ROW) * N_ROWS;
    void *q = malloc(bytes);
    float *y = malloc(N_ROWS * N_PER_ROW * sizeof *y);
    lc_scalar_traits(LLAMAC_TYPE_IQ4_NL)->from_float(x, q, N_ROWS * N_PER_ROW);
    lc_quant_decoder(LLAMAC_TYPE_IQ4_NL)(q, y, N_ROWS * N_PER_ROW);
    double err = 0, ref = 0;
    for (int i = 0; i < N_ROWS * N_PER_ROW; i++) {
        err += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
        ref += (double)x[i] * x[i];
    }
    assert_true(relative_rmse(LLAMAC_TYPE_IQ4_NL, x, N_ROWS, N_PER_ROW) < sqrt(err / ref));
    free(q);
    free(y);
    free(x);
}

/* All-zero groups (and tiny ones below ggml's 1e-15 threshold) decode to
 * exactly zero in every encoding: a broken all-zero path shows as NaN. */
static void zero_rows_decode_to_zero(void **state) {
    (void)state;
    float x[512] = {0}, y[512];
    for (int i = 256; i < 512; i++) x[i] = 1e-20f * (float)(i % 7 - 3);
    uint8_t q[4096];
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        const llamac_type t = bounds[i].type;
        assert_int_equal(llamac_quantize_rows(t, x, 1, 512, q, sizeof q, NULL), LLAMAC_OK);
        lc_quant_decoder(t)(q, y, 512);
        for (int k = 0; k < 256; k++)
            if (y[k] != 0.f) fail_msg("%s: element %d decodes to %g", llamac_type_name(t), k, (double)y[k]);
        for (int k = 256; k < 512; k++)
            if (!(fabsf(y[k]) <= 1e-19f)) fail_msg("%s: element %d decodes to %g", llamac_type_name(t), k, (double)y[k]);
    }
}

/* The extremes of a group are reproduced closely: the scale search must not
 * clip the largest value of a group away. */
static void group_extremes_survive(void **state) {
    (void)state;
    float x[256], y[256];
    uint8_t q[1024];
    for (int i = 0; i < 256; i++) x[i] = 0.01f * (float)((i * 37) % 11 - 5);
    x[17] = 3.f;
    x[200] = -2.5f;
    const llamac_type types[] = {LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_Q5_K, LLAMAC_TYPE_Q6_K,
                                 LLAMAC_TYPE_Q3_K, LLAMAC_TYPE_Q2_K, LLAMAC_TYPE_IQ4_XS};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        assert_int_equal(llamac_quantize_rows(types[i], x, 1, 256, q, sizeof q, NULL), LLAMAC_OK);
        lc_quant_decoder(types[i])(q, y, 256);
        if (fabsf(y[17] - 3.f) > 0.5f || fabsf(y[200] + 2.5f) > 0.5f)
            fail_msg("%s: 3 -> %g, -2.5 -> %g", llamac_type_name(types[i]), (double)y[17], (double)y[200]);
    }
}

static void bad_arguments_are_refused(void **state) {
    (void)state;
    float x[256] = {0};
    uint8_t q[512];
    size_t written = 7;
    assert_int_equal(llamac_quantize_rows(LLAMAC_TYPE_Q4_K, x, 1, 128, q, sizeof q, &written),
                     LLAMAC_ERR_INVALID_ARG);
    assert_non_null(strstr(llamac_last_error(), "128"));
    assert_int_equal(written, 0);
    assert_int_equal(llamac_quantize_rows(LLAMAC_TYPE_Q8_0, x, 8, 32, q, 8 * 34 - 1, &written),
                     LLAMAC_ERR_BUFFER_TOO_SMALL);
    assert_non_null(strstr(llamac_last_error(), "272"));
    assert_int_equal(written, 8 * 34); /* the size needed */
    assert_int_equal(llamac_quantize_rows(LLAMAC_TYPE_IQ2_XXS, x, 1, 256, q, sizeof q, NULL),
                     LLAMAC_ERR_UNSUPPORTED);
    assert_int_equal(llamac_quantize_rows((llamac_type)4, x, 1, 256, q, sizeof q, NULL),
                     LLAMAC_ERR_UNSUPPORTED);
    assert_int_equal(llamac_quantize_rows(LLAMAC_TYPE_Q8_0, NULL, 1, 32, q, sizeof q, NULL),
                     LLAMAC_ERR_INVALID_ARG);
    assert_int_equal(llamac_quantize_rows(LLAMAC_TYPE_Q8_0, x, -1, 32, q, sizeof q, NULL),
                     LLAMAC_ERR_INVALID_ARG);
    /* nothing to do is fine */
    assert_int_equal(llamac_quantize_rows(LLAMAC_TYPE_Q8_0, NULL, 0, 32, NULL, 0, &written), LLAMAC_OK);
    assert_int_equal(written, 0);
}

/* Rows are independent: encoding a block alone or among others gives the
 * same bytes (the model quantizer splits rows across threads). */
static void rows_encode_independently(void **state) {
    (void)state;
    float *x = malloc(8 * 512 * sizeof *x);
    assert_non_null(x);
    gaussian(x, 8 * 512, 5);
    const llamac_type types[] = {LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_IQ4_XS, LLAMAC_TYPE_Q4_0};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const size_t row = lc_quant_row_bytes(types[i], 512);
        uint8_t all[8 * 512], one[512];
        assert_int_equal(llamac_quantize_rows(types[i], x, 8, 512, all, sizeof all, NULL), LLAMAC_OK);
        for (int r = 0; r < 8; r++) {
            assert_int_equal(llamac_quantize_rows(types[i], x + 512 * r, 1, 512, one, sizeof one, NULL), LLAMAC_OK);
            assert_memory_equal(one, all + row * (size_t)r, row);
        }
    }
    free(x);
}

int main(void) {
    return run_cases(NULL, NULL,
                     every_encoder_error_is_within_its_bit_budget,
                     error_falls_as_bits_rise,
                     zero_rows_decode_to_zero,
                     group_extremes_survive,
                     bad_arguments_are_refused,
                     rows_encode_independently);
}
