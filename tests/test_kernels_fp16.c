/* fp16 (IEEE binary16) and bf16 conversions: known bit patterns, rounding
 * ties, subnormals, inf and NaN. */
#include "test_util.h"

#include "kernels/kernels.h"

#include <float.h>
#include <math.h>
#include <string.h>

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float float_of(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void fp16_known_patterns_decode_exactly(void **state) {
    (void)state;
    assert_true(lc_fp16_to_fp32(0x3C00) == 1.0f);
    assert_true(lc_fp16_to_fp32(0xC000) == -2.0f);
    assert_true(lc_fp16_to_fp32(0x3800) == 0.5f);
    assert_true(lc_fp16_to_fp32(0x3555) == 0.333251953125f); /* 1365/4096 */
    assert_true(lc_fp16_to_fp32(0x7BFF) == 65504.0f);        /* largest finite */
    assert_true(lc_fp16_to_fp32(0x0400) == ldexpf(1.0f, -14)); /* smallest normal */
    assert_true(lc_fp16_to_fp32(0x0001) == ldexpf(1.0f, -24)); /* smallest subnormal */
    assert_true(lc_fp16_to_fp32(0x03FF) == 1023.0f * ldexpf(1.0f, -24));
    assert_true(lc_fp16_to_fp32(0x8001) == -ldexpf(1.0f, -24));
    float negzero = lc_fp16_to_fp32(0x8000);
    assert_true(negzero == 0.0f && signbit(negzero));
    assert_true(isinf(lc_fp16_to_fp32(0x7C00)) && lc_fp16_to_fp32(0x7C00) > 0);
    assert_true(isinf(lc_fp16_to_fp32(0xFC00)) && lc_fp16_to_fp32(0xFC00) < 0);
    assert_true(isnan(lc_fp16_to_fp32(0x7E00)));
    assert_true(isnan(lc_fp16_to_fp32(0x7C01))); /* signalling NaN stays NaN */
}

static void fp16_encode_rounds_to_nearest_even(void **state) {
    (void)state;
    assert_int_equal(lc_fp32_to_fp16(1.0f), 0x3C00);
    assert_int_equal(lc_fp32_to_fp16(-2.0f), 0xC000);
    assert_int_equal(lc_fp32_to_fp16(65504.0f), 0x7BFF);
    /* 65520 is halfway between 65504 (odd mantissa 0x3FF) and 65536 (inf) */
    assert_int_equal(lc_fp32_to_fp16(65519.996f), 0x7BFF);
    assert_int_equal(lc_fp32_to_fp16(65520.0f), 0x7C00);
    assert_int_equal(lc_fp32_to_fp16(1e6f), 0x7C00);
    assert_int_equal(lc_fp32_to_fp16(-1e6f), 0xFC00);
    assert_int_equal(lc_fp32_to_fp16(INFINITY), 0x7C00);
    /* ties between neighbours 1.0 (0x3C00, even) and 1+2^-10 (0x3C01) */
    assert_int_equal(lc_fp32_to_fp16(1.0f + ldexpf(1.0f, -11)), 0x3C00);
    assert_int_equal(lc_fp32_to_fp16(1.0f + 3 * ldexpf(1.0f, -11)), 0x3C02);
    assert_int_equal(lc_fp32_to_fp16(nextafterf(1.0f + ldexpf(1.0f, -11), 2.0f)), 0x3C01);
    /* subnormals: 2^-24 is 0x0001; 2^-25 ties to 0 (even), just above it to 1 */
    assert_int_equal(lc_fp32_to_fp16(ldexpf(1.0f, -24)), 0x0001);
    assert_int_equal(lc_fp32_to_fp16(ldexpf(1.0f, -25)), 0x0000);
    assert_int_equal(lc_fp32_to_fp16(nextafterf(ldexpf(1.0f, -25), 1.0f)), 0x0001);
    assert_int_equal(lc_fp32_to_fp16(3 * ldexpf(1.0f, -25)), 0x0002); /* 1.5 ulp ties to 2 */
    assert_int_equal(lc_fp32_to_fp16(-ldexpf(1.0f, -24)), 0x8001);
    /* 1023.5 ulp: tie between 0x03FF and 0x0400, carries into the exponent */
    assert_int_equal(lc_fp32_to_fp16(1023.5f * ldexpf(1.0f, -24)), 0x0400);
    assert_int_equal(lc_fp32_to_fp16(1e-40f), 0x0000); /* float subnormal */
    assert_int_equal(lc_fp32_to_fp16(-0.0f), 0x8000);
    /* NaN stays NaN: exponent all ones, mantissa non-zero, quiet bit set */
    uint16_t h = lc_fp32_to_fp16(float_of(0x7F800001u));
    assert_int_equal(h & 0x7C00, 0x7C00);
    assert_int_not_equal(h & 0x03FF, 0);
    assert_int_equal(h & 0x0200, 0x0200);
    assert_int_equal(lc_fp32_to_fp16(float_of(0xFFC00000u)) & 0x8000, 0x8000);
}

static void fp16_every_non_nan_half_round_trips(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = lc_fp16_to_fp32((uint16_t)h);
        if (isnan(f)) {
            assert_true((h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0);
            continue;
        }
        if (lc_fp32_to_fp16(f) != h) fail_msg("half 0x%04x decodes to %a, re-encodes to 0x%04x", h, (double)f, lc_fp32_to_fp16(f));
    }
}

/* For floats spread over the whole half range, the encoder must pick a
 * nearest half (checked against both neighbours in double) and on an
 * exact tie the one with an even mantissa. */
static void fp16_encoder_picks_a_nearest_half(void **state) {
    (void)state;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 200000; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        /* exponent in [-27, 16], any mantissa, any sign */
        uint32_t exp = 127 - 27 + (uint32_t)(s % 44);
        uint32_t u = (uint32_t)(s >> 20) & 0x807fffffu;
        float f = float_of(u | exp << 23);
        uint16_t h = lc_fp32_to_fp16(f);
        double v = fabs((double)f);
        double got = fabs((double)lc_fp16_to_fp32(h));
        uint16_t mag = h & 0x7FFF;
        double err = fabs(got - v);
        if (mag < 0x7C00) {
            double up = (double)lc_fp16_to_fp32((uint16_t)(mag + 1));
            if (mag + 1 == 0x7C00) up = 65536.0; /* rounding past 65504 goes to inf */
            assert_true(err <= fabs(up - v));
            if (err == fabs(up - v)) assert_int_equal(mag & 1, 0);
        } else {
            assert_true(v >= 65520.0);
        }
        if (mag > 0 && mag < 0x7C00) {
            double down = (double)lc_fp16_to_fp32((uint16_t)(mag - 1));
            assert_true(err <= fabs(v - down));
            if (err == fabs(v - down) && err > 0) assert_int_equal(mag & 1, 0);
        }
        assert_int_equal(h >> 15, u >> 31);
    }
}

