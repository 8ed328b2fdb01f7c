/* The AVX2 activation encoders (Q8_0, Q8_1, Q8_K; F16 row conversion) must
 * write exactly the scalar reference's bytes, so that switching back ends
 * changes nothing but dot-product summation order. Checked on random rows
 * over many magnitudes and on the inputs where rounding rules differ:
 * exact .5 ties, equal magnitudes of both signs, zeros, subnormals,
 * infinities, and scales whose reciprocal overflows. Skips loudly on CPUs
 * without AVX2. */
#include "test_util.h"

#include "kernels/avx2_kernels.h"
#include "test_kernels_simd_util.h"

#include <float.h>

static const llamac_type encoders[] = {LLAMAC_TYPE_Q8_0, LLAMAC_TYPE_Q8_1, LLAMAC_TYPE_Q8_K, LLAMAC_TYPE_F16};
#define N_ENCODERS (sizeof encoders / sizeof encoders[0])

/* Encodes f (n floats) both ways and fails naming the first differing
 * block and byte. */
static void expect_same_bytes(llamac_type type, const float *f, int64_t n, const char *what) {
    const size_t nb = simd_row_bytes(type, n);
    uint8_t *ref = malloc(nb + 1), *got = malloc(nb + 1);
    assert_non_null(ref);
    assert_non_null(got);
    memset(ref, 0xa5, nb + 1);
    memset(got, 0x5a, nb + 1);
    lc_scalar_traits(type)->from_float(f, ref, n);
    simd_avx2_traits(type)->from_float(f, got, n);
    for (size_t i = 0; i < nb; i++) {
        if (ref[i] != got[i]) {
            const size_t bb = llamac_type_block_bytes(type);
            fail_msg("%s %s n=%lld: block %zu byte %zu: avx2 0x%02x, scalar 0x%02x", llamac_type_name(type), what,
                     (long long)n, i / bb, i % bb, got[i], ref[i]);
        }
    }
    assert_int_equal(got[nb], 0x5a); /* nothing written past the row */
    free(ref);
    free(got);
}

static void encoders_match_scalar_bytes_on_random_rows(void **state) {
    (void)state;
    if (!simd_have_avx2("encoders")) { skip(); return; }
    const float scales[] = {1e-30f, 1e-6f, 1e-3f, 0.05f, 1.f, 37.f, 1e4f, 1e30f};
    const int64_t n = 1024;
    float *f = malloc(n * sizeof *f);
    assert_non_null(f);
    simd_rng r = {0xc0ffee};
    for (size_t e = 0; e < N_ENCODERS; e++) {
        for (size_t k = 0; k < sizeof scales / sizeof scales[0]; k++) {
            for (int trial = 0; trial < 20; trial++) {
                for (int64_t i = 0; i < n; i++) f[i] = scales[k] * simd_rng_gauss(&r);
                char what[48];
                snprintf(what, sizeof what, "scale %g trial %d", (double)scales[k], trial);
                expect_same_bytes(encoders[e], f, n, what);
            }
        }
    }
    free(f);
}

/* Values that land exactly on k + 0.5 after scaling: Q8_0/Q8_1 round them
 * away from zero (roundf), Q8_K to even (nearest_int). */
static void encoders_break_exact_ties_like_the_reference(void **state) {
    (void)state;
    if (!simd_have_avx2("encoders")) { skip(); return; }
    float f[256];
    /* amax 127 makes the Q8_0 scale exactly 1 (and its reciprocal exact) */
    for (int i = 0; i < 256; i++) f[i] = (float)((i % 64) - 32) + 0.5f;
    for (int b = 0; b < 8; b++) f[32 * b] = (b & 1) ? 127.f : -127.f;
    expect_same_bytes(LLAMAC_TYPE_Q8_0, f, 256, "ties at +-k.5");
    expect_same_bytes(LLAMAC_TYPE_Q8_1, f, 256, "ties at +-k.5");
    /* for Q8_K, a largest value of -127 makes the scale exactly 1 */
    f[0] = -127.f;
    for (int b = 1; b < 8; b++) f[32 * b] = 3.5f;
    expect_same_bytes(LLAMAC_TYPE_Q8_K, f, 256, "ties at +-k.5");
    /* F16: halfway between two halves, both parities */
    for (int i = 0; i < 256; i++) f[i] = (1.f + (float)(2 * i + 1) * 0x1p-11f) * ((i & 1) ? -1.f : 1.f);
    expect_same_bytes(LLAMAC_TYPE_F16, f, 256, "ties between halves");
}

