/* The AVX2 back end against the scalar reference: dispatch, the traits
 * table, and every AVX2 vec_dot on random and extreme rows.
 *
 * Both back ends compute the same exact integer sum per block; they may
 * only differ in the order float block terms are added. So the AVX2 result
 * must lie within a reassociation bound of the scalar one: 1e-5 of
 * sum |x_i y_i| over the decoded rows (each of the <= n/32 block terms
 * carries at most a few float roundings of 2^-24 relative), where for
 * formats with a minimum x_i counts as its two halves |d q| + |m|.
 * Skips loudly on CPUs without AVX2. */
#include "test_util.h"

#include "kernels/avx2_kernels.h"
#include "test_kernels_simd_util.h"

static const llamac_type weight_types[] = {
    LLAMAC_TYPE_F32,  LLAMAC_TYPE_F16,  LLAMAC_TYPE_BF16, LLAMAC_TYPE_Q4_0,   LLAMAC_TYPE_Q8_0,
    LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_Q5_K, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_Q3_K,   LLAMAC_TYPE_Q2_K,
    LLAMAC_TYPE_Q4_1, LLAMAC_TYPE_Q5_0, LLAMAC_TYPE_Q5_1, LLAMAC_TYPE_IQ4_NL, LLAMAC_TYPE_IQ4_XS,
};
#define N_WEIGHT_TYPES (sizeof weight_types / sizeof weight_types[0])

/* ---- dispatch ---- */

static void kernel_names_round_trip_and_unknown_names_are_refused(void **state) {
    (void)state;
    const llamac_kernels all[] = {LLAMAC_KERNELS_AUTO, LLAMAC_KERNELS_SCALAR, LLAMAC_KERNELS_AVX2,
                                  LLAMAC_KERNELS_AVX512};
    const char *names[] = {"auto", "scalar", "avx2", "avx512"};
    for (size_t i = 0; i < 4; i++) {
        llamac_kernels k = (llamac_kernels)99;
        assert_string_equal(lc_kernels_name(all[i]), names[i]);
        assert_true(lc_kernels_parse(names[i], &k));
        assert_int_equal(k, all[i]);
    }
    llamac_kernels k = LLAMAC_KERNELS_SCALAR;
    assert_false(lc_kernels_parse("AVX2", &k));
    assert_false(lc_kernels_parse("avx512f", &k));
    assert_false(lc_kernels_parse("", &k));
    assert_false(lc_kernels_parse(NULL, &k));
    assert_int_equal(k, LLAMAC_KERNELS_SCALAR);
    assert_null(lc_kernels_name((llamac_kernels)42));
    assert_null(lc_kernels_name((llamac_kernels)-1));
}

static void auto_is_the_best_table_that_runs_here(void **state) {
    (void)state;
    const lc_kernel_table *best = lc_kernel_table_for(LLAMAC_KERNELS_AUTO);
    assert_non_null(best);
    assert_true(lc_kernel_table_runs_here(best));
    assert_ptr_equal(lc_kernel_table_for(LLAMAC_KERNELS_SCALAR), &lc_scalar_kernels);
    assert_null(lc_kernel_table_for((llamac_kernels)42));
    const lc_kernel_table *avx2 = lc_kernel_table_for(LLAMAC_KERNELS_AVX2);
    const lc_kernel_table *avx512 = lc_kernel_table_for(LLAMAC_KERNELS_AVX512);
    /* AUTO prefers the fastest back end the CPU runs */
    const bool run512 = avx512 && lc_kernel_table_runs_here(avx512), run2 = avx2 && lc_kernel_table_runs_here(avx2);
    assert_ptr_equal(best, run512 ? avx512 : run2 ? avx2 : &lc_scalar_kernels);
    assert_string_equal(lc_kernel_table_name(best), run512 ? "avx512" : run2 ? "avx2" : "scalar");
    lc_kernel_table t;
    assert_true(lc_kernels_resolve(LLAMAC_KERNELS_AUTO, &t));
    assert_int_equal(lc_kernels_resolve(LLAMAC_KERNELS_AVX2, &t), simd_kernels(LLAMAC_KERNELS_AVX2) != NULL);
    assert_false(lc_kernels_resolve((llamac_kernels)42, &t));
}

