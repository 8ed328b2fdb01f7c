/* Dot products and encoders of the scalar reference kernels.
 *
 * vec_dot is checked against an independent float64 dot of the two rows'
 * decoded values (decoders are pinned by test_kernels_blocks.c). Encoders
 * are checked for ggml's rounding rules on hand-made inputs and for their
 * error bounds on random data. */
#include "test_util.h"

#include "kernels/blocks.h"
#include "kernels/kernels.h"

#include <math.h>
#include <string.h>

/* ---- helpers ---- */

typedef struct rng { uint64_t s; } rng;

static uint64_t rng_next(rng *r) {
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static double rng_uniform(rng *r) { return (double)(rng_next(r) >> 11) * 0x1p-53; }

static float rng_gauss(rng *r) {
    double u = rng_uniform(r) + 1e-300, v = rng_uniform(r);
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static size_t row_bytes(llamac_type type, int64_t n) {
    return (size_t)(n / llamac_type_block_size(type)) * llamac_type_block_bytes(type);
}

static const lc_type_traits *traits(llamac_type type) {
    const lc_type_traits *t = lc_scalar_traits(type);
    assert_non_null(t);
    return t;
}

static void put_half(uint16_t *field, float v) { *field = lc_fp32_to_fp16(v); }

/* A random but valid row of a weight type: encoded Gaussian floats where we
 * have an encoder, otherwise random bytes with sane fp16 super-scales (every
 * bit pattern of the quant and sub-scale fields is a valid block). */
static void *random_weight_row(llamac_type type, int64_t n, rng *r) {
    const lc_type_traits *t = traits(type);
    size_t nbytes = row_bytes(type, n);
    uint8_t *row = malloc(nbytes);
    assert_non_null(row);
    if (t->from_float) {
        float *f = malloc((size_t)n * sizeof *f);
        assert_non_null(f);
        for (int64_t i = 0; i < n; i++) f[i] = 0.05f * rng_gauss(r);
        t->from_float(f, row, n);
        free(f);
        return row;
    }
    for (size_t i = 0; i < nbytes; i++) row[i] = (uint8_t)(rng_next(r) >> 56);
    for (int64_t b = 0; b < n / LC_QK_K; b++) {
        float d = (float)(0.0005 + 0.002 * rng_uniform(r));
        float dmin = (float)(0.0005 + 0.002 * rng_uniform(r));
        float sign = (rng_next(r) & 1) ? -1.f : 1.f;
        switch (type) {
        case LLAMAC_TYPE_Q2_K: {
            lc_block_q2_K *k = (lc_block_q2_K *)row + b;
            put_half(&k->d, d);
            put_half(&k->dmin, dmin);
            break;
        }
        case LLAMAC_TYPE_Q3_K: put_half(&((lc_block_q3_K *)row + b)->d, sign * d); break;
        case LLAMAC_TYPE_Q4_K: {
            lc_block_q4_K *k = (lc_block_q4_K *)row + b;
            put_half(&k->d, d);
            put_half(&k->dmin, dmin);
            break;
        }
        case LLAMAC_TYPE_Q5_K: {
            lc_block_q5_K *k = (lc_block_q5_K *)row + b;
            put_half(&k->d, d);
            put_half(&k->dmin, dmin);
            break;
        }
        case LLAMAC_TYPE_Q6_K: put_half(&((lc_block_q6_K *)row + b)->d, sign * d * 0.1f); break;
        case LLAMAC_TYPE_IQ4_XS: put_half(&((lc_block_iq4_xs *)row + b)->d, sign * d * 0.1f); break;
        default: fail_msg("no random generator for %s", llamac_type_name(type));
        }
    }
    return row;
}

static void *encode_activations(llamac_type act, const float *f, int64_t n) {
    void *row = malloc(row_bytes(act, n));
    assert_non_null(row);
    traits(act)->from_float(f, row, n);
    return row;
}

static float *decode_row(llamac_type type, const void *row, int64_t n) {
    float *f = malloc((size_t)n * sizeof *f);
    assert_non_null(f);
    traits(type)->to_float(row, f, n);
    return f;
}

/* Extra slack for Q8_1 partners: vec_dot takes the minimum term from the
 * stored s = fp16(d * sum q) while the decoded row sums fp16(d) * q, and the
 * two differ by up to one fp16 rounding of each (2^-11 relative). */
static double q8_1_sum_slack(llamac_type wtype, const void *x, const void *y, int64_t n) {
    const lc_block_q8_1 *yb = y;
    double slack = 0.0;
    for (int64_t b = 0; b < n / 32; b++) {
        float m = wtype == LLAMAC_TYPE_Q4_1 ? lc_fp16_to_fp32(((const lc_block_q4_1 *)x)[b].m)
                                            : lc_fp16_to_fp32(((const lc_block_q5_1 *)x)[b].m);
        double sq = 0.0;
        for (int j = 0; j < 32; j++) sq += fabs((double)yb[b].qs[j]);
        slack += fabs(m) * (fabs(lc_fp16_to_fp32(yb[b].s)) + fabs(lc_fp16_to_fp32(yb[b].d)) * sq);
    }
    return slack * 0x1p-10;
}

static const llamac_type weight_types[] = {
    LLAMAC_TYPE_F32,  LLAMAC_TYPE_F16,  LLAMAC_TYPE_BF16, LLAMAC_TYPE_Q8_0,  LLAMAC_TYPE_Q4_0,
    LLAMAC_TYPE_Q4_1, LLAMAC_TYPE_Q5_0, LLAMAC_TYPE_Q5_1, LLAMAC_TYPE_Q2_K,  LLAMAC_TYPE_Q3_K,
    LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_Q5_K, LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_IQ4_NL, LLAMAC_TYPE_IQ4_XS,
};
#define N_WEIGHT_TYPES (sizeof weight_types / sizeof weight_types[0])

/* ---- traits table ---- */

static void weight_types_dot_with_ggml_activation_types(void **state) {
    (void)state;
    static const struct { llamac_type w, a; } expect[] = {
        {LLAMAC_TYPE_F32, LLAMAC_TYPE_F32},     {LLAMAC_TYPE_F16, LLAMAC_TYPE_F16},
        {LLAMAC_TYPE_BF16, LLAMAC_TYPE_BF16},   {LLAMAC_TYPE_Q8_0, LLAMAC_TYPE_Q8_0},
        {LLAMAC_TYPE_Q4_0, LLAMAC_TYPE_Q8_0},   {LLAMAC_TYPE_Q5_0, LLAMAC_TYPE_Q8_0},
        {LLAMAC_TYPE_IQ4_NL, LLAMAC_TYPE_Q8_0}, {LLAMAC_TYPE_Q4_1, LLAMAC_TYPE_Q8_1},
        {LLAMAC_TYPE_Q5_1, LLAMAC_TYPE_Q8_1},   {LLAMAC_TYPE_Q2_K, LLAMAC_TYPE_Q8_K},
        {LLAMAC_TYPE_Q3_K, LLAMAC_TYPE_Q8_K},   {LLAMAC_TYPE_Q4_K, LLAMAC_TYPE_Q8_K},
        {LLAMAC_TYPE_Q5_K, LLAMAC_TYPE_Q8_K},   {LLAMAC_TYPE_Q6_K, LLAMAC_TYPE_Q8_K},
        {LLAMAC_TYPE_IQ4_XS, LLAMAC_TYPE_Q8_K},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        const lc_type_traits *t = traits(expect[i].w);
        assert_int_equal(t->vec_dot_type, expect[i].a);
        assert_non_null(t->to_float);
        assert_non_null(t->vec_dot);
        const lc_type_traits *a = traits(expect[i].a);
        assert_non_null(a->from_float);
        assert_non_null(a->to_float);
        /* activation blocks tile weight blocks */
        assert_int_equal(llamac_type_block_size(expect[i].w) % llamac_type_block_size(expect[i].a), 0);
    }
    assert_null(traits(LLAMAC_TYPE_Q8_K)->vec_dot);
    assert_null(traits(LLAMAC_TYPE_Q8_1)->vec_dot);
    assert_null(lc_scalar_traits(LLAMAC_TYPE_IQ2_XXS));
    assert_null(lc_scalar_traits(LLAMAC_TYPE_TQ1_0));
    assert_null(lc_scalar_traits(LLAMAC_TYPE_I32));
    assert_null(lc_scalar_traits((llamac_type)4));
    assert_null(lc_scalar_traits((llamac_type)LLAMAC_TYPE_COUNT));
    assert_null(lc_scalar_traits((llamac_type)-1));
}

/* ---- vec_dot against float64 ---- */

static void check_dot_matches_float64(llamac_type wtype, int64_t n, int trials, uint64_t seed) {
    const lc_type_traits *t = traits(wtype);
    rng r = {seed};
    for (int trial = 0; trial < trials; trial++) {
        void *x = random_weight_row(wtype, n, &r);
        float *yf = malloc((size_t)n * sizeof *yf);
        assert_non_null(yf);
        for (int64_t i = 0; i < n; i++) yf[i] = rng_gauss(&r);
        void *y = encode_activations(t->vec_dot_type, yf, n);
        float *xd = decode_row(wtype, x, n), *yd = decode_row(t->vec_dot_type, y, n);
        double ref = 0.0, mag = 0.0;
        for (int64_t i = 0; i < n; i++) {
            ref += (double)xd[i] * (double)yd[i];
            mag += fabs((double)xd[i] * (double)yd[i]);
        }
        float got = NAN;
        t->vec_dot(n, &got, x, y);
        /* float accumulation over at most n/32 block terms */
        double tol = 2e-5 * mag + 1e-30;
        if (t->vec_dot_type == LLAMAC_TYPE_Q8_1) tol += q8_1_sum_slack(wtype, x, y, n);
        if (wtype == LLAMAC_TYPE_F32 || wtype == LLAMAC_TYPE_F16 || wtype == LLAMAC_TYPE_BF16)
            tol = 1e-6 * mag; /* double accumulation: only the final rounding */
        if (!(fabs((double)got - ref) <= tol))
            fail_msg("%s n=%lld trial %d: vec_dot %.9g, float64 %.9g (tolerance %.3g, sum|xy| %.3g)",
                     llamac_type_name(wtype), (long long)n, trial, (double)got, ref, tol, mag);
        free(x), free(y), free(yf), free(xd), free(yd);
    }
}

static void vec_dot_equals_float64_dot_of_decoded_rows(void **state) {
    (void)state;
    for (size_t i = 0; i < N_WEIGHT_TYPES; i++) {
        check_dot_matches_float64(weight_types[i], 256, 4, 0x1234567u + i);
        check_dot_matches_float64(weight_types[i], 2048, 4, 0x89abcdefu + i);
    }
}

/* One non-zero activation picks out one weight: the dot is exactly that
 * weight times the activation (no other block contributes). */
static void vec_dot_with_one_hot_activation_picks_one_weight(void **state) {
    (void)state;
    rng r = {42};
    const int64_t n = 512;
    for (size_t i = 0; i < N_WEIGHT_TYPES; i++) {
        const lc_type_traits *t = traits(weight_types[i]);
        void *x = random_weight_row(weight_types[i], n, &r);
        float *xd = decode_row(weight_types[i], x, n);
        float *yf = calloc((size_t)n, sizeof *yf);
        assert_non_null(yf);
        for (int k = 0; k < 4; k++) {
            const int64_t at = (int64_t)(rng_next(&r) % (uint64_t)n);
            yf[at] = 2.0f;
            void *y = encode_activations(t->vec_dot_type, yf, n);
            float *yd = decode_row(t->vec_dot_type, y, n);
            float got;
            t->vec_dot(n, &got, x, y);
            double want = (double)xd[at] * (double)yd[at];
            double tol = 1e-5 * fabs(want) + 1e-6 * fabs((double)xd[at]);
            if (t->vec_dot_type == LLAMAC_TYPE_Q8_1) tol += q8_1_sum_slack(weight_types[i], x, y, n);
            if (!(fabs((double)got - want) <= tol))
                fail_msg("%s: one-hot at %lld gives %.9g, expected %.9g", llamac_type_name(weight_types[i]),
                         (long long)at, (double)got, want);
            yf[at] = 0.0f;
            free(y), free(yd);
        }
        free(x), free(xd), free(yf);
    }
}

/* The SIMD back ends must match this: the same bytes give the same bits,
 * wherever they sit in memory and however often we ask. */
static void vec_dot_is_deterministic_across_buffers(void **state) {
    (void)state;
    rng r = {7};
    const int64_t n = 1024;
    for (size_t i = 0; i < N_WEIGHT_TYPES; i++) {
        const lc_type_traits *t = traits(weight_types[i]);
        void *x = random_weight_row(weight_types[i], n, &r);
        float yf[1024];
        for (int64_t k = 0; k < n; k++) yf[k] = rng_gauss(&r);
        void *y = encode_activations(t->vec_dot_type, yf, n);
        size_t xb = row_bytes(weight_types[i], n), yb = row_bytes(t->vec_dot_type, n);
        /* copies at a different (still block-aligned) heap address */
        void *x2 = malloc(xb + 64), *y2 = malloc(yb + 64);
        assert_non_null(x2);
        assert_non_null(y2);
        memcpy(x2, x, xb);
        memcpy(y2, y, yb);
        float a, b, c;
        t->vec_dot(n, &a, x, y);
        t->vec_dot(n, &b, x2, y2);
        t->vec_dot(n, &c, x, y);
        assert_memory_equal(&a, &b, sizeof a);
        assert_memory_equal(&a, &c, sizeof a);
        free(x), free(y), free(x2), free(y2);
    }
}

/* Converting a batch of activation rows at once must give the same bytes
 * as converting row by row (matmuls convert the whole batch). */
static void activation_encoding_of_a_batch_equals_row_by_row(void **state) {
    (void)state;
    static const llamac_type acts[] = {LLAMAC_TYPE_F32, LLAMAC_TYPE_F16, LLAMAC_TYPE_BF16,
                                       LLAMAC_TYPE_Q8_0, LLAMAC_TYPE_Q8_1, LLAMAC_TYPE_Q8_K};
    rng r = {99};
    enum { N = 512, ROWS = 3 };
    float f[N * ROWS];
    for (int i = 0; i < N * ROWS; i++) f[i] = rng_gauss(&r) * (i < N ? 1.0f : 30.0f);
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        size_t rb = row_bytes(acts[a], N);
        uint8_t *batch = encode_activations(acts[a], f, N * ROWS);
        for (int row = 0; row < ROWS; row++) {
            uint8_t *one = encode_activations(acts[a], f + row * N, N);
            assert_memory_equal(one, batch + row * rb, rb);
            free(one);
        }
        free(batch);
    }
}

/* ---- activation encoders: ggml's rounding ---- */

/* Q8_0 and Q8_1: d = amax / 127 (fp16), q = roundf(x / d), ties away from 0. */
static void q8_0_rounds_half_away_from_zero(void **state) {
    (void)state;
    float x[32] = {0};
    x[0] = 127.0f; /* amax 127 -> d = 1 */
    x[1] = 2.5f;
    x[2] = -2.5f;
    x[3] = 0.49f;
    x[4] = -126.5f;
    x[5] = 3.5f;
    lc_block_q8_0 b;
    traits(LLAMAC_TYPE_Q8_0)->from_float(x, &b, 32);
    assert_int_equal(b.d, 0x3C00);
    const int want[6] = {127, 3, -3, 0, -127, 4};
    for (int j = 0; j < 6; j++) assert_int_equal(b.qs[j], want[j]);
    for (int j = 6; j < 32; j++) assert_int_equal(b.qs[j], 0);

    lc_block_q8_1 c;
    traits(LLAMAC_TYPE_Q8_1)->from_float(x, &c, 32);
    assert_int_equal(c.d, 0x3C00);
    assert_memory_equal(c.qs, b.qs, 32);
    assert_true(lc_fp16_to_fp32(c.s) == 4.0f); /* 127 + 3 - 3 + 0 - 127 + 4 */

    float zero[32] = {0};
    traits(LLAMAC_TYPE_Q8_0)->from_float(zero, &b, 32);
    assert_int_equal(b.d, 0);
    for (int j = 0; j < 32; j++) assert_int_equal(b.qs[j], 0);
}

/* Q8_K: the signed value of largest magnitude maps to -127 (d = -max / 127,
 * a float), rounding is to nearest with ties to even, bsums sum each 16. */
static void q8_K_maps_largest_value_to_minus_127_and_ties_to_even(void **state) {
    (void)state;
    float x[256] = {0};
    x[5] = 127.0f; /* largest magnitude, positive: iscale = -1, d = -1 */
    x[0] = 2.5f;   /* -2.5 -> -2 (even) */
    x[1] = 3.5f;   /* -3.5 -> -4 */
    x[2] = -126.0f; /* 126 */
    x[17] = -0.5f;  /* 0.5 -> 0 */
    x[18] = -1.5f;  /* 1.5 -> 2 */
    x[255] = 100.4f;
    lc_block_q8_K b;
    traits(LLAMAC_TYPE_Q8_K)->from_float(x, &b, 256);
    assert_true(b.d == -1.0f);
    assert_int_equal(b.qs[5], -127);
    assert_int_equal(b.qs[0], -2);
    assert_int_equal(b.qs[1], -4);
    assert_int_equal(b.qs[2], 126);
    assert_int_equal(b.qs[17], 0);
    assert_int_equal(b.qs[18], 2);
    assert_int_equal(b.qs[255], -100);
    assert_int_equal(b.bsums[0], -2 - 4 + 126 - 127);
    assert_int_equal(b.bsums[1], 2);
    assert_int_equal(b.bsums[15], -100);
    for (int g = 2; g < 15; g++) assert_int_equal(b.bsums[g], 0);

    /* largest magnitude negative: d positive */
    x[5] = -254.0f;
    traits(LLAMAC_TYPE_Q8_K)->from_float(x, &b, 256);
    assert_true(b.d == 2.0f);
    assert_int_equal(b.qs[5], -127);
    assert_int_equal(b.qs[0], 1); /* 2.5 / 2 = 1.25 */

    float zero[256] = {0};
    memset(&b, 0x55, sizeof b);
    traits(LLAMAC_TYPE_Q8_K)->from_float(zero, &b, 256);
    assert_true(b.d == 0.0f);
    for (int j = 0; j < 256; j++) assert_int_equal(b.qs[j], 0);
    for (int g = 0; g < 16; g++) assert_int_equal(b.bsums[g], 0);
}

static void activation_encoders_round_trip_within_their_bounds(void **state) {
    (void)state;
    rng r = {2024};
    enum { N = 4096 };
    static float x[N], back[N];
    for (int i = 0; i < N; i++) x[i] = rng_gauss(&r) * (float)(1 + i / 256); /* varied block scales */
    static uint8_t buf[N * sizeof(float)]; /* the largest encoding: F32 */

    /* F16: half an ulp of 11 bits; BF16: of 8 bits; F32 exact */
    traits(LLAMAC_TYPE_F16)->from_float(x, buf, N);
    traits(LLAMAC_TYPE_F16)->to_float(buf, back, N);
    for (int i = 0; i < N; i++) assert_true(fabsf(back[i] - x[i]) <= ldexpf(fabsf(x[i]), -11));
    traits(LLAMAC_TYPE_BF16)->from_float(x, buf, N);
    traits(LLAMAC_TYPE_BF16)->to_float(buf, back, N);
    for (int i = 0; i < N; i++) assert_true(fabsf(back[i] - x[i]) <= ldexpf(fabsf(x[i]), -8));
    traits(LLAMAC_TYPE_F32)->from_float(x, buf, N);
    traits(LLAMAC_TYPE_F32)->to_float(buf, back, N);
    assert_memory_equal(back, x, sizeof x);

    /* Q8_0 / Q8_1: half a step of d = amax/127 plus the fp16 rounding of d
     * (at most 127 steps * 2^-11 relative) */
    static const llamac_type q8[2] = {LLAMAC_TYPE_Q8_0, LLAMAC_TYPE_Q8_1};
    for (int k = 0; k < 2; k++) {
        traits(q8[k])->from_float(x, buf, N);
        traits(q8[k])->to_float(buf, back, N);
        for (int b = 0; b < N / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[32 * b + j]));
            const float d = amax / 127.0f;
            for (int j = 0; j < 32; j++)
                assert_true(fabsf(back[32 * b + j] - x[32 * b + j]) <= d * (0.5f + 127.0f / 2048.0f + 1e-4f));
        }
    }
    /* Q8_1's s is fp16(d * sum q) with the unrounded d */
    const lc_block_q8_1 *q81 = (const lc_block_q8_1 *)buf;
    for (int b = 0; b < N / 32; b++) {
        float amax = 0;
        int sum = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[32 * b + j]));
        for (int j = 0; j < 32; j++) sum += q81[b].qs[j];
        assert_int_equal(q81[b].s, lc_fp32_to_fp16((float)sum * (amax / 127.0f)));
    }

    /* Q8_K: d is a float, so half a step plus float rounding */
    traits(LLAMAC_TYPE_Q8_K)->from_float(x, buf, N);
    traits(LLAMAC_TYPE_Q8_K)->to_float(buf, back, N);
    const lc_block_q8_K *qk = (const lc_block_q8_K *)buf;
    for (int b = 0; b < N / 256; b++) {
        float amax = 0;
        for (int j = 0; j < 256; j++) amax = fmaxf(amax, fabsf(x[256 * b + j]));
        assert_true(fabsf(fabsf(qk[b].d) - amax / 127.0f) <= amax * 1e-6f);
        for (int j = 0; j < 256; j++)
            assert_true(fabsf(back[256 * b + j] - x[256 * b + j]) <= fabsf(qk[b].d) * 0.5001f + 1e-6f * amax);
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += qk[b].qs[16 * g + l];
            assert_int_equal(qk[b].bsums[g], sum);
        }
    }
}