/* Q8_K's reference value is the FIRST element of largest magnitude; its
 * sign decides every quant's sign. */
static void q8_K_takes_the_first_of_equal_magnitudes(void **state) {
    (void)state;
    if (!simd_have_avx2("encoders")) { skip(); return; }
    float f[256];
    for (int first = 0; first < 256; first += 37) {
        for (int i = 0; i < 256; i++) f[i] = 0.25f * (float)((i * 7) % 13) - 1.5f;
        f[first] = -4.f;
        f[(first + 101) % 256] = 4.f;
        f[(first + 3) % 256] = 4.f;
        expect_same_bytes(LLAMAC_TYPE_Q8_K, f, 256, "-4 then +4");
        f[first] = 4.f;
        f[(first + 101) % 256] = -4.f;
        expect_same_bytes(LLAMAC_TYPE_Q8_K, f, 256, "+4 then -4");
    }
}

static void encoders_match_scalar_bytes_on_edge_values(void **state) {
    (void)state;
    if (!simd_have_avx2("encoders")) { skip(); return; }
    const float edges[] = {
        0.f, -0.f, 1.f, -1.f, FLT_MIN, -FLT_MIN, 1e-40f, -1e-40f, 1e-45f, FLT_MAX, -FLT_MAX,
        INFINITY, -INFINITY, 65504.f, 65519.99f, 65520.f, 6.1035156e-5f, 5.9604645e-8f, 2.9802322e-8f,
        2.9802326e-8f, 1e-8f, 3.f, -3.f, 127.f, 0.5f, -0.5f,
    };
    const size_t ne = sizeof edges / sizeof edges[0];
    float f[256];
    simd_rng r = {99};
    for (size_t e = 0; e < N_ENCODERS; e++) {
        /* one edge value everywhere, then edge values sprinkled over noise
         * at three magnitudes (tiny blocks make 1/d overflow to inf) */
        for (size_t k = 0; k < ne; k++) {
            for (int i = 0; i < 256; i++) f[i] = edges[k];
            char what[48];
            snprintf(what, sizeof what, "all %g", (double)edges[k]);
            expect_same_bytes(encoders[e], f, 256, what);
        }
        const float mags[] = {1e-39f, 1.f, 1e38f};
        for (size_t m = 0; m < 3; m++) {
            for (int trial = 0; trial < 50; trial++) {
                for (int i = 0; i < 256; i++) {
                    const uint64_t u = simd_rng_next(&r);
                    f[i] = (u & 3) == 0 ? edges[(u >> 8) % ne] : mags[m] * simd_rng_gauss(&r);
                }
                char what[48];
                snprintf(what, sizeof what, "edges over noise %g, trial %d", (double)mags[m], trial);
                expect_same_bytes(encoders[e], f, 256, what);
            }
        }
    }
}

/* Row lengths other than the SIMD width: F16 takes any n, the block
 * encoders any multiple of their block. */