/* The root is complete: resolving it changes nothing, and its table is
 * what lc_scalar_traits hands out. */
static void scalar_table_resolves_to_itself(void **state) {
    (void)state;
    const lc_kernel_table *s = simd_kernels(LLAMAC_KERNELS_SCALAR);
    assert_null(lc_scalar_kernels.parent);
    assert_memory_equal(s, &lc_scalar_kernels, sizeof *s);
    for (int t = -1; t <= LLAMAC_TYPE_COUNT; t++) {
        const lc_type_traits *a = lc_kt_traits(s, (llamac_type)t), *b = lc_scalar_traits((llamac_type)t);
        if (!b) assert_null(a);
        else assert_memory_equal(a, b, sizeof *a);
    }
    assert_ptr_equal(s->exp, lc_exp_ref);
    assert_ptr_equal(s->swiglu, lc_swiglu_ref);
}

/* Inheritance: a resolved AVX2 table has every entry its own table sets,
 * the scalar entry wherever it sets none, and the reference's
 * vec_dot_type for every type. */
static void avx2_table_takes_what_it_lacks_from_scalar(void **state) {
    (void)state;
    if (!simd_have_avx2("avx2 table")) { skip(); return; }
    const lc_kernel_table *a = simd_kernels(LLAMAC_KERNELS_AVX2), *own = &lc_avx2_kernels;
    const lc_kernel_table *s = &lc_scalar_kernels;
    assert_null(a->parent);
    assert_ptr_equal(own->parent, s);
    for (int t = 0; t < LLAMAC_TYPE_COUNT; t++) {
#define EXPECT(field) assert_ptr_equal(a->field, own->field ? own->field : s->field)
        EXPECT(traits[t].to_float);
        EXPECT(traits[t].from_float);
        EXPECT(traits[t].vec_dot);
        EXPECT(gemm[t]);
        EXPECT(packed_gemm[t]);
        EXPECT(axpy[t]);
        EXPECT(attn_values[t]);
        assert_int_equal(a->traits[t].vec_dot_type, s->traits[t].vec_dot_type);
    }
    EXPECT(exp);
    EXPECT(swiglu);
#undef EXPECT
    /* the table sets only what it has: the decoders of Q4_0 come from the parent */
    assert_null(own->traits[LLAMAC_TYPE_Q4_0].to_float);
    assert_ptr_equal(a->traits[LLAMAC_TYPE_Q4_0].to_float, lc_q4_0_to_float_ref);
    /* the priority kernels really are SIMD ones */
    for (size_t i = 0; i < N_WEIGHT_TYPES; i++)
        assert_ptr_not_equal(a->traits[weight_types[i]].vec_dot, lc_scalar_traits(weight_types[i])->vec_dot);
}

/* A three-level chain: an entry comes from the nearest table that has it. */
static void resolution_takes_the_nearest_ancestors_entry(void **state) {
    (void)state;
    static const lc_kernel_table mid = {.parent = &lc_scalar_kernels, .needs = 0, .exp = lc_exp_ref,
                                        .traits[LLAMAC_TYPE_F32] = {.vec_dot = lc_vec_dot_f16_ref}};
    static const lc_kernel_table top = {.parent = &mid, .needs = 0,
                                        .traits[LLAMAC_TYPE_F32] = {.vec_dot = lc_vec_dot_bf16_ref},
                                        .traits[LLAMAC_TYPE_F16] = {.vec_dot = lc_vec_dot_bf16_ref}};
    lc_kernel_table r;
    lc_kernel_table_resolve(&top, &r);
    assert_ptr_equal(r.traits[LLAMAC_TYPE_F32].vec_dot, lc_vec_dot_bf16_ref); /* top's */
    assert_ptr_equal(r.traits[LLAMAC_TYPE_F16].vec_dot, lc_vec_dot_bf16_ref); /* top's */
    assert_ptr_equal(r.traits[LLAMAC_TYPE_F32].to_float, lc_f32_to_float_ref); /* the root's */
    assert_ptr_equal(r.exp, lc_exp_ref);                                    /* mid's */
    assert_ptr_equal(r.traits[LLAMAC_TYPE_Q4_0].vec_dot, lc_vec_dot_q4_0_q8_0_ref);
    assert_int_equal(r.traits[LLAMAC_TYPE_Q4_0].vec_dot_type, LLAMAC_TYPE_Q8_0); /* the root's, not 0 */
    assert_null(r.gemm[LLAMAC_TYPE_Q4_0]); /* nobody has it */
    assert_true(lc_kernel_table_runs_here(&top));
    assert_null(lc_kernel_table_name(&top));
}

