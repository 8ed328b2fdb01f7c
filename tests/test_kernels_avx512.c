/* The AVX-512 back end against the scalar reference and the AVX2 back
 * end. Its packed kernels are for exact-order formats (docs/kernels.md),
 * so every element must be the reference vec_dot's bits: each packed gemm is run on lc_pack8's image of
 * random rows, over row counts that end on a whole and on a half register
 * of 16 rows, every token count of the 8-token tile and past it, block
 * counts across the 64-block chunk edge, and extreme codes. Its float
 * gemms keep the AVX2 order, so every element must be AVX2's bits. The table's
 * wiring (parent, needs, dispatch) is checked everywhere; the kernels only
 * on a CPU with AVX-512 F/BW/VL and VNNI (the `--avx512` part, which skips
 * loudly elsewhere). */
#include "test_util.h"

#include "kernels/avx2_kernels.h"
#include "kernels/avx512_kernels.h"
#include "kernels/cpu.h"
#include "test_kernels_simd_util.h"

/* ---- wiring, on every CPU ---- */

static void avx512_table_is_wired_into_dispatch(void **state) {
    (void)state;
    assert_ptr_equal(lc_avx512_kernels.parent, &lc_avx2_kernels);
    assert_int_equal(lc_avx512_kernels.needs, LC_CPU_AVX512 | LC_CPU_AVX512_VNNI);
    assert_ptr_equal(lc_kernel_table_for(LLAMAC_KERNELS_AVX512), &lc_avx512_kernels);
    assert_string_equal(lc_kernel_table_name(&lc_avx512_kernels), "avx512");
    llamac_kernels k = LLAMAC_KERNELS_AUTO;
    assert_true(lc_kernels_parse("avx512", &k));
    assert_int_equal(k, LLAMAC_KERNELS_AVX512);
    /* it runs exactly where the CPU has its features and its parent's */
    const bool runs = lc_cpu_has(LC_CPU_AVX512 | LC_CPU_AVX512_VNNI | LC_CPU_AVX2_FMA_F16C);
    assert_int_equal(lc_kernel_table_runs_here(&lc_avx512_kernels), runs);
    lc_kernel_table t;
    assert_int_equal(lc_kernels_resolve(LLAMAC_KERNELS_AVX512, &t), runs);
    if (runs) { /* AUTO is then AVX-512, and its resolved table keeps the parent's entries */
        assert_ptr_equal(lc_kernel_table_for(LLAMAC_KERNELS_AUTO), &lc_avx512_kernels);
        assert_ptr_equal(t.packed_gemm[LLAMAC_TYPE_Q4_0], lc_gemm_q4_0x8_q8_0_avx512);
        assert_ptr_equal(t.packed_gemm[LLAMAC_TYPE_Q6_K], lc_gemm_q6_Kx8_q8_K_avx512);
        assert_ptr_equal(t.gemm[LLAMAC_TYPE_Q4_0], lc_gemm_q4_0_q8_0_avx2);
        assert_ptr_equal(t.gemm[LLAMAC_TYPE_F16], lc_gemm_f16_short_avx512);
        assert_ptr_equal(t.traits[LLAMAC_TYPE_F16].vec_dot, lc_vec_dot_f16_avx2);
        assert_ptr_equal(t.traits[LLAMAC_TYPE_Q8_0].vec_dot, lc_vec_dot_q8_0_q8_0_avx2);
        assert_ptr_equal(t.exp, lc_exp_avx2);
    }
}

/* ---- kernels, on an AVX-512 CPU ---- */

static const lc_kernel_table *avx512_or_skip(const char *what) {
    const lc_kernel_table *k = simd_kernels(LLAMAC_KERNELS_AVX512);
    if (!k) fprintf(stderr, "SKIP: %s: this CPU (or build) has no AVX-512 F/BW/VL + VNNI\n", what);
    return k;
}

/* Row contents for check_packed. */
typedef enum fill { FILL_RANDOM, FILL_EXTREME } fill;

/* Writes the extreme block of `type` (largest codes of either sign, large
 * scale) into each block of the row; `neg` picks the sign. */
