/* AVX2 dot products of the 32-element block encodings with their Q8_0 /
 * Q8_1 activations.
 *
 * Per block, the 32 weight codes become one register of bytes, multiplied
 * with the 32 activation quants by maddubs + madd into eight int32 lanes
 * (lane j = exact sum of elements 4j..4j+3). The lanes are converted to
 * float and accumulated with one FMA by the block's scale dx * dy into a
 * single 8-lane accumulator, blocks in order; the result is that
 * accumulator's fixed-tree horizontal sum. Integer sums are exact, as in
 * the reference; only the float summation order differs from it. */
#include "avx2_kernels.h"

#include "avx2_util.h"
#include "blocks.h"

static inline __m256 block_scale(uint16_t dx, uint16_t dy) {
    return _mm256_set1_ps(avx2_fp16(dx) * avx2_fp16(dy));
}

static inline __m256 acc_block(__m256 acc, __m256 scale, __m256i lanes) {
    return _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(lanes), acc);
}

void lc_vec_dot_q4_0_q8_0_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q4_0 *x = vx;
    const lc_block_q8_0 *y = vy;
    const __m256i eight = _mm256_set1_epi8(8);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / LC_QK8_0; i++) {
        const __m256i q = _mm256_sub_epi8(avx2_nibbles_lo_hi(x[i].qs), eight);
        acc = acc_block(acc, block_scale(x[i].d, y[i].d), avx2_dot_s8s8(q, avx2_loadu(y[i].qs)));
    }
    *s = avx2_hsum_ps(acc);
}

/* Q4_1/Q5_1: the weight minimum m meets Q8_1's precomputed d * sum(quants)
 * s; those terms are summed separately, in block order, and added last. */
void lc_vec_dot_q4_1_q8_1_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q4_1 *x = vx;
    const lc_block_q8_1 *y = vy;
    __m256 acc = _mm256_setzero_ps();
    float summ = 0.f;
    for (int64_t i = 0; i < n / LC_QK8_1; i++) {
        const __m256i q = avx2_nibbles_lo_hi(x[i].qs);
        acc = acc_block(acc, block_scale(x[i].d, y[i].d), avx2_dot_u8s8(q, avx2_loadu(y[i].qs)));
        summ += avx2_fp16(x[i].m) * avx2_fp16(y[i].s);
    }
    *s = avx2_hsum_ps(acc) + summ;
}

/* Q5_0: code - 16 is the nibble when the fifth bit is set and the nibble
 * with 0xf0 or-ed in (nibble - 16 as int8) when it is not. */
void lc_vec_dot_q5_0_q8_0_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q5_0 *x = vx;
    const lc_block_q8_0 *y = vy;
    const __m256i high = _mm256_set1_epi8((char)0xf0);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / LC_QK8_0; i++) {
        const __m256i fifth = avx2_bits_to_bytes(x[i].qh);
        const __m256i q = _mm256_or_si256(avx2_nibbles_lo_hi(x[i].qs), _mm256_andnot_si256(fifth, high));
        acc = acc_block(acc, block_scale(x[i].d, y[i].d), avx2_dot_s8s8(q, avx2_loadu(y[i].qs)));
    }
    *s = avx2_hsum_ps(acc);
}

void lc_vec_dot_q5_1_q8_1_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q5_1 *x = vx;
    const lc_block_q8_1 *y = vy;
    const __m256i bit4 = _mm256_set1_epi8(0x10);
    __m256 acc = _mm256_setzero_ps();
    float summ = 0.f;
    for (int64_t i = 0; i < n / LC_QK8_1; i++) {
        const __m256i fifth = _mm256_and_si256(avx2_bits_to_bytes(x[i].qh), bit4);
        const __m256i q = _mm256_or_si256(avx2_nibbles_lo_hi(x[i].qs), fifth);
        acc = acc_block(acc, block_scale(x[i].d, y[i].d), avx2_dot_u8s8(q, avx2_loadu(y[i].qs)));
        summ += avx2_fp16(x[i].m) * avx2_fp16(y[i].s);
    }
    *s = avx2_hsum_ps(acc) + summ;
}

void lc_vec_dot_q8_0_q8_0_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_q8_0 *x = vx;
    const lc_block_q8_0 *y = vy;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / LC_QK8_0; i++)
        acc = acc_block(acc, block_scale(x[i].d, y[i].d), avx2_dot_s8s8(avx2_loadu(x[i].qs), avx2_loadu(y[i].qs)));
    *s = avx2_hsum_ps(acc);
}

/* IQ4_NL: a byte shuffle looks the 16 levels up by code. */
void lc_vec_dot_iq4_nl_q8_0_avx2(int64_t n, float *s, const void *vx, const void *vy) {
    const lc_block_iq4_nl *x = vx;
    const lc_block_q8_0 *y = vy;
    const __m256i levels = _mm256_broadcastsi128_si256(avx2_loadu128(lc_iq4nl_values));
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / LC_QK8_0; i++) {
        const __m256i q = _mm256_shuffle_epi8(levels, avx2_nibbles_lo_hi(x[i].qs));
        acc = acc_block(acc, block_scale(x[i].d, y[i].d), avx2_dot_s8s8(q, avx2_loadu(y[i].qs)));
    }
    *s = avx2_hsum_ps(acc);
}