/* ---- vec_dot ---- */

typedef struct dot_case {
    float ref, got;
    double mag; /* sum of |terms| the two back ends may add in other orders */
} dot_case;

/* Byte offsets of the two fp16 scales of the formats whose weights are
 * d * q - m (a minimum term): a dot product adds both halves, which can
 * cancel, so reassociation error scales with |d q y| + |m y|, not |x y|. */
static int min_scale_fields(llamac_type w, size_t *d_off, size_t *m_off) {
    switch (w) {
    case LLAMAC_TYPE_Q4_1:
    case LLAMAC_TYPE_Q5_1:
    case LLAMAC_TYPE_Q4_K:
    case LLAMAC_TYPE_Q5_K: *d_off = 0, *m_off = 2; return 1;
    case LLAMAC_TYPE_Q2_K: *d_off = 80, *m_off = 82; return 1;
    default: return 0;
    }
}

/* Decodes x with one of its scale fields zeroed in every block. */
static void decode_part(llamac_type w, const void *x, int64_t n, size_t zero_off, float *out) {
    const size_t nb = simd_row_bytes(w, n), bb = llamac_type_block_bytes(w);
    uint8_t *copy = malloc(nb);
    assert_non_null(copy);
    memcpy(copy, x, nb);
    for (size_t b = 0; b < nb; b += bb) memset(copy + b + zero_off, 0, 2);
    lc_scalar_traits(w)->to_float(copy, out, n);
    free(copy);
}

static dot_case run_dot(llamac_type wtype, int64_t n, const void *x, const void *y) {
    const lc_type_traits *s = lc_scalar_traits(wtype), *a = simd_avx2_traits(wtype);
    const lc_type_traits *act = lc_scalar_traits(s->vec_dot_type);
    const size_t fn = (size_t)(n > 0 ? n : 1) * sizeof(float);
    float *xd = malloc(fn), *xm = malloc(fn), *yd = malloc(fn);
    assert_non_null(xd);
    assert_non_null(xm);
    assert_non_null(yd);
    act->to_float(y, yd, n);
    size_t d_off, m_off;
    if (min_scale_fields(wtype, &d_off, &m_off)) {
        decode_part(wtype, x, n, m_off, xd); /* the d * q half */
        decode_part(wtype, x, n, d_off, xm); /* the minimum half */
    } else {
        s->to_float(x, xd, n);
        memset(xm, 0, fn);
    }
    dot_case c = {NAN, NAN, 0.0};
    for (int64_t i = 0; i < n; i++) c.mag += (fabs((double)xd[i]) + fabs((double)xm[i])) * fabs((double)yd[i]);
    s->vec_dot(n, &c.ref, x, y);
    a->vec_dot(n, &c.got, x, y);
    free(xd);
    free(xm);
    free(yd);
    return c;
}

static void expect_close(llamac_type wtype, int64_t n, const char *what, dot_case c) {
    const double tol = 1e-5 * c.mag + 1e-30;
    if (!(fabs((double)c.got - (double)c.ref) <= tol))
        fail_msg("%s n=%lld %s: avx2 %.9g, scalar %.9g, |diff| %.3g > %.3g (sum|xy| %.3g)",
                 llamac_type_name(wtype), (long long)n, what, (double)c.got, (double)c.ref,
                 fabs((double)c.got - (double)c.ref), tol, c.mag);
}