static void extreme_row(llamac_type type, int64_t n, bool neg, uint8_t *row) {
    const int64_t bs = llamac_type_block_size(type), nb = n / bs;
    const size_t bb = llamac_type_block_bytes(type);
    for (int64_t b = 0; b < nb; b++) {
        uint8_t *blk = row + (size_t)b * bb;
        switch (type) {
        case LLAMAC_TYPE_Q4_0: { /* codes 0 or 15: -8 or +7 */
            lc_block_q4_0 *x = (lc_block_q4_0 *)blk;
            x->d = lc_fp32_to_fp16(3.f);
            memset(x->qs, neg ? 0x00 : 0xff, sizeof x->qs);
            break;
        }
        case LLAMAC_TYPE_Q8_0: {
            lc_block_q8_0 *x = (lc_block_q8_0 *)blk;
            x->d = lc_fp32_to_fp16(3.f);
            memset(x->qs, neg ? 0x80 : 0x7f, sizeof x->qs);
            break;
        }
        default: { /* K-quants: every byte at its top, the super-block scales sane */
            memset(blk, neg ? 0x00 : 0xff, bb);
            if (type == LLAMAC_TYPE_Q6_K) /* int8 scales at either end: -32 sc then spans int16's */
                memset(((lc_block_q6_K *)blk)->scales, neg ? 0x80 : 0x7f, sizeof ((lc_block_q6_K *)blk)->scales);
            assert_true(simd_set_k_scales(type, blk, neg ? -0.5f : 0.5f, 0.25f));
            break;
        }
        }
    }
}

/* packed_gemm of `type` (gemm on the rows as they are when !packed) on
 * n_rows x n_tok (padded strides, the output's padding watched) against
 * the reference vec_dot, bit for bit. */
static void check_quant(const lc_kernel_table *kt, llamac_type w, int64_t n, int64_t n_rows, int64_t n_tok,
                        fill how, uint64_t seed, bool packed) {
    const lc_gemm_fn gemm = packed ? lc_kt_packed_gemm(kt, w) : lc_kt_gemm(kt, w);
    assert_non_null(gemm);
    const lc_type_traits *ref = lc_scalar_traits(w);
    const llamac_type act = ref->vec_dot_type;
    const size_t rs = simd_row_bytes(w, n), ys = simd_row_bytes(act, n) + 12, os = (size_t)n_rows + 3;
    uint8_t *x = calloc((size_t)n_rows, rs), *img = malloc((size_t)n_rows * rs), *y = calloc((size_t)n_tok, ys);
    float *out = malloc(os * (size_t)n_tok * sizeof *out);
    assert_non_null(x);
    assert_non_null(img);
    assert_non_null(y);
    assert_non_null(out);
    simd_rng r = {seed};
    for (int64_t i = 0; i < n_rows; i++) {
        if (how == FILL_EXTREME) extreme_row(w, n, i % 2, x + (size_t)i * rs);
        else assert_true(simd_random_row(w, n, 0.05f, &r, x + (size_t)i * rs));
    }
    for (int64_t t = 0; t < n_tok; t++) {
        uint8_t *yt = y + (size_t)t * ys;
        if (how == FILL_EXTREME) { /* activations at -128 / +127 against the extreme weights */
            float *f = malloc((size_t)n * sizeof *f);
            assert_non_null(f);
            for (int64_t i = 0; i < n; i++) f[i] = (t + i / 7) % 2 ? 100.f : -100.f;
            lc_scalar_traits(act)->from_float(f, yt, n);
            free(f);
        } else {
            assert_true(simd_random_row(act, n, 1.f, &r, yt));
        }
    }
    for (size_t i = 0; i < os * (size_t)n_tok; i++) out[i] = -12345.f;
    if (packed) assert_true(lc_pack8(w, x, rs, n_rows, n, img));
    else memcpy(img, x, (size_t)n_rows * rs);
    gemm(n, n_rows, n_tok, img, rs, y, ys, out, os);
    for (int64_t t = 0; t < n_tok; t++) {
        for (int64_t i = 0; i < (int64_t)os; i++) {
            const float got = out[(size_t)t * os + (size_t)i];
            if (i >= n_rows) {
                if (got != -12345.f) fail_msg("%s: padding at row %lld token %lld written", llamac_type_name(w),
                                              (long long)i, (long long)t);
                continue;
            }
            float want;
            ref->vec_dot(n, &want, x + (size_t)i * rs, y + (size_t)t * ys);
            if (memcmp(&got, &want, sizeof got) != 0)
                fail_msg("%s n=%lld rows=%lld toks=%lld: row %lld token %lld: avx512 %.9g (0x%08x), scalar %.9g "
                         "(0x%08x)",
                         llamac_type_name(w), (long long)n, (long long)n_rows, (long long)n_tok, (long long)i,
                         (long long)t, (double)got, lc_f32_bits(got), (double)want, lc_f32_bits(want));
        }
    }
    free(x);
    free(img);
    free(y);
    free(out);
}

