/* AVX2 dot products of the 32-element block encodings with their Q8_0 /
 * Q8_1 activations.
 *
 * Per block, the 32 weight codes become one register of bytes, multiplied
 * with the 32 activation quants by maddubs + madd into eight int32 lanes
 * (lane j = exact sum of elements 4j..4j+3). The lanes are converted to
 * float, scaled by the block's dx * dy and summed into a single 8-lane
 * accumulator in the fixed order of BLOCK_LOOP; the result is that
 * accumulator's fixed-tree horizontal sum. Integer sums are exact, as in
 * the reference; only the float summation order differs from it. */
#include "avx2_kernels.h"

#include "avx2_util.h"
#include "blocks.h"

/* The float reduction order, which every kernel of this file (and any
 * future GEMM tile that must reproduce vec_dot bit for bit) follows: with
 * t_b = (dx_b * dy_b) * float(lanes of block b), per group of four blocks
 *     acc += fma(d_b+1, s_b+1, d_b * s_b) + fma(d_b+3, s_b+3, d_b+2 * s_b+2)
 * and the nb % 4 leftover blocks acc = fma(d_b, s_b, acc) one by one. One
 * dependent add per four blocks instead of four dependent FMAs: the FMA
 * latency chain was the bottleneck. LANES(i) yields block i's int32 lanes;
 * XB/YB are the block arrays (their fp16 d is the first field). */
#define BLOCK_LOOP(nb, XB, YB, LANES)                                                              \
    do {                                                                                            \
        int64_t i = 0;                                                                              \
        for (; i + 4 <= (nb); i += 4) {                                                             \
            const __m128 d4 = avx2_scales4(&(XB)[i].d, sizeof *(XB), &(YB)[i].d, sizeof *(YB));     \
            const __m256 p01 = _mm256_fmadd_ps(avx2_lane(d4, 1), _mm256_cvtepi32_ps(LANES(i + 1)),     \
                                               _mm256_mul_ps(avx2_lane(d4, 0), _mm256_cvtepi32_ps(LANES(i)))); \
            const __m256 p23 = _mm256_fmadd_ps(avx2_lane(d4, 3), _mm256_cvtepi32_ps(LANES(i + 3)),     \
                                               _mm256_mul_ps(avx2_lane(d4, 2), _mm256_cvtepi32_ps(LANES(i + 2)))); \
            acc = _mm256_add_ps(acc, _mm256_add_ps(p01, p23));                                      \
        }                                                                                           \
        for (; i < (nb); i++) {                                                                     \
            const __m256 d = _mm256_set1_ps(avx2_fp16((XB)[i].d) * avx2_fp16((YB)[i].d));           \
            acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(LANES(i)), acc);                            \
        }                                                                                           \
    } while (0)

/* Q4_1/Q5_1: the weight minimum m meets Q8_1's precomputed d * sum(quants)
 * s; those terms are summed separately, in block order, and added last. */
static inline float min_terms(const void *xm, size_t sx, const lc_block_q8_1 *y, int64_t nb) {
    const uint8_t *p = xm;
    float summ = 0.f;
    for (int64_t i = 0; i < nb; i++) {
        uint16_t m;
        memcpy(&m, p + (size_t)i * sx, 2);
        summ += avx2_fp16(m) * avx2_fp16(y[i].s);
    }
    return summ;
}

void lc_vec_dot_q4_0_q8_0_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q4_0 *x = vx;
    const lc_block_q8_0 *y = vy;
    const __m256i eight = _mm256_set1_epi8(8);
    __m256 acc = _mm256_setzero_ps();
#define LANES(j) avx2_dot_s8s8(_mm256_sub_epi8(avx2_nibbles_lo_hi(x[j].qs), eight), avx2_loadu(y[j].qs))
    BLOCK_LOOP(n / LC_QK8_0, x, y, LANES);
#undef LANES
    *s = avx2_hsum_ps(acc);
}

void lc_vec_dot_q4_1_q8_1_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q4_1 *x = vx;
    const lc_block_q8_1 *y = vy;
    __m256 acc = _mm256_setzero_ps();
#define LANES(j) avx2_dot_u8s8(avx2_nibbles_lo_hi(x[j].qs), avx2_loadu(y[j].qs))
    BLOCK_LOOP(n / LC_QK8_1, x, y, LANES);
#undef LANES
    *s = avx2_hsum_ps(acc) + min_terms(&x[0].m, sizeof *x, y, n / LC_QK8_1);
}

/* Q5_0: code - 16 is the nibble when the fifth bit is set and the nibble
 * with 0xf0 or-ed in (nibble - 16 as int8) when it is not. */
static inline __m256i q5_0_codes(const lc_block_q5_0 *b) {
    const __m256i fifth = avx2_bits_to_bytes(b->qh);
    return _mm256_or_si256(avx2_nibbles_lo_hi(b->qs), _mm256_andnot_si256(fifth, _mm256_set1_epi8((char)0xf0)));
}

void lc_vec_dot_q5_0_q8_0_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q5_0 *x = vx;
    const lc_block_q8_0 *y = vy;
    __m256 acc = _mm256_setzero_ps();
#define LANES(j) avx2_dot_s8s8(q5_0_codes(&x[j]), avx2_loadu(y[j].qs))
    BLOCK_LOOP(n / LC_QK8_0, x, y, LANES);
#undef LANES
    *s = avx2_hsum_ps(acc);
}

static inline __m256i q5_1_codes(const lc_block_q5_1 *b) {
    const __m256i fifth = _mm256_and_si256(avx2_bits_to_bytes(b->qh), _mm256_set1_epi8(0x10));
    return _mm256_or_si256(avx2_nibbles_lo_hi(b->qs), fifth);
}

void lc_vec_dot_q5_1_q8_1_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q5_1 *x = vx;
    const lc_block_q8_1 *y = vy;
    __m256 acc = _mm256_setzero_ps();
#define LANES(j) avx2_dot_u8s8(q5_1_codes(&x[j]), avx2_loadu(y[j].qs))
    BLOCK_LOOP(n / LC_QK8_1, x, y, LANES);
#undef LANES
    *s = avx2_hsum_ps(acc) + min_terms(&x[0].m, sizeof *x, y, n / LC_QK8_1);
}

void lc_vec_dot_q8_0_q8_0_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q8_0 *x = vx;
    const lc_block_q8_0 *y = vy;
    __m256 acc = _mm256_setzero_ps();
#define LANES(j) avx2_dot_s8s8(avx2_loadu(x[j].qs), avx2_loadu(y[j].qs))
    BLOCK_LOOP(n / LC_QK8_0, x, y, LANES);
#undef LANES
    *s = avx2_hsum_ps(acc);
}

/* IQ4_NL: a byte shuffle looks the 16 levels up by code. */
void lc_vec_dot_iq4_nl_q8_0_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_iq4_nl *x = vx;
    const lc_block_q8_0 *y = vy;
    const __m256i levels = _mm256_broadcastsi128_si256(avx2_loadu128(lc_iq4nl_values));
    __m256 acc = _mm256_setzero_ps();
#define LANES(j) avx2_dot_s8s8(_mm256_shuffle_epi8(levels, avx2_nibbles_lo_hi(x[j].qs)), avx2_loadu(y[j].qs))
    BLOCK_LOOP(n / LC_QK8_0, x, y, LANES);
#undef LANES
    *s = avx2_hsum_ps(acc);
}