static void bf16_known_patterns_and_ties(void **state) {
    (void)state;
    assert_int_equal(lc_fp32_to_bf16(1.0f), 0x3F80);
    assert_true(lc_bf16_to_fp32(0x3F80) == 1.0f);
    assert_true(lc_bf16_to_fp32(0xC000) == -2.0f);
    assert_true(lc_bf16_to_fp32(0x4049) == 3.140625f);
    assert_int_equal(lc_fp32_to_bf16(3.14159265f), 0x4049);
    /* neighbours 1.0 (0x3F80) and 1+2^-7 (0x3F81); ties go to even */
    assert_int_equal(lc_fp32_to_bf16(1.0f + ldexpf(1.0f, -8)), 0x3F80);
    assert_int_equal(lc_fp32_to_bf16(1.0f + 3 * ldexpf(1.0f, -8)), 0x3F82);
    assert_int_equal(lc_fp32_to_bf16(1.0f + ldexpf(1.0f, -8) + ldexpf(1.0f, -20)), 0x3F81);
    assert_int_equal(lc_fp32_to_bf16(-0.0f), 0x8000);
    assert_int_equal(lc_fp32_to_bf16(INFINITY), 0x7F80);
    assert_int_equal(lc_fp32_to_bf16(-INFINITY), 0xFF80);
    assert_int_equal(lc_fp32_to_bf16(FLT_MAX), 0x7F80); /* past the largest bf16 */
    /* subnormal floats keep their top bits */
    assert_int_equal(lc_fp32_to_bf16(float_of(0x00010000u)), 0x0001);
    /* NaN preserved (a payload only in the low half must not become inf) */
    uint16_t n = lc_fp32_to_bf16(float_of(0x7F800001u));
    assert_true(isnan(lc_bf16_to_fp32(n)));
    assert_int_equal(n & 0x0040, 0x0040);
    assert_int_equal(lc_fp32_to_bf16(float_of(0xFFC00000u)), 0xFFC0);
    /* every bf16 pattern that is not NaN survives a round trip */
    for (uint32_t b = 0; b < 0x10000; b++) {
        float f = lc_bf16_to_fp32((uint16_t)b);
        assert_true(bits_of(f) == b << 16);
        if (!isnan(f)) assert_int_equal(lc_fp32_to_bf16(f), b);
    }
}

static void row_conversions_match_scalar_ones(void **state) {
    (void)state;
    const float src[5] = {1.0f, -2.5f, 65504.0f, 1e-7f, 3.14159265f};
    uint16_t h[5], b[5];
    float back[5];
    lc_fp32_to_fp16_row(src, h, 5);
    lc_fp32_to_bf16_row(src, b, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(h[i], lc_fp32_to_fp16(src[i]));
        assert_int_equal(b[i], lc_fp32_to_bf16(src[i]));
    }
    lc_fp16_to_fp32_row(h, back, 5);
    for (int i = 0; i < 5; i++) assert_true(back[i] == lc_fp16_to_fp32(h[i]));
    lc_bf16_to_fp32_row(b, back, 5);
    for (int i = 0; i < 5; i++) assert_true(back[i] == lc_bf16_to_fp32(b[i]));
}

int main(void) {
    return run_cases(NULL, NULL,
                     fp16_known_patterns_decode_exactly,
                     fp16_encode_rounds_to_nearest_even,
                     fp16_every_non_nan_half_round_trips,
                     fp16_encoder_picks_a_nearest_half,
                     bf16_known_patterns_and_ties,
                     row_conversions_match_scalar_ones);
}