static void check_packed(const lc_kernel_table *kt, llamac_type w, int64_t n, int64_t n_rows, int64_t n_tok,
                         fill how, uint64_t seed) {
    check_quant(kt, w, n, n_rows, n_tok, how, seed, true);
}

static void packed_q4_0_and_q8_0_give_the_reference_bits(void **state) {
    (void)state;
    const lc_kernel_table *kt = avx512_or_skip("packed Q4_0/Q8_0 gemm");
    if (!kt) { skip(); return; }
    const llamac_type types[] = {LLAMAC_TYPE_Q4_0, LLAMAC_TYPE_Q8_0};
    const int64_t rows[] = {8, 16, 24, 40, 128};
    const int64_t toks[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 33};
    const int64_t blocks[] = {1, 2, 7, 63, 64, 65, 129};
    uint64_t seed = 512;
    for (size_t k = 0; k < N_ELEMS(types); k++) {
        for (size_t r = 0; r < N_ELEMS(rows); r++)
            for (size_t t = 0; t < N_ELEMS(toks); t++)
                for (size_t b = 0; b < N_ELEMS(blocks); b++)
                    if (rows[r] * toks[t] * blocks[b] <= 128 * 17 * 65)
                        check_packed(kt, types[k], 32 * blocks[b], rows[r], toks[t], FILL_RANDOM, seed++);
        check_packed(kt, types[k], 5632, 48, 1, FILL_RANDOM, seed++);
        /* one token runs the groups one after another, 512 blocks a tile */
        check_packed(kt, types[k], 32 * 513, 24, 1, FILL_RANDOM, seed++);
        check_packed(kt, types[k], 32 * 1030, 8, 1, FILL_RANDOM, seed++);
        check_packed(kt, types[k], 2048, 24, 70, FILL_RANDOM, seed++);
        for (int64_t toks_x = 1; toks_x <= 9; toks_x += 8)
            check_packed(kt, types[k], 32 * 67, 24, toks_x, FILL_EXTREME, seed++);
    }
}

/* Q4_K, Q5_K and Q6_K (own passes for up to four tokens, each group paired
 * with the one half the rows further on), then the hand-over to the AVX2
 * gemm past that: super-block counts 1..7, odd and even group counts. */
static void packed_k_quants_give_the_reference_bits(void **state) {
    (void)state;
    const lc_kernel_table *kt = avx512_or_skip("packed K-quant gemm");
    if (!kt) { skip(); return; }
    const llamac_type types[] = {LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_Q5_K, LLAMAC_TYPE_Q6_K};
    const int64_t rows[] = {8, 16, 24, 40, 128};
    const int64_t toks[] = {1, 2, 3, 4, 5, 6};
    uint64_t seed = 1024;
    for (size_t k = 0; k < N_ELEMS(types); k++) {
        for (size_t r = 0; r < N_ELEMS(rows); r++)
            for (size_t t = 0; t < N_ELEMS(toks); t++)
                for (int64_t nb = 1; nb <= 7; nb += 2)
                    check_packed(kt, types[k], 256 * nb, rows[r], toks[t], FILL_RANDOM, seed++);
        check_packed(kt, types[k], 5632, 24, 1, FILL_RANDOM, seed++);
        for (int64_t t = 1; t <= 4; t += 3) {
            check_packed(kt, types[k], 256 * 3, 24, t, FILL_EXTREME, seed++);
        }
    }
}

/* Q6_K on the file's rows (a tied output matrix): one token by its own
 * pass, super-block counts on both sides of its 4-block step, any row
 * count; more tokens by the AVX2 gemm. */
static void q6_K_rows_give_the_reference_bits(void **state) {
    (void)state;
    const lc_kernel_table *kt = avx512_or_skip("Q6_K gemm on unpacked rows");
    if (!kt) { skip(); return; }
    assert_ptr_equal(lc_kt_gemm(kt, LLAMAC_TYPE_Q6_K), lc_gemm_q6_K_q8_K_avx512);
    const int64_t rows[] = {1, 2, 3, 7, 8, 17};
    uint64_t seed = 4096;
    for (size_t r = 0; r < N_ELEMS(rows); r++)
        for (int64_t nb = 1; nb <= 9; nb++)
            check_quant(kt, LLAMAC_TYPE_Q6_K, 256 * nb, rows[r], 1, FILL_RANDOM, seed++, false);
    for (int64_t t = 1; t <= 7; t += 3) check_quant(kt, LLAMAC_TYPE_Q6_K, 2048, 5, t, FILL_RANDOM, seed++, false);
    for (int64_t nb = 3; nb <= 5; nb++) check_quant(kt, LLAMAC_TYPE_Q6_K, 256 * nb, 6, 1, FILL_EXTREME, seed++, false);
}