/* Non-finite activations must not crash or trip the sanitizers. */
static void encoders_survive_non_finite_input(void **state) {
    (void)state;
    float x[256];
    for (int i = 0; i < 256; i++) x[i] = (float)i;
    x[3] = NAN;
    x[100] = INFINITY;
    x[200] = -INFINITY;
    static uint8_t buf[1024];
    static const llamac_type all[] = {LLAMAC_TYPE_Q8_0, LLAMAC_TYPE_Q8_1, LLAMAC_TYPE_Q8_K,
                                      LLAMAC_TYPE_Q4_0, LLAMAC_TYPE_Q4_1, LLAMAC_TYPE_Q5_0,
                                      LLAMAC_TYPE_Q5_1, LLAMAC_TYPE_IQ4_NL, LLAMAC_TYPE_F16,
                                      LLAMAC_TYPE_BF16};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) traits(all[k])->from_float(x, buf, 256);
}

/* ---- weight encoders ---- */

/* ggml's Q4_0 encoder on the values of the hand-built block of
 * test_kernels_blocks.c reproduces its bytes: d 0.5, byte j = j | (15-j) << 4. */
static void q4_0_encoder_writes_ggml_nibble_order(void **state) {
    (void)state;
    float x[32];
    for (int j = 0; j < 16; j++) {
        x[j] = 0.5f * (float)(j - 8);
        x[j + 16] = 0.5f * (float)(7 - j);
    }
    lc_block_q4_0 b;
    traits(LLAMAC_TYPE_Q4_0)->from_float(x, &b, 32);
    assert_int_equal(b.d, 0x3800);
    for (int j = 0; j < 16; j++) assert_int_equal(b.qs[j], j | (15 - j) << 4);
}