static void check_random(llamac_type wtype, int64_t n, int trials, uint64_t seed) {
    const llamac_type act = lc_scalar_traits(wtype)->vec_dot_type;
    simd_rng r = {seed};
    void *x = malloc(simd_row_bytes(wtype, n) + 1), *y = malloc(simd_row_bytes(act, n) + 1);
    assert_non_null(x);
    assert_non_null(y);
    for (int trial = 0; trial < trials; trial++) {
        assert_true(simd_random_row(wtype, n, 0.05f, &r, x));
        assert_true(simd_random_row(act, n, 1.f, &r, y));
        char what[32];
        snprintf(what, sizeof what, "trial %d", trial);
        expect_close(wtype, n, what, run_dot(wtype, n, x, y));
    }
    free(x);
    free(y);
}

static void every_avx2_vec_dot_matches_scalar_on_1_to_8_blocks(void **state) {
    (void)state;
    if (!simd_have_avx2("vec_dot")) { skip(); return; }
    for (size_t i = 0; i < N_WEIGHT_TYPES; i++) {
        const int64_t bs = LC_MAX(llamac_type_block_size(weight_types[i]), 32);
        for (int64_t nb = 1; nb <= 8; nb++) check_random(weight_types[i], nb * bs, 8, 0x5eed + 100 * i + (uint64_t)nb);
    }
}

static void every_avx2_vec_dot_matches_scalar_on_a_4096_row(void **state) {
    (void)state;
    if (!simd_have_avx2("vec_dot")) { skip(); return; }
    for (size_t i = 0; i < N_WEIGHT_TYPES; i++) check_random(weight_types[i], 4096, 4, 0xfeed + i);
}

/* Float rows of any length: every tail path (groups of 32, of 8, single). */
static void float_dots_handle_every_tail_length(void **state) {
    (void)state;
    if (!simd_have_avx2("float vec_dot")) { skip(); return; }
    const llamac_type ft[] = {LLAMAC_TYPE_F32, LLAMAC_TYPE_F16, LLAMAC_TYPE_BF16};
    for (size_t i = 0; i < 3; i++) {
        for (int64_t n = 0; n <= 80; n++) check_random(ft[i], n, 2, 0xf10a7 + 1000 * i + (uint64_t)n);
        check_random(ft[i], 4096 + 7, 2, 0xf10a7 + i);
    }
}

/* Largest codes against largest quants of both signs: a saturating int16
 * step (maddubs pairs, madd with scales) would show up here. */
static void extreme_codes_do_not_saturate_the_integer_sums(void **state) {
    (void)state;
    if (!simd_have_avx2("vec_dot")) { skip(); return; }
    const int64_t n = 512;
    const uint8_t fills[] = {0x00, 0xff, 0x80, 0x7f, 0x55, 0xaa};
    float *f = malloc(n * sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < N_WEIGHT_TYPES; i++) {
        const llamac_type w = weight_types[i];
        const lc_type_traits *s = lc_scalar_traits(w);
        const lc_type_traits *act = lc_scalar_traits(s->vec_dot_type);
        if (s->vec_dot_type == w) continue; /* float types: no integer path */
        uint8_t *x = malloc(simd_row_bytes(w, n)), *y = malloc(simd_row_bytes(s->vec_dot_type, n));
        assert_non_null(x);
        assert_non_null(y);
        for (size_t fi = 0; fi < sizeof fills; fi++) {
            if (s->from_float) { /* +-1 patterns encode to the extreme codes */
                for (int64_t j = 0; j < n; j++) f[j] = (fills[fi] >> (j % 8) & 1) ? 1.f : -1.f;
                s->from_float(f, x, n);
            } else { /* every code and sub-scale at the fill pattern */
                memset(x, fills[fi], simd_row_bytes(w, n));
                for (int64_t b = 0; b < n / LC_QK_K; b++)
                    assert_true(simd_set_k_scales(w, x + (size_t)b * llamac_type_block_bytes(w), 0.01f, 0.01f));
            }
            for (int sign = -1; sign <= 1; sign += 2) {
                for (int64_t j = 0; j < n; j++) f[j] = (float)sign * (j % 3 == 2 ? -1.f : 1.f);
                act->from_float(f, y, n);
                char what[48];
                snprintf(what, sizeof what, "fill 0x%02x, activation sign %d", fills[fi], sign);
                expect_close(w, n, what, run_dot(w, n, x, y));
            }
        }
        free(x);
        free(y);
    }
    free(f);
}