/* Attention value sums: every element against n scalar axpy calls on a
 * zeroed output (the reference's steps), bit for bit, for 1..4 heads,
 * head sizes around the 16-lane step and the 64-dimension block (the
 * ones not a multiple of 16 handed to AVX2), cells out of order and
 * repeated, 0..37 of them, row strides wider than a head. */
static void check_values(const lc_kernel_table *kt, llamac_type type, int m, int hd, int64_t n, uint64_t seed) {
    const lc_attn_values_fn values = lc_kt_attn_values(kt, type);
    const lc_axpy_fn axpy = lc_scalar_kernels.axpy[type];
    assert_non_null(values);
    assert_non_null(axpy);
    enum { N_ROWS = 41, MAX_N = 37 };
    const size_t el = type == LLAMAC_TYPE_F16 ? 2 : 4, vs = (size_t)(hd + 24) * el, ps = MAX_N + 3;
    uint8_t *v = malloc(N_ROWS * vs);
    float *p = malloc(4 * ps * sizeof *p), *got = malloc(4 * (size_t)hd * sizeof *got),
          *want = calloc(4 * (size_t)hd, sizeof *want), *row = malloc((size_t)(hd + 24) * sizeof *row);
    assert_non_null(v);
    assert_non_null(p);
    assert_non_null(got);
    assert_non_null(want);
    assert_non_null(row);
    simd_rng r = {seed};
    for (int i = 0; i < N_ROWS; i++) {
        for (int d = 0; d < hd + 24; d++) row[d] = simd_rng_gauss(&r);
        if (type == LLAMAC_TYPE_F16) lc_scalar_traits(LLAMAC_TYPE_F16)->from_float(row, v + i * vs, hd + 24);
        else memcpy(v + i * vs, row, vs);
    }
    for (size_t i = 0; i < 4 * ps; i++) p[i] = (float)simd_rng_uniform(&r);
    int32_t cells[MAX_N];
    for (int64_t j = 0; j < n; j++) cells[j] = (int32_t)(simd_rng_next(&r) % N_ROWS);
    for (int i = 0; i < 4 * hd; i++) got[i] = -12345.f;
    values(n, m, hd, p, (int64_t)ps, v, vs, cells, got);
    for (int h = 0; h < m; h++)
        for (int64_t j = 0; j < n; j++) axpy(hd, p[(size_t)h * ps + (size_t)j], v + (size_t)cells[j] * vs, want + (size_t)h * hd);
    for (int i = 0; i < m * hd; i++)
        if (memcmp(&got[i], &want[i], sizeof got[i]) != 0)
            fail_msg("%s attn_values m=%d hd=%d n=%lld: element %d: avx512 %.9g, reference %.9g", llamac_type_name(type),
                     m, hd, (long long)n, i, (double)got[i], (double)want[i]);
    for (int i = m * hd; i < 4 * hd; i++) assert_true(got[i] == -12345.f);
    free(v);
    free(p);
    free(got);
    free(want);
    free(row);
}

static void attn_values_give_the_reference_bits(void **state) {
    (void)state;
    const lc_kernel_table *kt = avx512_or_skip("attention value sums");
    if (!kt) { skip(); return; }
    assert_ptr_equal(lc_kt_attn_values(kt, LLAMAC_TYPE_F16), lc_attn_values_f16_avx512);
    assert_ptr_equal(lc_kt_attn_values(kt, LLAMAC_TYPE_F32), lc_attn_values_f32_avx512);
    const llamac_type types[] = {LLAMAC_TYPE_F16, LLAMAC_TYPE_F32};
    const int hds[] = {8, 16, 24, 32, 48, 64, 80, 128, 136, 144};
    const int64_t ns[] = {0, 1, 2, 5, 16, 37};
    uint64_t seed = 8192;
    for (size_t t = 0; t < N_ELEMS(types); t++)
        for (int m = 1; m <= 4; m++)
            for (size_t h = 0; h < N_ELEMS(hds); h++)
                for (size_t k = 0; k < N_ELEMS(ns); k++) check_values(kt, types[t], m, hds[h], ns[k], seed++);
}