/* Q5_0 puts bit 4 of element i in bit i of the qh word. */
static void q5_0_encoder_writes_high_bits_in_element_order(void **state) {
    (void)state;
    float x[32];
    for (int j = 0; j < 32; j++) x[j] = (float)((j * 7) % 32 - 16); /* codes (7j) % 32 */
    x[0] = -16.0f; /* largest magnitude, negative: d = 1 */
    lc_block_q5_0 b;
    traits(LLAMAC_TYPE_Q5_0)->from_float(x, &b, 32);
    assert_int_equal(b.d, 0x3C00);
    uint32_t qh = (uint32_t)b.qh[0] | (uint32_t)b.qh[1] << 8 | (uint32_t)b.qh[2] << 16 | (uint32_t)b.qh[3] << 24;
    for (int j = 0; j < 32; j++) {
        int code = j == 0 ? 0 : (j * 7) % 32;
        int nib = j < 16 ? b.qs[j] & 15 : b.qs[j - 16] >> 4;
        assert_int_equal(nib | (int)((qh >> j) & 1) << 4, code);
    }
}

static void weight_encoders_round_trip_within_their_step(void **state) {
    (void)state;
    rng r = {77};
    enum { N = 2048 };
    static float x[N], back[N];
    static uint8_t buf[N * 2];
    for (int i = 0; i < N; i++) x[i] = rng_gauss(&r) * 0.02f + (i % 64 < 32 ? 0.0f : 0.01f);

    /* symmetric: q in [-h, h-1], d = max / -h: worst error one step (the
     * value at +amax clips to h-1) plus fp16 rounding of d */
    static const struct { llamac_type t; float h; } sym[] = {{LLAMAC_TYPE_Q4_0, 8}, {LLAMAC_TYPE_Q5_0, 16}};
    for (int k = 0; k < 2; k++) {
        traits(sym[k].t)->from_float(x, buf, N);
        traits(sym[k].t)->to_float(buf, back, N);
        for (int b = 0; b < N / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[32 * b + j]));
            const float d = amax / sym[k].h;
            for (int j = 0; j < 32; j++)
                assert_true(fabsf(back[32 * b + j] - x[32 * b + j]) <= d * (1.0f + sym[k].h / 2048.0f + 1e-4f));
        }
    }
    /* affine: d = (max - min) / levels; half a step plus fp16 rounding of d and m */
    static const struct { llamac_type t; float levels; } aff[] = {{LLAMAC_TYPE_Q4_1, 15}, {LLAMAC_TYPE_Q5_1, 31}};
    for (int k = 0; k < 2; k++) {
        traits(aff[k].t)->from_float(x, buf, N);
        traits(aff[k].t)->to_float(buf, back, N);
        for (int b = 0; b < N / 32; b++) {
            float mn = x[32 * b], mx = x[32 * b];
            for (int j = 0; j < 32; j++) mn = fminf(mn, x[32 * b + j]), mx = fmaxf(mx, x[32 * b + j]);
            const float d = (mx - mn) / aff[k].levels;
            const float bound = d * (0.5f + aff[k].levels / 2048.0f + 1e-4f) + fabsf(mn) / 2048.0f;
            for (int j = 0; j < 32; j++) assert_true(fabsf(back[32 * b + j] - x[32 * b + j]) <= bound);
        }
    }
    /* IQ4_NL: no closed-form bound; its relative RMS error on Gaussian-like
     * data must be of the 4-bit kind (Q4_0 is about 0.1 here) */
    traits(LLAMAC_TYPE_IQ4_NL)->from_float(x, buf, N);
    traits(LLAMAC_TYPE_IQ4_NL)->to_float(buf, back, N);
    double e2 = 0, x2 = 0;
    for (int i = 0; i < N; i++) e2 += (double)(back[i] - x[i]) * (back[i] - x[i]), x2 += (double)x[i] * x[i];
    assert_true(sqrt(e2 / x2) < 0.12);
}

