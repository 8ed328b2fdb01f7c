/* AVX2 activation encoders Q8_0, Q8_1 and Q8_K.
 *
 * They must write exactly the reference's bytes (so that only dot products
 * differ between back ends), which means reproducing its arithmetic step by
 * step: the same float multiply by the same reciprocal, roundf's ties away
 * from zero for Q8_0/Q8_1 (rebuilt from truncation, since the hardware only
 * rounds ties to even), ggml's magic-number nearest_int for Q8_K (done with
 * the same float add and bit masking), and the first element of largest
 * magnitude as Q8_K's reference value. Maxima are associative, so a tree
 * of vector max gives the sequential loop's answer for any non-NaN input;
 * rows holding NaN encode to unspecified (but in-bounds) blocks. */
#include "avx2_kernels.h"

#include "avx2_util.h"
#include "blocks.h"

static inline __m256 abs_ps(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.f), v); }

static inline float hmax_ps(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

static inline float absmax(const float *x, int n) {
    __m256 m = abs_ps(_mm256_loadu_ps(x));
    for (int j = 8; j < n; j += 8) m = _mm256_max_ps(m, abs_ps(_mm256_loadu_ps(x + j)));
    return hmax_ps(m);
}

/* roundf(v) clamped to [-128, 127] as int32, NaN -> 0: the reference's
 * round_i8. v - trunc(v) is exact, so comparing it with 0.5 decides ties
 * exactly as roundf does. */
static inline __m256i round_i8(__m256 v) {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 up = _mm256_cmp_ps(abs_ps(_mm256_sub_ps(v, t)), _mm256_set1_ps(0.5f), _CMP_GE_OQ);
    const __m256 one = _mm256_or_ps(_mm256_set1_ps(1.f), _mm256_and_ps(v, _mm256_set1_ps(-0.f)));
    __m256 r = _mm256_add_ps(t, _mm256_and_ps(up, one));
    r = _mm256_min_ps(_mm256_max_ps(r, _mm256_set1_ps(-128.f)), _mm256_set1_ps(127.f));
    r = _mm256_and_ps(r, _mm256_cmp_ps(v, v, _CMP_ORD_Q));
    return _mm256_cvtps_epi32(r);
}

/* lc_nearest_int(v) clamped to [-128, 127]: add 1.5 * 2^23 and read the
 * integer out of the low mantissa bits, as the reference does. */
static inline __m256i nearest_i8(__m256 v) {
    const __m256i u = _mm256_castps_si256(_mm256_add_ps(v, _mm256_set1_ps(12582912.f)));
    const __m256i i = _mm256_sub_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x007fffff)),
                                       _mm256_set1_epi32(0x00400000));
    return _mm256_min_epi32(_mm256_max_epi32(i, _mm256_set1_epi32(-128)), _mm256_set1_epi32(127));
}

/* Four vectors of int32 in -128..127 (elements 0-7, 8-15, 16-23, 24-31)
 * to 32 int8 in element order. The two packs interleave 128-bit halves,
 * which the final dword permutation undoes. */
static inline __m256i pack_i8(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* The shared Q8_0/Q8_1 block: d = amax / 127, quants roundf(x / d).
 * Returns the unrounded d and the sum of the quants. */
static inline float encode_q8(const float *x, int8_t *qs, uint16_t *d16, int32_t *qsum) {
    const float d = absmax(x, 32) / 127.f;
    const __m256 id = _mm256_set1_ps(d != 0.f ? 1.f / d : 0.f);
    const __m256i a = round_i8(_mm256_mul_ps(_mm256_loadu_ps(x), id));
    const __m256i b = round_i8(_mm256_mul_ps(_mm256_loadu_ps(x + 8), id));
    const __m256i c = round_i8(_mm256_mul_ps(_mm256_loadu_ps(x + 16), id));
    const __m256i e = round_i8(_mm256_mul_ps(_mm256_loadu_ps(x + 24), id));
    _mm256_storeu_si256((__m256i *)qs, pack_i8(a, b, c, e));
    *qsum = avx2_hsum_epi32(_mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, e)));
    *d16 = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
    return d;
}

void lc_q8_0_from_float_avx2(const float *src, void *dst, int64_t n) {
    lc_block_q8_0 *b = dst;
    int32_t qsum;
    for (int64_t i = 0; i < n / LC_QK8_0; i++, src += 32) encode_q8(src, b[i].qs, &b[i].d, &qsum);
}

void lc_q8_1_from_float_avx2(const float *src, void *dst, int64_t n) {
    lc_block_q8_1 *b = dst;
    for (int64_t i = 0; i < n / LC_QK8_1; i++, src += 32) {
        int32_t qsum;
        const float d = encode_q8(src, b[i].qs, &b[i].d, &qsum);
        b[i].s = _cvtss_sh((float)qsum * d, _MM_FROUND_TO_NEAREST_INT);
    }
}

/* Index of the first element whose magnitude equals amax (which one of
 * them is present: amax came from these values). */
static inline int first_at_magnitude(const float *x, float amax) {
    const __m256 m = _mm256_set1_ps(amax);
    for (int j = 0; j < LC_QK_K; j += 8) {
        const int hits = _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(_mm256_loadu_ps(x + j)), m, _CMP_EQ_OQ));
        if (hits) return j + __builtin_ctz((unsigned)hits);
    }
    return 0; /* only for NaN input */
}

void lc_q8_K_from_float_avx2(const float *src, void *dst, int64_t n) {
    lc_block_q8_K *b = dst;
    for (int64_t i = 0; i < n / LC_QK_K; i++, src += LC_QK_K) {
        const float amax = absmax(src, LC_QK_K);
        if (amax == 0.f) {
            memset(&b[i], 0, sizeof b[i]);
            continue;
        }
        const float iscale = -127.f / src[first_at_magnitude(src, amax)];
        const __m256 is = _mm256_set1_ps(iscale);
        for (int c = 0; c < LC_QK_K / 32; c++) {
            const float *x = src + 32 * c;
            const __m256i v0 = nearest_i8(_mm256_mul_ps(is, _mm256_loadu_ps(x)));
            const __m256i v1 = nearest_i8(_mm256_mul_ps(is, _mm256_loadu_ps(x + 8)));
            const __m256i v2 = nearest_i8(_mm256_mul_ps(is, _mm256_loadu_ps(x + 16)));
            const __m256i v3 = nearest_i8(_mm256_mul_ps(is, _mm256_loadu_ps(x + 24)));
            _mm256_storeu_si256((__m256i *)(b[i].qs + 32 * c), pack_i8(v0, v1, v2, v3));
            b[i].bsums[2 * c] = (int16_t)avx2_hsum_epi32(_mm256_add_epi32(v0, v1));
            b[i].bsums[2 * c + 1] = (int16_t)avx2_hsum_epi32(_mm256_add_epi32(v2, v3));
        }
        b[i].d = 1.f / iscale;
    }
}