/* Q4_0, Q8_0 and the K-quants follow the reference's float steps exactly
 * (exact integer sums per block, then the reference's multiplies and adds
 * in its order, nothing fused), so their AVX2 results are the reference's
 * bits. This holds while the reference is compiled without fusing
 * a * b + c into an FMA, as the default builds are (ISO C mode for gcc; no
 * -mfma for the portable files with clang). */
static void exact_order_formats_give_the_reference_bits(void **state) {
    (void)state;
    if (!simd_have_avx2("vec_dot")) { skip(); return; }
    const llamac_type types[] = {LLAMAC_TYPE_Q4_0, LLAMAC_TYPE_Q8_0, LLAMAC_TYPE_Q2_K, LLAMAC_TYPE_Q3_K,
                                 LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_Q5_K, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_IQ4_XS};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        const llamac_type w = types[k], act = lc_scalar_traits(w)->vec_dot_type;
        const int64_t bs = llamac_type_block_size(act);
        simd_rng r = {0xb17 + (uint64_t)k};
        for (int64_t nb = 1; nb <= 40; nb += (nb < 12 ? 1 : 7)) {
            const int64_t n = nb * bs;
            uint8_t *x = malloc(simd_row_bytes(w, n)), *y = malloc(simd_row_bytes(act, n));
            assert_non_null(x);
            assert_non_null(y);
            assert_true(simd_random_row(w, n, 0.05f, &r, x));
            assert_true(simd_random_row(act, n, 1.f, &r, y));
            float ref, got;
            lc_scalar_traits(w)->vec_dot(n, &ref, x, y);
            simd_avx2_traits(w)->vec_dot(n, &got, x, y);
            if (memcmp(&ref, &got, sizeof ref) != 0)
                fail_msg("%s n=%lld: avx2 %.9g (0x%08x), reference %.9g (0x%08x)", llamac_type_name(w), (long long)n,
                         (double)got, lc_f32_bits(got), (double)ref, lc_f32_bits(ref));
            free(x);
            free(y);
        }
    }
}

/* The determinism contract: a result depends on the two rows only, not on
 * where they sit in memory or on what ran before. */
static void vec_dot_result_depends_only_on_the_rows(void **state) {
    (void)state;
    if (!simd_have_avx2("vec_dot")) { skip(); return; }
    const int64_t n = 2048;
    simd_rng r = {77};
    for (size_t i = 0; i < N_WEIGHT_TYPES; i++) {
        const llamac_type w = weight_types[i], act = lc_scalar_traits(w)->vec_dot_type;
        const lc_vec_dot_fn dot = simd_avx2_traits(w)->vec_dot;
        const size_t xb = simd_row_bytes(w, n), yb = simd_row_bytes(act, n);
        uint8_t *x = malloc(xb + 64), *y = malloc(yb + 64);
        assert_non_null(x);
        assert_non_null(y);
        assert_true(simd_random_row(w, n, 0.05f, &r, x));
        assert_true(simd_random_row(act, n, 1.f, &r, y));
        float first, other, again;
        dot(n, &first, x, y);
        /* something else in between, then the same rows elsewhere in memory
         * (offsets keep the 4-byte alignment of float fields) */
        dot(n / 2, &other, x, y);
        memmove(x + 36, x, xb);
        memmove(y + 4, y, yb);
        dot(n, &again, x + 36, y + 4);
        assert_memory_equal(&first, &again, sizeof first);
        free(x);
        free(y);
    }
}

