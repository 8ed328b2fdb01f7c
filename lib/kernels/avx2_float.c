/* AVX2 kernels for the float encodings: F16 <-> F32 row conversion with the
 * F16C instructions, and F32/F16/BF16 dot products with FMA.
 *
 * The hardware F16 conversion rounds to nearest-even, keeps subnormals and
 * quiets NaNs exactly as lc_fp32_to_fp16 does, so from_float is
 * bit-identical to the reference. Dot products sum in float across four
 * 8-lane accumulators (the reference sums in double), in an order fixed by
 * n alone. */
#include "avx2_kernels.h"

#include "avx2_util.h"

void lc_f16_to_float_avx2(const void *src, float *dst, int64_t n) {
    const uint16_t *x = src;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(avx2_loadu128(x + i)));
    for (; i < n; i++) dst[i] = avx2_fp16(x[i]);
}

void lc_f16_from_float_avx2(const float *src, void *dst, int64_t n) {
    uint16_t *y = dst;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = lc_fp32_to_fp16(src[i]);
}

static inline __m256 load_bf16(const uint16_t *p) {
    const __m256i w = _mm256_cvtepu16_epi32(avx2_loadu128(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

void lc_bf16_to_float_avx2(const void *src, float *dst, int64_t n) {
    const uint16_t *x = src;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load_bf16(x + i));
    for (; i < n; i++) dst[i] = lc_bf16_to_fp32(x[i]);
}

/* One loop body for the three encodings: LOAD(p) gives 8 floats. Products
 * go to four accumulators 32 elements at a time, leftover groups of 8 to the
 * first, and the last n % 8 elements to a scalar sum added at the end. */
#define FLOAT_DOT(LOAD, TO_F32)                                                       \
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                       \
    int64_t i = 0;                                                                    \
    for (; i + 32 <= n; i += 32) {                                                    \
        a0 = _mm256_fmadd_ps(LOAD(x + i), LOAD(y + i), a0);                           \
        a1 = _mm256_fmadd_ps(LOAD(x + i + 8), LOAD(y + i + 8), a1);                   \
        a2 = _mm256_fmadd_ps(LOAD(x + i + 16), LOAD(y + i + 16), a2);                 \
        a3 = _mm256_fmadd_ps(LOAD(x + i + 24), LOAD(y + i + 24), a3);                 \
    }                                                                                 \
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(LOAD(x + i), LOAD(y + i), a0);    \
    float tail = 0.f;                                                                 \
    for (; i < n; i++) tail += TO_F32(x[i]) * TO_F32(y[i]);                           \
    *s = avx2_hsum_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3))) + tail;

static inline float f32_id(float v) { return v; }
static inline __m256 load_f16(const uint16_t *p) { return _mm256_cvtph_ps(avx2_loadu128(p)); }

void lc_vec_dot_f32_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const float *x = vx, *y = vy;
    FLOAT_DOT(_mm256_loadu_ps, f32_id)
}

void lc_vec_dot_f16_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const uint16_t *x = vx, *y = vy;
    FLOAT_DOT(load_f16, avx2_fp16)
}

void lc_vec_dot_bf16_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const uint16_t *x = vx, *y = vy;
    FLOAT_DOT(load_bf16, lc_bf16_to_fp32)
}