/* Values already on the IQ4_NL grid with d = 2 come back exactly. */
static void iq4_nl_encoder_reproduces_values_on_its_grid(void **state) {
    (void)state;
    static const int levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    float x[32], back[32];
    for (int j = 0; j < 32; j++) x[j] = 2.0f * (float)levels[(j * 5) % 16];
    x[7] = -254.0f;
    lc_block_iq4_nl b;
    traits(LLAMAC_TYPE_IQ4_NL)->from_float(x, &b, 32);
    assert_int_equal(b.d, 0x4000);
    traits(LLAMAC_TYPE_IQ4_NL)->to_float(&b, back, 32);
    assert_memory_equal(back, x, sizeof x);
}

int main(void) {
    return run_cases(NULL, NULL,
                     weight_types_dot_with_ggml_activation_types,
                     vec_dot_equals_float64_dot_of_decoded_rows,
                     vec_dot_with_one_hot_activation_picks_one_weight,
                     vec_dot_is_deterministic_across_buffers,
                     activation_encoding_of_a_batch_equals_row_by_row,
                     q8_0_rounds_half_away_from_zero,
                     q8_K_maps_largest_value_to_minus_127_and_ties_to_even,
                     activation_encoders_round_trip_within_their_bounds,
                     encoders_survive_non_finite_input,
                     q4_0_encoder_writes_ggml_nibble_order,
                     q5_0_encoder_writes_high_bits_in_element_order,
                     weight_encoders_round_trip_within_their_step,
                     iq4_nl_encoder_reproduces_values_on_its_grid);
}