/* F32/F16/BF16: every element of the AVX-512 gemm against the AVX2
 * vec_dot of its row and token (the order both back ends share, see
 * avx2_float.c), bit for bit: lengths around the 8-element step and the
 * 512-element chunk, rows around the 4-row tile and the 64-row block,
 * token counts around the 12-token tile (odd ones leave a half register
 * of padding) and the hand-over to AVX2 below 5, padded strides. */
static void check_float(const lc_kernel_table *kt, llamac_type w, int64_t n, int64_t n_rows, int64_t n_tok,
                        uint64_t seed) {
    const lc_gemm_fn gemm = lc_kt_gemm(kt, w);
    const lc_vec_dot_fn dot = lc_avx2_kernels.traits[w].vec_dot;
    assert_non_null(gemm);
    assert_non_null(dot);
    /* padded strides, multiples of 4 bytes: an F32 row is floats */
    const size_t rs = simd_row_bytes(w, n) + 8, ys = simd_row_bytes(w, n) + 12, os = (size_t)n_rows + 3;
    uint8_t *x = calloc((size_t)n_rows, rs), *y = calloc((size_t)n_tok, ys);
    float *out = malloc(os * (size_t)n_tok * sizeof *out);
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(out);
    simd_rng r = {seed};
    for (int64_t i = 0; i < n_rows; i++) assert_true(simd_random_row(w, n, 0.5f, &r, x + (size_t)i * rs));
    for (int64_t t = 0; t < n_tok; t++) assert_true(simd_random_row(w, n, 1.f, &r, y + (size_t)t * ys));
    for (size_t i = 0; i < os * (size_t)n_tok; i++) out[i] = -12345.f;
    gemm(n, n_rows, n_tok, x, rs, y, ys, out, os);
    for (int64_t t = 0; t < n_tok; t++)
        for (int64_t i = 0; i < (int64_t)os; i++) {
            const float got = out[(size_t)t * os + (size_t)i];
            float want = -12345.f;
            if (i < n_rows) dot(n, &want, x + (size_t)i * rs, y + (size_t)t * ys);
            if (memcmp(&got, &want, sizeof got) != 0)
                fail_msg("%s n=%lld rows=%lld toks=%lld: row %lld token %lld: avx512 %.9g (0x%08x), avx2 %.9g "
                         "(0x%08x)",
                         llamac_type_name(w), (long long)n, (long long)n_rows, (long long)n_tok, (long long)i,
                         (long long)t, (double)got, lc_f32_bits(got), (double)want, lc_f32_bits(want));
        }
    free(x);
    free(y);
    free(out);
}

static void float_gemms_give_the_avx2_bits(void **state) {
    (void)state;
    const lc_kernel_table *kt = avx512_or_skip("F32/F16/BF16 gemm");
    if (!kt) { skip(); return; }
    const llamac_type types[] = {LLAMAC_TYPE_F16, LLAMAC_TYPE_BF16, LLAMAC_TYPE_F32};
    const int64_t lens[] = {1, 7, 8, 9, 23, 64, 128, 256, 264, 511, 512, 513, 1031};
    const int64_t rows[] = {1, 3, 4, 5, 8, 9, 15, 64, 67};
    const int64_t toks[] = {1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 24, 25};
    uint64_t seed = 2048;
    for (size_t k = 0; k < N_ELEMS(types); k++) {
        for (size_t l = 0; l < N_ELEMS(lens); l++)
            for (size_t r = 0; r < N_ELEMS(rows); r++)
                for (size_t t = 0; t < N_ELEMS(toks); t++)
                    check_float(kt, types[k], lens[l], rows[r], toks[t], seed++);
        check_float(kt, types[k], 2048, 130, 37, seed++);  /* a 64-row block and a partial one, 3 token tiles */
        check_float(kt, types[k], 5632, 29, 12, seed++);   /* rows long enough to shrink the row block */
    }
}

int main(int argc, char **argv) {
    return run_parts(test_part(argc, argv, "--avx512"), NULL, NULL, CASES(avx512_table_is_wired_into_dispatch),
                     CASES(packed_q4_0_and_q8_0_give_the_reference_bits, packed_k_quants_give_the_reference_bits,
                           q6_K_rows_give_the_reference_bits, attn_values_give_the_reference_bits,
                           float_gemms_give_the_avx2_bits));
}