static void encoders_match_scalar_bytes_for_every_row_length(void **state) {
    (void)state;
    if (!simd_have_avx2("encoders")) { skip(); return; }
    float f[4096 + 64];
    simd_rng r = {5};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) f[i] = simd_rng_gauss(&r);
    for (int64_t n = 0; n <= 70; n++) expect_same_bytes(LLAMAC_TYPE_F16, f, n, "short row");
    for (int64_t nb = 0; nb <= 9; nb++) {
        expect_same_bytes(LLAMAC_TYPE_Q8_0, f, 32 * nb, "blocks");
        expect_same_bytes(LLAMAC_TYPE_Q8_1, f, 32 * nb, "blocks");
        expect_same_bytes(LLAMAC_TYPE_Q8_K, f, 256 * nb, "blocks");
    }
    expect_same_bytes(LLAMAC_TYPE_F16, f, 4096 + 61, "long row");
}

/* F16 and BF16 decoding: exact conversions, so bit-identical for every one
 * of the 65536 codes, except that the F16C instruction quiets signaling
 * NaNs (0x7c01..0x7dff and negatives) where the reference keeps the bits:
 * those must still decode to NaN. */
static void half_decoders_match_scalar_on_every_code(void **state) {
    (void)state;
    if (!simd_have_avx2("decoders")) { skip(); return; }
    static uint16_t codes[65536 + 5];
    static float ref[65536 + 5], got[65536 + 5];
    for (uint32_t i = 0; i < 65536 + 5; i++) codes[i] = (uint16_t)(i * 40503u);
    const llamac_type types[] = {LLAMAC_TYPE_F16, LLAMAC_TYPE_BF16};
    for (int t = 0; t < 2; t++) {
        lc_scalar_traits(types[t])->to_float(codes, ref, 65536 + 5);
        simd_avx2_traits(types[t])->to_float(codes, got, 65536 + 5);
        for (uint32_t i = 0; i < 65536 + 5; i++) {
            const int f16_snan = types[t] == LLAMAC_TYPE_F16 && (codes[i] & 0x7e00) == 0x7c00 && (codes[i] & 0x1ff);
            if (f16_snan) {
                assert_true(isnan(got[i]));
                continue;
            }
            if (memcmp(&ref[i], &got[i], sizeof(float)) != 0)
                fail_msg("%s code 0x%04x: avx2 0x%08x, scalar 0x%08x", llamac_type_name(types[t]), codes[i],
                         lc_f32_bits(got[i]), lc_f32_bits(ref[i]));
        }
    }
}

/* NaN inputs: F16 conversion keeps them NaN with the reference's payload
 * rule; the int8 encoders promise only in-bounds, deterministic output. */
static void nan_input_stays_in_bounds_and_f16_keeps_the_payload(void **state) {
    (void)state;
    if (!simd_have_avx2("encoders")) { skip(); return; }
    float f[256];
    simd_rng r = {3};
    for (int i = 0; i < 256; i++) f[i] = simd_rng_gauss(&r);
    const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fbfffffu, 0xff812345u};
    for (int i = 0; i < 5; i++) f[17 * i + 3] = lc_bits_f32(nans[i]);
    expect_same_bytes(LLAMAC_TYPE_F16, f, 256, "NaN payloads");
    for (size_t e = 0; e < 3; e++) {
        const size_t nb = simd_row_bytes(encoders[e], 256);
        uint8_t *a = malloc(nb + 1), *b = malloc(nb + 1);
        assert_non_null(a);
        assert_non_null(b);
        a[nb] = b[nb] = 0x77;
        simd_avx2_traits(encoders[e])->from_float(f, a, 256);
        simd_avx2_traits(encoders[e])->from_float(f, b, 256);
        assert_memory_equal(a, b, nb);
        assert_int_equal(a[nb], 0x77);
        free(a);
        free(b);
    }
}

int main(void) {
    return run_cases(NULL, NULL,
                     encoders_match_scalar_bytes_on_random_rows,
                     encoders_break_exact_ties_like_the_reference,
                     q8_K_takes_the_first_of_equal_magnitudes,
                     encoders_match_scalar_bytes_on_edge_values,
                     encoders_match_scalar_bytes_for_every_row_length,
                     half_decoders_match_scalar_on_every_code,
                     nan_input_stays_in_bounds_and_f16_keeps_the_payload);
}
