/* The AVX2 gemm entries must give, element by element, exactly the bits of
 * the AVX2 vec_dot of the same row and token: the matmul may run a token
 * through either (a batch of one, a split batch, another thread's share),
 * and logits must not depend on which. Covers every row length class
 * (block counts modulo the kernels' groups of four and pairs), token
 * counts around the tile width, padded strides, and rows too long for
 * gemm's stack buffer of activation scales. Skips loudly without AVX2. */
#include "test_util.h"

#include "kernels/avx2_kernels.h"
#include "test_kernels_simd_util.h"

static const llamac_type gemm_types[] = {
    LLAMAC_TYPE_Q4_0, LLAMAC_TYPE_Q8_0, LLAMAC_TYPE_Q5_0, LLAMAC_TYPE_Q4_1, LLAMAC_TYPE_Q5_1, LLAMAC_TYPE_IQ4_NL,
    LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_Q5_K, LLAMAC_TYPE_Q3_K, LLAMAC_TYPE_Q2_K, LLAMAC_TYPE_IQ4_XS,
    LLAMAC_TYPE_F32,  LLAMAC_TYPE_F16,  LLAMAC_TYPE_BF16,
};
#define N_GEMM_TYPES (sizeof gemm_types / sizeof gemm_types[0])

/* Runs gemm on n_rows x n_tok with padded strides and compares every
 * element (and the untouched padding) with vec_dot. */
static void check_gemm_of(llamac_type w, bool packed, int64_t n, int64_t n_rows, int64_t n_tok, uint64_t seed) {
    const lc_kernel_table *kt = simd_kernels(LLAMAC_KERNELS_AVX2);
    const lc_type_traits *tr = lc_kt_traits(kt, w);
    const lc_gemm_fn gemm = packed ? lc_kt_packed_gemm(kt, w) : lc_kt_gemm(kt, w);
    assert_non_null(gemm);
    const llamac_type act = tr->vec_dot_type;
    const size_t xs = simd_row_bytes(w, n) + 12, ys = simd_row_bytes(act, n) + 12; /* keep 4-byte alignment */
    const size_t os = (size_t)n_rows + 3;
    uint8_t *x = calloc((size_t)n_rows, xs), *y = calloc((size_t)n_tok, ys);
    float *out = malloc(os * (size_t)n_tok * sizeof *out);
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(out);
    simd_rng r = {seed};
    for (int64_t i = 0; i < n_rows; i++) assert_true(simd_random_row(w, n, 0.05f, &r, x + (size_t)i * xs));
    for (int64_t t = 0; t < n_tok; t++) assert_true(simd_random_row(act, n, 1.f, &r, y + (size_t)t * ys));
    for (size_t i = 0; i < os * (size_t)n_tok; i++) out[i] = -12345.f;
    if (packed) { /* the image of the (padded) rows, read with the unpadded row size */
        const size_t rs = simd_row_bytes(w, n);
        uint8_t *img = malloc((size_t)n_rows * rs);
        assert_non_null(img);
        assert_true(lc_pack8(w, x, xs, n_rows, n, img));
        gemm(n, n_rows, n_tok, img, rs, y, ys, out, os);
        free(img);
    } else {
        gemm(n, n_rows, n_tok, x, xs, y, ys, out, os);
    }
    for (int64_t t = 0; t < n_tok; t++) {
        for (int64_t i = 0; i < (int64_t)os; i++) {
            const float got = out[(size_t)t * os + (size_t)i];
            if (i >= n_rows) {
                assert_true(got == -12345.f); /* padding untouched */
                continue;
            }
            float want;
            tr->vec_dot(n, &want, x + (size_t)i * xs, y + (size_t)t * ys);
            if (memcmp(&got, &want, sizeof got) != 0)
                fail_msg("%s n=%lld rows=%lld toks=%lld: row %lld token %lld: gemm %.9g (0x%08x), vec_dot %.9g (0x%08x)",
                         llamac_type_name(w), (long long)n, (long long)n_rows, (long long)n_tok, (long long)i,
                         (long long)t, (double)got, lc_f32_bits(got), (double)want, lc_f32_bits(want));
        }
    }
    free(x);
    free(y);
    free(out);
}

static void check_gemm(llamac_type w, int64_t n, int64_t n_rows, int64_t n_tok, uint64_t seed) {
    check_gemm_of(w, false, n, n_rows, n_tok, seed);
}

/* Q4_0, Q8_0 and Q4_K packed at load: groups of 8 rows, every token path
 * (the few-token tiles with the one-token prefetch; the 32-row passes from
 * 9 (Q4_0) or 5 (Q4_K) tokens, with a short last pass), chunk edges (64
 * and 16 blocks). */
static void packed_gemms_are_bit_identical_to_vec_dot(void **state) {
    (void)state;
    if (!simd_have_avx2("packed gemm")) { skip(); return; }
    const llamac_type types[] = {LLAMAC_TYPE_Q4_0, LLAMAC_TYPE_Q8_0, LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_Q5_K,
                                 LLAMAC_TYPE_Q6_K};
    const int64_t toks[] = {1, 2, 3, 4, 5, 7, 8, 9, 31, 33, 70};
    const int64_t rows[] = {8, 24, 40, 128};
    uint64_t seed = 77;
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        const int64_t bs = llamac_type_block_size(types[k]), step = bs == 32 ? 16 : 3, max_nb = bs == 32 ? 81 : 7;
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
            for (size_t t = 0; t < sizeof toks / sizeof toks[0]; t++)
                for (int64_t nb = 1; nb <= max_nb; nb += step)
                    check_gemm_of(types[k], true, bs * nb, rows[r], toks[t], seed++);
        check_gemm_of(types[k], true, 5632, 16, 1, seed++);
        check_gemm_of(types[k], true, 5632, 48, 12, seed++);
    }
    /* no packed form for other types, nor in the scalar back end */
    assert_null(lc_kt_packed_gemm(simd_kernels(LLAMAC_KERNELS_AVX2), LLAMAC_TYPE_Q3_K));
    assert_null(lc_kt_packed_gemm(simd_kernels(LLAMAC_KERNELS_SCALAR), LLAMAC_TYPE_Q4_0));
    assert_false(lc_pack8(LLAMAC_TYPE_Q3_K, NULL, 0, 0, 0, NULL));
}