/* ---- axpy (attention's value sum) ---- */

/* The reference by hand: 1 + 0.5 * 3 and 1 + 0.25 * (-2) are exact. */
static void axpy_reference_adds_a_times_x(void **state) {
    (void)state;
    const float x32[2] = {3.f, -2.f};
    const uint16_t x16[2] = {lc_fp32_to_fp16(3.f), lc_fp32_to_fp16(-2.f)};
    float y[2] = {1.f, 1.f};
    const lc_kernel_table *sk = simd_kernels(LLAMAC_KERNELS_SCALAR);
    lc_kt_axpy(sk, LLAMAC_TYPE_F32)(2, 0.5f, x32, y);
    assert_true(y[0] == 2.5f && y[1] == 0.f);
    lc_kt_axpy(sk, LLAMAC_TYPE_F16)(2, 0.25f, x16, y);
    assert_true(y[0] == 3.25f && y[1] == -0.5f);
    assert_null(lc_kt_axpy(sk, LLAMAC_TYPE_Q4_0));
    assert_null(lc_kt_axpy(simd_kernels(LLAMAC_KERNELS_AUTO), LLAMAC_TYPE_Q8_0));
}

/* Two roundings per element in both back ends: the same bits, every tail
 * length, repeated accumulation as attention does it. */
static void axpy_avx2_gives_the_reference_bits(void **state) {
    (void)state;
    if (!simd_have_avx2("axpy")) { skip(); return; }
    const llamac_type ft[] = {LLAMAC_TYPE_F32, LLAMAC_TYPE_F16};
    simd_rng r = {0xa8b1};
    enum { N_MAX = 4103, STEPS = 5 };
    float *f = malloc(N_MAX * sizeof *f), *y_ref = malloc(N_MAX * sizeof *y_ref), *y_simd = malloc(N_MAX * sizeof *y_simd);
    uint8_t *x = malloc(N_MAX * sizeof(float));
    assert_true(f && y_ref && y_simd && x);
    for (size_t i = 0; i < 2; i++) {
        const lc_axpy_fn ref = lc_kt_axpy(simd_kernels(LLAMAC_KERNELS_SCALAR), ft[i]),
                         simd = lc_kt_axpy(simd_kernels(LLAMAC_KERNELS_AVX2), ft[i]);
        assert_ptr_not_equal(ref, simd);
        for (int64_t n = 0; n <= N_MAX; n = n < 80 ? n + 1 : N_MAX + (n == N_MAX)) {
            for (int64_t k = 0; k < n; k++) y_ref[k] = y_simd[k] = simd_rng_gauss(&r);
            for (int step = 0; step < STEPS; step++) {
                for (int64_t k = 0; k < n; k++) f[k] = simd_rng_gauss(&r);
                lc_scalar_traits(ft[i])->from_float(f, x, n);
                const float a = (float)simd_rng_uniform(&r);
                ref(n, a, x, y_ref);
                simd(n, a, x, y_simd);
            }
            if (n > 0) assert_memory_equal(y_ref, y_simd, (size_t)n * sizeof(float));
        }
    }
    free(f), free(y_ref), free(y_simd), free(x);
}

int main(int argc, char **argv) {
    return run_parts(test_part(argc, argv, "--avx2"), NULL, NULL,
                     CASES(kernel_names_round_trip_and_unknown_names_are_refused,
                           auto_is_the_best_table_that_runs_here, scalar_table_resolves_to_itself,
                           resolution_takes_the_nearest_ancestors_entry, axpy_reference_adds_a_times_x),
                     CASES(avx2_table_takes_what_it_lacks_from_scalar,
                           every_avx2_vec_dot_matches_scalar_on_1_to_8_blocks,
                           every_avx2_vec_dot_matches_scalar_on_a_4096_row,
                           float_dots_handle_every_tail_length,
                           extreme_codes_do_not_saturate_the_integer_sums,
                           exact_order_formats_give_the_reference_bits,
                           vec_dot_result_depends_only_on_the_rows, axpy_avx2_gives_the_reference_bits));
}