static void gemm_is_bit_identical_to_vec_dot_for_every_shape(void **state) {
    (void)state;
    if (!simd_have_avx2("gemm")) { skip(); return; }
    for (size_t k = 0; k < N_GEMM_TYPES; k++) {
        const int64_t bs = llamac_type_block_size(gemm_types[k]);
        if (bs == 1) { /* float rows: every tail (16-steps, a group of 8, scalars) and chunk edge */
            for (int64_t n = 1; n <= 40; n++)
                for (int64_t toks = 1; toks <= 7; toks++) check_gemm(gemm_types[k], n, 3, toks, 10 * n + toks);
            check_gemm(gemm_types[k], 1024 + 16 + 8 + 3, 5, 4, 1);
            check_gemm(gemm_types[k], 3000, 50, 7, 2); /* row blocks of 48, chunks of 1024 */
            /* one token: four rows a quarter of the call apart, then the remainder */
            const int64_t one_rows[] = {4, 5, 7, 8, 9, 13, 128, 131};
            const int64_t one_lens[] = {7, 8, 40, 2048 + 3};
            for (size_t r = 0; r < sizeof one_rows / sizeof one_rows[0]; r++)
                for (size_t l = 0; l < sizeof one_lens / sizeof one_lens[0]; l++)
                    check_gemm(gemm_types[k], one_lens[l], one_rows[r], 1, 1000 + 10 * r + l);
        } else {
            const int64_t max_nb = bs == 32 ? 9 : 3;
            for (int64_t nb = 1; nb <= max_nb; nb++)
                for (int64_t toks = 1; toks <= 9; toks++) check_gemm(gemm_types[k], nb * bs, 3, toks, 100 * nb + toks);
        }
        check_gemm(gemm_types[k], 2048, 17, 13, 7 + k);
        check_gemm(gemm_types[k], 5632, 5, 6, 8 + k);
        check_gemm(gemm_types[k], 768, 11, 70, 9 + k); /* past a group of 64 tokens, short row groups */
        check_gemm(gemm_types[k], 1280, 45, 37, 10 + k); /* two passes of 32 rows, the second short */
    }
}

/* Rows longer than the stack buffer of activation scales take the other
 * conversion path: still the same bits. */
static void gemm_on_very_long_rows_is_bit_identical_too(void **state) {
    (void)state;
    if (!simd_have_avx2("gemm")) { skip(); return; }
    for (size_t k = 0; k < N_GEMM_TYPES; k++) {
        const int64_t bs = llamac_type_block_size(gemm_types[k]);
        check_gemm(gemm_types[k], 32768 + bs * 5, 2, 5, 11 + k);
    }
}

static void gemm_of_nothing_writes_nothing(void **state) {
    (void)state;
    if (!simd_have_avx2("gemm")) { skip(); return; }
    float out[4] = {1.f, 2.f, 3.f, 4.f};
    for (size_t k = 0; k < N_GEMM_TYPES; k++) {
        const lc_gemm_fn gemm = lc_kt_gemm(simd_kernels(LLAMAC_KERNELS_AVX2), gemm_types[k]);
        gemm(64, 0, 4, NULL, 0, NULL, 0, out, 1);
        gemm(64, 4, 0, NULL, 0, NULL, 0, out, 1);
    }
    assert_true(out[0] == 1.f && out[3] == 4.f);
}

static void gemm_lookup_follows_the_backend(void **state) {
    (void)state;
    const lc_kernel_table *best = simd_kernels(LLAMAC_KERNELS_AUTO);
    for (int t = -1; t <= LLAMAC_TYPE_COUNT; t++)
        assert_null(lc_kt_gemm(simd_kernels(LLAMAC_KERNELS_SCALAR), (llamac_type)t));
    assert_null(lc_kt_gemm(best, LLAMAC_TYPE_Q8_K)); /* activation-only */
    assert_null(lc_kt_gemm(best, LLAMAC_TYPE_I32));
    assert_null(lc_kt_gemm(best, (llamac_type)-1));
    assert_null(lc_kt_gemm(best, LLAMAC_TYPE_COUNT));
    if (simd_kernels(LLAMAC_KERNELS_AVX2))
        for (size_t k = 0; k < N_GEMM_TYPES; k++) assert_non_null(lc_kt_gemm(best, gemm_types[k]));
}

int main(int argc, char **argv) {
    return run_parts(test_part(argc, argv, "--avx2"), NULL, NULL,
                     CASES(gemm_lookup_follows_the_backend),
                     CASES(gemm_is_bit_identical_to_vec_dot_for_every_shape,
                           gemm_on_very_long_rows_is_bit_identical_too, gemm_of_nothing_writes_nothing,
                           packed_gemms_are_bit_identical_to_vec_dot));
}
